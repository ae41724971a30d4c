//! Deployments and ReplicaSets: start state, the deployment and ReplicaSet controllers'
//! syncs, victim ranking and pod creation.

use super::*;

impl World {
    pub(super) fn create_replica_set(&mut self, d: usize, info: RsInfo) -> usize {
        let dep = &self.deployments[d];
        let idx = self.replica_sets.len();
        let template = dep.template.clone();
        // A StatefulSet's or DaemonSet's revisions own no pods in the API: the set does, so
        // its pods' ownerReference names the set (name and uid) whatever their revision.
        let (name, uid) = if self.scenario.workloads[d].kind.is_deployment() {
            let name = format!("{}-{}", dep.name, dep.template.hash);
            (name, ids::uid_v4(&mut self.rng_identity))
        } else {
            (dep.name.clone(), dep.uid.clone())
        };
        self.replica_sets.push(ReplicaSet {
            index: idx,
            workload: d,
            name,
            uid,
            template,
            info,
            active: ActiveSet::default(),
            pods: Default::default(),
            sync_pending: false,
        });
        self.rs_active.push(0);
        self.totals.replicasets_active += usize::from(self.replica_sets[idx].info.replicas > 0);
        let dep = &mut self.deployments[d];
        dep.replica_sets.push(idx);
        dep.new_rs = Some(idx);
        idx
    }

    /// Steady state at t = 0: one ReplicaSet with all pods Ready and available.
    pub(super) fn start_workload(
        &mut self,
        d: usize,
        sink: &mut dyn ChangeSink,
    ) -> anyhow::Result<()> {
        let replicas = self.deployments[d].replicas;
        let surge = deployment::max_surge(&self.dep_info(d));
        let name = format!(
            "{}-{}",
            self.deployments[d].name, self.deployments[d].template.hash
        );
        let r = self.create_replica_set(
            d,
            RsInfo {
                replicas,
                available: 0,
                nonterminal_pods: 0,
                created_ns: 0,
                name,
                desired_annotation: Some(replicas),
                max_annotation: Some(replicas + surge),
            },
        );
        // Each pod is built silently (create, bind, IP + Ready) and then announced once,
        // as a consumer listing the cluster at t = 0 would see it.
        let mut quiet = crate::cluster::change::NullSink;
        let sc = self.scenario.clone();
        let wl = &sc.workloads[d];
        if matches!(wl.kind, scenario::WorkloadKind::DaemonSet { .. }) {
            self.start_daemon_set(d, r, sink);
            return Ok(());
        }
        for i in 0..replicas {
            let name = matches!(wl.kind, scenario::WorkloadKind::StatefulSet { .. })
                .then(|| stateful_pod_name(&wl.name, i));
            let id = self.create_pod_named(r, name, &mut quiet);
            match self.pick_node(d) {
                Some(node) => {
                    self.bind_to(id, node, None);
                    if self.give_ip(id, None, true) {
                        self.set_pod_internal(id, |p| p.available = true);
                    }
                }
                None => {
                    // no room: it stays Pending like any unschedulable pod
                    let seq = self.create_seq(id);
                    self.unscheduled.insert((seq, id));
                }
            }
            if let Some(p) = self.pod(id) {
                sink.on_change(0, &Change::Pod(ObjChange::Added(p)), self);
            }
        }
        self.deployments[d].sync_pending = false;
        self.replica_sets[r].sync_pending = false;
        // queue one sync each so anything left unfinished (no room) is picked up
        self.enqueue_rs_sync(r);
        self.enqueue_deployment_sync(d);
        Ok(())
    }

    pub(super) fn dep_info(&self, d: usize) -> DeploymentInfo {
        let dep = &self.deployments[d];
        DeploymentInfo {
            replicas: dep.replicas,
            strategy: self.scenario.workloads[d].strategy,
            status_replicas: dep.stats.pods_active as u32,
        }
    }

    pub(super) fn sync_deployment(&mut self, d: usize, _sink: &mut dyn ChangeSink) {
        self.deployments[d].sync_pending = false;
        let now = self.queue.now();
        let info = self.dep_info(d);
        let dep = &self.deployments[d];
        let mut rss: Vec<RsInfo> = dep
            .replica_sets
            .iter()
            .map(|&r| self.replica_sets[r].info.clone())
            .collect();
        let new_pos = dep
            .new_rs
            .and_then(|n| dep.replica_sets.iter().position(|&r| r == n));
        // Only a missing new ReplicaSet is named (`deployment::create_new_rs`): most syncs
        // (every churned pod's) have one and skip the text.
        let new_name = match new_pos {
            Some(_) => String::new(),
            None => format!("{}-{}", dep.name, dep.template.hash),
        };
        let res = deployment::sync_deployment(&info, &mut rss, new_pos, &new_name, now);
        if res.created_new {
            if let Some(last) = rss.last().cloned() {
                self.create_replica_set(d, last);
            }
        }
        let list = self.deployments[d].replica_sets.clone();
        for (pos, &r) in list.iter().enumerate() {
            let Some(ri) = rss.get(pos) else { continue };
            self.set_rs_replicas(r, ri.replicas);
            let rs = &mut self.replica_sets[r];
            rs.info.desired_annotation = ri.desired_annotation;
            rs.info.max_annotation = ri.max_annotation;
        }
        for pos in res.scaled {
            if let Some(&r) = list.get(pos) {
                self.enqueue_rs_sync(r);
            }
        }
    }

