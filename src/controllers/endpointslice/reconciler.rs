//! Public API of the EndpointSlice controller on `crate::k8s` objects:
//! [`Reconciler`] (k8s.io/endpointslice `Reconciler.Reconcile`) and
//! [`EndpointSliceController`] (the parts of
//! pkg/controller/endpointslice `syncService` that decide what one sync does).
//!
//! Neither mutates its inputs: existing slices are read, and every write is a
//! new object in the result (the caller stores it, e.g. with `crate::apiserver`).
//!
//! Cost: one sync converts the Service's existing slices to the compact model
//! (O(endpoints of the Service), no k8s object allocations) and builds k8s
//! objects only for the slices it writes; unchanged slices are borrowed.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::convert::{
    pod_ready_transition_time, pod_selected, service_info, slice_from_k8s, slice_to_k8s,
};
use super::model::{Endpoint, Slice, CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
use super::podcache::PodEndpointCache;
use super::podread;
use super::reconcile::{
    address_types_for_service, reconcile, DesiredByPortMap, DesiredGroup, PlannedWrite,
    ReconcilerOptions, SyncMetrics,
};
use super::topology::TopologyCache;
use crate::controllers::endpoints::PodView;
use crate::controllers::trigger_time::{parse_opt, Timestamp, TriggerTimeTracker};
use crate::controllers::util::intern::intern;
use crate::controllers::util::tracker::TrackedSlice;
use crate::controllers::util::{EndpointSet, EndpointSliceTracker};
use crate::k8s;
use crate::sim::lookup_hash::ByWord;

/// Name → zone label of the nodes the node lister holds.
#[derive(Debug, Clone, Default)]
pub struct NodeIndex {
    /// Names and zones are the interned copies ([`crate::controllers::util::intern`]) every
    /// endpoint of a pod on the node shares: a pod's conversion takes them without an intern
    /// lookup. Lookup only (nothing iterates it), so the hash order never shows.
    zones: HashMap<Rc<str>, Option<Rc<str>>, ByWord>,
    /// Changes whenever the content does (drawn from a process-wide counter, so two
    /// indexes with the same version hold the same zones); lets the per-pod cache skip
    /// re-reading the zone of every pod's node while no node changed. Never output.
    version: u64,
}

/// Source of [`NodeIndex`] versions (0 = the empty default index).
static NODE_INDEX_VERSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_node_index_version() -> u64 {
    NODE_INDEX_VERSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl NodeIndex {
    pub fn from_nodes(nodes: &[k8s::Node]) -> Self {
        NodeIndex {
            zones: nodes
                .iter()
                .map(|n| {
                    (
                        intern(n.metadata.name.as_deref().unwrap_or_default()),
                        n.metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get(super::model::LABEL_ZONE))
                            .map(|z| intern(z)),
                    )
                })
                .collect(),
            version: next_node_index_version(),
        }
    }
    /// `nodeLister.Get(name)`: None = NotFound, Some(zone label).
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.zones.get(name).map(|z| z.as_deref())
    }
    /// [`Self::get`] with the node's interned name and zone.
    pub(super) fn get_shared(&self, name: &str) -> Option<(&Rc<str>, &Option<Rc<str>>)> {
        self.zones.get_key_value(name)
    }
    pub fn insert(&mut self, name: String, zone: Option<String>) {
        if self.get(&name) != Some(zone.as_deref()) {
            self.zones
                .insert(intern(&name), zone.as_deref().map(intern));
            self.version = next_node_index_version();
        }
    }
    pub fn remove(&mut self, name: &str) {
        if self.zones.remove(name).is_some() {
            self.version = next_node_index_version();
        }
    }
    /// Content version (see the field).
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// One API call of a sync, in upstream's order (creates, updates, deletes per
/// address type; deletes of unsupported address types last).
#[derive(Debug, Clone, PartialEq)]
pub enum SliceWrite {
    /// Create (name empty, `generateName` set).
    Create(k8s::EndpointSlice),
    /// Update by name. A body derived from an existing slice keeps its
    /// resourceVersion (optimistic concurrency); a recycled create carries none.
    Update(k8s::EndpointSlice),
    /// Delete of this existing slice.
    Delete(k8s::EndpointSlice),
}

/// Outcome of one Reconcile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileResult {
    pub writes: Vec<SliceWrite>,
    pub metrics: SyncMetrics,
    /// Aggregated non-fatal errors (e.g. "Node not found" for a pod); upstream
    /// still issues the writes and then requeues the Service with backoff.
    pub errors: Vec<String>,
}

impl ReconcileResult {
    pub fn creates(&self) -> impl Iterator<Item = &k8s::EndpointSlice> {
        self.writes.iter().filter_map(|w| match w {
            SliceWrite::Create(s) => Some(s),
            _ => None,
        })
    }
    pub fn updates(&self) -> impl Iterator<Item = &k8s::EndpointSlice> {
        self.writes.iter().filter_map(|w| match w {
            SliceWrite::Update(s) => Some(s),
            _ => None,
        })
    }
    pub fn deletes(&self) -> impl Iterator<Item = &k8s::EndpointSlice> {
        self.writes.iter().filter_map(|w| match w {
            SliceWrite::Delete(s) => Some(s),
            _ => None,
        })
    }
}

