//! The pod store: templates and names, sync enqueueing, the per-node and per-workload
//! accounting, and the one place a pod write is stored and emitted (`write_pod`).

use super::*;

impl World {
    pub(super) fn make_template(
        &self,
        w: usize,
        version: u32,
        labels: StringMap,
        ports: Vec<scenario::ContainerPort>,
    ) -> Arc<PodTemplate> {
        let wl = &self.scenario.workloads[w];
        let canonical = format!(
            "{}/{}/v{}/{:?}/{:?}/{:?}/{:?}",
            wl.namespace, wl.name, version, labels, ports, wl.hostname, wl.subdomain
        );
        let hash = ids::pod_template_hash(&canonical);
        let mut labels = labels;
        let (owner_kind, hostname, subdomain) = match &wl.kind {
            scenario::WorkloadKind::Deployment => {
                labels.insert("pod-template-hash".into(), hash.clone());
                ("ReplicaSet", wl.hostname.clone(), wl.subdomain.clone())
            }
            // StatefulSet pods: `controller-revision-hash` = the ControllerRevision's name;
            // hostname = pod name, subdomain = spec.serviceName (stateful_set_utils.go ::
            // newStatefulSetPod, initIdentity).
            scenario::WorkloadKind::StatefulSet { service_name, .. } => {
                labels.insert(
                    "controller-revision-hash".into(),
                    format!("{}-{hash}", wl.name),
                );
                ("StatefulSet", None, service_name.clone())
            }
            // DaemonSet pods: `controller-revision-hash` = the hash (daemon_controller.go ::
            // syncNodes, util.CreatePodTemplate).
            scenario::WorkloadKind::DaemonSet { .. } => {
                labels.insert("controller-revision-hash".into(), hash.clone());
                ("DaemonSet", wl.hostname.clone(), wl.subdomain.clone())
            }
        };
        Arc::new(PodTemplate {
            version,
            hash,
            labels,
            ports,
            hostname,
            subdomain,
            owner_kind,
            hostname_is_pod_name: owner_kind == "StatefulSet",
        })
    }

    /// A generated name not taken in `ns` (the caller registers it once the pod exists).
    pub(super) fn new_pod_name(&mut self, ns: &str, rs_name: &str) -> String {
        loop {
            let suffix = ids::name_suffix(&mut self.rng_identity);
            let mut name = String::with_capacity(rs_name.len() + 1 + suffix.len());
            name.push_str(rs_name);
            name.push('-');
            name.push_str(&suffix);
            if !self.pod_names.contains(&self.pods, ns, &name) {
                return name;
            }
        }
    }

    // ------------------------------------------------------------------ bookkeeping

    pub(super) fn enqueue_deployment_sync(&mut self, d: usize) {
        if let Some(dep) = self.deployments.get_mut(d) {
            if !dep.sync_pending {
                dep.sync_pending = true;
                self.queue
                    .schedule_in(WORKLOAD_CONTROLLER_DELAY_NS, WorldEvent::DeploymentSync(d));
            }
        }
    }

    pub(super) fn enqueue_rs_sync(&mut self, r: usize) {
        if let Some(rs) = self.replica_sets.get_mut(r) {
            if !rs.sync_pending {
                rs.sync_pending = true;
                self.queue
                    .schedule_in(WORKLOAD_CONTROLLER_DELAY_NS, WorldEvent::ReplicaSetSync(r));
            }
        }
    }

    pub(super) fn enqueue_retry_scheduling(&mut self) {
        if !self.unscheduled.is_empty() && !self.retry_scheduling_pending {
            self.retry_scheduling_pending = true;
            self.queue.schedule_in(0, WorldEvent::RetryScheduling);
        }
    }

    pub(super) fn node_schedulable(&self, n: NodeId) -> bool {
        let node = &self.nodes[n];
        node.exists
            && node.ready == NodeReady::True
            && !node.unschedulable
            && node.taints.is_empty()
            && (self.node_pods[n].len() as u32) < node.max_pods
    }

    /// Re-evaluate a node's place in the scheduler's index (call after any change to it).
    pub(super) fn refresh_sched(&mut self, n: NodeId, old_load: u32) {
        if self.in_sched[n] {
            self.sched.remove(&(old_load, self.node_tiebreak[n], n));
            self.in_sched[n] = false;
        }
        if self.node_schedulable(n) {
            let load = self.node_pods[n].len() as u32;
            self.sched.insert((load, self.node_tiebreak[n], n));
            self.in_sched[n] = true;
        }
    }

