//! The comparison outputs of `slicesim run` (README "Output files"): `summary.csv`,
//! `services.csv`, `timeseries.csv`, `syncs.csv`, `node_ingress.csv`, `latency_cdf.csv`,
//! `slice_fill.csv`, `events.csv`, `metrics.prom` and the terminal's side-by-side table.
//!
//! Every file is built from the same inputs — the watch hub's [`TrafficReport`], the
//! controller manager's stats and sync rows, and the run's [`Tracker`] — so the files agree
//! with each other: the summary's `watch_events` is the sum of the timeseries rows, its
//! `bytes_out_total` the sum of per-second `bytes_out`, the node rows sum to what the per-node
//! watchers received. Numbers: integers print as integers, other values with Rust's shortest
//! round-trip `{}` formatting ([`fmt_f64`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use super::atomic::atomic_write;
use super::track::{Marker, NodeTotals, ServiceLive, Tracker, MODES};
use crate::apiserver::watch::TrafficReport;
use crate::apiserver::write_log::{Resource, Writer};
use crate::controllers::manager::{
    ControllerKind, ManagerStats, ServiceStats, SyncResult, SyncRow,
};
use crate::metrics::{percentile_sorted, prometheus_text, Histogram, PromFamily};
use crate::scenario::{Scenario, NS_PER_SEC};

/// The files [`write_all`] writes (besides `workloads.csv`, written while the run goes).
pub const FILES: [&str; 9] = [
    "summary.csv",
    "services.csv",
    "timeseries.csv",
    "syncs.csv",
    "node_ingress.csv",
    "latency_cdf.csv",
    "slice_fill.csv",
    "events.csv",
    "metrics.prom",
];

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