/// k8s.io/endpointslice `Reconciler` with its topology cache.
///
/// It holds no random stream: every call takes the seeded stream that stands in
/// for upstream's Go-map randomness (PopAny, tie breaks, receiving-zone picks) as
/// a parameter, so the simulator (one stream per Service) and the conformance
/// replay (one stream per trace) drive the same code with their own streams.
#[derive(Debug, Clone)]
pub struct Reconciler {
    pub options: ReconcilerOptions,
    pub topology: TopologyCache,
    /// Per Service key: slice name → compact model of the slice at a resourceVersion.
    /// Boxed values: a tree leaf holds room for 11 entries, and with the ~200-byte models
    /// inline each Service's one or two slices cost a 2.6 KB node (rebuilt every sync).
    pub(super) slice_cache: ServiceKeyed<SliceModels>,
    /// Per Service: what each selected pod converts to (see [`PodEndpointCache`]).
    pod_cache: PodEndpointCache,
    /// Whether syncs reuse `pod_cache` (off: every sync converts every pod, as upstream;
    /// the tests compare both).
    pub use_pod_cache: bool,
    /// Recompute every sync from scratch (the straightforward reconcile the incremental
    /// path is tested against, and the bench baseline).
    pub full_recompute: bool,
    /// Per Service key: the incremental reconcile's state (see `incremental`). Boxed, and
    /// taken out for a sync as a pointer (None while out): inline, the ~1 KB states made
    /// the table's growth copy and first-touch ~15 MB, and each sync moved its state out
    /// and back.
    pub(super) inc: ServiceKeyed<Option<Box<super::incremental::IncService>>>,
    /// Per Service key: the models of the slices the last incremental sync updated, by name
    /// (see [`OwnWrite`]). Lookup-only maps (kept or dropped by `retain`, never listed in
    /// order), hashed word-wise ([`ByWord`]) like the controller's other lookup-only maps.
    pub(super) own_writes: ServiceKeyed<std::collections::HashMap<String, OwnWrite, ByWord>>,
    /// Per Service key: the models of the slices the last incremental sync created, in write
    /// order, until storage returns each (`observe_write` names it and moves it to
    /// `own_writes`). Without this a created slice's model would be rebuilt from the stored
    /// object at the next listing: a second copy of every endpoint of the Service.
    pub(super) own_creates: ServiceKeyed<std::collections::VecDeque<OwnWrite>>,
    /// What-if packing policy applied after the upstream plan (see `packing`).
    pub(super) packing: super::packing::Packing,
    /// Counts incremental syncs (of any Service): tells an own write planned by a Service's
    /// previous sync from an older one.
    pub(super) sync_seq: u64,
    /// Buffers a sync fills and leaves behind, so the next sync allocates none of them (the
    /// Service key, the incremental reconcile's index vectors).
    pub(super) scratch: super::incremental::Scratch,
}

/// Per-Service state by Service key (`namespace/name`), looked up by every sync of that
/// Service: a hash map (a tree of 10,000 keys compared ~14 strings a lookup, several lookups a
/// sync). Lookups only: nothing iterates it, so its order never shows.
pub(super) type ServiceKeyed<V> =
    std::collections::HashMap<String, V, crate::sim::lookup_hash::ByWord>;

/// A slice update the incremental reconcile planned, kept after it was materialised: once
/// storage returns it (`observe_write`), the slice at that resourceVersion is exactly this
/// model, so the next sync takes it instead of converting the stored object back (with a
/// big Service's rolling update, nearly every listed slice changed since the previous sync
/// was written by it).
#[derive(Debug, Clone)]
pub(super) struct OwnWrite {
    pub(super) service_uid: String,
    /// The stored resourceVersion, once observed.
    pub(super) resource_version: Option<String>,
    pub(super) slice: Slice,
    /// [`Reconciler::sync_seq`] of the sync that planned it.
    pub(super) made_at: u64,
}

/// Whether `stored` is the object written for the planned `model`: the same endpoint values
/// (the memoised written forms, by pointer: every endpoint of a planned slice memoises the
/// value its write carried), address type, ports and labels.
fn written_from(model: &Slice, stored: &k8s::EndpointSlice) -> bool {
    let eps = stored.endpoint_list();
    model.address_type == stored.address_type
        && eps.len() == model.endpoints.len()
        && model.endpoints.iter().zip(eps).all(|(m, e)| {
            m.k8s
                .0
                .get()
                .is_some_and(|w| k8s::SharedValue::ptr_eq(w, e))
        })
        && stored.port_list().len() == model.ports.len()
        && stored
            .port_list()
            .iter()
            .zip(&model.ports)
            .all(|(p, m)| super::convert::port_from_k8s(p) == *m)
        && stored.metadata.labels.as_ref() == Some(&model.labels)
}

