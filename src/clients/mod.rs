//! Watch clients: kube-proxy, CoreDNS and custom watchers with their caches (kube-proxy
//! EndpointSliceCache merge/dedupe), rate-limited syncs and propagation latency.
//!
//! Scale model: a group of identical clients (same resource, selector, encoding, latency
//! distribution, sync period) is ONE [`ClientCache`] plus the latency distribution, not one cache
//! per node. Every member receives the same events in the same order; only their delivery delays
//! differ. The group's timing follows its *slowest* member ([`GroupClient`]): each event's delay
//! is the maximum of `count` independent draws from the distribution (sampled in O(1) by inverse
//! transform, [`max_of_uniform`]), and the watch stream keeps events in order, so the slowest
//! member receives event *i* at `max(recv[i-1], write_time[i] + delay[i])`. That is the moment
//! the LAST client can have the change, which is what propagation latency measures.

pub mod ids;
pub mod propagation;

pub use ids::{PodNames, ServiceIds, ServiceKey};

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use rand::Rng;

use crate::k8s::{Endpoint, EndpointSlice, Endpoints, SharedValue};
use crate::scenario::model::DurationDist;

/// `kubernetes.io/service-name`: the Service a slice belongs to (kube-proxy and CoreDNS key
/// their caches by it; pkg/proxy/endpointslicecache.go :: newEndpointSliceTracker callers).
pub use crate::k8s::labels::LABEL_SERVICE_NAME;

/// How a client interprets the objects it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKind {
    /// kube-proxy: EndpointSliceCache merge (pkg/proxy/endpointslicecache.go addEndpoints) / the
    /// pre-1.22 Endpoints change tracker (ready `addresses` only).
    KubeProxy,
    /// CoreDNS: ready endpoints only (coredns :: plugin/kubernetes/object/endpoint.go ::
    /// EndpointSliceToEndpoints keeps `ready == nil || ready == true`).
    CoreDns,
    /// Any other client: every endpoint with its conditions, kube-proxy-style keys.
    Raw,
}

/// Conditions of one endpoint as a client sees them (nil conditions resolved: ready nil ⇒ true,
/// serving nil ⇒ ready, terminating nil ⇒ false; discovery/v1 field docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpState {
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// Per service port name: `"ip:port"` → state.
pub type ServiceView = BTreeMap<String, BTreeMap<String, EpState>>;
/// `"namespace/service"` → its ports.
pub type View = BTreeMap<String, ServiceView>;

/// One endpoint of a source object as a client reads it: port name, address, port number,
/// state and the pod its `targetRef` names — borrowed from the object (see
/// [`ClientCache::entries_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry<'a> {
    name: &'a str,
    addr: &'a str,
    port: i32,
    st: EpState,
    pod: Option<&'a str>,
}

impl Entry<'_> {
    fn owned(self) -> OwnedEntry {
        OwnedEntry {
            name: self.name.to_string(),
            addr: self.addr.to_string(),
            port: self.port,
            st: self.st,
            pod: self.pod.map(str::to_string),
        }
    }
}

/// An [`Entry`] that outlives its object (kept in a [`DiffMemo`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct OwnedEntry {
    name: String,
    addr: String,
    port: i32,
    st: EpState,
    pod: Option<String>,
}

impl OwnedEntry {
    fn as_entry(&self) -> Entry<'_> {
        Entry {
            name: &self.name,
            addr: &self.addr,
            port: self.port,
            st: self.st,
            pod: self.pod.as_deref(),
        }
    }
}

/// A source object as a client last applied it: the watch event's object itself, shared with
/// storage and the other clients (nothing is copied into the cache; its entries are read from
/// it when needed).
#[derive(Debug, Clone)]
enum Source {
    Slice(Rc<EndpointSlice>),
    Endpoints(Rc<Endpoints>),
}

/// What a cache keeps per Service. Small sorted vectors, not maps: at the scale envelope every
/// one of 4 caches holds 10,000 Services of one slice, one port and 15 pods, where a map's
/// first node (sized for 11 entries) cost more than its contents.
#[derive(Debug, Clone)]
struct ServiceEntry {
    /// The Service (its id is the entry's index; shared with the flips).
    key: ServiceKey,
    /// The objects applied, by their names (slice name, or the Endpoints name: read from the
    /// object, not copied).
    sources: Vec<Source>,
    /// Port name → `ip:port` (as a compact [`RefKey`]) → number of entries carrying it over
    /// every source (for duplicate tracking), by port name.
    refs: Vec<(Box<str>, PortRefs)>,
    /// Keys with refs > 1.
    dups: usize,
    /// Pod name (`targetRef`) → ready entries naming it, over every source and port. Kept per
    /// apply so "is pod X ready in this view" is one lookup (propagation latency,
    /// [`propagation`]), never a scan of the Service's endpoints.
    pod_ready: Counts<Arc<str>>,
}

/// `svc`'s entry in `services` (indexed by Service id), made when absent.
fn entry_in<'m>(
    services: &'m mut Vec<Option<ServiceEntry>>,
    svc: &ServiceKey,
) -> &'m mut ServiceEntry {
    let i = svc.index();
    if services.len() <= i {
        services.resize_with(i + 1, || None);
    }
    services[i].get_or_insert_with(|| ServiceEntry {
        key: svc.clone(),
        sources: Vec::new(),
        refs: Vec::new(),
        dups: 0,
        pod_ready: Counts::default(),
    })
}

/// The position of the source named `name` in `sources` (sorted by name; `Err`: where it
/// would go).
fn find_source(sources: &[Source], name: &str) -> Result<usize, usize> {
    sources.binary_search_by(|s| s.name().cmp(name))
}

/// The position of `key` in a vector sorted by its first field (`Err`: where it would go).
fn find_sorted<K: std::borrow::Borrow<Q>, V, Q: Ord + ?Sized>(
    v: &[(K, V)],
    key: &Q,
) -> Result<usize, usize> {
    v.binary_search_by(|(k, _)| k.borrow().cmp(key))
}

/// Positive counts per key: a sorted vector up to [`Counts::SMALL`] keys (most Services: a
/// few dozen pods, 8 to 24 bytes an entry, no node allocations), a `BTreeMap` beyond (a
/// 20,000-endpoint Service, where inserting into a sorted vector would move too much).
/// Same contents and order either way (unit test `counts_equal_a_map`).
#[derive(Debug, Clone)]
enum Counts<K> {
    Small(Vec<(K, u32)>),
    Large(BTreeMap<K, u32>),
}

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts::Small(Vec::new())
    }
}

impl<K: Ord> Counts<K> {
    /// Keys held in the vector form at most; back from the map at a quarter of it.
    const SMALL: usize = 64;

    /// The key as stored and its count.
    fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<(&K, u32)>
    where
        K: std::borrow::Borrow<Q>,
    {
        match self {
            Counts::Small(v) => find_sorted(v, key).ok().map(|i| (&v[i].0, v[i].1)),
            Counts::Large(m) => m.get_key_value(key).map(|(k, &n)| (k, n)),
        }
    }

    /// Set the count of `key` (0 removes it); `make` gives the key to store when absent.
    fn set<Q: Ord + ?Sized>(&mut self, key: &Q, make: impl FnOnce() -> K, n: u32)
    where
        K: std::borrow::Borrow<Q>,
    {
        if n == 0 {
            self.remove(key);
            return;
        }
        match self {
            Counts::Small(v) => match find_sorted(v, key) {
                Ok(i) => v[i].1 = n,
                Err(i) => {
                    v.insert(i, (make(), n));
                    if v.len() > Self::SMALL {
                        *self = Counts::Large(std::mem::take(v).into_iter().collect());
                    }
                }
            },
            Counts::Large(m) => match m.get_mut(key) {
                Some(c) => *c = n,
                None => {
                    m.insert(make(), n);
                }
            },
        }
    }

    /// Drop `key`.
    fn remove<Q: Ord + ?Sized>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
    {
        match self {
            Counts::Small(v) => {
                if let Ok(i) = find_sorted(v, key) {
                    v.remove(i);
                }
            }
            Counts::Large(m) => {
                m.remove(key);
                if m.len() <= Self::SMALL / 4 {
                    *self = Counts::Small(std::mem::take(m).into_iter().collect());
                }
            }
        }
    }

    /// Make room in the vector form, when full, for `more` keys at once (at least the usual
    /// doubling): a Service's keys usually arrive one apply at a time up to a size the caller
    /// can tell, and growing 4 → 8 → 16 reallocated every cache's vectors of every Service
    /// (a tenth of the envelope's client-cache time). Capacity only: contents unchanged.
    fn room_for(&mut self, more: usize) {
        if let Counts::Small(v) = self {
            if v.len() == v.capacity() && more > 0 {
                let want = (v.len() + more).min(Self::SMALL + 1);
                v.reserve(want.saturating_sub(v.len()).max(1));
            }
        }
    }

    /// One more for `key`; its count after.
    #[cfg(test)]
    fn add(&mut self, key: K) -> u32 {
        self.add_hinted(key, 1)
    }

