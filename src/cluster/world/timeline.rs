//! The scenario timeline: scale, rolling update, restarts, IP changes, node events, churn.

use super::*;

impl World {
    /// ReplicaSets whose active pods a churn / restart event picks from.
    pub(super) fn rs_pool(&self, w: Option<usize>) -> Vec<usize> {
        match w {
            Some(w) => self
                .deployments
                .get(w)
                .map(|d| d.replica_sets.clone())
                .unwrap_or_default(),
            None => (0..self.replica_sets.len()).collect(),
        }
    }

    /// `k` distinct active pods chosen uniformly at random (churn stream) from every
    /// ReplicaSet, in pick order: [`World::pick_random`] over all of them, with the group of
    /// each pick found through the prefix counts (O(k log |ReplicaSets|)).
    pub(super) fn pick_random_any(&mut self, k: usize) -> Vec<PodId> {
        // Under test, every pick is checked against the walk of every ReplicaSet.
        #[cfg(test)]
        let expected = {
            let saved = self.rng_churn.clone();
            let rss = self.rs_pool(None);
            let out = self.pick_random(&rss, k);
            self.rng_churn = saved;
            out
        };
        let picked = self.pick_random_any_indexed(k);
        #[cfg(test)]
        assert_eq!(picked, expected, "indexed churn pick");
        picked
    }

    fn pick_random_any_indexed(&mut self, k: usize) -> Vec<PodId> {
        let total = self.rs_active.total() as usize;
        let k = k.min(total);
        if k == 0 {
            return Vec::new();
        }
        let picks = rand::seq::index::sample(&mut self.rng_churn, total, k);
        picks
            .iter()
            .filter_map(|i| {
                let (r, off) = self.rs_active.find(i as u64)?;
                self.replica_sets[r].active.get(off as usize)
            })
            .collect()
    }

    /// `k` distinct active pods chosen uniformly at random (churn stream) from the ReplicaSets
    /// `rss`, in pick order. O(k + |rss|), independent of the number of pods.
    pub(super) fn pick_random(&mut self, rss: &[usize], k: usize) -> Vec<PodId> {
        let sizes: Vec<usize> = rss
            .iter()
            .map(|&r| self.replica_sets[r].active.len())
            .collect();
        let total: usize = sizes.iter().sum();
        let k = k.min(total);
        if k == 0 {
            return Vec::new();
        }
        let picks = rand::seq::index::sample(&mut self.rng_churn, total, k);
        picks
            .iter()
            .filter_map(|mut i| {
                for (j, &n) in sizes.iter().enumerate() {
                    if i < n {
                        return self.replica_sets[rss[j]].active.get(i);
                    }
                    i -= n;
                }
                None
            })
            .collect()
    }

