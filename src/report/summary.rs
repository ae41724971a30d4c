//! Run summary (`summary.csv` and the terminal table).
//!
//! `summary.csv` is long-format `scope,metric,value` so later stages (controllers, API
//! server) can add metrics without changing its shape. Scopes: `run`, `changes`,
//! `workload/<name>`. Peak / minimum values are taken over the per-second samples.

use crate::cluster::{CountingSink, World};
use crate::report::timeseries::workload_label;

/// Running per-workload extremes over the samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadSummary {
    pub name: String,
    pub peak_pods_total: u64,
    pub peak_pods_active: u64,
    pub min_pods_available: u64,
    pub peak_pods_terminating: u64,
}

/// Everything `summary.csv` reports.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub workloads: Vec<WorkloadSummary>,
    pub samples: u64,
}

impl Summary {
    pub fn observe(&mut self, world: &World) {
        let first = self.samples == 0;
        self.samples += 1;
        if first {
            self.workloads = world
                .deployments()
                .iter()
                .map(|d| WorkloadSummary {
                    name: workload_label(&d.namespace, &d.name),
                    min_pods_available: u64::MAX,
                    ..Default::default()
                })
                .collect();
        }
        for (ws, d) in self.workloads.iter_mut().zip(world.deployments()) {
            let s = &d.stats;
            ws.peak_pods_total = ws.peak_pods_total.max(s.pods_total);
            ws.peak_pods_active = ws.peak_pods_active.max(s.pods_active);
            ws.min_pods_available = ws.min_pods_available.min(s.pods_available);
            ws.peak_pods_terminating = ws.peak_pods_terminating.max(s.pods_terminating);
        }
    }

    /// `(scope, metric, value)` rows in a fixed order.
    pub fn rows(&self, world: &World, changes: &CountingSink) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        let mut push = |scope: &str, metric: &str, value: String| {
            out.push((scope.to_string(), metric.to_string(), value));
        };
        let sc = world.scenario();
        push("run", "scenario", sc.name.clone());
        push("run", "seed", sc.seed.to_string());
        push(
            "run",
            "duration_s",
            (sc.duration_ns / crate::sim::NS_PER_SEC).to_string(),
        );
        push(
            "run",
            "last_event_time_s",
            crate::sim::fmt_time(world.now()),
        );
        push(
            "run",
            "events_processed",
            world.events_processed().to_string(),
        );
        push(
            "run",
            "resource_version",
            world.resource_version().to_string(),
        );
        let (nt, nr) = world.node_counts();
        push("run", "nodes_total_final", nt.to_string());
        push("run", "nodes_ready_final", nr.to_string());
        for (kind, verb, n) in changes.rows() {
            push("changes", &format!("{kind}_{verb}"), n.to_string());
        }
        for (ws, d) in self.workloads.iter().zip(world.deployments()) {
            let scope = format!("workload/{}", ws.name);
            let s = &d.stats;
            push(&scope, "replicas_final", d.replicas.to_string());
            push(&scope, "pods_created", s.pods_created.to_string());
            push(&scope, "pods_deleted", s.pods_deleted.to_string());
            push(&scope, "replicasets", d.replica_sets.len().to_string());
            push(&scope, "peak_pods_total", ws.peak_pods_total.to_string());
            push(&scope, "peak_pods_active", ws.peak_pods_active.to_string());
            push(
                &scope,
                "peak_pods_terminating",
                ws.peak_pods_terminating.to_string(),
            );
            let min = if ws.min_pods_available == u64::MAX {
                0
            } else {
                ws.min_pods_available
            };
            push(&scope, "min_pods_available", min.to_string());
            push(&scope, "pods_ready_final", s.pods_ready.to_string());
            push(&scope, "pods_available_final", s.pods_available.to_string());
        }
        out
    }

    /// A short human-readable table for the terminal.
    pub fn terminal_table(&self, world: &World, changes: &CountingSink) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let sc = world.scenario();
        let _ = writeln!(
            s,
            "scenario {} (seed {}): {} simulated s, {} events, {} pod / {} node / {} service changes",
            sc.name,
            sc.seed,
            sc.duration_ns / crate::sim::NS_PER_SEC,
            world.events_processed(),
            changes.counts[0].iter().sum::<u64>(),
            changes.counts[1].iter().sum::<u64>(),
            changes.counts[2].iter().sum::<u64>(),
        );
        let _ = writeln!(
            s,
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "workload", "replicas", "peak", "min avail", "created", "deleted", "ready"
        );
        const SHOWN: usize = 20;
        for (ws, d) in self.workloads.iter().zip(world.deployments()).take(SHOWN) {
            let min = if ws.min_pods_available == u64::MAX {
                0
            } else {
                ws.min_pods_available
            };
            let _ = writeln!(
                s,
                "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                ws.name,
                d.replicas,
                ws.peak_pods_total,
                min,
                d.stats.pods_created,
                d.stats.pods_deleted,
                d.stats.pods_ready
            );
        }
        if self.workloads.len() > SHOWN {
            let _ = writeln!(
                s,
                "… and {} more workloads (see summary.csv)",
                self.workloads.len() - SHOWN
            );
        }
        s
    }
}