    /// Apply the counter / index consequences of a pod going from `old` to `new` flags.
    pub(super) fn account(
        &mut self,
        id: PodId,
        old: Option<PodFlags>,
        new: Option<PodFlags>,
        cpu: u64,
    ) {
        let mut dep_sync = None;
        let mut rs_sync = None;
        if let Some(o) = old {
            stats_take(&mut self.deployments[o.workload].stats, &o);
            stats_take(&mut self.totals.stats, &o);
            self.stats_touched(o.workload);
        }
        if let Some(n) = new {
            stats_put(&mut self.deployments[n.workload].stats, &n);
            stats_put(&mut self.totals.stats, &n);
            self.stats_touched(n.workload);
        }
        let (o_active, o_avail, o_nonterm, o_node) = old
            .map(|o| (o.active, o.available, o.nonterminal, o.node))
            .unwrap_or((false, false, false, None));
        let (n_active, n_avail, n_nonterm, n_node) = new
            .map(|n| (n.active, n.available, n.nonterminal, n.node))
            .unwrap_or((false, false, false, None));
        let Some(f) = old.or(new) else { return };
        let rs = &mut self.replica_sets[f.rs];
        match (old.is_some(), new.is_some()) {
            (false, true) => {
                rs.pods.insert(id);
            }
            (true, false) => {
                rs.pods.remove(&id);
            }
            _ => {}
        }
        if o_active != n_active || (o_active && o_node != n_node) {
            let before = rs.active.len();
            if o_active {
                rs.active.remove(&id);
            }
            if n_active {
                rs.active.insert(id);
            }
            let delta = rs.active.len() as i64 - before as i64;
            if delta != 0 {
                self.rs_active.add(f.rs, delta);
            }
            let dep = &mut self.deployments[f.workload];
            if o_active {
                dep.active_per_node.decr(o_node);
            }
            if n_active {
                dep.active_per_node.incr(n_node);
            }
            if o_active != n_active {
                rs_sync = Some(f.rs);
                dep_sync = Some(f.workload);
            }
        }
        if o_avail != n_avail {
            if n_avail {
                rs.info.available += 1;
            } else {
                rs.info.available -= 1;
            }
            dep_sync = Some(f.workload);
        }
        if o_nonterm != n_nonterm {
            if n_nonterm {
                rs.info.nonterminal_pods += 1;
            } else {
                rs.info.nonterminal_pods -= 1;
            }
            dep_sync = Some(f.workload);
        }
        // node occupancy: from binding until the object is gone
        let o_bound = old.and_then(|o| o.node);
        let n_bound = new.and_then(|n| n.node);
        if o_bound != n_bound {
            if let Some(n) = o_bound {
                let load = self.node_pods[n].len() as u32;
                self.node_pods[n].remove(&id);
                self.node_cpu_used[n] = self.node_cpu_used[n].saturating_sub(cpu);
                self.refresh_sched(n, load);
                self.enqueue_retry_scheduling();
            }
            if let Some(n) = n_bound {
                let load = self.node_pods[n].len() as u32;
                self.node_pods[n].insert(id);
                self.node_cpu_used[n] += cpu;
                self.refresh_sched(n, load);
            }
        }
        if let Some(r) = rs_sync {
            self.enqueue_rs_sync(r);
        }
        if let Some(d) = dep_sync {
            self.enqueue_deployment_sync(d);
        }
    }

    pub(super) fn cpu_of(&self, w: usize) -> u64 {
        self.scenario.workloads[w].cpu_request_milli
    }

    /// [`World::write_pod`], or with `sink` `None` the same write unannounced: the t = 0
    /// build of a pod, announced once as `Added` when it is complete. That one keeps no copy
    /// of the previous version (nobody else holds the pod yet, so it is changed in place) and
    /// compares only the fields `f` may change: `f` must not replace the name or the uid.
    pub(super) fn write_pod_to(
        &mut self,
        id: PodId,
        sink: Option<&mut dyn ChangeSink>,
        f: impl FnOnce(&mut Pod),
    ) -> bool {
        match sink {
            Some(sink) => self.write_pod(id, sink, f),
            None => self.write_pod_quiet(id, f),
        }
    }

