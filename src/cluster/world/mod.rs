//! The simulated cluster and its single-threaded event loop.
//!
//! [`World`] owns the per-subsystem random streams and every object. It schedules its events
//! into an [`Outbox`] that the run moves into its one event queue ([`crate::run::dispatch`],
//! one total order, see [`crate::sim::queue`]); the run hands each due event back to
//! [`World::dispatch`], which applies it and hands every resulting object write to the
//! [`ChangeSink`].
//!
//! Start state (t = 0): every initial node exists and is Ready, every Service with
//! `present_at_start` exists, and each workload runs in steady state: one ReplicaSet
//! (template version 0) whose `replicas` pods are scheduled, have IPs and are Ready (and
//! available) at t = 0. They are emitted as `Added` changes at t = 0, nodes first, then
//! Services, then pods (workload order), so a consumer can build its initial caches.
//!
//! Pod lifecycle (kubelet status updates): create (Pending, no node) → bound after `schedule_delay` (update) →
//! sandbox + IP after `ip_delay` (update; phase Running, Ready=False — or Ready=True in the same
//! update when the drawn ready delay is 0) → Ready after `ready_delay` (update). Graceful
//! delete: deletionTimestamp = now + grace (update) → Ready=False after `not_serving_after`
//! (update) → containers exited after `exit_after` (both capped at the grace period): one
//! status update to phase Succeeded with Ready=False, then the object is deleted. A pod that
//! was never bound is deleted at once (the API server skips graceful deletion for unscheduled
//! pods: kubernetes/kubernetes :: pkg/registry/core/pod/strategy.go :: CheckGracefulDelete).
//! UNCONFIRMED: the terminal phase a SIGTERM-ed container reports (Succeeded vs Failed) — both
//! are terminal for the endpoint controllers.
//!
//! Node failure (node_lifecycle_controller.go monitorNodeHealth, MarkPodsNotReady): the kubelet stops (its pods' timers stall); exactly the node-monitor
//! grace period later (the controller's 5 s node-monitor-period phase is not modelled) the node
//! becomes Ready=Unknown with `node.kubernetes.io/unreachable` NoSchedule and
//! NoExecute taints (one Node update) and every Ready pod on it gets Ready=False (one update per
//! pod, MarkPodsNotReady); after the toleration the pods are evicted (graceful delete) and stay
//! Terminating until the kubelet returns or the Node object is deleted (pod GC then
//! force-deletes them after [`POD_GC_ORPHAN_DELAY_NS`]).
//!
//! The event handlers live beside this file, one per seam: `store` (the pod store, its
//! indexes and the one place a pod write is emitted), `scheduler` (node placement and
//! binding), `pods` (kubelet lifecycle), `nodes`, `services`, `workloads` (Deployment and
//! ReplicaSet controllers), `timeline` (scenario events and churn).

use super::change::{Change, ChangeSink, ObjChange};
use super::deployment::{self, DeploymentInfo, RsInfo};
use super::ids;
use super::ipam::NodeIpam;
use super::model::*;
use super::ranking::{self, Candidate};
use super::small_map::SmallSet;
use crate::scenario::{self, EventKind, Nanos, NodeSelection, Scenario, StringMap, NS_PER_SEC};
use crate::sim::{Outbox, Stream, Streams};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

/// ReplicaSet `BurstReplicas`: at most this many creations/deletions per sync.
/// cite: kubernetes/kubernetes :: pkg/controller/replicaset/replica_set.go :: BurstReplicas
pub const BURST_REPLICAS: usize = 500;

/// Pod GC deletes pods bound to a node that no longer exists after this quarantine.
/// cite: kubernetes/kubernetes :: pkg/controller/podgc/gc_controller.go :: quarantineTime (40 s; UNCONFIRMED for v1.32)
pub const POD_GC_ORPHAN_DELAY_NS: Nanos = 40 * NS_PER_SEC;

/// Reaction time of the deployment and ReplicaSet controllers: a sync runs this long after the
/// first change that requires it, and every change arriving meanwhile is handled by that same
/// sync (workqueue key coalescing). Real kube-controller-manager hops (status write, watch
/// delivery, queue, sync) take milliseconds to tens of milliseconds; a zero delay would run one
/// sync per pod event, which neither matches the real coalescing nor scales to 20,000-replica
/// rollouts. Modelling choice, not an upstream constant.
pub const WORKLOAD_CONTROLLER_DELAY_NS: Nanos = 20 * crate::scenario::NS_PER_MS;

/// Retry interval for a sandbox that found its node's IP range full.
const IP_RETRY_NS: Nanos = 10 * NS_PER_SEC;

