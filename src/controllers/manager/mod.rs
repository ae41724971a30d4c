//! The controller-manager model: the three endpoint controllers fed by the world's change
//! stream, each with its informer caches, workqueue and workers, writing through the emulated
//! apiserver.
//!
//! [`ControllerManager`] is a [`ChangeSink`]:
//! - **Informer caches.** Services, pods (per namespace) and nodes as `crate::k8s` objects built
//!   with `cluster::k8s_view` (a pod's informer event and its cached state arrive together, so
//!   they need no lag). The EndpointSlice and Endpoints informers that the ESC and EPC list
//!   from get every stored write `controllers.informer_lag` later ([`informer`]), so a sync
//!   soon after the Service's previous one can list stale objects and take the upstream
//!   StaleInformerCache path (endpointslice_controller.go syncService), the Endpoints stale tracker
//!   (endpoints_tracker.go `staleEndpointsTracker`) or a 409 Conflict /
//!   AlreadyExists — each a rate-limited retry, which coalesces more pod changes into the next
//!   write exactly as in a real cluster. *Choice:* the mirroring controller reads storage
//!   directly (no lag); its Endpoints and slices change only with the scenario's manual
//!   Endpoints, far apart in time.
//! - **Enqueue rules** (endpointslice_controller.go NewController handlers, endpoints_controller.go
//!   NewEndpointController, endpointslicemirroring_controller.go NewController): Service
//!   add/update/delete → `Add` on the ESC and EPC queues; pod add/delete → `AddAfter(batch period)`
//!   for the Services whose selector matches its labels; pod update → the same through upstream's
//!   `GetServicesToUpdateOnPodChange` filter ([`services_to_update_on_pod_change`]);
//!   EndpointSlice events → `AddAfter(max(1 s, batch))` through the ESC's
//!   `EndpointSliceTracker`; node add/delete/Ready/zone change → topology cache `SetNodes`
//!   (coalesced like upstream's single-key topology queue) and `Add` of the overloaded
//!   Services; Endpoints delete → EPC `Add`; selectorless Services and their Endpoints → ESMC.
//! - **Workers and time.** Each controller has a [`WorkQueue`] with its scenario worker count
//!   and sync-duration distribution. A key added at `t` is picked up at `t + 1 ns` (after the
//!   world has delivered every change of instant `t`, so one instant's changes give one sync).
//!   A sync reads the caches and issues its writes when its duration has elapsed.
//! - **Writes** go to one `Store` for EndpointSlices and one for Endpoints, both with the
//!   etcd `--max-request-bytes` limit on the protobuf encoding. Every stored or rejected write
//!   is reported to the [`WriteObserver`]. An ESC sync stops at its first failed write (as
//!   upstream's `finalize` does) and is retried with the rate limiter; so is a sync with
//!   "node not found" errors (after its writes).
//! - **Garbage collection**: when a Service is deleted, its ESC-managed slices are deleted at
//!   once (the GC controller's work; writer `Other`). Selectorless Services with `endpoints`
//!   in the scenario get that Endpoints object created by a user (writer `Other`) with the
//!   Service.
//!
//! Determinism: BTreeMaps everywhere, sync durations from the `Controllers` seeded stream,
//! the ESC's choice stream per Service ([`service_choice_seed`]).
//!
//! Names: the reconciler orders slices by name where upstream iterates Go sets at random, so
//! the generated slice names feed its choices. The apiserver's name/UID stream is therefore
//! modelled per Service for the ESC's creates, seeded like the replay's
//! (`Shared::new(seed)`) and consumed in the replay's order — the Service's slice creates,
//! plus one UID after its first sync (the replay's Endpoints create in step 0) — so a recorded
//! trace replays to the same names and the same choices.
//!
//! Files: this one holds the manager's state and its scheduling (`run_until`, the
//! [`ChangeSink`] impl); `events` the informer handlers (what enqueues what); `esc`, `epc`,
//! `esmc` one controller's sync arm each; `writes` the accounting of every write (stats,
//! observer, informers) and the end of a sync.

mod epc;
mod esc;
mod esmc;
mod events;
pub mod informer;
pub mod pods;
pub mod record;
pub mod stats;
mod writes;

