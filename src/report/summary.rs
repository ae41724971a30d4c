//! `summary.csv` (`mode,metric,value`): the world's `run` rows, then the same per-mode metric
//! names for `endpointslices` and `endpoints`.

use std::collections::BTreeSet;

use super::series::{series_rows, SeriesRow};
use super::{fmt_f64, mode_name, Inputs};
use crate::controllers::manager::{ControllerKind, ServiceStats, SyncResult};
use crate::metrics::percentile_sorted;
use crate::run::track::NodeTotals;
use crate::run::RunResults;
use crate::scenario::NS_PER_SEC;

/// The headline per-mode metrics (contract `summary.csv`), in both modes; `sweep.csv` takes
/// these.
pub const HEADLINE: [&str; 26] = [
    "writes_create",
    "writes_update",
    "writes_delete",
    "writes_stored",
    "writes_rejected",
    "writes_rejected_oversize",
    "api_request_bytes",
    "etcd_write_bytes",
    "largest_object_bytes",
    "objects_alive_mean",
    "objects_alive_max",
    "watch_events",
    "watch_event_bytes",
    "bytes_out_total",
    "node_ingress_bytes_mean",
    "node_ingress_bytes_p99",
    "node_ingress_bytes_max",
    "propagation_samples",
    "propagation_p50_seconds",
    "propagation_p90_seconds",
    "propagation_p99_seconds",
    "propagation_max_seconds",
    "client_stale_seconds",
    "client_duplicate_seconds",
    "syncs",
    "endpoints_ready_final",
];

/// One value of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(u64),
    Num(f64),
    Text(String),
}

impl Val {
    pub fn render(&self) -> String {
        match self {
            Val::Int(n) => n.to_string(),
            Val::Num(f) => fmt_f64(*f),
            Val::Text(s) => s.clone(),
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(n) => Some(*n as f64),
            Val::Num(f) => Some(*f),
            Val::Text(_) => None,
        }
    }
}

/// One `summary.csv` row.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub mode: &'static str,
    pub metric: String,
    pub value: Val,
}

/// `run`-mode rows from the world's `(scope, metric, value)` rows: scope `run` keeps the
/// metric name, `changes` becomes `changes.<metric>`, `workload/<name>` becomes
/// `workload.<name>.<metric>`.
pub fn run_rows(rows: &[(String, String, String)]) -> Vec<SummaryRow> {
    rows.iter()
        .map(|(scope, metric, value)| {
            let metric = match scope.as_str() {
                "run" => metric.clone(),
                s => match s.strip_prefix("workload/") {
                    Some(w) => format!("workload.{w}.{metric}"),
                    None => format!("{s}.{metric}"),
                },
            };
            let value = match value.parse::<u64>() {
                Ok(n) => Val::Int(n),
                Err(_) => Val::Text(value.clone()),
            };
            SummaryRow {
                mode: "run",
                metric,
                value,
            }
        })
        .collect()
}

/// Bytes of `summary.csv` (`mode,metric,value`).
pub fn summary_csv(rows: &[SummaryRow]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["mode", "metric", "value"])?;
    for r in rows {
        w.write_record([r.mode, &r.metric, &r.value.render()])?;
    }
    Ok(w.into_inner()?)
}

/// Every row of `summary.csv`: the world's rows, then (with controllers) the per-mode rows.
pub fn summary_rows(r: &RunResults) -> Vec<SummaryRow> {
    let mut rows = run_rows(&r.world_rows);
    if let Some(inp) = Inputs::of(r) {
        rows.extend(mode_rows_of(&inp));
    }
    rows
}

/// The per-mode rows alone (the terminal's side-by-side table).
pub fn mode_rows_of(inp: &Inputs<'_>) -> Vec<SummaryRow> {
    let series = series_rows(inp);
    let nodes = inp.tracker.node_rows(inp.node_streams);
    mode_rows(inp, &series, &nodes)
}

/// The bytes of `summary.csv`.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    summary_csv(&summary_rows(r))
}