/// What the queue carries. The `u32`s are epochs: a timer whose epoch no longer matches the
/// object's is stale and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldEvent {
    /// `Scenario::events[i]`.
    Timeline(usize),
    DeploymentSync(usize),
    ReplicaSetSync(usize),
    /// Retry binding of every unscheduled pod (capacity changed).
    RetryScheduling,
    PodBind(PodId),
    PodSandbox(PodId, u32),
    PodReady(PodId, u32),
    PodAvailable(PodId, u32),
    PodNotServing(PodId),
    PodExit(PodId),
    FlapTick(usize),
    NodeDetect(NodeId, u32, Nanos),
    NodeEvict(NodeId, u32),
    PodGc(NodeId),
    ChurnTick(usize),
    /// Step `i` of the recorded period being replayed ([`World::set_replay`]).
    Replay(usize),
}

impl WorldEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            WorldEvent::Timeline(_) => "timeline",
            WorldEvent::DeploymentSync(_) => "deployment-sync",
            WorldEvent::ReplicaSetSync(_) => "replicaset-sync",
            WorldEvent::RetryScheduling => "retry-scheduling",
            WorldEvent::PodBind(_) => "pod-bind",
            WorldEvent::PodSandbox(..) => "pod-sandbox",
            WorldEvent::PodReady(..) => "pod-ready",
            WorldEvent::PodAvailable(..) => "pod-available",
            WorldEvent::PodNotServing(_) => "pod-not-serving",
            WorldEvent::PodExit(_) => "pod-exit",
            WorldEvent::FlapTick(_) => "flap-tick",
            WorldEvent::NodeDetect(..) => "node-detect",
            WorldEvent::NodeEvict(..) => "node-evict",
            WorldEvent::PodGc(_) => "pod-gc",
            WorldEvent::ChurnTick(_) => "churn-tick",
            WorldEvent::Replay(_) => "replay",
        }
    }
}

/// Per-workload counters, maintained incrementally on every pod write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadStats {
    /// Pod objects that exist (terminating ones included).
    pub pods_total: u64,
    /// Not terminating and not terminal (`IsPodActive`).
    pub pods_active: u64,
    /// Ready condition True (any pod, terminating included).
    pub pods_ready: u64,
    /// Active and Ready for at least minReadySeconds.
    pub pods_available: u64,
    pub pods_terminating: u64,
    /// Active pods without an IP yet.
    pub pods_pending: u64,
    /// Active pods not bound to a node.
    pub pods_unscheduled: u64,
    /// Cumulative.
    pub pods_created: u64,
    pub pods_deleted: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PodFlags {
    workload: usize,
    rs: usize,
    node: Option<NodeId>,
    active: bool,
    ready: bool,
    available: bool,
    terminating: bool,
    has_ip: bool,
    nonterminal: bool,
}

impl PodFlags {
    fn of(p: &Pod) -> Self {
        PodFlags {
            workload: p.workload,
            rs: p.replica_set,
            node: p.node,
            active: p.is_active(),
            ready: p.is_ready(),
            available: p.available && p.is_active(),
            terminating: p.is_terminating(),
            has_ip: !p.ips.is_empty(),
            nonterminal: !p.phase.is_terminal(),
        }
    }
}

/// Sums over every Deployment: the `*` row of `workloads.csv`, sampled every simulated second
/// (kept as pods, replicas and ReplicaSets change instead of summed over 10,000 Deployments per
/// sample). `stats` holds the per-sample counters only (`pods_created`/`pods_deleted` stay 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadTotals {
    pub stats: WorkloadStats,
    /// Sum of Deployment `spec.replicas`.
    pub replicas: u64,
    /// ReplicaSets with `spec.replicas > 0`.
    pub replicasets_active: usize,
}

/// A ReplicaSet of a Deployment.
#[derive(Debug, Clone)]
pub struct ReplicaSet {
    pub index: usize,
    pub workload: usize,
    pub name: String,
    pub uid: String,
    pub template: Arc<PodTemplate>,
    /// Spec replicas, status counts and replica annotations as the deployment controller sees them.
    pub info: RsInfo,
    /// Active pods (`IsPodActive`).
    pub active: ActiveSet,
    /// Every existing pod of this ReplicaSet (terminating and terminal ones included), by id.
    pub pods: SmallSet<PodId>,
    sync_pending: bool,
}

/// A Deployment (one per scenario workload).
#[derive(Debug, Clone)]
pub struct Deployment {
    pub workload: usize,
    pub name: String,
    pub namespace: Arc<str>,
    pub uid: String,
    pub replicas: u32,
    pub template: Arc<PodTemplate>,
    /// Its ReplicaSets in creation order (indices into `World::replica_sets`).
    pub replica_sets: Vec<usize>,
    /// The ReplicaSet of the current template, once created.
    pub new_rs: Option<usize>,
    pub stats: WorkloadStats,
    /// `stats` changed since the last [`World::take_changed_stats`] (it is listed in
    /// [`World::stats_changed`]).
    stats_changed: bool,
    sync_pending: bool,
    /// Active pods per node (lookups only, never iterated; zero counts stay).
    active_per_node: NodeCounts,
}