use writes::{Counter, Shares, Write};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::apiserver::write_log::{
    NullObserver, ObjectRef, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use crate::apiserver::{ApiError, Shared, SizeLimit, Store};
use crate::clients::ids::{ServiceIds, ServiceKey};
use crate::cluster::k8s_view::{format_time, node_to_k8s, pod_owner, pod_to_k8s, service_to_k8s};
use crate::cluster::model;
use crate::cluster::{Change, ChangeSink, ObjChange, World};
use crate::controllers::endpoints::desired::PodChanges;
use crate::controllers::endpoints::{EndpointsController, EndpointsOptions};
use crate::controllers::endpointslice::convert::{is_pod_ready, node_info};
use crate::controllers::endpointslice::model::{
    CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME,
};
use crate::controllers::endpointslice::reconciler::{
    is_managed_slice_of, manages_slices, slice_service_key, EndpointSliceController, NodeIndex,
    SliceWrite, SyncOutcome,
};
use crate::controllers::endpointslice::trace::SliceCounts;
use crate::controllers::endpointslice::ReconcilerOptions;
use crate::controllers::mirroring::{mirrored_slices, MirroringController, MirroringOptions};
use crate::controllers::util::tracker::TrackedSlice;
use crate::controllers::workqueue::{RateLimit, WorkQueue};
use crate::k8s;
use crate::scenario::{Controllers, DurationDist, Nanos, Scenario, NS_PER_SEC};
use crate::sim::lookup_hash::ByWord;
use crate::sim::rng::{Stream, Streams};
use crate::sim::LogLine;
use informer::LaggedInformer;

use crate::controllers::endpointslice::packing;
pub use pods::PodList;
pub use record::Recorder;
pub use stats::{ControllerKind, ManagerStats, ServiceStats, SyncResult, SyncRow};

/// `endpointSliceChangeMinSyncDelay` (endpointslice_controller.go).
pub const ES_CHANGE_MIN_SYNC_DELAY_NS: Nanos = NS_PER_SEC;
/// Delay between an `Add` and the pick-up by a free worker (see module docs).
pub const PICKUP_DELAY_NS: Nanos = 1;

/// Seed of the ESC's choice stream for one Service: `Streams::derive("endpointslice-choices",
/// "namespace/name")` of the scenario seed. The replay (`slicesim reconcile --seed S`) seeds
/// its stream with `ChaCha8Rng::seed_from_u64(S)`, so a recorded trace replays the same choices.
pub fn service_choice_seed(scenario_seed: u64, key: &str) -> u64 {
    crate::sim::Streams::new(scenario_seed).derive("endpointslice-choices", key)
}

/// Lends a borrowed observer to the manager (which owns a boxed one):
/// `ControllerManager::with_observer(&sc, &opts, Box::new(BorrowedObserver(&mut mine)))`.
pub struct BorrowedObserver<'a>(pub &'a mut dyn WriteObserver);

impl WriteObserver for BorrowedObserver<'_> {
    fn on_write(&mut self, record: &WriteRecord<'_>) {
        self.0.on_write(record)
    }
}

/// Options of the manager beyond the scenario.
#[derive(Debug, Clone, Default)]
pub struct ManagerOptions {
    /// `--record-trace NAMESPACE/SERVICE=DIR`.
    pub record: Vec<(String, PathBuf)>,
}

fn s(o: &Option<String>) -> &str {
    o.as_deref().unwrap_or("")
}

fn key_of(meta: &k8s::ObjectMeta) -> String {
    format!("{}/{}", s(&meta.namespace), s(&meta.name))
}

fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

fn slice_size(es: &k8s::EndpointSlice) -> usize {
    crate::wire::protobuf_len(es).unwrap_or(usize::MAX)
}

fn endpoints_size(ep: &k8s::Endpoints) -> usize {
    crate::wire::protobuf_len(ep).unwrap_or(usize::MAX)
}

fn selector_matches(
    sel: Option<&BTreeMap<String, String>>,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    match sel {
        Some(sel) if !sel.is_empty() => sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)),
        _ => false,
    }
}

/// Upstream `podEndpointsChanged` + the label test of `GetServicesToUpdateOnPodChange`:
/// `(labels_changed, pod_changed)`; None for a resync (same resourceVersion).
pub fn pod_change_kind(old: &k8s::Pod, new: &k8s::Pod) -> Option<(bool, bool)> {
    if old.metadata.resource_version == new.metadata.resource_version {
        return None;
    }
    let labels_changed = old.metadata.labels != new.metadata.labels
        || old.spec.hostname != new.spec.hostname
        || old.spec.subdomain != new.spec.subdomain;
    // The deletionTimestamp test compares pointers: set/set always counts as changed
    // (endpointslice util/controller_utils.go podEndpointsChanged).
    let dt_changed = !matches!(
        (
            &old.metadata.deletion_timestamp,
            &new.metadata.deletion_timestamp,
        ),
        (None, None)
    );
    let ips = |p: &k8s::Pod| -> Vec<String> {
        p.status
            .pod_ips
            .iter()
            .flatten()
            .map(|i| i.ip.clone())
            .collect()
    };
    let pod_changed = dt_changed || is_pod_ready(old) != is_pod_ready(new) || ips(old) != ips(new);
    Some((labels_changed, pod_changed))
}

/// The Services a pod change concerns, from the kind of change and the Services the old and
/// the new pod are members of (`GetServicesToUpdateOnPodChange`'s last step): both sets when
/// labels and state changed, the new pod's when only its state did, those it entered or left
/// when only its labels did.
fn services_for_change(
    labels_changed: bool,
    pod_changed: bool,
    old_members: impl FnOnce() -> BTreeSet<String>,
    new_members: impl FnOnce() -> BTreeSet<String>,
) -> BTreeSet<String> {
    match (labels_changed, pod_changed) {
        (false, false) => BTreeSet::new(),
        (false, true) => new_members(),
        (true, true) => old_members().union(&new_members()).cloned().collect(),
        (true, false) => old_members()
            .symmetric_difference(&new_members())
            .cloned()
            .collect(),
    }
}

