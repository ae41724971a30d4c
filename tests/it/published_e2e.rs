//! KEP-752's rolling-update comparison end to end: the bundled `kep752-20k-endpoints` scenario
//! run through `slicesim run` (world, all controllers, apiserver, watch fan-out, clients), at a
//! size CI can afford, with every claim checked on the run's own `summary.csv`.
//!
//! Scaling: 1,500 endpoints on 40 nodes instead of 20,000 on 5,000. The claims are per write
//! (one write → one watch event per kube-proxy) or about object sizes relative to a limit, so they
//! hold at any size once the Service is above the Endpoints `max_capacity` (1,000). For the
//! pre-1.22 case the etcd request limit is scaled with the Service: 20,000 addresses
//! (≈ 2.2 MB of protobuf) exceed etcd's 1.5 MiB; 1,500 addresses (≈ 160 KB) exceed a 100 KB
//! limit, while a 100-endpoint slice (≈ 12 KB) fits both. The full-size runs are
//! `scripts/reproduce-kep752.sh` (figures in README "Performance of controller + traffic runs").

use std::collections::BTreeMap;
use std::path::Path;

use slicesim::report::output::run;
use slicesim::run::RunOptions;

const NODES: u64 = 40;
const REPLICAS: u64 = 1500;

/// Run the KEP scenario scaled down, with extra `--set` overrides; summary.csv as
/// (mode, metric) → value.
fn kep752(extra: &[&str]) -> BTreeMap<(String, String), f64> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut overrides = vec![
        format!("cluster.nodes={NODES}"),
        format!("workloads[0].replicas={REPLICAS}"),
        "duration=\"12m\"".to_string(),
    ];
    overrides.extend(extra.iter().map(|s| s.to_string()));
    run(&RunOptions {
        scenario: Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kep752-20k-endpoints.toml"),
        out_dir: Some(dir.path().to_path_buf()),
        overrides,
        controllers: true,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("kep752 run: {e:#}"));
    let text = std::fs::read_to_string(dir.path().join("summary.csv")).expect("summary.csv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.splitn(3, ',');
            let (m, k, v) = (f.next()?, f.next()?, f.next()?);
            Some(((m.to_string(), k.to_string()), v.parse().ok()?))
        })
        .collect()
}

fn get(s: &BTreeMap<(String, String), f64>, mode: &str, metric: &str) -> f64 {
    *s.get(&(mode.to_string(), metric.to_string()))
        .unwrap_or_else(|| panic!("summary.csv has no {mode},{metric}"))
}

/// (a) vs (b), Kubernetes 1.32 defaults: a full rolling update of a Service above 1,000
/// endpoints; then (c) (see [`check_pre_122`]).
/// - Every stored write, in both modes, reaches every kube-proxy once (their label selector
///   matches this Service's objects): kube-proxy events = writes × nodes.
/// - The Endpoints object is truncated to 1,000 addresses with the over-capacity annotation on
///   every write (the Service never drops below 1,000 pods during the surge), so its clients
///   end with 1,000 of the 1,500 endpoints; EndpointSlice clients see all 1,500, and only the
///   Endpoints mode leaves pod changes that never become visible.
/// - A write costs each node far more with Endpoints (the whole 1,000-address object) than with
///   slices (≤ 100 endpoints): the KEP's ~100× is per endpoint count at 100 per slice; with
///   truncation the object holds 1,000, so the per-write ratio is ~10×, reduced by the slices'
///   extra per-endpoint fields and metadata. Checked: > 4×.
#[test]
fn kep752_rolling_update_v132() {
    let s = kep752(&[]);
    check_v132(&s);
    // (c) below, in the same test so the EndpointSlice rows of both runs can be compared.
    let c = kep752(&[
        "controllers.endpoints.max_capacity=0",
        "apiserver.etcd_max_request_bytes=100000",
    ]);
    check_pre_122(&c);
    // Both modes run from the same pod timeline with their own random streams (informer lag,
    // sync durations), so the EndpointSlice world is the same whatever the Endpoints settings.
    let es = |m: &BTreeMap<(String, String), f64>| -> Vec<((String, String), f64)> {
        m.iter()
            .filter(|((mode, _), _)| mode == "endpointslices")
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    };
    assert_eq!(es(&s), es(&c));
}

fn check_v132(s: &BTreeMap<(String, String), f64>) {
    for mode in ["endpointslices", "endpoints"] {
        let writes = get(s, mode, "writes_stored");
        assert!(writes > 0.0, "{mode}: no writes");
        assert_eq!(
            get(s, mode, "watch_events_kube_proxy"),
            writes * NODES as f64,
            "{mode}: one event per kube-proxy per write"
        );
    }
    let ep_writes = get(s, "endpoints", "writes_stored");
    let truncated = get(s, "endpoints", "writes_truncated");
    assert!(
        truncated >= 0.9 * ep_writes,
        "Endpoints writes truncated: {truncated} of {ep_writes}"
    );
    assert_eq!(get(s, "endpointslices", "writes_truncated"), 0.0);
    assert_eq!(get(s, "endpoints", "endpoints_ready_final"), 1000.0);
    assert_eq!(
        get(s, "endpointslices", "endpoints_ready_final"),
        REPLICAS as f64
    );
    assert!(get(s, "endpoints", "propagation_unresolved") > 0.0);
    assert_eq!(get(s, "endpointslices", "propagation_unresolved"), 0.0);
    let per_write =
        |m: &str| get(s, m, "watch_event_bytes_kube_proxy") / get(s, m, "writes_stored");
    let ratio = per_write("endpoints") / per_write("endpointslices");
    assert!(
        ratio > 4.0,
        "Endpoints/EndpointSlices bytes per write: {ratio}"
    );
    assert_eq!(get(s, "endpoints", "writes_rejected_oversize"), 0.0);
}

/// (c) Endpoints before 1.22 (`max_capacity = 0`): the untruncated object exceeds the (scaled)
/// etcd request limit, so every Endpoints write is rejected as too large and nothing is
/// published to its watchers, while the slices of the same Service fit and publish every change.
fn check_pre_122(s: &BTreeMap<(String, String), f64>) {
    assert!(get(s, "endpoints", "writes_rejected_oversize") > 0.0);
    assert_eq!(get(s, "endpoints", "writes_stored"), 0.0);
    assert_eq!(get(s, "endpoints", "watch_events_kube_proxy"), 0.0);
    assert_eq!(get(s, "endpoints", "writes_truncated"), 0.0);
    assert_eq!(get(s, "endpointslices", "writes_rejected_oversize"), 0.0);
    assert_eq!(
        get(s, "endpointslices", "endpoints_ready_final"),
        REPLICAS as f64
    );
    assert!(get(s, "endpointslices", "largest_object_bytes") < 100_000.0);
}