struct Churn {
    workload: Option<usize>,
    mean_interval_ns: Nanos,
    end_ns: Nanos,
}

struct PodSlot {
    generation: u32,
    /// Shared with the controller manager's pod lists (`World::pod_shared`): a write makes
    /// its own copy only while the previous version is still held there (`Arc::make_mut`).
    pod: Option<Arc<Pod>>,
}

/// Options of a world that are not part of the scenario (none yet; the event log moved to
/// the run's dispatcher).
#[derive(Debug, Default)]
pub struct WorldOptions {}

/// The simulated cluster. See the module docs.
pub struct World {
    scenario: Arc<Scenario>,
    /// Where new pods go ([`Spread`] unless [`World::set_scheduler`] says otherwise).
    scheduler: Box<dyn SchedulerPolicy>,
    /// What the world scheduled while handling the current event (see [`World::take_scheduled`]).
    queue: Outbox<WorldEvent>,
    rng_lifecycle: ChaCha8Rng,
    rng_churn: ChaCha8Rng,
    rng_identity: ChaCha8Rng,
    rng_flap: ChaCha8Rng,
    rng_nodes: ChaCha8Rng,
    /// Global write counter (one etcd revision for all objects).
    resource_version: u64,
    nodes: Vec<Node>,
    node_ipam: Vec<NodeIpam>,
    /// Pods bound to each node, in id order (a sorted vector for a node's usual few dozen:
    /// a tree's root node per insert was a cache miss in every binding).
    node_pods: Vec<SmallSet<PodId>>,
    node_cpu_used: Vec<u64>,
    node_tiebreak: Vec<u64>,
    node_epoch: Vec<u32>,
    node_delete_when_empty: Vec<bool>,
    /// Schedulable nodes by (pods on node, random tie-break, id).
    sched: BTreeSet<(u32, u64, NodeId)>,
    in_sched: Vec<bool>,
    /// Unscheduled pods waiting for capacity, by creation order.
    unscheduled: BTreeSet<(u64, PodId)>,
    retry_scheduling_pending: bool,
    pods: Vec<PodSlot>,
    free_slots: Vec<u32>,
    /// Creation order of the pod in each slot, with the pod it is for (a slot's later pod
    /// never reads its predecessor's): see [`World::create_seq`].
    pod_create_seq: Vec<(PodId, u64)>,
    next_create_seq: u64,
    /// Names taken by existing pods (the uniqueness test of generated names).
    pod_names: names::NameIndex,
    replica_sets: Vec<ReplicaSet>,
    /// Active pods per ReplicaSet (`replica_sets[r].active.len()`), as prefix counts: the
    /// cluster-wide churn picks among every ReplicaSet's active pods without walking them.
    rs_active: crate::sim::fenwick::Fenwick,
    deployments: Vec<Deployment>,
    /// Deployments whose `stats` changed since the last [`World::take_changed_stats`], each
    /// once: a per-second sample revisits only these, not all 10,000.
    stats_changed: Vec<usize>,
    /// The DaemonSet workloads, ascending (a node add or delete syncs each; the scan of
    /// every workload per node cost 50 million steps for 5,000 nodes × 10,000 workloads).
    daemon_sets: Vec<usize>,
    /// Sums over every Deployment, kept as they change (see [`World::workload_totals`]).
    totals: WorkloadTotals,
    services: Vec<ServiceObj>,
    used_cluster_ips: HashSet<IpAddr>,
    churns: Vec<Churn>,
    events_processed: u64,
    started: bool,
    /// Last time handed to the sink's `advance_to`.
    sink_time: Option<Nanos>,
    /// A recorded period to replay, and its pods by (namespace, name) (lookups only).
    replay: Option<Arc<Replay>>,
    replay_pods: std::collections::BTreeMap<(String, String), PodId>,
    /// DaemonSet pods and the node each is for (lookups only; see `owners`).
    daemon_node: HashMap<PodId, NodeId>,
    /// StatefulSets' current revision and partition by workload (see `owners`).
    set_state: std::collections::BTreeMap<usize, owners::SetState>,
}

/// Did a pod change in a way the API would store (everything but the internal fields)?
/// The template is shared and immutable per pod, so pointer equality is enough for it.
fn api_visible_change(old: &Pod, new: &Pod) -> bool {
    !(Arc::ptr_eq(&old.template, &new.template)
        && old.node == new.node
        && old.phase == new.phase
        && old.ips == new.ips
        && old.scheduled == new.scheduled
        && old.containers_ready == new.containers_ready
        && old.ready == new.ready
        && old.deletion_timestamp_ns == new.deletion_timestamp_ns
        && old.deletion_grace_period_s == new.deletion_grace_period_s
        && old.termination_grace_ns == new.termination_grace_ns
        && old.node_name == new.node_name
        && old.name == new.name
        && old.uid == new.uid)
}

