//! The scheduler policy (spread: least-loaded schedulable node) and binding.

use super::*;

impl World {
    /// The spread scheduler: least-loaded schedulable node (pods on node), ties broken by a
    /// per-node random key drawn once from the scheduling stream; respects maxPods, CPU
    /// requests, the workload's allowed zones and node taints/cordons. (kube-scheduler's
    /// default scoring spreads replicas similarly; exact scores are not modelled.)
    pub(super) fn pick_node(&self, w: usize) -> Option<NodeId> {
        let wl = &self.scenario.workloads[w];
        let cpu = wl.cpu_request_milli;
        self.sched.iter().map(|&(_, _, n)| n).find(|&n| {
            (wl.zones.is_empty() || wl.zones.contains(&self.nodes[n].zone))
                && (cpu == 0 || self.node_cpu_used[n] + cpu <= self.nodes[n].allocatable_cpu_milli)
        })
    }

    pub(super) fn bind_to(&mut self, id: PodId, n: NodeId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let name = self.nodes[n].name.clone();
        self.write_pod(id, sink, |p| {
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
        match self.pick_node(w) {
            Some(n) => {
                self.bind_to(id, n, sink);
                self.after_bind(id, n);
            }
            None => {
                let seq = self.pod_create_seq.get(&id).copied().unwrap_or(0);
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
                self.bind_to(id, n, sink);
                self.after_bind(id, n);
            }
        }
    }
}