    /// [`Self::add`], with room made for `more` keys (this one included) if it grows.
    fn add_hinted(&mut self, key: K, more: usize) -> u32 {
        match self {
            Counts::Small(v) => match find_sorted(v, &key) {
                Ok(i) => {
                    v[i].1 += 1;
                    v[i].1
                }
                Err(i) => {
                    if v.len() == v.capacity() {
                        let want = (v.len() + more).min(Self::SMALL + 1);
                        v.reserve(want.saturating_sub(v.len()).max(1));
                    }
                    v.insert(i, (key, 1));
                    if v.len() > Self::SMALL {
                        *self = Counts::Large(std::mem::take(v).into_iter().collect());
                    }
                    1
                }
            },
            Counts::Large(m) => {
                let c = m.entry(key).or_insert(0);
                *c += 1;
                *c
            }
        }
    }

    /// One less for `key` (dropped at 0); its count after, None if absent.
    fn sub<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<u32>
    where
        K: std::borrow::Borrow<Q>,
    {
        let n = self.get(key)?.1 - 1;
        if n == 0 {
            self.remove(key);
            return Some(0);
        }
        match self {
            Counts::Small(v) => {
                if let Ok(i) = find_sorted(v, key) {
                    v[i].1 = n;
                }
            }
            Counts::Large(m) => {
                if let Some(c) = m.get_mut(key) {
                    *c = n;
                }
            }
        }
        Some(n)
    }

    fn is_empty(&self) -> bool {
        match self {
            Counts::Small(v) => v.is_empty(),
            Counts::Large(m) => m.is_empty(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Counts::Small(v) => v.len(),
            Counts::Large(m) => m.len(),
        }
    }
}

/// A pod whose readiness in a client's view changed on one apply: the Service, pod name, ready
/// now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    pub service: ServiceKey,
    pub pod: Arc<str>,
    pub ready: bool,
}

/// A client's cache of the endpoints of every Service it watches.
#[derive(Debug, Clone)]
pub struct ClientCache {
    pub kind: ViewKind,
    /// Per Service id (of the memo's [`ServiceIds`]): its entry, if the view holds it.
    services: Vec<Option<ServiceEntry>>,
    dups: usize,
    /// Readiness flips of the applies since the last [`ClientCache::take_flips`].
    flips: Vec<Flip>,
    /// Diffs, Service ids and pod names shared with the other clients of the run (see
    /// [`DiffMemo`]).
    memo: Rc<RefCell<DiffMemo>>,
    /// The memo's pod names.
    pods: Rc<RefCell<PodNames>>,
    /// The `"namespace/service"` of the change being applied (reused: no string per apply).
    key_buf: String,
    /// [`ClientCache::apply_diff`]'s per-pod deltas (reused: no vector per apply).
    delta_buf: Vec<(u32, i64)>,
}

/// `"namespace/service"` of a slice written into `buf` (cleared first); false without the
/// service-name label (clients ignore such slices).
fn slice_service_key_into(buf: &mut String, s: &EndpointSlice) -> bool {
    let ns = s.metadata.namespace.as_deref().unwrap_or_default();
    let Some(svc) = s
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_SERVICE_NAME))
    else {
        return false;
    };
    buf.clear();
    buf.push_str(ns);
    buf.push('/');
    buf.push_str(svc);
    true
}

/// The pod an endpoint's `targetRef` names (None for other kinds, e.g. mirrored endpoints of
/// selectorless Services without a pod behind them).
fn target_name(r: Option<&crate::k8s::ObjectReference>) -> Option<&str> {
    let r = r?;
    if r.kind.as_deref().is_some_and(|k| k != "Pod") {
        return None;
    }
    r.name.as_deref()
}

/// An endpoint's address as a key of [`ServiceEntry::refs`]: a canonical dotted-quad IPv4
/// address as its 32 bits (no heap string per entry and per cache: 150,000 endpoints × 4 caches
/// at the scale envelope), any other text as itself. Injective over address strings: only text
/// that [`v4_canonical`] reads back exactly becomes `V4`, so two keys are equal iff the
/// addresses are equal strings — the same duplicate test as kube-proxy's `"ip:port"` map keys
/// (the port has no `:`, so `(addr, port)` and `"{addr}:{port}"` determine each other).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum AddrKey {
    V4(u32),
    Text(Box<str>),
}

/// `(address, port)`: what kube-proxy's `"ip:port"` key stands for.
type RefKey = (AddrKey, i32);

/// The 32 bits of `s` if it is a dotted quad in canonical form (four decimal parts 0–255, no
/// leading zero, nothing else): exactly the strings `Ipv4Addr`'s `Display` writes.
fn v4_canonical(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut out: u32 = 0;
    let mut parts = 0;
    for part in b.split(|&c| c == b'.') {
        parts += 1;
        if parts > 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut v: u32 = 0;
        for &c in part {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        if v > 255 {
            return None;
        }
        out = (out << 8) | v;
    }
    (parts == 4).then_some(out)
}

/// The counts of one port name's keys: canonical IPv4 keys as plain `(u32, i32)` (12 bytes an
/// entry in the small form), any other address text apart.
#[derive(Debug, Clone, Default)]
struct PortRefs {
    v4: Counts<(u32, i32)>,
    text: Counts<(Box<str>, i32)>,
}

impl PortRefs {
    /// One more entry carrying the key; its count after. `more`: entries of this port still
    /// to add in this apply, this one included (room made for them at once).
    fn add(&mut self, key: RefKey, more: usize) -> u32 {
        match key {
            (AddrKey::V4(a), p) => self.v4.add_hinted((a, p), more),
            (AddrKey::Text(a), p) => self.text.add_hinted((a, p), more),
        }
    }

    /// Keys held.
    fn len(&self) -> usize {
        self.v4.len() + self.text.len()
    }

    /// One entry less carrying the key (dropped at 0); its count after, None if absent.
    fn remove(&mut self, key: RefKey) -> Option<u32> {
        match key {
            (AddrKey::V4(a), p) => self.v4.sub(&(a, p)),
            (AddrKey::Text(a), p) => self.text.sub(&(a, p)),
        }
    }

    fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.text.is_empty()
    }
}

fn ref_key(addr: &str, port: i32) -> RefKey {
    let a = match v4_canonical(addr) {
        Some(v) => AddrKey::V4(v),
        None => AddrKey::Text(addr.into()),
    };
    (a, port)
}

/// `"{addr}:{port}"` written into `buf` (cleared first).
fn key_into<'b>(buf: &'b mut String, addr: &str, port: i32) -> &'b str {
    buf.clear();
    buf.push_str(addr);
    buf.push(':');
    // Decimal digits without the formatting machinery (one key per entry applied).
    if port < 0 {
        buf.push('-');
    }
    let mut digits = [0u8; 20];
    for &d in crate::sim::digits::decimal(u64::from(port.unsigned_abs()), &mut digits) {
        buf.push(char::from(d));
    }
    buf
}

/// Which clients read the same entries from an object (kube-proxy and raw clients read a slice
/// alike, kube-proxy and CoreDNS an Endpoints object): their diffs between two versions are the
/// same.
fn entry_class(kind: ViewKind, slice: bool) -> u8 {
    match (kind, slice) {
        (ViewKind::CoreDns, true) | (ViewKind::Raw, false) => 1,
        _ => 0,
    }
}

/// The entry diff of one object version against the previous one, computed once by the first
/// client that applies it and reused by every other client of the same [`entry_class`] that
/// applies the same pair of versions (every client of a resource sees the same versions in the
/// same order, most of them later): an apply is then O(changed entries), not O(object).
///
/// A version is named by its object's namespace, name and resourceVersion — the apiserver's
/// contract: one stored write, one resourceVersion (etcd's global revision), so the same triple
/// means the same content. Objects without a numeric resourceVersion are never memoized. Keeping
/// the objects themselves (or `Weak`s to them, whose allocations then stay pinned) to compare
/// by identity cost peak memory. A hit gives exactly the diff the client would compute (a
/// function of the two objects and the class); the cache's state does not depend on hits or
/// misses. The memo keeps the last [`DiffMemo::CAPACITY`] diffs (first in, first out) and skips
/// diffs longer than [`DiffMemo::MAX_ENTRIES`] (a rewrite of a whole big object is rare).
///
/// It is also where the run's client caches (and the watch hub, which names the Service of
/// every write once) share the other names they would each copy or search by string: Service
/// ids ([`DiffMemo::services`]) and pod names ([`DiffMemo::pods`]).
#[derive(Debug, Default)]
pub struct DiffMemo {
    /// The Service ids every cache sharing this memo indexes by.
    pub services: ServiceIds,
    /// One copy of each pod name held by the caches (apart: a cache interns while it reads a
    /// diff from the memo).
    pub pods: Rc<RefCell<PodNames>>,
    diffs: std::collections::HashMap<MemoKey, MemoDiff, crate::sim::lookup_hash::ByWord>,
    order: VecDeque<MemoKey>,
    hits: u64,
    /// Caches sharing this memo per [class][slice?]: a diff only one cache reads (kube-proxy is
    /// the only class-0 reader of slices in the usual populations) is never taken again, so it
    /// is neither looked up nor kept (its owned copy cost more than the rest of the apply).
    readers: [[u32; 2]; 2],
    /// Diffs from objects with fewer elements (endpoints, addresses) are neither looked up nor
    /// kept: diffing a small object again (shared elements compare by pointer) costs less than
    /// the memo's owned copy, lookup and eviction (see [`DiffMemo::with_min_elements`]).
    min_elements: usize,
}

