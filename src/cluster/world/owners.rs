//! StatefulSets and DaemonSets (`workloads[].kind`): the same pod lifecycle, scheduler and
//! bookkeeping as a Deployment's pods (one [`Deployment`] record per workload, one
//! [`ReplicaSet`] record per template revision, standing for a ControllerRevision), with the
//! owner's own controller deciding which pods exist:
//! - StatefulSet (pkg/controller/statefulset/stateful_set_control.go :: updateStatefulSet):
//!   pods `<set>-<ordinal>` for ordinals `0..replicas`, each with `spec.hostname` = its name
//!   and `spec.subdomain` = `serviceName`; a missing ordinal is created once its old pod is
//!   gone (so a re-created pod has the same name and hostname); with OrderedReady one pod at a
//!   time, each waiting for its predecessors to be Running and Ready; scale-down removes the
//!   highest ordinal first; a rolling update deletes the highest-ordinal pod of an old
//!   revision once every pod above it is healthy (maxUnavailable 1, partition 0).
//! - DaemonSet (pkg/controller/daemon/daemon_controller.go :: manage, podsShouldBeOnNode;
//!   update.go :: rollingUpdate): one pod on every existing node its `node_selector` and
//!   `zones` select, bound to that node; a node added gets one, a node no longer selected
//!   loses it; pods on a deleted node go with pod GC; a rolling update deletes old pods up to
//!   `maxUnavailable` (no surge) and `manage` replaces them. DaemonSet pods tolerate the
//!   node lifecycle taints (daemon/util :: AddOrUpdateDaemonPodTolerations): a failed node's
//!   pods are not evicted, and a drain leaves them (`kubectl drain --ignore-daemonsets`).

use super::*;
use crate::scenario::WorkloadKind;
use std::collections::BTreeMap;

/// `<set>-<ordinal>` (stateful_set_utils.go :: getPodName).
pub(super) fn stateful_pod_name(set: &str, ordinal: u32) -> String {
    format!("{set}-{ordinal}")
}

/// `statefulset.kubernetes.io/pod-name` (apps/v1 `StatefulSetPodNameLabel`).
pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
/// `apps.kubernetes.io/pod-index` (apps/v1 `PodIndexLabel`, feature PodIndexLabel, 1.28+).
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

/// The ordinal of a StatefulSet pod's name (stateful_set_utils.go :: getParentNameAndOrdinal).
fn ordinal_of(set: &str, pod: &str) -> Option<u32> {
    pod.strip_prefix(set)?.strip_prefix('-')?.parse().ok()
}

/// A StatefulSet's `status.currentRevision`: the revision every pod had when the last rolling
/// update completed, where a missing pod below the partition is re-created.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SetState {
    /// Index of the current revision in `World::replica_sets` (None: not yet known).
    current: Option<usize>,
}

impl World {
    /// The template of a new pod named `name` of revision `r`. A StatefulSet pod gets its own
    /// copy carrying its identity labels: `statefulset.kubernetes.io/pod-name = <name>` and,
    /// with the PodIndexLabel gate (1.28+), `apps.kubernetes.io/pod-index = <ordinal>`
    /// (stateful_set_utils.go :: updateIdentity, from initIdentity in newStatefulSetPod). A
    /// pod's labels never change after that (the set re-creates a pod, never relabels it),
    /// so the copy is as immutable as a shared template; other kinds' pods share their
    /// revision's template and pay nothing.
    pub(super) fn template_for(&self, r: usize, name: &str) -> Arc<PodTemplate> {
        let t = &self.replica_sets[r].template;
        let w = self.replica_sets[r].workload;
        let is_set = matches!(
            self.scenario.workloads[w].kind,
            WorkloadKind::StatefulSet { .. }
        );
        let Some(ordinal) = is_set
            .then(|| ordinal_of(&self.deployments[w].name, name))
            .flatten()
        else {
            return t.clone();
        };
        let mut own = PodTemplate::clone(t);
        own.labels.insert(POD_NAME_LABEL.into(), name.to_string());
        if self.scenario.controllers.profile.pod_index_label {
            own.labels
                .insert(POD_INDEX_LABEL.into(), ordinal.to_string());
        }
        Arc::new(own)
    }

    /// Is `w` a StatefulSet or DaemonSet (synced by this module, not the Deployment and
    /// ReplicaSet controllers)?
    pub(super) fn owned_by_set(&self, w: usize) -> bool {
        self.scenario
            .workloads
            .get(w)
            .is_some_and(|wl| !wl.kind.is_deployment())
    }

