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

pub mod informer;
pub mod pods;
pub mod record;
pub mod stats;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::apiserver::write_log::{
    NullObserver, ObjectRef, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use crate::apiserver::{ApiError, Shared, SizeLimit, Store};
use crate::cluster::k8s_view::{format_time, node_to_k8s, pod_to_k8s, service_to_k8s};
use crate::cluster::{Change, ChangeSink, ObjChange, World};
use crate::controllers::endpoints::desired::PodChanges;
use crate::controllers::endpoints::{
    EndpointsController, EndpointsOptions, EndpointsWrite, PodChangeHint,
};
use crate::controllers::endpointslice::convert::{is_pod_ready, node_info};
use crate::controllers::endpointslice::model::{
    CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_ZONE,
};
use crate::controllers::endpointslice::reconciler::{
    drop_pending_deletion, is_managed_slice_of, manages_slices, slice_service_key,
    EndpointSliceController, NodeIndex, SliceWrite, SyncOutcome,
};
use crate::controllers::endpointslice::trace::SliceCounts;
use crate::controllers::endpointslice::EngineOptions;
use crate::controllers::mirroring::{mirrored_slices, MirroringController, MirroringOptions};
use crate::controllers::util::tracker::TrackedSlice;
use crate::controllers::workqueue::{RateLimit, WorkQueue};
use crate::k8s;
use crate::scenario::{Controllers, DurationDist, Nanos, Scenario, NS_PER_SEC};
use crate::sim::rng::{Stream, Streams};
use informer::LaggedInformer;

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
    match (labels_changed, pod_changed) {
        (false, false) => BTreeSet::new(),
        (false, true) => members(new),
        (true, true) => members(old).union(&members(new)).cloned().collect(),
        (true, false) => members(old)
            .symmetric_difference(&members(new))
            .cloned()
            .collect(),
    }
}

