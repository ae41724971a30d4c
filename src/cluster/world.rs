//! The simulated cluster and its single-threaded event loop.
//!
//! [`World`] owns the event queue, the per-subsystem random streams and every object. Each
//! call to [`World::step`] takes the next event off the queue (one total order, see
//! [`crate::sim::queue`]), logs it in the trace, applies it, and hands every resulting object
//! write to the [`ChangeSink`].
//!
//! Start state (t = 0): every initial node exists and is Ready, every Service with
//! `present_at_start` exists, and each workload runs in steady state: one ReplicaSet
//! (template version 0) whose `replicas` pods are scheduled, have IPs and are Ready (and
//! available) at t = 0. They are emitted as `Added` changes at t = 0, nodes first, then
//! Services, then pods (workload order), so a consumer can build its initial caches.
//!
//! Pod lifecycle (kubelet status updates): create (Pending, no node) → bound after `schedule_delay`
//! (update) → sandbox + IP after `ip_delay` (update; phase Running, Ready=False — or Ready=True in
//! the same update when the drawn ready delay is 0) → Ready after `ready_delay` (update). Graceful
//! delete: deletionTimestamp = now + grace (update) → Ready=False after `not_serving_after`
//! (update) → containers exited after `exit_after` (both capped at the grace period): one
//! status update to phase Succeeded with Ready=False, then the object is deleted. A pod that
//! was never bound is deleted at once (the API server skips graceful deletion for unscheduled
//! pods: kubernetes/kubernetes :: pkg/registry/core/pod/strategy.go :: CheckGracefulDelete).
//! UNCONFIRMED: the terminal phase a SIGTERM-ed container reports (Succeeded vs Failed) — both
//! are terminal for the endpoint controllers.
//!
//! Node failure (node_lifecycle_controller.go monitorNodeHealth, MarkPodsNotReady): the kubelet
//! stops (its pods' timers stall); exactly the node-monitor grace period later (the controller's 5
//! s node-monitor-period phase is not modelled) the node becomes Ready=Unknown with
//! `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints (one Node update) and every
//! Ready pod on it gets Ready=False (one update per pod, MarkPodsNotReady); after the toleration
//! the pods are evicted (graceful delete) and stay Terminating until the kubelet returns or the
//! Node object is deleted (pod GC then force-deletes them after [`POD_GC_ORPHAN_DELAY_NS`]).

use super::change::{Change, ChangeSink, ObjChange};
use super::deployment::{self, DeploymentInfo, RsInfo};
use super::ids;
use super::ipam::NodeIpam;
use super::model::*;
use super::ranking::{self, Candidate};
use crate::scenario::{
    self, EventKind, Nanos, NodeSelection, ScaleTarget, Scenario, StringMap, NS_PER_SEC,
};
use crate::sim::{EventQueue, Stream, Streams, TraceLog};
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

/// A ReplicaSet's active pods: ordered iteration (by id) plus O(1) uniform random picks.
/// The random-access order depends only on the (deterministic) sequence of inserts/removes.
#[derive(Debug, Clone, Default)]
pub struct ActiveSet {
    ordered: BTreeSet<PodId>,
    slots: Vec<PodId>,
    /// Lookups only, never iterated.
    pos: HashMap<PodId, usize>,
}

impl ActiveSet {
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
    pub fn contains(&self, id: &PodId) -> bool {
        self.pos.contains_key(id)
    }
    /// In pod-id order.
    pub fn iter(&self) -> impl Iterator<Item = &PodId> {
        self.ordered.iter()
    }
    /// The `i`-th element in random-access order (for uniform random picks).
    pub fn get(&self, i: usize) -> Option<PodId> {
        self.slots.get(i).copied()
    }
    fn insert(&mut self, id: PodId) {
        if self.ordered.insert(id) {
            self.pos.insert(id, self.slots.len());
            self.slots.push(id);
        }
    }
    fn remove(&mut self, id: &PodId) {
        if self.ordered.remove(id) {
            if let Some(i) = self.pos.remove(id) {
                self.slots.swap_remove(i);
                if let Some(moved) = self.slots.get(i) {
                    self.pos.insert(*moved, i);
                }
            }
        }
    }
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
    pub pods: BTreeSet<PodId>,
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
    sync_pending: bool,
    /// Active pods per node (lookups only, never iterated).
    active_per_node: HashMap<Option<NodeId>, u32>,
}