    fn write_pod_quiet(&mut self, id: PodId, f: impl FnOnce(&mut Pod)) -> bool {
        let Some(p) = slot_pod(&mut self.pods, id) else {
            return false;
        };
        let p = Arc::make_mut(p);
        let before = Visible::of(p);
        let of = PodFlags::of(p);
        let ids = (p.name.as_ptr(), p.name.len(), p.uid.as_ptr(), p.uid.len());
        f(p);
        debug_assert_eq!(
            ids,
            (p.name.as_ptr(), p.name.len(), p.uid.as_ptr(), p.uid.len())
        );
        let wrote = !before.same_as(p);
        if wrote {
            p.resource_version = write_rv(&mut self.resource_version);
        }
        let (nf, w) = (PodFlags::of(p), p.workload);
        if of != nf {
            let cpu = self.cpu_of(w);
            self.account(id, Some(of), Some(nf), cpu);
        }
        wrote
    }

    /// An API write to a pod: applies `f`; if anything visible changed, bumps the
    /// resourceVersion, updates the indexes and emits `Updated`. Returns whether it wrote.
    pub(super) fn write_pod(
        &mut self,
        id: PodId,
        sink: &mut dyn ChangeSink,
        f: impl FnOnce(&mut Pod),
    ) -> bool {
        let now = self.queue.now();
        let Some(p) = slot_pod(&mut self.pods, id) else {
            return false;
        };
        // The old version stays with its other holders; this slot gets a copy to change.
        let old = Arc::clone(p);
        let p = Arc::make_mut(p);
        f(p);
        // `available`, epochs and the IPAM offset are internal: they never make a write
        if !api_visible_change(&old, p) {
            let (of, nf) = (PodFlags::of(&old), PodFlags::of(p));
            let w = p.workload;
            if of != nf {
                let cpu = self.cpu_of(w);
                self.account(id, Some(of), Some(nf), cpu);
            }
            return false;
        }
        p.resource_version = write_rv(&mut self.resource_version);
        let (of, nf, w) = (PodFlags::of(&old), PodFlags::of(p), p.workload);
        let cpu = self.cpu_of(w);
        self.account(id, Some(of), Some(nf), cpu);
        if let Some(new) = self.pod(id) {
            sink.on_change(
                now,
                &Change::Pod(ObjChange::Updated { old: &old, new }),
                self,
            );
        }
        true
    }

    /// Internal-only pod state (availability, epochs): no API write.
    pub(super) fn set_pod_internal(&mut self, id: PodId, f: impl FnOnce(&mut Pod)) {
        let Some(p) = self.pod_mut(id) else { return };
        let of = PodFlags::of(p);
        f(p);
        let nf = PodFlags::of(p);
        let w = p.workload;
        if of != nf {
            let cpu = self.cpu_of(w);
            self.account(id, Some(of), Some(nf), cpu);
        }
    }

    pub(super) fn pod_mut(&mut self, id: PodId) -> Option<&mut Pod> {
        slot_pod(&mut self.pods, id).map(Arc::make_mut)
    }

    pub(super) fn insert_pod(&mut self, build: impl FnOnce(PodId) -> Pod) -> PodId {
        let id = if let Some(i) = self.free_slots.pop() {
            let slot = &mut self.pods[i as usize];
            slot.generation += 1;
            PodId {
                index: i,
                generation: slot.generation,
            }
        } else {
            self.pods.push(PodSlot {
                generation: 0,
                pod: None,
            });
            PodId {
                index: (self.pods.len() - 1) as u32,
                generation: 0,
            }
        };
        let pod = build(id);
        self.pods[id.index as usize].pod = Some(Arc::new(pod));
        id
    }

