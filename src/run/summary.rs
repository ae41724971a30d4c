//! Run summary (`summary.csv` and the terminal table).
//!
//! `summary.csv` is long-format `scope,metric,value` so later stages (controllers, API
//! server) can add metrics without changing its shape. Scopes: `run`, `changes`,
//! `workload/<name>`. Peak / minimum values are taken over the per-second samples.

use crate::cluster::{CountingSink, World};
use crate::run::workloads::workload_label;

/// Running per-workload extremes over the samples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkloadSummary {
    pub name: String,
    pub peak_pods_total: u64,
    pub peak_pods_active: u64,
    pub min_pods_available: u64,
    pub peak_pods_terminating: u64,
}

impl WorkloadSummary {
    /// Fold one sample of the Deployment's counters into the extremes.
    fn fold(&mut self, s: &crate::cluster::WorkloadStats) {
        self.peak_pods_total = self.peak_pods_total.max(s.pods_total);
        self.peak_pods_active = self.peak_pods_active.max(s.pods_active);
        self.min_pods_available = self.min_pods_available.min(s.pods_available);
        self.peak_pods_terminating = self.peak_pods_terminating.max(s.pods_terminating);
    }
}

/// Everything `summary.csv` reports.
#[derive(Debug, Clone, Default)]
pub struct WorldSummary {
    pub workloads: Vec<WorkloadSummary>,
    pub samples: u64,
}

impl WorldSummary {
    /// Fold one sample into the peaks and minima. Only the Deployments whose counters
    /// changed since the previous sample are revisited (folding an unchanged value again
    /// changes no maximum or minimum); the first sample visits all.
    pub fn observe(&mut self, world: &mut World) {
        if self.samples == 0 {
            self.observe_all(world);
            world.take_changed_stats(|_, _| {});
            return;
        }
        self.samples += 1;
        let workloads = &mut self.workloads;
        world.take_changed_stats(|i, d| {
            if let Some(ws) = workloads.get_mut(i) {
                ws.fold(&d.stats);
            }
        });
    }