/// Syncs per mode: the EndpointSlice and mirroring controllers publish slices, the
/// Endpoints controller the baseline.
pub fn mode_syncs(total: &ServiceStats, m: usize) -> [u64; 3] {
    let kinds: &[ControllerKind] = if m == 0 {
        &[ControllerKind::EndpointSlice, ControllerKind::Mirroring]
    } else {
        &[ControllerKind::Endpoints]
    };
    let mut out = [0u64; 3];
    for &k in kinds {
        for (r, slot) in out.iter_mut().enumerate() {
            *slot += total.syncs[k as usize][r];
        }
    }
    out
}

/// Per-node ingress statistics of one mode over its node rows: (nodes, mean, p99, max).
pub fn node_stats(rows: &[(String, [NodeTotals; 2])], m: usize) -> (u64, f64, u64, u64) {
    let mut v: Vec<u64> = rows.iter().map(|(_, t)| t[m].bytes).collect();
    if v.is_empty() {
        return (0, 0.0, 0, 0);
    }
    v.sort_unstable();
    let sum: u128 = v.iter().map(|&x| u128::from(x)).sum();
    (
        v.len() as u64,
        sum as f64 / v.len() as f64,
        percentile_sorted(&v, 99.0).unwrap_or(0),
        v.last().copied().unwrap_or(0),
    )
}

fn secs(ns: u64) -> Val {
    Val::Num(ns as f64 / NS_PER_SEC as f64)
}

