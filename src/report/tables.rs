//! The smaller tables: `node_ingress.csv`, `latency_cdf.csv`, `slice_fill.csv`, `events.csv`.

use super::{csv_bytes, mode_name, time_s, Inputs};
use crate::metrics::percentile_sorted;
use crate::run::track::Marker;
use crate::run::RunResults;

/// `node_ingress.csv`: per node and mode with per-node watchers, what its kube-proxy received.
pub fn node_ingress_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let nodes = inp.tracker.node_rows(inp.node_streams);
    let mut rows = Vec::new();
    for m in 0..2 {
        if !inp.per_node[m] {
            continue;
        }
        for (name, t) in &nodes {
            rows.push(vec![
                name.clone(),
                mode_name(m).to_string(),
                t[m].events.to_string(),
                t[m].bytes.to_string(),
            ]);
        }
    }
    csv_bytes(&["node", "mode", "watch_events", "bytes"], rows)
}

/// `latency_cdf.csv`: propagation latency by percentile 0..=100 per mode.
pub fn latency_cdf_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let mut rows = Vec::new();
    for (m, mr) in inp.traffic.modes.iter().enumerate().take(2) {
        for q in 0..=100u32 {
            let Some(v) = percentile_sorted(&mr.latency_ns, f64::from(q)) else {
                break;
            };
            rows.push(vec![
                mode_name(m).to_string(),
                format!("{:.2}", f64::from(q) / 100.0),
                time_s(v),
            ]);
        }
    }
    csv_bytes(&["mode", "quantile", "seconds"], rows)
}

/// `slice_fill.csv`: controller-managed EndpointSlices by fill decile over time.
pub fn slice_fill_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let mut rows = Vec::new();
    for (s, counts) in &inp.tracker.fill_samples {
        for (k, n) in counts.iter().enumerate() {
            rows.push(vec![
                s.to_string(),
                format!("{:.1}", k as f64 / 10.0),
                format!("{:.1}", (k + 1) as f64 / 10.0),
                n.to_string(),
            ]);
        }
    }
    csv_bytes(&["time_s", "fill_lo", "fill_hi", "slices"], rows)
}

/// `events.csv`: the timeline markers (scenario events, node joins and departures).
pub fn events_csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let rows = inp.tracker.markers().into_iter().map(
        |Marker {
             time_ns,
             kind,
             label,
         }| { vec![time_s(time_ns), kind.to_string(), label] },
    );
    csv_bytes(&["time_s", "kind", "label"], rows)
}
