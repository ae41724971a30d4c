//! The kubelet side of a pod: sandbox and IP, readiness, graceful deletion, exit, flapping.

use super::*;

impl World {
    /// Sandbox up: allocate the IP(s). With `ready_now` (t = 0 steady state) or a zero ready
    /// delay, Ready is reported in the same status update. `sink` `None`: the t = 0 build,
    /// announced later (see [`World::write_pod_to`]).
    pub(super) fn give_ip(
        &mut self,
        id: PodId,
        sink: Option<&mut dyn ChangeSink>,
        ready_now: bool,
    ) -> bool {
        let now = self.queue.now();
        let Some(p) = self.pod(id) else { return false };
        let Some(n) = p.node else { return false };
        let (w, e) = (p.workload, p.ready_epoch);
        let Some((off, mut ips)) = self.node_ipam[n].allocate() else {
            self.queue
                .schedule_in(IP_RETRY_NS, WorldEvent::PodSandbox(id, e));
            return false;
        };
        let ready_delay = if ready_now {
            0
        } else {
            self.scenario.workloads[w]
                .readiness
                .ready_delay
                .sample(&mut self.rng_lifecycle)
        };
        let min_ready = self.scenario.workloads[w].min_ready_ns;
        let ready = ready_delay == 0;
        let mut epoch = 0;
        // held by every version of the pod: no spare capacity (a collected Vec has room for 4)
        ips.shrink_to_fit();
        self.write_pod_to(id, sink, |p| {
            p.ip_offset = Some(off);
            p.ips = ips;
            p.phase = PodPhase::Running;
            let c = Condition {
                status: ready,
                last_transition_ns: now,
            };
            p.containers_ready = Some(c);
            p.ready = Some(c);
            p.ready_epoch += 1;
            epoch = p.ready_epoch;
            if ready && (min_ready == 0 || ready_now) {
                p.available = true;
            }
        });
        if !ready {
            self.queue
                .schedule_in(ready_delay, WorldEvent::PodReady(id, epoch));
        } else if min_ready > 0 && !ready_now {
            self.queue
                .schedule_in(min_ready, WorldEvent::PodAvailable(id, epoch));
        }
        true
    }

    pub(super) fn kubelet_can_run(&self, id: PodId) -> Option<&Pod> {
        let p = self.pod(id)?;
        let n = p.node?;
        if !self.nodes[n].kubelet_up {
            return None;
        }
        Some(p)
    }

    pub(super) fn pod_sandbox(&mut self, id: PodId, epoch: u32, sink: &mut dyn ChangeSink) {
        let Some(p) = self.kubelet_can_run(id) else {
            return;
        };
        if p.ready_epoch != epoch || p.is_terminating() || !p.ips.is_empty() {
            return;
        }
        self.give_ip(id, Some(sink), false);
    }

    pub(super) fn pod_ready(&mut self, id: PodId, epoch: u32, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(p) = self.kubelet_can_run(id) else {
            return;
        };
        if p.ready_epoch != epoch || p.is_terminating() || p.ips.is_empty() || p.is_ready() {
            return;
        }
        let min_ready = self.scenario.workloads[p.workload].min_ready_ns;
        self.write_pod(id, sink, |p| {
            let c = Condition {
                status: true,
                last_transition_ns: now,
            };
            p.ready = Some(c);
            p.containers_ready = Some(c);
            if min_ready == 0 {
                p.available = true;
            }
        });
        if min_ready > 0 {
            self.queue
                .schedule_in(min_ready, WorldEvent::PodAvailable(id, epoch));
        }
    }

    pub(super) fn pod_available(&mut self, id: PodId, epoch: u32) {
        let Some(p) = self.pod(id) else { return };
        if p.ready_epoch != epoch || !p.is_ready() || !p.is_active() {
            return;
        }
        self.set_pod_internal(id, |p| p.available = true);
    }

    /// Graceful delete (kubectl delete / eviction / ReplicaSet scale-down).
    pub(super) fn delete_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(p) = self.pod(id) else { return };
        if p.is_terminating() {
            return;
        }
        if p.node.is_none() || p.phase.is_terminal() {
            self.remove_pod(id, sink);
            return;
        }
        let w = p.workload;
        let grace = p.termination_grace_ns;
        self.write_pod(id, sink, |p| {
            p.deletion_timestamp_ns = Some(now + grace);
            p.deletion_grace_period_s = Some(grace / NS_PER_SEC);
            p.available = false;
        });
        if self.kubelet_can_run(id).is_none() {
            return;
        }
        let term = self.scenario.workloads[w].termination;
        let not_serving = term
            .not_serving_after
            .sample(&mut self.rng_lifecycle)
            .min(grace);
        let exit = term.exit_after.sample(&mut self.rng_lifecycle).min(grace);
        if not_serving < exit {
            self.queue
                .schedule_in(not_serving, WorldEvent::PodNotServing(id));
        }
        self.queue.schedule_in(exit, WorldEvent::PodExit(id));
    }

    pub(super) fn pod_not_serving(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(p) = self.kubelet_can_run(id) else {
            return;
        };
        if !p.is_ready() && !p.containers_ready.is_some_and(|c| c.status) {
            return;
        }
        self.write_pod(id, sink, |p| {
            let c = Condition {
                status: false,
                last_transition_ns: now,
            };
            p.ready = Some(c);
            p.containers_ready = Some(c);
        });
    }

    pub(super) fn pod_exit(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(p) = self.kubelet_can_run(id) else {
            return;
        };
        if !p.is_terminating() {
            return;
        }
        // kubelet: terminal phase status update, then delete with grace 0
        self.write_pod(id, sink, |p| {
            p.phase = PodPhase::Succeeded;
            let c = Condition {
                status: false,
                last_transition_ns: now,
            };
            if p.ready.is_some_and(|r| r.status) {
                p.ready = Some(c);
            }
            if p.containers_ready.is_some_and(|r| r.status) {
                p.containers_ready = Some(c);
            }
        });
        self.remove_pod(id, sink);
    }

    pub(super) fn flap_tick(&mut self, w: usize, sink: &mut dyn ChangeSink) {
        let Some(f) = self.scenario.workloads[w].flapping else {
            return;
        };
        let now = self.queue.now();
        let rss = self.deployments[w].replica_sets.clone();
        let mut down = Vec::new();
        for r in rss {
            for id in self.replica_sets[r].active.iter() {
                let Some(p) = self.pod(id) else { continue };
                if !p.is_ready() || p.node.map_or(true, |n| !self.nodes[n].kubelet_up) {
                    continue;
                }
                if self.rng_flap.gen_range(0..1_000_000u32) < f.probability_ppm {
                    down.push(id);
                }
            }
        }
        for id in down {
            let mut epoch = 0;
            let wrote = self.write_pod(id, sink, |p| {
                let c = Condition {
                    status: false,
                    last_transition_ns: now,
                };
                p.ready = Some(c);
                p.containers_ready = Some(c);
                p.available = false;
                p.ready_epoch += 1;
                epoch = p.ready_epoch;
            });
            if wrote {
                let d = f.down.sample(&mut self.rng_flap);
                self.queue.schedule_in(d, WorldEvent::PodReady(id, epoch));
            }
        }
        self.queue.schedule_in(f.period_ns, WorldEvent::FlapTick(w));
    }
}