/// A Service's cached slice models by slice name, in name order: a sorted vector (a Service
/// has one or two slices; a B-tree leaf took ~370 bytes for each Service's one entry).
/// Iterates in name order, as the `BTreeMap` it replaces did.
#[derive(Debug, Clone, Default)]
pub(super) struct SliceModels(Vec<(String, Box<CachedSlice>)>);

impl SliceModels {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }
    pub(super) fn get(&self, name: &str) -> Option<&CachedSlice> {
        self.find(name).ok().map(|i| &*self.0[i].1)
    }
    /// The position of `name` in name order, if held.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        self.find(name).ok()
    }
    /// How many models are held.
    pub(super) fn count(&self) -> usize {
        self.0.len()
    }
    pub(super) fn get_mut(&mut self, name: &str) -> Option<&mut CachedSlice> {
        self.find(name).ok().map(|i| &mut *self.0[i].1)
    }
    /// `BTreeMap::insert` (the previous value of `name`, if any).
    pub(super) fn insert(&mut self, name: String, c: Box<CachedSlice>) -> Option<Box<CachedSlice>> {
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, c)),
            Err(i) => {
                self.0.insert(i, (name, c));
                None
            }
        }
    }
    pub(super) fn remove(&mut self, name: &str) -> Option<Box<CachedSlice>> {
        self.find(name).ok().map(|i| self.0.remove(i).1)
    }
    /// `BTreeMap::retain`: visits the entries in name order.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&String, &mut CachedSlice) -> bool) {
        self.0.retain_mut(|(k, c)| keep(k, c));
    }
    pub(super) fn values(&self) -> impl Iterator<Item = &CachedSlice> {
        self.0.iter().map(|(_, c)| &**c)
    }
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut CachedSlice> {
        self.0.iter_mut().map(|(_, c)| &mut **c)
    }
}

#[derive(Debug, Clone)]
pub(super) struct CachedSlice {
    pub(super) resource_version: String,
    pub(super) service_uid: String,
    pub(super) slice: Slice,
    /// The incremental reconcile's verdict at the last sync: step 1 kept this slice (at this
    /// resourceVersion) unchanged and nothing wrote it (see `incremental`).
    pub(super) clean: bool,
}

impl Default for Reconciler {
    fn default() -> Self {
        Reconciler::new(ReconcilerOptions::default())
    }
}

impl Reconciler {
    pub fn new(options: ReconcilerOptions) -> Self {
        Reconciler {
            options,
            topology: TopologyCache::new(),
            slice_cache: ServiceKeyed::default(),
            pod_cache: PodEndpointCache::new(),
            use_pod_cache: true,
            full_recompute: false,
            inc: ServiceKeyed::default(),
            own_writes: ServiceKeyed::default(),
            own_creates: ServiceKeyed::default(),
            packing: super::packing::Packing::Upstream,
            sync_seq: 0,
            scratch: Default::default(),
        }
    }

    /// Drop the reconciler part by part into `census` (memory measurements,
    /// `sim::alloc_stats`). Endpoints are shared between the parts: each is counted where its
    /// last holder is dropped (the pod conversions, dropped last but one).
    pub fn census(mut self, census: &mut crate::sim::alloc_stats::Census) {
        use std::mem::take;
        census.drop_part(
            "ESC: own writes",
            (take(&mut self.own_writes), take(&mut self.own_creates)),
        );
        census.drop_part("ESC: slice models", take(&mut self.slice_cache));
        census.drop_part("ESC: pod memo (full syncs)", take(&mut self.pod_cache));
        census.drop_part("ESC: incremental state (pods)", take(&mut self.inc));
        census.drop_part("ESC: reconciler, the rest", self);
    }

    /// Forget a deleted Service (`Reconciler.DeleteService` + cached slice models).
    pub fn delete_service(&mut self, namespace: &str, name: &str) {
        let key = format!("{namespace}/{name}");
        self.pod_cache.remove_service(&key);
        self.slice_cache.remove(&key);
        self.inc.remove(&key);
        self.own_writes.remove(&key);
        self.own_creates.remove(&key);
    }

    /// Storage returned `stored` for a write of Service `key`: a planned update of that
    /// name not observed yet is the slice at this resourceVersion (see [`OwnWrite`]).
    ///
    /// Otherwise it is the next planned create of the Service (creates are issued and
    /// observed in write order) when it holds that create's very endpoints (the shared
    /// written forms, compared by pointer), address type, ports and labels: the create's model,
    /// named, becomes the own write at this resourceVersion. Anything else drops the pending
    /// creates (the next listing converts those slices from the stored objects).
    fn observe_written(&mut self, key: &str, stored: &k8s::EndpointSlice) {
        let name = stored.metadata.name.as_deref().unwrap_or("");
        let rv = stored.metadata.resource_version.as_deref().unwrap_or("");
        if let Some(w) = self.own_writes.get_mut(key).and_then(|m| m.get_mut(name)) {
            if w.resource_version.is_none() {
                if !rv.is_empty() {
                    w.resource_version = Some(rv.to_string());
                }
                return;
            }
        }
        let Some(queue) = self.own_creates.get_mut(key) else {
            return;
        };
        let created = queue
            .front()
            .is_some_and(|w| !name.is_empty() && !rv.is_empty() && written_from(&w.slice, stored));
        if !created {
            self.own_creates.remove(key);
            return;
        }
        let mut w = queue.pop_front().expect("front checked");
        if queue.is_empty() {
            self.own_creates.remove(key);
        }
        w.slice.name = name.to_string();
        w.resource_version = Some(rv.to_string());
        self.own_writes
            .entry(key.to_string())
            .or_default()
            .insert(name.to_string(), w);
    }

