//! The incremental reconcile: a sync costs work proportional to what changed since the
//! previous sync of the Service, not to the Service's size.
//!
//! Kept per Service (in [`Reconciler`]): every selected pod's conversion (by a stable id, in
//! the last lister order), the desired endpoints by identity hash, which slice holds each
//! endpoint identity (`holder`), the desired identities no slice of their port mapping holds
//! (`unheld`), and per cached slice model a `clean` verdict: at the last sync step 1 kept it
//! unchanged and nothing wrote it. A sync then
//! - re-reads only pods whose resourceVersion changed (pods without one are compared field by
//!   field, as the per-pod memo does; a node change re-checks every pod's node answer);
//! - marks dirty the slices whose model changed or that hold an identity a changed pod had
//!   or has; every other clean slice is passed to the reconcile step as clean
//!   ([`super::reconcile::reconcile_with_clean`]): step 1 keeps it unchanged without a walk;
//! - gives each port mapping's desired set only the endpoints of its dirty slices plus the
//!   unheld ones: exactly what the full desired set holds after step 1 walked the clean
//!   slices, so steps 2 and 3 pop the same endpoints.
//!
//! `PopAny` is emulated with [`crate::controllers::util::gomap::ThinnedLayout`] (the map's
//! layout as a function of its insertion sequence, pod order, and of which keys are left),
//! so the set of the few endpoints left after step 1 is built without the others; the
//! sequence (one hash per desired endpoint, an O(endpoints) loop of arithmetic) is read only
//! when something is left to place. The full recomputation
//! ([`Reconciler::full_recompute`], `reconcile_full`) uses the same emulation, so the two
//! paths give identical writes, metrics, errors and use of the random stream (the
//! differential tests below check this); fidelity of the emulation itself to upstream's Go
//! maps is carried by the distribution tests (`tests/it/conformance_distributions.rs`).
//!
//! Anything unusual falls back to treating every slice as dirty (the same result, at full
//! cost): a listing the slice cache cannot key (a slice without name or resourceVersion, or
//! a name twice), an identity held twice, two desired identities with one hash. A change
//! of the Service fields the reconcile reads, of the address types or of the options
//! resets the state.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::convert::{endpoint_ports_of, slice_from_k8s};
use super::model::{Endpoint, ServiceInfo, Slice, ADDRESS_TYPE_IPV4, ADDRESS_TYPE_IPV6};
use super::podcache::{
    convert, pod_independent_ports, ports_pod_independent, Converted, PodInputs, SharedPorts,
};
use super::podread;
use super::reconcile::{
    address_type_flags, reconcile_with_known, DesiredByPortMap, DesiredGroup, Known, PlannedWrite,
    ReconcilerOptions,
};
use super::reconciler::{
    materialize_writes, service_and_address_types, CachedSlice, Kept, NodeIndex, OwnWrite,
    PodChanges, PodInput, ReconcileResult, Reconciler, ServiceKeyed,
};
use crate::cluster::small_map::SmallMap;
use crate::controllers::endpoints::PodView;
use crate::controllers::util::{EndpointIdentity, EndpointSet, PortMapKey};
use crate::k8s;
use crate::sim::lookup_hash::ByWord;

/// What the state was built under; any difference resets it.
#[derive(Debug, Clone, PartialEq)]
struct Inputs {
    svc: ServiceInfo,
    address_types: Vec<&'static str>,
    ports: Option<Vec<k8s::ServicePort>>,
    cluster_ip: Option<String>,
    options: ReconcilerOptions,
}

impl Inputs {
    /// `self` equals the inputs `service` and `options` give (`service_and_address_types`
    /// and the Service fields), compared without building them.
    fn matches(&self, service: &k8s::Service, options: &ReconcilerOptions) -> bool {
        let (m, spec) = (&service.metadata, &service.spec);
        let svc = &self.svc;
        let cluster_ip = spec.cluster_ip.as_deref().unwrap_or("");
        svc.namespace == m.namespace.as_deref().unwrap_or("")
            && svc.name == m.name.as_deref().unwrap_or("")
            && svc.uid == m.uid.as_deref().unwrap_or("")
            && match &m.labels {
                Some(l) => svc.labels == *l,
                None => svc.labels.is_empty(),
            }
            && match &m.annotations {
                Some(a) => svc.annotations == *a,
                None => svc.annotations.is_empty(),
            }
            && svc.headless_label == (cluster_ip == "None" || cluster_ip.is_empty())
            && svc.publish_not_ready_addresses == spec.publish_not_ready_addresses.unwrap_or(false)
            && svc.traffic_distribution == spec.traffic_distribution
            && svc.deleting == m.deletion_timestamp.is_some()
            && svc.terminating_condition == options.terminating_condition
            && {
                let (v4, v6) =
                    address_type_flags(spec.ip_families.as_deref().unwrap_or_default(), cluster_ip);
                // `address_types_for_service` builds IPv4 first, then IPv6.
                let want = [(v4, ADDRESS_TYPE_IPV4), (v6, ADDRESS_TYPE_IPV6)];
                self.address_types
                    .iter()
                    .copied()
                    .eq(want.iter().filter(|w| w.0).map(|w| w.1))
            }
            && self.ports == spec.ports
            && self.cluster_ip == spec.cluster_ip
            && self.options == *options
    }
}

#[derive(Debug, Clone)]
struct Pod {
    /// Shared with the `by_name` key.
    name: Rc<str>,
    /// The resourceVersion read ([`rv_num`]).
    rv: Option<u64>,
    /// `spec.nodeName` when the node was not found (for the Node-not-found error; a found node
    /// stays found until the pod is converted again).
    node_name: Option<Box<str>>,
    conv: Converted,
    /// `ShouldPodBeInEndpoints(pod, true)`: the pod makes its port mapping exist.
    in_eps: bool,
    /// Interned port mapping.
    group: u32,
    /// Bit `ai` per address type (a Service has at most two): the endpoint is in the desired
    /// set (in_eps, node found or publishNotReadyAddresses, addresses non-empty).
    contributes: u8,
    /// Key of the pod in `IncService::order`.
    pos: usize,
    /// The last full walk that met the pod.
    walk: u64,
}

impl Pod {
    fn hash(&self, ai: usize) -> u64 {
        self.conv.endpoints[ai].identity_hash()
    }
    /// The address type indexes whose endpoint is desired ([`Pod::contributes`]).
    fn contributing(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.conv.endpoints.len()).filter(|ai| self.contributes_at(*ai))
    }
    fn contributes_at(&self, ai: usize) -> bool {
        ai < 8 && self.contributes & (1 << ai) != 0
    }
}

/// A resourceVersion as a number when it is one in canonical decimal form (what the API
/// server writes: equal numbers are then equal strings, and a `u64` costs no allocation per
/// pod). Anything else is None and never taken for unchanged: the field-by-field check
/// ([`Converted::revalidate`]) decides, as for a pod without one.
pub(super) fn rv_num(rv: &str) -> Option<u64> {
    let canonical = !rv.is_empty()
        && rv.len() <= 19
        && rv.bytes().all(|b| b.is_ascii_digit())
        && (rv.len() == 1 || !rv.starts_with('0'));
    canonical.then(|| rv.parse().ok()).flatten()
}

/// A slice's port mapping: (address type index, interned port mapping).
type GroupKey = (u8, u32);

/// What the Go-map insertion sequence reads of a pod, kept beside the pod state in a flat
/// vector (by pod id): building a port mapping's sequence walks every selected pod, and this
/// keeps that walk off the pods' heap data.
#[derive(Debug, Clone, Copy, Default)]
struct SeqEntry {
    group: u32,
    /// Bit `ai`: the pod's endpoint of address type `ai` is desired (`Pod::contributes`).
    contributes: u8,
    /// Identity hash per address type (a Service has at most two).
    hash: [u64; 2],
}

impl SeqEntry {
    fn of(p: &Pod) -> Self {
        let mut e = SeqEntry {
            group: p.group,
            ..SeqEntry::default()
        };
        for ai in p.contributing().take_while(|ai| *ai < 2) {
            e.contributes |= 1 << ai;
            e.hash[ai] = p.hash(ai);
        }
        e
    }
    /// The hash of the pod's desired endpoint of address type `ai` in port mapping `g`.
    fn desired(&self, g: u32, ai: usize) -> Option<u64> {
        (self.group == g && self.contributes & (1 << ai) != 0).then(|| self.hash[ai])
    }
}

/// Pod id by pod name: a sorted vector for the usual few pods, a hash map beyond 64 (a full
/// walk of a 10,000-pod Service looks every pod up; a tree of names compares strings ~14
/// times a lookup). Lookup only: nothing iterates it.
#[derive(Debug, Clone)]
enum NameIndex {
    Small(Vec<(Rc<str>, u32)>),
    Large(HashMap<Rc<str>, u32, ByWord>),
}

impl Default for NameIndex {
    fn default() -> Self {
        NameIndex::Small(Vec::new())
    }
}

impl NameIndex {
    const SMALL_MAX: usize = 64;

    fn get(&self, name: &str) -> Option<&u32> {
        match self {
            NameIndex::Small(v) => v
                .binary_search_by(|(k, _)| (**k).cmp(name))
                .ok()
                .map(|i| &v[i].1),
            NameIndex::Large(m) => m.get(name),
        }
    }

