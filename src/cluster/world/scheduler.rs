//! The scheduler: a placement policy ([`SchedulerPolicy`], default [`Spread`]) and binding.

use super::*;

/// What a placement policy reads: a snapshot of the schedulable nodes and their load.
pub struct PlacementView<'a> {
    /// Schedulable nodes (existing, Ready, untainted, uncordoned, under maxPods) as
    /// `(pods on the node, tie-break key, node)`, ascending.
    pub(super) candidates: &'a BTreeSet<(u32, u64, NodeId)>,
    pub(super) nodes: &'a [Node],
    pub(super) cpu_used_milli: &'a [u64],
}

impl PlacementView<'_> {
    /// Schedulable nodes, least loaded first (ties by a per-node key drawn once from the
    /// scheduling stream).
    pub fn least_loaded(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.candidates.iter().map(|&(_, _, n)| n)
    }
    pub fn node(&self, n: NodeId) -> &Node {
        &self.nodes[n]
    }
    /// CPU requested by the pods bound to `n`.
    pub fn cpu_used_milli(&self, n: NodeId) -> u64 {
        self.cpu_used_milli[n]
    }
}

/// Where a new pod of `workload` goes: a node of the view, or none (the pod waits for
/// capacity and is retried when it changes). Reads the snapshot only, so a policy cannot
/// change the world it places into.
pub trait SchedulerPolicy {
    fn pick_node(
        &self,
        view: &PlacementView<'_>,
        workload: &crate::scenario::Workload,
    ) -> Option<NodeId>;
}

/// The spread policy (the default): least-loaded schedulable node (pods on node), ties broken
/// by a per-node random key drawn once from the scheduling stream; respects maxPods, CPU
/// requests, the workload's allowed zones and node taints/cordons. (kube-scheduler's default
/// scoring spreads replicas similarly; exact scores are not modelled.)
#[derive(Debug, Clone, Copy, Default)]
pub struct Spread;

impl SchedulerPolicy for Spread {
    fn pick_node(
        &self,
        view: &PlacementView<'_>,
        wl: &crate::scenario::Workload,
    ) -> Option<NodeId> {
        let cpu = wl.cpu_request_milli;
        view.least_loaded().find(|&n| {
            let node = view.node(n);
            (wl.zones.is_empty() || wl.zones.contains(&node.zone))
                && (cpu == 0 || view.cpu_used_milli(n) + cpu <= node.allocatable_cpu_milli)
        })
    }
}

impl World {
    /// Place a pod of workload `w` with the world's policy.
    pub(super) fn pick_node(&self, w: usize) -> Option<NodeId> {
        let view = PlacementView {
            candidates: &self.sched,
            nodes: &self.nodes,
            cpu_used_milli: &self.node_cpu_used,
        };
        self.scheduler.pick_node(&view, &self.scenario.workloads[w])
    }

    /// Bind pod `id` to node `n`; `sink` `None`: the t = 0 build, announced later (see
    /// [`World::write_pod_to`]).
    pub(super) fn bind_to(&mut self, id: PodId, n: NodeId, sink: Option<&mut dyn ChangeSink>) {
        let now = self.queue.now();
        let name = self.nodes[n].name.clone();
        self.write_pod_to(id, sink, |p| {
            p.node = Some(n);
            p.node_name = Some(name);
            p.scheduled = Some(Condition {
                status: true,
                last_transition_ns: now,
            });
        });
    }

    pub(super) fn bind_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let Some(p) = self.pod(id) else { return };
        if p.node.is_some() || p.is_terminating() {
            return;
        }
        let w = p.workload;
        if self.bind_daemon_pod(id, sink) {
            return;
        }
        match self.pick_node(w) {
            Some(n) => {
                self.bind_to(id, n, Some(sink));
                self.after_bind(id, n);
            }
            None => {
                let seq = self.create_seq(id);
                self.unscheduled.insert((seq, id));
            }
        }
    }

    pub(super) fn after_bind(&mut self, id: PodId, n: NodeId) {
        if !self.nodes[n].kubelet_up {
            return;
        }
        let Some(p) = self.pod(id) else { return };
        let (w, e) = (p.workload, p.ready_epoch);
        let d = self.scenario.workloads[w]
            .readiness
            .ip_delay
            .sample(&mut self.rng_lifecycle);
        self.queue.schedule_in(d, WorldEvent::PodSandbox(id, e));
    }

    pub(super) fn retry_scheduling(&mut self, sink: &mut dyn ChangeSink) {
        self.retry_scheduling_pending = false;
        let waiting: Vec<(u64, PodId)> = self.unscheduled.iter().copied().collect();
        for (seq, id) in waiting {
            let Some(p) = self.pod(id) else {
                self.unscheduled.remove(&(seq, id));
                continue;
            };
            let w = p.workload;
            if let Some(n) = self.pick_node(w) {
                self.unscheduled.remove(&(seq, id));
                self.bind_to(id, n, Some(sink));
                self.after_bind(id, n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::NullSink;

    /// Packs pods: the most loaded schedulable node that fits.
    struct Pack;

    impl SchedulerPolicy for Pack {
        fn pick_node(
            &self,
            view: &PlacementView<'_>,
            _wl: &crate::scenario::Workload,
        ) -> Option<NodeId> {
            view.least_loaded().last()
        }
    }

    fn pods_per_node(policy: Option<Box<dyn SchedulerPolicy>>) -> Vec<usize> {
        let src = r#"
name = "sched"
duration = "1m"
[cluster]
nodes = 3
[[workloads]]
name = "web"
replicas = 6
"#;
        let sc = crate::scenario::parse_str(src, "sched.toml", &[]).unwrap();
        let mut w = World::new(sc, WorldOptions::default()).unwrap();
        if let Some(p) = policy {
            w.set_scheduler(p);
        }
        w.start(&mut NullSink).unwrap();
        let mut per: Vec<usize> = (0..3).map(|n| w.pods_on_node(n).count()).collect();
        per.sort_unstable();
        per
    }

    #[test]
    fn spread_is_the_default_policy() {
        assert_eq!(pods_per_node(None), vec![2, 2, 2]);
        assert_eq!(pods_per_node(Some(Box::new(Spread))), vec![2, 2, 2]);
    }

    #[test]
    fn another_policy_places_through_the_same_seam() {
        assert_eq!(pods_per_node(Some(Box::new(Pack))), vec![0, 0, 6]);
    }
}