    /// `Reconcile(service, pods, existingSlices, triggerTime)`. `pods` are the
    /// pods the Service selects (see [`pod_selected`]); `existing` the slices
    /// the lister holds for it (service-name + managed-by labels, without those
    /// being deleted), in lister order; `trigger_time` the RFC3339Nano value of
    /// the trigger-time annotation (None = remove it); `rng` the choice stream.
    pub fn reconcile(
        &mut self,
        service: &k8s::Service,
        pods: &[&k8s::Pod],
        existing: &[k8s::EndpointSlice],
        nodes: &NodeIndex,
        trigger_time: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> ReconcileResult {
        let existing: Vec<&k8s::EndpointSlice> = existing.iter().collect();
        self.reconcile_borrowed(service, pods, &existing, nodes, trigger_time, rng)
    }

    /// [`Reconciler::reconcile`] over borrowed slices (the controller manager lends the
    /// store's instead of copying every slice of the Service on every sync).
    ///
    /// Incremental unless [`Reconciler::full_recompute`] (see `incremental`): both give the
    /// same writes, metrics, errors and use of `rng`.
    pub fn reconcile_borrowed(
        &mut self,
        service: &k8s::Service,
        pods: &[&k8s::Pod],
        existing: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        trigger_time: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> ReconcileResult {
        let selected: Vec<SelectedPod<'_>> = pods.iter().map(|p| (*p, None)).collect();
        self.reconcile_input(
            service,
            PodInput::List(&selected),
            existing,
            nodes,
            trigger_time,
            rng,
        )
    }

    /// [`Reconciler::reconcile_borrowed`] over the pods as the sync received them.
    pub(super) fn reconcile_input(
        &mut self,
        service: &k8s::Service,
        pods: PodInput<'_, '_>,
        existing: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        trigger_time: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> ReconcileResult {
        if !self.full_recompute {
            if let Some(r) =
                self.reconcile_incremental(service, pods, existing, nodes, trigger_time, rng)
            {
                return r;
            }
        }
        let list: Vec<PodView<'_>> = match pods {
            PodInput::List(l) => l.iter().map(|(p, _)| PodView::Api(p)).collect(),
            PodInput::Source(src) => (src.all)().into_iter().map(|(_, (p, _))| p).collect(),
        };
        self.reconcile_full(service, &list, existing, nodes, trigger_time, rng)
    }

    /// The straightforward reconcile: every selected pod converted (memoised per pod), the
    /// desired set of every port mapping built, step 1 walking every existing slice.
    pub(super) fn reconcile_full(
        &mut self,
        service: &k8s::Service,
        pods: &[PodView<'_>],
        existing: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        trigger_time: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> ReconcileResult {
        let (svc, address_types) = service_and_address_types(service, &self.options);
        let mut errors = Vec::new();

        // Desired endpoints per address type and port mapping
        // (reconcileByAddressType, step 2), borrowed from the per-pod conversion memo.
        let mut scratch = PodEndpointCache::new();
        let cache = if self.use_pod_cache {
            &mut self.pod_cache
        } else {
            &mut scratch
        };
        let converted = cache.convert_all(service, &svc, &address_types, pods, nodes);
        let mut desired: BTreeMap<String, DesiredByPortMap<&Endpoint>> = BTreeMap::new();
        for (ai, at) in address_types.iter().enumerate() {
            let groups = desired.entry(at.to_string()).or_default();
            for (pod, c) in pods.iter().zip(&converted) {
                if !podread::in_endpoints(*pod, svc.include_terminating()) {
                    continue;
                }
                if !groups.contains_key(&*c.port_key) {
                    groups.insert(
                        std::rc::Rc::clone(&c.port_key),
                        DesiredGroup {
                            ports: std::rc::Rc::clone(&c.ports),
                            endpoints: EndpointSet::thinned(rng.gen()),
                            total: None,
                        },
                    );
                }
                let Some(group) = groups.get_mut(&*c.port_key) else {
                    continue;
                };
                if c.node.is_none() && !svc.publish_not_ready_addresses {
                    errors.push(format!(
                        "skipping Pod {} for Service {}/{}: Node {} Not Found",
                        pod.name(),
                        svc.namespace,
                        svc.name,
                        pod.node_name()
                    ));
                    continue;
                }
                let ep = &c.endpoints[ai];
                if !ep.addresses.is_empty() {
                    group.endpoints.insert(ep);
                }
            }
        }

        // Compact models of the existing slices: reuse the cached model of a
        // slice whose resourceVersion (and owner Service UID) is unchanged, so a
        // sync converts only slices written since the last one.
        let svc_key = svc.key();
        // The incremental state does not follow full syncs: it is rebuilt by the next one.
        self.inc.remove(&svc_key);
        self.own_creates.remove(&svc_key);
        let mut old = self.slice_cache.remove(&svc_key).unwrap_or_default();
        let cacheable = {
            let mut names = std::collections::BTreeSet::new();
            existing.iter().all(|es| {
                let n = es.metadata.name.as_deref().unwrap_or("");
                let rv = es.metadata.resource_version.as_deref().unwrap_or("");
                !n.is_empty() && !rv.is_empty() && names.insert(n)
            })
        };
        let mut cached = SliceModels::default();
        let mut fresh: Vec<Slice> = Vec::new();
        for (i, es) in existing.iter().enumerate() {
            if !cacheable {
                fresh.push(slice_from_k8s(es, &svc, i));
                continue;
            }
            let name = es.metadata.name.clone().unwrap_or_default();
            let rv = es.metadata.resource_version.clone().unwrap_or_default();
            let entry = match old.remove(&name) {
                Some(mut c) if c.resource_version == rv && c.service_uid == svc.uid => {
                    c.slice.origin = Some(i);
                    c
                }
                _ => Box::new(CachedSlice {
                    resource_version: rv,
                    service_uid: svc.uid.clone(),
                    slice: slice_from_k8s(es, &svc, i),
                    clean: false,
                }),
            };
            cached.insert(name, entry);
        }
        let model: Vec<&Slice> = if cacheable {
            existing
                .iter()
                .filter_map(|es| {
                    cached
                        .get(es.metadata.name.as_deref().unwrap_or(""))
                        .map(|c| &c.slice)
                })
                .collect()
        } else {
            fresh.iter().collect()
        };
        let topology = self
            .options
            .topology_cache_enabled
            .then_some(&mut self.topology);
        let plan = reconcile(
            &svc,
            &address_types,
            &model,
            desired,
            &self.options,
            topology,
            rng,
        );

        drop(model);
        if cacheable {
            self.slice_cache.insert(svc_key, cached);
        }
        let writes = materialize_writes(plan.writes, &svc, existing, trigger_time, None);
        let max = self.options.max_endpoints_per_slice;
        let result = ReconcileResult {
            writes,
            metrics: plan.metrics,
            errors,
        };
        super::packing::apply(self.packing, max, result, existing)
    }
}

/// The EndpointSlice controller's per-Service sync state: reconciler, topology
/// cache and the last-change trigger-time tracker (persisting across syncs).
///
/// The [`EndpointSliceTracker`] is fed by the caller, who performs the writes:
/// [`EndpointSliceController::observe_write`] after each successful create or
/// update (with the object the API server returned) and
/// [`EndpointSliceController::observe_delete`] after each delete;
/// [`EndpointSliceController::is_stale`] is upstream's `StaleSlices` check that
/// `syncService` runs before reconciling (a stale sync writes nothing and is retried).
#[derive(Debug, Clone, Default)]
pub struct EndpointSliceController {
    pub reconciler: Reconciler,
    pub trigger_times: TriggerTimeTracker,
    pub tracker: EndpointSliceTracker,
    /// The controller manager's endpoints added/removed accounting per Service.
    pub listed_addresses: super::listed::ListedAddresses,
}

/// `namespace/<kubernetes.io/service-name label>` of a slice (upstream `ServiceControllerKey`).
pub fn slice_service_key(es: &k8s::EndpointSlice) -> String {
    format!(
        "{}/{}",
        es.metadata.namespace.as_deref().unwrap_or(""),
        es.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_SERVICE_NAME))
            .map(String::as_str)
            .unwrap_or("")
    )
}

/// [`slice_service_key`] of `es` is `namespace/service_name`.
fn is_service_key_of(es: &k8s::EndpointSlice, namespace: &str, service_name: &str) -> bool {
    es.metadata.namespace.as_deref().unwrap_or("") == namespace
        && es
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_SERVICE_NAME))
            .map(String::as_str)
            .unwrap_or("")
            == service_name
}

