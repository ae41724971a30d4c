//! Watch fan-out and traffic accounting: [`WatchHub`] implements [`WriteObserver`].
//!
//! # Watcher population and the two modes
//! One run is costed twice from the same write stream (README "Both modes in one run"):
//! - **endpointslices** mode: every write of an EndpointSlice, fanned out to the
//!   EndpointSlice watchers;
//! - **endpoints** mode (the monolithic baseline): every write of an Endpoints object, fanned
//!   out to the same population watching Endpoints instead.
//!
//! Derivation ([`derive_groups`]): each `kube-proxy` and `coredns` entry of `[[watchers]]` is a
//! *consumer role* present in both worlds: it becomes one group watching EndpointSlices and one
//! watching Endpoints, with the same label selector (kube-proxy's pre-slice Endpoints informer
//! used the same `!service-proxy-name,!headless` selector — the Endpoints controller copies the
//! Service labels and adds `service.kubernetes.io/headless` —
//! kubernetes/kubernetes :: cmd/kube-proxy/app/server.go), encoding, latency and sync period,
//! whatever `resource` the entry names. `custom` watchers are real extra clients of the
//! resource they name and only appear in that resource's mode. Plus the kube-controller-manager's
//! own shared informer per resource (one watch each, no selector, `apiserver.kcm_content_type`;
//! the endpointslice and mirroring controllers share the EndpointSlice informer, the endpoints
//! and mirroring controllers the Endpoints one — cmd/kube-controller-manager :: one
//! SharedInformerFactory). Identical watchers are merged into one group with a count.
//!
//! # Fan-out and cost (apiserver cacher/cache_watcher.go convertToWatchEvent)
//! Per stored write, each group of the write's resource gets ADDED (only the new object
//! matches), MODIFIED (both), DELETED (only the old one, carrying the old content with the
//! event's resourceVersion) or nothing (kubernetes/apiserver :: pkg/storage/cacher/
//! cache_watcher.go :: convertToWatchEvent). An event's bytes are computed once per
//! (object version, encoding, event type) with [`crate::wire`] and multiplied by the group's
//! count — the cacher also serialises once per encoding (CacheableObject,
//! pkg/endpoints/handlers/response.go :: watchEncoder). Work per write is O(groups), never
//! O(watchers).
//!
//! # Other traffic
//! - API request bytes: the object in the kube-controller-manager's content type (protobuf by
//!   default) for create/update; a DELETE carries no object (counted as 0).
//! - etcd write bytes: the stored object's protobuf (storage media type); a delete
//!   writes no value (0).
//! - Rejected writes (conflict, `etcdserver: request is too large`): counted, request bytes
//!   counted, no etcd bytes, no events. [`etcd_check`] tells the caller whether etcd would
//!   accept an object (value size against `--max-request-bytes`; the real txn also carries the
//!   key, so objects within a few hundred bytes of the limit are judged slightly optimistically).
//! - Bookmarks: one per watcher per `bookmark_interval` plus one ~2 s before every watch timeout
//!   (cacher.go defaultBookmarkFrequency; cache_watcher.go nextBookmarkTime), spread evenly over
//!   time across a group's members. A BOOKMARK carries an empty object of the kind with only
//!   `metadata.resourceVersion`.
//! - Watch timeouts (reflector: random 5–10 min): the reflector re-WATCHes from its last
//!   resourceVersion without a LIST (client-go tools/cache/reflector.go :: watch), so a timeout
//!   costs a re-watch (counted) and its bookmark, no relist.
//! - Relists: a `watch_restart` scenario event makes every member of the targeted groups LIST
//!   the resource with its selector; a node joining makes its kube-proxy LIST. A LIST is sized
//!   as the `<Kind>List` response of the currently stored matching objects ([`crate::wire::list`]).
//!
//! # Per-node ingress
//! Every kube-proxy receives the same event stream (same selector), so per-node ingress is
//! tracked as one cumulative counter plus each node's join offset; a node that joined later has
//! received less (its initial LIST included). Per-node = all per-node groups (kube-proxy) of the
//! mode; CoreDNS replicas are not attributed to nodes.

use std::collections::BTreeMap;
use std::rc::Rc;

use rand_chacha::ChaCha8Rng;

use super::write_log::{
    ObjectRef, Resource, SharedObject, Verb, WriteObserver, WriteOutcome, WriteRecord,
};
use crate::clients::propagation::{PodChange, PodState, Propagation, ViewProbe};
use crate::clients::{
    max_of_uniform, Change, DiffMemo, GroupClient, ServiceIds, ServiceKey, ViewKind,
    LABEL_SERVICE_NAME,
};
use crate::cluster::model::{Pod, ServiceObj};
use crate::k8s::{EndpointSlice, Endpoints, KubeObject, ListMeta, ObjectMeta};
use crate::metrics::{Histogram, TimeSeries};
use crate::scenario::model::{
    self as model, DurationDist, Event, EventKind, LabelSelector, Scenario, WatchResource,
    WatcherCount, WatcherKind,
};
use crate::wire::{self, Encoding, EventType};
use std::cell::RefCell;

const NS_PER_SEC: u64 = 1_000_000_000;

/// What a group of watchers is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    KubeProxy,
    CoreDns,
    Custom,
    /// The kube-controller-manager's shared informer (not a data-plane client: no cache, no
    /// propagation latency).
    ControllerManager,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::KubeProxy => "kube-proxy",
            Role::CoreDns => "coredns",
            Role::Custom => "custom",
            Role::ControllerManager => "kube-controller-manager",
        }
    }
}

/// `endpointslices` or `endpoints`: the name of a mode (= the resource its traffic is about).
pub fn mode_name(r: Resource) -> &'static str {
    match r {
        Resource::EndpointSlices => "endpointslices",
        Resource::Endpoints => "endpoints",
    }
}

fn encoding_name(e: Encoding) -> &'static str {
    match e {
        Encoding::Json => "json",
        Encoding::Protobuf => "protobuf",
    }
}