/// (class, slice?, old resourceVersion, new resourceVersion).
type MemoKey = (u8, bool, u64, u64);

#[derive(Debug)]
struct MemoDiff {
    namespace: String,
    name: String,
    removed: Vec<OwnedEntry>,
    added: Vec<OwnedEntry>,
}

impl Source {
    fn meta(&self) -> &crate::k8s::ObjectMeta {
        match self {
            Source::Slice(s) => &s.metadata,
            Source::Endpoints(e) => &e.metadata,
        }
    }

    fn version(&self) -> Option<u64> {
        self.meta().resource_version.as_deref()?.parse().ok()
    }

    /// The object's name (what the cache orders its sources by).
    fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    /// Endpoints of a slice, addresses (ready or not) of an Endpoints object.
    fn elements(&self) -> usize {
        match self {
            Source::Slice(s) => s.endpoint_list().len(),
            Source::Endpoints(e) => e
                .subsets
                .iter()
                .flatten()
                .map(|ss| {
                    ss.addresses.as_ref().map_or(0, Vec::len)
                        + ss.not_ready_addresses.as_ref().map_or(0, Vec::len)
                })
                .sum(),
        }
    }
}

impl DiffMemo {
    /// Diffs kept.
    pub const CAPACITY: usize = 4096;
    /// Longest diff kept (removed + added entries).
    pub const MAX_ENTRIES: usize = 512;

    /// Objects the watch hub's memo keeps diffs of: at least this many elements. At the scale
    /// envelope (15 addresses an object) diffing again by pointer costs no more than the memo's
    /// owned copy, lookup and eviction (envelope CPU 7 % lower without it on a loaded machine,
    /// within noise on a quiet one; BENCHMARKS.md store5); a 1,000-address Endpoints object
    /// still takes its diff from the memo.
    pub const HUB_MIN_ELEMENTS: usize = 128;

    /// A memo to share between clients (`GroupClient::with_memo`), keeping every diff.
    pub fn shared() -> Rc<RefCell<DiffMemo>> {
        Self::with_min_elements(0)
    }

    /// [`Self::shared`] keeping only the diffs from objects of at least `n` elements
    /// (endpoints of a slice, addresses of an Endpoints object). Same cache states either way.
    pub fn with_min_elements(n: usize) -> Rc<RefCell<DiffMemo>> {
        Rc::new(RefCell::new(DiffMemo {
            min_elements: n,
            ..DiffMemo::default()
        }))
    }

    /// Applies that took their diff from the memo so far.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// A cache of `kind` reads from this memo (see `readers`).
    fn register(&mut self, kind: ViewKind) {
        for slice in [false, true] {
            let r = &mut self.readers[usize::from(entry_class(kind, slice))][usize::from(slice)];
            *r = r.saturating_add(1);
        }
    }

    /// Whether another cache may take a diff of this class from the memo.
    fn read_by_others(&self, class: u8, slice: bool) -> bool {
        self.readers[usize::from(class)][usize::from(slice)] > 1
    }

    fn key(class: u8, old: &Source, new: &Source) -> Option<MemoKey> {
        let slice = matches!(new, Source::Slice(_));
        if slice != matches!(old, Source::Slice(_)) {
            return None;
        }
        Some((class, slice, old.version()?, new.version()?))
    }

    fn get(&self, class: u8, old: &Source, new: &Source) -> Option<&MemoDiff> {
        let m = new.meta();
        self.diffs.get(&Self::key(class, old, new)?).filter(|d| {
            old.meta().name == m.name
                && old.meta().namespace == m.namespace
                && m.name.as_deref() == Some(d.name.as_str())
                && m.namespace.as_deref() == Some(d.namespace.as_str())
        })
    }

    fn insert(
        &mut self,
        class: u8,
        old: &Source,
        new: &Source,
        removed: &[Entry<'_>],
        added: &[Entry<'_>],
    ) {
        let Some(key) = Self::key(class, old, new) else {
            return;
        };
        let m = new.meta();
        let (Some(namespace), Some(name)) = (m.namespace.as_deref(), m.name.as_deref()) else {
            return;
        };
        if removed.len() + added.len() > Self::MAX_ENTRIES || self.diffs.contains_key(&key) {
            return;
        }
        if self.order.len() >= Self::CAPACITY {
            if let Some(k) = self.order.pop_front() {
                self.diffs.remove(&k);
            }
        }
        let owned = |v: &[Entry<'_>]| v.iter().map(|e| e.owned()).collect();
        self.order.push_back(key);
        self.diffs.insert(
            key,
            MemoDiff {
                namespace: namespace.to_string(),
                name: name.to_string(),
                removed: owned(removed),
                added: owned(added),
            },
        );
    }
}

impl ClientCache {
    pub fn new(kind: ViewKind) -> Self {
        Self::with_memo(kind, DiffMemo::shared())
    }

    /// A cache sharing `memo` with other clients.
    pub fn with_memo(kind: ViewKind, memo: Rc<RefCell<DiffMemo>>) -> Self {
        memo.borrow_mut().register(kind);
        let pods = Rc::clone(&memo.borrow().pods);
        ClientCache {
            kind,
            services: Vec::new(),
            dups: 0,
            flips: Vec::new(),
            memo,
            pods,
            key_buf: String::new(),
            delta_buf: Vec::new(),
        }
    }

    /// Whether pod `pod` has a ready endpoint in Service `service` (`"namespace/name"`) of
    /// this view: any port, any address family, any source object. O(log n).
    pub fn pod_ready(&self, service: &str, pod: &str) -> bool {
        let id = self
            .memo
            .borrow()
            .services
            .get(service)
            .map(ServiceKey::index);
        id.is_some_and(|i| self.pod_ready_at(i, pod))
    }

    /// [`Self::pod_ready`] of the Service with id `id` (of this cache's memo). O(log n).
    pub fn pod_ready_at(&self, id: usize, pod: &str) -> bool {
        self.services
            .get(id)
            .and_then(Option::as_ref)
            .and_then(|se| se.pod_ready.get(pod))
            .is_some_and(|(_, n)| n > 0)
    }

    /// The readiness flips since the last call, in apply order.
    pub fn take_flips(&mut self) -> Vec<Flip> {
        std::mem::take(&mut self.flips)
    }

    /// The entries of a source object as `kind` reads them, in object order.
    fn entries_of(kind: ViewKind, src: &Source) -> Vec<Entry<'_>> {
        let mut out = Vec::new();
        match src {
            Source::Slice(s) => Self::slice_entries(kind, s, &mut out),
            Source::Endpoints(e) => Self::endpoints_entries(kind, e, &mut out),
        }
        out
    }

    /// Entries of a slice as `kind` reads them. kube-proxy: each port with a name and a non-zero
    /// port, each endpoint with ≥ 1 address, key = first address only
    /// (pkg/proxy/endpointslicecache.go :: addEndpoints).
    fn slice_entries<'a>(kind: ViewKind, s: &'a EndpointSlice, out: &mut Vec<Entry<'a>>) {
        Self::endpoint_entries(kind, s, s.endpoint_list().iter(), out);
    }

    /// The entries of some endpoints of slice `s` (with its ports), as [`Self::slice_entries`]
    /// reads them: per port, per endpoint in the order given.
    fn endpoint_entries<'a, I>(
        kind: ViewKind,
        s: &'a EndpointSlice,
        eps: I,
        out: &mut Vec<Entry<'a>>,
    ) where
        I: Iterator<Item = &'a SharedValue<Endpoint>> + Clone,
    {
        for p in s.ports.iter().flatten() {
            let (Some(name), Some(port)) = (p.name.as_deref(), p.port) else {
                continue;
            };
            if port == 0 {
                continue;
            }
            for e in eps.clone() {
                let Some(addr) = e.address_list().first() else {
                    continue;
                };
                let ready = e.conditions.ready.unwrap_or(true);
                let pod = target_name(e.target_ref.as_ref());
                let st = EpState {
                    ready,
                    serving: e.conditions.serving.unwrap_or(ready),
                    terminating: e.conditions.terminating.unwrap_or(false),
                };
                let entry = |addr| Entry {
                    name,
                    addr,
                    port,
                    st,
                    pod,
                };
                match kind {
                    ViewKind::CoreDns => {
                        if !ready {
                            continue;
                        }
                        // CoreDNS keeps every address of a ready endpoint.
                        out.extend(e.address_list().iter().map(|a| entry(a.as_str())));
                    }
                    ViewKind::KubeProxy | ViewKind::Raw => out.push(entry(addr)),
                }
            }
        }
    }

