//! The hub's report API: Prometheus text parses back with the upstream metric names, summary
//! and time-series rows cover both modes and agree with the totals, propagation latency comes
//! from the trigger-time annotation and the client's delivery + minSyncPeriod, and a run is
//! deterministic (same inputs → identical bytes).

mod published_support;

use published_support::*;
use slicesim::apiserver::write_log::Resource;
use slicesim::k8s;
use slicesim::metrics::{parse_prometheus_text, to_csv};

const S: u64 = 1_000_000_000;

/// 40 pods, both controllers, a few readiness changes spaced by less than minSyncPeriod.
fn run() -> slicesim::apiserver::watch::TrafficReport {
    let sc = scenario("");
    let nodes = node_index(10);
    let svc = service();
    let mut pods: Vec<k8s::Pod> = (0..40).map(|i| pod(i, 0, 10, true, 1)).collect();
    let mut api = Api::new(&sc, 10);
    let mut esc = slice_controller();
    let mut epc = endpoints_controller(1000);
    for (k, t) in [2u64, 2, 3, 30, 30, 31].into_iter().enumerate() {
        api.t = t * S + 500_000_000;
        if k > 0 {
            pods[k] = pod(k, 0, 10, k % 2 == 0, t);
        }
        let r = esc
            .sync(&svc, &pods, &api.existing_slices(), &nodes)
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
fn report_writers() {
    let r = run();
    let text = r.prometheus_text();
    let samples = parse_prometheus_text(&text).expect("parses");
    let get = |name: &str, label: (&str, &str)| {
        samples
            .iter()
            .find(|s| s.name == name && s.labels.iter().any(|(k, v)| k == label.0 && v == label.1))
            .map(|s| s.value)
    };
    for m in &r.modes {
        assert_eq!(
            get("apiserver_watch_events_total", ("mode", m.name())),
            Some(m.watch.events as f64)
        );
        let inf = samples
            .iter()
            .find(|s| {
                s.name == "apiserver_watch_events_sizes_bucket"
                    && s.labels.iter().any(|(k, v)| k == "mode" && v == m.name())
                    && s.labels.iter().any(|(k, v)| k == "le" && v == "+Inf")
            })
            .unwrap();
        assert_eq!(inf.value, m.watch.events as f64);
    }
    assert!(get("endpoint_slice_controller_changes", ("operation", "create")).unwrap() >= 1.0);

    let es = r.mode(Resource::EndpointSlices);
    let ep = r.mode(Resource::Endpoints);
    assert!(es.writes_stored > 0 && ep.writes_stored > 0);
    // Summary rows for both modes, same metric list.
    let rows = r.summary_rows();
    let names = |mode: &str| -> Vec<String> {
        rows.iter()
            .filter(|x| x.mode == mode)
            .map(|x| x.metric.clone())
            .collect()
    };
    assert_eq!(names("endpointslices"), names("endpoints"));
    assert!(rows
        .iter()
        .any(|x| x.metric == "propagation_p99_seconds" && x.mode == "endpointslices"));
    // Time series agree with the totals.
    let ts = r.timeseries_rows();
    for m in &r.modes {
        let w: u64 = ts
            .iter()
            .filter(|x| x.mode == m.name())
            .map(|x| x.writes)
            .sum();
        let e: u64 = ts
            .iter()
            .filter(|x| x.mode == m.name())
            .map(|x| x.watch_events)
            .sum();
        let b: u64 = ts
            .iter()
            .filter(|x| x.mode == m.name())
            .map(|x| x.bytes_out)
            .sum();
        assert_eq!((w, e, b), (m.writes_stored, m.watch.events, m.bytes_out()));
        // Bookmarks every minute for 2 minutes: 10 kube-proxies + 2 CoreDNS + the KCM, plus
        // one before each watch timeout (mean 7.5 min): kube-proxy floor(10 × 120 / 450) = 2.
        assert_eq!(m.bookmarks.events, 2 * 13 + 2);
        assert_eq!(m.rewatches, 2);
    }
    let csv = String::from_utf8(to_csv(&ts).unwrap()).unwrap();
    assert!(csv.starts_with("second,mode,writes,watch_events,bytes_out,bytes_per_node\n"));
    let table = r.side_by_side_table();
    assert!(table.contains("watch_event_bytes") && table.contains("endpoints/es"));
    println!("{table}");

    // Propagation: trigger (pod readiness time, or the Service's creation for the first
    // sync) → slowest kube-proxy applied. Writes happen ≥ 0.5 s after the trigger (the first
    // one 2.5 s after the Service's creation); delivery ≤ 10 ms; the rate limiter adds < 1 s.
    assert!(es.propagation.samples >= 4, "{:?}", es.propagation);
    assert!(es.propagation.p50 >= 500_000_000, "{:?}", es.propagation);
    assert!(es.propagation.max <= 3_510_000_000, "{:?}", es.propagation);
    // Per-node ingress: all 10 nodes from t = 0 receive the same bytes.
    assert_eq!(es.node_ingress.nodes, 10);
    assert_eq!(es.node_ingress.max as f64, es.node_ingress.mean);
    // The per-second per-node series adds up to a node's ingress.
    let per_node: u64 = ts
        .iter()
        .filter(|x| x.mode == "endpointslices")
        .map(|x| x.bytes_per_node)
        .sum();
    assert_eq!(per_node, es.node_ingress.max);
}

#[test]
fn deterministic() {
    let a = run();
    let b = run();
    assert_eq!(a.prometheus_text(), b.prometheus_text());
    assert_eq!(a.timeseries_rows(), b.timeseries_rows());
}