/// `GetServicesToUpdateOnPodChange(services, old, new)` over the given Services.
pub fn services_to_update_on_pod_change<'a>(
    services: impl Iterator<Item = (&'a String, &'a k8s::Service)> + Clone,
    old: &k8s::Pod,
    new: &k8s::Pod,
) -> BTreeSet<String> {
    let Some((labels_changed, pod_changed)) = pod_change_kind(old, new) else {
        return BTreeSet::new();
    };
    let members = |p: &k8s::Pod| -> BTreeSet<String> {
        services
            .clone()
            .filter(|(_, svc)| {
                svc.metadata.namespace == p.metadata.namespace
                    && selector_matches(svc.spec.selector.as_ref(), p.metadata.labels.as_ref())
            })
            .map(|(k, _)| k.clone())
            .collect()
    };
    services_for_change(
        labels_changed,
        pod_changed,
        || members(old),
        || members(new),
    )
}

/// [`pod_change_kind`] of two world pods, read from their compact records: what the API
/// objects [`pod_to_k8s`] makes of them would give, without making them (a resourceVersion,
/// label, IP or timestamp text compares equal exactly when the value it is written from does).
pub fn pod_change_kind_compact(old: &model::Pod, new: &model::Pod) -> Option<(bool, bool)> {
    if old.resource_version == new.resource_version {
        return None;
    }
    let (o, n) = (&old.template, &new.template);
    let labels_changed = (!Arc::ptr_eq(o, n) && o.labels != n.labels)
        || o.hostname != n.hostname
        || o.subdomain != n.subdomain;
    let dt_changed = old.deletion_timestamp_ns.is_some() || new.deletion_timestamp_ns.is_some();
    let pod_changed = dt_changed || old.is_ready() != new.is_ready() || old.ips != new.ips;
    Some((labels_changed, pod_changed))
}

/// [`services_to_update_on_pod_change`] of two world pods ([`pod_change_kind_compact`]).
pub fn services_to_update_on_pod_change_compact<'a>(
    services: impl Iterator<Item = (&'a String, &'a k8s::Service)> + Clone,
    old: &model::Pod,
    new: &model::Pod,
) -> BTreeSet<String> {
    let Some((labels_changed, pod_changed)) = pod_change_kind_compact(old, new) else {
        return BTreeSet::new();
    };
    let members = |p: &model::Pod| -> BTreeSet<String> {
        services
            .clone()
            .filter(|(_, svc)| {
                svc.metadata.namespace.as_deref() == Some(&*p.namespace)
                    && selector_matches(svc.spec.selector.as_ref(), Some(p.labels()))
            })
            .map(|(k, _)| k.clone())
            .collect()
    };
    services_for_change(
        labels_changed,
        pod_changed,
        || members(old),
        || members(new),
    )
}

/// One controller's queue, worker settings and rate limit.
#[derive(Debug)]
struct Ctl {
    enabled: bool,
    queue: KeyQueue,
    batch_ns: Nanos,
    duration: DurationDist,
}

impl Ctl {
    fn new(
        enabled: bool,
        workers: u32,
        rate: RateLimit,
        batch_ns: Nanos,
        duration: DurationDist,
    ) -> Self {
        Ctl {
            enabled,
            queue: KeyQueue {
                ids: ServiceIds::default(),
                keys: Vec::new(),
                q: WorkQueue::new(workers as usize, rate, PICKUP_DELAY_NS),
            },
            batch_ns,
            duration,
        }
    }
    fn add(&mut self, key: &str, now: Nanos) {
        if self.enabled {
            self.queue.add(key, now);
        }
    }
    fn add_after(&mut self, key: &str, delay: Nanos, now: Nanos) {
        if self.enabled {
            self.queue.add_after(key, delay, now);
        }
    }
    /// [`Ctl::add_after`] of a pod's Service `m` (in namespace `ns`), by the queue id the
    /// Service's shared row keeps for `consumer` (recorded on its first use: the key is
    /// looked up once per Service rather than once per pod event).
    fn add_member_after(
        &mut self,
        ns: &str,
        m: &pods::Member,
        consumer: pods::Consumer,
        delay: Nanos,
        now: Nanos,
    ) {
        if !self.enabled {
            return;
        }
        let id = match m.queue_id(consumer) {
            Some(id) => id,
            None => {
                let mut key = String::with_capacity(ns.len() + 1 + m.name().len());
                key.push_str(ns);
                key.push('/');
                key.push_str(m.name());
                let id = self.queue.id(&key);
                m.set_queue_id(consumer, id);
                id
            }
        };
        debug_assert_eq!(
            self.queue.keys[id as usize].name.to_string(),
            format!("{ns}/{}", m.name())
        );
        self.queue.q.add_after(id, delay, now);
    }
}