fn write_rv(rv: &mut u64) -> u64 {
    *rv += 1;
    *rv
}

impl World {
    /// Build the world for a resolved scenario. Nothing happens until [`World::start`].
    pub fn new(scenario: Scenario, options: WorldOptions) -> anyhow::Result<World> {
        World::new_shared(Arc::new(scenario), options)
    }

    /// [`World::new`] of a scenario the caller keeps sharing (a 10,000-workload scenario is
    /// tens of MB: the run holds one copy, not two).
    pub fn new_shared(scenario: Arc<Scenario>, _options: WorldOptions) -> anyhow::Result<World> {
        let streams = Streams::new(scenario.seed);
        let mut rng_sched = streams.stream(Stream::Scheduling);
        let mut rng_identity = streams.stream(Stream::Identity);
        let c = &scenario.cluster;
        let mut nodes = Vec::with_capacity(c.nodes.len());
        let mut node_ipam = Vec::with_capacity(c.nodes.len());
        for (i, n) in c.nodes.iter().enumerate() {
            let zone_name: Arc<str> = c
                .zones
                .get(n.zone)
                .map(|z| z.name.as_str())
                .unwrap_or("")
                .into();
            let ipam = NodeIpam::new(&n.pod_cidrs);
            if ipam.capacity() == 0 {
                return Err(crate::error::input_error(format!(
                    "node {}: pod CIDR has no usable addresses",
                    n.name
                )));
            }
            let labels = scenario::node_labels(&n.name, &zone_name);
            nodes.push(Node {
                id: i,
                name: n.name.as_str().into(),
                uid: ids::uid_v4(&mut rng_identity),
                zone: n.zone,
                zone_name,
                labels,
                allocatable_cpu_milli: n.allocatable_cpu_milli,
                max_pods: c.max_pods_per_node,
                pod_cidrs: n.pod_cidrs.clone(),
                resource_version: 0,
                creation_ns: 0,
                ready: NodeReady::True,
                ready_transition_ns: 0,
                unschedulable: false,
                taints: Vec::new(),
                exists: false,
                kubelet_up: true,
            });
            node_ipam.push(ipam);
        }
        let n = nodes.len();
        let node_tiebreak = (0..n).map(|_| rng_sched.gen::<u64>()).collect();
        let mut w = World {
            scheduler: Box::new(Spread),
            queue: Outbox::default(),
            rng_lifecycle: streams.stream(Stream::PodLifecycle),
            rng_churn: streams.stream(Stream::Churn),
            rng_identity,
            rng_flap: streams.stream(Stream::Flapping),
            rng_nodes: streams.stream(Stream::Nodes),
            resource_version: 0,
            nodes,
            node_ipam,
            node_pods: vec![SmallSet::default(); n],
            node_cpu_used: vec![0; n],
            node_tiebreak,
            node_epoch: vec![0; n],
            node_delete_when_empty: vec![false; n],
            sched: BTreeSet::new(),
            in_sched: vec![false; n],
            unscheduled: BTreeSet::new(),
            retry_scheduling_pending: false,
            pods: Vec::new(),
            free_slots: Vec::new(),
            pod_create_seq: Vec::new(),
            next_create_seq: 0,
            pod_names: Default::default(),
            replica_sets: Vec::new(),
            rs_active: Default::default(),
            deployments: Vec::new(),
            stats_changed: Vec::new(),
            daemon_sets: Vec::new(),
            totals: WorkloadTotals::default(),
            services: Vec::new(),
            used_cluster_ips: HashSet::new(),
            churns: Vec::new(),
            events_processed: 0,
            started: false,
            sink_time: None,
            replay: None,
            replay_pods: std::collections::BTreeMap::new(),
            daemon_node: HashMap::new(),
            set_state: Default::default(),
            scenario,
        };
        for (i, wl) in w.scenario.clone().workloads.iter().enumerate() {
            let template = w.make_template(i, 0, wl.labels.clone(), wl.ports.clone());
            let uid = ids::uid_v4(&mut w.rng_identity);
            w.totals.replicas += u64::from(wl.replicas);
            w.deployments.push(Deployment {
                workload: i,
                name: wl.name.clone(),
                namespace: wl.namespace.as_str().into(),
                uid,
                replicas: wl.replicas,
                template,
                replica_sets: Vec::new(),
                new_rs: None,
                stats: WorkloadStats::default(),
                stats_changed: false,
                sync_pending: false,
                active_per_node: NodeCounts::default(),
            });
            if matches!(wl.kind, scenario::WorkloadKind::DaemonSet { .. }) {
                w.daemon_sets.push(i);
            }
        }
        Ok(w)
    }