    /// A pod of a DaemonSet (tolerates the node lifecycle taints; left by drains).
    pub(super) fn is_daemon_pod(&self, id: PodId) -> bool {
        self.pod(id).is_some_and(|p| {
            matches!(
                self.scenario.workloads[p.workload].kind,
                WorkloadKind::DaemonSet { .. }
            )
        })
    }

    /// Nothing but DaemonSet pods left on node `n` (a drained node can go).
    pub(super) fn only_daemon_pods_on(&self, n: NodeId) -> bool {
        self.node_pods[n].iter().all(|&id| self.is_daemon_pod(id))
    }

    /// Queue a sync of every DaemonSet (a node came or went).
    pub(super) fn enqueue_daemon_set_syncs(&mut self) {
        for i in 0..self.daemon_sets.len() {
            let w = self.daemon_sets[i];
            if w < self.deployments.len() {
                self.enqueue_deployment_sync(w);
            }
        }
    }

    /// The sync of a StatefulSet or DaemonSet workload (its Deployment and ReplicaSet sync
    /// events land here).
    pub(super) fn sync_set(&mut self, d: usize, sink: &mut dyn ChangeSink) {
        self.deployments[d].sync_pending = false;
        match &self.scenario.workloads[d].kind {
            WorkloadKind::StatefulSet { parallel, .. } => {
                let monotonic = !*parallel;
                self.sync_stateful_set(d, monotonic, sink);
            }
            WorkloadKind::DaemonSet { .. } => self.sync_daemon_set(d, sink),
            WorkloadKind::Deployment => {}
        }
    }

    /// The revision of the current template (created at the first sync after a rolling
    /// update): where new pods go.
    fn update_revision(&mut self, d: usize) -> usize {
        if let Some(r) = self.deployments[d].new_rs {
            return r;
        }
        let name = self.deployments[d].name.clone();
        self.create_replica_set(
            d,
            RsInfo {
                replicas: 0,
                available: 0,
                nonterminal_pods: 0,
                created_ns: self.queue.now(),
                name,
                desired_annotation: None,
                max_annotation: None,
            },
        )
    }

    /// Running, Ready (for minReadySeconds) and not being deleted
    /// (stateful_set_control.go :: isHealthy; daemon util IsPodAvailable).
    fn healthy(&self, id: PodId) -> bool {
        self.pod(id)
            .is_some_and(|p| p.is_active() && p.phase == PodPhase::Running && p.available)
    }

    /// Every existing pod of workload `d` (terminating ones included), in id order.
    fn set_pods(&self, d: usize) -> Vec<PodId> {
        let mut out: Vec<PodId> = self.deployments[d]
            .replica_sets
            .iter()
            .flat_map(|&r| self.replica_sets[r].pods.iter().copied())
            .collect();
        out.sort_unstable();
        out
    }

    fn create_stateful_pod(
        &mut self,
        d: usize,
        r: usize,
        ordinal: u32,
        sink: &mut dyn ChangeSink,
    ) -> PodId {
        let name = stateful_pod_name(&self.deployments[d].name, ordinal);
        let id = self.create_pod_named(r, Some(name), sink);
        let delay = self.scenario.workloads[d]
            .readiness
            .schedule_delay
            .sample(&mut self.rng_lifecycle);
        self.queue.schedule_in(delay, WorldEvent::PodBind(id));
        id
    }

    /// stateful_set_control.go :: updateStatefulSet with RollingUpdate (`monotonic` =
    /// podManagementPolicy OrderedReady): create missing ordinals (below the partition at the
    /// current revision: newVersionedStatefulSetPod), remove condemned ones, then replace pods
    /// of ordinal >= partition that are not at the update revision: one at a time, or with
    /// `max_unavailable` set, updateStatefulSetAfterInvariantEstablished.
    fn sync_stateful_set(&mut self, d: usize, monotonic: bool, sink: &mut dyn ChangeSink) {
        let update = self.update_revision(d);
        let WorkloadKind::StatefulSet {
            partition,
            max_unavailable,
            ..
        } = self.scenario.workloads[d].kind
        else {
            return;
        };
        let state = self.set_state.get(&d).copied().unwrap_or_default();
        // status.currentRevision: the first revision, until a rolling update completes
        let current = state
            .current
            .or_else(|| self.deployments[d].replica_sets.first().copied())
            .unwrap_or(update);
        let replicas = self.deployments[d].replicas;
        let set = self.deployments[d].name.clone();
        let mut by_ordinal: BTreeMap<u32, PodId> = BTreeMap::new();
        for id in self.set_pods(d) {
            if let Some(o) = self.pod(id).and_then(|p| ordinal_of(&set, &p.name)) {
                by_ordinal.insert(o, id);
            }
        }
        let done = self.stateful_set_steps(
            d,
            monotonic,
            (update, current, partition),
            max_unavailable,
            &mut by_ordinal,
            sink,
        );
        // completeRollingUpdate: every replica updated and Ready → currentRevision = update
        let complete = done
            && (0..replicas).all(|o| {
                by_ordinal.get(&o).is_some_and(|&id| {
                    self.pod(id)
                        .is_some_and(|p| p.replica_set == update && !p.is_terminating())
                        && self.healthy(id)
                })
            });
        let entry = self.set_state.entry(d).or_default();
        entry.current = Some(if complete { update } else { current });
    }

