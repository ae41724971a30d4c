//! Fixed controllers + traffic workload: what `slicesim run` does for a 2,000-endpoint
//! rolling update on 200 nodes (EndpointSlice, Endpoints and mirroring controllers, the
//! emulated apiserver, the watch hub with kube-proxy on every node and the client caches,
//! and the output files).
//!
//! `cargo bench --bench controllers` (release profile). Seconds depend on the machine, so the
//! run is also reported as a ratio to baselines measured in the same process: the bare event
//! queue (`sim::EventQueue`) handling as many events as the world processes (as in
//! `benches/engine.rs`), and the same scenario's world without controllers. Compare ratios
//! across commits, not seconds. Performance is measured here, never asserted in tests.

mod common;

use common::queue_baseline;
use slicesim::cluster::{CountingSink, World, WorldOptions};
use slicesim::report::run::{run, RunOptions};
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

fn main() {
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
    world.start(&mut sink).expect("start");
    while world.step(&mut sink).expect("step").is_some() {}
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