/// A controller's [`WorkQueue`] of Service keys, each held as its dense id
/// ([`ServiceIds`]): the queue's sets and maps compare and copy integers rather than
/// `"namespace/name"` strings (every add, pick-up and `Done` searched and copied the key
/// several times). Only lookups and the time-then-sequence order of its heaps depend on the
/// key type, so the queue behaves exactly as one keyed by the strings.
#[derive(Debug)]
struct KeyQueue {
    ids: ServiceIds,
    /// The keys by id (ids are dense, in first-seen order).
    keys: Vec<ServiceKey>,
    q: WorkQueue<u32>,
}

impl KeyQueue {
    fn id(&mut self, key: &str) -> u32 {
        if let Some(k) = self.ids.get(key) {
            return k.id;
        }
        let k = self.ids.intern(key);
        debug_assert_eq!(k.index(), self.keys.len());
        let id = k.id;
        self.keys.push(k);
        id
    }
    fn add(&mut self, key: &str, now: Nanos) {
        let id = self.id(key);
        self.q.add(id, now);
    }
    fn add_after(&mut self, key: &str, delay: Nanos, now: Nanos) {
        let id = self.id(key);
        self.q.add_after(id, delay, now);
    }
    /// `AddRateLimited` (see [`WorkQueue::add_rate_limited`]).
    fn add_rate_limited(&mut self, key: String, now: Nanos) -> Nanos {
        let id = self.id(&key);
        self.q.add_rate_limited(id, now)
    }
    /// `Forget`. Takes the `&String` the sync's end (`writes`) passes.
    #[allow(clippy::ptr_arg)]
    fn forget(&mut self, key: &String) {
        if let Some(k) = self.ids.get(key) {
            let id = k.id;
            self.q.forget(&id);
        }
    }
    fn num_requeues(&self, key: &str) -> u32 {
        self.ids.get(key).map_or(0, |k| self.q.num_requeues(&k.id))
    }
    fn rate_limit(&self) -> RateLimit {
        self.q.rate_limit()
    }
    fn release_waiting(&mut self, now: Nanos) {
        self.q.release_waiting(now);
    }
    /// [`WorkQueue::pop_finished`], with the key's id and text.
    fn pop_finished(&mut self, now: Nanos) -> Option<(Nanos, ServiceKey)> {
        let (end, id) = self.q.pop_finished(now)?;
        let key = self.keys[id as usize].clone();
        Some((end, key))
    }
    fn done(&mut self, key: &ServiceKey, now: Nanos) {
        self.q.done(&key.id, now);
    }
    fn start_workers(&mut self, now: Nanos, dist: &DurationDist, rng: &mut ChaCha8Rng) {
        self.q.start_workers(now, dist, rng);
    }
    fn next_event(&self) -> Option<Nanos> {
        self.q.next_event()
    }
    fn is_idle(&self) -> bool {
        self.q.is_idle()
    }
}

/// The controller manager (see module docs).
pub struct ControllerManager<'o> {
    observer: Box<dyn WriteObserver + 'o>,
    scenario_seed: u64,
    shared: Shared,
    pub slices: Store<k8s::EndpointSlice>,
    pub endpoints: Store<k8s::Endpoints>,
    /// What the ESC lists: the KCM's EndpointSlice informer, grouped by Service key
    /// ([`informer`]).
    slice_informer: LaggedInformer<k8s::EndpointSlice>,
    /// What the EPC lists: the KCM's Endpoints informer, grouped by `namespace/name`.
    ep_informer: LaggedInformer<k8s::Endpoints>,
    /// Informer delivery delays (`controllers.informer_lag`), one stream per informer so that
    /// the EndpointSlice world does not depend on the Endpoints baseline's settings (and back).
    lag_rng: ChaCha8Rng,
    ep_lag_rng: ChaCha8Rng,
    /// ESC-managed slice names per Service key, creation order.
    /// The per-Service-key maps are hashed ([`ByWord`]): looked up on every sync and pod
    /// event (a 10,000-key tree cost a few string compares and cache misses per level) and
    /// never iterated in an order that reaches an output.
    slice_index: HashMap<String, Vec<String>, ByWord>,
    /// Shared with the syncs that read them (a sync takes a pointer, not a copy).
    services: HashMap<String, Rc<k8s::Service>, ByWord>,
    pods: BTreeMap<String, PodList>,
    nodes: BTreeMap<String, ListedNode>,
    node_index: NodeIndex,
    topology_dirty: Option<Nanos>,
    esc: EndpointSliceController,
    esc_rngs: HashMap<String, ChaCha8Rng, ByWord>,
    /// Per-Service name/UID stream of the apiserver for the ESC's slice creates.
    name_rngs: HashMap<String, ChaCha8Rng, ByWord>,
    /// The ESC's sync clock text (`format_time`) and the simulated second it is of.
    esc_now: (Option<u64>, String),
    epc: EndpointsController,
    esmc: MirroringController,
    /// Selectorless Services' hand-made Endpoints (from the scenario), by Service key.
    manual: BTreeMap<String, k8s::Endpoints>,
    ctl: [Ctl; 3],
    /// Sync durations, one stream per controller (independent modes, as the lag streams).
    dur_rngs: [ChaCha8Rng; 3],
    now: Nanos,
    pub stats: ManagerStats,
    pub syncs: Vec<SyncRow>,
    recorders: BTreeMap<String, Recorder>,
    /// Errors while recording (reported at the end).
    record_error: Option<String>,
    /// What the manager did, for the run's event log (kept only after [`Self::log_steps`]).
    steps: Option<Vec<LogLine>>,
    /// The `controller-sync` line of the sync under way (its result is added at its end).
    open_sync: Option<usize>,
    /// Test hook (see [`CrossCheck`]).
    #[cfg(test)]
    pub(crate) cross_check: Option<CrossCheck>,
}