    /// Place new pods with `policy` instead of [`Spread`] (before [`World::start`]).
    pub fn set_scheduler(&mut self, policy: Box<dyn SchedulerPolicy>) {
        self.scheduler = policy;
    }

    /// Drop the world part by part into `census` (memory measurements, `sim::alloc_stats`).
    pub fn census(mut self, census: &mut crate::sim::alloc_stats::Census) {
        use std::mem::take;
        census.drop_part("world: pods (slots)", take(&mut self.pods));
        census.drop_part(
            "world: pod names + create order",
            (take(&mut self.pod_names), take(&mut self.pod_create_seq)),
        );
        census.drop_part("world: replica sets", take(&mut self.replica_sets));
        census.drop_part("world: deployments", take(&mut self.deployments));
        census.drop_part(
            "world: nodes (+ ipam, pods per node)",
            (
                take(&mut self.nodes),
                take(&mut self.node_ipam),
                take(&mut self.node_pods),
                take(&mut self.sched),
            ),
        );
        census.drop_part("world: services", take(&mut self.services));
        census.drop_part("world: the rest (scenario copy, queue)", self);
    }

    // ------------------------------------------------------------------ accessors

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn now(&self) -> Nanos {
        self.queue.now()
    }
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id).filter(|n| n.exists)
    }
    pub fn services(&self) -> &[ServiceObj] {
        &self.services
    }
    pub fn deployments(&self) -> &[Deployment] {
        &self.deployments
    }
    /// Hand each Deployment whose `stats` changed since the last call to `f`, once, and
    /// forget them: a reader that saw every Deployment once need only revisit these (the
    /// run's [`crate::run`] summary of peaks and minima per sample).
    pub fn take_changed_stats(&mut self, mut f: impl FnMut(usize, &Deployment)) {
        for d in self.stats_changed.drain(..) {
            let dep = &mut self.deployments[d];
            dep.stats_changed = false;
            f(d, dep);
        }
    }

    /// Note that Deployment `d`'s stats changed (see [`World::take_changed_stats`]).
    pub(super) fn stats_touched(&mut self, d: usize) {
        if let Some(dep) = self.deployments.get_mut(d) {
            if !dep.stats_changed {
                dep.stats_changed = true;
                self.stats_changed.push(d);
            }
        }
    }

    /// [`WorkloadTotals`] as kept.
    pub fn workload_totals(&self) -> WorkloadTotals {
        self.totals
    }
    /// [`WorkloadTotals`] summed over every Deployment and ReplicaSet (the straightforward form
    /// of [`World::workload_totals`], for tests).
    pub fn workload_totals_walked(&self) -> WorkloadTotals {
        let mut t = WorkloadTotals::default();
        for d in &self.deployments {
            let (s, st) = (&d.stats, &mut t.stats);
            st.pods_total += s.pods_total;
            st.pods_active += s.pods_active;
            st.pods_ready += s.pods_ready;
            st.pods_available += s.pods_available;
            st.pods_terminating += s.pods_terminating;
            st.pods_pending += s.pods_pending;
            st.pods_unscheduled += s.pods_unscheduled;
            t.replicas += u64::from(d.replicas);
            t.replicasets_active += d
                .replica_sets
                .iter()
                .filter(|&&r| self.replica_sets[r].info.replicas > 0)
                .count();
        }
        t
    }
    /// Set Deployment `d`'s `spec.replicas` (keeping [`WorkloadTotals`]).
    pub(super) fn set_replicas(&mut self, d: usize, replicas: u32) {
        let dep = &mut self.deployments[d];
        self.totals.replicas = self.totals.replicas - u64::from(dep.replicas) + u64::from(replicas);
        dep.replicas = replicas;
    }
    /// Set ReplicaSet `r`'s `spec.replicas` (keeping [`WorkloadTotals`]).
    pub(super) fn set_rs_replicas(&mut self, r: usize, replicas: u32) {
        let rs = &mut self.replica_sets[r];
        let (was, is) = (rs.info.replicas > 0, replicas > 0);
        rs.info.replicas = replicas;
        self.totals.replicasets_active =
            self.totals.replicasets_active + usize::from(is) - usize::from(was);
    }
    pub fn replica_sets(&self) -> &[ReplicaSet] {
        &self.replica_sets
    }
    /// The creation order of pod `id` (0 if it has none: the lookup of a missing key).
    fn create_seq(&self, id: PodId) -> u64 {
        match self.pod_create_seq.get(id.index as usize) {
            Some(&(p, seq)) if p == id => seq,
            _ => 0,
        }
    }
    fn set_create_seq(&mut self, id: PodId, seq: u64) {
        let i = id.index as usize;
        if self.pod_create_seq.len() <= i {
            let none = PodId {
                index: u32::MAX,
                generation: u32::MAX,
            };
            self.pod_create_seq.resize(i + 1, (none, 0));
        }
        self.pod_create_seq[i] = (id, seq);
    }
    pub fn pod(&self, id: PodId) -> Option<&Pod> {
        self.pods
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_deref())
    }
    /// [`World::pod`], shared: the pod lists of the controller manager hold this allocation
    /// rather than a copy of it.
    pub fn pod_shared(&self, id: PodId) -> Option<&Arc<Pod>> {
        self.pods
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_ref())
    }
    /// Every existing pod, in slot order.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.iter().filter_map(|s| s.pod.as_deref())
    }
    /// Every existing pod of a ReplicaSet (terminating ones included), in id order.
    pub fn pods_of_replica_set(&self, r: usize) -> impl Iterator<Item = &Pod> {
        self.replica_sets
            .get(r)
            .into_iter()
            .flat_map(|rs| rs.pods.iter())
            .filter_map(|p| self.pod(*p))
    }

    /// Pods in `namespace` whose labels contain every `key=value` of `selector` (the
    /// equality-based Service selector), terminating ones included, in (ReplicaSet, id) order.
    /// Cost: one label test per ReplicaSet (pods share their ReplicaSet's labels), not per pod,
    /// except for a selector on a StatefulSet pod's own labels (`owners::template_for`).
    pub fn pods_matching<'a>(
        &'a self,
        namespace: &'a str,
        selector: &'a StringMap,
    ) -> impl Iterator<Item = &'a Pod> + 'a {
        let per_pod = |k: &str| k == owners::POD_NAME_LABEL || k == owners::POD_INDEX_LABEL;
        let own = selector.keys().any(|k| per_pod(k));
        self.replica_sets
            .iter()
            .filter(move |rs| {
                &*self.deployments[rs.workload].namespace == namespace
                    && selector
                        .iter()
                        .all(|(k, v)| per_pod(k) || rs.template.labels.get(k) == Some(v))
            })
            .flat_map(|rs| rs.pods.iter())
            .filter_map(|p| self.pod(*p))
            .filter(move |p| !own || selector.iter().all(|(k, v)| p.labels().get(k) == Some(v)))
    }

    /// Pods bound to a node (terminating ones included), in id order.
    pub fn pods_on_node(&self, id: NodeId) -> impl Iterator<Item = &Pod> {
        self.node_pods
            .get(id)
            .into_iter()
            .flat_map(|s| s.iter())
            .filter_map(|p| self.pod(*p))
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }
    /// Number of nodes that exist / that exist and are Ready.
    pub fn node_counts(&self) -> (u64, u64) {
        let exist = self.nodes.iter().filter(|n| n.exists).count() as u64;
        let ready = self
            .nodes
            .iter()
            .filter(|n| n.exists && n.ready == NodeReady::True)
            .count() as u64;
        (exist, ready)
    }

    // ------------------------------------------------------------------ driving

    /// Create the t = 0 state and queue the timeline. Emits the initial `Added` changes.
    pub fn start(&mut self, sink: &mut dyn ChangeSink) -> anyhow::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        self.advance_sink(0, sink);
        let sc = self.scenario.clone();
        // the t = 0 pods, at once (a hint: DaemonSets have their own count)
        let pods: usize = self.deployments.iter().map(|d| d.replicas as usize).sum();
        self.pods.reserve(pods);
        self.pod_create_seq.reserve(pods);
        self.pod_names.reserve(pods);
        for i in 0..sc.cluster.initial_node_count.min(self.nodes.len()) {
            self.add_node(i, sink);
        }
        for (i, s) in sc.services.iter().enumerate() {
            self.services.push(ServiceObj {
                index: i,
                spec: s.clone(),
                uid: String::new(),
                resource_version: 0,
                creation_ns: 0,
                cluster_ips: Vec::new(),
                exists: false,
            });
            if s.present_at_start {
                self.create_service(i, sink);
            }
        }
        for w in 0..self.deployments.len() {
            self.start_workload(w, sink)?;
        }
        for (i, ev) in sc.events.iter().enumerate() {
            self.queue.schedule_at(ev.at_ns, WorldEvent::Timeline(i));
        }
        self.start_replay();
        for (w, wl) in sc.workloads.iter().enumerate() {
            if let Some(f) = wl.flapping {
                if f.period_ns > 0 && f.probability_ppm > 0 {
                    self.queue.schedule_at(f.period_ns, WorldEvent::FlapTick(w));
                }
            }
        }
        Ok(())
    }

    /// The events scheduled since the last call, in scheduling order, for the run's queue.
    pub fn take_scheduled(&mut self) -> std::vec::Drain<'_, (Nanos, WorldEvent)> {
        self.queue.drain()
    }

    /// Handle one event due at `time_ns` (taken off the run's queue): the sink is first
    /// advanced to that time (its own timers due by then run first), then the event is applied
    /// and its changes are handed to the sink.
    pub fn dispatch(
        &mut self,
        time_ns: Nanos,
        ev: WorldEvent,
        sink: &mut dyn ChangeSink,
    ) -> anyhow::Result<()> {
        self.queue.set_now(time_ns);
        self.advance_sink(time_ns, sink);
        self.events_processed += 1;
        self.handle(ev, sink);
        Ok(())
    }

    /// Move the sink's clock to `t` ([`ChangeSink::advance_to`]) unless it is there already:
    /// how the run delivers the sink's own wakeups ([`World::sink_wakeup`]).
    pub fn advance_sink(&mut self, t: Nanos, sink: &mut dyn ChangeSink) {
        if self.sink_time.map_or(true, |s| s < t) {
            self.sink_time = Some(t);
            sink.advance_to(t, self);
        }
    }

    /// The sink's next wakeup if it is still to come and within the run: not before the
    /// world's clock, after the last time the sink was advanced to.
    pub fn sink_wakeup(&self, sink: &dyn ChangeSink) -> Option<Nanos> {
        sink.next_wakeup().filter(|&t| {
            t <= self.scenario.duration_ns
                && self.sink_time.map_or(true, |s| s < t)
                && t >= self.now()
        })
    }

    /// Advance the sink to the scenario's end (after the last event).
    pub fn finish(&mut self, sink: &mut dyn ChangeSink) {
        self.advance_sink(self.scenario.duration_ns, sink);
    }

    /// One line about `ev` for the event log (`<kind>` is [`WorldEvent::kind`]).
    pub fn describe(&self, ev: &WorldEvent) -> String {
        let pod = |id: &PodId| {
            self.pod(*id)
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .unwrap_or_else(|| format!("gone#{}.{}", id.index, id.generation))
        };
        match ev {
            WorldEvent::Timeline(i) => format!(
                "event[{}] {:?}",
                self.scenario
                    .events
                    .get(*i)
                    .map(|e| e.file_index)
                    .unwrap_or(*i),
                self.scenario.events.get(*i).map(|e| &e.kind)
            ),
            WorldEvent::DeploymentSync(d) => self.deployments[*d].name.clone(),
            WorldEvent::ReplicaSetSync(r) => self.replica_sets[*r].name.clone(),
            WorldEvent::RetryScheduling => format!("{} waiting", self.unscheduled.len()),
            WorldEvent::PodBind(id) | WorldEvent::PodNotServing(id) | WorldEvent::PodExit(id) => {
                pod(id)
            }
            WorldEvent::PodSandbox(id, e)
            | WorldEvent::PodReady(id, e)
            | WorldEvent::PodAvailable(id, e) => format!("{} epoch={e}", pod(id)),
            WorldEvent::FlapTick(w) | WorldEvent::ChurnTick(w) => w.to_string(),
            WorldEvent::NodeDetect(n, e, _) | WorldEvent::NodeEvict(n, e) => {
                format!("{} epoch={e}", self.nodes[*n].name)
            }
            WorldEvent::PodGc(n) => self.nodes[*n].name.to_string(),
            WorldEvent::Replay(i) => self.describe_replay(*i),
        }
    }

    fn handle(&mut self, ev: WorldEvent, sink: &mut dyn ChangeSink) {
        match ev {
            WorldEvent::Timeline(i) => self.apply_timeline(i, sink),
            // a replayed workload's pods follow the recording, not its controllers
            WorldEvent::DeploymentSync(d) if self.replay_owns(d) => {}
            WorldEvent::ReplicaSetSync(r) if self.replay_owns(self.replica_sets[r].workload) => {}
            // StatefulSets and DaemonSets: one sync of the whole set (`owners`)
            WorldEvent::DeploymentSync(d) if self.owned_by_set(d) => self.sync_set(d, sink),
            WorldEvent::ReplicaSetSync(r) if self.owned_by_set(self.replica_sets[r].workload) => {
                self.replica_sets[r].sync_pending = false;
                self.enqueue_deployment_sync(self.replica_sets[r].workload);
            }
            WorldEvent::DeploymentSync(d) => self.sync_deployment(d, sink),
            WorldEvent::ReplicaSetSync(r) => self.sync_replica_set(r, sink),
            WorldEvent::RetryScheduling => self.retry_scheduling(sink),
            WorldEvent::PodBind(id) => self.bind_pod(id, sink),
            WorldEvent::PodSandbox(id, e) => self.pod_sandbox(id, e, sink),
            WorldEvent::PodReady(id, e) => self.pod_ready(id, e, sink),
            WorldEvent::PodAvailable(id, e) => self.pod_available(id, e),
            WorldEvent::PodNotServing(id) => self.pod_not_serving(id, sink),
            WorldEvent::PodExit(id) => self.pod_exit(id, sink),
            WorldEvent::FlapTick(w) => self.flap_tick(w, sink),
            WorldEvent::NodeDetect(n, e, tol) => self.node_detect(n, e, tol, sink),
            WorldEvent::NodeEvict(n, e) => self.node_evict(n, e, sink),
            WorldEvent::PodGc(n) => self.pod_gc(n, sink),
            WorldEvent::ChurnTick(c) => self.churn_tick(c, sink),
            WorldEvent::Replay(i) => self.replay_step(i, sink),
        }
    }
}

