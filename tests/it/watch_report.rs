//! The hub's report: per-second series agree with the totals, bookmarks and re-watches follow
//! the member-seconds, every kube-proxy present from t = 0 receives the same bytes, and a run is
//! deterministic (same inputs → equal reports). The files built from this report (summary.csv,
//! timeseries.csv, metrics.prom, the terminal table) are checked in `run_outputs.rs`.

use crate::published_support;

use published_support::*;
use slicesim::apiserver::write_log::Resource;
use slicesim::k8s;

const S: u64 = 1_000_000_000;

/// 40 pods, both controllers, a few readiness changes spaced by less than minSyncPeriod.
fn run() -> slicesim::apiserver::watch::TrafficReport {
    let sc = scenario("");
    let nodes = node_index(10);
    let svc = service();
    let mut pods: Vec<k8s::Pod> = (0..40).map(|i| pod(i, 0, 10, true, 1)).collect();
    let mut api = Api::new(&sc, 10);
    let mut esc = slice_controller();
    let mut rng = choice_rng();
    let mut epc = endpoints_controller(1000);
    for (k, t) in [2u64, 2, 3, 30, 30, 31].into_iter().enumerate() {
        api.t = t * S + 500_000_000;
        if k > 0 {
            pods[k] = pod(k, 0, 10, k % 2 == 0, t);
        }
        let r = esc
            .sync(&svc, &pods, &api.existing_slices(), &nodes, &mut rng)
            .reconciled()
            .expect("sync");
        api.apply_slices(&mut esc, r.writes);
        let cur = api.endpoints.get("default", "web").cloned();
        let w = epc.sync(&svc, &pods, cur.as_ref());
        assert!(api.apply_endpoints(&mut epc, w));
    }
    let Api { hub, .. } = api;
    hub.finish(120 * S)
}

#[test]
fn series_bookmarks_and_node_ingress() {
    let r = run();
    let es = r.mode(Resource::EndpointSlices);
    let ep = r.mode(Resource::Endpoints);
    assert!(es.writes_stored > 0 && ep.writes_stored > 0);
    assert!(es.writes_by_verb.get("create").is_some_and(|&n| n >= 1));
    for m in &r.modes {
        // Time series agree with the totals.
        let b = &m.series.buckets;
        let w: u64 = b.values().map(|x| x.writes).sum();
        let e: u64 = b.values().map(|x| x.watch_events).sum();
        let by: u64 = b.values().map(|x| x.bytes_out).sum();
        assert_eq!((w, e, by), (m.writes_stored, m.watch.events, m.bytes_out()));
        // The size histogram counts every event.
        assert_eq!(m.event_sizes.counts.iter().sum::<u64>(), m.watch.events);
        // Bookmarks every minute for 2 minutes: 10 kube-proxies + 2 CoreDNS + the KCM, plus
        // one before each watch timeout (mean 7.5 min): kube-proxy floor(10 × 120 / 450) = 2.
        assert_eq!(m.bookmarks.events, 2 * 13 + 2);
        assert_eq!(m.rewatches, 2);
    }
    // Per-node ingress: all 10 nodes from t = 0 receive the same bytes.
    assert_eq!(es.node_ingress.nodes, 10);
    assert_eq!(es.node_ingress.max as f64, es.node_ingress.mean);
    // The per-second per-node series adds up to a node's ingress.
    let per_node: u64 = es.series.buckets.values().map(|x| x.bytes_per_node).sum();
    assert_eq!(per_node, es.node_ingress.max);
}

#[test]
fn deterministic() {
    assert_eq!(run(), run());
}
