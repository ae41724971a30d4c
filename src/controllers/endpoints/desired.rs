//! The Endpoints controller's desired subsets, maintained incrementally per Service.
//!
//! Upstream's `syncService` rebuilds the desired subsets from every selected pod on every sync
//! and canonicalises them with `RepackSubsets` (see [`super::repack`]). For a Service with
//! 20,000 pods that is 20,000 address conversions, a sort and a regrouping per sync, and a
//! rolling update syncs it tens of thousands of times. The result, however, depends only on the
//! *set* of per-pod contributions, not on the order pods are listed in:
//! - each pod contributes at most one address (the first IP of the Service's primary family)
//!   with a ready flag and, per Service port, the port it resolves to (or none);
//! - `RepackSubsets` keys addresses by (IP, targetRef UID), groups ports whose address→ready maps
//!   are identical, and sorts addresses by IP bytes then UID (`LessEndpointAddress`).
//!
//! So this cache keeps each selected pod's contribution (recomputed only for pods that changed
//! since the last sync, keyed by pod UID and resourceVersion) and the ready / not-ready addresses
//! in `LessEndpointAddress` order. When every contributing pod resolves the Service ports to the
//! same port values (the normal case: numeric target ports, or one container spec for the whole
//! Deployment) the repacked result is exactly one subset holding all those ports, and is read
//! straight from the cache ([`FastSubsets`]). Anything else (pods resolving a named port
//! differently, two pods claiming the same (IP, UID), two Service ports resolving to the same
//! port value) is left to the full computation, which the caller then runs as before.
//!
//! The tests below check, over random sequences of pod and Service changes, that the cached
//! path yields exactly what the full computation yields.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::cluster::small_map::SmallMap;
use crate::controllers::deephash::hash_core_endpoint_port;
use crate::k8s::ObjectReference;
use crate::k8s::{self, EndpointAddress, EndpointPort, EndpointSubset, SharedValue};
use crate::wire::tails::{address_sizes, SubsetTail, Tail};
use crate::wire::ItemSizes;

use super::repack::port_view;
use super::{address_is, address_named, opt, s, should_set_hostname, view_endpoint_ip, PodView};

/// An address of the cache, ordered and compared by `(IP, targetRef UID)` only: RepackSubsets'
/// address identity, and in this order also `LessEndpointAddress` (every address built from a
/// pod has a targetRef). The key is read from the shared address itself, so the cache holds
/// one pointer per address instead of owned copies of its IP and UID.
#[derive(Debug, Clone)]
struct Keyed(SharedValue<EndpointAddress>);

impl Keyed {
    fn key(&self) -> (&str, &str) {
        let uid = self.0.target_ref.as_ref().map_or("", |r| s(&r.uid));
        (self.0.ip.as_str(), uid)
    }
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Keyed {}

impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Keyed {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// A pod's UID or resourceVersion, held without a heap string in the usual forms (a canonical
/// decimal number, a canonical lower-case UUID). Each text has exactly one form, so two texts
/// are equal exactly when their forms are.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(u64),
    Uuid(u64, u64),
    Text(Box<str>),
}

impl Ident {
    fn of(text: &str) -> Ident {
        Ident::compact(text).unwrap_or_else(|| Ident::Text(text.into()))
    }

    fn compact(text: &str) -> Option<Ident> {
        let b = text.as_bytes();
        if !b.is_empty() && b.len() <= 19 && b.iter().all(u8::is_ascii_digit) {
            // No leading zero (but "0" itself): the number prints back to the same text.
            if b[0] != b'0' || b.len() == 1 {
                return text.parse().ok().map(Ident::Num);
            }
            return None;
        }
        if b.len() != 36 {
            return None;
        }
        let mut v: u128 = 0;
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
                continue;
            }
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => return None,
            };
            v = (v << 4) | u128::from(d);
        }
        Some(Ident::Uuid((v >> 64) as u64, v as u64))
    }

    /// `Ident::of(&n.to_string())` without the text.
    fn of_number(n: u64) -> Ident {
        // 19 digits at most are held as a number (see `compact`).
        if n < 10_000_000_000_000_000_000 {
            Ident::Num(n)
        } else {
            Ident::Text(n.to_string().into())
        }
    }

    /// The pod's resourceVersion, and whether it is set (an unset one never matches).
    fn resource_version(pod: PodView<'_>) -> (Ident, bool) {
        match pod.resource_version_number() {
            Some(n) => (Ident::of_number(n), true),
            None => {
                let t = pod.resource_version_text();
                (Ident::of(&t), !t.is_empty())
            }
        }
    }

    /// Whether `text` is the text this was made of: the compact forms are written out and
    /// compared (each has one text), rather than `text` parsed (every sync checks its
    /// Service's uid and resourceVersion this way).
    fn is(&self, text: &str) -> bool {
        match self {
            Ident::Text(t) => **t == *text,
            Ident::Num(n) => {
                let mut buf = [0u8; 20];
                crate::sim::digits::decimal(*n, &mut buf) == text.as_bytes()
            }
            Ident::Uuid(hi, lo) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = text.as_bytes();
                if b.len() != 36 {
                    return false;
                }
                let v = (u128::from(*hi) << 64) | u128::from(*lo);
                let mut shift = 128;
                b.iter().enumerate().all(|(i, &c)| {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        return c == b'-';
                    }
                    shift -= 4;
                    c == HEX[((v >> shift) & 0xf) as usize]
                })
            }
        }
    }

    /// [`Ident::is`] as first written: the text parsed and the forms compared (tests).
    #[cfg(test)]
    fn is_parsed(&self, text: &str) -> bool {
        match self {
            Ident::Text(t) => **t == *text,
            compact => Ident::compact(text).as_ref() == Some(compact),
        }
    }
}