/// What the manager's node lister holds of a Node: what `SetNodes` reads (read at delivery,
/// not at every topology update) and the topology-change signature. The object itself
/// (4.5 KB; 22 MB for 5,000 nodes) is kept only when a trace recorder lists nodes.
#[derive(Debug, Clone)]
struct ListedNode {
    info: Result<crate::controllers::endpointslice::topology::NodeInfo, String>,
    /// `(Ready, zone label)`: a change of either is a topology change.
    sig: (bool, Option<String>),
    /// Boxed: the unboxed `k8s::Node` made every `ListedNode` ~2 KB even when `None`.
    object: Option<Box<k8s::Node>>,
}

impl ListedNode {
    fn of(n: k8s::Node, keep_object: bool) -> Self {
        ListedNode {
            info: node_info(&n),
            sig: (n.is_ready(), n.zone().map(str::to_string)),
            object: keep_object.then(|| Box::new(n)),
        }
    }
}

/// Test hook: checks that the manager's syncs are the conformance replay's syncs.
/// - Every EndpointSlice sync is also run the way `slicesim reconcile` runs it — pods selected
///   from the namespace's whole pod list with `select_pods`, the listed slices copied, through
///   `EndpointSliceController::sync` — on a copy of the controller and of the Service's choice
///   stream; outcome, trigger-time and tracker state and the stream position must be identical.
/// - A shadow Endpoints controller gets every sync the replay's way (no pod-change hint) and
///   must decide exactly as the manager's hinted one, sync after sync.
/// - Mirroring syncs are recorded (inputs as a `slicesim mirror` line, counts) for a replay.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct CrossCheck {
    pub esc_syncs: usize,
    pub epc_syncs: usize,
    pub epc_shadow: Option<EndpointsController>,
    pub mirror: BTreeMap<
        String,
        Vec<(
            crate::controllers::mirroring::replay::MirrorInputLine,
            crate::controllers::mirroring::replay::MirrorCounts,
        )>,
    >,
}

const ESC: usize = 0;
const EPC: usize = 1;
const ESMC: usize = 2;