/// A number as the contract prints it: integral values without a fraction, others with the
/// shortest `{}` representation that reads back to the same f64.
pub fn fmt_f64(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

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
    fn as_f64(&self) -> Option<f64> {
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

/// Everything [`write_all`] reads.
pub struct Inputs<'a> {
    pub scenario: &'a Scenario,
    /// World rows (`scope, metric, value`), already final.
    pub world_rows: &'a [(String, String, String)],
    pub traffic: &'a TrafficReport,
    pub stats: &'a ManagerStats,
    pub syncs: &'a [SyncRow],
    pub tracker: &'a mut Tracker,
    /// The hub's per-node stream per mode at the end ([`crate::apiserver::watch::WatchHub::node_stream`]).
    pub node_streams: [(u64, u64); 2],
    /// Whether a mode has per-node (kube-proxy) watchers.
    pub per_node: [bool; 2],
}

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

fn mode_name(m: usize) -> &'static str {
    crate::apiserver::watch::mode_name(MODES[m])
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

/// Syncs per mode: the EndpointSlice and mirroring controllers publish slices, the
/// Endpoints controller the baseline.
fn mode_syncs(total: &ServiceStats, m: usize) -> [u64; 3] {
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
fn node_stats(rows: &[(String, [NodeTotals; 2])], m: usize) -> (u64, f64, u64, u64) {
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

/// `services.csv` rows: (service key, mode, live counters, syncs), services by
/// namespace then name, `endpointslices` first.
pub fn services_rows(inp: &Inputs<'_>) -> Vec<(String, usize, ServiceLive, u64)> {
    let mut keys: BTreeSet<(String, String)> = inp
        .stats
        .services
        .keys()
        .map(|k| match k.split_once('/') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (String::new(), k.clone()),
        })
        .collect();
    for m in &inp.tracker.modes {
        keys.extend(m.services.keys().cloned());
    }
    let mut out = Vec::new();
    for k in keys {
        let name = format!("{}/{}", k.0, k.1);
        let st = inp.stats.services.get(&name).cloned().unwrap_or_default();
        for m in 0..2 {
            let live = inp.tracker.modes[m]
                .services
                .get(&k)
                .copied()
                .unwrap_or_default();
            let syncs: u64 = mode_syncs(&st, m).iter().sum();
            out.push((name.clone(), m, live, syncs));
        }
    }
    out
}

fn writer_of(c: ControllerKind) -> Writer {
    match c {
        ControllerKind::EndpointSlice => Writer::EndpointSliceController,
        ControllerKind::Endpoints => Writer::EndpointsController,
        ControllerKind::Mirroring => Writer::MirroringController,
    }
}

/// `syncs.csv` header (contract: today's columns with `bytes_written` before `result`).
pub const SYNCS_HEADER: [&str; 10] = [
    "time_s",
    "controller",
    "service",
    "creates",
    "updates",
    "deletes",
    "endpoints_added",
    "endpoints_removed",
    "bytes_written",
    "result",
];

/// Upstream `prometheus.DefBuckets` (client_golang), used by
/// `endpoint_slice_controller_endpointslices_changed_per_sync`, which sets no buckets.
const DEF_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// `ExponentialBuckets(2, 2, 15)`: 2, 4, …, 32768 — the per-sync endpoint histograms of both
/// slice controllers.
/// cite: kubernetes/kubernetes :: pkg/controller/endpointslice/metrics/metrics.go ::
/// EndpointsAddedPerSync; pkg/controller/endpointslicemirroring/metrics/metrics.go
pub fn endpoints_per_sync_histogram() -> Histogram {
    Histogram::new((0..15).map(|i| 2.0 * f64::from(1u32 << i)).collect())
}

/// `metrics.prom`. Upstream names where kube-controller-manager / kube-apiserver have one:
/// - `endpoint_slice_controller_{changes, endpoints_added_per_sync, endpoints_removed_per_sync,
///   num_endpoint_slices, desired_endpoint_slices, endpoints_desired,
///   endpointslices_changed_per_sync{topology,traffic_distribution}, syncs{result},
///   services_count_by_traffic_distribution}` (kubernetes/endpointslice :: metrics/metrics.go,
///   v0.32; histogram buckets as upstream: ExponentialBuckets(2,2,15) for the endpoint counts,
///   the client default buckets for slices changed);
/// - `endpoint_slice_mirroring_controller_{changes, endpoints_added_per_sync,
///   endpoints_removed_per_sync, num_endpoint_slices}` (kubernetes/kubernetes ::
///   pkg/controller/endpointslicemirroring/metrics/metrics.go);
/// - `apiserver_watch_events_total{group,version,kind}`, `apiserver_watch_events_sizes`
///   (kubernetes/apiserver :: pkg/endpoints/metrics/metrics.go).
///
/// Everything else is `slicesim_*`. Every series carries `mode`; the controller metrics that
/// upstream records per sync are rebuilt from `syncs.csv`'s rows (stale syncs skipped: upstream
/// returns before reconciling), the gauges are end-of-run values.
pub fn prometheus(inp: &Inputs<'_>, nodes: &[(String, [NodeTotals; 2])]) -> String {
    let total = inp.stats.total();
    let es = "endpointslices";
    let mut fams: Vec<PromFamily> = Vec::new();

    // --- apiserver
    let mut ev = PromFamily::new(
        "apiserver_watch_events_total",
        "counter",
        "Number of events sent in watch clients",
    );
    let mut sz = PromFamily::new(
        "apiserver_watch_events_sizes",
        "histogram",
        "Watch event size distribution in bytes",
    );
    for (m, mr) in inp.traffic.modes.iter().enumerate().take(2) {
        let (group, kind) = match MODES[m] {
            Resource::EndpointSlices => ("discovery.k8s.io", "EndpointSlice"),
            Resource::Endpoints => ("", "Endpoints"),
        };
        let l = [
            ("group", group),
            ("kind", kind),
            ("mode", mode_name(m)),
            ("version", "v1"),
        ];
        ev.push(&l, mr.watch.events as f64);
        sz.push_histogram(&l, &mr.event_sizes);
    }
    fams.push(ev);
    fams.push(sz);

    // --- EndpointSlice controller
    let mut ch = PromFamily::new(
        "endpoint_slice_controller_changes",
        "counter",
        "Number of EndpointSlice changes",
    );
    for (op, n) in [
        ("create", total.es_creates),
        ("update", total.es_updates),
        ("delete", total.es_deletes),
    ] {
        ch.push(&[("mode", es), ("operation", op)], n as f64);
    }
    fams.push(ch);
    let mut added = [
        endpoints_per_sync_histogram(),
        endpoints_per_sync_histogram(),
    ];
    let mut removed = [
        endpoints_per_sync_histogram(),
        endpoints_per_sync_histogram(),
    ];
    let mut mirror_changes = [0u64; 3];
    let mut changed: BTreeMap<(&str, String), Histogram> = BTreeMap::new();
    let svc_labels: BTreeMap<String, (&str, String)> = inp
        .scenario
        .services
        .iter()
        .map(|s| {
            // upstream labels a sync "Auto" when the topology cache is on and hintsEnabled
            let auto = crate::controllers::endpointslice::model::hints_enabled(&s.annotations);
            (
                format!("{}/{}", s.namespace, s.name),
                (
                    if auto { "Auto" } else { "Disabled" },
                    s.traffic_distribution.clone().unwrap_or_default(),
                ),
            )
        })
        .collect();
    for r in inp.syncs {
        if r.result == SyncResult::Stale {
            continue;
        }
        let i = match r.controller {
            ControllerKind::EndpointSlice => 0,
            ControllerKind::Mirroring => 1,
            ControllerKind::Endpoints => continue,
        };
        added[i].observe_n(r.endpoints_added as f64, 1);
        removed[i].observe_n(r.endpoints_removed as f64, 1);
        if i == 0 {
            let l = svc_labels
                .get(&r.service)
                .cloned()
                .unwrap_or(("Disabled", String::new()));
            changed
                .entry(l)
                .or_insert_with(|| Histogram::new(DEF_BUCKETS.to_vec()))
                .observe_n((r.creates + r.updates + r.deletes) as f64, 1);
        } else {
            mirror_changes[0] += r.creates;
            mirror_changes[1] += r.updates;
            mirror_changes[2] += r.deletes;
        }
    }
    let mut f = PromFamily::new(
        "endpoint_slice_controller_endpoints_added_per_sync",
        "histogram",
        "Number of endpoints added on each Service sync",
    );
    f.push_histogram(&[("mode", es)], &added[0]);
    fams.push(f);
    let mut f = PromFamily::new(
        "endpoint_slice_controller_endpoints_removed_per_sync",
        "histogram",
        "Number of endpoints removed on each Service sync",
    );
    f.push_histogram(&[("mode", es)], &removed[0]);
    fams.push(f);
    let managed_alive = inp.tracker.managed_slices();
    for (name, help, v) in [
        (
            "endpoint_slice_controller_num_endpoint_slices",
            "Number of EndpointSlices",
            managed_alive,
        ),
        (
            "endpoint_slice_controller_desired_endpoint_slices",
            "Number of EndpointSlices that would exist with perfect endpoint allocation",
            total.desired_slices,
        ),
        (
            "endpoint_slice_controller_endpoints_desired",
            "Number of endpoints desired",
            total.endpoints_desired,
        ),
    ] {
        let mut f = PromFamily::new(name, "gauge", help);
        f.push(&[("mode", es)], v as f64);
        fams.push(f);
    }
    let mut f = PromFamily::new(
        "endpoint_slice_controller_endpointslices_changed_per_sync",
        "histogram",
        "Number of EndpointSlices changed on each Service sync",
    );
    for ((topology, td), h) in &changed {
        f.push_histogram(
            &[
                ("mode", es),
                ("topology", topology),
                ("traffic_distribution", td),
            ],
            h,
        );
    }
    fams.push(f);
    let mut f = PromFamily::new(
        "endpoint_slice_controller_syncs",
        "counter",
        "Number of EndpointSlice syncs",
    );
    for r in [SyncResult::Success, SyncResult::Stale, SyncResult::Error] {
        f.push(
            &[("mode", es), ("result", r.as_str())],
            total.syncs[ControllerKind::EndpointSlice as usize][r as usize] as f64,
        );
    }
    fams.push(f);
    let mut by_td: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &inp.scenario.services {
        if let Some(td) = &s.traffic_distribution {
            *by_td.entry(td.as_str()).or_default() += 1;
        }
    }
    if !by_td.is_empty() {
        let mut f = PromFamily::new(
            "endpoint_slice_controller_services_count_by_traffic_distribution",
            "gauge",
            "Number of Services using some specific trafficDistribution",
        );
        for (td, n) in by_td {
            f.push(&[("mode", es), ("traffic_distribution", td)], n as f64);
        }
        fams.push(f);
    }

    // --- EndpointSlice mirroring controller
    let mut f = PromFamily::new(
        "endpoint_slice_mirroring_controller_changes",
        "counter",
        "Number of EndpointSlice changes",
    );
    for (op, n) in ["create", "update", "delete"].iter().zip(mirror_changes) {
        f.push(&[("mode", es), ("operation", op)], n as f64);
    }
    fams.push(f);
    let mut f = PromFamily::new(
        "endpoint_slice_mirroring_controller_endpoints_added_per_sync",
        "histogram",
        "Number of endpoints added on each Endpoints sync",
    );
    f.push_histogram(&[("mode", es)], &added[1]);
    fams.push(f);
    let mut f = PromFamily::new(
        "endpoint_slice_mirroring_controller_endpoints_removed_per_sync",
        "histogram",
        "Number of endpoints removed on each Endpoints sync",
    );
    f.push_histogram(&[("mode", es)], &removed[1]);
    fams.push(f);
    let mut f = PromFamily::new(
        "endpoint_slice_mirroring_controller_num_endpoint_slices",
        "gauge",
        "Number of EndpointSlices",
    );
    f.push(
        &[("mode", es)],
        inp.tracker.modes[0].objects.saturating_sub(managed_alive) as f64,
    );
    fams.push(f);

    // --- slicesim_*
    let mut f = PromFamily::new(
        "slicesim_controller_syncs_total",
        "counter",
        "Controller syncs by controller and result",
    );
    for c in [
        ControllerKind::EndpointSlice,
        ControllerKind::Mirroring,
        ControllerKind::Endpoints,
    ] {
        let mode = if c == ControllerKind::Endpoints {
            "endpoints"
        } else {
            es
        };
        for r in [SyncResult::Success, SyncResult::Stale, SyncResult::Error] {
            f.push(
                &[
                    ("controller", c.as_str()),
                    ("mode", mode),
                    ("result", r.as_str()),
                ],
                total.syncs[c as usize][r as usize] as f64,
            );
        }
    }
    fams.push(f);
    let mut wr = PromFamily::new(
        "slicesim_api_writes_total",
        "counter",
        "API writes by verb and outcome",
    );
    let mut by = PromFamily::new(
        "slicesim_bytes_total",
        "counter",
        "Bytes by path: api_request, etcd_write, watch_event, bookmark, relist",
    );
    let mut ro = PromFamily::new(
        "slicesim_watch_event_bytes_total",
        "counter",
        "Watch event bytes by watcher kind or encoding",
    );
    let mut ni = PromFamily::new(
        "slicesim_node_ingress_bytes",
        "gauge",
        "Per-node (kube-proxy) ingress over the run",
    );
    let mut pl = PromFamily::new(
        "slicesim_propagation_latency_seconds",
        "gauge",
        "Pod readiness or deletion change to last client group applied, by quantile",
    );
    let mut pc = PromFamily::new(
        "slicesim_propagation_changes_total",
        "counter",
        "Pod changes that mattered to endpoints, by outcome",
    );
    let mut lo = PromFamily::new(
        "slicesim_largest_object_bytes",
        "gauge",
        "Largest stored object (protobuf)",
    );
    let mut oa = PromFamily::new(
        "slicesim_objects_alive",
        "gauge",
        "Stored objects of the mode (EndpointSlices / Endpoints)",
    );
    let mut cs = PromFamily::new(
        "slicesim_client_inconsistency_seconds",
        "gauge",
        "Seconds client caches held a stale or duplicate endpoint",
    );
    for (m, mr) in inp.traffic.modes.iter().enumerate().take(2) {
        let mode = mode_name(m);
        for v in ["create", "update", "delete"] {
            let n = mr.writes_by_verb.get(v).copied().unwrap_or(0);
            wr.push(
                &[("mode", mode), ("outcome", "stored"), ("verb", v)],
                n as f64,
            );
        }
        wr.push(
            &[("mode", mode), ("outcome", "rejected"), ("verb", "any")],
            mr.writes_rejected as f64,
        );
        for (path, v) in [
            ("api_request", mr.request_bytes),
            ("etcd_write", mr.etcd_bytes),
            ("watch_event", mr.watch.bytes),
            ("bookmark", mr.bookmarks.bytes),
            ("relist", mr.relists.bytes),
        ] {
            by.push(&[("mode", mode), ("path", path)], v as f64);
        }
        for (role, fl) in &mr.by_role {
            ro.push(&[("mode", mode), ("watcher", role)], fl.bytes as f64);
        }
        for (enc, fl) in &mr.by_encoding {
            ro.push(&[("encoding", enc), ("mode", mode)], fl.bytes as f64);
        }
        let (_, mean, p99, max) = if inp.per_node[m] {
            node_stats(nodes, m)
        } else {
            (0, 0.0, 0, 0)
        };
        for (stat, v) in [("mean", mean), ("p99", p99 as f64), ("max", max as f64)] {
            ni.push(&[("mode", mode), ("stat", stat)], v);
        }
        let p = mr.propagation;
        // a mode without samples has no quantile series (as a Prometheus summary without
        // observations), rather than a latency of 0
        let quantiles = [
            ("0.5", p.p50),
            ("0.9", p.p90),
            ("0.99", p.p99),
            ("1", p.max),
        ];
        for (q, v) in quantiles.into_iter().filter(|_| p.samples > 0) {
            pl.push(
                &[("mode", mode), ("quantile", q)],
                v as f64 / NS_PER_SEC as f64,
            );
        }
        for (outcome, n) in [
            ("sampled", p.samples),
            ("superseded", p.superseded),
            ("unresolved", p.unresolved),
        ] {
            pc.push(&[("mode", mode), ("outcome", outcome)], n as f64);
        }
        lo.push(&[("mode", mode)], mr.largest_object.0 as f64);
        oa.push(
            &[("mode", mode), ("stat", "final")],
            inp.tracker.modes[m].objects as f64,
        );
        oa.push(
            &[("mode", mode), ("stat", "max")],
            inp.tracker.modes[m].objects_max as f64,
        );
        cs.push(&[("kind", "stale"), ("mode", mode)], mr.stale_seconds);
        cs.push(
            &[("kind", "duplicate"), ("mode", mode)],
            mr.duplicate_seconds,
        );
    }
    fams.extend([wr, by, ro, ni, pl, pc, lo, oa, cs]);
    prometheus_text(&fams)
}

/// Human-readable bytes (binary units) for the terminal.
pub fn human_bytes(v: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = v;
    let mut u = 0;
    while x.abs() >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", fmt_f64(x.round()))
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// The terminal's side-by-side table, one line per mode metric of `summary.csv` (same rows,
/// same values): EndpointSlices | Endpoints | ratio, byte metrics also in binary units.
pub fn side_by_side(rows: &[SummaryRow]) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut by: BTreeMap<&str, [Option<&Val>; 2]> = BTreeMap::new();
    for r in rows {
        let i = match r.mode {
            "endpointslices" => 0,
            "endpoints" => 1,
            _ => continue,
        };
        let e = by.entry(&r.metric).or_insert_with(|| {
            order.push(&r.metric);
            [None, None]
        });
        e[i] = Some(&r.value);
    }
    let cell = |v: Option<&Val>| match v {
        None => "-".to_string(),
        Some(Val::Text(t)) if t.is_empty() => "–".to_string(),
        Some(Val::Num(f)) if f.fract() != 0.0 => format!("{f:.3}"),
        Some(v) => v.render(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<38} {:>16} {:>16} {:>9}  {:>21}",
        "metric", "EndpointSlices", "Endpoints", "EP/ES", "(EndpointSlices | Endpoints)"
    );
    for k in order {
        let [a, b] = by[k];
        let ratio = match (a.and_then(Val::as_f64), b.and_then(Val::as_f64)) {
            (Some(a), Some(b)) if a != 0.0 => format!("{:.2}", b / a),
            _ => "-".into(),
        };
        let human = if k.contains("bytes") {
            match (a.and_then(Val::as_f64), b.and_then(Val::as_f64)) {
                (Some(a), Some(b)) => format!("{} | {}", human_bytes(a), human_bytes(b)),
                _ => String::new(),
            }
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<38} {:>16} {:>16} {:>9}  {}",
            k,
            cell(a),
            cell(b),
            ratio,
            human
        );
    }
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn csv_bytes(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    Ok(w.into_inner()?)
}

fn time_s(ns: u64) -> String {
    fmt_f64(ns as f64 / NS_PER_SEC as f64)
}

/// Write every file of [`FILES`] into `out_dir` (atomically); returns the terminal table.
pub fn write_all(out_dir: &Path, inp: &mut Inputs<'_>) -> anyhow::Result<String> {
    let series = series_rows(inp);
    let nodes = inp.tracker.node_rows(inp.node_streams);

    // summary.csv
    let mut rows = run_rows(inp.world_rows);
    let modes = mode_rows(inp, &series, &nodes);
    rows.extend(modes.iter().cloned());
    atomic_write(&out_dir.join("summary.csv"), &summary_csv(&rows)?)?;

    // services.csv
    let srows = services_rows(inp).into_iter().map(|(svc, m, l, syncs)| {
        vec![
            svc,
            mode_name(m).to_string(),
            l.creates.to_string(),
            l.updates.to_string(),
            l.deletes.to_string(),
            l.rejected.to_string(),
            syncs.to_string(),
            l.alive.to_string(),
            l.max.to_string(),
        ]
    });
    atomic_write(
        &out_dir.join("services.csv"),
        &csv_bytes(
            &[
                "service",
                "mode",
                "creates",
                "updates",
                "deletes",
                "rejected",
                "syncs",
                "objects_alive",
                "objects_max",
            ],
            srows,
        )?,
    )?;

    // timeseries.csv
    let trows = series.iter().map(|r| {
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
    atomic_write(
        &out_dir.join("timeseries.csv"),
        &csv_bytes(
            &[
                "time_s",
                "mode",
                "writes",
                "watch_events",
                "bytes_out",
                "bytes_per_node_mean",
                "bytes_per_node_max",
                "objects_alive",
                "endpoints_ready",
            ],
            trows,
        )?,
    )?;

    // syncs.csv
    let mut sync_rows = Vec::with_capacity(inp.syncs.len());
    for r in inp.syncs {
        let bytes = inp
            .tracker
            .take_sync_bytes(r.time_ns, writer_of(r.controller), &r.service);
        let mut rec: Vec<String> = r.record().to_vec();
        rec.insert(8, bytes.to_string());
        sync_rows.push(rec);
    }
    atomic_write(
        &out_dir.join("syncs.csv"),
        &csv_bytes(&SYNCS_HEADER, sync_rows)?,
    )?;

    // node_ingress.csv
    let mut nrows = Vec::new();
    for m in 0..2 {
        if !inp.per_node[m] {
            continue;
        }
        for (name, t) in &nodes {
            nrows.push(vec![
                name.clone(),
                mode_name(m).to_string(),
                t[m].events.to_string(),
                t[m].bytes.to_string(),
            ]);
        }
    }
    atomic_write(
        &out_dir.join("node_ingress.csv"),
        &csv_bytes(&["node", "mode", "watch_events", "bytes"], nrows)?,
    )?;

    // latency_cdf.csv
    let mut lrows = Vec::new();
    for (m, mr) in inp.traffic.modes.iter().enumerate().take(2) {
        for q in 0..=100u32 {
            let Some(v) = percentile_sorted(&mr.latency_ns, f64::from(q)) else {
                break;
            };
            lrows.push(vec![
                mode_name(m).to_string(),
                format!("{:.2}", f64::from(q) / 100.0),
                time_s(v),
            ]);
        }
    }
    atomic_write(
        &out_dir.join("latency_cdf.csv"),
        &csv_bytes(&["mode", "quantile", "seconds"], lrows)?,
    )?;

    // slice_fill.csv
    let mut frows = Vec::new();
    for (s, counts) in &inp.tracker.fill_samples {
        for (k, n) in counts.iter().enumerate() {
            frows.push(vec![
                s.to_string(),
                format!("{:.1}", k as f64 / 10.0),
                format!("{:.1}", (k + 1) as f64 / 10.0),
                n.to_string(),
            ]);
        }
    }
    atomic_write(
        &out_dir.join("slice_fill.csv"),
        &csv_bytes(&["time_s", "fill_lo", "fill_hi", "slices"], frows)?,
    )?;

    // events.csv
    let erows = inp.tracker.markers().into_iter().map(
        |Marker {
             time_ns,
             kind,
             label,
         }| { vec![time_s(time_ns), kind.to_string(), label] },
    );
    atomic_write(
        &out_dir.join("events.csv"),
        &csv_bytes(&["time_s", "kind", "label"], erows)?,
    )?;

    // metrics.prom
    atomic_write(
        &out_dir.join("metrics.prom"),
        prometheus(inp, &nodes).as_bytes(),
    )?;

    Ok(side_by_side(&modes))
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
    fn upstream_endpoint_buckets() {
        let h = endpoints_per_sync_histogram();
        assert_eq!(h.bounds.len(), 15);
        assert_eq!(h.bounds[0], 2.0);
        assert_eq!(h.bounds[14], 32768.0);
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

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(9_419_312.0), "9.0 MiB");
    }
}
