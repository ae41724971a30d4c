//! Fixed controllers + traffic workload: what `slicesim run` does for a 2,000-endpoint
//! rolling update on 200 nodes (EndpointSlice, Endpoints and mirroring controllers, the
//! emulated apiserver, the watch hub with kube-proxy on every node and the client caches,
//! and the output files).
//!
//! `cargo bench --bench controllers` (release profile). Seconds depend on the machine, so the
//! run is also reported as a ratio to baselines measured in the same process: the bare event
//! queue (`sim::EventQueue`) handling as many events as the world processes (as in
//! `benches/world.rs`), and the same scenario's world without controllers. Compare ratios
//! across commits, not seconds. Performance is measured here, never asserted in tests.
//!
//! First, the EndpointSlice controller's per-sync cost on one big Service (20,000 pods on
//! 5,000 nodes, named targetPort, one pod changing per sync, as in a rolling update): the
//! reconciler with its per-pod conversion memo vs the same reconciler converting every pod
//! on every sync (`use_pod_cache = false`, upstream's way), as a ratio measured in the same
//! run. `BENCH_ESC_ONLY=1` stops after it.

mod common;

use common::queue_baseline;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use slicesim::apiserver::{Shared, Store};
use slicesim::cluster::{CountingSink, World, WorldOptions};
use slicesim::controllers::endpointslice::{NodeIndex, Reconciler, ReconcilerOptions, SliceWrite};
use slicesim::k8s;
use slicesim::report::output::run;
use slicesim::run::dispatch::EventLoop;
use slicesim::run::RunOptions;
use slicesim::sim::EventLog;
use std::time::Instant;

const SCENARIO: &str = r#"name = "bench-controllers"
description = "2,000-endpoint rolling update on 200 nodes, all controllers and watchers"
seed = 5
duration = "20m"
[cluster]
nodes = 200
zones = ["zone-a", "zone-b", "zone-c"]
[[workloads]]
name = "api"
replicas = 2000
ports = [{ name = "http", container_port = 8080 }]
ready_delay = "5s..15s"
[[services]]
name = "api"
workload = "api"
ports = [{ name = "http", port = 80, target_port = "http" }]
[[events]]
at = "2m"
type = "rolling_update"
workload = "api"
"#;

fn big_service_pods(n: usize, nodes: usize) -> (k8s::Service, Vec<k8s::Pod>, NodeIndex) {
    let svc: k8s::Service = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "big", "namespace": "default", "uid": "svc-uid",
                     "creationTimestamp": "2026-01-05T08:55:00Z"},
        "spec": {"selector": {"app": "big"}, "clusterIP": "10.96.0.10", "ipFamilies": ["IPv4"],
                 "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"}]}
    }))
    .expect("service");
    let pods = (0..n)
        .map(|i| {
            let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("big-{i}"), "namespace": "default",
                             "uid": format!("uid-{i}"), "labels": {"app": "big"}},
                "spec": {"nodeName": format!("node-{}", i % nodes), "containers": [{"name": "c",
                         "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
                "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                           "conditions": [{"type": "Ready", "status": "True"}]}
            }))
            .expect("pod")
        })
        .collect();
    let mut idx = NodeIndex::default();
    for n in 0..nodes {
        idx.insert(format!("node-{n}"), Some(format!("zone-{}", n % 3)));
    }
    (svc, pods, idx)
}

/// Seconds per sync over `syncs` syncs, each after flipping one pod's readiness.
fn esc_sync_seconds(cached: bool, syncs: usize) -> f64 {
    let (svc, mut pods, nodes) = big_service_pods(20_000, 5_000);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    r.use_pod_cache = cached;
    let mut store: Store<k8s::EndpointSlice> = Store::new();
    let mut sh = Shared::new(1, "t0".into());
    let mut elapsed = 0.0;
    for step in 0..=syncs {
        if step > 0 {
            let i = (step * 7919) % pods.len();
            for c in pods[i].status.conditions.iter_mut().flatten() {
                c.status = if c.status == "True" { "False" } else { "True" }.into();
            }
        }
        let existing: Vec<&k8s::EndpointSlice> = store.list();
        let refs: Vec<&k8s::Pod> = pods.iter().collect();
        let t = Instant::now();
        let res = r.reconcile_borrowed(&svc, &refs, &existing, &nodes, None, &mut rng);
        if step > 0 {
            elapsed += t.elapsed().as_secs_f64();
        }
        for w in res.writes {
            match w {
                SliceWrite::Create(s) => drop(store.create(&mut sh, s)),
                SliceWrite::Update(s) => drop(store.update(&mut sh, s)),
                SliceWrite::Delete(s) => {
                    drop(store.delete("default", s.metadata.name.as_deref().unwrap_or("")))
                }
            }
        }
    }
    elapsed / syncs as f64
}

fn main() {
    let syncs = 30;
    let uncached = esc_sync_seconds(false, syncs);
    let cached = esc_sync_seconds(true, syncs);
    println!(
        "ESC sync, 20,000-endpoint Service, one pod changed: memoised {:.2} ms, converting every pod {:.2} ms; ratio {:.2}",
        cached * 1e3,
        uncached * 1e3,
        cached / uncached.max(1e-12)
    );
    if std::env::var_os("BENCH_ESC_ONLY").is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench-controllers.toml");
    std::fs::write(&path, SCENARIO).expect("write scenario");

    // The world alone: its event count sizes the queue baseline.
    let sc = slicesim::scenario::parse_str(SCENARIO, "bench-controllers.toml", &[])
        .expect("bench scenario");
    let horizon = sc.duration_ns;
    let t0 = Instant::now();
    let mut world = World::new(sc, WorldOptions::default()).expect("world");
    let mut sink = CountingSink::default();
    let mut el = EventLoop::new(&world, EventLog::disabled());
    el.start(&mut world, &mut sink).expect("start");
    while el.step(&mut world, &mut sink).expect("step").is_some() {}
    let world_only = t0.elapsed();
    let events = world.events_processed();

    let opts = RunOptions {
        scenario: path,
        out_dir: Some(dir.path().join("out")),
        controllers: true,
        ..RunOptions::default()
    };
    let t1 = Instant::now();
    run(&opts).expect("run");
    let full = t1.elapsed();

    let base = queue_baseline(events, horizon, 2_000);
    println!(
        "controllers+traffic run {:.3}s  world alone {:.3}s  ({events} world events)",
        full.as_secs_f64(),
        world_only.as_secs_f64()
    );
    println!(
        "baseline: bare queue, same event count {:.3}s; run/baseline ratio {:.0}; run/world ratio {:.1}",
        base.as_secs_f64(),
        full.as_secs_f64() / base.as_secs_f64().max(1e-9),
        full.as_secs_f64() / world_only.as_secs_f64().max(1e-9)
    );
}