    /// The steps of [`World::sync_stateful_set`]; false when it stopped early (waiting).
    fn stateful_set_steps(
        &mut self,
        d: usize,
        monotonic: bool,
        (update, current, partition): (usize, usize, u32),
        max_unavailable: Option<scenario::IntOrPercent>,
        by_ordinal: &mut BTreeMap<u32, PodId>,
        sink: &mut dyn ChangeSink,
    ) -> bool {
        let replicas = self.deployments[d].replicas;
        // the replicas, lowest ordinal first (processReplica)
        for ordinal in 0..replicas {
            match by_ordinal.get(&ordinal).copied() {
                None => {
                    let r = if ordinal < partition { current } else { update };
                    let id = self.create_stateful_pod(d, r, ordinal, sink);
                    by_ordinal.insert(ordinal, id);
                    if monotonic {
                        return false;
                    }
                }
                Some(id) => {
                    let terminating = self.pod(id).is_some_and(|p| p.is_terminating());
                    // a terminating pod's name is taken until it is gone; OrderedReady also
                    // waits for every created pod to be Running and Ready before the next
                    if monotonic && (terminating || !self.healthy(id)) {
                        return false;
                    }
                }
            }
        }
        // the condemned (ordinal >= replicas), highest first (processCondemned)
        let condemned: Vec<PodId> = by_ordinal
            .range(replicas..)
            .rev()
            .map(|(_, &id)| id)
            .collect();
        for id in condemned {
            if self.pod(id).is_some_and(|p| p.is_terminating()) {
                if monotonic {
                    return false;
                }
                continue;
            }
            self.delete_pod(id, sink);
            if monotonic {
                return false;
            }
        }
        let old = |w: &World, id: PodId| {
            w.pod(id)
                .is_some_and(|p| p.replica_set != update && !p.is_terminating())
        };
        let Some(max_unavailable) = max_unavailable else {
            // rolling update: highest ordinal first down to the partition, one at a time
            for ordinal in (partition.min(replicas)..replicas).rev() {
                let Some(&id) = by_ordinal.get(&ordinal) else {
                    return false;
                };
                if self.pod(id).is_none() {
                    return false;
                }
                if old(self, id) {
                    self.delete_pod(id, sink);
                    return false;
                }
                if !self.healthy(id) {
                    return false;
                }
            }
            return true;
        };
        // updateStatefulSetAfterInvariantEstablished: every unhealthy replica counts against
        // maxUnavailable (getStatefulSetMaxUnavailable: rounded down, at least 1); delete
        // old pods from the highest ordinal down to the partition while room is left
        let max = max_unavailable.resolve(replicas, false).max(1) as usize;
        let unavailable = (0..replicas)
            .filter(|o| by_ordinal.get(o).map_or(true, |&id| !self.healthy(id)))
            .count();
        if unavailable >= max {
            return false;
        }
        let mut room = max - unavailable;
        for ordinal in (partition.min(replicas)..replicas).rev() {
            if room == 0 {
                return false;
            }
            if let Some(&id) = by_ordinal.get(&ordinal) {
                if old(self, id) {
                    self.delete_pod(id, sink);
                    room -= 1;
                }
            }
        }
        true
    }

    /// The nodes a DaemonSet's pods belong on: existing and selected, in id order.
    fn daemon_nodes(&self, d: usize) -> Vec<NodeId> {
        let wl = &self.scenario.workloads[d];
        (0..self.nodes.len())
            .filter(|&n| {
                let node = &self.nodes[n];
                node.exists && wl.daemon_runs_on(&node.labels, node.zone)
            })
            .collect()
    }