fn wire_encoding(e: model::Encoding) -> Encoding {
    match e {
        model::Encoding::Json => Encoding::Json,
        model::Encoding::Protobuf => Encoding::Protobuf,
    }
}

fn mode_index(r: Resource) -> usize {
    match r {
        Resource::EndpointSlices => 0,
        Resource::Endpoints => 1,
    }
}

const MODES: [Resource; 2] = [Resource::EndpointSlices, Resource::Endpoints];

/// A set of identical watchers.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchGroup {
    pub name: String,
    pub role: Role,
    pub resource: Resource,
    pub selector: LabelSelector,
    pub encoding: Encoding,
    /// Members now (for per-node groups: the live node count).
    pub count: u64,
    /// One member per live node (kube-proxy DaemonSet).
    pub per_node: bool,
    pub delivery_latency: DurationDist,
    pub min_sync_period_ns: u64,
    /// Indices into `Scenario::watchers` this group stands for (empty for the KCM).
    pub watchers: Vec<usize>,
}

/// The groups of a scenario with `nodes` live nodes (see the module docs for the rules).
pub fn derive_groups(s: &Scenario, nodes: u64) -> Vec<WatchGroup> {
    let mut out: Vec<WatchGroup> = Vec::new();
    let mut push = |g: WatchGroup| {
        // Two identical per-node entries are two DaemonSets (two members per node): kept apart.
        if let Some(e) = out.iter_mut().find(|e| {
            !e.per_node
                && !g.per_node
                && e.role == g.role
                && e.resource == g.resource
                && e.selector == g.selector
                && e.encoding == g.encoding
                && e.per_node == g.per_node
                && e.delivery_latency == g.delivery_latency
                && e.min_sync_period_ns == g.min_sync_period_ns
        }) {
            e.count += g.count;
            e.watchers.extend(g.watchers);
            if !e.name.split('+').any(|n| n == g.name) {
                e.name = format!("{}+{}", e.name, g.name);
            }
        } else {
            out.push(g);
        }
    };
    for (i, w) in s.watchers.iter().enumerate() {
        let role = match w.kind {
            WatcherKind::KubeProxy => Role::KubeProxy,
            WatcherKind::CoreDns => Role::CoreDns,
            WatcherKind::Custom => Role::Custom,
        };
        let (per_node, count) = match w.count {
            WatcherCount::PerNode => (true, nodes),
            WatcherCount::Fixed(n) => (false, u64::from(n)),
        };
        let own = match w.resource {
            WatchResource::EndpointSlices => Resource::EndpointSlices,
            WatchResource::Endpoints => Resource::Endpoints,
        };
        let resources: &[Resource] = if role == Role::Custom {
            std::slice::from_ref(&own)
        } else {
            &MODES
        };
        for &resource in resources {
            push(WatchGroup {
                name: w.name.clone(),
                role,
                resource,
                selector: w.label_selector.clone(),
                encoding: wire_encoding(w.encoding),
                count,
                per_node,
                delivery_latency: w.delivery_latency,
                min_sync_period_ns: w.min_sync_period_ns,
                watchers: vec![i],
            });
        }
    }
    for resource in MODES {
        push(WatchGroup {
            name: "kube-controller-manager".into(),
            role: Role::ControllerManager,
            resource,
            selector: LabelSelector::default(),
            encoding: wire_encoding(s.apiserver.kcm_content_type),
            count: 1,
            per_node: false,
            delivery_latency: DurationDist::ZERO,
            min_sync_period_ns: 0,
            watchers: Vec::new(),
        });
    }
    out
}

/// Whether etcd accepts `obj`: `Ok(protobuf bytes)` or the error a real apiserver returns when
/// the value exceeds `--max-request-bytes` (`etcdserver: request is too large`).
pub fn etcd_check(max_request_bytes: u64, obj: ObjectRef<'_>) -> Result<usize, String> {
    let n = protobuf_size(obj).map_err(|e| e.0)?;
    if n as u64 > max_request_bytes {
        Err(super::ETCD_TOO_LARGE.into())
    } else {
        Ok(n)
    }
}

fn protobuf_size(obj: ObjectRef<'_>) -> Result<usize, wire::WireError> {
    match obj {
        ObjectRef::EndpointSlice(s) => wire::protobuf_len(s),
        ObjectRef::Endpoints(e) => wire::protobuf_len(e),
    }
}

fn json_size(obj: ObjectRef<'_>) -> usize {
    match obj {
        ObjectRef::EndpointSlice(s) => wire::json_len(s),
        ObjectRef::Endpoints(e) => wire::json_len(e),
    }
}

fn meta(obj: ObjectRef<'_>) -> &ObjectMeta {
    match obj {
        ObjectRef::EndpointSlice(s) => &s.metadata,
        ObjectRef::Endpoints(e) => &e.metadata,
    }
}

fn matches(sel: &LabelSelector, obj: ObjectRef<'_>) -> bool {
    match &meta(obj).labels {
        Some(l) => sel.matches(l),
        None => sel.matches(&BTreeMap::new()),
    }
}

/// The Service of an object as clients key it (`"namespace/service"`, interned in `ids`): a
/// slice's service-name label (None without it: clients ignore such slices), an Endpoints
/// object's own name. The same key as [`crate::clients::ClientCache::service_of`].
fn client_service_key(ids: &mut ServiceIds, obj: ObjectRef<'_>) -> Option<ServiceKey> {
    let m = meta(obj);
    let ns = m.namespace.as_deref().unwrap_or("");
    let name = match obj {
        ObjectRef::EndpointSlice(_) => m.labels.as_ref()?.get(LABEL_SERVICE_NAME)?.as_str(),
        ObjectRef::Endpoints(_) => m.name.as_deref().unwrap_or(""),
    };
    Some(ids.intern_parts(ns, name))
}

/// Event counters of one slice of traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    pub events: u64,
    pub bytes: u64,
}

impl Flow {
    fn add(&mut self, n: u64, size: u64) {
        self.events += n;
        self.bytes += n * size;
    }
}