    /// Remove a pod object (DELETE event), release its IP.
    pub(super) fn remove_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(slot) = self.pods.get_mut(id.index as usize) else {
            return;
        };
        if slot.generation != id.generation {
            return;
        }
        let Some(pod) = slot.pod.take() else {
            return;
        };
        let mut pod = Arc::unwrap_or_clone(pod);
        self.free_slots.push(id.index);
        let of = PodFlags::of(&pod);
        let cpu = self.cpu_of(pod.workload);
        if let (Some(n), Some(off)) = (pod.node, pod.ip_offset) {
            self.node_ipam[n].release(off);
        }
        self.pod_names.remove(&self.pods, id, &pod);
        if !self.daemon_node.is_empty() {
            self.daemon_node.remove(&id);
        }
        self.unscheduled.remove(&(self.create_seq(id), id));
        if let Some(e) = self.pod_create_seq.get_mut(id.index as usize) {
            e.1 = 0;
        }
        self.deployments[pod.workload].stats.pods_deleted += 1;
        self.stats_touched(pod.workload);
        self.account(id, Some(of), None, cpu);
        // the last state as the informer saw it; resourceVersion of the deletion
        pod.resource_version = write_rv(&mut self.resource_version);
        sink.on_change(now, &Change::Pod(ObjChange::Deleted(&pod)), self);
        if let Some(n) = pod.node {
            if self.node_delete_when_empty[n] && self.only_daemon_pods_on(n) {
                self.delete_node_object(n, sink);
            }
        }
    }
}

/// Take a pod of flags `o` out of the counters `st` (see [`World::account`]).
fn stats_take(st: &mut WorkloadStats, o: &PodFlags) {
    st.pods_total -= 1;
    st.pods_active -= u64::from(o.active);
    st.pods_ready -= u64::from(o.ready);
    st.pods_available -= u64::from(o.available);
    st.pods_terminating -= u64::from(o.terminating);
    st.pods_pending -= u64::from(o.active && !o.has_ip);
    st.pods_unscheduled -= u64::from(o.active && o.node.is_none());
}

/// Count a pod of flags `n` in `st`.
fn stats_put(st: &mut WorkloadStats, n: &PodFlags) {
    st.pods_total += 1;
    st.pods_active += u64::from(n.active);
    st.pods_ready += u64::from(n.ready);
    st.pods_available += u64::from(n.available);
    st.pods_terminating += u64::from(n.terminating);
    st.pods_pending += u64::from(n.active && !n.has_ip);
    st.pods_unscheduled += u64::from(n.active && n.node.is_none());
}

/// The fields of [`api_visible_change`] but the name and uid, copied (no string is).
struct Visible {
    template: *const PodTemplate,
    node: Option<NodeId>,
    phase: PodPhase,
    ips: Vec<IpAddr>,
    scheduled: Option<Condition>,
    containers_ready: Option<Condition>,
    ready: Option<Condition>,
    deletion_timestamp_ns: Option<Nanos>,
    deletion_grace_period_s: Option<u64>,
    termination_grace_ns: Nanos,
    node_name: Option<Arc<str>>,
}

impl Visible {
    fn of(p: &Pod) -> Self {
        Visible {
            template: Arc::as_ptr(&p.template),
            node: p.node,
            phase: p.phase,
            ips: p.ips.clone(),
            scheduled: p.scheduled,
            containers_ready: p.containers_ready,
            ready: p.ready,
            deletion_timestamp_ns: p.deletion_timestamp_ns,
            deletion_grace_period_s: p.deletion_grace_period_s,
            termination_grace_ns: p.termination_grace_ns,
            node_name: p.node_name.clone(),
        }
    }

    /// `!api_visible_change(before, p)` for a write that kept the name and uid.
    fn same_as(&self, p: &Pod) -> bool {
        std::ptr::eq(self.template, Arc::as_ptr(&p.template))
            && self.node == p.node
            && self.phase == p.phase
            && self.ips == p.ips
            && self.scheduled == p.scheduled
            && self.containers_ready == p.containers_ready
            && self.ready == p.ready
            && self.deletion_timestamp_ns == p.deletion_timestamp_ns
            && self.deletion_grace_period_s == p.deletion_grace_period_s
            && self.termination_grace_ns == p.termination_grace_ns
            && self.node_name == p.node_name
    }
}

/// The pod `id` names, if its slot still holds that generation (a field-level borrow, so a
/// write can bump the world's resourceVersion while it holds the pod).
fn slot_pod(pods: &mut [PodSlot], id: PodId) -> Option<&mut Arc<Pod>> {
    pods.get_mut(id.index as usize)
        .filter(|s| s.generation == id.generation)
        .and_then(|s| s.pod.as_mut())
}