    /// Entries of an Endpoints object: ready `addresses` (both kube-proxy's old change tracker
    /// and CoreDNS read only these); [`ViewKind::Raw`] also lists `notReadyAddresses` as not ready.
    fn endpoints_entries<'a>(kind: ViewKind, ep: &'a Endpoints, out: &mut Vec<Entry<'a>>) {
        for ss in ep.subsets.iter().flatten() {
            for p in ss.ports.iter().flatten() {
                let name = p.name.as_deref().unwrap_or("");
                let ready = EpState {
                    ready: true,
                    serving: true,
                    terminating: false,
                };
                let entry = |a: &'a crate::k8s::EndpointAddress, st| Entry {
                    name,
                    addr: &a.ip,
                    port: p.port,
                    st,
                    pod: target_name(a.target_ref.as_ref()),
                };
                out.extend(ss.addresses.iter().flatten().map(|a| entry(a, ready)));
                if kind == ViewKind::Raw {
                    let nr = EpState {
                        ready: false,
                        serving: false,
                        terminating: false,
                    };
                    out.extend(
                        ss.not_ready_addresses
                            .iter()
                            .flatten()
                            .map(|a| entry(a, nr)),
                    );
                }
            }
        }
    }

    /// The entries of `new` that `old` lacks and those of `old` that `new` lacks, matching
    /// entries in object order: each new entry is compared with the old entry at a cursor (and
    /// the one after it, which skips one removed entry); an update usually inserts, removes or
    /// changes a few entries. Any split is correct (removed ⊆ old, added ⊆ new, old − removed =
    /// new − added); this one is cheap.
    fn diff<'a>(old: &[Entry<'a>], new: &[Entry<'a>]) -> (Vec<Entry<'a>>, Vec<Entry<'a>>) {
        cursor_match(old, new, |e| *e)
    }

    /// The entry diff of two versions of a source (see [`Self::diff`] for what a diff is): for
    /// two slices with the same ports, matched endpoint by endpoint first (an endpoint equal to
    /// its old self gives equal entries, and most of a slice's endpoints are unchanged), so only
    /// the changed endpoints' entries are built; otherwise from both entry lists.
    fn source_diff<'a>(
        kind: ViewKind,
        old: &'a Source,
        new: &'a Source,
    ) -> (Vec<Entry<'a>>, Vec<Entry<'a>>) {
        match (old, new) {
            (Source::Slice(o), Source::Slice(n)) if o.ports == n.ports => {
                return Self::slice_diff(kind, o, n);
            }
            (Source::Endpoints(o), Source::Endpoints(n)) if same_subset_ports(o, n) => {
                return Self::endpoints_diff(kind, o, n);
            }
            _ => {}
        }
        let (o, n) = (Self::entries_of(kind, old), Self::entries_of(kind, new));
        Self::diff(&o, &n)
    }

    /// [`Self::source_diff`] of two slices with equal ports: [`Self::diff`]'s cursor matching on
    /// whole endpoints, then the entries of the unmatched ones (removed ⊆ old, added ⊆ new, and
    /// old − removed = new − added, since matched endpoints give equal entries).
    fn slice_diff<'a>(
        kind: ViewKind,
        old: &'a EndpointSlice,
        new: &'a EndpointSlice,
    ) -> (Vec<Entry<'a>>, Vec<Entry<'a>>) {
        let (o, n) = (old.endpoint_list(), new.endpoint_list());
        let (removed_eps, added_eps) = match_shared(o, n);
        let mut removed = Vec::new();
        let mut added = Vec::new();
        Self::endpoint_entries(kind, old, removed_eps.iter().copied(), &mut removed);
        Self::endpoint_entries(kind, new, added_eps.iter().copied(), &mut added);
        (removed, added)
    }

    /// [`Self::source_diff`] of two Endpoints objects whose subsets pair up with equal ports:
    /// [`Self::diff`]'s cursor matching on whole addresses, subset by subset and list by list
    /// (shared addresses compare by pointer), then the entries of the unmatched ones. A
    /// matched address gives equal entries for every port of its (equal-ported) subset, so
    /// removed ⊆ old, added ⊆ new and old − removed = new − added.
    fn endpoints_diff<'a>(
        kind: ViewKind,
        old: &'a Endpoints,
        new: &'a Endpoints,
    ) -> (Vec<Entry<'a>>, Vec<Entry<'a>>) {
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let subsets = old
            .subsets
            .iter()
            .flatten()
            .zip(new.subsets.iter().flatten());
        // Raw clients also read `notReadyAddresses` (an array: no vector per subset).
        let lists = if kind == ViewKind::Raw { 2 } else { 1 };
        for (os, ns) in subsets {
            let both = [
                (&os.addresses, &ns.addresses, true),
                (&os.not_ready_addresses, &ns.not_ready_addresses, false),
            ];
            for &(o, n, ready) in &both[..lists] {
                let (o, n) = (o.as_deref().unwrap_or(&[]), n.as_deref().unwrap_or(&[]));
                let (gone, came) = match_shared(o, n);
                address_entries(os, &gone, ready, &mut removed);
                address_entries(ns, &came, ready, &mut added);
            }
        }
        (removed, added)
    }

    /// Replace `source` of `svc` by `new` (None: the source is gone), applying only the
    /// difference of their entries to the Service's counters: taken from the run's
    /// [`DiffMemo`] when another client already applied the same pair of versions, else
    /// computed by [`Self::diff`]. Same resulting state and flips as replacing the whole entry
    /// list ([`Self::replace_whole`]; `tests/it/client_cache_delta.rs`,
    /// `tests/it/client_cache_shared.rs`).
    fn apply(&mut self, svc: &ServiceKey, source: &str, new: Option<Source>) {
        let Some(new) = new else {
            self.replace_whole(svc, source, None);
            return;
        };
        // The old version stays in place until the new one replaces it (no name re-made; its
        // position found once).
        let Some((at, old)) = self.source_at(svc, source) else {
            let added = Self::entries_of(self.kind, &new);
            self.apply_diff(svc, &[], &added);
            self.put_source(svc, source, new);
            return;
        };
        let slice = matches!(new, Source::Slice(_));
        let class = entry_class(self.kind, slice);
        let memo = Rc::clone(&self.memo);
        let shared = {
            let m = memo.borrow();
            m.read_by_others(class, slice) && old.elements() >= m.min_elements
        };
        let hit = shared
            .then(|| {
                let m = memo.borrow();
                m.get(class, &old, &new).map(|d| {
                    let removed: Vec<Entry<'_>> =
                        d.removed.iter().map(OwnedEntry::as_entry).collect();
                    let added: Vec<Entry<'_>> = d.added.iter().map(OwnedEntry::as_entry).collect();
                    self.apply_diff(svc, &removed, &added);
                })
            })
            .flatten();
        if hit.is_some() {
            memo.borrow_mut().hits += 1;
        } else {
            let (removed, added) = Self::source_diff(self.kind, &old, &new);
            self.apply_diff(svc, &removed, &added);
            if shared {
                memo.borrow_mut()
                    .insert(class, &old, &new, &removed, &added);
            }
        }
        // `apply_diff` leaves the sources as they were: `at` is still the old version's place.
        if let Some(se) = self.services.get_mut(svc.index()).and_then(Option::as_mut) {
            se.sources[at] = new;
        }
    }

    /// The object `source` of `svc` as applied (a shared handle; it stays in the entry) and
    /// its position among the entry's sources.
    fn source_at(&self, svc: &ServiceKey, source: &str) -> Option<(usize, Source)> {
        let se = self.services.get(svc.index())?.as_ref()?;
        let i = find_source(&se.sources, source).ok()?;
        Some((i, se.sources[i].clone()))
    }

    /// Take `source` out of `svc`'s entry (the entry stays, even when left without sources).
    fn take_source(&mut self, svc: &ServiceKey, source: &str) -> Option<Source> {
        let se = self.services.get_mut(svc.index())?.as_mut()?;
        let i = find_source(&se.sources, source).ok()?;
        Some(se.sources.remove(i))
    }

    /// Put `source` into `svc`'s entry (made when absent).
    fn put_source(&mut self, svc: &ServiceKey, source: &str, new: Source) {
        let se = entry_in(&mut self.services, svc);
        match find_source(&se.sources, source) {
            Ok(i) => se.sources[i] = new,
            Err(i) => {
                // Most Services have one object: no room for four made at the first.
                if se.sources.len() == se.sources.capacity() && se.sources.len() < 4 {
                    se.sources.reserve_exact(1);
                }
                se.sources.insert(i, new)
            }
        }
    }

    /// Remove `removed` and add `added` (entries of one source) to the Service's counters.
    fn apply_diff(&mut self, svc: &ServiceKey, removed: &[Entry<'_>], added: &[Entry<'_>]) {
        let se = entry_in(&mut self.services, svc);
        let before = se.dups;
        // Net change of ready entries per pod, in pod-name order (the flip order): indices
        // into `removed` then `added` (the first entry naming the pod), in a buffer the cache
        // keeps (a vector per apply showed in profiles).
        let pod_at = |i: u32| {
            let i = i as usize;
            match removed.get(i) {
                Some(e) => e.pod,
                None => added[i - removed.len()].pod,
            }
            .unwrap_or_default()
        };
        let mut delta = std::mem::take(&mut self.delta_buf);
        delta.clear();
        for (i, (sign, e)) in removed
            .iter()
            .map(|e| (-1, e))
            .chain(added.iter().map(|e| (1, e)))
            .enumerate()
        {
            if let (true, Some(pod)) = (e.st.ready, e.pod) {
                match delta.binary_search_by(|&(j, _)| pod_at(j).cmp(pod)) {
                    Ok(k) => delta[k].1 += sign,
                    Err(k) => delta.insert(k, (i as u32, sign)),
                }
            }
        }
        // Pods turning ready: room for as many as the Service has keys on one port (its
        // endpoints, usually), made once, when it must grow.
        let arriving = delta.iter().filter(|&&(_, d)| d > 0).count();
        if arriving > 0 {
            let keys = se.refs.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
            let held = se.pod_ready.len();
            se.pod_ready
                .room_for(arriving.max(keys.saturating_sub(held)));
        }
        for &(j, d) in &delta {
            if d == 0 {
                continue;
            }
            let pod = pod_at(j);
            let cur = se.pod_ready.get(pod).map_or(0, |(_, n)| n);
            let next = u32::try_from((i64::from(cur) + d).max(0)).unwrap_or(u32::MAX);
            match (cur > 0, next > 0) {
                (true, true) => se.pod_ready.set(pod, || Arc::from(pod), next),
                (true, false) => {
                    let pod = se.pod_ready.get(pod).map(|(k, _)| Arc::clone(k));
                    if let Some(pod) = pod {
                        se.pod_ready.remove(&*pod);
                        self.flips.push(Flip {
                            service: se.key.clone(),
                            pod,
                            ready: false,
                        });
                    }
                }
                (false, true) => {
                    // One copy of the name for every cache of the run.
                    let pod = self.pods.borrow_mut().intern(pod);
                    se.pod_ready.set(&*pod, || Arc::clone(&pod), next);
                    self.flips.push(Flip {
                        service: se.key.clone(),
                        pod,
                        ready: true,
                    });
                }
                (false, false) => {}
            }
        }
        for e in removed {
            let key = ref_key(e.addr, e.port);
            let Ok(i) = find_sorted(&se.refs, e.name) else {
                continue;
            };
            let m = &mut se.refs[i].1;
            match m.remove(key) {
                Some(1) => se.dups -= 1,
                Some(0) if m.is_empty() => {
                    se.refs.remove(i);
                }
                _ => {}
            }
        }
        // Entries come grouped by port name: `run` counts those left in the current group.
        let mut run = 0usize;
        for (k, e) in added.iter().enumerate() {
            if run == 0 {
                run = added[k..].iter().take_while(|x| x.name == e.name).count();
            }
            let key = ref_key(e.addr, e.port);
            let i = match find_sorted(&se.refs, e.name) {
                Ok(i) => i,
                Err(i) => {
                    // A Service has a port or two: no room for four made at the first.
                    if se.refs.len() == se.refs.capacity() && se.refs.len() < 4 {
                        se.refs.reserve_exact(1);
                    }
                    se.refs.insert(i, (e.name.into(), PortRefs::default()));
                    i
                }
            };
            if se.refs[i].1.add(key, run) == 2 {
                se.dups += 1;
            }
            run -= 1;
        }
        let after = se.dups;
        self.dups = self.dups + after - before;
        self.delta_buf = delta;
    }

    /// The straightforward replacement: remove every old entry of `source`, add every new one.
    /// Kept as the reference [`ClientCache::apply`] is tested against.
    fn replace_whole(&mut self, svc: &ServiceKey, source: &str, new: Option<Source>) {
        let old = self.take_source(svc, source);
        {
            let removed = old.as_ref().map(|o| Self::entries_of(self.kind, o));
            let added = new.as_ref().map(|n| Self::entries_of(self.kind, n));
            self.apply_diff(
                svc,
                removed.as_deref().unwrap_or_default(),
                added.as_deref().unwrap_or_default(),
            );
        }
        if let Some(new) = new {
            self.put_source(svc, source, new);
        }
        if let Some(slot) = self.services.get_mut(svc.index()) {
            if slot.as_ref().is_some_and(|se| se.sources.is_empty()) {
                *slot = None;
            }
        }
    }

    /// The key of the Service a watch event is about, as clients key it: a slice's
    /// service-name label (None without it: clients ignore such slices), an Endpoints object's
    /// own name; interned in this cache's memo.
    pub fn service_of(&mut self, change: &Change) -> Option<ServiceKey> {
        let mut buf = std::mem::take(&mut self.key_buf);
        let known = match change {
            Change::Slice(s, _) => slice_service_key_into(&mut buf, s),
            Change::Endpoints(ep, _) => {
                buf.clear();
                buf.push_str(ep.metadata.namespace.as_deref().unwrap_or_default());
                buf.push('/');
                buf.push_str(ep.metadata.name.as_deref().unwrap_or_default());
                true
            }
        };
        let key = known.then(|| self.memo.borrow_mut().services.intern(&buf));
        self.key_buf = buf;
        key
    }

    /// Apply one watch event (the shared object itself: nothing is copied).
    pub fn apply_change(&mut self, change: &Change) {
        if let Some(svc) = self.service_of(change) {
            self.apply_keyed(&svc, change);
        }
    }

    /// [`Self::apply_change`] with the event's Service already named: `svc` is what
    /// [`Self::service_of`] gives for `change` (the watch hub names each write's Service once
    /// for every client).
    pub fn apply_keyed(&mut self, svc: &ServiceKey, change: &Change) {
        match change {
            Change::Slice(s, removed) => {
                let name = s.metadata.name.as_deref().unwrap_or_default();
                let new = (!removed).then(|| Source::Slice(Rc::clone(s)));
                self.apply(svc, name, new);
            }
            Change::Endpoints(ep, removed) => {
                let name = ep.metadata.name.as_deref().unwrap_or_default();
                let new = (!removed).then(|| Source::Endpoints(Rc::clone(ep)));
                self.apply(svc, name, new);
            }
        }
    }

    /// Apply one watch event for a slice (`removed` for DELETED). Slices without the
    /// service-name label are ignored, as kube-proxy does. (Copies the slice:
    /// [`Self::apply_change`] shares it.)
    pub fn apply_slice(&mut self, s: &EndpointSlice, removed: bool) {
        self.apply_change(&Change::Slice(Rc::new(s.clone()), removed));
    }

    /// Apply one watch event for an Endpoints object (copies it, see [`Self::apply_slice`]).
    pub fn apply_endpoints(&mut self, ep: &Endpoints, removed: bool) {
        self.apply_change(&Change::Endpoints(Rc::new(ep.clone()), removed));
    }

    /// [`ClientCache::apply_slice`] by replacing the whole entry list (the reference).
    pub fn apply_slice_whole(&mut self, s: &EndpointSlice, removed: bool) {
        let ch = Change::Slice(Rc::new(s.clone()), removed);
        let Some(svc) = self.service_of(&ch) else {
            return;
        };
        let name = s.metadata.name.as_deref().unwrap_or_default();
        let new = (!removed).then(|| Source::Slice(Rc::new(s.clone())));
        self.replace_whole(&svc, name, new);
    }

    /// [`ClientCache::apply_endpoints`] by replacing the whole entry list (the reference).
    pub fn apply_endpoints_whole(&mut self, ep: &Endpoints, removed: bool) {
        let ch = Change::Endpoints(Rc::new(ep.clone()), removed);
        let Some(svc) = self.service_of(&ch) else {
            return;
        };
        let name = ep.metadata.name.as_deref().unwrap_or_default();
        let new = (!removed).then(|| Source::Endpoints(Rc::new(ep.clone())));
        self.replace_whole(&svc, name, new);
    }

    /// Number of `(port, ip:port)` keys currently present in more than one source object.
    pub fn duplicate_keys(&self) -> usize {
        self.dups
    }

    /// The merged view. kube-proxy's merge: a later copy replaces an earlier one unless the later
    /// copy is terminating, so a non-terminating copy always wins over a terminating one
    /// (pkg/proxy/endpointslicecache.go :: addEndpoints). Upstream visits slices in Go map
    /// order (random); here in name order, so between two non-terminating copies the slice
    /// with the greater name wins — deterministic, same rule.
    pub fn view(&self) -> View {
        let mut out = View::new();
        let mut buf = String::new();
        // In name order, as a map by name would hold them.
        let mut services: Vec<&ServiceEntry> = self.services.iter().flatten().collect();
        services.sort_by(|a, b| a.key.name.cmp(&b.key.name));
        for se in services {
            let svc = &se.key.name;
            let mut sv = ServiceView::new();
            for src in &se.sources {
                for e in Self::entries_of(self.kind, src) {
                    let k = key_into(&mut buf, e.addr, e.port);
                    let m = sv.entry(e.name.to_string()).or_default();
                    match m.get(k) {
                        Some(_) if e.st.terminating => {}
                        _ => {
                            m.insert(k.to_string(), e.st);
                        }
                    }
                }
            }
            if !sv.is_empty() {
                out.insert(svc.to_string(), sv);
            }
        }
        out
    }
}