/// Per-node (kube-proxy) ingress over the run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NodeIngress {
    pub nodes: u64,
    pub mean: f64,
    pub p99: u64,
    pub max: u64,
}

/// Propagation latency percentiles (ns), one sample per pod change that resolved
/// ([`crate::clients::propagation`]), and the changes that took no sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencySummary {
    pub samples: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    /// Replaced by a later change of the same pod before resolving.
    pub superseded: u64,
    /// Still pending at the end of the run.
    pub unresolved: u64,
}

/// Everything counted for one mode.
#[derive(Debug, Clone, PartialEq)]
pub struct ModeReport {
    pub resource: Resource,
    pub writes_stored: u64,
    /// Stored writes by verb: create, update, delete.
    pub writes_by_verb: BTreeMap<&'static str, u64>,
    pub writes_rejected: u64,
    pub rejected_oversize: u64,
    pub request_bytes: u64,
    pub etcd_bytes: u64,
    /// Largest stored object (protobuf bytes) and its `namespace/name`.
    pub largest_object: (u64, String),
    /// Watch events from writes (not bookmarks).
    pub watch: Flow,
    pub by_event_type: BTreeMap<&'static str, Flow>,
    pub by_encoding: BTreeMap<&'static str, Flow>,
    pub by_role: BTreeMap<&'static str, Flow>,
    pub bookmarks: Flow,
    pub relists: Flow,
    pub rewatches: u64,
    pub node_ingress: NodeIngress,
    pub propagation: LatencySummary,
    /// Seconds some client group's slowest member held a change not yet applied (summed over groups).
    pub stale_seconds: f64,
    /// Seconds some client group's cache held an endpoint present in two source objects.
    pub duplicate_seconds: f64,
    pub event_sizes: Histogram,
    pub series: TimeSeries,
    /// Every propagation latency sample (ns), ascending (filled by [`WatchHub::finish`]; the
    /// run writes its CDF).
    pub latency_ns: Vec<u64>,
}

impl ModeReport {
    fn new(resource: Resource) -> Self {
        ModeReport {
            resource,
            writes_stored: 0,
            writes_by_verb: BTreeMap::new(),
            writes_rejected: 0,
            rejected_oversize: 0,
            request_bytes: 0,
            etcd_bytes: 0,
            largest_object: (0, String::new()),
            watch: Flow::default(),
            by_event_type: BTreeMap::new(),
            by_encoding: BTreeMap::new(),
            by_role: BTreeMap::new(),
            bookmarks: Flow::default(),
            relists: Flow::default(),
            rewatches: 0,
            node_ingress: NodeIngress::default(),
            propagation: LatencySummary::default(),
            stale_seconds: 0.0,
            duplicate_seconds: 0.0,
            event_sizes: Histogram::watch_event_sizes(),
            series: TimeSeries::default(),
            latency_ns: Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        mode_name(self.resource)
    }

    /// Every byte the apiserver sent to watchers: events + bookmarks + relists.
    pub fn bytes_out(&self) -> u64 {
        self.watch.bytes + self.bookmarks.bytes + self.relists.bytes
    }
}

/// Per-group totals.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupReport {
    pub group: WatchGroup,
    pub events: Flow,
    pub bookmarks: Flow,
    pub relists: Flow,
    /// Syncs of the slowest member (rate-limited clients).
    pub syncs: u64,
    pub stale_ns: u64,
    pub duplicate_ns: u64,
}

/// The result of a run's traffic model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficReport {
    /// `[endpointslices, endpoints]`.
    pub modes: Vec<ModeReport>,
    pub groups: Vec<GroupReport>,
    /// Stored writes whose object exceeded etcd's limit (the caller should have rejected them).
    pub stored_over_limit: u64,
}

struct GroupState {
    g: WatchGroup,
    client: Option<GroupClient>,
    rng: ChaCha8Rng,
    events: Flow,
    bookmarks: Flow,
    relists: Flow,
    /// Bookmark / re-watch credit (watcher·ns) not yet spent.
    bm_acc: u128,
    rw_acc: u128,
}

struct NodeTracker {
    /// Bytes received by a kube-proxy present since t = 0.
    cum: u64,
    /// Watch events (not bookmarks or LISTs) received by a kube-proxy present since t = 0.
    cum_events: u64,
    /// Per live node: (`cum` at join, its initial LIST bytes).
    offsets: Vec<(u64, u64)>,
    departed: Vec<u64>,
}

/// The watch layer: fan-out, costing, clients. See the module docs.
pub struct WatchHub {
    groups: Vec<GroupState>,
    /// Shared by every client group: diffs, Service ids (named once per write here), pod names.
    memo: Rc<RefCell<DiffMemo>>,
    /// Client groups a write reaches (reused per write).
    seen_by: Vec<usize>,
    modes: Vec<ModeReport>,
    nodes: Vec<NodeTracker>,
    propagation: Propagation,
    /// The stored objects (relist sizes) by [`relist_key`]; listed in key order.
    slices: Stored<EndpointSlice>,
    endpoints: Stored<Endpoints>,
    /// The key of the object being recorded (reused: no string per write).
    key_buf: String,
    /// Flips being handed to the propagation tracker (reused).
    flip_buf: Vec<(u64, crate::clients::Flip)>,
    restarts: Vec<(u64, Option<usize>)>,
    next_restart: usize,
    now: u64,
    /// Whole seconds already given their bookmarks.
    bookmark_sec: u64,
    bookmark_interval_ns: u64,
    watch_timeout_mean_ns: u64,
    etcd_limit: u64,
    kcm_encoding: Encoding,
    last_rv: u64,
    stored_over_limit: u64,
    node_count: u64,
    node_bm_acc: u128,
    node_rw_acc: u128,
    /// Request bytes of the last write seen (the run attributes them to the writing sync).
    last_request_bytes: u64,
}