/// Which Service the cache was built for; any change of the fields the desired subsets depend
/// on rebuilds it. A Service with a uid and resourceVersion (every stored one) is one stored
/// version of one object: the same pair means the same fields, so only the pair is kept
/// (10,000 Services kept a copy of their selector, ports and names each). A new version
/// rebuilds the cache even if those fields did not change, which yields the same subsets
/// (the cache is exact either way) at the cost of one full pass over the selection.
#[derive(Debug, Clone)]
enum ServiceSig {
    Version { uid: Ident, rv: Ident },
    Fields(Box<ServiceFields>),
}

/// The fields of a Service without a version ([`ServiceSig`]).
#[derive(Debug, Clone, PartialEq)]
struct ServiceFields {
    namespace: Option<String>,
    name: Option<String>,
    selector: Option<BTreeMap<String, String>>,
    ports: Option<Vec<k8s::ServicePort>>,
    publish_not_ready: Option<bool>,
    ip_families: Option<Vec<String>>,
    cluster_ip: Option<String>,
}

impl ServiceFields {
    fn of(svc: &k8s::Service) -> Self {
        ServiceFields {
            namespace: svc.metadata.namespace.clone(),
            name: svc.metadata.name.clone(),
            selector: svc.spec.selector.clone(),
            ports: svc.spec.ports.clone(),
            publish_not_ready: svc.spec.publish_not_ready_addresses,
            ip_families: svc.spec.ip_families.clone(),
            cluster_ip: svc.spec.cluster_ip.clone(),
        }
    }

    /// `*self == ServiceFields::of(svc)` without copying the Service's fields.
    fn is_of(&self, svc: &k8s::Service) -> bool {
        self.namespace == svc.metadata.namespace
            && self.name == svc.metadata.name
            && self.selector == svc.spec.selector
            && self.ports == svc.spec.ports
            && self.publish_not_ready == svc.spec.publish_not_ready_addresses
            && self.ip_families == svc.spec.ip_families
            && self.cluster_ip == svc.spec.cluster_ip
    }
}

impl ServiceSig {
    fn is_of(&self, svc: &k8s::Service) -> bool {
        let (uid, rv) = (s(&svc.metadata.uid), s(&svc.metadata.resource_version));
        match self {
            ServiceSig::Version { uid: u, rv: r } => {
                !uid.is_empty() && !rv.is_empty() && u.is(uid) && r.is(rv)
            }
            ServiceSig::Fields(f) => (uid.is_empty() || rv.is_empty()) && f.is_of(svc),
        }
    }

    fn of(svc: &k8s::Service) -> Self {
        let (uid, rv) = (s(&svc.metadata.uid), s(&svc.metadata.resource_version));
        if !uid.is_empty() && !rv.is_empty() {
            ServiceSig::Version {
                uid: Ident::of(uid),
                rv: Ident::of(rv),
            }
        } else {
            ServiceSig::Fields(Box::new(ServiceFields::of(svc)))
        }
    }
}

/// What one pod puts into the Endpoints object.
#[derive(Debug, Clone)]
struct Contribution {
    /// The address (its key as registered in `ready` / `not_ready`).
    addr: Keyed,
    ready: bool,
    /// Per Service port (in spec order), the port the pod resolves it to (shared with the
    /// key of [`Registry::vectors`]: pods of one Service almost always resolve alike).
    ports: Rc<[Option<i32>]>,
}

#[derive(Debug, Clone)]
struct PodEntry {
    uid: Ident,
    resource_version: Ident,
    contribution: Option<Contribution>,
}

/// Which selected pods changed since the cache was last brought up to date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodChanges {
    /// Unknown (first sync, selector changed): rebuild from the full selection.
    All,
    /// These pod names (a pod that left the selection or was deleted is listed too).
    Names(BTreeSet<String>),
}

/// Addresses in `LessEndpointAddress` order, each with its encoded sizes (kept so an object's
/// size is a sum, see [`crate::wire::tails`]). An address is shared with every object built
/// from the cache, so building one copies a pointer per address, and comparing it with a
/// stored object built from the cache compares pointers.
/// A sorted vector for the usual Service of a few pods (a tree beyond 64 addresses).
type Addresses = SmallMap<Keyed, ItemSizes>;