fn tracked<'a>(es: &'a k8s::EndpointSlice, key: &'a str) -> TrackedSlice<'a> {
    TrackedSlice {
        service_key: key,
        uid: es.metadata.uid.as_deref().unwrap_or(""),
        generation: es.metadata.generation.unwrap_or(0),
    }
}

/// Labels of the slices the controller lists for a Service.
pub fn is_managed_slice_of(es: &k8s::EndpointSlice, namespace: &str, service_name: &str) -> bool {
    es.metadata.namespace.as_deref().unwrap_or("") == namespace
        && es.metadata.labels.as_ref().is_some_and(|l| {
            l.get(LABEL_SERVICE_NAME).map(String::as_str) == Some(service_name)
                && l.get(LABEL_MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME)
        })
}

impl EndpointSliceController {
    pub fn new(options: ReconcilerOptions) -> Self {
        EndpointSliceController {
            reconciler: Reconciler::new(options),
            trigger_times: TriggerTimeTracker::new(),
            tracker: EndpointSliceTracker::new(),
            listed_addresses: Default::default(),
        }
    }

    /// Upstream `StaleSlices`: the listed slices of the Service are behind this
    /// controller's own writes (the informer has not caught up).
    pub fn is_stale(&self, service: &k8s::Service, existing: &[k8s::EndpointSlice]) -> bool {
        let existing: Vec<&k8s::EndpointSlice> = existing.iter().collect();
        self.is_stale_borrowed(service, &existing)
    }