impl WatchHub {
    /// A hub for `scenario` with `nodes` live nodes at t = 0 (kube-proxy count).
    pub fn new(scenario: &Scenario, nodes: u64) -> Self {
        // One diff per object version for every client group (see `clients::DiffMemo`).
        let memo = DiffMemo::with_min_elements(DiffMemo::HUB_MIN_ELEMENTS);
        let groups = derive_groups(scenario, nodes)
            .into_iter()
            .enumerate()
            .map(|(i, g)| {
                let view = match g.role {
                    Role::KubeProxy => Some(ViewKind::KubeProxy),
                    Role::CoreDns => Some(ViewKind::CoreDns),
                    Role::Custom => Some(ViewKind::Raw),
                    Role::ControllerManager => None,
                };
                GroupState {
                    client: view
                        .map(|v| GroupClient::with_memo(v, g.min_sync_period_ns, Rc::clone(&memo))),
                    // Own stream per group, derived from the seed and the group index.
                    rng: crate::sim::Streams::new(scenario.seed)
                        .derived_stream("watch-group", &i.to_string()),
                    g,
                    events: Flow::default(),
                    bookmarks: Flow::default(),
                    relists: Flow::default(),
                    bm_acc: 0,
                    rw_acc: 0,
                }
            })
            .collect();
        let restarts = scenario
            .events
            .iter()
            .filter_map(|e: &Event| match e.kind {
                EventKind::WatchRestart { watcher } => Some((e.at_ns, watcher)),
                _ => None,
            })
            .collect();
        let wt = scenario.apiserver.watch_timeout;
        WatchHub {
            groups,
            memo,
            seen_by: Vec::new(),
            modes: MODES.iter().map(|&r| ModeReport::new(r)).collect(),
            nodes: MODES
                .iter()
                .map(|_| NodeTracker {
                    cum: 0,
                    cum_events: 0,
                    offsets: vec![(0, 0); usize::try_from(nodes).unwrap_or(0)],
                    departed: Vec::new(),
                })
                .collect(),
            propagation: Propagation::default(),
            slices: Stored::default(),
            endpoints: Stored::default(),
            key_buf: String::new(),
            flip_buf: Vec::new(),
            restarts,
            next_restart: 0,
            now: 0,
            bookmark_sec: 0,
            bookmark_interval_ns: scenario.apiserver.bookmark_interval_ns,
            watch_timeout_mean_ns: wt.min_ns / 2 + wt.max_ns / 2,
            etcd_limit: scenario.apiserver.etcd_max_request_bytes,
            kcm_encoding: wire_encoding(scenario.apiserver.kcm_content_type),
            last_rv: 0,
            stored_over_limit: 0,
            node_count: nodes,
            node_bm_acc: 0,
            node_rw_acc: 0,
            last_request_bytes: 0,
        }
    }

    /// Totals of one mode so far (writes, events, bytes; per-node ingress and latency
    /// percentiles are only filled in by [`WatchHub::finish`]).
    pub fn live(&self, r: Resource) -> &ModeReport {
        &self.modes[mode_index(r)]
    }

    /// What one kube-proxy present since t = 0 has received so far in mode `r`: (watch
    /// events, bytes incl. bookmarks and relists). A node's own total is the difference
    /// between two readings plus its initial LIST.
    pub fn node_stream(&self, r: Resource) -> (u64, u64) {
        let t = &self.nodes[mode_index(r)];
        (t.cum_events, t.cum)
    }

    /// API request bytes of the most recent write passed to [`WriteObserver::on_write`]
    /// (0 for a delete).
    pub fn last_request_bytes(&self) -> u64 {
        self.last_request_bytes
    }

    /// The groups (for display).
    pub fn groups(&self) -> impl Iterator<Item = &WatchGroup> {
        self.groups.iter().map(|g| &g.g)
    }

    /// Move the clock: process due `watch_restart` events, bookmarks and client syncs.
    pub fn advance_to(&mut self, t: u64) {
        if t < self.now {
            return;
        }
        while let Some(&(at, w)) = self.restarts.get(self.next_restart) {
            if at > t {
                break;
            }
            self.next_restart += 1;
            self.advance_bookmarks(at);
            self.relist(at, w);
        }
        self.advance_bookmarks(t);
        self.advance_clients(t);
        self.now = t;
    }

    /// Apply client changes due by `t` one apply time at a time, across groups, so each
    /// readiness flip is judged against every group's view as of that moment; then move every
    /// client's clock to `t`.
    fn advance_clients(&mut self, t: u64) {
        self.step_clients(t);
        for g in &mut self.groups {
            if let Some(c) = &mut g.client {
                c.advance(t);
            }
        }
        self.drain_flips();
    }

    /// The stepping part of [`Self::advance_clients`]: only groups with a change due at a
    /// step are advanced (to that step), so no client's clock passes its own last apply.
    fn step_clients(&mut self, t: u64) {
        loop {
            let next = self
                .groups
                .iter()
                .filter_map(|g| g.client.as_ref()?.next_apply())
                .filter(|&a| a <= t)
                .min();
            let Some(a) = next else {
                break;
            };
            for g in &mut self.groups {
                if let Some(c) = g.client.as_mut().filter(|c| c.next_apply() == Some(a)) {
                    c.advance(a);
                }
            }
            self.drain_flips();
        }
    }

    /// Hand the clients' readiness flips to the propagation tracker.
    fn drain_flips(&mut self) {
        for gi in 0..self.groups.len() {
            let m = mode_index(self.groups[gi].g.resource);
            let Some(c) = &mut self.groups[gi].client else {
                continue;
            };
            let mut flips = std::mem::take(&mut self.flip_buf);
            c.drain_flips_into(&mut flips);
            let probe = Probe(&self.groups);
            for (at, f) in flips.drain(..) {
                self.propagation
                    .view_flipped(m, at, &f.service, &f.pod, &probe);
            }
            self.flip_buf = flips;
        }
    }

