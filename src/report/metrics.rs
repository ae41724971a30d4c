//! `metrics.prom`: Prometheus text exposition of the run's end state.

use std::collections::BTreeMap;

use super::summary::node_stats;
use super::{mode_name, Inputs};
use crate::apiserver::write_log::Resource;
use crate::controllers::manager::{ControllerKind, SyncResult};
use crate::metrics::{prometheus_text, Histogram, PromFamily};
use crate::run::track::{NodeTotals, MODES};
use crate::run::RunResults;
use crate::scenario::NS_PER_SEC;

/// The bytes of `metrics.prom`.
pub fn prom(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let nodes = inp.tracker.node_rows(inp.node_streams);
    Ok(prometheus(&inp, &nodes).into_bytes())
}

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
                .get(&*r.service)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_endpoint_buckets() {
        let h = endpoints_per_sync_histogram();
        assert_eq!(h.bounds.len(), 15);
        assert_eq!(h.bounds[0], 2.0);
        assert_eq!(h.bounds[14], 32768.0);
    }
}