    /// [`EndpointSliceController::is_stale`] over borrowed slices.
    pub fn is_stale_borrowed(
        &self,
        service: &k8s::Service,
        existing: &[&k8s::EndpointSlice],
    ) -> bool {
        let key = format!(
            "{}/{}",
            service.metadata.namespace.as_deref().unwrap_or(""),
            service.metadata.name.as_deref().unwrap_or("")
        );
        self.is_stale_keyed(&key, existing)
    }

    /// [`EndpointSliceController::is_stale_borrowed`] of the Service with key `key`.
    fn is_stale_keyed(&self, key: &str, existing: &[&k8s::EndpointSlice]) -> bool {
        let listed: Vec<TrackedSlice<'_>> = existing.iter().map(|s| tracked(s, key)).collect();
        self.tracker.stale_slices(key, &listed)
    }

    /// The Service is gone (syncService NotFound path): forget its trigger-time
    /// state, tracker entries, topology hints and cached slice models. Its
    /// slices are removed by the garbage collector, not by this controller.
    pub fn delete_service(&mut self, namespace: &str, name: &str) {
        let key = format!("{namespace}/{name}");
        self.trigger_times.delete_service(namespace, name);
        self.tracker.delete_service(&key);
        self.listed_addresses.delete_service(&key);
        self.reconciler
            .topology
            .remove_hints(&key, super::model::ADDRESS_TYPE_IPV4);
        self.reconciler
            .topology
            .remove_hints(&key, super::model::ADDRESS_TYPE_IPV6);
        self.reconciler.delete_service(namespace, name);
    }

    /// Record a successful create/update (`tracker.Update(returned)`).
    pub fn observe_write(&mut self, stored: &k8s::EndpointSlice) {
        let key = slice_service_key(stored);
        self.tracker.update(&tracked(stored, &key));
        self.reconciler.observe_written(&key, stored);
    }

    /// [`EndpointSliceController::observe_write`] of a write the sync of Service
    /// `service_key` made: the slice's key is that one (checked) and not built again.
    pub fn observe_write_of(&mut self, service_key: &str, stored: &k8s::EndpointSlice) {
        let (ns, name) = service_key.split_once('/').unwrap_or(("", service_key));
        if !is_service_key_of(stored, ns, name) {
            return self.observe_write(stored);
        }
        self.tracker.update(&tracked(stored, service_key));
        self.reconciler.observe_written(service_key, stored);
    }

    /// Record a successful delete (`tracker.ExpectDeletion`).
    pub fn observe_delete(&mut self, deleted: &k8s::EndpointSlice) {
        let key = slice_service_key(deleted);
        self.tracker.expect_deletion(&tracked(deleted, &key));
    }