mod names;
mod nodes;
mod owners;
use owners::stateful_pod_name;
mod pods;
mod replay;
pub use replay::{Replay, ReplayNode, ReplayPod, ReplayState, ReplayStep};
mod active;
pub use active::{ActiveSet, NodeCounts};
mod scheduler;
pub use scheduler::{PlacementView, SchedulerPolicy, Spread};
mod services;
mod store;
mod timeline;
mod workloads;

#[cfg(test)]
mod tests {
    use super::*;

    /// The controller reaction delay coalesces: many pod changes inside one window → one sync.
    #[test]
    fn deployment_syncs_are_coalesced() {
        let src = r#"
name = "c"
description = "coalescing"
seed = 1
duration = "1m"
[cluster]
nodes = 2
zones = ["a"]
[[workloads]]
name = "web"
replicas = 10
ports = [{ name = "http", container_port = 8080 }]
[[events]]
at = "5s"
type = "restart_pods"
workload = "web"
count = 10
"#;
        let mut w = crate::testutil::world(src);
        let mut sink = super::super::change::NullSink;
        w.start(&mut sink).unwrap();
        // a plain queue of the world's events (the run's loop without controllers)
        let mut q = crate::sim::EventQueue::new();
        let pending = |w: &mut World, q: &mut crate::sim::EventQueue<WorldEvent>| {
            for (t, e) in w.take_scheduled() {
                q.schedule_at(t, e);
            }
        };
        pending(&mut w, &mut q);
        // process the restart event itself
        while q.peek_time().is_some_and(|t| t <= 5 * NS_PER_SEC) {
            let e = q.pop().unwrap();
            w.dispatch(e.time_ns, e.event, &mut sink).unwrap();
            pending(&mut w, &mut q);
        }
        // 10 deletions → exactly one queued ReplicaSet sync and one Deployment sync
        assert!(w.replica_sets[0].sync_pending);
        assert!(w.deployments[0].sync_pending);
        let rs_syncs = q
            .events()
            .filter(|e| matches!(e, WorldEvent::ReplicaSetSync(_)))
            .count();
        assert_eq!(rs_syncs, 1);
    }