impl<'o> ControllerManager<'o> {
    /// A manager for `scenario` reporting writes to a [`NullObserver`].
    pub fn new(scenario: &Scenario, opts: &ManagerOptions) -> ControllerManager<'static> {
        ControllerManager::with_observer(scenario, opts, Box::new(NullObserver))
    }

    /// A manager reporting every write to `observer`.
    pub fn with_observer(
        scenario: &Scenario,
        opts: &ManagerOptions,
        observer: Box<dyn WriteObserver + 'o>,
    ) -> Self {
        let c: &Controllers = &scenario.controllers;
        let streams = Streams::new(scenario.seed);
        let limit = scenario.apiserver.etcd_max_request_bytes;
        let rate = |r: &crate::scenario::Retry| RateLimit {
            base_ns: r.base_ns,
            max_ns: r.max_ns,
            max_retries: r.max_retries,
        };
        let recorders = opts
            .record
            .iter()
            .map(|(k, dir)| {
                (
                    k.clone(),
                    Recorder::new(dir.clone(), service_choice_seed(scenario.seed, k)),
                )
            })
            .collect();
        ControllerManager {
            observer,
            scenario_seed: scenario.seed,
            shared: Shared::new(
                {
                    use rand::RngCore;
                    streams.stream_with_index(Stream::Controllers, 0).next_u64()
                },
                format_time(0),
            ),
            slices: Store::with_size_limit(SizeLimit {
                max_bytes: limit,
                size: slice_size,
            }),
            endpoints: Store::with_size_limit(SizeLimit {
                max_bytes: limit,
                size: endpoints_size,
            }),
            slice_informer: LaggedInformer::new(c.informer_lag),
            ep_informer: LaggedInformer::new(c.informer_lag),
            lag_rng: streams.stream_with_index(Stream::Controllers, 2),
            ep_lag_rng: streams.stream_with_index(Stream::Controllers, 3),
            slice_index: HashMap::default(),
            services: HashMap::default(),
            pods: BTreeMap::new(),
            nodes: BTreeMap::new(),
            node_index: NodeIndex::default(),
            topology_dirty: None,
            esc: EndpointSliceController::new(ReconcilerOptions {
                max_endpoints_per_slice: c.endpointslice.max_endpoints_per_slice as usize,
                traffic_distribution_enabled: c.profile.traffic_distribution,
                topology_cache_enabled: c.profile.topology_aware_hints,
                topology_mode_annotation: c.profile.topology_mode_annotation,
                prefer_close_zoneless_hint: c.profile.prefer_close_zoneless_hint,
                traffic_distribution_validated: c.profile.traffic_distribution_validated,
                prefer_same_traffic_distribution: c.profile.prefer_same_traffic_distribution,
                terminating_condition: c.profile.endpointslice_terminating_condition,
            })
            .with_packing(packing_of(&c.endpointslice)),
            esc_rngs: HashMap::default(),
            name_rngs: HashMap::default(),
            esc_now: (None, String::new()),
            epc: EndpointsController::new(EndpointsOptions {
                max_capacity: c.endpoints.max_capacity as usize,
                truncate: c.profile.endpoints_truncate,
            }),
            esmc: MirroringController::new(MirroringOptions {
                max_endpoints_per_subset: c.mirroring.max_endpoints_per_subset as usize,
            }),
            manual: BTreeMap::new(),
            ctl: [
                Ctl::new(
                    c.endpointslice.enabled,
                    c.endpointslice.workers,
                    rate(&c.endpointslice.retry),
                    c.endpointslice.batch_period_ns,
                    c.endpointslice.sync_duration,
                ),
                Ctl::new(
                    c.endpoints.enabled,
                    c.endpoints.workers,
                    rate(&c.endpoints.retry),
                    c.endpoints.batch_period_ns,
                    c.endpoints.sync_duration,
                ),
                Ctl::new(
                    c.mirroring.enabled,
                    c.mirroring.workers,
                    rate(&c.mirroring.retry),
                    c.mirroring.batch_period_ns,
                    c.mirroring.sync_duration,
                ),
            ],
            dur_rngs: [1, 4, 5].map(|i| streams.stream_with_index(Stream::Controllers, i)),
            now: 0,
            stats: ManagerStats::default(),
            syncs: Vec::new(),
            recorders,
            record_error: None,
            steps: None,
            open_sync: None,
            #[cfg(test)]
            cross_check: None,
        }
    }

    /// Write the recorded traces (call after the run).
    pub fn write_traces(&self) -> anyhow::Result<()> {
        if let Some(e) = &self.record_error {
            anyhow::bail!("recording a trace: {e}");
        }
        for r in self.recorders.values() {
            r.write()?;
        }
        Ok(())
    }

    /// Recorded lines per traced Service.
    pub fn recorded_steps(&self) -> Vec<(String, usize)> {
        self.recorders
            .iter()
            .map(|(k, r)| (k.clone(), r.steps()))
            .collect()
    }

    /// Drop the manager part by part into `census` (memory measurements, `sim::alloc_stats`):
    /// informer-side copies first, the stores (which share their objects with them) last.
    pub fn census(mut self, census: &mut crate::sim::alloc_stats::Census) {
        use std::mem::take;
        for (_, list) in take(&mut self.pods) {
            list.census(census);
        }
        census.drop_part("manager: services informer", take(&mut self.services));
        census.drop_part(
            "manager: nodes informer",
            (take(&mut self.nodes), take(&mut self.node_index)),
        );
        census.drop_part(
            "manager: EndpointSlice informer",
            std::mem::replace(
                &mut self.slice_informer,
                LaggedInformer::new(DurationDist::ZERO),
            ),
        );
        census.drop_part(
            "manager: Endpoints informer",
            std::mem::replace(
                &mut self.ep_informer,
                LaggedInformer::new(DurationDist::ZERO),
            ),
        );
        let esc = take(&mut self.esc);
        let EndpointSliceController {
            reconciler,
            trigger_times,
            tracker,
            listed_addresses,
        } = esc;
        reconciler.census(census);
        census.drop_part("ESC: trigger times", trigger_times);
        census.drop_part("ESC: slice tracker", tracker);
        census.drop_part("ESC: listed addresses", listed_addresses);
        census.drop_part(
            "ESC: per-Service rngs + slice index",
            (
                take(&mut self.esc_rngs),
                take(&mut self.name_rngs),
                take(&mut self.slice_index),
            ),
        );
        census.drop_part(
            "EPC (desired caches, trackers)",
            std::mem::replace(
                &mut self.epc,
                EndpointsController::new(EndpointsOptions::default()),
            ),
        );
        census.drop_part("manager: sync rows", take(&mut self.syncs));
        census.drop_part("store: EndpointSlices", take(&mut self.slices));
        census.drop_part("store: Endpoints", take(&mut self.endpoints));
        census.drop_part("manager: the rest", self);
    }

    /// Stats with `slices_alive` filled from the store.
    pub fn final_stats(&self) -> ManagerStats {
        let mut st = self.stats.clone();
        for s in st.values_mut() {
            s.slices_alive = 0;
        }
        for es in self.slices.list() {
            let key = slice_service_key(es);
            st.svc(&key).slices_alive += 1;
        }
        st
    }

    /// Keep a log line for every informer delivery, topology update, sync and write from now
    /// on ([`Self::take_steps`]; the run's event log).
    pub fn log_steps(&mut self) {
        self.steps.get_or_insert_with(Vec::new);
    }

    /// Move the log lines kept since the last call to `out`.
    pub fn take_steps(&mut self, out: &mut Vec<LogLine>) {
        if let Some(v) = &mut self.steps {
            out.append(v);
        }
    }

    fn logging(&self) -> bool {
        self.steps.is_some()
    }

    /// Keep one log line (callers build `details` only when [`Self::logging`]).
    fn log_step(&mut self, time_ns: Nanos, kind: &'static str, details: String) {
        if let Some(v) = &mut self.steps {
            v.push(LogLine {
                time_ns,
                kind,
                details,
            });
        }
    }

    /// Run all controller work due up to and including `now`.
    fn run_until(&mut self, now: Nanos) {
        loop {
            let mut t = self.next_informer_event();
            if let Some(x) = self.topology_dirty {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
            for c in &self.ctl {
                if let Some(x) = c.queue.next_event() {
                    t = Some(t.map_or(x, |y| y.min(x)));
                }
            }
            let Some(t) = t.filter(|&t| t <= now) else {
                break;
            };
            let t = t.max(self.now);
            self.now = t;
            self.deliver_informers(t);
            if self.topology_dirty.is_some_and(|d| d <= t) {
                self.run_topology(t);
            }
            for c in 0..3 {
                self.ctl[c].queue.release_waiting(t);
                while let Some((end, key)) = self.ctl[c].queue.pop_finished(t) {
                    if self.logging() {
                        self.open_sync = self.steps.as_ref().map(Vec::len);
                        let kind = [
                            ControllerKind::EndpointSlice,
                            ControllerKind::Endpoints,
                            ControllerKind::Mirroring,
                        ][c];
                        let details = format!("{} {}", kind.as_str(), key.name);
                        self.log_step(end, "controller-sync", details);
                    }
                    match c {
                        ESC => self.sync_esc(&key.name, end),
                        EPC => self.sync_epc(&key.name, end),
                        _ => self.sync_esmc(&key.name, end),
                    }
                    self.ctl[c].queue.done(&key, end);
                }
                let dist = self.ctl[c].duration;
                self.ctl[c]
                    .queue
                    .start_workers(t, &dist, &mut self.dur_rngs[c]);
            }
        }
        self.now = self.now.max(now);
    }

    /// The next informer delivery (slice or Endpoints).
    fn next_informer_event(&self) -> Option<Nanos> {
        match (self.slice_informer.next_due(), self.ep_informer.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// True when no controller has anything queued, waiting or running.
    pub fn is_idle(&self) -> bool {
        self.topology_dirty.is_none() && self.ctl.iter().all(|c| c.queue.is_idle())
    }

    /// The EndpointSlices stored for a Service (ESC-managed, creation order).
    pub fn slices_of(&self, key: &str) -> Vec<&k8s::EndpointSlice> {
        let (ns, _) = split_key(key);
        self.slice_index
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|n| self.slices.get(ns, n))
            .collect()
    }
}

fn stored_rv(meta: &k8s::ObjectMeta) -> u64 {
    s(&meta.resource_version).parse().unwrap_or(0)
}

fn is_esc_managed(es: &k8s::EndpointSlice) -> bool {
    es.metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_MANAGED_BY))
        .is_some_and(|v| v == CONTROLLER_NAME)
        && es
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.contains_key(LABEL_SERVICE_NAME))
}