    /// A pod changed at `now` (the world's change stream): a propagation sample may start.
    pub fn pod_changed(&mut self, now: u64, change: &crate::cluster::ObjChange<'_, Pod>) {
        use crate::cluster::ObjChange;
        self.advance_to(now.max(self.now));
        let (old, new) = match change {
            ObjChange::Added(p) => (None, Some(*p)),
            ObjChange::Updated { old, new } => (Some(*old), Some(*new)),
            ObjChange::Deleted(p) => (Some(*p), None),
        };
        let p = change.latest();
        let probe = Probe(&self.groups);
        let c = PodChange {
            namespace: &p.namespace,
            name: &p.name,
            labels: p.labels(),
            old: old.map(PodState::of),
            new: new.map(PodState::of),
        };
        self.propagation.pod_changed(now, &c, &probe);
    }

    /// A Service changed: the propagation tracker follows which pods it selects.
    pub fn service_changed(&mut self, change: &crate::cluster::ObjChange<'_, ServiceObj>) {
        use crate::cluster::ObjChange;
        let s = &change.latest().spec;
        match change {
            ObjChange::Deleted(_) => self.propagation.services.remove(&s.namespace, &s.name),
            _ => {
                let selector = s
                    .selector
                    .as_ref()
                    .filter(|_| s.service_type != model::ServiceType::ExternalName);
                let key = self
                    .memo
                    .borrow_mut()
                    .services
                    .intern_parts(&s.namespace, &s.name);
                self.propagation.services.upsert(
                    &key,
                    &s.namespace,
                    &s.name,
                    selector,
                    s.publish_not_ready_addresses,
                );
            }
        }
    }

    /// Bookmarks (and watch-timeout re-watches) of every whole second before `t`, spread
    /// evenly: each second a group of n members earns n·1 s of credit; one bookmark per
    /// `bookmark_interval` of credit, one re-watch (and its pre-timeout bookmark) per mean
    /// watch timeout of credit. Per node, one member's share.
    fn advance_bookmarks(&mut self, t: u64) {
        let sec_end = t / NS_PER_SEC;
        while self.bookmark_sec < sec_end {
            self.bookmark_sec += 1;
            let at = self.bookmark_sec * NS_PER_SEC - 1;
            let (bi, wt) = (
                u128::from(self.bookmark_interval_ns),
                u128::from(self.watch_timeout_mean_ns),
            );
            // One member's share this second (same for every per-node member).
            let one = u128::from(NS_PER_SEC);
            let node_bm =
                spend(&mut self.node_bm_acc, one, bi) + spend(&mut self.node_rw_acc, one, wt);
            for gi in 0..self.groups.len() {
                let g = &mut self.groups[gi];
                let credit = u128::from(g.g.count) * u128::from(NS_PER_SEC);
                let new_bm = spend(&mut g.bm_acc, credit, bi);
                let new_rw = spend(&mut g.rw_acc, credit, wt);
                if new_bm == 0 && new_rw == 0 {
                    continue;
                }
                let (r, enc, per_node) = (g.g.resource, g.g.encoding, g.g.per_node);
                let size = self.bookmark_size(r, enc) as u64;
                let m = mode_index(r);
                let total = new_bm + new_rw;
                let g = &mut self.groups[gi];
                g.bookmarks.add(total, size);
                let mode = &mut self.modes[m];
                mode.bookmarks.add(total, size);
                mode.rewatches += new_rw;
                let b = mode.series.at(at);
                b.bytes_out += total * size;
                if per_node && g.g.count > 0 {
                    b.bytes_per_node += node_bm * size;
                    self.nodes[m].cum += node_bm * size;
                }
            }
        }
    }

    fn bookmark_size(&self, r: Resource, enc: Encoding) -> usize {
        let meta = ObjectMeta {
            resource_version: Some(self.last_rv.max(1).to_string()),
            ..Default::default()
        };
        let r = match r {
            Resource::EndpointSlices => wire::watch_event_size(
                enc,
                EventType::Bookmark,
                &EndpointSlice {
                    metadata: meta,
                    ..Default::default()
                },
            ),
            Resource::Endpoints => wire::watch_event_size(
                enc,
                EventType::Bookmark,
                &Endpoints {
                    metadata: meta,
                    ..Default::default()
                },
            ),
        };
        r.unwrap_or(0)
    }

    /// Bytes of one LIST of `r` with `sel` in `enc`.
    pub fn list_size(&self, r: Resource, sel: &LabelSelector, enc: Encoding) -> u64 {
        let lm = ListMeta {
            resource_version: Some(self.last_rv.max(1).to_string()),
            ..Default::default()
        };
        let res = match r {
            Resource::EndpointSlices => {
                let items: Vec<KubeObject> = listed(&self.slices)
                    .filter(|s| matches(sel, ObjectRef::EndpointSlice(s)))
                    .map(|s| KubeObject::EndpointSlice((**s).clone()))
                    .collect();
                wire::list::list_sizes("EndpointSlice", "discovery.k8s.io/v1", &lm, &items)
            }
            Resource::Endpoints => {
                let items: Vec<KubeObject> = listed(&self.endpoints)
                    .filter(|s| matches(sel, ObjectRef::Endpoints(s)))
                    .map(|s| KubeObject::Endpoints((**s).clone()))
                    .collect();
                wire::list::list_sizes("Endpoints", "v1", &lm, &items)
            }
        };
        match res {
            Ok((j, p)) => match enc {
                Encoding::Json => j as u64,
                Encoding::Protobuf => p as u64,
            },
            Err(_) => 0,
        }
    }

    /// A `watch_restart` at `at`: every member of the targeted groups relists.
    fn relist(&mut self, at: u64, watcher: Option<usize>) {
        for gi in 0..self.groups.len() {
            let g = &self.groups[gi].g;
            let hit = match watcher {
                None => g.role != Role::ControllerManager,
                Some(w) => g.watchers.contains(&w),
            };
            if !hit || g.count == 0 {
                continue;
            }
            let size = self.list_size(g.resource, &g.selector, g.encoding);
            let (n, m, per_node) = (g.count, mode_index(g.resource), g.per_node);
            self.groups[gi].relists.add(n, size);
            let mode = &mut self.modes[m];
            mode.relists.add(n, size);
            let b = mode.series.at(at);
            b.bytes_out += n * size;
            if per_node {
                b.bytes_per_node += size;
                self.nodes[m].cum += size;
            }
        }
    }

