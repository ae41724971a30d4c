//! Fixed-workload benchmark of the cluster world (`cluster::World`) at Kubernetes' published
//! scale envelope: 5,000 nodes, 150,000 pods (one 20,000-replica Deployment + 1,300 × 100), a rolling update
//! of the 20,000-replica Deployment and 20 pod deletions/s of churn for 20 minutes.
//!
//! `cargo bench --bench world` (release profile). Prints wall time and events/s, and — because
//! seconds depend on the machine — the run time as a ratio to a baseline measured in the same
//! process: the bare event queue (`sim::EventQueue`) scheduling and popping the same number of
//! events with the same time spread and no work attached. The ratio is "cost of one simulated
//! event relative to one queue operation"; compare ratios across commits, not seconds.
//! Performance is measured here, never asserted in tests.

mod common;

use common::queue_baseline;
use slicesim::cluster::{CountingSink, World, WorldOptions};
use slicesim::run::dispatch::EventLoop;
use slicesim::sim::EventLog;
use std::time::Instant;

fn scenario_text() -> String {
    let mut s = String::from(
        r#"name = "bench-envelope"
description = "5,000 nodes, 150,000 pods, 20k-replica rolling update, churn"
seed = 11
duration = "30m"
[cluster]
nodes = 5000
zones = ["a", "b", "c"]
pod_cidrs = ["10.128.0.0/9"]
[[workloads]]
name = "big"
replicas = 20000
ports = [{ name = "http", container_port = 8080 }]
ready_delay = "5s..15s"
[[services]]
name = "big"
workload = "big"
ports = [{ name = "http", port = 80, target_port = "http" }]
"#,
    );
    for i in 0..1300 {
        s.push_str(&format!(
            "[[workloads]]\nname = \"w{i}\"\nreplicas = 100\nports = [{{ name = \"http\", container_port = 8080 }}]\n"
        ));
    }
    s.push_str("[[events]]\nat = \"2m\"\ntype = \"rolling_update\"\nworkload = \"big\"\n");
    s.push_str("[[events]]\nat = \"1m\"\ntype = \"churn\"\nrate = \"20/s\"\nduration = \"20m\"\n");
    s
}

fn main() {
    let text = scenario_text();
    let t0 = Instant::now();
    let sc = slicesim::scenario::parse_str(&text, "bench.toml", &[]).expect("bench scenario");
    let parse = t0.elapsed();
    let t1 = Instant::now();
    let mut world = World::new(sc, WorldOptions::default()).expect("world");
    let mut sink = CountingSink::default();
    let mut el = EventLoop::new(&world, EventLog::disabled());
    el.start(&mut world, &mut sink).expect("start");
    let start = t1.elapsed();
    let t2 = Instant::now();
    while el.step(&mut world, &mut sink).expect("step").is_some() {}
    let run = t2.elapsed();
    let events = world.events_processed();
    let changes: u64 = sink.counts.iter().flatten().sum();
    println!(
        "parse {:.3}s  start (150k pods) {:.3}s  run {:.3}s",
        parse.as_secs_f64(),
        start.as_secs_f64(),
        run.as_secs_f64()
    );
    println!(
        "{events} events, {changes} object changes, {:.0} events/s",
        events as f64 / run.as_secs_f64().max(1e-9)
    );
    let base = queue_baseline(events, 30 * 60 * 1_000_000_000, 150_000);
    println!(
        "baseline: bare queue, same event count {:.3}s; run/baseline ratio {:.1}",
        base.as_secs_f64(),
        run.as_secs_f64() / base.as_secs_f64().max(1e-9)
    );
}