fn tracked<'a>(es: &'a k8s::EndpointSlice, key: &'a str) -> TrackedSlice<'a> {
    TrackedSlice {
        service_key: key,
        uid: es.metadata.uid.as_deref().unwrap_or(""),
        generation: es.metadata.generation.unwrap_or(0),
    }
}

/// Ready and not-ready IPs of an Endpoints object (tests; the Endpoints arm counts with
/// `epc::distinct_ips`).
#[cfg(test)]
fn address_set(ep: Option<&k8s::Endpoints>) -> BTreeSet<&str> {
    ep.into_iter()
        .flat_map(|e| e.subsets.iter().flatten())
        .flat_map(|s| {
            s.addresses
                .iter()
                .flatten()
                .chain(s.not_ready_addresses.iter().flatten())
                .map(|a| a.ip.as_str())
        })
        .collect()
}

/// The user-maintained Endpoints of a selectorless Service (scenario `endpoints`).
pub fn manual_endpoints(
    svc: &k8s::Service,
    m: &crate::scenario::ManualEndpoints,
) -> k8s::Endpoints {
    let addr = |ip: &std::net::IpAddr| {
        k8s::SharedValue::new(k8s::EndpointAddress {
            ip: ip.to_string(),
            ..Default::default()
        })
    };
    let subset = k8s::EndpointSubset {
        addresses: (!m.addresses.is_empty()).then(|| m.addresses.iter().map(addr).collect()),
        not_ready_addresses: (!m.not_ready_addresses.is_empty())
            .then(|| m.not_ready_addresses.iter().map(addr).collect()),
        ports: (!m.ports.is_empty()).then(|| {
            m.ports
                .iter()
                .map(|p| k8s::EndpointPort {
                    name: p.name.clone(),
                    port: i32::from(p.port),
                    protocol: Some(p.protocol.as_str().to_string()),
                    app_protocol: p.app_protocol.clone(),
                })
                .collect()
        }),
    };
    k8s::Endpoints {
        kind: None,
        api_version: None,
        metadata: k8s::ObjectMeta {
            name: svc.metadata.name.clone(),
            namespace: svc.metadata.namespace.clone(),
            labels: (!m.labels.is_empty()).then(|| {
                m.labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
            ..Default::default()
        },
        subsets: Some(vec![subset]),
    }
}

impl ChangeSink for ControllerManager<'_> {
    fn advance_to(&mut self, now_ns: Nanos, _world: &World) {
        self.run_until(now_ns);
    }

    fn next_wakeup(&self) -> Option<Nanos> {
        let mut t = self.next_informer_event();
        if let Some(x) = self.topology_dirty {
            t = Some(t.map_or(x, |y| y.min(x)));
        }
        for c in &self.ctl {
            if let Some(x) = c.queue.next_event() {
                t = Some(t.map_or(x, |y| y.min(x)));
            }
        }
        t
    }

    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, world: &World) {
        // Work due before this instant has run in advance_to.
        self.now = self.now.max(now_ns);
        match change {
            Change::Pod(c) => self.on_pod(now_ns, c, world),
            Change::Node(c) => self.on_node(now_ns, c),
            Change::Service(c) => self.on_service(now_ns, c),
        }
    }
}