/// Per-Service incremental desired state (see module docs).
#[derive(Debug, Clone, Default)]
pub struct DesiredCache {
    sig: Option<ServiceSig>,
    /// By pod name (a sorted vector for the usual few pods: 10,000 Services of 15 pods held
    /// three tree nodes each). The name is shared with the targetRef of the pod's address.
    pods: SmallMap<k8s::Text, PodEntry>,
    reg: Registry,
}

/// The registered contributions (apart from `pods`, so that a pod's entry is updated in
/// place while its contribution is withdrawn and registered again).
#[derive(Debug, Clone, Default)]
struct Registry {
    ready: Addresses,
    not_ready: Addresses,
    /// Sums of the encoded sizes of `ready` / `not_ready` (every element, as tail entries).
    ready_sum: Tail,
    not_ready_sum: Tail,
    /// How many contributing pods resolve the Service ports to each port vector.
    /// A sorted vector (almost always one entry; a tree node per Service was ~300 B).
    vectors: SmallMap<Rc<[Option<i32>]>, usize>,
    /// Set when two pods claimed the same (IP, UID): the full computation decides from then on.
    collided: bool,
}

/// The single repacked subset, read from the cache.
#[derive(Debug, Clone)]
pub struct FastSubsets<'a> {
    ports: Option<Rc<Vec<EndpointPort>>>,
    ready: &'a Addresses,
    not_ready: &'a Addresses,
    ready_sum: Tail,
    not_ready_sum: Tail,
}

/// `sum` without its first element (`first`): what a shell keeping only that element lacks.
fn tail_after_first(sum: Tail, first: Option<&ItemSizes>) -> Tail {
    match first {
        None => Tail::default(),
        Some(it) => {
            let mut one = Tail::default();
            one.add(*it);
            Tail {
                count: sum.count - one.count,
                json: sum.json - one.json,
                protobuf: sum.protobuf - one.protobuf,
            }
        }
    }
}

impl FastSubsets<'_> {
    /// `(ready, not ready)` per subset (none when no pod contributes).
    pub fn counts(&self) -> Vec<(usize, usize)> {
        if self.ready.is_empty() && self.not_ready.is_empty() {
            Vec::new()
        } else {
            vec![(self.ready.len(), self.not_ready.len())]
        }
    }

    /// The subsets, each keeping only the first `keep` (ready, not ready) addresses when a
    /// truncation plan is given (`drop_not_ready`: truncation of ready addresses clears the
    /// not-ready list, as upstream's `truncateEndpoints` does).
    pub fn build(
        &self,
        keep: Option<&[(usize, usize)]>,
        drop_not_ready: bool,
    ) -> Vec<EndpointSubset> {
        if self.ready.is_empty() && self.not_ready.is_empty() {
            return Vec::new();
        }
        let (kr, knr) = keep
            .and_then(|k| k.first().copied())
            .unwrap_or((self.ready.len(), self.not_ready.len()));
        let take = |m: &Addresses, n: usize| {
            let v: Vec<SharedValue<EndpointAddress>> =
                m.keys().take(n).map(|a| a.0.clone()).collect();
            if v.is_empty() {
                None
            } else {
                Some(v)
            }
        };
        vec![EndpointSubset {
            addresses: take(self.ready, kr),
            not_ready_addresses: if drop_not_ready {
                None
            } else {
                take(self.not_ready, knr)
            },
            ports: self.ports.as_deref().cloned(),
        }]
    }

    /// The untruncated subsets with each address list cut to its first element, and what was
    /// cut ([`crate::wire::tails`]): `build(None, false)` in a form whose sizes cost O(1).
    pub fn shell(&self) -> (Vec<EndpointSubset>, Vec<SubsetTail>) {
        if self.ready.is_empty() && self.not_ready.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let first = |m: &Addresses| m.keys().next().map(|a| vec![a.0.clone()]);
        let sub = EndpointSubset {
            addresses: first(self.ready),
            not_ready_addresses: first(self.not_ready),
            ports: self.ports.as_deref().cloned(),
        };
        let tail = SubsetTail {
            addresses: tail_after_first(self.ready_sum, self.ready.values().next()),
            not_ready_addresses: tail_after_first(
                self.not_ready_sum,
                self.not_ready.values().next(),
            ),
        };
        (vec![sub], vec![tail])
    }

    /// `subsets_equal_ignore_rv(other, build(None, false))` without building the subsets.
    pub fn equal_ignore_rv(&self, other: &[EndpointSubset]) -> bool {
        if self.ready.is_empty() && self.not_ready.is_empty() {
            return other.is_empty();
        }
        let [o] = other else {
            return false;
        };
        let same = |m: &Addresses, l: &Option<Vec<SharedValue<EndpointAddress>>>| {
            let l = l.as_deref().unwrap_or(&[]);
            l.len() == m.len() && m.keys().zip(l).all(|(a, b)| super::addr_eq_shared(&a.0, b))
        };
        same(self.ready, &o.addresses)
            && same(self.not_ready, &o.not_ready_addresses)
            && super::ports_equal(
                self.ports.as_deref().map_or(&[], Vec::as_slice),
                o.ports.as_deref().unwrap_or(&[]),
            )
    }
}

