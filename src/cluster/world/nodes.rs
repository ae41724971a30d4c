//! Nodes: creation, failure detection (Ready=Unknown, taints, MarkPodsNotReady), eviction,
//! recovery, removal and pod GC of orphans.

use super::*;

impl World {
    pub(super) fn add_node(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
        if n >= self.nodes.len() || self.nodes[n].exists {
            return;
        }
        let now = self.queue.now();
        let rv = write_rv(&mut self.resource_version);
        let node = &mut self.nodes[n];
        node.exists = true;
        node.kubelet_up = true;
        node.creation_ns = now;
        node.ready = NodeReady::True;
        node.ready_transition_ns = now;
        node.resource_version = rv;
        self.refresh_sched(n, 0);
        sink.on_change(now, &Change::Node(ObjChange::Added(&self.nodes[n])), self);
        self.enqueue_retry_scheduling();
        self.enqueue_daemon_set_syncs();
    }

    pub(super) fn write_node(
        &mut self,
        n: NodeId,
        sink: &mut dyn ChangeSink,
        f: impl FnOnce(&mut Node),
    ) {
        let now = self.queue.now();
        let load = self.node_pods[n].len() as u32;
        let old = self.nodes[n].clone();
        f(&mut self.nodes[n]);
        self.refresh_sched(n, load);
        if self.nodes[n] != old {
            self.nodes[n].resource_version = write_rv(&mut self.resource_version);
            sink.on_change(
                now,
                &Change::Node(ObjChange::Updated {
                    old: &old,
                    new: &self.nodes[n],
                }),
                self,
            );
        }
    }

    pub(super) fn delete_node_object(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
        if !self.nodes[n].exists {
            return;
        }
        let now = self.queue.now();
        let load = self.node_pods[n].len() as u32;
        self.nodes[n].exists = false;
        self.nodes[n].kubelet_up = false;
        self.node_delete_when_empty[n] = false;
        self.node_epoch[n] += 1;
        self.refresh_sched(n, load);
        let mut last = self.nodes[n].clone();
        last.resource_version = write_rv(&mut self.resource_version);
        sink.on_change(now, &Change::Node(ObjChange::Deleted(&last)), self);
        self.enqueue_daemon_set_syncs();
        if !self.node_pods[n].is_empty() {
            self.queue
                .schedule_in(POD_GC_ORPHAN_DELAY_NS, WorldEvent::PodGc(n));
        }
    }

    /// Resolve a node selection among existing nodes; `want_up` restricts it to nodes whose
    /// kubelet is (`Some(true)`) or is not (`Some(false)`) running.
    pub(super) fn select_nodes(
        &mut self,
        sel: &NodeSelection,
        want_up: Option<bool>,
    ) -> Vec<NodeId> {
        let eligible = |w: &World, n: NodeId| {
            w.nodes
                .get(n)
                .is_some_and(|x| x.exists && want_up.map_or(true, |u| x.kubelet_up == u))
        };
        match sel {
            NodeSelection::Nodes(v) => v.iter().copied().filter(|&n| eligible(self, n)).collect(),
            NodeSelection::Zone(z) => (0..self.nodes.len())
                .filter(|&n| self.nodes[n].zone == *z && eligible(self, n))
                .collect(),
            NodeSelection::Random { count, zone } => {
                let mut pool: Vec<NodeId> = (0..self.nodes.len())
                    .filter(|&n| {
                        eligible(self, n) && zone.map_or(true, |z| self.nodes[n].zone == z)
                    })
                    .collect();
                let k = (*count as usize).min(pool.len());
                // partial Fisher–Yates on the Nodes stream
                for i in 0..k {
                    let j = self.rng_nodes.gen_range(i..pool.len());
                    pool.swap(i, j);
                }
                pool.truncate(k);
                pool.sort_unstable();
                pool
            }
        }
    }

    pub(super) fn fail_node(&mut self, n: NodeId, toleration_ns: Nanos) {
        if !self.nodes[n].exists || !self.nodes[n].kubelet_up {
            return;
        }
        self.nodes[n].kubelet_up = false;
        self.node_epoch[n] += 1;
        let grace = self.scenario.cluster.node_monitor_grace_period_ns;
        self.queue.schedule_in(
            grace,
            WorldEvent::NodeDetect(n, self.node_epoch[n], toleration_ns),
        );
    }