/// Both objects have the same number of subsets, pairwise with equal ports (then an address
/// reads as the same entries in either: see [`ClientCache::endpoints_diff`]).
fn same_subset_ports(a: &Endpoints, b: &Endpoints) -> bool {
    let (a, b) = (
        a.subsets.as_deref().unwrap_or(&[]),
        b.subsets.as_deref().unwrap_or(&[]),
    );
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.ports == y.ports)
}

/// [`ClientCache::diff`]'s cursor matching: the elements of `old` left unmatched and those of
/// `new`, each passed through `out` (a copy of an entry, or a reference to a shared value, which
/// compares by pointer first).
fn cursor_match<'a, T: PartialEq, U>(
    old: &'a [T],
    new: &'a [T],
    out: impl Fn(&'a T) -> U,
) -> (Vec<U>, Vec<U>) {
    // On the stack for the usual object (a slice holds at most 100 endpoints by default).
    let mut small = [false; 128];
    let mut big = Vec::new();
    let taken: &mut [bool] = if old.len() <= small.len() {
        &mut small[..old.len()]
    } else {
        big.resize(old.len(), false);
        &mut big
    };
    let mut cursor = 0;
    let mut came = Vec::new();
    for e in new {
        let hit = (cursor..(cursor + 2).min(old.len())).find(|&i| !taken[i] && old[i] == *e);
        match hit {
            Some(i) => {
                taken[i] = true;
                cursor = i + 1;
            }
            None => came.push(out(e)),
        }
    }
    let gone = old
        .iter()
        .zip(taken.iter())
        .filter(|(_, t)| !**t)
        .map(|(e, _)| out(e))
        .collect();
    (gone, came)
}