    /// The live node count changed at `t` (kube-proxy DaemonSet follows it). Joining nodes'
    /// kube-proxies LIST; leaving ones stop receiving (the newest nodes leave first).
    pub fn set_node_count(&mut self, t: u64, nodes: u64) {
        self.advance_to(t.max(self.now));
        let old = self.node_count;
        self.node_count = nodes;
        // Initial LIST bytes of one joining node, per mode (all its per-node watchers).
        let mut join_list = [0u64; 2];
        for gi in 0..self.groups.len() {
            if !self.groups[gi].g.per_node {
                continue;
            }
            self.groups[gi].g.count = nodes;
            if nodes > old {
                let g = &self.groups[gi].g;
                let size = self.list_size(g.resource, &g.selector, g.encoding);
                let m = mode_index(g.resource);
                let n = nodes - old;
                self.groups[gi].relists.add(n, size);
                self.modes[m].relists.add(n, size);
                self.modes[m].series.at(t).bytes_out += n * size;
                join_list[m] += size;
            }
        }
        if nodes > old {
            for (m, tr) in self.nodes.iter_mut().enumerate() {
                let at = (tr.cum, join_list[m]);
                tr.offsets.extend((old..nodes).map(|_| at));
            }
        }
        if nodes < old {
            for tr in &mut self.nodes {
                for _ in nodes..old {
                    if let Some((at, list)) = tr.offsets.pop() {
                        tr.departed.push(tr.cum - at + list);
                    }
                }
            }
        }
    }