    pub(super) fn apply_timeline(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        let sc = self.scenario.clone();
        let Some(ev) = sc.events.get(i) else { return };
        match &ev.kind {
            EventKind::Scale { workload, target } => {
                let Some(dep) = self.deployments.get(*workload) else {
                    return;
                };
                let replicas = target.apply(dep.replicas);
                self.set_replicas(*workload, replicas);
                self.enqueue_deployment_sync(*workload);
            }
            EventKind::RollingUpdate {
                workload,
                version,
                ports,
                labels,
            } => {
                let Some(dep) = self.deployments.get(*workload) else {
                    return;
                };
                let mut base = dep.template.labels.clone();
                base.remove("pod-template-hash");
                base.remove("controller-revision-hash");
                let labels = labels.clone().unwrap_or(base);
                let ports = ports.clone().unwrap_or_else(|| dep.template.ports.clone());
                let t = self.make_template(*workload, *version, labels, ports);
                let dep = &mut self.deployments[*workload];
                dep.template = t;
                dep.new_rs = None;
                self.enqueue_deployment_sync(*workload);
            }
            EventKind::Churn {
                workload,
                mean_interval_ns,
                duration_ns,
            } => {
                let c = self.churns.len();
                self.churns.push(Churn {
                    workload: *workload,
                    mean_interval_ns: *mean_interval_ns,
                    end_ns: ev.at_ns.saturating_add(*duration_ns),
                });
                let d = self.exp_sample(*mean_interval_ns);
                self.queue.schedule_in(d, WorldEvent::ChurnTick(c));
            }
            EventKind::RestartPods { workload, count } => {
                let rss = self.rs_pool(Some(*workload));
                for id in self.pick_random(&rss, *count as usize) {
                    self.delete_pod(id, sink);
                }
            }
            EventKind::NodeFailure {
                nodes,
                toleration_ns,
            } => {
                for n in self.select_nodes(nodes, Some(true)) {
                    self.fail_node(n, *toleration_ns);
                }
            }
            EventKind::ZoneFailure {
                zone,
                toleration_ns,
            } => {
                for n in self.select_nodes(&NodeSelection::Zone(*zone), Some(true)) {
                    self.fail_node(n, *toleration_ns);
                }
            }
            EventKind::NodeRecovery { nodes } => {
                for n in self.select_nodes(nodes, Some(false)) {
                    self.recover_node(n, sink);
                }
            }
            EventKind::ZoneRecovery { zone } => {
                for n in self.select_nodes(&NodeSelection::Zone(*zone), Some(false)) {
                    self.recover_node(n, sink);
                }
            }
            EventKind::AddNodes { nodes } => {
                for &n in nodes {
                    self.add_node(n, sink);
                }
            }
            EventKind::RemoveNodes { nodes, drain } => {
                for n in self.select_nodes(nodes, None) {
                    self.remove_node(n, *drain, sink);
                }
            }
            EventKind::PodIpChange { workload, count } => {
                // among running pods only: pick from all active ones, skip the rest
                let rss = self.rs_pool(Some(*workload));
                let n = self
                    .deployments
                    .get(*workload)
                    .map_or(0, |d| d.stats.pods_active);
                let ids = self.pick_random(&rss, n as usize);
                let mut left = *count as usize;
                for id in ids {
                    if left == 0 {
                        break;
                    }
                    if self.kubelet_can_run(id).is_some_and(|p| !p.ips.is_empty()) {
                        self.change_ip(id, sink);
                        left -= 1;
                    }
                }
            }
            EventKind::ServiceUpdate { service, change } => {
                if *service < self.services.len() {
                    self.update_service(*service, change, sink);
                }
            }
            EventKind::ServiceDelete { service } => {
                if *service < self.services.len() {
                    self.delete_service(*service, sink);
                }
            }
            EventKind::ServiceCreate { service } => {
                if *service < self.services.len() {
                    self.create_service(*service, sink);
                }
            }
            EventKind::WatchRestart { .. } => {}
        }
    }

    /// New sandbox, new IP, same pod object (one status update).
    pub(super) fn change_ip(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let Some(p) = self.pod(id) else { return };
        let (Some(n), Some(old_off)) = (p.node, p.ip_offset) else {
            return;
        };
        let Some((off, ips)) = self.node_ipam[n].allocate() else {
            return;
        };
        self.node_ipam[n].release(old_off);
        self.write_pod(id, sink, |p| {
            p.ip_offset = Some(off);
            p.ips = ips;
        });
    }

    /// Exponential inter-arrival time with the given mean, from the churn stream (platform-
    /// independent logarithm, see [`crate::sim::rng::det_ln`]).
    pub(super) fn exp_sample(&mut self, mean_ns: Nanos) -> Nanos {
        crate::sim::rng::exp_ns(&mut self.rng_churn, mean_ns.max(1))
    }

    pub(super) fn churn_tick(&mut self, c: usize, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(ch) = self.churns.get(c) else { return };
        if now > ch.end_ns {
            return;
        }
        let (w, mean) = (ch.workload, ch.mean_interval_ns);
        let picked = match w {
            Some(_) => {
                let rss = self.rs_pool(w);
                self.pick_random(&rss, 1)
            }
            None => self.pick_random_any(1),
        };
        if let Some(&id) = picked.first() {
            self.delete_pod(id, sink);
        }
        let d = self.exp_sample(mean);
        if now.saturating_add(d) <= self.churns[c].end_ns {
            self.queue.schedule_in(d, WorldEvent::ChurnTick(c));
        }
    }

    /// Live pod IPs are unique (checked by tests): returns the first duplicate, if any.
    pub fn duplicate_live_ip(&self) -> Option<IpAddr> {
        let mut seen = HashSet::new();
        for p in self.pods() {
            for ip in &p.ips {
                if !seen.insert(*ip) {
                    return Some(*ip);
                }
            }
        }
        None
    }
}