/// [`cursor_match`] over shared values, returning references.
fn match_shared<'a, T: PartialEq>(
    old: &'a [SharedValue<T>],
    new: &'a [SharedValue<T>],
) -> (Vec<&'a SharedValue<T>>, Vec<&'a SharedValue<T>>) {
    cursor_match(old, new, |e| e)
}

/// The entries of some addresses of subset `ss` (ready ones from `addresses`, else from
/// `notReadyAddresses`), as [`ClientCache::endpoints_entries`] reads them: per port, per
/// address in the order given.
fn address_entries<'a>(
    ss: &'a crate::k8s::EndpointSubset,
    addrs: &[&'a SharedValue<crate::k8s::EndpointAddress>],
    ready: bool,
    out: &mut Vec<Entry<'a>>,
) {
    if addrs.is_empty() {
        return;
    }
    let st = EpState {
        ready,
        serving: ready,
        terminating: false,
    };
    for p in ss.ports.iter().flatten() {
        let name = p.name.as_deref().unwrap_or("");
        out.extend(addrs.iter().map(|a| Entry {
            name,
            addr: &a.ip,
            port: p.port,
            st,
            pod: target_name(a.target_ref.as_ref()),
        }));
    }
}

/// An object a client will apply later: the stored object itself, shared (see
/// [`crate::apiserver::write_log::SharedObject`]).
#[derive(Debug, Clone)]
pub enum Change {
    Slice(Rc<EndpointSlice>, bool),
    Endpoints(Rc<Endpoints>, bool),
}

#[derive(Debug, Clone)]
struct Pending {
    apply_at: u64,
    change: Change,
    /// The change's Service when the scheduler named it ([`GroupClient::schedule_for`]).
    svc: Option<ServiceKey>,
}

/// Bit-exact `exp` from IEEE `+ - * /` only (see `sim::rng::det_ln` for why): halve until
/// |x| < 2^-8, Taylor to 12 terms, square back.
pub fn det_exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < -745.0 {
        return 0.0;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    let mut k = 0;
    let mut y = x;
    while y.abs() > 1.0 / 256.0 {
        y /= 2.0;
        k += 1;
    }
    let mut sum = 1.0;
    let mut term = 1.0;
    for i in 1..=12 {
        term *= y / f64::from(i);
        sum += term;
    }
    for _ in 0..k {
        sum *= sum;
    }
    sum
}

/// The maximum of `n` independent uniform draws from `dist`, in O(1): `min + (max−min)·U^(1/n)`
/// (the CDF of the maximum is `x^n`).
pub fn max_of_uniform<R: Rng + ?Sized>(rng: &mut R, dist: &DurationDist, n: u64) -> u64 {
    if dist.max_ns <= dist.min_ns || n == 0 {
        return dist.min_ns;
    }
    if n == 1 {
        return dist.sample(rng);
    }
    // U in (0, 1]
    let u = 1.0 - rng.gen::<f64>();
    let f = det_exp(crate::sim::rng::det_ln(u) / n as f64);
    let span = (dist.max_ns - dist.min_ns) as f64;
    dist.min_ns + ((span * f) as u64).min(dist.max_ns - dist.min_ns)
}

/// One group of identical clients: the shared cache, the slowest member's delivery and sync
/// timeline, and the inconsistency integrals.
#[derive(Debug, Clone)]
pub struct GroupClient {
    pub cache: ClientCache,
    /// kube-proxy `minSyncPeriod` (BoundedFrequencyRunner minInterval); 0 = apply on receipt.
    pub min_sync_period_ns: u64,
    last_recv: u64,
    last_sync: Option<u64>,
    pending: VecDeque<Pending>,
    /// End of the current "stale" interval (some stored change not yet applied).
    stale_until: u64,
    stale_start: u64,
    /// Total time some stored change was not yet applied by the slowest member.
    pub stale_ns: u64,
    /// Total time the cache held a duplicate key (an endpoint in two source objects).
    pub duplicate_ns: u64,
    /// Time the last duplicate accounting happened.
    clock: u64,
    pub syncs: u64,
    pub applied_changes: u64,
    /// Pod readiness flips of the slowest member's view with their apply time, oldest first,
    /// until [`GroupClient::take_flips`].
    flips: Vec<(u64, Flip)>,
}

impl GroupClient {
    pub fn new(kind: ViewKind, min_sync_period_ns: u64) -> Self {
        Self::with_memo(kind, min_sync_period_ns, DiffMemo::shared())
    }

    /// A group whose cache shares `memo` with the run's other groups (see [`DiffMemo`]).
    pub fn with_memo(kind: ViewKind, min_sync_period_ns: u64, memo: Rc<RefCell<DiffMemo>>) -> Self {
        GroupClient {
            cache: ClientCache::with_memo(kind, memo),
            min_sync_period_ns,
            last_recv: 0,
            last_sync: None,
            pending: VecDeque::new(),
            stale_until: 0,
            stale_start: 0,
            stale_ns: 0,
            duplicate_ns: 0,
            clock: 0,
            syncs: 0,
            applied_changes: 0,
            flips: Vec::new(),
        }
    }

    /// Schedule a change written at `write_ns` whose slowest-member delivery delay is
    /// `delay_ns`. Returns the time the slowest member applies it:
    /// receipt `r = max(previous receipt, write + delay)` (watch streams are ordered), then the
    /// BoundedFrequencyRunner: a sync runs at `max(r, last_sync + minSyncPeriod)` and picks up
    /// everything pending (kubernetes/kubernetes :: pkg/util/async/bounded_frequency_runner.go ::
    /// tryRun; kube-proxy minSyncPeriod default 1 s).
    pub fn schedule(&mut self, write_ns: u64, delay_ns: u64, change: Change) -> u64 {
        self.schedule_pending(write_ns, delay_ns, change, None)
    }

    /// [`Self::schedule`] of a change whose Service the caller named: `svc` is what
    /// [`ClientCache::service_of`] gives for `change` with this group's memo.
    pub fn schedule_for(
        &mut self,
        write_ns: u64,
        delay_ns: u64,
        svc: ServiceKey,
        change: Change,
    ) -> u64 {
        self.schedule_pending(write_ns, delay_ns, change, Some(svc))
    }

    fn schedule_pending(
        &mut self,
        write_ns: u64,
        delay_ns: u64,
        change: Change,
        svc: Option<ServiceKey>,
    ) -> u64 {
        self.advance(write_ns);
        let recv = self.last_recv.max(write_ns.saturating_add(delay_ns));
        self.last_recv = recv;
        let apply_at = if self.min_sync_period_ns == 0 {
            recv
        } else {
            match self.last_sync {
                // A sync already planned at or after the receipt picks this change up.
                Some(s) if s >= recv => s,
                Some(s) => recv.max(s.saturating_add(self.min_sync_period_ns)),
                None => recv,
            }
        };
        if self.min_sync_period_ns > 0 && self.last_sync != Some(apply_at) {
            self.syncs += 1;
            self.last_sync = Some(apply_at);
        }
        // Stale interval union: [write, apply].
        if write_ns > self.stale_until {
            self.stale_ns += self.stale_until - self.stale_start;
            self.stale_start = write_ns;
            self.stale_until = apply_at;
        } else {
            self.stale_until = self.stale_until.max(apply_at);
        }
        self.pending.push_back(Pending {
            apply_at,
            change,
            svc,
        });
        apply_at
    }