    /// ReplicaSet `manageReplicas`: create or delete up to BurstReplicas pods per sync (another
    /// sync follows for the rest). Upstream creates in slow-start batches (1, 2, 4, …) that only
    /// differ from "all at once" when a creation fails, which is not modelled.
    /// cite: kubernetes/kubernetes :: pkg/controller/replicaset/replica_set.go :: manageReplicas, slowStartBatch
    pub(super) fn sync_replica_set(&mut self, r: usize, sink: &mut dyn ChangeSink) {
        self.replica_sets[r].sync_pending = false;
        let rs = &self.replica_sets[r];
        let want = rs.info.replicas as usize;
        let have = rs.active.len();
        if have < want {
            let n = (want - have).min(BURST_REPLICAS);
            for _ in 0..n {
                let id = self.create_pod(r, sink);
                let d = self.scenario.workloads[self.replica_sets[r].workload]
                    .readiness
                    .schedule_delay
                    .sample(&mut self.rng_lifecycle);
                self.queue.schedule_in(d, WorldEvent::PodBind(id));
            }
            if want - have > n {
                self.enqueue_rs_sync(r);
            }
        } else if have > want {
            let n = (have - want).min(BURST_REPLICAS);
            let victims = self.pick_victims(r, n);
            for id in victims {
                self.delete_pod(id, sink);
            }
            if have - want > n {
                self.enqueue_rs_sync(r);
            }
        }
    }

    /// `getPodsToDelete`: rank active pods with ActivePodsWithRanks, take the first `k`.
    pub(super) fn pick_victims(&self, r: usize, k: usize) -> Vec<PodId> {
        let now = self.queue.now();
        let rs = &self.replica_sets[r];
        let dep = &self.deployments[rs.workload];
        let cands: Vec<(PodId, Candidate)> = rs
            .active
            .iter()
            .filter_map(|id| {
                let p = self.pod(id)?;
                Some((
                    id,
                    Candidate {
                        assigned: p.node.is_some(),
                        phase_ordinal: p.phase.ordinal(),
                        ready: p.is_ready(),
                        ready_since_ns: p.ready.map(|c| c.last_transition_ns).unwrap_or(0),
                        rank: dep.active_per_node.get(p.node),
                        created_ns: p.creation_ns,
                        uid: p.uid.as_str(),
                        name: p.name.as_str(),
                    },
                ))
            })
            .collect();
        ranking::select_first(cands, k, |a, b| ranking::compare(&a.1, &b.1, now))
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    pub(super) fn create_pod(&mut self, r: usize, sink: &mut dyn ChangeSink) -> PodId {
        self.create_pod_named(r, None, sink)
    }

    /// [`World::create_pod`] under a given name (a StatefulSet's `<set>-<ordinal>`, which the
    /// caller knows to be free) or, with `None`, a generated one.
    pub(super) fn create_pod_named(
        &mut self,
        r: usize,
        name: Option<String>,
        sink: &mut dyn ChangeSink,
    ) -> PodId {
        let now = self.queue.now();
        let w = self.replica_sets[r].workload;
        let ns = self.deployments[w].namespace.clone();
        let name = match name {
            Some(n) => n,
            None => {
                let rs_name = std::mem::take(&mut self.replica_sets[r].name);
                let n = self.new_pod_name(&ns, &rs_name);
                self.replica_sets[r].name = rs_name;
                n
            }
        };
        let uid = ids::uid_v4(&mut self.rng_identity);
        let template = self.template_for(r, &name);
        let grace = self.scenario.workloads[w].termination.grace_period_ns;
        let rv = write_rv(&mut self.resource_version);
        let id = self.insert_pod(|id| new_pod(id, uid, name, ns, (w, r), template, rv, now, grace));
        if let Some(p) = self.pods[id.index as usize].pod.as_deref() {
            self.pod_names.insert(&self.pods, id, &p.namespace, &p.name);
        }
        self.pod_created(id, w, sink);
        id
    }

    /// Bookkeeping of a pod just inserted (creation order, workload stats, node accounting)
    /// and its Added change; shared with the replay's pods.
    pub(super) fn pod_created(&mut self, id: PodId, w: usize, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let seq = self.next_create_seq;
        self.next_create_seq += 1;
        self.set_create_seq(id, seq);
        self.deployments[w].stats.pods_created += 1;
        self.stats_touched(w);
        let nf = self.pod(id).map(PodFlags::of);
        let cpu = self.cpu_of(w);
        self.account(id, None, nf, cpu);
        if let Some(p) = self.pod(id) {
            sink.on_change(now, &Change::Pod(ObjChange::Added(p)), self);
        }
    }
}

/// A new Pending pod of ReplicaSet `r` of workload `w` (`owner` = (w, r)): no node, IPs or
/// conditions yet.
#[allow(clippy::too_many_arguments)]
pub(super) fn new_pod(
    id: PodId,
    uid: String,
    name: String,
    namespace: Arc<str>,
    owner: (usize, usize),
    template: Arc<PodTemplate>,
    resource_version: u64,
    creation_ns: Nanos,
    termination_grace_ns: Nanos,
) -> Pod {
    Pod {
        id,
        uid,
        name,
        namespace,
        workload: owner.0,
        replica_set: owner.1,
        template,
        resource_version,
        creation_ns,
        node: None,
        node_name: None,
        phase: PodPhase::Pending,
        ips: Vec::new(),
        scheduled: None,
        containers_ready: None,
        ready: None,
        deletion_timestamp_ns: None,
        deletion_grace_period_s: None,
        termination_grace_ns,
        available: false,
        ready_epoch: 0,
        ip_offset: None,
    }
}