    /// THE EndpointSlice sync: one pkg/controller/endpointslice
    /// endpointslice_controller.go `Controller.syncService` after the Service was
    /// found. Both the simulator's controller manager and the conformance replay
    /// (`slicesim reconcile`) call this, so what the conformance data checks is
    /// what the simulator runs. In upstream's order:
    /// 1. ExternalName Service or nil selector → [`SyncOutcome::Skipped`]
    ///    ([`manages_slices`]);
    /// 2. listed slices being deleted are dropped (`dropEndpointSlicesPendingDeletion`);
    /// 3. `StaleSlices` → [`SyncOutcome::Stale`] (nothing written, retry later);
    /// 4. the trigger time over every selected pod (`ComputeEndpointLastChangeTriggerTime`,
    ///    before the reconcile so the tracker advances on no-op syncs too);
    /// 5. `Reconciler.Reconcile` with `rng` as the choice stream.
    ///
    /// Inputs are what the listers hold, borrowed (a big Service's sync copies no
    /// slice or pod): `pods` = the pods the selector matches in lister order, each
    /// with its Ready condition's parsed lastTransitionTime ([`select_pods`] builds
    /// them from a namespace's pods; the manager's selector index gives the same);
    /// `listed` = the slices listed with the Service's service-name + managed-by
    /// labels ([`is_managed_slice_of`]), in lister order.
    pub fn sync_service(
        &mut self,
        service: &k8s::Service,
        pods: &[SelectedPod<'_>],
        listed: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        rng: &mut ChaCha8Rng,
    ) -> SyncOutcome {
        self.sync_with(service, PodInput::List(pods), listed, nodes, rng)
    }

    /// [`EndpointSliceController::sync_service`] told which selected pods changed since this
    /// Service's previous sync (the controller manager's pod index, see [`PodSource`]): the
    /// trigger time and the incremental reconcile read only those pods, so a sync costs what
    /// changed instead of the Service's size. Same outcome, state and use of `rng` as
    /// `sync_service` over the full selection (tested). A [`SyncOutcome::Stale`] sync applied
    /// nothing: the caller gives the changes back for the next sync.
    pub fn sync_service_changed(
        &mut self,
        service: &k8s::Service,
        pods: &PodSource<'_, '_>,
        listed: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        rng: &mut ChaCha8Rng,
    ) -> SyncOutcome {
        self.sync_with(service, PodInput::Source(pods), listed, nodes, rng)
    }

    fn sync_with(
        &mut self,
        service: &k8s::Service,
        pods: PodInput<'_, '_>,
        listed: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        rng: &mut ChaCha8Rng,
    ) -> SyncOutcome {
        if !manages_slices(service) {
            return SyncOutcome::Skipped;
        }
        // Borrowed as listed when no slice is pending deletion (the usual case).
        let existing: std::borrow::Cow<'_, [&k8s::EndpointSlice]> = if listed
            .iter()
            .any(|s| s.metadata.deletion_timestamp.is_some())
        {
            std::borrow::Cow::Owned(drop_pending_deletion(listed))
        } else {
            std::borrow::Cow::Borrowed(listed)
        };
        let ns = service.metadata.namespace.as_deref().unwrap_or("");
        let name = service.metadata.name.as_deref().unwrap_or("");
        // The key in a kept buffer (not formatted per sync).
        let key = self.reconciler.scratch.service_key(ns, name);
        let stale = self.is_stale_keyed(&key, &existing);
        self.reconciler.scratch.key = key;
        if stale {
            return SyncOutcome::Stale;
        }
        let created = parse_opt(service.metadata.creation_timestamp.as_deref());
        let trigger = match pods {
            PodInput::List(list) => self.trigger_times.compute_raw(
                ns,
                name,
                created,
                list.iter()
                    .map(|(p, t)| (p.metadata.name.as_deref().unwrap_or(""), *t)),
            ),
            PodInput::Source(src) => {
                let mut changed = match src.changes {
                    PodChanges::Names(names) => Some(
                        names
                            .iter()
                            .map(|n| (n.as_str(), (src.lookup)(n).and_then(|(_, (_, t))| t))),
                    ),
                    PodChanges::All => None,
                };
                // Read only when the tracker cannot use the changes.
                let all = std::iter::once(src.all)
                    .flat_map(|f| f())
                    .map(|(_, (p, t))| (p.name(), t));
                self.trigger_times.compute_changed(
                    ns,
                    name,
                    created,
                    changed
                        .as_mut()
                        .map(|i| i as &mut dyn Iterator<Item = (&str, Option<Timestamp>)>),
                    all,
                )
            }
        }
        .map(|t| t.to_rfc3339_nano());
        SyncOutcome::Reconciled(self.reconciler.reconcile_input(
            service,
            pods,
            &existing,
            nodes,
            trigger.as_deref(),
            rng,
        ))
    }

    /// [`EndpointSliceController::sync_service`] over owned data (tests and
    /// one-off callers): `all_pods` = the namespace's pods (selected here with
    /// [`select_pods`]), `listed` = the Service's managed slices.
    pub fn sync(
        &mut self,
        service: &k8s::Service,
        all_pods: &[k8s::Pod],
        listed: &[k8s::EndpointSlice],
        nodes: &NodeIndex,
        rng: &mut ChaCha8Rng,
    ) -> SyncOutcome {
        let pods = select_pods(service, all_pods);
        let listed: Vec<&k8s::EndpointSlice> = listed.iter().collect();
        self.sync_service(service, &pods, &listed, nodes, rng)
    }
}

/// A pod the Service's selector matches, with its Ready condition's parsed
/// lastTransitionTime (the trigger-time input; the manager's pod index keeps it
/// parsed once per pod version). Shared with the Endpoints controller.
pub use crate::controllers::endpoints::SelectedPod;

/// A selected pod read through a [`PodView`] (shared with the Endpoints controller).
pub use crate::controllers::endpoints::ViewedPod;

/// What one [`EndpointSliceController::sync_service`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// ExternalName Service or nil selector: upstream returns without a write.
    Skipped,
    /// The listed slices are behind this controller's own writes
    /// (`NewStaleInformerCache`): nothing written; upstream retries with backoff.
    Stale,
    /// `Reconcile` ran: the writes to issue, in upstream's order.
    Reconciled(ReconcileResult),
}