    fn record(&mut self, rec: &WriteRecord<'_>) {
        let Some(obj) = rec.new.or(rec.old) else {
            return;
        };
        let resource = obj.resource();
        let m = mode_index(resource);
        // A refused body given as a shell comes with its sizes.
        let sent = match &rec.outcome {
            WriteOutcome::Rejected { sizes, .. } => *sizes,
            WriteOutcome::Stored { .. } => None,
        };
        // Protobuf size of the new object, computed once for the request, etcd and every
        // protobuf watcher.
        let new_pb = match (rec.new, sent) {
            (Some(_), Some(sz)) if rec.verb != Verb::Delete => Some(sz.protobuf as u64),
            (Some(o), _) if rec.verb != Verb::Delete => Some(
                rec.new_protobuf
                    .unwrap_or_else(|| protobuf_size(o).unwrap_or(0)) as u64,
            ),
            _ => None,
        };
        let request = match (rec.verb, rec.new) {
            (Verb::Delete, _) | (_, None) => 0,
            (_, Some(o)) => match self.kcm_encoding {
                Encoding::Protobuf => new_pb.unwrap_or(0),
                Encoding::Json => sent.map_or_else(|| json_size(o), |sz| sz.json) as u64,
            },
        };
        self.last_request_bytes = request;
        let rv = match &rec.outcome {
            WriteOutcome::Rejected { reason, .. } => {
                let mode = &mut self.modes[m];
                mode.writes_rejected += 1;
                if reason.contains("too large") {
                    mode.rejected_oversize += 1;
                }
                mode.request_bytes += request;
                return;
            }
            WriteOutcome::Stored { resource_version } => *resource_version,
        };
        self.last_rv = self.last_rv.max(rv);
        let t = rec.time_ns;
        {
            let mode = &mut self.modes[m];
            mode.writes_stored += 1;
            let verb = match rec.verb {
                Verb::Create => "create",
                Verb::Update => "update",
                Verb::Delete => "delete",
            };
            *mode.writes_by_verb.entry(verb).or_default() += 1;
            mode.request_bytes += request;
            if let (Some(pb), Some(o)) = (new_pb, rec.new) {
                mode.etcd_bytes += pb;
                if pb > mode.largest_object.0 {
                    let md = meta(o);
                    mode.largest_object = (
                        pb,
                        format!(
                            "{}/{}",
                            md.namespace.as_deref().unwrap_or(""),
                            md.name.as_deref().unwrap_or("")
                        ),
                    );
                }
                if pb > self.etcd_limit {
                    self.stored_over_limit += 1;
                }
            }
        }
        // The DELETED object: the old content with the event's resourceVersion (made when some
        // group gets a DELETED event).
        let mut deleted_owned: Option<Option<Deleted>> = None;
        // size cache [encoding][event type]
        let mut cache: [[Option<u64>; 3]; 2] = [[None; 3]; 2];
        let mut base: [[Option<usize>; 2]; 2] = [[None; 2]; 2]; // [new/old][json/pb]
                                                                // Client groups the new object reaches (propagation: who must apply it).
        let mut seen_by = std::mem::take(&mut self.seen_by);
        seen_by.clear();
        // The written object itself when the writer shares it (copied once otherwise).
        let change_new = rec.new_owned().map(change_of);
        // The removed object, at most once per write (only if some client needs it).
        let mut change_old: Option<Change> = None;
        // The Service of each, as clients key it: named once here for every client (and the
        // propagation tracker), never looked up by string per client.
        let svc_new = rec
            .new
            .and_then(|o| client_service_key(&mut self.memo.borrow_mut().services, o));
        let mut svc_old: Option<Option<ServiceKey>> = None;
        // This second's traffic from the write, added to its bucket once after the groups.
        let (mut sec_events, mut sec_bytes, mut sec_per_node) = (0u64, 0u64, 0u64);
        for gi in 0..self.groups.len() {
            if self.groups[gi].g.resource != resource {
                continue;
            }
            let g = &self.groups[gi].g;
            let old_m = rec.old.is_some_and(|o| matches(&g.selector, o));
            let new_m = rec.new.is_some_and(|o| matches(&g.selector, o));
            if new_m && rec.verb != Verb::Delete && self.groups[gi].client.is_some() {
                seen_by.push(gi);
            }
            let g = &self.groups[gi].g;
            let (et, ti) = match (old_m, new_m) {
                (false, true) => (EventType::Added, 0),
                (true, true) => (EventType::Modified, 1),
                (true, false) => (EventType::Deleted, 2),
                (false, false) => continue,
            };
            let ei = match g.encoding {
                Encoding::Json => 0,
                Encoding::Protobuf => 1,
            };
            let size = match cache[ei][ti] {
                Some(s) => s,
                None => {
                    let (src, which) = if ti == 2 {
                        let d = deleted_owned
                            .get_or_insert_with(|| rec.old.map(|o| Deleted::new(o, rv)));
                        (d.as_ref().map(Deleted::as_ref), 1)
                    } else {
                        (rec.new, 0)
                    };
                    let obj_len = match base[which][ei] {
                        Some(l) => l,
                        None => {
                            let l = match (src, g.encoding) {
                                (None, _) => 0,
                                (Some(o), Encoding::Json) => json_size(o),
                                (Some(o), Encoding::Protobuf) => match (which, new_pb) {
                                    (0, Some(pb)) => pb as usize,
                                    _ => protobuf_size(o).unwrap_or(0),
                                },
                            };
                            base[which][ei] = Some(l);
                            l
                        }
                    };
                    let s = match g.encoding {
                        Encoding::Json => wire::json_watch_event_len(et, obj_len),
                        Encoding::Protobuf => wire::protobuf_watch_event_len(et, obj_len),
                    } as u64;
                    cache[ei][ti] = Some(s);
                    s
                }
            };
            let (n, role, enc, per_node) = (g.count, g.role, g.encoding, g.per_node);
            let latency = g.delivery_latency;
            let gs = &mut self.groups[gi];
            gs.events.add(n, size);
            // Client: one cache per group, timing of its slowest member.
            if let Some(c) = &mut gs.client {
                let delay = max_of_uniform(&mut gs.rng, &latency, n);
                let (change, svc) = if ti == 2 {
                    if change_old.is_none() {
                        change_old = rec.old_owned().map(|o| change_of(o).removed());
                    }
                    let memo = &self.memo;
                    let svc = svc_old.get_or_insert_with(|| {
                        rec.old
                            .and_then(|o| client_service_key(&mut memo.borrow_mut().services, o))
                    });
                    (change_old.clone(), svc.clone())
                } else {
                    (change_new.clone(), svc_new.clone())
                };
                match (change, svc) {
                    (Some(ch), Some(svc)) => {
                        c.schedule_for(t, delay, svc, ch);
                    }
                    // No Service (a slice without the label): the client ignores it.
                    (Some(ch), None) => {
                        c.schedule(t, delay, ch);
                    }
                    (None, _) => {}
                }
            }
            let mode = &mut self.modes[m];
            mode.watch.add(n, size);
            mode.by_event_type
                .entry(et.as_str())
                .or_default()
                .add(n, size);
            mode.by_encoding
                .entry(encoding_name(enc))
                .or_default()
                .add(n, size);
            mode.by_role.entry(role.as_str()).or_default().add(n, size);
            mode.event_sizes.observe_n(size as f64, n);
            sec_events += n;
            sec_bytes += n * size;
            if per_node && n > 0 {
                sec_per_node += size;
                self.nodes[m].cum += size;
                self.nodes[m].cum_events += 1;
            }
        }
        let b = self.modes[m].series.at(t);
        b.writes += 1;
        b.watch_events += sec_events;
        b.bytes_out += sec_bytes;
        b.bytes_per_node += sec_per_node;
        if let (Verb::Create | Verb::Update, Some(svc)) = (rec.verb, &svc_new) {
            self.propagation.object_written(m, svc, &seen_by);
        }
        self.seen_by = seen_by;
        // Keep the stored state for relists.
        match (rec.verb, rec.new, rec.old) {
            (Verb::Delete, _, Some(o)) | (_, None, Some(o)) => {
                let k = relist_key(&mut self.key_buf, o);
                match o {
                    ObjectRef::EndpointSlice(_) => {
                        self.slices.remove(k);
                    }
                    ObjectRef::Endpoints(_) => {
                        self.endpoints.remove(k);
                    }
                }
            }
            (_, Some(o), _) => {
                let k = relist_key(&mut self.key_buf, o);
                match change_new {
                    Some(Change::Slice(s, _)) => put_stored(&mut self.slices, k, s),
                    Some(Change::Endpoints(e, _)) => put_stored(&mut self.endpoints, k, e),
                    None => {}
                }
            }
            _ => {}
        }
    }

    /// Close the run at `end_ns` and produce the report.
    pub fn finish(mut self, end_ns: u64) -> TrafficReport {
        self.advance_to(end_ns);
        // Changes written before the end are applied (and may resolve) after it, as before.
        self.step_clients(u64::MAX);
        self.propagation.finish();
        let mut groups = Vec::new();
        let mut stale = [0u64; 2];
        let mut dup = [0u64; 2];
        for gs in &mut self.groups {
            let m = mode_index(gs.g.resource);
            let (syncs, s, d) = match &mut gs.client {
                Some(c) => {
                    c.finish(end_ns);
                    (c.syncs, c.stale_ns, c.duplicate_ns)
                }
                None => (0, 0, 0),
            };
            stale[m] += s;
            dup[m] += d;
            groups.push(GroupReport {
                group: gs.g.clone(),
                events: gs.events,
                bookmarks: gs.bookmarks,
                relists: gs.relists,
                syncs,
                stale_ns: s,
                duplicate_ns: d,
            });
        }
        for (m, mode) in self.modes.iter_mut().enumerate() {
            let tr = &self.nodes[m];
            let mut per: Vec<u64> = tr
                .offsets
                .iter()
                .map(|&(at, list)| tr.cum - at + list)
                .chain(tr.departed.iter().copied())
                .collect();
            per.sort_unstable();
            if !per.is_empty() {
                let sum: u128 = per.iter().map(|&v| u128::from(v)).sum();
                mode.node_ingress = NodeIngress {
                    nodes: per.len() as u64,
                    mean: sum as f64 / per.len() as f64,
                    p99: crate::metrics::percentile_sorted(&per, 99.0).unwrap_or(0),
                    max: per.last().copied().unwrap_or(0),
                };
            }
            let pm = &mut self.propagation.modes[m];
            let l = &mut pm.samples;
            mode.propagation = LatencySummary {
                samples: l.len() as u64,
                p50: l.percentile(50.0).unwrap_or(0),
                p90: l.percentile(90.0).unwrap_or(0),
                p99: l.percentile(99.0).unwrap_or(0),
                max: l.max().unwrap_or(0),
                superseded: pm.superseded,
                unresolved: pm.unresolved,
            };
            mode.latency_ns = l.sorted_values().to_vec();
            mode.stale_seconds = stale[m] as f64 / NS_PER_SEC as f64;
            mode.duplicate_seconds = dup[m] as f64 / NS_PER_SEC as f64;
        }
        TrafficReport {
            modes: self.modes,
            groups,
            stored_over_limit: self.stored_over_limit,
        }
    }