impl DesiredCache {
    /// Bring the cache up to date with the Service and the pods that changed: `changed` gives
    /// each changed pod's name and the pod, if it exists and the Service selects it (`None` =
    /// unknown: rebuild); `selected` is the full selection, used when the cache is rebuilt.
    pub fn update<'p, 'n>(
        &mut self,
        svc: &k8s::Service,
        changed: Option<impl Iterator<Item = (&'n str, Option<PodView<'p>>)>>,
        selected: &mut dyn Iterator<Item = PodView<'p>>,
    ) {
        match changed {
            Some(changed) if self.sig.as_ref().is_some_and(|sig| sig.is_of(svc)) => {
                for (name, pod) in changed {
                    self.set_pod(svc, name, pod);
                }
            }
            _ => {
                *self = DesiredCache {
                    sig: Some(ServiceSig::of(svc)),
                    ..Default::default()
                };
                for pod in selected {
                    self.set_pod(svc, pod.name(), Some(pod));
                }
            }
        }
    }

    fn set_pod(&mut self, svc: &k8s::Service, name: &str, pod: Option<PodView<'_>>) {
        let Some(pod) = pod else {
            if let Some(old) = self.pods.remove(name) {
                if let Some(c) = old.contribution {
                    self.reg.withdraw(&c);
                }
            }
            return;
        };
        let (rv, rv_set) = Ident::resource_version(pod);
        if let Some((key, e)) = self.pods.get_key_value_mut(name) {
            if rv_set && e.resource_version == rv && e.uid.is(pod.uid()) {
                return;
            }
            // Updated in place: the name stays, the contribution is replaced.
            let previous = e.contribution.take().map(|c| {
                let sizes = self.reg.withdraw(&c);
                (c.addr, sizes)
            });
            e.contribution = self.reg.contribute(svc, pod, key, previous);
            e.resource_version = rv;
            e.uid = Ident::of(pod.uid());
            return;
        }
        let key: k8s::Text = name.into();
        let contribution = self.reg.contribute(svc, pod, &key, None);
        self.pods.insert(
            key,
            PodEntry {
                uid: Ident::of(pod.uid()),
                resource_version: rv,
                contribution,
            },
        );
    }

    /// [`DesiredCache::fast_with`] without a memo.
    #[cfg(test)]
    pub fn fast<'a>(&'a self, svc: &k8s::Service) -> Option<FastSubsets<'a>> {
        self.fast_with(svc, &mut PortsMemo::default())
    }

    /// The repacked subsets straight from the cache, or `None` when the full computation is
    /// needed (see module docs); the subset's ports are sorted as `SortSubsets` sorts them.
    /// The port list is taken from `memo` when it was built from the same Service ports and
    /// port vector.
    pub fn fast_with<'a>(
        &'a self,
        svc: &k8s::Service,
        memo: &mut PortsMemo,
    ) -> Option<FastSubsets<'a>> {
        let reg = &self.reg;
        if reg.collided || reg.vectors.len() > 1 {
            return None;
        }
        let ports_out = match reg.vectors.keys().next() {
            None => None,
            Some(vector) => memo.get(svc, vector)?,
        };
        Some(FastSubsets {
            ports: ports_out,
            ready: &reg.ready,
            not_ready: &reg.not_ready,
            ready_sum: reg.ready_sum,
            not_ready_sum: reg.not_ready_sum,
        })
    }
}

/// The port list of the last [`DesiredCache::fast_with`] and what it was built from: it
/// depends only on the Service's ports and the pods' port vector, which the Services of a
/// scenario almost always share, and building it cost a vector and two strings per port
/// on every sync.
#[derive(Debug, Clone, Default)]
pub struct PortsMemo {
    last: Option<MemoEntry>,
}

#[derive(Debug, Clone)]
struct MemoEntry {
    svc_ports: Vec<k8s::ServicePort>,
    vector: Rc<[Option<i32>]>,
    /// `None`: the ports are left to the full computation.
    out: Option<Option<Rc<Vec<EndpointPort>>>>,
}

impl PortsMemo {
    /// [`port_list`], from the memo when it holds the same inputs.
    fn get(
        &mut self,
        svc: &k8s::Service,
        vector: &Rc<[Option<i32>]>,
    ) -> Option<Option<Rc<Vec<EndpointPort>>>> {
        let svc_ports = svc.spec.ports.as_deref().unwrap_or(&[]);
        match &self.last {
            Some(e) if e.svc_ports.as_slice() == svc_ports && *e.vector == **vector => {
                e.out.clone()
            }
            _ => {
                let out = port_list(svc_ports, vector).map(|p| p.map(Rc::new));
                self.last = Some(MemoEntry {
                    svc_ports: svc_ports.to_vec(),
                    vector: Rc::clone(vector),
                    out: out.clone(),
                });
                out
            }
        }
    }
}