/// One controller's queue, worker settings and rate limit.
#[derive(Debug)]
struct Ctl {
    enabled: bool,
    queue: WorkQueue<String>,
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
            queue: WorkQueue::new(workers as usize, rate, PICKUP_DELAY_NS),
            batch_ns,
            duration,
        }
    }
    fn add(&mut self, key: &str, now: Nanos) {
        if self.enabled {
            self.queue.add(key.to_string(), now);
        }
    }
    fn add_after(&mut self, key: &str, delay: Nanos, now: Nanos) {
        if self.enabled {
            self.queue.add_after(key.to_string(), delay, now);
        }
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
    slice_index: BTreeMap<String, Vec<String>>,
    services: BTreeMap<String, k8s::Service>,
    pods: BTreeMap<String, PodList>,
    nodes: BTreeMap<String, k8s::Node>,
    node_index: NodeIndex,
    topology_dirty: Option<Nanos>,
    esc: EndpointSliceController,
    esc_rngs: BTreeMap<String, ChaCha8Rng>,
    /// Per-Service name/UID stream of the apiserver for the ESC's slice creates.
    name_rngs: BTreeMap<String, ChaCha8Rng>,
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
    /// Test hook (see [`CrossCheck`]).
    #[cfg(test)]
    pub(crate) cross_check: Option<CrossCheck>,
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
            slice_index: BTreeMap::new(),
            services: BTreeMap::new(),
            pods: BTreeMap::new(),
            nodes: BTreeMap::new(),
            node_index: NodeIndex::default(),
            topology_dirty: None,
            esc: EndpointSliceController::new(EngineOptions {
                max_endpoints_per_slice: c.endpointslice.max_endpoints_per_slice as usize,
                ..EngineOptions::default()
            }),
            esc_rngs: BTreeMap::new(),
            name_rngs: BTreeMap::new(),
            epc: EndpointsController::new(EndpointsOptions {
                max_capacity: c.endpoints.max_capacity as usize,
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

    /// Stats with `slices_alive` filled from the store.
    pub fn final_stats(&self) -> ManagerStats {
        let mut st = self.stats.clone();
        for s in st.services.values_mut() {
            s.slices_alive = 0;
        }
        for es in self.slices.list() {
            let key = slice_service_key(es);
            st.svc(&key).slices_alive += 1;
        }
        st
    }

    /// All keys of Services that select pods with `labels` in `ns` (key order), found
    /// through the namespace's selector index (see [`pods`]).
    fn services_for_labels(
        &self,
        ns: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) -> Vec<String> {
        let Some(list) = self.pods.get(ns) else {
            return Vec::new();
        };
        list.selecting(labels)
            .into_iter()
            .map(|name| format!("{ns}/{name}"))
            .filter(|k| {
                self.services
                    .get(k)
                    .is_some_and(|svc| selector_matches(svc.spec.selector.as_ref(), labels))
            })
            .collect()
    }

    fn enqueue_pod_services(&mut self, keys: impl IntoIterator<Item = String>, now: Nanos) {
        for k in keys {
            let (b0, b1) = (self.ctl[ESC].batch_ns, self.ctl[EPC].batch_ns);
            self.ctl[ESC].add_after(&k, b0, now);
            self.ctl[EPC].add_after(&k, b1, now);
        }
    }

    fn on_pod(
        &mut self,
        now: Nanos,
        change: &ObjChange<'_, crate::cluster::model::Pod>,
        world: &World,
    ) {
        match change {
            ObjChange::Added(p) => {
                let k = pod_to_k8s(p, world);
                let keys = self.services_for_labels(&p.namespace, k.metadata.labels.as_ref());
                self.ns_pods(&p.namespace).insert(p.name.clone(), k);
                self.enqueue_pod_services(keys, now);
            }
            ObjChange::Updated { new, .. } => {
                let k = pod_to_k8s(new, world);
                let ns = new.namespace.to_string();
                let old = self.ns_pods(&ns).remove(&new.name);
                let keys = match &old {
                    Some(o) => {
                        // Only Services selecting the old or the new labels can be in the
                        // answer; the filter is applied to them in key order.
                        let mut cands: BTreeSet<String> = self
                            .services_for_labels(&ns, o.metadata.labels.as_ref())
                            .into_iter()
                            .collect();
                        cands.extend(self.services_for_labels(&ns, k.metadata.labels.as_ref()));
                        let svcs: Vec<(&String, &k8s::Service)> = cands
                            .iter()
                            .filter_map(|c| self.services.get_key_value(c))
                            .collect();
                        services_to_update_on_pod_change(svcs.iter().copied(), o, &k)
                    }
                    None => self
                        .services_for_labels(&ns, k.metadata.labels.as_ref())
                        .into_iter()
                        .collect(),
                };
                self.ns_pods(&ns).insert(new.name.clone(), k);
                self.enqueue_pod_services(keys, now);
            }
            ObjChange::Deleted(p) => {
                let ns = p.namespace.to_string();
                let old = self.pods.get_mut(&ns).and_then(|m| m.remove(&p.name));
                let labels = old.as_ref().and_then(|o| o.metadata.labels.clone());
                let keys = self.services_for_labels(&ns, labels.as_ref());
                self.enqueue_pod_services(keys, now);
            }
        }
    }

    fn on_node(&mut self, now: Nanos, change: &ObjChange<'_, crate::cluster::model::Node>) {
        let n = node_to_k8s(change.latest());
        let name = s(&n.metadata.name).to_string();
        let sig = |n: &k8s::Node| {
            let ready = n
                .status
                .conditions
                .as_ref()
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
                .is_some_and(|c| c.status == "True");
            let zone = n
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(LABEL_ZONE).cloned());
            (ready, zone)
        };
        let topology_change = match change {
            ObjChange::Added(_) => {
                let zone = n
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_ZONE).cloned());
                self.node_index.insert(name.clone(), zone);
                self.nodes.insert(name, n);
                true
            }
            ObjChange::Updated { .. } => {
                let zone = n
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_ZONE).cloned());
                self.node_index.insert(name.clone(), zone);
                let changed = self.nodes.get(&name).map_or(true, |o| sig(o) != sig(&n));
                self.nodes.insert(name, n);
                changed
            }
            ObjChange::Deleted(_) => {
                self.node_index.remove(&name);
                self.nodes.remove(&name);
                true
            }
        };
        if topology_change && self.ctl[ESC].enabled && self.topology_dirty.is_none() {
            self.topology_dirty = Some(now + PICKUP_DELAY_NS);
        }
    }

    /// The topology queue's single item: `SetNodes` with the node lister's content, then
    /// `Add` every overloaded Service (checkNodeTopologyDistribution).
    fn run_topology(&mut self, now: Nanos) {
        self.topology_dirty = None;
        let infos: Vec<_> = self
            .nodes
            .values()
            .filter_map(|n| node_info(n).ok())
            .collect();
        self.esc.reconciler.topology.set_nodes(&infos);
        for k in self.esc.reconciler.topology.overloaded_services() {
            self.ctl[ESC].add(&k, now);
        }
    }

    fn on_service(
        &mut self,
        now: Nanos,
        change: &ObjChange<'_, crate::cluster::model::ServiceObj>,
    ) {
        let svc = service_to_k8s(change.latest());
        let key = key_of(&svc.metadata);
        let selectorless =
            |sv: &k8s::Service| sv.spec.selector.as_ref().map_or(true, |m| m.is_empty());
        self.ctl[ESC].add(&key, now);
        self.ctl[EPC].add(&key, now);
        match change {
            ObjChange::Added(o) => {
                if selectorless(&svc) {
                    self.ctl[ESMC].add(&key, now);
                    if let Some(m) = &o.spec.manual_endpoints {
                        let ep = manual_endpoints(&svc, m);
                        self.manual.insert(key.clone(), ep.clone());
                        self.user_create_endpoints(now, ep);
                    }
                }
                self.index_service(&key, &svc);
                self.services.insert(key, svc);
            }
            ObjChange::Updated { .. } => {
                let flipped = self
                    .services
                    .get(&key)
                    .map_or(true, |o| selectorless(o) != selectorless(&svc));
                if flipped {
                    self.ctl[ESMC].add(&key, now);
                }
                self.index_service(&key, &svc);
                self.services.insert(key, svc);
            }
            ObjChange::Deleted(_) => {
                if selectorless(&svc) {
                    self.ctl[ESMC].add(&key, now);
                }
                self.services.remove(&key);
                let (ns, name) = split_key(&key);
                if let Some(list) = self.pods.get_mut(ns) {
                    list.remove_service(name);
                }
                self.garbage_collect(now, &key);
            }
        }
    }

    /// Keep the namespace's selector index in step with the Service cache.
    fn index_service(&mut self, key: &str, svc: &k8s::Service) {
        let (ns, name) = split_key(key);
        self.ns_pods(ns)
            .set_service(name, svc.spec.selector.as_ref());
    }

    /// The namespace's pod cache, created on first use; it collects changed pods per Service
    /// only when the Endpoints controller runs to take them.
    fn ns_pods(&mut self, ns: &str) -> &mut PodList {
        let untracked = !self.ctl[EPC].enabled;
        self.pods.entry(ns.to_string()).or_insert_with(|| {
            if untracked {
                PodList::untracked()
            } else {
                PodList::default()
            }
        })
    }

    fn user_create_endpoints(&mut self, now: Nanos, ep: k8s::Endpoints) {
        self.shared.now = format_time(now);
        let key = key_of(&ep.metadata);
        match self.endpoints.create(&mut self.shared, ep.clone()) {
            Ok(stored) => {
                self.report(
                    now,
                    Verb::Create,
                    Writer::Other,
                    None,
                    Some(ObjectRef::Endpoints(&stored)),
                    stored_rv(&stored.metadata),
                );
                self.on_endpoints_event(now, &key);
            }
            Err(e) => {
                self.stats.svc(&key).rejected_writes += 1;
                self.report_rejected(
                    now,
                    Verb::Create,
                    Writer::Other,
                    None,
                    Some(ObjectRef::Endpoints(&ep)),
                    &e,
                );
            }
        }
    }

    /// Endpoints informer event: ESMC mirrors selectorless Services' Endpoints.
    fn on_endpoints_event(&mut self, now: Nanos, key: &str) {
        let mirror = self.services.get(key).map_or(true, |s| {
            s.spec.selector.as_ref().map_or(true, |m| m.is_empty())
        });
        if mirror {
            self.ctl[ESMC].add(key, now);
        }
    }

    /// The garbage collector deletes the slices owned by a deleted Service.
    fn garbage_collect(&mut self, now: Nanos, key: &str) {
        let names = self.slice_index.remove(key).unwrap_or_default();
        let (ns, _) = split_key(key);
        let ns = ns.to_string();
        for n in names {
            match self.slices.delete_versioned(&mut self.shared, &ns, &n) {
                Ok((old, rv)) => {
                    self.stats.svc(key).es_gc_deletes += 1;
                    self.report(
                        now,
                        Verb::Delete,
                        Writer::Other,
                        Some(ObjectRef::EndpointSlice(&old)),
                        None,
                        rv,
                    );
                }
                Err(_) => continue,
            }
        }
    }

    fn report(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        rv: u64,
    ) {
        // Every stored write reaches the KCM informers after their lag.
        match (new, old) {
            (Some(ObjectRef::EndpointSlice(o)), _) => {
                let g = slice_service_key(o);
                self.slice_informer.record(
                    now,
                    &mut self.lag_rng,
                    &g,
                    s(&o.metadata.name),
                    Some(o.clone()),
                );
            }
            (None, Some(ObjectRef::EndpointSlice(o))) => {
                let g = slice_service_key(o);
                self.slice_informer
                    .record(now, &mut self.lag_rng, &g, s(&o.metadata.name), None);
            }
            (Some(ObjectRef::Endpoints(o)), _) => {
                let g = key_of(&o.metadata);
                self.ep_informer
                    .record(now, &mut self.ep_lag_rng, &g, "", Some(o.clone()));
            }
            (None, Some(ObjectRef::Endpoints(o))) => {
                let g = key_of(&o.metadata);
                self.ep_informer
                    .record(now, &mut self.ep_lag_rng, &g, "", None);
            }
            (None, None) => {}
        }
        self.observe(now, verb, writer, old, new, rv);
    }

    /// The observer's part of [`ControllerManager::report`].
    fn observe(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        rv: u64,
    ) {
        self.observer.on_write(&WriteRecord {
            time_ns: now,
            verb,
            writer,
            old,
            new,
            outcome: WriteOutcome::Stored {
                resource_version: rv,
            },
        });
    }

    /// [`ControllerManager::report`] of an Endpoints create/update the informer shares rather
    /// than copies.
    fn report_endpoints(
        &mut self,
        now: Nanos,
        verb: Verb,
        old: Option<&k8s::Endpoints>,
        new: Rc<k8s::Endpoints>,
        rv: u64,
    ) {
        let g = key_of(&new.metadata);
        self.ep_informer
            .record_shared(now, &mut self.ep_lag_rng, &g, "", Some(Rc::clone(&new)));
        self.observe(
            now,
            verb,
            Writer::EndpointsController,
            old.map(ObjectRef::Endpoints),
            Some(ObjectRef::Endpoints(&new)),
            rv,
        );
    }

    fn report_rejected(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        err: &ApiError,
    ) {
        self.observer.on_write(&WriteRecord {
            time_ns: now,
            verb,
            writer,
            old,
            new,
            outcome: WriteOutcome::Rejected {
                reason: err.to_string(),
            },
        });
    }

    /// Deliver the informer events due by `t` and run the ESC's slice-informer handlers at
    /// their delivery time (endpointslice_controller.go onEndpointSliceAdd/Update/Delete):
    /// add/update → requeue if `ShouldSync` (someone else changed a slice we track), delete →
    /// `HandleDeletion` (requeue if someone else deleted our slice).
    fn deliver_informers(&mut self, t: Nanos) {
        while let Some(d) = self.slice_informer.pop_due(t) {
            let requeue = if d.deleted {
                match &d.old {
                    Some(old) if is_esc_managed(old) => {
                        let tr = tracked(old, &d.group);
                        self.esc.tracker.has(&tr) && !self.esc.tracker.handle_deletion(&tr)
                    }
                    _ => false,
                }
            } else {
                match self.slice_informer.get(&d.group, &d.name) {
                    Some(es) if is_esc_managed(es) => {
                        self.esc.tracker.should_sync(&tracked(es, &d.group))
                    }
                    _ => false,
                }
            };
            if requeue {
                let delay = ES_CHANGE_MIN_SYNC_DELAY_NS.max(self.ctl[ESC].batch_ns);
                self.ctl[ESC].add_after(&d.group, delay, d.at);
            }
        }
        self.ep_informer.catch_up(t);
    }

    fn finish_sync(&mut self, c: usize, key: &str, row: SyncRow, now: Nanos) {
        let kind = row.controller;
        let result = row.result;
        self.stats.svc(key).add_sync(kind, result);
        self.syncs.push(row);
        let q = &mut self.ctl[c].queue;
        match result {
            SyncResult::Success => q.forget(&key.to_string()),
            _ => {
                let k = key.to_string();
                if q.num_requeues(&k) < q.rate_limit().max_retries {
                    q.add_rate_limited(k, now);
                } else {
                    q.forget(&k);
                }
            }
        }
    }

    fn sync_esc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let (ns, name) = (ns.to_string(), name.to_string());
        let mut row = SyncRow::start(now, ControllerKind::EndpointSlice, key);
        let Some(service) = self.services.get(key).cloned() else {
            let st = self.stats.svc(key);
            st.desired_slices = 0;
            st.endpoints_desired = 0;
            self.esc.delete_service(&ns, &name);
            self.esc_rngs.remove(key);
            self.name_rngs.remove(key);
            self.finish_sync(ESC, key, row, now);
            return;
        };
        // The predicate `sync_service` starts with, asked first so that a Service it skips
        // lists nothing (and delivers no informer event) here.
        if !manages_slices(&service) {
            self.finish_sync(ESC, key, row, now);
            return;
        }
        // The informer's listing, borrowed (a sync of a big Service must not deep-copy every
        // slice): the Service's slices in creation order (the store's index), then any the
        // informer still holds that storage no longer has (deleted by us, not yet seen
        // deleted). With a lagging informer some may be older versions or missing.
        self.deliver_informers(now);
        let index: &[String] = self.slice_index.get(key).map_or(&[], |v| v.as_slice());
        let listed: Vec<&k8s::EndpointSlice> = index
            .iter()
            .filter_map(|n| self.slice_informer.get(key, n))
            .chain(
                self.slice_informer
                    .group(key)
                    .filter(|(n, _)| !index.contains(n))
                    .map(|(_, o)| o),
            )
            .filter(|s| is_managed_slice_of(s, &ns, &name))
            .collect();
        let empty = PodList::default();
        let ns_pods = self.pods.get(&ns).unwrap_or(&empty);
        // The selector index gives exactly the pods a filtered list would (same order), with
        // their parsed Ready transition times.
        let selected = ns_pods.selected(&name);
        let seed = service_choice_seed(self.scenario_seed, key);
        let rng = self
            .esc_rngs
            .entry(key.to_string())
            .or_insert_with(|| ChaCha8Rng::seed_from_u64(seed));
        #[cfg(test)]
        let replayed = self.cross_check.as_ref().map(|_| {
            let all: Vec<k8s::Pod> = ns_pods.values().cloned().collect();
            let owned: Vec<k8s::EndpointSlice> = listed.iter().map(|s| (*s).clone()).collect();
            let (mut esc, mut rng) = (self.esc.clone(), rng.clone());
            let out = esc.sync(&service, &all, &owned, &self.node_index, &mut rng);
            (out, esc, rng)
        });
        // The one EndpointSlice sync, shared with the conformance replay.
        let outcome = self
            .esc
            .sync_service(&service, &selected, &listed, &self.node_index, rng);
        #[cfg(test)]
        if let (Some((out, esc, replay_rng)), Some(cc)) = (replayed, self.cross_check.as_mut()) {
            assert_eq!(outcome, out, "{key}: EndpointSlice sync outcome");
            assert!(*rng == replay_rng, "{key}: choice stream position");
            assert!(
                self.esc.trigger_times == esc.trigger_times,
                "{key}: trigger-time state"
            );
            // The tracker is BTreeMaps only: its Debug text is canonical.
            assert_eq!(
                format!("{:?}", self.esc.tracker),
                format!("{:?}", esc.tracker),
                "{key}: tracker state"
            );
            cc.esc_syncs += 1;
        }
        let result = match outcome {
            SyncOutcome::Reconciled(r) => r,
            SyncOutcome::Skipped => {
                self.finish_sync(ESC, key, row, now);
                return;
            }
            SyncOutcome::Stale => {
                row.result = SyncResult::Stale;
                self.finish_sync(ESC, key, row, now);
                return;
            }
        };
        {
            let st = self.stats.svc(key);
            st.desired_slices = result.metrics.desired_slices as u64;
            st.endpoints_desired = result.metrics.endpoints_desired as u64;
        }
        // Endpoint changes as storage sees them (before vs after the sync's writes), keyed by
        // address; upstream's endpoints_added/removed metrics skip some placeholder paths.
        let before_addrs: BTreeSet<String> =
            slice_addresses(drop_pending_deletion(&listed).into_iter())
                .into_iter()
                .map(str::to_string)
                .collect();
        drop(listed);

        // The recorded input line: what the listers held at this sync.
        let record_input = if self.recorders.contains_key(key) {
            let all: Vec<k8s::Pod> = ns_pods.values().cloned().collect();
            Some(all)
        } else {
            None
        };
        drop(selected);

        let mut calls = SliceCounts::default();
        let mut failed = false;
        self.shared.now = format_time(now);
        let first_sync = !self.name_rngs.contains_key(key);
        let mut names = self
            .name_rngs
            .remove(key)
            .unwrap_or_else(|| ChaCha8Rng::seed_from_u64(seed));
        self.shared.swap_rng(&mut names);
        for w in result.writes {
            match w {
                SliceWrite::Create(body) => {
                    calls.created += 1;
                    match self.slices.create(&mut self.shared, body.clone()) {
                        Ok(stored) => {
                            self.esc.observe_write(&stored);
                            self.slice_index
                                .entry(key.to_string())
                                .or_default()
                                .push(s(&stored.metadata.name).to_string());
                            row.creates += 1;
                            self.stats.svc(key).es_creates += 1;
                            let rv = stored_rv(&stored.metadata);
                            self.report(
                                now,
                                Verb::Create,
                                Writer::EndpointSliceController,
                                None,
                                Some(ObjectRef::EndpointSlice(&stored)),
                                rv,
                            );
                        }
                        Err(e) => {
                            self.stats.svc(key).rejected_writes += 1;
                            self.report_rejected(
                                now,
                                Verb::Create,
                                Writer::EndpointSliceController,
                                None,
                                Some(ObjectRef::EndpointSlice(&body)),
                                &e,
                            );
                            failed = true;
                        }
                    }
                }
                SliceWrite::Update(body) => {
                    calls.updated += 1;
                    let old = self.slices.get(&ns, s(&body.metadata.name)).cloned();
                    match self.slices.update(&mut self.shared, body.clone()) {
                        Ok(out) => {
                            self.esc.observe_write(&out.object);
                            if out.written {
                                row.updates += 1;
                                self.stats.svc(key).es_updates += 1;
                                let rv = stored_rv(&out.object.metadata);
                                self.report(
                                    now,
                                    Verb::Update,
                                    Writer::EndpointSliceController,
                                    old.as_ref().map(ObjectRef::EndpointSlice),
                                    Some(ObjectRef::EndpointSlice(&out.object)),
                                    rv,
                                );
                            } else {
                                self.stats.svc(key).es_noop_updates += 1;
                            }
                        }
                        Err(e) => {
                            self.stats.svc(key).rejected_writes += 1;
                            self.report_rejected(
                                now,
                                Verb::Update,
                                Writer::EndpointSliceController,
                                old.as_ref().map(ObjectRef::EndpointSlice),
                                Some(ObjectRef::EndpointSlice(&body)),
                                &e,
                            );
                            failed = true;
                        }
                    }
                }
                SliceWrite::Delete(body) => {
                    calls.deleted += 1;
                    match self.slices.delete_versioned(
                        &mut self.shared,
                        &ns,
                        s(&body.metadata.name),
                    ) {
                        Ok((old, rv)) => {
                            self.esc.observe_delete(&old);
                            if let Some(v) = self.slice_index.get_mut(key) {
                                v.retain(|n| Some(n.as_str()) != old.metadata.name.as_deref());
                            }
                            row.deletes += 1;
                            self.stats.svc(key).es_deletes += 1;
                            self.report(
                                now,
                                Verb::Delete,
                                Writer::EndpointSliceController,
                                Some(ObjectRef::EndpointSlice(&old)),
                                None,
                                rv,
                            );
                        }
                        Err(e) => {
                            self.stats.svc(key).rejected_writes += 1;
                            self.report_rejected(
                                now,
                                Verb::Delete,
                                Writer::EndpointSliceController,
                                Some(ObjectRef::EndpointSlice(&body)),
                                None,
                                &e,
                            );
                            failed = true;
                        }
                    }
                }
            }
            if failed {
                break;
            }
        }
        if first_sync {
            // The replay's Endpoints create after the first line draws a UID here.
            self.shared.draw_uid();
        }
        self.shared.swap_rng(&mut names);
        self.name_rngs.insert(key.to_string(), names);
        let alive: Vec<&k8s::EndpointSlice> = self
            .slice_index
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|n| self.slices.get(&ns, n))
            .collect();
        let after_addrs = slice_addresses(alive.iter().copied());
        row.endpoints_added = after_addrs
            .iter()
            .filter(|a| !before_addrs.contains(**a))
            .count() as u64;
        row.endpoints_removed = before_addrs
            .iter()
            .filter(|a| !after_addrs.contains(a.as_str()))
            .count() as u64;
        calls.slices = alive.len();
        calls.endpoints = alive.iter().map(|s| s.endpoint_list().len()).sum();
        let st = self.stats.svc(key);
        st.slices_max = st.slices_max.max(calls.slices as u64);
        if failed || !result.errors.is_empty() {
            row.result = SyncResult::Error;
        }
        if let Some(all) = record_input {
            let pods: Vec<&k8s::Pod> = all.iter().collect();
            let nodes: Vec<&k8s::Node> = self.nodes.values().collect();
            if let Some(r) = self.recorders.get_mut(key) {
                if let Err(e) = r.record(&service, &pods, &nodes, calls) {
                    self.record_error.get_or_insert(e.to_string());
                }
            }
        }
        self.finish_sync(ESC, key, row, now);
    }

    fn sync_epc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let (ns, name) = (ns.to_string(), name.to_string());
        let mut row = SyncRow::start(now, ControllerKind::Endpoints, key);
        self.shared.now = format_time(now);
        let Some(service) = self.services.get(key).cloned() else {
            // Service gone: delete its Endpoints (NotFound ignored), forget trackers.
            self.epc.service_deleted(&ns, &name);
            #[cfg(test)]
            if let Some(shadow) = self
                .cross_check
                .as_mut()
                .and_then(|c| c.epc_shadow.as_mut())
            {
                shadow.service_deleted(&ns, &name);
            }
            if !self.manual.contains_key(key) {
                if let Ok((old, rv)) = self
                    .endpoints
                    .delete_versioned(&mut self.shared, &ns, &name)
                {
                    row.deletes = 1;
                    row.endpoints_removed = address_set(Some(&old)).len() as u64;
                    self.stats.svc(key).ep_deletes += 1;
                    self.report(
                        now,
                        Verb::Delete,
                        Writer::EndpointsController,
                        Some(ObjectRef::Endpoints(&old)),
                        None,
                        rv,
                    );
                }
            }
            self.finish_sync(EPC, key, row, now);
            return;
        };
        let empty = PodList::default();
        // The Endpoints informer's copy (may lag behind storage, see [`informer`]).
        self.deliver_informers(now);
        // The pods the selector matches, from the namespace's index (as the controller's own
        // filter of the lister's content would give them), and which of them changed since
        // this Service's previous sync (for the controller's incremental desired state).
        let changes = match self.pods.get_mut(&ns) {
            Some(list) => list.take_changes(&name),
            None => PodChanges::All,
        };
        let list = self.pods.get(&ns).unwrap_or(&empty);
        let selected = list.selected(&name);
        let lookup = |pod: &str| list.selected_pod(&name, pod);
        let current = self.ep_informer.get_shared(key, "");
        // The one Endpoints sync, shared with the conformance replay (which passes no hint).
        let decision = self.epc.sync_service(
            &service,
            &selected,
            Some(PodChangeHint {
                changes: &changes,
                lookup: &lookup,
            }),
            current.as_deref(),
        );
        #[cfg(test)]
        if let Some(cc) = self.cross_check.as_mut() {
            let all: Vec<k8s::Pod> = list.values().cloned().collect();
            let shadow = cc
                .epc_shadow
                .get_or_insert_with(|| EndpointsController::new(self.epc.options()));
            let replayed = shadow.try_sync(&service, &all, current.as_deref());
            assert_eq!(decision, replayed, "{key}: Endpoints sync");
            cc.epc_syncs += 1;
        }
        drop(selected);
        match decision {
            Err(_) => row.result = SyncResult::Stale,
            Ok(EndpointsWrite::None) => {}
            Ok(EndpointsWrite::Create(e)) => {
                match self.endpoints.create(&mut self.shared, e.clone()) {
                    Ok(stored) => {
                        row.creates = 1;
                        row.endpoints_added = address_set(Some(&stored)).len() as u64;
                        self.stats.svc(key).ep_creates += 1;
                        let rv = stored_rv(&stored.metadata);
                        self.report_endpoints(now, Verb::Create, None, Rc::new(stored), rv);
                    }
                    Err(err) => {
                        row.result = SyncResult::Error;
                        self.stats.svc(key).rejected_writes += 1;
                        self.report_rejected(
                            now,
                            Verb::Create,
                            Writer::EndpointsController,
                            None,
                            Some(ObjectRef::Endpoints(&e)),
                            &err,
                        );
                    }
                }
            }
            Ok(EndpointsWrite::Update(e)) => {
                match self.endpoints.update(&mut self.shared, e.clone()) {
                    Ok(out) => {
                        if let Some(prev) = &current {
                            self.epc.record_update(prev, &out.object);
                            #[cfg(test)]
                            if let Some(shadow) = self
                                .cross_check
                                .as_mut()
                                .and_then(|c| c.epc_shadow.as_mut())
                            {
                                shadow.record_update(prev, &out.object);
                            }
                        }
                        if out.written {
                            let before = address_set(current.as_deref());
                            let after = address_set(Some(&out.object));
                            row.updates = 1;
                            row.endpoints_added = after.difference(&before).count() as u64;
                            row.endpoints_removed = before.difference(&after).count() as u64;
                            drop((before, after));
                            self.stats.svc(key).ep_updates += 1;
                            let rv = stored_rv(&out.object.metadata);
                            self.report_endpoints(
                                now,
                                Verb::Update,
                                current.as_deref(),
                                Rc::new(out.object),
                                rv,
                            );
                        }
                    }
                    Err(err) => {
                        row.result = SyncResult::Error;
                        self.stats.svc(key).rejected_writes += 1;
                        self.report_rejected(
                            now,
                            Verb::Update,
                            Writer::EndpointsController,
                            current.as_deref().map(ObjectRef::Endpoints),
                            Some(ObjectRef::Endpoints(&e)),
                            &err,
                        );
                    }
                }
            }
        }
        self.finish_sync(EPC, key, row, now);
    }

    fn sync_esmc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let (ns, name) = (ns.to_string(), name.to_string());
        self.shared.now = format_time(now);
        let before: Vec<k8s::EndpointSlice> = mirrored_slices(&self.slices, &ns, &name)
            .into_iter()
            .cloned()
            .collect();
        let service = self.services.get(key).cloned();
        let ep = self.endpoints.get(&ns, &name).cloned();
        let out = self.esmc.sync(
            &ns,
            &name,
            service.as_ref(),
            ep.as_ref(),
            &mut self.slices,
            &mut self.shared,
        );
        let after: Vec<k8s::EndpointSlice> = mirrored_slices(&self.slices, &ns, &name)
            .into_iter()
            .cloned()
            .collect();
        #[cfg(test)]
        if let Some(cc) = self.cross_check.as_mut() {
            use crate::controllers::mirroring::replay::{MirrorCounts, MirrorInputLine};
            cc.mirror.entry(key.to_string()).or_default().push((
                MirrorInputLine {
                    service: service.clone(),
                    endpoints: ep.clone(),
                },
                MirrorCounts {
                    created: out.created,
                    updated: out.updated,
                    deleted: out.deleted,
                    slices: after.len(),
                    endpoints: after.iter().map(|s| s.endpoint_list().len()).sum(),
                },
            ));
        }
        // Report what changed in storage (the mirroring controller writes the store directly).
        let by_name = |v: &[k8s::EndpointSlice]| -> BTreeMap<String, k8s::EndpointSlice> {
            v.iter()
                .map(|e| (s(&e.metadata.name).to_string(), e.clone()))
                .collect()
        };
        let (b, a) = (by_name(&before), by_name(&after));
        let mut writes = 0u64;
        for (n, new) in &a {
            match b.get(n) {
                None => {
                    writes += 1;
                    let rv = stored_rv(&new.metadata);
                    self.report(
                        now,
                        Verb::Create,
                        Writer::MirroringController,
                        None,
                        Some(ObjectRef::EndpointSlice(new)),
                        rv,
                    );
                }
                Some(old) if old.metadata.resource_version != new.metadata.resource_version => {
                    writes += 1;
                    let rv = stored_rv(&new.metadata);
                    self.report(
                        now,
                        Verb::Update,
                        Writer::MirroringController,
                        Some(ObjectRef::EndpointSlice(old)),
                        Some(ObjectRef::EndpointSlice(new)),
                        rv,
                    );
                }
                Some(_) => {}
            }
        }
        for (n, old) in &b {
            if !a.contains_key(n) {
                writes += 1;
                let rv = self.shared.peek_resource_version();
                self.report(
                    now,
                    Verb::Delete,
                    Writer::MirroringController,
                    Some(ObjectRef::EndpointSlice(old)),
                    None,
                    rv,
                );
            }
        }
        let eps = |v: &[k8s::EndpointSlice]| -> BTreeSet<String> {
            v.iter()
                .flat_map(|e| {
                    e.endpoint_list()
                        .iter()
                        .flat_map(|x| x.address_list().to_vec())
                })
                .collect()
        };
        let (eb, ea) = (eps(&before), eps(&after));
        let st = self.stats.svc(key);
        st.mirroring_writes += writes;
        st.slices_max = st.slices_max.max(after.len() as u64);
        let mut row = SyncRow {
            time_ns: now,
            controller: ControllerKind::Mirroring,
            service: key.to_string(),
            creates: out.created as u64,
            updates: out.updated as u64,
            deletes: out.deleted as u64,
            endpoints_added: ea.difference(&eb).count() as u64,
            endpoints_removed: eb.difference(&ea).count() as u64,
            result: SyncResult::Success,
        };
        if let Some(e) = &out.error {
            row.result = SyncResult::Error;
            self.stats.svc(key).rejected_writes += 1;
            self.report_rejected(
                now,
                Verb::Update,
                Writer::MirroringController,
                None,
                None,
                e,
            );
        }
        self.finish_sync(ESMC, key, row, now);
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
                    match c {
                        ESC => self.sync_esc(&key, end),
                        EPC => self.sync_epc(&key, end),
                        _ => self.sync_esmc(&key, end),
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

/// Endpoint addresses (ready or not) over slices.
fn slice_addresses<'a>(slices: impl Iterator<Item = &'a k8s::EndpointSlice>) -> BTreeSet<&'a str> {
    slices
        .flat_map(|s| {
            s.endpoint_list()
                .iter()
                .flat_map(|e| e.address_list().iter().map(String::as_str))
        })
        .collect()
}

/// Ready and not-ready IPs of an Endpoints object.
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
    let addr = |ip: &std::net::IpAddr| k8s::EndpointAddress {
        ip: ip.to_string(),
        ..Default::default()
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

#[cfg(test)]
mod tests;