    /// The merged view of the client group `index` (into [`WatchHub::groups`]), after applying
    /// everything due by now. None for the controller manager.
    pub fn client_view(&self, index: usize) -> Option<crate::clients::View> {
        self.groups
            .get(index)?
            .client
            .as_ref()
            .map(|c| c.cache.view())
    }

    /// Apply every scheduled client change (quiescence) without closing the run.
    pub fn settle(&mut self) {
        self.advance_clients(u64::MAX);
    }
}

/// The clients' views, for the propagation tracker.
struct Probe<'a>(&'a [GroupState]);

impl ViewProbe for Probe<'_> {
    fn pod_ready(&self, group: usize, service: &ServiceKey, pod: &str) -> bool {
        self.0
            .get(group)
            .and_then(|g| g.client.as_ref())
            .is_some_and(|c| c.cache.pod_ready_at(service.index(), pod))
    }
}

/// Add `credit` to `acc` and take out whole `unit`s (none when `unit` is 0).
fn spend(acc: &mut u128, credit: u128, unit: u128) -> u64 {
    *acc += credit;
    match acc.checked_div(unit) {
        Some(n) => {
            *acc %= unit;
            u64::try_from(n).unwrap_or(u64::MAX)
        }
        None => {
            *acc = 0;
            0
        }
    }
}

/// Stored objects by [`relist_key`] (hashed: one lookup per write; sorted when listed).
type Stored<T> = std::collections::HashMap<Box<str>, Rc<T>, crate::sim::lookup_hash::ByWord>;

/// `"namespace\0name"` of an object, written into `buf`: ordered as the `(namespace, name)`
/// pair is (NUL sorts before every other character).
fn relist_key<'b>(buf: &'b mut String, o: ObjectRef<'_>) -> &'b str {
    let m = meta(o);
    buf.clear();
    buf.push_str(m.namespace.as_deref().unwrap_or_default());
    buf.push('\0');
    buf.push_str(m.name.as_deref().unwrap_or_default());
    buf
}

/// Store `v` under `key` (a new key is copied once; a replacement copies nothing).
fn put_stored<T>(m: &mut Stored<T>, key: &str, v: Rc<T>) {
    match m.get_mut(key) {
        Some(slot) => *slot = v,
        None => {
            m.insert(key.into(), v);
        }
    }
}

/// The stored objects in key order (a LIST's order).
fn listed<T>(m: &Stored<T>) -> impl Iterator<Item = &Rc<T>> {
    let mut v: Vec<(&str, &Rc<T>)> = m.iter().map(|(k, o)| (&**k, o)).collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v.into_iter().map(|(_, o)| o)
}

fn change_of(o: SharedObject) -> Change {
    match o {
        SharedObject::EndpointSlice(s) => Change::Slice(s, false),
        SharedObject::Endpoints(e) => Change::Endpoints(e, false),
    }
}

trait Removed {
    fn removed(self) -> Self;
}

impl Removed for Change {
    fn removed(self) -> Self {
        match self {
            Change::Slice(s, _) => Change::Slice(s, true),
            Change::Endpoints(e, _) => Change::Endpoints(e, true),
        }
    }
}

/// The object a DELETED event carries: the old object, re-stamped with the event's
/// resourceVersion only when that changes its size (a different number of digits).
enum Deleted<'a> {
    Borrowed(ObjectRef<'a>),
    Slice(EndpointSlice),
    Endpoints(Endpoints),
}

impl<'a> Deleted<'a> {
    fn new(o: ObjectRef<'a>, rv: u64) -> Self {
        let rv = rv.to_string();
        let cur = meta(o).resource_version.as_deref().unwrap_or("");
        if cur.len() == rv.len() {
            return Deleted::Borrowed(o);
        }
        match o {
            ObjectRef::EndpointSlice(s) => {
                let mut c = s.clone();
                c.metadata.resource_version = Some(rv);
                Deleted::Slice(c)
            }
            ObjectRef::Endpoints(e) => {
                let mut c = e.clone();
                c.metadata.resource_version = Some(rv);
                Deleted::Endpoints(c)
            }
        }
    }
    fn as_ref(&self) -> ObjectRef<'_> {
        match self {
            Deleted::Borrowed(o) => *o,
            Deleted::Slice(s) => ObjectRef::EndpointSlice(s),
            Deleted::Endpoints(e) => ObjectRef::Endpoints(e),
        }
    }
}

impl WriteObserver for WatchHub {
    fn on_write(&mut self, record: &WriteRecord<'_>) {
        self.advance_to(record.time_ns.max(self.now));
        self.record(record);
    }
}

/// The report files are written from a [`TrafficReport`] by [`crate::report`].
impl TrafficReport {
    pub fn mode(&self, r: Resource) -> &ModeReport {
        &self.modes[mode_index(r)]
    }
}

#[cfg(test)]
mod tests;