    /// Cluster-wide churn picks through the prefix counts of active pods per ReplicaSet; under
    /// test every pick is also made by the walk of every ReplicaSet and must be the same pod
    /// (`pick_random_any`), through scale-ups, a rolling update (new ReplicaSets) and
    /// scale-downs to zero; the counts stay the ReplicaSets' active sizes.
    #[test]
    fn cluster_wide_churn_picks_like_the_walk_of_every_replica_set() {
        let src = r#"
name = "c"
seed = 7
duration = "4m"
[cluster]
nodes = 4
zones = ["a", "b"]
[[workloads]]
name = "web"
replicas = 6
ports = [{ name = "http", container_port = 8080 }]
[[workloads]]
name = "db"
replicas = 0
[[workloads]]
name = "api"
replicas = 3
[[events]]
at = "1s"
type = "churn"
rate = "5/s"
duration = "3m"
[[events]]
at = "20s"
type = "scale"
workload = "db"
replicas = 5
[[events]]
at = "40s"
type = "rolling_update"
workload = "web"
[[events]]
at = "90s"
type = "scale"
workload = "api"
replicas = 0
"#;
        let mut w = crate::testutil::world(src);
        let mut sink = super::super::change::NullSink;
        w.start(&mut sink).unwrap();
        let mut q = crate::sim::EventQueue::new();
        let mut ticks = 0;
        loop {
            for (t, e) in w.take_scheduled() {
                q.schedule_at(t, e);
            }
            let Some(e) = q.pop() else { break };
            ticks += usize::from(matches!(e.event, WorldEvent::ChurnTick(_)));
            w.dispatch(e.time_ns, e.event, &mut sink).unwrap();
            let sizes: Vec<u64> = w
                .replica_sets
                .iter()
                .map(|r| r.active.len() as u64)
                .collect();
            assert_eq!(w.rs_active.len(), sizes.len());
            for (r, &n) in sizes.iter().enumerate() {
                assert_eq!(w.rs_active.prefix(r + 1) - w.rs_active.prefix(r), n);
            }
            assert_eq!(w.rs_active.total(), sizes.iter().sum::<u64>());
            assert_eq!(w.workload_totals(), w.workload_totals_walked());
        }
        assert!(ticks > 500, "{ticks} churn ticks");
        assert!(w.replica_sets.len() >= 4);
    }
}