    /// Apply every pending change due at or before `now`.
    pub fn advance(&mut self, now: u64) {
        while let Some(p) = self.pending.front() {
            if p.apply_at > now {
                break;
            }
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.tick(p.apply_at);
            match &p.svc {
                Some(svc) => self.cache.apply_keyed(svc, &p.change),
                None => self.cache.apply_change(&p.change),
            }
            let at = p.apply_at;
            // Drained in place: the cache's buffer keeps its capacity.
            self.flips
                .extend(self.cache.flips.drain(..).map(|f| (at, f)));
            self.applied_changes += 1;
        }
        self.tick(now);
    }

    fn tick(&mut self, t: u64) {
        if t > self.clock {
            if self.cache.duplicate_keys() > 0 {
                self.duplicate_ns += t - self.clock;
            }
            self.clock = t;
        }
    }

    /// Apply everything and close the stale interval.
    pub fn finish(&mut self, end_ns: u64) {
        let last = self
            .pending
            .back()
            .map_or(end_ns, |p| p.apply_at.max(end_ns));
        self.advance(last);
        self.stale_ns += self.stale_until - self.stale_start;
        self.stale_start = self.stale_until;
    }

    /// When the next stored change is applied (None when nothing is pending).
    pub fn next_apply(&self) -> Option<u64> {
        self.pending.front().map(|p| p.apply_at)
    }

    /// The readiness flips applied since the last call: `(apply time, flip)`, in apply order.
    pub fn take_flips(&mut self) -> Vec<(u64, Flip)> {
        std::mem::take(&mut self.flips)
    }

    /// [`Self::take_flips`] appended to `out` (both buffers keep their capacity).
    pub fn drain_flips_into(&mut self, out: &mut Vec<(u64, Flip)>) {
        out.append(&mut self.flips);
    }

    pub fn is_quiescent(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::k8s::discovery::EndpointPort;
    use crate::k8s::{Endpoint, EndpointConditions, ObjectMeta};
    use rand::SeedableRng;

    pub(crate) fn slice(name: &str, eps: &[(&str, Option<bool>, Option<bool>)]) -> EndpointSlice {
        EndpointSlice {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                labels: Some(
                    [(LABEL_SERVICE_NAME.to_string(), "web".to_string())]
                        .into_iter()
                        .collect(),
                ),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints: Some(
                eps.iter()
                    .map(|(ip, ready, term)| Endpoint {
                        addresses: Some(vec![ip.to_string()]),
                        conditions: EndpointConditions {
                            ready: *ready,
                            serving: *ready,
                            terminating: *term,
                        },
                        ..Default::default()
                    })
                    .map(crate::k8s::SharedValue::new)
                    .collect(),
            ),
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: Some(80),
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
            ..Default::default()
        }
    }

    /// endpointslicecache.go addEndpoints: the same IP in two slices is one endpoint; the
    /// non-terminating copy wins whatever the visiting order; the duplicate is counted while it
    /// exists.
    #[test]
    fn dedupe_prefers_non_terminating() {
        for (a, b) in [("a", "b"), ("b", "a")] {
            let mut c = ClientCache::new(ViewKind::KubeProxy);
            c.apply_slice(&slice(a, &[("10.0.0.1", Some(true), None)]), false);
            c.apply_slice(&slice(b, &[("10.0.0.1", Some(false), Some(true))]), false);
            assert_eq!(c.duplicate_keys(), 1);
            let v = c.view();
            let st = v["default/web"]["http"]["10.0.0.1:80"];
            assert!(!st.terminating && st.ready, "{a}/{b}: {st:?}");
            c.apply_slice(&slice(a, &[]), true);
            assert_eq!(c.duplicate_keys(), 0);
            assert!(c.view()["default/web"]["http"]["10.0.0.1:80"].terminating);
        }
    }

    use proptest::prelude::*;

    fn sorted(mut v: Vec<Entry<'_>>) -> Vec<String> {
        let mut out: Vec<String> = v.drain(..).map(|e| format!("{e:?}")).collect();
        out.sort();
        out
    }

    proptest! {
        /// The endpoint-level slice diff is a valid entry diff (removed ⊆ old, added ⊆ new,
        /// old − removed = new − added as multisets) for every view kind, on slices drawn from
        /// a small pool of endpoints (duplicates, reorders, condition changes).
        #[test]
        fn slice_diff_is_an_entry_diff(
            a in prop::collection::vec((0usize..6, prop::option::of(any::<bool>()), prop::option::of(any::<bool>())), 0..12),
            b in prop::collection::vec((0usize..6, prop::option::of(any::<bool>()), prop::option::of(any::<bool>())), 0..12),
        ) {
            const IPS: [&str; 6] = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"];
            let mk = |v: &[(usize, Option<bool>, Option<bool>)]| {
                let eps: Vec<(&str, Option<bool>, Option<bool>)> =
                    v.iter().map(|&(i, r, t)| (IPS[i], r, t)).collect();
                slice("a", &eps)
            };
            let (old, new) = (mk(&a), mk(&b));
            for kind in [ViewKind::KubeProxy, ViewKind::CoreDns, ViewKind::Raw] {
                let (removed, added) = ClientCache::slice_diff(kind, &old, &new);
                let mut o = Vec::new();
                ClientCache::slice_entries(kind, &old, &mut o);
                let mut n = Vec::new();
                ClientCache::slice_entries(kind, &new, &mut n);
                // old + added = new + removed (multisets)
                let mut l = o.clone();
                l.extend(added.iter().copied());
                let mut r = n.clone();
                r.extend(removed.iter().copied());
                prop_assert_eq!(sorted(l), sorted(r));
                // removed ⊆ old, added ⊆ new
                let mut oo = sorted(o);
                for e in sorted(removed) {
                    let i = oo.iter().position(|x| *x == e);
                    prop_assert!(i.is_some(), "removed {} not in old", e);
                    oo.remove(i.unwrap_or(0));
                }
                let mut nn = sorted(n);
                for e in sorted(added) {
                    let i = nn.iter().position(|x| *x == e);
                    prop_assert!(i.is_some(), "added {} not in new", e);
                    nn.remove(i.unwrap_or(0));
                }
            }
        }
    }

    proptest! {
        /// `cursor_match` is a multiset diff on either side of its on-stack bound (128 old
        /// elements): removed ⊆ old, added ⊆ new, old − removed = new − added.
        #[test]
        fn cursor_match_is_a_diff(
            base in prop::collection::vec(0u8..8, 0..300),
            edits in prop::collection::vec((0usize..300, 0u8..8, 0u8..3), 0..6),
        ) {
            let old = base.clone();
            let mut new = base;
            for (at, v, op) in edits {
                let at = at.min(new.len());
                match op {
                    0 => new.insert(at, v),
                    1 if at < new.len() => { new.remove(at); }
                    _ if at < new.len() => new[at] = v,
                    _ => {}
                }
            }
            let (gone, came) = cursor_match(&old, &new, |e| *e);
            let mut l = old.clone();
            l.extend(&came);
            l.sort_unstable();
            let mut r = new.clone();
            r.extend(&gone);
            r.sort_unstable();
            prop_assert_eq!(l, r);
            let mut oo = old.clone();
            for e in gone {
                let i = oo.iter().position(|x| *x == e);
                prop_assert!(i.is_some());
                oo.remove(i.unwrap_or(0));
            }
            let mut nn = new.clone();
            for e in came {
                let i = nn.iter().position(|x| *x == e);
                prop_assert!(i.is_some());
                nn.remove(i.unwrap_or(0));
            }
        }
    }

    /// One operation on a [`Counts`] and on the map it stands for.
    #[derive(Debug, Clone)]
    enum CountOp {
        /// With a room hint (0: plain `add`).
        Add(u16, u8),
        /// `room_for`: capacity only.
        Room(u8),
        Sub(u16),
        Set(u16, u32),
        Remove(u16),
    }

    fn count_ops() -> impl Strategy<Value = Vec<CountOp>> {
        // Keys up to 3 × SMALL, runs of adds and removes, so the vector/map boundary is
        // crossed both ways (and the way back from the map at a quarter).
        let k = 0u16..200;
        prop::collection::vec(
            prop_oneof![
                5 => (k.clone(), 0u8..20).prop_map(|(k, h)| CountOp::Add(k, h)),
                1 => (0u8..80).prop_map(CountOp::Room),
                3 => k.clone().prop_map(CountOp::Sub),
                1 => (k.clone(), 0u32..3).prop_map(|(k, n)| CountOp::Set(k, n)),
                2 => k.prop_map(CountOp::Remove),
            ],
            0..600,
        )
    }

    proptest! {
        /// `Counts` answers every lookup and every operation exactly as a `BTreeMap` of the
        /// positive counts does, whichever form it is in, and holds the same entries in the
        /// same order.
        #[test]
        fn counts_equal_a_map(ops in count_ops()) {
            let mut c: Counts<Arc<str>> = Counts::default();
            let mut m: BTreeMap<Arc<str>, u32> = BTreeMap::new();
            let name = |k: u16| format!("pod-{k:03}");
            for op in ops {
                match op {
                    CountOp::Add(k, hint) => {
                        let key: Arc<str> = Arc::from(name(k));
                        let e = m.entry(Arc::clone(&key)).or_insert(0);
                        *e += 1;
                        let got = match hint {
                            0 => c.add(key),
                            h => c.add_hinted(key, usize::from(h)),
                        };
                        prop_assert_eq!(got, *e);
                    }
                    CountOp::Room(n) => c.room_for(usize::from(n)),
                    CountOp::Sub(k) => {
                        let key = name(k);
                        let want = m.get(key.as_str()).map(|&n| n - 1);
                        if want == Some(0) {
                            m.remove(key.as_str());
                        } else if let Some(n) = want {
                            m.insert(Arc::from(key.as_str()), n);
                        }
                        prop_assert_eq!(c.sub(key.as_str()), want);
                    }
                    CountOp::Set(k, n) => {
                        let key = name(k);
                        if n == 0 {
                            m.remove(key.as_str());
                        } else {
                            m.insert(Arc::from(key.as_str()), n);
                        }
                        c.set(key.as_str(), || Arc::from(key.as_str()), n);
                    }
                    CountOp::Remove(k) => {
                        let key = name(k);
                        m.remove(key.as_str());
                        c.remove(key.as_str());
                    }
                }
                let held: Vec<(String, u32)> = match &c {
                    Counts::Small(v) => v.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
                    Counts::Large(l) => l.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
                };
                let want: Vec<(String, u32)> = m.iter().map(|(k, n)| (k.to_string(), *n)).collect();
                prop_assert_eq!(held, want);
                prop_assert_eq!(c.is_empty(), m.is_empty());
                prop_assert_eq!(c.len(), m.len());
                if let Counts::Small(v) = &c {
                    prop_assert!(v.len() <= Counts::<Arc<str>>::SMALL);
                }
                for k in [0u16, 1, 63, 64, 65, 199] {
                    let key = name(k);
                    prop_assert_eq!(c.get(key.as_str()).map(|(_, n)| n), m.get(key.as_str()).copied());
                }
            }
        }
    }

    /// Both forms are reached and left: 65 keys make the map, dropping to 16 makes the vector.
    #[test]
    fn counts_change_form_at_the_bounds() {
        let mut c: Counts<(u32, i32)> = Counts::default();
        for k in 0..64 {
            c.add((k, 80));
        }
        assert!(matches!(c, Counts::Small(_)));
        c.add((64, 80));
        assert!(matches!(c, Counts::Large(_)));
        for k in 0..48 {
            assert_eq!(c.sub(&(k, 80)), Some(0));
            assert!(matches!(c, Counts::Large(_)), "{k}");
        }
        assert_eq!(c.sub(&(48, 80)), Some(0));
        assert!(matches!(c, Counts::Small(_)));
        assert_eq!(c.get(&(64, 80)).map(|(_, n)| n), Some(1));
        assert_eq!(c.sub(&(1000, 80)), None);
    }

    /// The hand-written `ip:port` key is `format!`'s, for every kind of port number.
    #[test]
    fn key_into_matches_format() {
        let mut buf = String::from("stale");
        for port in [i32::MIN, -100, -1, 0, 1, 9, 10, 80, 443, 65535, i32::MAX] {
            for addr in ["10.0.0.1", "fd00::1", ""] {
                assert_eq!(key_into(&mut buf, addr, port), format!("{addr}:{port}"));
            }
        }
    }

    #[test]
    fn coredns_keeps_ready_only() {
        let mut c = ClientCache::new(ViewKind::CoreDns);
        c.apply_slice(
            &slice(
                "a",
                &[
                    ("10.0.0.1", Some(true), None),
                    ("10.0.0.2", Some(false), None),
                ],
            ),
            false,
        );
        let v = c.view();
        assert_eq!(v["default/web"]["http"].len(), 1);
        assert!(v["default/web"]["http"].contains_key("10.0.0.1:80"));
    }

    /// BoundedFrequencyRunner: bursts within minSyncPeriod share one sync one period after the
    /// previous sync; an event after a quiet period syncs on receipt.
    #[test]
    fn min_sync_period_batches() {
        let s = NS(1);
        let mut g = GroupClient::new(ViewKind::KubeProxy, s);
        let ch = || Change::Slice(Rc::new(slice("a", &[])), false);
        assert_eq!(g.schedule(0, 5, ch()), 5);
        assert_eq!(g.schedule(10, 5, ch()), s + 5);
        assert_eq!(g.schedule(20, 5, ch()), s + 5);
        assert_eq!(g.schedule(10 * s, 5, ch()), 10 * s + 5);
        assert_eq!(g.syncs, 3);
        // Ordered delivery: a shorter delay cannot overtake.
        let mut d = GroupClient::new(ViewKind::CoreDns, 0);
        assert_eq!(d.schedule(0, 100, ch()), 100);
        assert_eq!(d.schedule(1, 1, ch()), 100);
        d.finish(200);
        assert!(d.is_quiescent());
        assert_eq!(d.stale_ns, 100);
    }

    #[allow(non_snake_case)]
    fn NS(s: u64) -> u64 {
        s * 1_000_000_000
    }

    #[test]
    fn max_of_uniform_tends_to_max() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let d = DurationDist::uniform(1_000_000, 10_000_000);
        let mut lo = u64::MAX;
        for _ in 0..1000 {
            let v = max_of_uniform(&mut rng, &d, 5000);
            assert!(v <= d.max_ns && v >= d.min_ns);
            lo = lo.min(v);
        }
        // P(max of 5000 < 99.9% of the span) = 0.999^5000 ≈ 0.7%; over 1000 draws the
        // minimum stays far above the midpoint.
        assert!(lo > 9_000_000, "{lo}");
        assert!((det_exp(1.0) - std::f64::consts::E).abs() < 1e-12);
        assert!((det_exp(-3.5) - (-3.5f64).exp()).abs() < 1e-12);
        assert_eq!(max_of_uniform(&mut rng, &DurationDist::fixed(7), 5000), 7);
    }