/// The per-mode rows of `summary.csv`: the same metric names in both modes.
pub fn mode_rows(
    inp: &Inputs<'_>,
    series: &[SeriesRow],
    nodes: &[(String, [NodeTotals; 2])],
) -> Vec<SummaryRow> {
    let total = inp.stats.total();
    let mut out = Vec::new();
    // Breakdown keys present in either mode, so both modes carry the same rows.
    let enc: BTreeSet<&str> = inp
        .traffic
        .modes
        .iter()
        .flat_map(|m| m.by_encoding.keys().copied())
        .collect();
    let roles: BTreeSet<&str> = inp
        .traffic
        .modes
        .iter()
        .flat_map(|m| m.by_role.keys().copied())
        .collect();
    let samples = &inp.tracker.samples;
    for (m, mr) in inp.traffic.modes.iter().enumerate().take(2) {
        let mode = mode_name(m);
        let mut row = |k: &str, v: Val| {
            out.push(SummaryRow {
                mode,
                metric: k.to_string(),
                value: v,
            })
        };
        let verb = |v: &str| mr.writes_by_verb.get(v).copied().unwrap_or(0);
        row("writes_create", Val::Int(verb("create")));
        row("writes_update", Val::Int(verb("update")));
        row("writes_delete", Val::Int(verb("delete")));
        row("writes_stored", Val::Int(mr.writes_stored));
        row("writes_rejected", Val::Int(mr.writes_rejected));
        row("writes_rejected_oversize", Val::Int(mr.rejected_oversize));
        row("api_request_bytes", Val::Int(mr.request_bytes));
        row("etcd_write_bytes", Val::Int(mr.etcd_bytes));
        row("largest_object_bytes", Val::Int(mr.largest_object.0));
        let objs: u128 = samples.iter().map(|s| u128::from(s.objects[m])).sum();
        let mean = if samples.is_empty() {
            0.0
        } else {
            objs as f64 / samples.len() as f64
        };
        row("objects_alive_mean", Val::Num(mean));
        row(
            "objects_alive_max",
            Val::Int(inp.tracker.modes[m].objects_max),
        );
        row(
            "objects_alive_final",
            Val::Int(inp.tracker.modes[m].objects),
        );
        row(
            "endpoints_ready_final",
            Val::Int(inp.tracker.modes[m].ready),
        );
        row(
            "writes_truncated",
            Val::Int(inp.tracker.modes[m].truncated_writes),
        );
        let (ev, by): (u64, u64) = series
            .iter()
            .filter(|r| r.mode == m)
            .fold((0, 0), |a, r| (a.0 + r.watch_events, a.1 + r.bytes_out));
        debug_assert_eq!(ev, mr.watch.events);
        debug_assert_eq!(by, mr.bytes_out());
        row("watch_events", Val::Int(mr.watch.events));
        row("watch_event_bytes", Val::Int(mr.watch.bytes));
        for k in &enc {
            let f = mr.by_encoding.get(k).copied().unwrap_or_default();
            row(&format!("watch_events_{k}"), Val::Int(f.events));
            row(&format!("watch_event_bytes_{k}"), Val::Int(f.bytes));
        }
        for k in &roles {
            let f = mr.by_role.get(k).copied().unwrap_or_default();
            let k = k.replace('-', "_");
            row(&format!("watch_events_{k}"), Val::Int(f.events));
            row(&format!("watch_event_bytes_{k}"), Val::Int(f.bytes));
        }
        row("bookmarks", Val::Int(mr.bookmarks.events));
        row("bookmark_bytes", Val::Int(mr.bookmarks.bytes));
        row("relists", Val::Int(mr.relists.events));
        row("relist_bytes", Val::Int(mr.relists.bytes));
        row("rewatches", Val::Int(mr.rewatches));
        row("bytes_out_total", Val::Int(mr.bytes_out()));
        let (n, mean, p99, max) = if inp.per_node[m] {
            node_stats(nodes, m)
        } else {
            (0, 0.0, 0, 0)
        };
        row("node_ingress_nodes", Val::Int(n));
        row("node_ingress_bytes_mean", Val::Num(mean));
        row("node_ingress_bytes_p99", Val::Int(p99));
        row("node_ingress_bytes_max", Val::Int(max));
        let p = mr.propagation;
        row("propagation_samples", Val::Int(p.samples));
        // no sample, no latency: an empty cell, never a 0 that averages in as "instant"
        let lat = |ns: u64| {
            if p.samples == 0 {
                Val::Text(String::new())
            } else {
                secs(ns)
            }
        };
        row("propagation_p50_seconds", lat(p.p50));
        row("propagation_p90_seconds", lat(p.p90));
        row("propagation_p99_seconds", lat(p.p99));
        row("propagation_max_seconds", lat(p.max));
        row("propagation_superseded", Val::Int(p.superseded));
        row("propagation_unresolved", Val::Int(p.unresolved));
        row("client_stale_seconds", Val::Num(mr.stale_seconds));
        row("client_duplicate_seconds", Val::Num(mr.duplicate_seconds));
        let sy = mode_syncs(&total, m);
        row("syncs", Val::Int(sy.iter().sum()));
        row("syncs_success", Val::Int(sy[SyncResult::Success as usize]));
        row("syncs_stale", Val::Int(sy[SyncResult::Stale as usize]));
        row("syncs_error", Val::Int(sy[SyncResult::Error as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_the_contract_says() {
        assert_eq!(fmt_f64(128.0), "128");
        assert_eq!(fmt_f64(0.0), "0");
        assert_eq!(fmt_f64(1.5), "1.5");
        assert_eq!(fmt_f64(1_156_536_994.0 / 1e9), "1.156536994");
        assert_eq!(Val::Int(7).render(), "7");
        assert_eq!(Val::Num(769_546.75).render(), "769546.75");
    }

    #[test]
    fn run_rows_are_renamed() {
        let rows = run_rows(&[
            ("run".into(), "seed".into(), "42".into()),
            ("changes".into(), "Pod_created".into(), "3".into()),
            ("workload/web".into(), "pods_created".into(), "80".into()),
            ("run".into(), "last_event_time_s".into(), "1.5".into()),
        ]);
        let names: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(
            names,
            [
                "seed",
                "changes.Pod_created",
                "workload.web.pods_created",
                "last_event_time_s"
            ]
        );
        assert_eq!(rows[0].value, Val::Int(42));
        assert!(rows.iter().all(|r| r.mode == "run"));
    }
}