    /// The previous id of `name`, if any.
    fn insert(&mut self, name: Rc<str>, id: u32) -> Option<u32> {
        match self {
            NameIndex::Small(v) => match v.binary_search_by(|(k, _)| (**k).cmp(&*name)) {
                Ok(i) => Some(std::mem::replace(&mut v[i].1, id)),
                Err(i) if v.len() < Self::SMALL_MAX => {
                    v.insert(i, (name, id));
                    None
                }
                Err(_) => {
                    let mut m: HashMap<Rc<str>, u32, ByWord> =
                        std::mem::take(v).into_iter().collect();
                    m.insert(name, id);
                    *self = NameIndex::Large(m);
                    None
                }
            },
            NameIndex::Large(m) => m.insert(name, id),
        }
    }

    fn remove(&mut self, name: &str) {
        match self {
            NameIndex::Small(v) => {
                if let Ok(i) = v.binary_search_by(|(k, _)| (**k).cmp(name)) {
                    v.remove(i);
                }
            }
            NameIndex::Large(m) => {
                m.remove(name);
            }
        }
    }
}

/// What every pod update of one sync reads: the Service, its compact info and address types,
/// the node lister, whether a node changed since the previous sync, and where the touched
/// identity hashes go.
struct Ctx<'c, 'k> {
    service: &'k k8s::Service,
    svc: &'k ServiceInfo,
    ats: &'k [&'static str],
    nodes: &'k NodeIndex,
    node_changed: bool,
    /// The Service's ports do not depend on the pod ([`ports_pod_independent`]).
    numeric_ports: bool,
    touched: &'c mut Vec<u64>,
}

/// Per-Service state of the incremental reconcile (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct IncService {
    inputs: Option<Inputs>,
    pods: Vec<Option<Pod>>,
    /// Per pod id: [`SeqEntry`] of the pod (default for a free id).
    seq: Vec<SeqEntry>,
    free: Vec<u32>,
    /// Pod ids in lister order, by position: the index in the list a sync received, or
    /// (`positional`) the position in the controller manager's pod list, which changes only
    /// for the pods it reports changed.
    /// (A sorted vector for the usual few pods: the per-pod maps of this state are
    /// [`SmallMap`]s, a tree only beyond 64 entries.)
    order: SmallMap<usize, u32>,
    positional: bool,
    /// The pod state was built from a full selection (a fresh state must be).
    built: bool,
    walks: u64,
    /// [`Reconciler::sync_seq`] of the Service's previous incremental sync under this state
    /// (0: none).
    last_sync: u64,
    /// Step 1 matches passed as known so far (a test reads it: the path must be taken).
    known_matches: u64,
    by_name: NameIndex,
    node_version: u64,
    groups: Vec<PortMapKey>,
    /// Index of `groups` once they are more than 8 (empty before). Lookup only (as every
    /// hash map of this state).
    group_ids: HashMap<PortMapKey, u32, ByWord>,
    /// Per interned port mapping: the ports and key its pods' conversions share (the first
    /// pod's; a pod whose port order differs keeps its own).
    group_ports: Vec<Option<SharedPorts>>,
    /// The ports every pod converts to, when they do not depend on the pod (computed once:
    /// any change of the Service's ports resets the state).
    numeric_ports: Option<SharedPorts>,
    /// Identity hash → (pod id, address type index) of every desired endpoint.
    desired: SmallMap<u64, (u32, u8)>,
    /// Desired endpoints per port mapping.
    /// (A Service has one or two: small sorted vectors, not hash tables.)
    desired_count: SmallMap<GroupKey, usize>,
    /// Pods with `in_eps` per interned port mapping.
    in_eps_count: SmallMap<u32, usize>,
    /// Pods with `in_eps` whose node was not found.
    missing_node: usize,
    /// Identity hash → (port mapping, slice name) of every endpoint of a cached slice model
    /// of a managed address type.
    holder: SmallMap<u64, (GroupKey, Rc<str>)>,
    /// Endpoint identities found twice (in slices, or among desired endpoints).
    dups: usize,
    /// Desired identity hashes that no slice of their port mapping holds.
    unheld: BTreeSet<u64>,
}

impl IncService {
    fn intern(&mut self, key: &PortMapKey) -> u32 {
        // A Service has one or two port mappings: a scan beats hashing the key's strings.
        if self.groups.len() <= 8 {
            if let Some(g) = self.groups.iter().position(|k| k == key) {
                return g as u32;
            }
        } else if let Some(&g) = self.group_ids.get(key) {
            return g;
        }
        let g = self.groups.len() as u32;
        self.groups.push(key.clone());
        // The index exists only beyond the scanned few (built when the ninth arrives).
        if self.groups.len() > 8 {
            if self.group_ids.is_empty() {
                for (i, k) in self.groups.iter().enumerate() {
                    self.group_ids.insert(k.clone(), i as u32);
                }
            } else {
                self.group_ids.insert(key.clone(), g);
            }
        }
        g
    }

    /// Add (`add`) or withdraw a pod's contribution to the desired state; records the
    /// identity hashes it touches.
    fn contribute(&mut self, id: u32, add: bool, touched: &mut Vec<u64>) {
        let Some(p) = self.pods[id as usize].as_ref() else {
            return;
        };
        let group = p.group;
        let in_eps = p.in_eps;
        let missing = in_eps && p.conv.node.is_none();
        // At most 8 address types (`contributes` is a byte): no allocation per call.
        let mut buf = [(0usize, 0u64); 8];
        let mut n = 0;
        for ai in p.contributing() {
            buf[n] = (ai, p.hash(ai));
            n += 1;
        }
        let hashes = &buf[..n];
        let delta = |n: &mut usize| {
            if add {
                *n += 1
            } else {
                *n = n.saturating_sub(1)
            }
        };
        if in_eps {
            match self.in_eps_count.get_mut(&group) {
                Some(n) => delta(n),
                None => {
                    self.in_eps_count.insert(group, usize::from(add));
                }
            }
        }
        if missing {
            delta(&mut self.missing_node);
        }
        for &(ai, h) in hashes {
            match self.desired_count.get_mut(&(ai as u8, group)) {
                Some(n) => delta(n),
                None => {
                    self.desired_count
                        .insert((ai as u8, group), usize::from(add));
                }
            }
            if add {
                if self.desired.insert(h, (id, ai as u8)).is_some() {
                    self.dups += 1;
                }
            } else if self.desired.get(&h) == Some(&(id, ai as u8)) {
                self.desired.remove(&h);
            }
            touched.push(h);
        }
    }

    /// Convert `pod`, with the Service's shared ports when they do not depend on the pod.
    fn convert(
        &mut self,
        cx: &Ctx<'_, '_>,
        pod: PodView<'_>,
        inputs: Option<PodInputs>,
    ) -> Converted {
        let shared = if cx.numeric_ports {
            let p = self
                .numeric_ports
                .get_or_insert_with(|| pod_independent_ports(cx.service, pod));
            Some((Rc::clone(&p.0), Rc::clone(&p.1)))
        } else {
            // A named target port: the pod's ports, shared with a port mapping's when equal
            // (what `new_pod` would do after building the key: this skips building it).
            let ports = endpoint_ports_of(cx.service, pod);
            let known = self
                .group_ports
                .iter()
                .flatten()
                .find(|(p, _)| **p == ports)
                .map(|(p, k)| (Rc::clone(p), Rc::clone(k)));
            Some(known.unwrap_or_else(|| {
                let k = PortMapKey::new(&ports);
                (Rc::new(ports), Rc::new(k))
            }))
        };
        convert(
            cx.service,
            cx.svc,
            cx.ats,
            pod,
            cx.nodes,
            shared.as_ref(),
            inputs,
        )
    }

    fn new_pod(
        &mut self,
        pod: PodView<'_>,
        mut conv: Converted,
        svc: &ServiceInfo,
        ats: usize,
    ) -> Pod {
        let in_eps = podread::in_endpoints(pod, svc.include_terminating());
        let group = self.intern(&conv.port_key);
        if self.group_ports.len() <= group as usize {
            self.group_ports.resize(group as usize + 1, None);
        }
        match &self.group_ports[group as usize] {
            Some((p, k)) => {
                if Rc::ptr_eq(p, &conv.ports) || **p == *conv.ports {
                    conv.ports = Rc::clone(p);
                    conv.port_key = Rc::clone(k);
                }
            }
            None => {
                self.group_ports[group as usize] =
                    Some((Rc::clone(&conv.ports), Rc::clone(&conv.port_key)));
            }
        }
        let node_ok = conv.node.is_some() || svc.publish_not_ready_addresses;
        debug_assert!(ats <= 8, "at most two address types");
        let contributes = (0..ats.min(8))
            .filter(|&ai| in_eps && node_ok && !conv.endpoints[ai].addresses.is_empty())
            .fold(0u8, |m, ai| m | 1 << ai);
        // The endpoints' targetRef holds the pod's name already: one copy serves both.
        let name = conv
            .endpoints
            .first()
            .and_then(|e| e.target_ref.as_ref())
            .map_or_else(|| pod.name().into(), |t| Rc::clone(&t.name));
        Pod {
            name,
            rv: podread::resource_version(pod),
            node_name: conv.node.is_none().then(|| pod.node_name().into()),
            conv,
            in_eps,
            group,
            contributes,
            pos: 0,
            walk: 0,
        }
    }