    /// A new DaemonSet pod for node `n` (daemon_controller.go :: syncNodes: the pod's node
    /// affinity names the node; the scheduler binds it there).
    fn create_daemon_pod(&mut self, r: usize, n: NodeId, sink: &mut dyn ChangeSink) -> PodId {
        let id = self.create_pod_named(r, None, sink);
        self.daemon_node.insert(id, n);
        let w = self.replica_sets[r].workload;
        let delay = self.scenario.workloads[w]
            .readiness
            .schedule_delay
            .sample(&mut self.rng_lifecycle);
        self.queue.schedule_in(delay, WorldEvent::PodBind(id));
        id
    }

    /// The node a DaemonSet pod is for: its `spec.nodeName` once bound, else its target.
    fn daemon_target(&self, id: PodId) -> Option<NodeId> {
        self.pod(id)
            .and_then(|p| p.node)
            .or_else(|| self.daemon_node.get(&id).copied())
    }

    /// Bind a DaemonSet pod to its node if that still exists; true if it was a DaemonSet pod.
    pub(super) fn bind_daemon_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) -> bool {
        let Some(&n) = self.daemon_node.get(&id) else {
            return false;
        };
        if self.nodes[n].exists {
            self.bind_to(id, n, Some(sink));
            self.after_bind(id, n);
        }
        true
    }

    /// t = 0: one Ready pod on every selected node.
    pub(super) fn start_daemon_set(&mut self, d: usize, r: usize, sink: &mut dyn ChangeSink) {
        let mut quiet = crate::cluster::change::NullSink;
        // a replayed workload's pods are the recording's (it starts empty)
        let nodes = if self.replay_owns(d) {
            Vec::new()
        } else {
            self.daemon_nodes(d)
        };
        for n in nodes {
            let id = self.create_pod_named(r, None, &mut quiet);
            self.daemon_node.insert(id, n);
            self.bind_to(id, n, None);
            if self.give_ip(id, None, true) {
                self.set_pod_internal(id, |p| p.available = true);
            }
            if let Some(p) = self.pod(id) {
                sink.on_change(0, &Change::Pod(ObjChange::Added(p)), self);
            }
        }
        self.deployments[d].sync_pending = false;
        self.replica_sets[r].sync_pending = false;
        self.enqueue_deployment_sync(d);
    }

    /// daemon_controller.go :: manage (one active pod per selected node; pods of nodes no
    /// longer selected, and unbound pods of nodes gone, are deleted), then update.go ::
    /// rollingUpdate without surge.
    fn sync_daemon_set(&mut self, d: usize, sink: &mut dyn ChangeSink) {
        let update = self.update_revision(d);
        let want = self.daemon_nodes(d);
        self.set_replicas(d, want.len() as u32);
        // every pod of the set by node (terminating ones included), id order
        let mut per_node: BTreeMap<NodeId, Vec<PodId>> = BTreeMap::new();
        for id in self.set_pods(d) {
            if let Some(n) = self.daemon_target(id) {
                per_node.entry(n).or_default().push(id);
            }
        }
        let active = |w: &World, ids: &[PodId]| -> Vec<PodId> {
            ids.iter()
                .copied()
                .filter(|&id| w.pod(id).is_some_and(|p| p.is_active()))
                .collect()
        };
        let (max_surge, max_unavailable) = match self.scenario.workloads[d].strategy {
            // updatedDesiredNodeCounts: SurgeCount and UnavailableCount, both rounded up
            // against the nodes that should run a pod; both 0 is read as maxUnavailable 1
            scenario::Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => (
                max_surge.resolve(want.len() as u32, true) as usize,
                max_unavailable.resolve(want.len() as u32, true) as usize,
            ),
            scenario::Strategy::Recreate => (0, 1),
        };
        // util.AllowsSurge: maxSurge is not 0 (against one node, rounded up)
        let surging = matches!(
            self.scenario.workloads[d].strategy,
            scenario::Strategy::RollingUpdate { max_surge, .. } if max_surge.resolve(1, true) > 0
        );
        let mut delete = Vec::new();
        for (&n, ids) in &per_node {
            if want.binary_search(&n).is_err() {
                // not selected any more, or gone: bound pods of a gone node are pod GC's
                if self.nodes[n].exists {
                    delete.extend(active(self, ids));
                } else {
                    delete.extend(
                        ids.iter()
                            .copied()
                            .filter(|&id| self.pod(id).is_some_and(|p| p.node.is_none())),
                    );
                }
            }
        }
        for &n in &want {
            let ids = per_node
                .get(&n)
                .map(|v| active(self, v))
                .unwrap_or_default();
            if ids.is_empty() {
                let id = self.create_daemon_pod(update, n, sink);
                per_node.entry(n).or_default().push(id);
            } else if ids.len() > 1 {
                let mut by_age: Vec<(Nanos, PodId)> = ids
                    .iter()
                    .filter_map(|&id| self.pod(id).map(|p| (p.creation_ns, id)))
                    .collect();
                by_age.sort_unstable();
                if !surging {
                    // keep the oldest (podsShouldBeOnNode: extra daemon pods are deleted)
                    delete.extend(by_age.iter().skip(1).map(|&(_, id)| id));
                    continue;
                }
                // podsShouldBeOnNode with surge: keep the oldest new and the oldest old pod;
                // the old one goes once it is not Ready or the new one is available
                let (mut oldest_new, mut oldest_old) = (None, None);
                for &(_, id) in &by_age {
                    let is_new = self.pod(id).is_some_and(|p| p.replica_set == update);
                    let slot = if is_new {
                        &mut oldest_new
                    } else {
                        &mut oldest_old
                    };
                    if slot.is_none() {
                        *slot = Some(id);
                    } else {
                        delete.push(id);
                    }
                }
                if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
                    if !self.pod(old).is_some_and(|p| p.is_ready()) || self.healthy(new) {
                        delete.push(old);
                    }
                }
            }
        }
        for id in delete {
            self.delete_pod(id, sink);
        }
        if surging {
            self.daemon_surge_update(update, &want, &per_node, max_surge, sink);
            return;
        }
        // rollingUpdate (maxSurge 0): old pods go while fewer than maxUnavailable are down
        let max_unavailable = max_unavailable.max(1);
        let mut unavailable = 0usize;
        let mut candidates = Vec::new();
        let mut replace_now = Vec::new();
        for &n in &want {
            let Some(ids) = per_node.get(&n) else {
                continue;
            };
            let live = active(self, ids);
            let new_pod = live
                .iter()
                .copied()
                .find(|&id| self.pod(id).is_some_and(|p| p.replica_set == update));
            let old_pod = live
                .iter()
                .copied()
                .find(|&id| self.pod(id).is_some_and(|p| p.replica_set != update));
            match (new_pod, old_pod) {
                (Some(id), None) => unavailable += usize::from(!self.healthy(id)),
                (None, Some(id)) => {
                    if !self.healthy(id) {
                        replace_now.push(id);
                    } else if unavailable < max_unavailable {
                        candidates.push(id);
                    }
                }
                _ => unavailable += 1,
            }
        }
        let room = max_unavailable.saturating_sub(unavailable);
        for id in replace_now
            .into_iter()
            .chain(candidates.into_iter().take(room))
        {
            self.delete_pod(id, sink);
        }
    }

    /// update.go :: rollingUpdate with maxSurge > 0: a node whose old pod is not available
    /// gets a new pod at once; other nodes with an old pod get one while fewer than maxSurge
    /// new pods are waiting to become available; an old pod goes once the new pod beside it
    /// is available (the deletions are `manage`'s, above). Nodes are taken in id order
    /// (upstream walks a map).
    fn daemon_surge_update(
        &mut self,
        update: usize,
        want: &[NodeId],
        per_node: &BTreeMap<NodeId, Vec<PodId>>,
        max_surge: usize,
        sink: &mut dyn ChangeSink,
    ) {
        let mut surge = 0usize;
        let mut allowed = Vec::new();
        let mut candidates = Vec::new();
        for &n in want {
            let live: Vec<PodId> = per_node
                .get(&n)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&id| self.pod(id).is_some_and(|p| p.is_active()))
                .collect();
            let (new, old): (Vec<PodId>, Vec<PodId>) = live
                .iter()
                .partition(|&&id| self.pod(id).is_some_and(|p| p.replica_set == update));
            if new.len() > 1 || old.len() > 1 {
                surge += 1; // findUpdatedPodsOnNode: manage prunes this node first
                continue;
            }
            match (new.first(), old.first()) {
                (_, None) => {}
                (None, Some(&o)) => {
                    if !self.healthy(o) {
                        allowed.push(n);
                    } else if surge < max_surge {
                        candidates.push(n);
                    }
                }
                (Some(&nw), Some(_)) => {
                    if !self.healthy(nw) {
                        surge += 1;
                    }
                }
            }
        }
        let room = max_surge.saturating_sub(surge).min(candidates.len());
        for n in allowed.into_iter().chain(candidates.into_iter().take(room)) {
            self.create_daemon_pod(update, n, sink);
        }
    }
}