    /// Address texts near the canonical dotted quad: leading zeros, too many or too few parts,
    /// out-of-range parts, signs, spaces, IPv6, empty.
    fn addr_text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => any::<u32>().prop_map(|v| std::net::Ipv4Addr::from(v).to_string()),
            2 => (0u8..3, 0u8..3).prop_map(|(a, b)| format!("10.0.{a}.{b}")),
            2 => "[0-9.+ ]{0,16}",
            1 => (0u8..3).prop_map(|a| format!("10.0.0.0{a}")),
            1 => (0u16..300).prop_map(|a| format!("10.0.0.{a}")),
            1 => (0u16..3).prop_map(|a| format!("fd00::{a}")),
            1 => Just(String::new()),
        ]
    }

    proptest! {
        /// `ref_key` tells two `(address, port)` pairs apart exactly as the `"ip:port"` strings
        /// kube-proxy keys its map by: equal keys iff equal strings; a `V4` key is the
        /// address's own text read back.
        #[test]
        fn ref_key_is_the_ip_port_string(
            a in addr_text(), b in addr_text(), p in -2i32..3, q in -2i32..3
        ) {
            let same_text = format!("{a}:{p}") == format!("{b}:{q}");
            prop_assert_eq!(ref_key(&a, p) == ref_key(&b, q), same_text);
            prop_assert_eq!(ref_key(&a, p).cmp(&ref_key(&b, q)).is_eq(), same_text);
            if let (AddrKey::V4(v), _) = ref_key(&a, p) {
                prop_assert_eq!(std::net::Ipv4Addr::from(v).to_string(), a);
            }
        }

        /// The duplicate count kept with compact keys equals a recount over every source's
        /// entries keyed by `"ip:port"` text, after every apply of random slices whose
        /// addresses mix canonical and non-canonical spellings of the same IPv4 address.
        #[test]
        fn duplicate_count_matches_text_key_recount(
            ops in prop::collection::vec(
                (0u8..3, prop::collection::vec(addr_text(), 0..4), any::<bool>()),
                1..12,
            )
        ) {
            let mut c = ClientCache::new(ViewKind::KubeProxy);
            for (name, addrs, removed) in ops {
                let eps: Vec<(&str, Option<bool>, Option<bool>)> =
                    addrs.iter().map(|a| (a.as_str(), Some(true), None)).collect();
                c.apply_slice(&slice(&format!("s{name}"), &eps), removed);
                let mut count: BTreeMap<String, u32> = BTreeMap::new();
                for se in c.services.iter().flatten() {
                    let svc = &se.key.name;
                    for src in &se.sources {
                        for e in ClientCache::entries_of(c.kind, src) {
                            let k = format!("{svc}|{}|{}:{}", e.name, e.addr, e.port);
                            *count.entry(k).or_default() += 1;
                        }
                    }
                }
                let dups = count.values().filter(|&&n| n > 1).count();
                prop_assert_eq!(c.duplicate_keys(), dups);
            }
        }
    }
}