    /// One empty summary per Deployment, in the world's order (the first sample's rows).
    fn start_workloads(&mut self, world: &World) {
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

    /// [`WorldSummary::observe`] visiting every Deployment: the first sample, and the plain
    /// form the tests hold the change-only one against.
    pub fn observe_all(&mut self, world: &World) {
        let first = self.samples == 0;
        self.samples += 1;
        if first {
            self.start_workloads(world);
        }
        for (ws, d) in self.workloads.iter_mut().zip(world.deployments()) {
            ws.fold(&d.stats);
        }
    }

    /// `(scope, metric, value)` rows in a fixed order.
    pub fn rows(&self, world: &World, changes: &CountingSink) -> Vec<(String, String, String)> {
        // Ten rows a workload and a few dozen others.
        let mut out = Vec::with_capacity(64 + 10 * self.workloads.len());
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

/// Pod-level statistics gathered from the change stream: start-up latency (creation → first
/// Ready=True) per workload, and how many pod updates would make the endpoint controllers
/// enqueue Services.
///
/// "Endpoint-relevant" follows `podEndpointsChanged` / labels check of the EndpointSlice
/// controller (endpointslice util/controller_utils.go GetServicesToUpdateOnPodChange): Ready
/// flipped, pod IPs changed, labels changed, or a deletionTimestamp on either side — upstream
/// compares the deletionTimestamp *pointers*, so once a pod is terminating every further update of
/// it counts. cite: kubernetes/endpointslice :: util/controller_utils.go ::
/// GetServicesToUpdateOnPodChange, podEndpointsChanged (v0.34.0)
#[derive(Debug, Default, Clone)]
pub struct PodEventStats {
    /// Per workload index: start-up latencies in ns, in event order.
    pub startup_ns: Vec<Vec<u64>>,
    pub updates_endpoint_relevant: u64,
    pub updates_other: u64,
    /// Pods that have been Ready at least once (membership only, never iterated).
    ready_once: std::collections::HashSet<crate::cluster::PodId, crate::sim::lookup_hash::ByWord>,
}

/// Nearest-rank percentile (`p` in 0..=100) of ascending `v`; None when empty.
fn percentile_sorted(v: &[u64], p: u64) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    let rank = (p * v.len() as u64).div_ceil(100).max(1) as usize;
    v.get(rank - 1).copied()
}

impl PodEventStats {
    /// Nearest-rank percentile (`p` in 0..=100) of a workload's start-up latencies.
    pub fn percentile(&self, workload: usize, p: u64) -> Option<u64> {
        let mut v = self.startup_ns.get(workload)?.clone();
        v.sort_unstable();
        percentile_sorted(&v, p)
    }

    /// Extra summary rows (`workload/<name>` startup percentiles in ms, `changes` relevance).
    pub fn rows(&self, world: &World) -> Vec<(String, String, String)> {
        let mut out = vec![
            (
                "changes".to_string(),
                "Pod_updated_endpoint_relevant".to_string(),
                self.updates_endpoint_relevant.to_string(),
            ),
            (
                "changes".to_string(),
                "Pod_updated_other".to_string(),
                self.updates_other.to_string(),
            ),
        ];
        out.reserve(world.deployments().len() * 5);
        let mut sorted = Vec::new();
        for (i, d) in world.deployments().iter().enumerate() {
            let scope = format!("workload/{}", workload_label(&d.namespace, &d.name));
            let n = self.startup_ns.get(i).map_or(0, |v| v.len());
            out.push((scope.clone(), "pod_startups".into(), n.to_string()));
            // One sorted copy for the four percentiles.
            sorted.clear();
            sorted.extend_from_slice(self.startup_ns.get(i).map_or(&[][..], |v| &v[..]));
            sorted.sort_unstable();
            for p in [50, 90, 99, 100] {
                let v = percentile_sorted(&sorted, p)
                    .map(crate::sim::fmt_time)
                    .unwrap_or_default();
                let name = if p == 100 {
                    "pod_startup_max_s".to_string()
                } else {
                    format!("pod_startup_p{p}_s")
                };
                out.push((scope.clone(), name, v));
            }
        }
        out
    }
}

impl crate::cluster::ChangeSink for PodEventStats {
    fn on_change(
        &mut self,
        now: crate::scenario::Nanos,
        change: &crate::cluster::Change<'_>,
        _world: &World,
    ) {
        use crate::cluster::{Change, ObjChange};
        let Change::Pod(pc) = change else { return };
        match pc {
            ObjChange::Added(p) => {
                if p.is_ready() {
                    self.ready_once.insert(p.id);
                }
            }
            ObjChange::Deleted(p) => {
                self.ready_once.remove(&p.id);
            }
            ObjChange::Updated { old, new } => {
                let relevant = old.is_ready() != new.is_ready()
                    || old.ips != new.ips
                    || old.deletion_timestamp_ns.is_some()
                    || new.deletion_timestamp_ns.is_some()
                    || old.labels() != new.labels();
                if relevant {
                    self.updates_endpoint_relevant += 1;
                } else {
                    self.updates_other += 1;
                }
                // a pod's first Ready=True (later ones are recoveries, not start-ups)
                if new.is_ready() && !old.is_ready() && self.ready_once.insert(new.id) {
                    if self.startup_ns.len() <= new.workload {
                        self.startup_ns.resize(new.workload + 1, Vec::new());
                    }
                    self.startup_ns[new.workload].push(now.saturating_sub(new.creation_ns));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary folded from the changed Deployments only equals the one folded from every
    /// Deployment at every sample, over whole runs with churn, node failures and scaling.
    #[test]
    fn changed_only_observe_equals_full_observe() {
        for src in [
            include_str!("../../scenarios/churn.toml"),
            include_str!("../../scenarios/node-failure.toml"),
            include_str!("../../scenarios/scale-0-250-0.toml"),
            include_str!("../../scenarios/rolling-update-1000.toml"),
        ] {
            let mut world = crate::testutil::world(src);
            let mut events =
                crate::run::dispatch::EventLoop::new(&world, crate::sim::EventLog::disabled());
            let (mut fast, mut full) = (WorldSummary::default(), WorldSummary::default());
            let mut sink = CountingSink::default();
            crate::run::drive(&mut events, &mut world, &mut sink, |_, w| {
                fast.observe(w);
                full.observe_all(w);
                assert_eq!(fast.workloads, full.workloads);
                Ok(())
            })
            .unwrap();
            assert!(full.samples > 1);
            assert_eq!(fast.samples, full.samples);
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s = PodEventStats {
            startup_ns: vec![(1..=10).map(|x| x * 1000).collect()],
            ..Default::default()
        };
        assert_eq!(s.percentile(0, 50), Some(5000));
        assert_eq!(s.percentile(0, 90), Some(9000));
        assert_eq!(s.percentile(0, 99), Some(10000));
        assert_eq!(s.percentile(0, 100), Some(10000));
        assert_eq!(s.percentile(0, 0), Some(1000));
        assert_eq!(s.percentile(1, 50), None);
    }
}
