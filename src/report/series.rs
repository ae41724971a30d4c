//! `timeseries.csv`: dense per-second traffic and object rows per mode.

use super::{csv_bytes, fmt_f64, mode_name, Inputs};
use crate::run::RunResults;
use crate::scenario::NS_PER_SEC;

/// One dense `timeseries.csv` row.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    pub time_s: u64,
    pub mode: usize,
    pub writes: u64,
    pub watch_events: u64,
    pub bytes_out: u64,
    pub bytes_per_node_mean: f64,
    pub bytes_per_node_max: u64,
    pub objects_alive: u64,
    pub endpoints_ready: u64,
}

/// Dense per-second rows, `endpointslices` then `endpoints` for every second 0..=duration.
/// Traffic is the interval [t, t+1) (anything stamped after the last second is folded into
/// it); objects and ready endpoints are the state at t+1 (at the end for the last second).
/// Per node: every kube-proxy gets the same stream, so the mean adds the joiners' initial
/// LISTs spread over the nodes live at t+1 and the max adds the largest one.
pub fn series_rows(inp: &Inputs<'_>) -> Vec<SeriesRow> {
    let duration = inp.scenario.duration_ns / NS_PER_SEC;
    let samples = &inp.tracker.samples;
    let mut out = Vec::with_capacity(2 * (duration as usize + 1));
    let mut folded: [crate::metrics::SecondBucket; 2] = Default::default();
    for (m, mode) in inp.traffic.modes.iter().enumerate().take(2) {
        for (_, b) in mode.series.buckets.range(duration..) {
            folded[m].writes += b.writes;
            folded[m].watch_events += b.watch_events;
            folded[m].bytes_out += b.bytes_out;
            folded[m].bytes_per_node += b.bytes_per_node;
        }
    }
    for t in 0..=duration {
        for (m, fold) in folded.iter().enumerate() {
            let b = if t == duration {
                *fold
            } else {
                inp.traffic.modes[m]
                    .series
                    .buckets
                    .get(&t)
                    .copied()
                    .unwrap_or_default()
            };
            let at = usize::try_from((t + 1).min(duration)).unwrap_or(usize::MAX);
            let s = samples
                .get(at)
                .or(samples.last())
                .copied()
                .unwrap_or_default();
            let (mean, max) = if inp.per_node[m] {
                let (jsum, jmax) = inp.tracker.join_bytes(m, t);
                let mean = if s.nodes > 0 {
                    b.bytes_per_node as f64 + jsum as f64 / s.nodes as f64
                } else {
                    0.0
                };
                (mean, b.bytes_per_node + jmax)
            } else {
                (0.0, 0)
            };
            out.push(SeriesRow {
                time_s: t,
                mode: m,
                writes: b.writes,
                watch_events: b.watch_events,
                bytes_out: b.bytes_out,
                bytes_per_node_mean: mean,
                bytes_per_node_max: max,
                objects_alive: s.objects[m],
                endpoints_ready: s.ready[m],
            });
        }
    }
    out
}

/// The header of `timeseries.csv`.
pub const HEADER: [&str; 9] = [
    "time_s",
    "mode",
    "writes",
    "watch_events",
    "bytes_out",
    "bytes_per_node_mean",
    "bytes_per_node_max",
    "objects_alive",
    "endpoints_ready",
];

/// The bytes of `timeseries.csv`.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let rows = series_rows(&inp).into_iter().map(|r| {
        vec![
            r.time_s.to_string(),
            mode_name(r.mode).to_string(),
            r.writes.to_string(),
            r.watch_events.to_string(),
            r.bytes_out.to_string(),
            fmt_f64(r.bytes_per_node_mean),
            r.bytes_per_node_max.to_string(),
            r.objects_alive.to_string(),
            r.endpoints_ready.to_string(),
        ]
    });
    csv_bytes(&HEADER, rows)
}