    pub(super) fn node_detect(
        &mut self,
        n: NodeId,
        epoch: u32,
        toleration_ns: Nanos,
        sink: &mut dyn ChangeSink,
    ) {
        if self.node_epoch[n] != epoch || self.nodes[n].kubelet_up || !self.nodes[n].exists {
            return;
        }
        let now = self.queue.now();
        self.write_node(n, sink, |node| {
            node.ready = NodeReady::Unknown;
            node.ready_transition_ns = now;
            node.taints = vec![
                Taint {
                    key: "node.kubernetes.io/unreachable",
                    effect: "NoSchedule",
                    time_added_ns: None,
                },
                Taint {
                    key: "node.kubernetes.io/unreachable",
                    effect: "NoExecute",
                    time_added_ns: Some(now),
                },
            ];
        });
        // MarkPodsNotReady: one status update per pod whose Ready is not already False
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            self.set_not_ready(id, sink);
        }
        self.queue
            .schedule_in(toleration_ns, WorldEvent::NodeEvict(n, epoch));
    }

    pub(super) fn set_not_ready(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let ready = self.pod(id).is_some_and(|p| p.is_ready());
        if !ready {
            return;
        }
        self.write_pod(id, sink, |p| {
            p.ready = Some(Condition {
                status: false,
                last_transition_ns: now,
            });
            p.available = false;
            p.ready_epoch += 1;
        });
    }

    pub(super) fn node_evict(&mut self, n: NodeId, epoch: u32, sink: &mut dyn ChangeSink) {
        if self.node_epoch[n] != epoch || self.nodes[n].kubelet_up {
            return;
        }
        // DaemonSet pods tolerate the unreachable taint without a time limit
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            if !self.is_daemon_pod(id) {
                self.delete_pod(id, sink);
            }
        }
    }

    pub(super) fn recover_node(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
        if !self.nodes[n].exists || self.nodes[n].kubelet_up {
            return;
        }
        let now = self.queue.now();
        self.nodes[n].kubelet_up = true;
        self.node_epoch[n] += 1;
        if self.nodes[n].ready != NodeReady::True || !self.nodes[n].taints.is_empty() {
            self.write_node(n, sink, |node| {
                node.ready = NodeReady::True;
                node.ready_transition_ns = now;
                node.taints.clear();
            });
        }
        // the kubelet picks its pods up again
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            let Some(p) = self.pod(id) else { continue };
            let (w, terminating, no_ip, ready, e) = (
                p.workload,
                p.is_terminating(),
                p.ips.is_empty(),
                p.is_ready(),
                p.ready_epoch,
            );
            if terminating {
                self.queue.schedule_in(0, WorldEvent::PodExit(id));
            } else if no_ip {
                let d = self.scenario.workloads[w]
                    .readiness
                    .ip_delay
                    .sample(&mut self.rng_lifecycle);
                self.queue.schedule_in(d, WorldEvent::PodSandbox(id, e));
            } else if !ready {
                let d = self.scenario.workloads[w]
                    .readiness
                    .ready_delay
                    .sample(&mut self.rng_lifecycle);
                let mut epoch = 0;
                self.set_pod_internal(id, |p| {
                    p.ready_epoch += 1;
                    epoch = p.ready_epoch;
                });
                self.queue.schedule_in(d, WorldEvent::PodReady(id, epoch));
            }
        }
        self.enqueue_retry_scheduling();
    }

    pub(super) fn remove_node(&mut self, n: NodeId, drain: bool, sink: &mut dyn ChangeSink) {
        if !self.nodes[n].exists {
            return;
        }
        if drain && self.nodes[n].kubelet_up {
            self.write_node(n, sink, |node| node.unschedulable = true);
            // a drain leaves DaemonSet pods (`kubectl drain --ignore-daemonsets`): they go
            // with the Node object, through pod GC
            if self.only_daemon_pods_on(n) {
                self.delete_node_object(n, sink);
                return;
            }
            self.node_delete_when_empty[n] = true;
            let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
            for id in pods {
                if !self.is_daemon_pod(id) {
                    self.delete_pod(id, sink);
                }
            }
        } else {
            if drain {
                let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
                for id in pods {
                    self.delete_pod(id, sink);
                }
            }
            self.delete_node_object(n, sink);
        }
    }

    /// Pod GC: force-delete pods bound to a node that no longer exists.
    pub(super) fn pod_gc(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
        if self.nodes[n].exists {
            return;
        }
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            self.remove_pod(id, sink);
        }
    }
}