/// The fast path's port list for Service ports resolved to `vector` (`None` inside when no
/// port is listed), or `None` when it is left to the full computation.
fn port_list(
    svc_ports: &[k8s::ServicePort],
    vector: &[Option<i32>],
) -> Option<Option<Vec<EndpointPort>>> {
    let mut ports: Vec<EndpointPort> = svc_ports
        .iter()
        .zip(vector.iter())
        .filter_map(|(sp, p)| {
            Some(EndpointPort {
                name: opt(s(&sp.name)),
                port: (*p)?,
                protocol: opt(s(&sp.protocol)),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect();
    // Equal port values are one map key upstream (the Endpoints controller's ports share
    // the Service's pointers); rare enough to leave to the full computation.
    if ports
        .iter()
        .enumerate()
        .any(|(i, p)| ports[..i].contains(p))
    {
        return None;
    }
    // Only positive ports are listed (the headless sentinel and port 0 are not).
    ports.retain(|p| p.port > 0);
    ports.sort_by_cached_key(|p| hash_core_endpoint_port(&port_view(p)));
    Some((!ports.is_empty()).then_some(ports))
}

impl Registry {
    /// Withdraw `c`; the sizes of its address when they are known to be its own (no two
    /// pods ever claimed one key, so the entry removed was `c`'s).
    fn withdraw(&mut self, c: &Contribution) -> Option<ItemSizes> {
        let clean = !self.collided;
        let (map, sum) = if c.ready {
            (&mut self.ready, &mut self.ready_sum)
        } else {
            (&mut self.not_ready, &mut self.not_ready_sum)
        };
        let removed = map.remove(&c.addr);
        if let Some(it) = removed {
            sub_item(sum, it);
        }
        if let Some(n) = self.vectors.get_mut(&c.ports) {
            *n -= 1;
            if *n == 0 {
                self.vectors.remove(&c.ports);
            }
        }
        removed.filter(|_| clean)
    }

    /// The pod's contribution (the per-pod part of `subsets_of_selected`), registered.
    /// `previous` is the address of the pod's withdrawn contribution (with its sizes, if
    /// known): when the pod's address is unchanged (a readiness flip, a label change) it is
    /// shared again instead of built anew (seven strings and the shared cell per address).
    /// `name` is the cache's key of the pod, shared by a new address.
    fn contribute(
        &mut self,
        svc: &k8s::Service,
        pod: PodView<'_>,
        name: &k8s::Text,
        previous: Option<(Keyed, Option<ItemSizes>)>,
    ) -> Option<Contribution> {
        let publish = svc.spec.publish_not_ready_addresses.unwrap_or(false);
        if !pod.should_be_in_endpoints(publish) {
            return None;
        }
        let ip = view_endpoint_ip(svc, pod)?;
        let hostname =
            Some(pod.hostname()).filter(|h| !h.is_empty() && should_set_hostname(pod, svc));
        let reused = previous.filter(|(k, _)| address_is(&k.0, &ip, hostname, pod));
        let svc_ports = svc.spec.ports.as_deref().unwrap_or(&[]);
        // The vector of earlier pods when this one resolves alike (the usual case): shared
        // without building a new one.
        let known = self
            .vectors
            .keys()
            .find(|v| {
                v.len() == svc_ports.len()
                    && v.iter()
                        .zip(svc_ports)
                        .all(|(p, sp)| *p == pod.find_port(sp))
            })
            .cloned();
        let ports: Rc<[Option<i32>]> = match known {
            Some(shared) => shared,
            None => svc_ports.iter().map(|sp| pod.find_port(sp)).collect(),
        };
        let registers = if svc_ports.is_empty() {
            s(&svc.spec.cluster_ip) == "None"
        } else {
            ports.iter().any(Option::is_some)
        };
        if !registers {
            return None;
        }
        let (key, sizes) = match reused {
            Some((k, Some(sizes))) => (k, sizes),
            Some((k, None)) => {
                let sizes = sizes_of(&k.0);
                (k, sizes)
            }
            None => {
                let mut addr = address_named(ip, pod, Some(name));
                addr.hostname = hostname.map(str::to_string);
                let sizes = sizes_of(&addr);
                (Keyed(SharedValue::new(addr)), sizes)
            }
        };
        let ready = publish || pod.is_ready();
        let (map, sum, other) = if ready {
            (&mut self.ready, &mut self.ready_sum, &self.not_ready)
        } else {
            (&mut self.not_ready, &mut self.not_ready_sum, &self.ready)
        };
        let in_other = other.contains_key(&key);
        sum.add(sizes);
        // The entry is replaced whole (the newest address under the key, as a map insert of
        // the (IP, UID) strings with the address as value kept it).
        let old = map.remove(&key);
        if in_other || old.is_some() {
            self.collided = true;
        }
        if let Some(old) = old {
            sub_item(sum, old);
        }
        map.insert(key.clone(), sizes);
        match self.vectors.get_mut(&ports) {
            Some(n) => *n += 1,
            None => {
                self.vectors.insert(Rc::clone(&ports), 1);
            }
        }
        Some(Contribution {
            addr: key,
            ready,
            ports,
        })
    }
}

/// [`address_sizes`] with the JSON length counted from the field lengths when no text needs
/// escaping (the usual address: an IP, names and a UID), instead of serializing it.
fn sizes_of(addr: &EndpointAddress) -> ItemSizes {
    match plain_json_len(addr) {
        Some(json) => ItemSizes {
            json,
            // An address holds no timestamps, so encoding cannot fail.
            protobuf: crate::wire::proto::Proto::proto_len(addr).unwrap_or_default(),
        },
        None => address_sizes(addr),
    }
}

/// Go's JSON of `addr` (`{"ip":…,"hostname":…,"nodeName":…,"targetRef":{…}}`, omitempty as
/// the serde attributes of [`EndpointAddress`] / [`ObjectReference`] say) by length, or `None`
/// when a text holds a byte either JSON encoder would escape.
fn plain_json_len(addr: &EndpointAddress) -> Option<usize> {
    fn plain(v: &str) -> Option<usize> {
        v.bytes()
            .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&'))
            .then_some(v.len() + 2)
    }
    /// `"key":"value"` of a present field.
    fn field(key: &str, v: &str) -> Option<usize> {
        Some(key.len() + 3 + plain(v)?)
    }
    /// Fields skipped when `None` or empty (`omit::str`).
    fn omit_empty<T: AsRef<str>>(key: &str, v: &Option<T>) -> Option<Option<usize>> {
        match v.as_ref().map(AsRef::as_ref) {
            None | Some("") => Some(None),
            Some(v) => field(key, v).map(Some),
        }
    }
    fn object(fields: &[Option<usize>]) -> usize {
        let present = fields.iter().flatten();
        2 + present.clone().sum::<usize>() + present.count().saturating_sub(1)
    }
    let target = match &addr.target_ref {
        None => None,
        Some(r) => {
            let ObjectReference {
                kind,
                namespace,
                name,
                uid,
                api_version,
                resource_version,
                field_path,
            } = r;
            let inner = object(&[
                omit_empty("kind", kind)?,
                omit_empty("namespace", namespace)?,
                omit_empty("name", name)?,
                omit_empty("uid", uid)?,
                omit_empty("apiVersion", api_version)?,
                omit_empty("resourceVersion", resource_version)?,
                omit_empty("fieldPath", field_path)?,
            ]);
            Some("targetRef".len() + 3 + inner)
        }
    };
    Some(object(&[
        Some(field("ip", &addr.ip)?),
        omit_empty("hostname", &addr.hostname)?,
        match addr.node_name.as_deref() {
            None => None,
            Some(n) => Some(field("nodeName", n)?),
        },
        target,
    ]))
}

/// Take one element of `it`'s sizes out of `sum`.
fn sub_item(sum: &mut Tail, it: ItemSizes) {
    let mut one = Tail::default();
    one.add(it);
    sum.count -= one.count;
    sum.json -= one.json;
    sum.protobuf -= one.protobuf;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::endpoints::subsets_of_selected;
    use proptest::prelude::*;
    use serde_json::json;

    fn service(ports: serde_json::Value, publish: bool, cluster_ip: &str) -> k8s::Service {
        serde_json::from_value(json!({
            "metadata": {"name": "svc", "namespace": "ns", "resourceVersion": "1"},
            "spec": {"selector": {"app": "a"}, "ports": ports, "clusterIP": cluster_ip,
                     "publishNotReadyAddresses": publish},
        }))
        .expect("service")
    }

    #[allow(clippy::too_many_arguments)]
    fn pod(
        i: usize,
        rv: u64,
        ip: u8,
        ready: bool,
        terminating: bool,
        port_name: &str,
        port: i32,
        hostname: bool,
    ) -> k8s::Pod {
        serde_json::from_value(json!({
            "metadata": {"name": format!("p{i}"), "namespace": "ns", "uid": format!("uid-{i}"),
                         "resourceVersion": rv.to_string(), "labels": {"app": "a"},
                         "deletionTimestamp": if terminating { Some("2024-01-01T00:00:00Z") } else { None }},
            "spec": {"nodeName": format!("n{}", i % 3), "hostname": if hostname { "h" } else { "" },
                     "subdomain": "svc",
                     "containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": port, "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": format!("10.0.0.{ip}"), "podIPs": [{"ip": format!("10.0.0.{ip}")}],
                       "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        }))
        .expect("pod")
    }

    /// One random step: set pod i (or delete it), or switch the Service variant.
    #[derive(Debug, Clone)]
    enum Step {
        Pod {
            i: usize,
            ip: u8,
            ready: bool,
            terminating: bool,
            alt_port: bool,
            hostname: bool,
        },
        Delete(usize),
        Service(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0usize..12, 1u8..10, any::<bool>(), any::<bool>(), prop::bool::weighted(0.1), any::<bool>())
                .prop_map(|(i, ip, ready, terminating, alt_port, hostname)| Step::Pod { i, ip, ready, terminating, alt_port, hostname }),
            2 => (0usize..12).prop_map(Step::Delete),
            1 => (0usize..10).prop_map(Step::Service),
        ]
    }

    /// Service variant `v`, as one stored version of one object: its own resourceVersion
    /// (the cache's version check then meets both equal and different versions).
    /// Variants 5.. are 0.. without a uid: the cache then compares the fields themselves.
    fn variant(v: usize) -> k8s::Service {
        if v >= 5 {
            return variant_spec(v - 5);
        }
        let mut svc = variant_spec(v);
        svc.metadata.uid = Some("svc-uid".into());
        svc.metadata.resource_version = Some((v + 1).to_string());
        svc
    }

    fn variant_spec(v: usize) -> k8s::Service {
        match v {
            0 => service(
                json!([{"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"}]),
                false,
                "10.96.0.1",
            ),
            1 => service(
                json!([{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                                 {"name": "named", "port": 81, "targetPort": "web", "protocol": "TCP", "appProtocol": "h2"}]),
                false,
                "10.96.0.1",
            ),
            2 => service(
                json!([{"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"}]),
                true,
                "None",
            ),
            3 => service(json!([]), false, "None"),
            _ => service(
                json!([{"port": 80, "targetPort": 0, "protocol": "TCP"}]),
                false,
                "10.96.0.1",
            ),
        }
    }

    proptest! {
        /// The cached subsets equal `subsets_of_selected` (RepackSubsets over every pod) after
        /// every step of a random sequence of pod changes, deletions and Service changes.
        #[test]
        fn cached_equals_full_computation(steps in prop::collection::vec(step(), 1..60)) {
            let mut pods: BTreeMap<usize, k8s::Pod> = BTreeMap::new();
            let mut svc = variant(0);
            let mut cache = DesiredCache::default();
            // Kept across Service changes: a memo built for other ports is not reused.
            let mut memo = PortsMemo::default();
            let mut rv = 10u64;
            let mut fast_seen = 0;
            for st in steps {
                let mut changed = BTreeSet::new();
                match st {
                    Step::Pod { i, ip, ready, terminating, alt_port, hostname } => {
                        rv += 1;
                        let (name, port) = if alt_port { ("web", 9090) } else { ("web", 8080) };
                        pods.insert(i, pod(i, rv, ip, ready, terminating, name, port, hostname));
                        changed.insert(format!("p{i}"));
                    }
                    Step::Delete(i) => {
                        pods.remove(&i);
                        changed.insert(format!("p{i}"));
                    }
                    Step::Service(v) => svc = variant(v),
                }
                let by_name: BTreeMap<String, &k8s::Pod> =
                    pods.values().map(|p| (p.metadata.name.clone().unwrap_or_default(), p)).collect();
                let changed = changed
                    .iter()
                    .map(|n| (n.as_str(), by_name.get(n.as_str()).map(|p| PodView::Api(p))));
                cache.update(&svc, Some(changed), &mut pods.values().map(PodView::Api));
                let full = subsets_of_selected(&svc, pods.values());
                prop_assert_eq!(cache.fast(&svc).is_some(), cache.fast_with(&svc, &mut memo).is_some());
                if let Some(fast) = cache.fast_with(&svc, &mut memo) {
                    fast_seen += 1;
                    prop_assert_eq!(fast.build(None, false), full.clone());
                    // The size sums (kept through reused addresses) are those of the addresses.
                    let sum = |m: &Addresses| {
                        let mut t = Tail::default();
                        for k in m.keys() {
                            t.add(address_sizes(&k.0));
                        }
                        t
                    };
                    prop_assert_eq!((fast.ready_sum, fast.not_ready_sum), (sum(fast.ready), sum(fast.not_ready)));
                    let counts: Vec<(usize, usize)> = full.iter().map(|s| {
                        (s.addresses.as_ref().map_or(0, Vec::len), s.not_ready_addresses.as_ref().map_or(0, Vec::len))
                    }).collect();
                    prop_assert_eq!(fast.counts(), counts);
                }
            }
            // The fast path is the normal case, not a rarity.
            prop_assert!(fast_seen > 0);
        }
    }

    fn ident_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            "0[0-9]{0,3}",
            "[0-9]{18,21}",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[0-9a-fA-F]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-fA-F]{12}",
            "[0-9a-f-]{34,38}",
            "[a-z0-9-]{0,12}",
        ]
    }

    proptest! {
        /// The compact UID / resourceVersion form keeps text equality exactly: `of(a).is(b)`
        /// and `of(a) == of(b)` hold exactly when `a == b`.
        #[test]
        fn ident_keeps_text_equality(a in ident_text(), b in ident_text()) {
            let (ia, ib) = (Ident::of(&a), Ident::of(&b));
            prop_assert_eq!(ia.is(&b), a == b);
            prop_assert_eq!(ia.is(&b), ia.is_parsed(&b));
            prop_assert_eq!(ia == ib, a == b);
            prop_assert!(ia.is(&a));
            // A text one character off, in every place.
            for i in 0..a.len() {
                let mut near = a.clone().into_bytes();
                near[i] = if near[i] == b'0' { b'1' } else { b'0' };
                let near = String::from_utf8(near).unwrap_or_default();
                prop_assert_eq!(ia.is(&near), a == near);
                prop_assert_eq!(ia.is(&near), ia.is_parsed(&near));
            }
        }
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            "",
            "[a-z0-9.-]{1,12}",
            ".{0,6}",
            "[<>&\"\\\\]{1,3}"
        ])
    }

    proptest! {
        /// The JSON length counted from the fields is the serialized one, or not claimed.
        #[test]
        fn plain_json_len_is_serialized_len(
            ip in prop_oneof!["", "[0-9.:a-f]{1,20}", ".{0,4}"],
            hostname in opt_text(), node in opt_text(),
            r in prop::option::of(prop::collection::vec(opt_text(), 7)),
        ) {
            let t = |v: &Option<String>| v.as_deref().map(Into::into);
            let target_ref = r.map(|f| ObjectReference {
                kind: t(&f[0]),
                namespace: t(&f[1]),
                name: t(&f[2]),
                uid: t(&f[3]),
                api_version: t(&f[4]),
                resource_version: t(&f[5]),
                field_path: t(&f[6]),
            });
            let addr = EndpointAddress { ip, hostname, node_name: t(&node), target_ref };
            if let Some(n) = plain_json_len(&addr) {
                prop_assert_eq!(n, crate::wire::json::len_go(&addr));
            }
            prop_assert_eq!(sizes_of(&addr), address_sizes(&addr));
        }
    }

    #[test]
    fn plain_json_len_of_a_pod_address() {
        let svc = variant(0);
        let p = pod(1, 5, 1, true, false, "web", 8080, true);
        let addr = crate::controllers::endpoints::pod_to_endpoint_address(&svc, &p).expect("addr");
        assert_eq!(
            plain_json_len(&addr),
            Some(crate::wire::json::len_go(&addr))
        );
    }

    #[test]
    fn ident_forms() {
        assert_eq!(Ident::of("12345"), Ident::Num(12345));
        assert_eq!(Ident::of("0"), Ident::Num(0));
        assert!(matches!(Ident::of("012"), Ident::Text(_)));
        assert!(matches!(Ident::of("18446744073709551616"), Ident::Text(_)));
        assert!(matches!(
            Ident::of("0f6a2b9e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"),
            Ident::Uuid(..)
        ));
        assert!(matches!(
            Ident::of("0F6A2B9E-1c3d-4e5f-8a9b-0c1d2e3f4a5b"),
            Ident::Text(_)
        ));
        assert!(matches!(Ident::of(""), Ident::Text(_)));
    }

    /// A pod whose address is unchanged keeps sharing it across an update (a readiness flip);
    /// a changed address (new IP, hostname) is built anew and equals the full computation's.
    #[test]
    fn unchanged_address_is_shared_again() {
        let svc = variant(2);
        let first = |c: &DesiredCache| {
            let m = if c.reg.ready.is_empty() {
                &c.reg.not_ready
            } else {
                &c.reg.ready
            };
            m.keys().next().expect("address").0.clone()
        };
        let names = |p| Some(std::iter::once(("p1", Some(PodView::Api(p)))));
        let mut cache = DesiredCache::default();
        let p = pod(1, 5, 1, false, false, "web", 8080, true);
        cache.update(&svc, names(&p), &mut std::iter::once(PodView::Api(&p)));
        let a = first(&cache);
        let p = pod(1, 6, 1, true, false, "web", 8080, true);
        cache.update(&svc, names(&p), &mut std::iter::empty());
        assert!(SharedValue::ptr_eq(&a, &first(&cache)));
        let p = pod(1, 7, 1, true, false, "web", 8080, false);
        cache.update(&svc, names(&p), &mut std::iter::empty());
        let b = first(&cache);
        assert!(!SharedValue::ptr_eq(&a, &b));
        let full = subsets_of_selected(&svc, std::iter::once(&p));
        assert_eq!(full[0].addresses.as_ref().expect("ready")[0], b);
    }

    /// A pod whose resourceVersion did not change is not recomputed (the cache trusts it),
    /// and a full rebuild (no changed names) forgets everything else.
    #[test]
    fn unchanged_resource_version_is_not_recomputed() {
        let svc = variant(0);
        let p1 = pod(1, 5, 1, true, false, "web", 8080, false);
        let mut cache = DesiredCache::default();
        let all = None::<std::iter::Empty<(&str, Option<PodView<'_>>)>>;
        cache.update(&svc, all, &mut std::iter::once(PodView::Api(&p1)));
        assert_eq!(cache.reg.ready.len(), 1);
        // Same name and RV but different content: trusted as unchanged.
        let p1b = pod(1, 5, 1, false, false, "web", 8080, false);
        let names = |p| Some(std::iter::once(("p1", Some(PodView::Api(p)))));
        cache.update(&svc, names(&p1b), &mut std::iter::empty());
        assert_eq!((cache.reg.ready.len(), cache.reg.not_ready.len()), (1, 0));
        // New RV: recomputed.
        let p1c = pod(1, 6, 1, false, false, "web", 8080, false);
        cache.update(&svc, names(&p1c), &mut std::iter::empty());
        assert_eq!((cache.reg.ready.len(), cache.reg.not_ready.len()), (0, 1));
    }
}