impl SyncOutcome {
    /// The reconcile result, if the sync reconciled.
    pub fn reconciled(self) -> Option<ReconcileResult> {
        match self {
            SyncOutcome::Reconciled(r) => Some(r),
            _ => None,
        }
    }
}

/// Whether the EndpointSlice controller manages slices for this Service at all:
/// not ExternalName (kubernetes issue 105986) and a non-nil selector
/// (endpointslice_controller.go `syncService`; selectorless Services get their
/// slices out of band or from the mirroring controller).
pub fn manages_slices(service: &k8s::Service) -> bool {
    service.spec.type_.as_deref() != Some("ExternalName") && service.spec.selector.is_some()
}

/// endpointslice_controller.go `dropEndpointSlicesPendingDeletion`: the listed
/// slices without a deletionTimestamp, order kept.
pub fn drop_pending_deletion<'a>(listed: &[&'a k8s::EndpointSlice]) -> Vec<&'a k8s::EndpointSlice> {
    listed
        .iter()
        .copied()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .collect()
}

/// `podLister.Pods(namespace).List(selector)` over a namespace's pods, in
/// their order, each with its parsed Ready transition time.
pub fn select_pods<'p>(service: &k8s::Service, all_pods: &'p [k8s::Pod]) -> Vec<SelectedPod<'p>> {
    all_pods
        .iter()
        .filter(|p| pod_selected(service, p))
        .map(|p| (p, parse_opt(pod_ready_transition_time(p))))
        .collect()
}

/// What every reconcile reads of the Service first: its compact info and the address types it
/// publishes (`reconcileByAddressType`'s loop; from `ipFamilies` and `clusterIP`).
pub(super) fn service_and_address_types(
    service: &k8s::Service,
    options: &ReconcilerOptions,
) -> (super::model::ServiceInfo, Vec<&'static str>) {
    let ip_families = service.spec.ip_families.as_deref().unwrap_or_default();
    let ats = address_types_for_service(
        ip_families,
        service.spec.cluster_ip.as_deref().unwrap_or(""),
    );
    let info = super::model::ServiceInfo {
        terminating_condition: options.terminating_condition,
        ..service_info(service)
    };
    (info, ats)
}

/// The Service's selected pods as a sync receives them.
#[derive(Clone, Copy)]
pub(super) enum PodInput<'x, 'p> {
    /// Every selected pod, in lister order (the conformance replay, tests).
    List(&'x [SelectedPod<'p>]),
    /// The controller manager's index: what changed, plus lookups.
    Source(&'x PodSource<'x, 'p>),
}

/// A Service's selected pods as the controller manager's pod index lends them: which changed
/// since the Service's previous sync, each pod by name, and the whole selection on demand.
/// Positions order the pods as the lister lists them (a smaller position comes first).
pub struct PodSource<'a, 'p> {
    /// Names of the pods that changed (added, updated, deleted, moved in or out of the
    /// selection, or moved to another position), or `All` when unknown.
    pub changes: &'a PodChanges,
    /// The pod of this name with its position, if the Service selects it (a world pod is
    /// read in place: no sync builds a `k8s::Pod`).
    pub lookup: &'a dyn Fn(&str) -> Option<(usize, ViewedPod<'p>)>,
    /// Every selected pod with its position, in lister order.
    pub all: &'a dyn Fn() -> Vec<(usize, ViewedPod<'p>)>,
}

pub use crate::controllers::endpoints::desired::PodChanges;

/// Where [`materialize_writes`] puts the models of the slices it wrote.
pub(super) struct Kept<'a> {
    pub(super) updates: &'a mut Vec<Slice>,
    pub(super) creates: &'a mut Vec<Slice>,
}

/// The reconcile step's planned writes as API objects: creates from scratch, updates on top of the
/// listed slice they came from (so fields the controller does not own are kept), deletes as the
/// listed object. Shared by the full and the incremental reconcile; `keep` receives the models
/// of the updates and of the creates (each in write order).
pub(super) fn materialize_writes(
    writes: Vec<PlannedWrite>,
    svc: &super::model::ServiceInfo,
    existing: &[&k8s::EndpointSlice],
    trigger_time: Option<&str>,
    mut keep: Option<Kept<'_>>,
) -> Vec<SliceWrite> {
    writes
        .into_iter()
        .filter_map(|w| match w {
            PlannedWrite::Create(s) => {
                let body = slice_to_k8s(&s, svc, None, trigger_time);
                if let Some(k) = keep.as_mut() {
                    k.creates.push(s);
                }
                Some(SliceWrite::Create(body))
            }
            PlannedWrite::Update(s) => {
                let base = s.origin.and_then(|i| existing.get(i).copied());
                let body = slice_to_k8s(&s, svc, base, trigger_time);
                if let Some(k) = keep.as_mut() {
                    k.updates.push(s);
                }
                Some(SliceWrite::Update(body))
            }
            PlannedWrite::Delete { origin, .. } => existing
                .get(origin)
                .map(|e| SliceWrite::Delete((*e).clone())),
        })
        .collect()
}