struct Churn {
    workload: Option<usize>,
    mean_interval_ns: Nanos,
    end_ns: Nanos,
}

struct PodSlot {
    generation: u32,
    pod: Option<Pod>,
}

/// Options of a run that are not part of the scenario.
#[derive(Default)]
pub struct WorldOptions {
    pub trace: Option<TraceLog>,
}

/// The simulated cluster. See the module docs.
pub struct World {
    scenario: Arc<Scenario>,
    queue: EventQueue<WorldEvent>,
    trace: TraceLog,
    rng_lifecycle: ChaCha8Rng,
    rng_churn: ChaCha8Rng,
    rng_identity: ChaCha8Rng,
    rng_flap: ChaCha8Rng,
    rng_nodes: ChaCha8Rng,
    /// Global write counter (one etcd revision for all objects).
    resource_version: u64,
    nodes: Vec<Node>,
    node_ipam: Vec<NodeIpam>,
    node_pods: Vec<BTreeSet<PodId>>,
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
    pod_create_seq: HashMap<PodId, u64>,
    next_create_seq: u64,
    pod_names: HashSet<(Arc<str>, String)>,
    replica_sets: Vec<ReplicaSet>,
    deployments: Vec<Deployment>,
    services: Vec<ServiceObj>,
    used_cluster_ips: HashSet<IpAddr>,
    churns: Vec<Churn>,
    events_processed: u64,
    started: bool,
    /// Last time handed to the sink's `advance_to`.
    sink_time: Option<Nanos>,
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
            let mut labels = StringMap::new();
            labels.insert("kubernetes.io/hostname".into(), n.name.clone());
            labels.insert("kubernetes.io/os".into(), "linux".into());
            labels.insert("topology.kubernetes.io/zone".into(), zone_name.to_string());
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
        let trace = options.trace.unwrap_or_else(TraceLog::disabled);
        let mut w = World {
            queue: EventQueue::new(),
            trace,
            rng_lifecycle: streams.stream(Stream::PodLifecycle),
            rng_churn: streams.stream(Stream::Churn),
            rng_identity,
            rng_flap: streams.stream(Stream::Flapping),
            rng_nodes: streams.stream(Stream::Nodes),
            resource_version: 0,
            nodes,
            node_ipam,
            node_pods: vec![BTreeSet::new(); n],
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
            pod_create_seq: HashMap::new(),
            next_create_seq: 0,
            pod_names: HashSet::new(),
            replica_sets: Vec::new(),
            deployments: Vec::new(),
            services: Vec::new(),
            used_cluster_ips: HashSet::new(),
            churns: Vec::new(),
            events_processed: 0,
            started: false,
            sink_time: None,
            scenario: Arc::new(scenario),
        };
        for (i, wl) in w.scenario.clone().workloads.iter().enumerate() {
            let template = w.make_template(i, 0, wl.labels.clone(), wl.ports.clone());
            let uid = ids::uid_v4(&mut w.rng_identity);
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
                sync_pending: false,
                active_per_node: HashMap::new(),
            });
        }
        Ok(w)
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
    pub fn replica_sets(&self) -> &[ReplicaSet] {
        &self.replica_sets
    }
    pub fn pod(&self, id: PodId) -> Option<&Pod> {
        self.pods
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_ref())
    }
    /// Every existing pod, in slot order.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.pods.iter().filter_map(|s| s.pod.as_ref())
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
    /// Cost: one label test per ReplicaSet (pods share their ReplicaSet's labels), not per pod.
    pub fn pods_matching<'a>(
        &'a self,
        namespace: &'a str,
        selector: &'a StringMap,
    ) -> impl Iterator<Item = &'a Pod> + 'a {
        self.replica_sets
            .iter()
            .filter(move |rs| {
                &*self.deployments[rs.workload].namespace == namespace
                    && selector
                        .iter()
                        .all(|(k, v)| rs.template.labels.get(k) == Some(v))
            })
            .flat_map(|rs| rs.pods.iter())
            .filter_map(|p| self.pod(*p))
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
    #[cfg(test)]
    fn queue_snapshot(&self) -> Vec<WorldEvent> {
        self.queue.events().cloned().collect()
    }

    /// Time of the next queued event.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.queue.peek_time()
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

    /// The trace log (to flush at the end of a run).
    pub fn trace_mut(&mut self) -> &mut TraceLog {
        &mut self.trace
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
        for (w, wl) in sc.workloads.iter().enumerate() {
            if let Some(f) = wl.flapping {
                if f.period_ns > 0 && f.probability_ppm > 0 {
                    self.queue.schedule_at(f.period_ns, WorldEvent::FlapTick(w));
                }
            }
        }
        Ok(())
    }

    /// Process the next event if it is due at or before the scenario's end. Returns its time.
    pub fn step(&mut self, sink: &mut dyn ChangeSink) -> anyhow::Result<Option<Nanos>> {
        match self.queue.peek_time() {
            Some(t) if t <= self.scenario.duration_ns => {}
            _ => return Ok(None),
        }
        let Some(s) = self.queue.pop() else {
            return Ok(None);
        };
        self.advance_sink(s.time_ns, sink);
        self.events_processed += 1;
        let ev = s.event;
        if self.trace.enabled() {
            let details = self.describe(&ev);
            self.trace.log(s.time_ns, s.seq, ev.kind(), || details)?;
        }
        self.handle(ev, sink);
        Ok(Some(s.time_ns))
    }

    fn advance_sink(&mut self, t: Nanos, sink: &mut dyn ChangeSink) {
        if self.sink_time.map_or(true, |s| s < t) {
            self.sink_time = Some(t);
            sink.advance_to(t, self);
        }
    }

    /// The sink's next wakeup if it is still to come and within the run.
    fn sink_wakeup(&self, sink: &dyn ChangeSink) -> Option<Nanos> {
        sink.next_wakeup().filter(|&t| {
            t <= self.scenario.duration_ns
                && self.sink_time.map_or(true, |s| s < t)
                && t >= self.now()
        })
    }

    /// Time of the next thing the combined loop ([`World::step_all`]) will do.
    pub fn peek_time_with(&self, sink: &dyn ChangeSink) -> Option<Nanos> {
        let tw = self
            .queue
            .peek_time()
            .filter(|&t| t <= self.scenario.duration_ns);
        match (tw, self.sink_wakeup(sink)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// One step of the combined loop: the sink's own wakeup when it comes strictly before the
    /// next world event (only `advance_to` is called), else the next world event ([`step`]).
    ///
    /// [`step`]: World::step
    pub fn step_all(&mut self, sink: &mut dyn ChangeSink) -> anyhow::Result<Option<Nanos>> {
        let tw = self
            .queue
            .peek_time()
            .filter(|&t| t <= self.scenario.duration_ns);
        if let Some(ts) = self.sink_wakeup(sink) {
            if tw.map_or(true, |w| ts < w) {
                self.advance_sink(ts, sink);
                return Ok(Some(ts));
            }
        }
        self.step(sink)
    }

    /// Advance the sink to the scenario's end (after the last step).
    pub fn finish(&mut self, sink: &mut dyn ChangeSink) {
        self.advance_sink(self.scenario.duration_ns, sink);
    }

    /// Run to the end of the scenario (world events and the sink's wakeups), then advance the
    /// sink to the scenario's end.
    pub fn run(&mut self, sink: &mut dyn ChangeSink) -> anyhow::Result<()> {
        self.start(sink)?;
        while self.step_all(sink)?.is_some() {}
        self.advance_sink(self.scenario.duration_ns, sink);
        Ok(())
    }

    fn describe(&self, ev: &WorldEvent) -> String {
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
        }
    }

    fn handle(&mut self, ev: WorldEvent, sink: &mut dyn ChangeSink) {
        match ev {
            WorldEvent::Timeline(i) => self.apply_timeline(i, sink),
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
        }
    }

    // ------------------------------------------------------------------ templates, identity

    fn make_template(
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
        labels.insert("pod-template-hash".into(), hash.clone());
        Arc::new(PodTemplate {
            version,
            hash,
            labels,
            ports,
            hostname: wl.hostname.clone(),
            subdomain: wl.subdomain.clone(),
        })
    }

    fn new_pod_name(&mut self, ns: &Arc<str>, rs_name: &str) -> String {
        loop {
            let name = format!("{rs_name}-{}", ids::name_suffix(&mut self.rng_identity));
            if self.pod_names.insert((ns.clone(), name.clone())) {
                return name;
            }
        }
    }

    // ------------------------------------------------------------------ bookkeeping

    fn enqueue_deployment_sync(&mut self, d: usize) {
        if let Some(dep) = self.deployments.get_mut(d) {
            if !dep.sync_pending {
                dep.sync_pending = true;
                self.queue
                    .schedule_in(WORKLOAD_CONTROLLER_DELAY_NS, WorldEvent::DeploymentSync(d));
            }
        }
    }

    fn enqueue_rs_sync(&mut self, r: usize) {
        if let Some(rs) = self.replica_sets.get_mut(r) {
            if !rs.sync_pending {
                rs.sync_pending = true;
                self.queue
                    .schedule_in(WORKLOAD_CONTROLLER_DELAY_NS, WorldEvent::ReplicaSetSync(r));
            }
        }
    }

    fn enqueue_retry_scheduling(&mut self) {
        if !self.unscheduled.is_empty() && !self.retry_scheduling_pending {
            self.retry_scheduling_pending = true;
            self.queue.schedule_in(0, WorldEvent::RetryScheduling);
        }
    }

    fn node_schedulable(&self, n: NodeId) -> bool {
        let node = &self.nodes[n];
        node.exists
            && node.ready == NodeReady::True
            && !node.unschedulable
            && node.taints.is_empty()
            && (self.node_pods[n].len() as u32) < node.max_pods
    }

    /// Re-evaluate a node's place in the scheduler's index (call after any change to it).
    fn refresh_sched(&mut self, n: NodeId, old_load: u32) {
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
    fn account(&mut self, id: PodId, old: Option<PodFlags>, new: Option<PodFlags>, cpu: u64) {
        let mut dep_sync = None;
        let mut rs_sync = None;
        if let Some(o) = old {
            let st = &mut self.deployments[o.workload].stats;
            st.pods_total -= 1;
            st.pods_active -= u64::from(o.active);
            st.pods_ready -= u64::from(o.ready);
            st.pods_available -= u64::from(o.available);
            st.pods_terminating -= u64::from(o.terminating);
            st.pods_pending -= u64::from(o.active && !o.has_ip);
            st.pods_unscheduled -= u64::from(o.active && o.node.is_none());
        }
        if let Some(n) = new {
            let st = &mut self.deployments[n.workload].stats;
            st.pods_total += 1;
            st.pods_active += u64::from(n.active);
            st.pods_ready += u64::from(n.ready);
            st.pods_available += u64::from(n.available);
            st.pods_terminating += u64::from(n.terminating);
            st.pods_pending += u64::from(n.active && !n.has_ip);
            st.pods_unscheduled += u64::from(n.active && n.node.is_none());
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
            if o_active {
                rs.active.remove(&id);
            }
            if n_active {
                rs.active.insert(id);
            }
            let dep = &mut self.deployments[f.workload];
            if o_active {
                if let Some(c) = dep.active_per_node.get_mut(&o_node) {
                    *c = c.saturating_sub(1);
                }
            }
            if n_active {
                *dep.active_per_node.entry(n_node).or_insert(0) += 1;
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

    fn cpu_of(&self, w: usize) -> u64 {
        self.scenario.workloads[w].cpu_request_milli
    }

    /// An API write to a pod: applies `f`; if anything visible changed, bumps the
    /// resourceVersion, updates the indexes and emits `Updated`. Returns whether it wrote.
    fn write_pod(
        &mut self,
        id: PodId,
        sink: &mut dyn ChangeSink,
        f: impl FnOnce(&mut Pod),
    ) -> bool {
        let now = self.queue.now();
        let Some(p) = self
            .pods
            .get_mut(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_mut())
        else {
            return false;
        };
        let old = p.clone();
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
    fn set_pod_internal(&mut self, id: PodId, f: impl FnOnce(&mut Pod)) {
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

    fn pod_mut(&mut self, id: PodId) -> Option<&mut Pod> {
        self.pods
            .get_mut(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_mut())
    }

    fn insert_pod(&mut self, build: impl FnOnce(PodId) -> Pod) -> PodId {
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
        self.pods[id.index as usize].pod = Some(pod);
        id
    }

    /// Remove a pod object (DELETE event), release its IP.
    fn remove_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(slot) = self.pods.get_mut(id.index as usize) else {
            return;
        };
        if slot.generation != id.generation {
            return;
        }
        let Some(mut pod) = slot.pod.take() else {
            return;
        };
        self.free_slots.push(id.index);
        let of = PodFlags::of(&pod);
        let cpu = self.cpu_of(pod.workload);
        if let (Some(n), Some(off)) = (pod.node, pod.ip_offset) {
            self.node_ipam[n].release(off);
        }
        self.pod_names
            .remove(&(pod.namespace.clone(), pod.name.clone()));
        self.unscheduled
            .remove(&(self.pod_create_seq.get(&id).copied().unwrap_or(0), id));
        self.pod_create_seq.remove(&id);
        self.deployments[pod.workload].stats.pods_deleted += 1;
        self.account(id, Some(of), None, cpu);
        // the last state as the informer saw it; resourceVersion of the deletion
        pod.resource_version = write_rv(&mut self.resource_version);
        sink.on_change(now, &Change::Pod(ObjChange::Deleted(&pod)), self);
        if let Some(n) = pod.node {
            if self.node_delete_when_empty[n] && self.node_pods[n].is_empty() {
                self.delete_node_object(n, sink);
            }
        }
    }

    // ------------------------------------------------------------------ nodes

    fn add_node(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
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
    }

    fn write_node(&mut self, n: NodeId, sink: &mut dyn ChangeSink, f: impl FnOnce(&mut Node)) {
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

    fn delete_node_object(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
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
        if !self.node_pods[n].is_empty() {
            self.queue
                .schedule_in(POD_GC_ORPHAN_DELAY_NS, WorldEvent::PodGc(n));
        }
    }

    /// Resolve a node selection among existing nodes; `want_up` restricts it to nodes whose
    /// kubelet is (`Some(true)`) or is not (`Some(false)`) running.
    fn select_nodes(&mut self, sel: &NodeSelection, want_up: Option<bool>) -> Vec<NodeId> {
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

    fn fail_node(&mut self, n: NodeId, toleration_ns: Nanos) {
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

    fn node_detect(
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

    fn set_not_ready(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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

    fn node_evict(&mut self, n: NodeId, epoch: u32, sink: &mut dyn ChangeSink) {
        if self.node_epoch[n] != epoch || self.nodes[n].kubelet_up {
            return;
        }
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            self.delete_pod(id, sink);
        }
    }

    fn recover_node(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
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

    fn remove_node(&mut self, n: NodeId, drain: bool, sink: &mut dyn ChangeSink) {
        if !self.nodes[n].exists {
            return;
        }
        if drain && self.nodes[n].kubelet_up {
            self.write_node(n, sink, |node| node.unschedulable = true);
            if self.node_pods[n].is_empty() {
                self.delete_node_object(n, sink);
                return;
            }
            self.node_delete_when_empty[n] = true;
            let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
            for id in pods {
                self.delete_pod(id, sink);
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
    fn pod_gc(&mut self, n: NodeId, sink: &mut dyn ChangeSink) {
        if self.nodes[n].exists {
            return;
        }
        let pods: Vec<PodId> = self.node_pods[n].iter().copied().collect();
        for id in pods {
            self.remove_pod(id, sink);
        }
    }

    // ------------------------------------------------------------------ services

    fn allocate_cluster_ips(&mut self, i: usize) -> Vec<IpAddr> {
        let s = &self.scenario.services[i];
        if s.headless || s.service_type == scenario::ServiceType::ExternalName {
            return Vec::new();
        }
        let mut out = Vec::new();
        for fam in s.ip_families.clone() {
            let Some(cidr) = self
                .scenario
                .cluster
                .service_cidrs
                .iter()
                .find(|c| c.family() == fam)
                .copied()
            else {
                continue;
            };
            let size = cidr.size().min(1 << 24);
            if size < 4 {
                continue;
            }
            // the apiserver's bitmap allocator picks a random free offset
            for _ in 0..64 {
                let off = self.rng_identity.gen_range(1..size - 1);
                if let Some(ip) = cidr.nth(off) {
                    if self.used_cluster_ips.insert(ip) {
                        out.push(ip);
                        break;
                    }
                }
            }
        }
        out
    }

    fn create_service(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        if self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        let ips = self.allocate_cluster_ips(i);
        let uid = ids::uid_v4(&mut self.rng_identity);
        let rv = write_rv(&mut self.resource_version);
        let spec = self.scenario.services[i].clone();
        let s = &mut self.services[i];
        s.spec = spec;
        s.uid = uid;
        s.creation_ns = now;
        s.cluster_ips = ips;
        s.resource_version = rv;
        s.exists = true;
        sink.on_change(
            now,
            &Change::Service(ObjChange::Added(&self.services[i])),
            self,
        );
    }

    fn update_service(
        &mut self,
        i: usize,
        ch: &scenario::ServiceChange,
        sink: &mut dyn ChangeSink,
    ) {
        if !self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        let old = self.services[i].clone();
        let s = &mut self.services[i].spec;
        if let Some(p) = &ch.ports {
            s.ports = p.clone();
        }
        if let Some(sel) = &ch.selector {
            s.selector = sel.clone();
        }
        if let Some(b) = ch.publish_not_ready_addresses {
            s.publish_not_ready_addresses = b;
        }
        if let Some(l) = &ch.labels {
            s.labels = l.clone();
        }
        if let Some(a) = &ch.annotations {
            s.annotations = a.clone();
        }
        if let Some(t) = &ch.traffic_distribution {
            s.traffic_distribution = t.clone();
        }
        if self.services[i] == old {
            return;
        }
        self.services[i].resource_version = write_rv(&mut self.resource_version);
        sink.on_change(
            now,
            &Change::Service(ObjChange::Updated {
                old: &old,
                new: &self.services[i],
            }),
            self,
        );
    }

    fn delete_service(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        if !self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        self.services[i].exists = false;
        for ip in self.services[i].cluster_ips.clone() {
            self.used_cluster_ips.remove(&ip);
        }
        let mut last = self.services[i].clone();
        last.resource_version = write_rv(&mut self.resource_version);
        sink.on_change(now, &Change::Service(ObjChange::Deleted(&last)), self);
    }

    // ------------------------------------------------------------------ workloads

    fn create_replica_set(&mut self, d: usize, info: RsInfo) -> usize {
        let dep = &self.deployments[d];
        let idx = self.replica_sets.len();
        let name = format!("{}-{}", dep.name, dep.template.hash);
        let template = dep.template.clone();
        let uid = ids::uid_v4(&mut self.rng_identity);
        self.replica_sets.push(ReplicaSet {
            index: idx,
            workload: d,
            name,
            uid,
            template,
            info,
            active: ActiveSet::default(),
            pods: BTreeSet::new(),
            sync_pending: false,
        });
        let dep = &mut self.deployments[d];
        dep.replica_sets.push(idx);
        dep.new_rs = Some(idx);
        idx
    }

    /// Steady state at t = 0: one ReplicaSet with all pods Ready and available.
    fn start_workload(&mut self, d: usize, sink: &mut dyn ChangeSink) -> anyhow::Result<()> {
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
        let mut quiet = super::change::NullSink;
        for _ in 0..replicas {
            let id = self.create_pod(r, &mut quiet);
            match self.pick_node(d) {
                Some(node) => {
                    self.bind_to(id, node, &mut quiet);
                    if self.give_ip(id, &mut quiet, true) {
                        self.set_pod_internal(id, |p| p.available = true);
                    }
                }
                None => {
                    // no room: it stays Pending like any unschedulable pod
                    let seq = self.pod_create_seq.get(&id).copied().unwrap_or(0);
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

    fn dep_info(&self, d: usize) -> DeploymentInfo {
        let dep = &self.deployments[d];
        DeploymentInfo {
            replicas: dep.replicas,
            strategy: self.scenario.workloads[d].strategy,
            status_replicas: dep.stats.pods_active as u32,
        }
    }

    fn sync_deployment(&mut self, d: usize, _sink: &mut dyn ChangeSink) {
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
        let new_name = format!("{}-{}", dep.name, dep.template.hash);
        let res = deployment::sync_deployment(&info, &mut rss, new_pos, &new_name, now);
        if res.created_new {
            if let Some(last) = rss.last().cloned() {
                self.create_replica_set(d, last);
            }
        }
        let list = self.deployments[d].replica_sets.clone();
        for (pos, &r) in list.iter().enumerate() {
            let Some(ri) = rss.get(pos) else { continue };
            let rs = &mut self.replica_sets[r];
            rs.info.replicas = ri.replicas;
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
    fn sync_replica_set(&mut self, r: usize, sink: &mut dyn ChangeSink) {
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
    fn pick_victims(&self, r: usize, k: usize) -> Vec<PodId> {
        let now = self.queue.now();
        let rs = &self.replica_sets[r];
        let dep = &self.deployments[rs.workload];
        let cands: Vec<(PodId, Candidate)> = rs
            .active
            .iter()
            .filter_map(|&id| {
                let p = self.pod(id)?;
                Some((
                    id,
                    Candidate {
                        assigned: p.node.is_some(),
                        phase_ordinal: p.phase.ordinal(),
                        ready: p.is_ready(),
                        ready_since_ns: p.ready.map(|c| c.last_transition_ns).unwrap_or(0),
                        rank: dep.active_per_node.get(&p.node).copied().unwrap_or(0),
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

    fn create_pod(&mut self, r: usize, sink: &mut dyn ChangeSink) -> PodId {
        let now = self.queue.now();
        let w = self.replica_sets[r].workload;
        let ns = self.deployments[w].namespace.clone();
        let rs_name = self.replica_sets[r].name.clone();
        let name = self.new_pod_name(&ns, &rs_name);
        let uid = ids::uid_v4(&mut self.rng_identity);
        let template = self.replica_sets[r].template.clone();
        let grace = self.scenario.workloads[w].termination.grace_period_ns;
        let rv = write_rv(&mut self.resource_version);
        let id = self.insert_pod(|id| Pod {
            id,
            uid,
            name,
            namespace: ns,
            workload: w,
            replica_set: r,
            template,
            resource_version: rv,
            creation_ns: now,
            node: None,
            node_name: None,
            phase: PodPhase::Pending,
            ips: Vec::new(),
            scheduled: None,
            containers_ready: None,
            ready: None,
            deletion_timestamp_ns: None,
            deletion_grace_period_s: None,
            termination_grace_ns: grace,
            available: false,
            ready_epoch: 0,
            ip_offset: None,
        });
        let seq = self.next_create_seq;
        self.next_create_seq += 1;
        self.pod_create_seq.insert(id, seq);
        self.deployments[w].stats.pods_created += 1;
        let nf = self.pod(id).map(PodFlags::of);
        let cpu = self.cpu_of(w);
        self.account(id, None, nf, cpu);
        if let Some(p) = self.pod(id) {
            sink.on_change(now, &Change::Pod(ObjChange::Added(p)), self);
        }
        id
    }

    /// The spread scheduler: least-loaded schedulable node (pods on node), ties broken by a
    /// per-node random key drawn once from the scheduling stream; respects maxPods, CPU
    /// requests, the workload's allowed zones and node taints/cordons. (kube-scheduler's
    /// default scoring spreads replicas similarly; exact scores are not modelled.)
    fn pick_node(&self, w: usize) -> Option<NodeId> {
        let wl = &self.scenario.workloads[w];
        let cpu = wl.cpu_request_milli;
        self.sched.iter().map(|&(_, _, n)| n).find(|&n| {
            (wl.zones.is_empty() || wl.zones.contains(&self.nodes[n].zone))
                && (cpu == 0 || self.node_cpu_used[n] + cpu <= self.nodes[n].allocatable_cpu_milli)
        })
    }

    fn bind_to(&mut self, id: PodId, n: NodeId, sink: &mut dyn ChangeSink) {
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

    fn bind_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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

    fn after_bind(&mut self, id: PodId, n: NodeId) {
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

    fn retry_scheduling(&mut self, sink: &mut dyn ChangeSink) {
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

    /// Sandbox up: allocate the IP(s). With `ready_now` (t = 0 steady state) or a zero ready
    /// delay, Ready is reported in the same status update.
    fn give_ip(&mut self, id: PodId, sink: &mut dyn ChangeSink, ready_now: bool) -> bool {
        let now = self.queue.now();
        let Some(p) = self.pod(id) else { return false };
        let Some(n) = p.node else { return false };
        let (w, e) = (p.workload, p.ready_epoch);
        let Some((off, ips)) = self.node_ipam[n].allocate() else {
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
        self.write_pod(id, sink, |p| {
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

    fn kubelet_can_run(&self, id: PodId) -> Option<&Pod> {
        let p = self.pod(id)?;
        let n = p.node?;
        if !self.nodes[n].kubelet_up {
            return None;
        }
        Some(p)
    }

    fn pod_sandbox(&mut self, id: PodId, epoch: u32, sink: &mut dyn ChangeSink) {
        let Some(p) = self.kubelet_can_run(id) else {
            return;
        };
        if p.ready_epoch != epoch || p.is_terminating() || !p.ips.is_empty() {
            return;
        }
        self.give_ip(id, sink, false);
    }

    fn pod_ready(&mut self, id: PodId, epoch: u32, sink: &mut dyn ChangeSink) {
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

    fn pod_available(&mut self, id: PodId, epoch: u32) {
        let Some(p) = self.pod(id) else { return };
        if p.ready_epoch != epoch || !p.is_ready() || !p.is_active() {
            return;
        }
        self.set_pod_internal(id, |p| p.available = true);
    }

    /// Graceful delete (kubectl delete / eviction / ReplicaSet scale-down).
    fn delete_pod(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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

    fn pod_not_serving(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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

    fn pod_exit(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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

    fn flap_tick(&mut self, w: usize, sink: &mut dyn ChangeSink) {
        let Some(f) = self.scenario.workloads[w].flapping else {
            return;
        };
        let now = self.queue.now();
        let rss = self.deployments[w].replica_sets.clone();
        let mut down = Vec::new();
        for r in rss {
            for &id in self.replica_sets[r].active.iter() {
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

    // ------------------------------------------------------------------ timeline

    /// ReplicaSets whose active pods a churn / restart event picks from.
    fn rs_pool(&self, w: Option<usize>) -> Vec<usize> {
        match w {
            Some(w) => self
                .deployments
                .get(w)
                .map(|d| d.replica_sets.clone())
                .unwrap_or_default(),
            None => (0..self.replica_sets.len()).collect(),
        }
    }

    /// `k` distinct active pods chosen uniformly at random (churn stream) from the ReplicaSets
    /// `rss`, in pick order. O(k + |rss|), independent of the number of pods.
    fn pick_random(&mut self, rss: &[usize], k: usize) -> Vec<PodId> {
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

    fn apply_timeline(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        let sc = self.scenario.clone();
        let Some(ev) = sc.events.get(i) else { return };
        match &ev.kind {
            EventKind::Scale { workload, target } => {
                let Some(dep) = self.deployments.get_mut(*workload) else {
                    return;
                };
                dep.replicas = match *target {
                    ScaleTarget::To(n) => n,
                    ScaleTarget::By(d) => {
                        u32::try_from((i64::from(dep.replicas) + d).clamp(0, i64::from(u32::MAX)))
                            .unwrap_or(0)
                    }
                };
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
    fn change_ip(&mut self, id: PodId, sink: &mut dyn ChangeSink) {
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
    fn exp_sample(&mut self, mean_ns: Nanos) -> Nanos {
        crate::sim::rng::exp_ns(&mut self.rng_churn, mean_ns.max(1))
    }

    fn churn_tick(&mut self, c: usize, sink: &mut dyn ChangeSink) {
        let now = self.queue.now();
        let Some(ch) = self.churns.get(c) else { return };
        if now > ch.end_ns {
            return;
        }
        let (w, mean) = (ch.workload, ch.mean_interval_ns);
        let rss = self.rs_pool(w);
        if let Some(&id) = self.pick_random(&rss, 1).first() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(i: u32) -> PodId {
        PodId {
            index: i,
            generation: 0,
        }
    }

    #[test]
    fn active_set_keeps_order_and_random_access_consistent() {
        let mut s = ActiveSet::default();
        for i in [5, 1, 9, 3, 7] {
            s.insert(id(i));
        }
        s.insert(id(3)); // duplicate ignored
        s.remove(&id(1));
        s.remove(&id(42)); // absent ignored
        let ordered: Vec<u32> = s.iter().map(|p| p.index).collect();
        assert_eq!(ordered, vec![3, 5, 7, 9]);
        let mut by_index: Vec<u32> = (0..s.len())
            .filter_map(|i| s.get(i))
            .map(|p| p.index)
            .collect();
        by_index.sort_unstable();
        assert_eq!(by_index, ordered);
        assert!(s.get(s.len()).is_none());
        assert!(s.contains(&id(9)) && !s.contains(&id(1)));
    }

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
        let sc = crate::scenario::parse_str(src, "c.toml", &[]).unwrap();
        let mut w = World::new(sc, WorldOptions::default()).unwrap();
        let mut sink = super::super::change::NullSink;
        w.start(&mut sink).unwrap();
        // process the restart event itself
        while w.peek_time().is_some_and(|t| t <= 5 * NS_PER_SEC) {
            w.step(&mut sink).unwrap();
        }
        // 10 deletions → exactly one queued ReplicaSet sync and one Deployment sync
        assert!(w.replica_sets[0].sync_pending);
        assert!(w.deployments[0].sync_pending);
        let rs_syncs = w
            .queue_snapshot()
            .iter()
            .filter(|e| matches!(e, WorldEvent::ReplicaSetSync(_)))
            .count();
        assert_eq!(rs_syncs, 1);
    }
}