/// The scenario's packing policy, as the EndpointSlice controller takes it.
fn packing_of(c: &crate::scenario::EndpointSliceController) -> packing::Packing {
    match c.packing {
        crate::scenario::Packing::Upstream => packing::Packing::Upstream,
        crate::scenario::Packing::Repack => packing::Packing::Repack,
        crate::scenario::Packing::Bounded => packing::Packing::Bounded {
            min_fill: c.packing_min_fill,
        },
    }
}

#[cfg(test)]
mod node_lister_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod key_queue_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The id-keyed queue behaves as the queue of the key strings it replaces: same keys
        /// finished at the same times, same next event, requeue counts and idleness, through
        /// adds, delayed adds, rate-limited retries, forgets, pick-ups and `Done`s.
        #[test]
        fn key_queue_is_the_string_queue(
            ops in prop::collection::vec((0u8..6, 0usize..6, 0u64..5), 1..120),
            workers in 1usize..3,
        ) {
            let keys = ["ns/b", "ns/a", "other/a", "ns/c", "x/y", "ns/aa"];
            let rate = RateLimit { base_ns: 3, max_ns: 40, max_retries: 3 };
            let mut ids = KeyQueue {
                ids: ServiceIds::default(),
                keys: Vec::new(),
                q: WorkQueue::new(workers, rate, PICKUP_DELAY_NS),
            };
            let mut plain: WorkQueue<String> = WorkQueue::new(workers, rate, PICKUP_DELAY_NS);
            let dist = DurationDist::uniform(0, 7);
            let (mut r1, mut r2) = (ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(3));
            let mut now: Nanos = 0;
            for (op, k, d) in ops {
                let key = keys[k];
                match op {
                    0 => {
                        ids.add(key, now);
                        plain.add(key.to_string(), now);
                    }
                    1 => {
                        ids.add_after(key, d * 2, now);
                        plain.add_after(key.to_string(), d * 2, now);
                    }
                    2 => {
                        prop_assert_eq!(ids.num_requeues(key), plain.num_requeues(&key.to_string()));
                        prop_assert_eq!(
                            ids.add_rate_limited(key.to_string(), now),
                            plain.add_rate_limited(key.to_string(), now)
                        );
                    }
                    3 => {
                        let owned = key.to_string();
                        ids.forget(&owned);
                        plain.forget(&owned);
                    }
                    _ => {
                        now += d;
                        ids.release_waiting(now);
                        plain.release_waiting(now);
                        loop {
                            let (a, b) = (ids.pop_finished(now), plain.pop_finished(now));
                            prop_assert_eq!(
                                a.as_ref().map(|(t, k)| (*t, k.name.to_string())),
                                b.clone()
                            );
                            let (Some((t, ka)), Some((_, kb))) = (a, b) else { break };
                            ids.done(&ka, t);
                            plain.done(&kb, t);
                        }
                        ids.start_workers(now, &dist, &mut r1);
                        plain.start_workers(now, &dist, &mut r2);
                    }
                }
                prop_assert_eq!(ids.next_event(), plain.next_event());
                prop_assert_eq!(ids.is_idle(), plain.is_idle());
            }
        }
    }
}