    /// Whether the pod's desired contribution differs between `a` and `b`.
    fn same_contribution(a: &Pod, b: &Pod) -> bool {
        a.in_eps == b.in_eps
            && a.group == b.group
            && a.conv.node.is_none() == b.conv.node.is_none()
            && a.contributes == b.contributes
            && a.contributing()
                .all(|ai| a.conv.endpoints[ai] == b.conv.endpoints[ai])
            && a.conv.ports == b.conv.ports
    }

    fn alloc(&mut self, p: Pod) -> u32 {
        let name = Rc::clone(&p.name);
        let entry = SeqEntry::of(&p);
        let id = match self.free.pop() {
            Some(id) => {
                self.pods[id as usize] = Some(p);
                self.seq[id as usize] = entry;
                id
            }
            None => {
                self.pods.push(Some(p));
                self.seq.push(entry);
                (self.pods.len() - 1) as u32
            }
        };
        if self.by_name.insert(name, id).is_some() {
            // Two pods of one name (not possible in a namespace): the state cannot key them.
            self.dups += 1;
        }
        id
    }

    /// Bring the pod state to the selection `pods` describes; records the touched identity
    /// hashes. With the manager's change report only the reported pods are read; a fresh
    /// state, unknown changes or a node change walk the whole selection.
    fn update_pods(
        &mut self,
        service: &k8s::Service,
        svc: &ServiceInfo,
        ats: &[&'static str],
        pods: PodInput<'_, '_>,
        nodes: &NodeIndex,
        touched: &mut Vec<u64>,
    ) {
        let node_changed = self.node_version != nodes.version();
        self.node_version = nodes.version();
        let mut cx = Ctx {
            service,
            svc,
            ats,
            nodes,
            node_changed,
            numeric_ports: ports_pod_independent(service),
            touched,
        };
        match pods {
            PodInput::List(list) => {
                let walk = list
                    .iter()
                    .enumerate()
                    .map(|(i, (p, _))| (i, PodView::Api(p)));
                self.walk(&mut cx, walk);
                self.positional = false;
            }
            PodInput::Source(src) => match src.changes {
                PodChanges::Names(names) if self.built && self.positional && !node_changed => {
                    for n in names {
                        let found = (src.lookup)(n).map(|(pos, (p, _))| (pos, p));
                        self.update_one(&mut cx, n, found);
                    }
                }
                _ => {
                    let all = (src.all)();
                    let walk = all.iter().map(|(pos, (p, _))| (*pos, *p));
                    self.walk(&mut cx, walk);
                    self.positional = true;
                }
            },
        }
    }

    /// Re-read a pod the state holds (`id`) from its current version.
    fn refresh(&mut self, cx: &mut Ctx<'_, '_>, id: u32, pod: PodView<'_>) {
        let rv = podread::resource_version(pod);
        let Some(p) = self.pods[id as usize].as_mut() else {
            return;
        };
        if rv.is_some() && p.rv == rv && !cx.node_changed {
            return;
        }
        let inputs = match p.conv.revalidate(pod, cx.nodes) {
            Ok(()) => {
                p.rv = rv;
                return;
            }
            Err(inputs) => inputs,
        };
        let (pos, walk) = (p.pos, p.walk);
        let conv = self.convert(cx, pod, inputs);
        let mut fresh = self.new_pod(pod, conv, cx.svc, cx.ats.len());
        fresh.pos = pos;
        fresh.walk = walk;
        let old = self.pods[id as usize].as_ref();
        if old.is_some_and(|o| Self::same_contribution(o, &fresh)) {
            self.pods[id as usize] = Some(fresh);
        } else {
            self.contribute(id, false, cx.touched);
            self.seq[id as usize] = SeqEntry::of(&fresh);
            self.pods[id as usize] = Some(fresh);
            self.contribute(id, true, cx.touched);
        }
    }

    /// Add a pod the state does not hold, at `pos`.
    fn add(&mut self, cx: &mut Ctx<'_, '_>, pos: usize, pod: PodView<'_>) -> u32 {
        let conv = self.convert(cx, pod, None);
        let mut fresh = self.new_pod(pod, conv, cx.svc, cx.ats.len());
        fresh.pos = pos;
        fresh.walk = self.walks;
        let id = self.alloc(fresh);
        self.contribute(id, true, cx.touched);
        id
    }

    /// Withdraw and forget a pod (its order entry is the caller's).
    fn drop_pod(&mut self, id: u32, touched: &mut Vec<u64>) {
        self.contribute(id, false, touched);
        if let Some(p) = self.pods[id as usize].take() {
            if self.by_name.get(&p.name) == Some(&id) {
                self.by_name.remove(&p.name);
            }
        }
        self.seq[id as usize] = SeqEntry::default();
        self.free.push(id);
    }

    /// The whole selection, `(position, pod)` in lister order.
    fn walk<'p>(&mut self, cx: &mut Ctx<'_, '_>, pods: impl Iterator<Item = (usize, PodView<'p>)>) {
        self.walks += 1;
        let walk = self.walks;
        let mut order = SmallMap::default();
        for (pos, pod) in pods {
            let known = self.by_name.get(pod.name()).copied().filter(|&id| {
                self.pods[id as usize]
                    .as_ref()
                    .is_some_and(|p| p.walk != walk)
            });
            let id = match known {
                Some(id) => {
                    self.refresh(cx, id, pod);
                    id
                }
                None => self.add(cx, pos, pod),
            };
            if let Some(p) = self.pods[id as usize].as_mut() {
                p.pos = pos;
                p.walk = walk;
            }
            order.insert(pos, id);
        }
        let old = std::mem::replace(&mut self.order, order);
        for &id in old.values() {
            if self.pods[id as usize]
                .as_ref()
                .is_some_and(|p| p.walk != walk)
            {
                self.drop_pod(id, cx.touched);
            }
        }
        self.built = true;
    }

    /// One reported pod: `found` = its position and state now, None = gone or unselected.
    /// Position entries are moved or removed only if they still name this pod: a pod that
    /// took the position over is reported too.
    fn update_one(
        &mut self,
        cx: &mut Ctx<'_, '_>,
        name: &str,
        found: Option<(usize, PodView<'_>)>,
    ) {
        let id = self.by_name.get(name).copied();
        match (found, id) {
            (Some((pos, pod)), Some(id)) => {
                if let Some(p) = self.pods[id as usize].as_mut() {
                    if p.pos != pos {
                        let old = std::mem::replace(&mut p.pos, pos);
                        if self.order.get(&old) == Some(&id) {
                            self.order.remove(&old);
                        }
                        self.order.insert(pos, id);
                    }
                }
                self.refresh(cx, id, pod);
            }
            (Some((pos, pod)), None) => {
                let id = self.add(cx, pos, pod);
                self.order.insert(pos, id);
            }
            (None, Some(id)) => {
                if let Some(pos) = self.pods[id as usize].as_ref().map(|p| p.pos) {
                    if self.order.get(&pos) == Some(&id) {
                        self.order.remove(&pos);
                    }
                }
                self.drop_pod(id, cx.touched);
            }
            (None, None) => {}
        }
    }

    /// The port mapping of a slice model, if it is of a managed address type and owned.
    fn slice_group(&mut self, s: &Slice, ats: &[&'static str]) -> Option<GroupKey> {
        if !s.owned {
            return None;
        }
        let ai = ats.iter().position(|a| *a == s.address_type)?;
        // Sorted ports are their own key: found without building one.
        if s.ports.windows(2).all(|w| w[0] <= w[1]) && self.groups.len() <= 8 {
            if let Some(g) = self.groups.iter().position(|k| k.0 == s.ports) {
                return Some((ai as u8, g as u32));
            }
        }
        Some((ai as u8, self.intern(&PortMapKey::new(&s.ports))))
    }

    fn hold(&mut self, s: &Slice, ats: &[&'static str], add: bool, touched: &mut Vec<u64>) {
        let Some(g) = self.slice_group(s, ats) else {
            return;
        };
        let hashes: Vec<u64> = s.endpoints.iter().map(|e| e.identity_hash()).collect();
        self.hold_hashes(g, &s.name, &hashes, add, touched);
    }

    /// [`Self::hold`] of the given identity hashes of slice `name` in port mapping `g`.
    fn hold_hashes(
        &mut self,
        g: GroupKey,
        name: &str,
        hashes: &[u64],
        add: bool,
        touched: &mut Vec<u64>,
    ) {
        let shared: Option<Rc<str>> = add.then(|| Rc::from(name));
        for &h in hashes {
            touched.push(h);
            if let Some(name) = &shared {
                match self.holder.get(&h) {
                    Some(_) => self.dups += 1,
                    None => {
                        self.holder.insert(h, (g, Rc::clone(name)));
                    }
                }
            } else if self
                .holder
                .get(&h)
                .is_some_and(|(hg, n)| *hg == g && **n == *name)
            {
                self.holder.remove(&h);
            }
        }
    }

    /// A slice model replaced by a newer one of the same name: the identity hashes only the
    /// old model holds and those only the new one holds (as multisets), when both are in the
    /// same port mapping and the index is consistent (no identity held twice); None = hold
    /// the two models in full. Identities both hold keep their holder, so a rewritten slice
    /// of a big Service re-holds (and touches) only the endpoints that moved.
    fn replaced_hashes(
        &mut self,
        old: &Slice,
        new: &Slice,
        ats: &[&'static str],
    ) -> Option<(GroupKey, Vec<u64>, Vec<u64>)> {
        if self.dups > 0 {
            return None;
        }
        let g = self.slice_group(old, ats)?;
        if self.slice_group(new, ats)? != g {
            return None;
        }
        let mut a: Vec<u64> = old.endpoints.iter().map(|e| e.identity_hash()).collect();
        let mut b: Vec<u64> = new.endpoints.iter().map(|e| e.identity_hash()).collect();
        a.sort_unstable();
        b.sort_unstable();
        let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => {
                    only_a.push(*x);
                    i += 1;
                }
                (Some(_), Some(y)) => {
                    only_b.push(*y);
                    j += 1;
                }
                (Some(x), None) => {
                    only_a.push(*x);
                    i += 1;
                }
                (None, Some(y)) => {
                    only_b.push(*y);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        Some((g, only_a, only_b))
    }

    /// The desired version of the endpoint with identity hash `h` of slice `name` (port
    /// mapping `g`) when step 1's match for it is known: its pod did not change since the
    /// slice was verified (`pod_touched`, sorted, holds the identities of changed pods) and
    /// the identity is desired in `g`. Called only while no identity is held twice: the
    /// slice is then the identity's holder (every cached model is held).
    fn known_match(&self, h: u64, g: GroupKey, pod_touched: &[u64]) -> Option<&Endpoint> {
        if pod_touched.binary_search(&h).is_ok() {
            return None;
        }
        let &(id, a) = self.desired.get(&h)?;
        // The flat `seq` row answers group and contribution without touching the pod's
        // heap data (this runs for every endpoint of a verified dirty slice).
        if a != g.0 || self.seq[id as usize].desired(g.1, a as usize).is_none() {
            return None;
        }
        let p = self.pods[id as usize].as_ref()?;
        Some(&p.conv.endpoints[a as usize])
    }

    fn refresh_unheld(&mut self, h: u64) {
        let want = self.desired.get(&h).is_some_and(|&(id, ai)| {
            let Some(p) = self.pods[id as usize].as_ref() else {
                return false;
            };
            let g = (ai, p.group);
            !self.holder.get(&h).is_some_and(|(hg, _)| *hg == g)
        });
        if want {
            self.unheld.insert(h);
        } else {
            self.unheld.remove(&h);
        }
    }
}

/// Buffers of a sync kept by the reconciler between syncs: cleared and refilled, never
/// reallocated once grown (a small sync's fixed cost was mostly such allocations).
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// The Service key (`namespace/name`) of the sync under way.
    pub(super) key: String,
    touched: Vec<u64>,
    pod_touched: Vec<u64>,
    hit: Vec<bool>,
    verified: Vec<bool>,
    clean: Vec<bool>,
    fresh: Vec<usize>,
    dirty: Vec<bool>,
    first: Vec<(u32, u32)>,
    slice_groups: Vec<Option<GroupKey>>,
    /// Emptied by every sync (its models move on to the own writes).
    updates: Vec<Slice>,
}

impl Scratch {
    /// `namespace/name` in the kept key buffer, taken out (put it back in `key`).
    pub(super) fn service_key(&mut self, namespace: &str, name: &str) -> String {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push_str(namespace);
        key.push('/');
        key.push_str(name);
        key
    }
}

/// `v` emptied, then `n` times `x` (the buffer kept).
fn refill<T: Clone>(v: &mut Vec<T>, n: usize, x: T) {
    v.clear();
    v.resize(n, x);
}

/// The value of `key` taken out of `map` in place (default when absent).
fn take_entry<V: Default>(map: &mut ServiceKeyed<V>, key: &str) -> V {
    map.get_mut(key).map(std::mem::take).unwrap_or_default()
}

/// Put `value` back as the value of `key` (in place when the entry is there).
fn put_entry<V>(map: &mut ServiceKeyed<V>, key: &str, value: V) {
    match map.get_mut(key) {
        Some(v) => *v = value,
        None => {
            map.insert(key.to_string(), value);
        }
    }
}

impl Reconciler {
    /// The incremental sync (see the module docs); None = the caller runs the full one.
    pub(super) fn reconcile_incremental(
        &mut self,
        service: &k8s::Service,
        pods: PodInput<'_, '_>,
        existing: &[&k8s::EndpointSlice],
        nodes: &NodeIndex,
        trigger_time: Option<&str>,
        rng: &mut ChaCha8Rng,
    ) -> Option<ReconcileResult> {
        // The slice cache needs unique names with resourceVersions.
        {
            let keyed = |es: &&k8s::EndpointSlice| {
                !es.metadata.name.as_deref().unwrap_or("").is_empty()
                    && !es
                        .metadata
                        .resource_version
                        .as_deref()
                        .unwrap_or("")
                        .is_empty()
            };
            let ok = existing.iter().all(keyed)
                && (existing.len() < 2 || {
                    let mut names = BTreeSet::new();
                    existing
                        .iter()
                        .all(|es| names.insert(es.metadata.name.as_deref()))
                });
            if !ok {
                return None;
            }
        }
        // `ServiceInfo::key` of the Service, built without the info (in a kept buffer).
        let mut scratch = std::mem::take(&mut self.scratch);
        let svc_key = scratch.service_key(
            service.metadata.namespace.as_deref().unwrap_or(""),
            service.metadata.name.as_deref().unwrap_or(""),
        );
        // The Service's entries are taken out in place and put back at the end (removing and
        // re-inserting them in maps of every Service cost more than the rest of a small sync).
        let mut old = take_entry(&mut self.slice_cache, &svc_key);
        let mut own = take_entry(&mut self.own_writes, &svc_key);
        // Creates of an earlier sync that storage never returned (a failed write) are obsolete.
        self.own_creates.remove(&svc_key);
        let mut st: Box<IncService> = self
            .inc
            .get_mut(&svc_key)
            .and_then(Option::take)
            .unwrap_or_default();
        // Compared in place, and the kept info read by this sync (building the Service's info
        // copies its names, labels and annotations every sync).
        let kept = st
            .inputs
            .take()
            .filter(|i| i.matches(service, &self.options));
        let same_inputs = kept.is_some();
        let inputs = kept.unwrap_or_else(|| {
            let (svc, address_types) = service_and_address_types(service, &self.options);
            Inputs {
                svc,
                address_types,
                ports: service.spec.ports.clone(),
                cluster_ip: service.spec.cluster_ip.clone(),
                options: self.options,
            }
        });
        let (svc, ats) = (&inputs.svc, &inputs.address_types);
        if !same_inputs {
            *st = IncService::default();
            for c in old.values_mut() {
                c.clean = false;
            }
            // Re-hold every cached model under the fresh state.
            let mut t = Vec::new();
            let models: Vec<Slice> = old.values().map(|c| c.slice.clone()).collect();
            for m in &models {
                st.hold(m, ats, true, &mut t);
            }
        }
        let mut touched = std::mem::take(&mut scratch.touched);
        touched.clear();
        st.update_pods(service, svc, ats, pods, nodes, &mut touched);
        // Identities whose pods changed since the previous sync (sorted).
        let mut pod_touched = std::mem::take(&mut scratch.pod_touched);
        pod_touched.clone_from(&touched);
        pod_touched.sort_unstable();
        pod_touched.dedup();
        self.sync_seq += 1;
        let seq = self.sync_seq;
        let prev_sync = std::mem::replace(&mut st.last_sync, seq);

        // Slice models: reuse a cached model whose resourceVersion (and owner UID) is
        // unchanged; re-hold the identities of replaced and vanished ones.
        // Two passes: withdraw replaced and vanished models first, so an identity that moved
        // between slices is not taken for one held twice.
        // The map is updated in place (a map rebuilt per sync cost a node allocation and a
        // move of every entry): `origin` None marks an entry no listed slice has named yet.
        let mut cached = std::mem::take(&mut old);
        for c in cached.values_mut() {
            c.slice.origin = None;
        }
        let mut hit = std::mem::take(&mut scratch.hit);
        refill(&mut hit, existing.len(), false);
        // The model's endpoints were each the desired version of its pod at the previous
        // sync (a slice that sync left clean, or that it wrote itself).
        let mut verified = std::mem::take(&mut scratch.verified);
        refill(&mut verified, existing.len(), false);
        let mut fresh = std::mem::take(&mut scratch.fresh);
        fresh.clear();
        // Replaced models held by difference: (port mapping, slice name, hashes to hold).
        let mut rehold: Vec<(GroupKey, usize, Vec<u64>)> = Vec::new();
        for (i, es) in existing.iter().enumerate() {
            let name = es.metadata.name.as_deref().unwrap_or("");
            let rv = es.metadata.resource_version.as_deref().unwrap_or("");
            if let Some(c) = cached
                .get_mut(name)
                .filter(|c| c.resource_version == rv && c.service_uid == svc.uid)
            {
                c.slice.origin = Some(i);
                hit[i] = true;
                verified[i] = c.clean;
                continue;
            }
            let reuse = own.get(name).is_some_and(|w| {
                w.resource_version.as_deref() == Some(rv) && w.service_uid == svc.uid
            });
            let slice = match reuse.then(|| own.remove(name)).flatten() {
                Some(w) => {
                    verified[i] = prev_sync != 0 && w.made_at == prev_sync;
                    let mut s = w.slice;
                    s.origin = Some(i);
                    #[cfg(test)]
                    assert_eq!(s, slice_from_k8s(es, svc, i), "own write {name}");
                    s
                }
                None => slice_from_k8s(es, svc, i),
            };
            let prev = cached.get(name);
            let diff = prev.and_then(|p| st.replaced_hashes(&p.slice, &slice, ats));
            match diff {
                Some((g, gone, new)) => {
                    st.hold_hashes(g, name, &gone, false, &mut touched);
                    rehold.push((g, i, new));
                }
                None => {
                    if let Some(p) = prev {
                        st.hold(&p.slice, ats, false, &mut touched);
                    }
                    fresh.push(i);
                }
            }
            match cached.get_mut(name) {
                // In place: the strings keep their buffers (a rewritten slice every sync).
                Some(c) => {
                    c.resource_version.clear();
                    c.resource_version.push_str(rv);
                    if c.service_uid != svc.uid {
                        c.service_uid.clone_from(&svc.uid);
                    }
                    c.slice = slice;
                    c.clean = false;
                }
                None => {
                    let entry = CachedSlice {
                        resource_version: rv.to_string(),
                        service_uid: svc.uid.clone(),
                        slice,
                        clean: false,
                    };
                    cached.insert(name.to_string(), Box::new(entry));
                }
            }
        }
        // Vanished models (in key order, as before).
        cached.retain(|_, c| {
            let listed = c.slice.origin.is_some();
            if !listed {
                st.hold(&c.slice, ats, false, &mut touched);
            }
            listed
        });
        for &i in &fresh {
            if let Some(c) = cached.get(existing[i].metadata.name.as_deref().unwrap_or("")) {
                st.hold(&c.slice, ats, true, &mut touched);
            }
        }
        for (g, i, new) in rehold {
            let name = existing[i].metadata.name.as_deref().unwrap_or("");
            st.hold_hashes(g, name, &new, true, &mut touched);
        }
        // Identities found twice: rebuild the holder and desired indexes (they may be
        // consistent again) and treat every slice as dirty while any remain.
        if st.dups > 0 {
            st.dups = 0;
            st.holder = SmallMap::default();
            let mut t = Vec::new();
            for c in cached.values() {
                st.hold(&c.slice, ats, true, &mut t);
            }
            st.desired = SmallMap::default();
            for &id in st.order.values() {
                if let Some(p) = st.pods[id as usize].as_ref() {
                    for ai in p.contributing() {
                        if st.desired.insert(p.hash(ai), (id, ai as u8)).is_some() {
                            st.dups += 1;
                        }
                    }
                }
            }
            st.unheld.clear();
            let all: Vec<u64> = st.desired.keys().copied().collect();
            for h in all {
                st.refresh_unheld(h);
            }
        }
        let all_dirty = st.dups > 0;
        touched.sort_unstable();
        touched.dedup();
        for &h in &touched {
            st.refresh_unheld(h);
        }
        // Per cached model (by position): a touched identity's holder.
        let mut dirty = std::mem::take(&mut scratch.dirty);
        refill(&mut dirty, cached.count(), false);
        for &h in &touched {
            if let Some((_, n)) = st.holder.get(&h) {
                if let Some(j) = cached.position(n) {
                    dirty[j] = true;
                }
            }
        }
        // Each listed slice's model, looked up once for the passes below.
        let slots: Vec<Option<&CachedSlice>> = existing
            .iter()
            .map(|es| cached.get(es.metadata.name.as_deref().unwrap_or("")))
            .collect();
        let mut clean = std::mem::take(&mut scratch.clean);
        clean.clear();
        clean.extend(existing.iter().enumerate().map(|(i, es)| {
            let n = es.metadata.name.as_deref().unwrap_or("");
            !all_dirty
                && hit[i]
                && !cached.position(n).is_some_and(|j| dirty[j])
                && slots[i].is_some_and(|c| c.clean)
        }));

        // Port mappings in order of first appearance among the pods that should be in
        // endpoints (the full path creates each group, drawing its map's hash seed, there).
        let mut first = std::mem::take(&mut scratch.first); // (group, first pod id)
        first.clear();
        let present = st.in_eps_count.values().filter(|n| **n > 0).count();
        for &id in st.order.values() {
            if first.len() == present {
                break;
            }
            if let Some(p) = st.pods[id as usize].as_ref() {
                if p.in_eps && !first.iter().any(|(g, _)| *g == p.group) {
                    first.push((p.group, id));
                }
            }
        }
        let mut errors = Vec::new();
        let mut desired: BTreeMap<&'static str, DesiredByPortMap<&Endpoint>> = BTreeMap::new();
        // Endpoints of dirty slices, by port mapping (step 1 will match them), except those
        // of verified slices whose pods did not change: their matches are known.
        let mut slice_groups = std::mem::take(&mut scratch.slice_groups);
        slice_groups.clear();
        slice_groups.extend(slots.iter().enumerate().map(|(i, c)| {
            if clean[i] {
                return None;
            }
            st.slice_group(&(*c)?.slice, ats)
        }));
        // By port mapping: a Service has one or two (a scan, no table).
        let mut dirty_held: Vec<(GroupKey, Vec<u64>)> = Vec::new();
        let mut known: Known<&Endpoint> = vec![None; existing.len()];
        let mut n_known = 0u64;
        for (i, slot) in slots.iter().enumerate() {
            let Some(g) = slice_groups[i] else {
                continue;
            };
            let Some(c) = slot else {
                continue;
            };
            let at = match dirty_held.iter().position(|(k, _)| *k == g) {
                Some(at) => at,
                None => {
                    dirty_held.push((g, Vec::new()));
                    dirty_held.len() - 1
                }
            };
            let v = &mut dirty_held[at].1;
            if verified[i] && !all_dirty {
                let mut k = Vec::with_capacity(c.slice.endpoints.len());
                let mut any = false;
                for e in &c.slice.endpoints {
                    let h = e.identity_hash();
                    let d = st.known_match(h, g, &pod_touched);
                    if d.is_none() {
                        v.push(h);
                    }
                    if d.is_some() {
                        any = true;
                        n_known += 1;
                    }
                    k.push(d);
                }
                if any {
                    known[i] = Some(k);
                }
            } else {
                v.extend(c.slice.endpoints.iter().map(|e| e.identity_hash()));
            }
        }
        for (ai, at) in ats.iter().enumerate() {
            let groups = desired.entry(*at).or_default();
            for &(g, first_pod) in &first {
                let seed: u64 = rng.gen();
                let key = (ai as u8, g);
                let unheld: Vec<u64> = if all_dirty {
                    Vec::new()
                } else {
                    st.unheld
                        .iter()
                        .copied()
                        .filter(|h| {
                            st.desired.get(h).is_some_and(|&(id, a)| {
                                a as usize == ai
                                    && st.pods[id as usize].as_ref().is_some_and(|p| p.group == g)
                            })
                        })
                        .collect()
                };
                // The insertion sequence (pod order) is needed only if something will be
                // left to place after step 1, or when every slice is dirty.
                let sequence: Vec<u64> = if all_dirty || !unheld.is_empty() {
                    st.order
                        .values()
                        .filter_map(|&id| st.seq[id as usize].desired(g, ai))
                        .collect()
                } else {
                    Vec::new()
                };
                let mut set: EndpointSet<&Endpoint> = EndpointSet::thinned_over(seed, sequence);
                let pod_ep = |h: u64| -> Option<&Endpoint> {
                    let &(id, a) = st.desired.get(&h)?;
                    if a as usize != ai || st.seq[id as usize].desired(g, ai).is_none() {
                        return None;
                    }
                    let p = st.pods[id as usize].as_ref()?;
                    Some(&p.conv.endpoints[ai])
                };
                if all_dirty {
                    for &id in st.order.values() {
                        if let Some(p) = st.pods[id as usize].as_ref() {
                            if p.group == g && p.contributes_at(ai) {
                                set.insert(&p.conv.endpoints[ai]);
                            }
                        }
                    }
                } else {
                    let held = dirty_held.iter().find(|(k, _)| *k == key);
                    for h in held.into_iter().flat_map(|(_, v)| v) {
                        if let Some(e) = pod_ep(*h) {
                            set.insert(e);
                        }
                    }
                    for h in unheld {
                        if let Some(e) = pod_ep(h) {
                            set.insert(e);
                        }
                    }
                }
                // The first pod's ports and key (its key is the group's), shared.
                let (ports, port_key) = match st.pods[first_pod as usize].as_ref() {
                    Some(p) => (Rc::clone(&p.conv.ports), Rc::clone(&p.conv.port_key)),
                    None => (Rc::default(), Rc::new(st.groups[g as usize].clone())),
                };
                groups.insert(
                    port_key,
                    DesiredGroup {
                        ports,
                        endpoints: set,
                        total: Some(st.desired_count.get(&key).copied().unwrap_or(0)),
                    },
                );
            }
            if st.missing_node > 0 && !svc.publish_not_ready_addresses {
                for &id in st.order.values() {
                    let Some(p) = st.pods[id as usize].as_ref() else {
                        continue;
                    };
                    if p.in_eps && p.conv.node.is_none() {
                        errors.push(format!(
                            "skipping Pod {} for Service {}/{}: Node {} Not Found",
                            p.name,
                            svc.namespace,
                            svc.name,
                            p.node_name.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
        }

        let model: Vec<&Slice> = slots.iter().flatten().map(|c| &c.slice).collect();
        let topology = self
            .options
            .topology_cache_enabled
            .then_some(&mut self.topology);
        let plan = reconcile_with_known(
            svc,
            ats,
            &model,
            desired,
            &self.options,
            topology,
            &clean,
            &mut known,
            rng,
        );
        drop(known);
        st.known_matches += n_known;
        drop(model);
        drop(slots);

        // A slice nothing wrote was kept unchanged by step 1: clean until its model or one
        // of its endpoints' pods changes.
        // Per cached model (by position; the buffer of `dirty`, read no more).
        let mut written = dirty;
        refill(&mut written, cached.count(), false);
        for w in &plan.writes {
            let name = match w {
                PlannedWrite::Update(s) => s.name.as_str(),
                PlannedWrite::Delete { name, .. } => name.as_str(),
                PlannedWrite::Create(_) => continue,
            };
            if let Some(j) = cached.position(name) {
                written[j] = true;
            }
        }
        for (c, w) in cached.values_mut().zip(&written) {
            c.clean = !all_dirty && !w;
        }
        put_entry(&mut self.slice_cache, &svc_key, cached);
        // An observed write the listing does not show yet (a lagging informer lists an older
        // resourceVersion) is kept for a later sync; any other is obsolete.
        // A Service with few slices scans its listing instead (no table per sync).
        let listed_rv: HashMap<&str, u64, ByWord> =
            if own.is_empty() || existing.len() <= super::listed::LISTING_SCAN {
                HashMap::default()
            } else {
                existing
                    .iter()
                    .filter_map(|es| {
                        let rv = es.metadata.resource_version.as_deref()?.parse().ok()?;
                        Some((es.metadata.name.as_deref().unwrap_or(""), rv))
                    })
                    .collect()
            };
        own.retain(|name, w| {
            let ahead = w
                .resource_version
                .as_deref()
                .and_then(|r| r.parse::<u64>().ok());
            let listed = if existing.len() <= super::listed::LISTING_SCAN {
                // Names are unique (checked above): the one of this name, if listed.
                existing
                    .iter()
                    .find(|es| es.metadata.name.as_deref().unwrap_or("") == name)
                    .and_then(|es| es.metadata.resource_version.as_deref()?.parse().ok())
            } else {
                listed_rv.get(name.as_str()).copied()
            };
            matches!((ahead, listed), (Some(a), Some(l)) if l < a)
        });

        let (mut updates, mut creates) = (std::mem::take(&mut scratch.updates), Vec::new());
        updates.clear();
        let kept = Kept {
            updates: &mut updates,
            creates: &mut creates,
        };
        let writes = materialize_writes(plan.writes, svc, existing, trigger_time, Some(kept));
        let own_write = |slice: Slice| OwnWrite {
            service_uid: svc.uid.clone(),
            resource_version: None,
            slice,
            made_at: seq,
        };
        for s in updates.drain(..).filter(|s| !s.name.is_empty()) {
            own.insert(s.name.clone(), own_write(s));
        }
        if !creates.is_empty() {
            let creates = creates.into_iter().map(own_write).collect();
            self.own_creates.insert(svc_key.clone(), creates);
        }
        // An emptied map is dropped (its table would stay allocated) but its entry stays
        // (readers treat an empty map as none).
        if !own.is_empty() {
            put_entry(&mut self.own_writes, &svc_key, own);
        } else if let Some(e) = self.own_writes.get_mut(&svc_key) {
            *e = Default::default();
        }
        st.inputs = Some(inputs);
        put_entry(&mut self.inc, &svc_key, Some(st));
        scratch.key = svc_key;
        scratch.touched = touched;
        scratch.pod_touched = pod_touched;
        scratch.hit = hit;
        scratch.verified = verified;
        scratch.clean = clean;
        scratch.fresh = fresh;
        scratch.dirty = written;
        scratch.first = first;
        scratch.slice_groups = slice_groups;
        scratch.updates = updates;
        self.scratch = scratch;
        Some(ReconcileResult {
            writes,
            metrics: plan.metrics,
            errors,
        })
    }
}

/// Differential tests: the incremental reconcile against the full recomputation
/// (`Reconciler::full_recompute`), which uses the same Go-map emulation
/// ([`crate::controllers::util::gomap::ThinnedLayout`]) — so writes, metrics, errors and the
/// random stream's state must be identical after every sync. (Fidelity of that emulation to
/// upstream is the distribution tests' claim, not these.)
#[cfg(test)]
mod tests {
    use crate::controllers::endpoints::PodView;
    use proptest::prelude::*;
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use serde_json::json;

    use super::super::reconcile::ReconcilerOptions;
    use super::super::reconciler::{
        select_pods, EndpointSliceController, NodeIndex, PodSource, SliceWrite, SyncOutcome,
    };
    use crate::apiserver::{Shared, Store};
    use crate::controllers::manager::pods::{Consumer, PodList};
    use crate::k8s;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct P {
        exists: bool,
        ready: bool,
        node: u8,
        ip: u8,
        port: u8,
        rv: u32,
        terminal: bool,
        /// Labelled `app: b` instead of `app: a` (outside the narrow selector).
        other_app: bool,
        /// Ready condition's lastTransitionTime, seconds after 08:56:00.
        since: u8,
    }

    fn pod(i: usize, p: &P) -> k8s::Pod {
        let ip = format!("10.{}.0.{}", p.ip, i);
        let mut ports = vec![json!({"name": "x", "containerPort": 7000, "protocol": "TCP"})];
        if p.port < 2 {
            ports.push(json!({"name": "http", "containerPort": 8080 + i32::from(p.port), "protocol": "TCP"}));
        }
        let app = if p.other_app { "b" } else { "a" };
        let since = format!("2026-01-05T08:56:{:02}Z", p.since % 60);
        serde_json::from_value(json!({
            "metadata": {"name": format!("p{i}"), "namespace": "default", "uid": format!("u{i}"),
                         "resourceVersion": format!("{}", p.rv), "labels": {"app": app}},
            "spec": {"nodeName": format!("n{}", p.node), "containers": [{"name": "c", "ports": ports}]},
            "status": {"phase": if p.terminal {"Succeeded"} else {"Running"}, "podIP": ip, "podIPs": [{"ip": ip}],
                       "conditions": [{"type": "Ready", "status": if p.ready {"True"} else {"False"},
                                       "lastTransitionTime": since}]}
        }))
        .expect("pod")
    }

    /// Pods `p0..` on node `n0`, Ready as `ready` says, all at resourceVersion `rv`, with the
    /// named port `http` at 8080 + `port`.
    fn ready_pods(ready: &[bool], rv: u32, port: u8) -> Vec<k8s::Pod> {
        (0..ready.len())
            .map(|i| {
                pod(
                    i,
                    &P {
                        exists: true,
                        ready: ready[i],
                        node: 0,
                        ip: 0,
                        port,
                        rv,
                        terminal: false,
                        other_app: false,
                        since: 0,
                    },
                )
            })
            .collect()
    }

    fn service(publish: bool, label: bool, hints: bool) -> k8s::Service {
        service_selecting(publish, label, hints, false)
    }

    /// `any_app`: an empty selector (every pod of the namespace) instead of `app: a`.
    fn service_selecting(publish: bool, label: bool, hints: bool, any_app: bool) -> k8s::Service {
        let mut labels = serde_json::Map::new();
        if label {
            labels.insert("team".into(), json!("x"));
        }
        let mut ann = serde_json::Map::new();
        if hints {
            ann.insert("service.kubernetes.io/topology-mode".into(), json!("Auto"));
        }
        serde_json::from_value(json!({
            "metadata": {"name": "s", "namespace": "default", "uid": "su", "labels": labels,
                         "annotations": ann, "creationTimestamp": "2026-01-05T08:55:00Z"},
            "spec": {"selector": if any_app { json!({}) } else { json!({"app": "a"}) },
                     "clusterIP": "10.96.0.1", "ipFamilies": ["IPv4"],
                     "publishNotReadyAddresses": publish,
                     "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"}]}
        }))
        .expect("service")
    }

    #[derive(Debug, Clone)]
    enum Op {
        Flip(usize),
        Toggle(usize),
        Move(usize, u8),
        NewIp(usize),
        Port(usize, u8),
        Terminal(usize),
        Zone(u8, u8),
        DropNode(u8),
        Publish,
        Label,
        Hints,
        /// The next sync's `n`-th write is lost (a conflict).
        Lose(usize),
        /// The pod's label moves in or out of the narrow selector.
        Relabel(usize),
        /// The pod's Ready transition time moves (earlier or later).
        Since(usize, u8),
        /// The Service's selector switches between narrow and empty.
        Selector,
        /// This sync lists the slices as they were before the previous sync's writes (a
        /// lagging informer: stale when that sync wrote).
        Lag,
        Nothing,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..40usize).prop_map(Op::Flip),
            4 => (0..40usize).prop_map(Op::Toggle),
            1 => (0..40usize, 0..5u8).prop_map(|(i, n)| Op::Move(i, n)),
            1 => (0..40usize).prop_map(Op::NewIp),
            1 => (0..40usize, 0..3u8).prop_map(|(i, p)| Op::Port(i, p)),
            1 => (0..40usize).prop_map(Op::Terminal),
            1 => (0..4u8, 0..3u8).prop_map(|(n, z)| Op::Zone(n, z)),
            1 => (0..4u8).prop_map(Op::DropNode),
            1 => Just(Op::Publish),
            1 => Just(Op::Label),
            1 => Just(Op::Hints),
            1 => (0..4usize).prop_map(Op::Lose),
            1 => (0..40usize).prop_map(Op::Relabel),
            1 => (0..40usize, 0..4u8).prop_map(|(i, t)| Op::Since(i, t)),
            1 => Just(Op::Selector),
            1 => Just(Op::Lag),
            2 => Just(Op::Nothing),
        ]
    }

    struct Side {
        ctl: EndpointSliceController,
        store: Store<k8s::EndpointSlice>,
        shared: Shared,
        rng: ChaCha8Rng,
        /// The slices before the previous sync's writes (what a lagging informer lists).
        before: Vec<k8s::EndpointSlice>,
    }

    /// How a side receives the pods.
    enum Pods<'a> {
        /// The whole selection, in list order.
        All(&'a [k8s::Pod]),
        /// The controller manager's pod index, with the changes collected since the last
        /// sync (given back when the sync is stale, as the manager does).
        Index(&'a mut PodList),
    }

    impl Side {
        fn new(full: bool, max: usize) -> Self {
            let mut ctl = EndpointSliceController::new(ReconcilerOptions {
                max_endpoints_per_slice: max,
                ..ReconcilerOptions::default()
            });
            ctl.reconciler.full_recompute = full;
            Side {
                ctl,
                store: Store::new(),
                shared: Shared::new(3, "2026-01-05T09:00:00Z".into()),
                rng: ChaCha8Rng::seed_from_u64(9),
                before: Vec::new(),
            }
        }
        fn sync(
            &mut self,
            svc: &k8s::Service,
            pods: &[k8s::Pod],
            nodes: &NodeIndex,
            lose: Option<usize>,
        ) -> SyncOutcome {
            self.sync_from(svc, Pods::All(pods), nodes, lose, false)
        }
        fn sync_from(
            &mut self,
            svc: &k8s::Service,
            pods: Pods<'_>,
            nodes: &NodeIndex,
            lose: Option<usize>,
            lag: bool,
        ) -> SyncOutcome {
            let now: Vec<k8s::EndpointSlice> = self.store.list().into_iter().cloned().collect();
            let shown = if lag { &self.before } else { &now };
            let listed: Vec<&k8s::EndpointSlice> = shown.iter().collect();
            let out = match pods {
                Pods::All(pods) => {
                    let sel = select_pods(svc, pods);
                    self.ctl
                        .sync_service(svc, &sel, &listed, nodes, &mut self.rng)
                }
                Pods::Index(list) => {
                    let name = "s";
                    let changes = list.take_changes_for(name, Consumer::EndpointSlice);
                    let out = {
                        let l: &PodList = list;
                        let lookup = |p: &str| {
                            l.selected_pod_at(name, p)
                                .map(|(i, p, t)| (i, (PodView::Api(p), t)))
                        };
                        let all = || {
                            l.selected_at(name)
                                .into_iter()
                                .map(|(i, p, t)| (i, (PodView::Api(p), t)))
                                .collect()
                        };
                        let src = PodSource {
                            changes: &changes,
                            lookup: &lookup,
                            all: &all,
                        };
                        self.ctl
                            .sync_service_changed(svc, &src, &listed, nodes, &mut self.rng)
                    };
                    if out == SyncOutcome::Stale {
                        list.restore_changes(name, Consumer::EndpointSlice, changes);
                    }
                    out
                }
            };
            drop(listed);
            self.before = now;
            if let SyncOutcome::Reconciled(r) = &out {
                for (k, w) in r.writes.iter().enumerate() {
                    if Some(k) == lose {
                        continue;
                    }
                    match w.clone() {
                        SliceWrite::Create(s) => {
                            if let Ok(o) = self.store.create(&mut self.shared, s) {
                                self.ctl.observe_write(&o);
                            }
                        }
                        SliceWrite::Update(s) => {
                            if let Ok(o) = self.store.update(&mut self.shared, s) {
                                self.ctl.observe_write(&o.object);
                            }
                        }
                        SliceWrite::Delete(s) => {
                            let n = s.metadata.name.as_deref().unwrap_or("");
                            if let Ok(o) = self.store.delete("default", n) {
                                self.ctl.observe_delete(&o);
                            }
                        }
                    }
                }
            }
            out
        }
    }

    /// `f` with every endpoint copied, not shared (`convert::PLAIN_COPIES`).
    fn plain<T>(f: impl FnOnce() -> T) -> T {
        use crate::controllers::endpointslice::convert::PLAIN_COPIES;
        PLAIN_COPIES.with(|c| c.set(true));
        let out = f();
        PLAIN_COPIES.with(|c| c.set(false));
        out
    }

    fn check(n_pods: usize, max: usize, hints: bool, ops: &[Op]) -> Result<(), TestCaseError> {
        let mut ps: Vec<P> = (0..40)
            .map(|i| P {
                exists: i < n_pods,
                ready: i % 3 != 0,
                node: (i % 4) as u8,
                ip: 0,
                port: (i % 5 == 0) as u8,
                rv: 1,
                terminal: false,
                other_app: false,
                since: 0,
            })
            .collect();
        let mut zones = [0u8, 1, 2, 0];
        let mut present = [true; 4];
        let (mut publish, mut label, mut hint, mut any_app) = (false, false, hints, false);
        let mut inc = Side::new(false, max);
        let mut full = Side::new(true, max);
        let mut rv = 2;
        let mut lose = None;
        // The incremental side reads the pods through the controller manager's index (its
        // list order is the one both sides see), the full side the whole list.
        let mut index = PodList::tracking(false, true);
        let mut indexed: Vec<Option<P>> = vec![None; 40];
        for (step, o) in std::iter::once(&Op::Nothing).chain(ops).enumerate() {
            let mut bump = |p: &mut P| {
                rv += 1;
                p.rv = rv;
            };
            match *o {
                Op::Flip(i) => {
                    ps[i].ready = !ps[i].ready;
                    bump(&mut ps[i]);
                }
                Op::Toggle(i) => {
                    ps[i].exists = !ps[i].exists;
                    bump(&mut ps[i]);
                }
                Op::Move(i, n) => {
                    ps[i].node = n;
                    bump(&mut ps[i]);
                }
                Op::NewIp(i) => {
                    ps[i].ip += 1;
                    bump(&mut ps[i]);
                }
                Op::Port(i, p) => {
                    ps[i].port = p;
                    bump(&mut ps[i]);
                }
                Op::Terminal(i) => {
                    ps[i].terminal = !ps[i].terminal;
                    bump(&mut ps[i]);
                }
                Op::Zone(n, z) => zones[n as usize] = z,
                Op::DropNode(n) => present[n as usize] = !present[n as usize],
                Op::Publish => publish = !publish,
                Op::Label => label = !label,
                Op::Hints => hint = !hint,
                Op::Lose(k) => lose = Some(k),
                Op::Relabel(i) => {
                    ps[i].other_app = !ps[i].other_app;
                    bump(&mut ps[i]);
                }
                Op::Since(i, t) => {
                    ps[i].since = t * 20;
                    bump(&mut ps[i]);
                }
                Op::Selector => any_app = !any_app,
                Op::Lag | Op::Nothing => {}
            }
            // The pod informer: changed pods only, removals swap the last pod into the hole.
            for (i, p) in ps.iter().enumerate() {
                let want = p.exists.then_some(*p);
                if indexed[i] != want {
                    match want {
                        Some(p) => {
                            index.insert(format!("p{i}"), pod(i, &p));
                        }
                        None => {
                            index.remove(&format!("p{i}"));
                        }
                    }
                    indexed[i] = want;
                }
            }
            let pods: Vec<k8s::Pod> = index.as_slice().to_vec();
            let mut nodes = NodeIndex::default();
            for n in 0..4 {
                if present[n] {
                    nodes.insert(format!("n{n}"), Some(format!("z{}", zones[n])));
                }
            }
            let svc = service_selecting(publish, label, hint, any_app);
            index.set_service("s", svc.spec.selector.as_ref());
            let lag = matches!(o, Op::Lag);
            let a = inc.sync_from(&svc, Pods::Index(&mut index), &nodes, lose, lag);
            // The full side builds every endpoint as a fresh copy: shared endpoint values
            // (taken over by pointer, written forms memoised) must give the same writes.
            let b = plain(|| full.sync_from(&svc, Pods::All(&pods), &nodes, lose, lag));
            if !matches!(o, Op::Lose(_)) {
                lose = None;
            }
            prop_assert_eq!(&a, &b, "step {} op {:?}", step, o);
            prop_assert_eq!(
                inc.rng.next_u64(),
                full.rng.next_u64(),
                "rng after step {}",
                step
            );
            let sa: Vec<&k8s::EndpointSlice> = inc.store.list();
            let sb: Vec<&k8s::EndpointSlice> = full.store.list();
            prop_assert_eq!(sa, sb, "stores after step {}", step);
            prop_assert!(
                inc.ctl.trigger_times == full.ctl.trigger_times,
                "trigger-time state after step {}",
                step
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn incremental_equals_full(
            n_pods in 0..40usize,
            max in 1..12usize,
            hints in any::<bool>(),
            ops in proptest::collection::vec(op(), 1..30),
        ) {
            check(n_pods, max, hints, &ops)?;
        }
    }

    /// A big Service where one pod changes per sync: step 1 takes the known matches of the
    /// unchanged endpoints of the slices the previous sync wrote or left clean, and the
    /// result stays the full recomputation's.
    #[test]
    fn known_matches_are_used_and_agree_with_full() {
        let svc = service(false, false, false);
        let mut nodes = NodeIndex::default();
        nodes.insert("n0".into(), Some("z0".into()));
        let mut inc = Side::new(false, 5);
        let mut full = Side::new(true, 5);
        let mut ready = [true; 40];
        let (mut shared_eps, mut plain_shared) = (0usize, 0usize);
        for step in 0..30u32 {
            if step > 0 {
                let i = (step as usize * 7) % 40;
                ready[i] = !ready[i];
            }
            let pods = ready_pods(&ready, step + 1, 1);
            let prev: Vec<Vec<k8s::EndpointSlice>> = [&inc, &full]
                .iter()
                .map(|side| side.store.list().into_iter().cloned().collect())
                .collect();
            let a = inc.sync(&svc, &pods, &nodes, None);
            let b = plain(|| full.sync(&svc, &pods, &nodes, None));
            assert_eq!(a, b, "step {step}");
            assert_eq!(
                inc.store.list(),
                full.store.list(),
                "stores after step {step}"
            );
            // A rewritten slice holds its unchanged endpoints' very values of the previous
            // version (the path is taken: the plain side never shares).
            for (k, (side, n)) in [(&inc, &mut shared_eps), (&full, &mut plain_shared)]
                .into_iter()
                .enumerate()
            {
                for s in side.store.list() {
                    let Some(p) = prev[k].iter().find(|p| {
                        p.metadata.name == s.metadata.name
                            && p.metadata.resource_version != s.metadata.resource_version
                    }) else {
                        continue;
                    };
                    *n += s
                        .endpoint_list()
                        .iter()
                        .filter(|e| {
                            p.endpoint_list()
                                .iter()
                                .any(|q| k8s::SharedValue::ptr_eq(e, q))
                        })
                        .count();
                }
            }
        }
        assert!(
            shared_eps > 50,
            "endpoints shared across versions: {shared_eps}"
        );
        assert_eq!(
            plain_shared, 0,
            "the plain side never shares: the count can fail"
        );
        let used: u64 = inc
            .ctl
            .reconciler
            .inc
            .values()
            .flatten()
            .map(|s| s.known_matches)
            .sum();
        assert!(used > 100, "known matches used: {used}");
    }

    /// The slices a sync creates are the controller's own writes: at the next sync their
    /// models hold the very endpoints the pod conversions hold (no copy converted back from
    /// the stored objects), and the writes stay the full recomputation's. A create storage
    /// returns changed (here: another write observed in its place) is converted instead.
    #[test]
    fn created_slices_keep_the_written_endpoints() {
        let svc = service(false, false, false);
        let mut nodes = NodeIndex::default();
        nodes.insert("n0".into(), Some("z0".into()));
        let mk = |ready: &[bool], rv: u32| ready_pods(ready, rv, 1);
        // (endpoints of the cached models shared with a pod conversion, all endpoints)
        let shared_with_pods = |side: &Side| -> (usize, usize) {
            let r = &side.ctl.reconciler;
            let st = r.inc["default/s"].as_deref().expect("state");
            let pod_eps: Vec<&super::Endpoint> = st
                .pods
                .iter()
                .flatten()
                .flat_map(|p| p.conv.endpoints.iter())
                .collect();
            let models = &r.slice_cache["default/s"];
            let all: Vec<&super::Endpoint> = models
                .values()
                .flat_map(|c| c.slice.endpoints.iter())
                .collect();
            let shared = all
                .iter()
                .filter(|e| pod_eps.iter().any(|p| super::Endpoint::ptr_eq(e, p)))
                .count();
            (shared, all.len())
        };
        let mut inc = Side::new(false, 5);
        let mut full = Side::new(true, 5);
        let mut ready = vec![true; 23];
        for step in 0..5u32 {
            if step == 2 {
                // More pods: the sync creates a slice beside updates.
                ready.extend([true; 6]);
            }
            if step == 3 {
                ready[4] = false;
            }
            let pods = mk(&ready, step + 1);
            let a = inc.sync(&svc, &pods, &nodes, None);
            let b = plain(|| full.sync(&svc, &pods, &nodes, None));
            assert_eq!(a, b, "step {step}");
            assert_eq!(inc.store.list(), full.store.list(), "step {step}");
            if step > 0 {
                // At step 3 the listed slice still holds pod 4's endpoint before its change.
                let (shared, all) = shared_with_pods(&inc);
                let stale = usize::from(step == 3);
                assert!(all >= 23, "step {step}: {all} endpoints");
                assert_eq!(
                    shared + stale,
                    all,
                    "step {step}: endpoints shared with pods"
                );
            }
        }
        assert!(inc.ctl.reconciler.own_creates.is_empty());
        // A created slice observed as another object: the pending creates are dropped and the
        // next sync converts the stored slices (equal writes, nothing shared for them).
        let mut inc = Side::new(false, 5);
        let pods = mk(&ready, 1);
        let SyncOutcome::Reconciled(r) = inc.sync(&svc, &pods, &nodes, Some(0)) else {
            panic!("reconciled");
        };
        let SliceWrite::Create(lost) = &r.writes[0] else {
            panic!("a create first: {:?}", r.writes[0]);
        };
        // The lost create stored now, as if written by someone else (a copy, not shared).
        let mut other = lost.clone();
        other.endpoints = other.endpoints.map(|v| {
            v.iter()
                .map(|e| k8s::SharedValue::new((**e).clone()))
                .collect()
        });
        let stored = inc.store.create(&mut inc.shared, other).expect("create");
        inc.ctl.observe_write(&stored);
        let pods = mk(&ready, 2);
        let a = inc.sync(&svc, &pods, &nodes, None);
        assert!(matches!(a, SyncOutcome::Reconciled(_)), "{a:?}");
        let (shared, all) = shared_with_pods(&inc);
        assert!(
            shared < all,
            "the foreign slice's endpoints are converted copies"
        );
    }

    /// The name index answers as a hash map on both sides of its vector/map boundary.
    #[test]
    fn name_index_equals_hash_map() {
        use std::collections::HashMap;
        use std::rc::Rc;
        let mut a = super::NameIndex::default();
        let mut b: HashMap<String, u32> = HashMap::new();
        let mut x = 7u64;
        for step in 0..4000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let name = format!("p{}", (x >> 33) % 150);
            match (x >> 20) % 3 {
                0 => {
                    a.remove(&name);
                    b.remove(&name);
                }
                _ => assert_eq!(
                    a.insert(Rc::from(name.as_str()), step),
                    b.insert(name.clone(), step)
                ),
            }
            assert_eq!(a.get(&name), b.get(&name), "step {step}");
        }
        assert!(matches!(a, super::NameIndex::Large(_)));
    }

    /// Equal numbers only for equal strings: anything but canonical decimal is None (never
    /// taken for an unchanged resourceVersion).
    #[test]
    fn rv_num_is_exact() {
        use super::rv_num;
        assert_eq!(rv_num("0"), Some(0));
        assert_eq!(rv_num("123"), Some(123));
        assert_eq!(rv_num("18446744073709551615"), None, "20 digits");
        for s in ["", "+1", "01", "00", "1a", " 1", "-1", "1.0"] {
            assert_eq!(rv_num(s), None, "{s:?}");
        }
    }

    /// A test that cannot fail is a defect: the comparison above does see a difference when
    /// the incremental path is wrong (here, a clean verdict that ignores changed pods).
    #[test]
    fn differential_detects_a_wrong_clean_verdict() {
        let mut ps = [true; 12];
        let svc = service(false, false, false);
        let mut nodes = NodeIndex::default();
        nodes.insert("n0".into(), Some("z0".into()));
        let mut inc = Side::new(false, 4);
        let mut full = Side::new(true, 4);
        let mk = |ps: &[bool; 12], rv: u32| ready_pods(ps, rv, 0);
        let pods = mk(&ps, 1);
        assert_eq!(
            inc.sync(&svc, &pods, &nodes, None),
            full.sync(&svc, &pods, &nodes, None)
        );
        ps[5] = false;
        // Same resourceVersion: the incremental path trusts it and misses the change.
        let pods = mk(&ps, 1);
        assert_ne!(
            inc.sync(&svc, &pods, &nodes, None),
            full.sync(&svc, &pods, &nodes, None)
        );
    }

    /// The same for the change report: a pod change the index does not report (its report
    /// lost) is missed by the incremental sync, and the comparison sees it.
    #[test]
    fn differential_detects_an_unreported_change() {
        let svc = service(false, false, false);
        let mut nodes = NodeIndex::default();
        nodes.insert("n0".into(), Some("z0".into()));
        let mut index = PodList::tracking(false, true);
        let mk = |i: usize, ready: bool, rv: u32| {
            let p = P {
                exists: true,
                ready,
                node: 0,
                ip: 0,
                port: 0,
                rv,
                terminal: false,
                other_app: false,
                since: 0,
            };
            pod(i, &p)
        };
        for i in 0..8 {
            index.insert(format!("p{i}"), mk(i, true, 1));
        }
        index.set_service("s", svc.spec.selector.as_ref());
        let mut inc = Side::new(false, 4);
        let mut full = Side::new(true, 4);
        let pods = index.as_slice().to_vec();
        assert_eq!(
            inc.sync_from(&svc, Pods::Index(&mut index), &nodes, None, false),
            full.sync_from(&svc, Pods::All(&pods), &nodes, None, false)
        );
        index.insert("p3".into(), mk(3, false, 2));
        let _lost = index.take_changes_for("s", Consumer::EndpointSlice);
        let pods = index.as_slice().to_vec();
        assert_ne!(
            inc.sync_from(&svc, Pods::Index(&mut index), &nodes, None, false),
            full.sync_from(&svc, Pods::All(&pods), &nodes, None, false)
        );
    }
}
