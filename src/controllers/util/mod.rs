//! Helpers shared by the EndpointSlice-producing controllers (k8s.io/endpointslice/util): endpoint identity, port-map keys, equality beyond hash, EndpointSlice tracker.
//!
//! Everything here is generic over "an endpoint" and "a port" through the small
//! [`EndpointIdentity`] trait and the [`SlicePort`] struct, so the EndpointSlice
//! controller and the mirroring controller share one implementation.
//!
//! Upstream keys endpoints and port lists by md5 hashes
//! (kubernetes/endpointslice :: util/endpointset.go :: hashEndpoint,
//! util/controller_utils.go :: NewPortMapKey (v0.32.13)). The hash values
//! themselves are never observable (they are only map keys), so slicesim uses
//! injective structural keys instead: equal keys ⇔ equal hash inputs.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

pub mod gomap;
pub mod intern;
pub mod tracker;
use gomap::{GoMapLayout, ThinnedLayout};
pub use tracker::EndpointSliceTracker;

/// Identity of an endpoint: exactly the fields upstream feeds into
/// `hashEndpoint` — the addresses (sorted), hostname (or ""), and the
/// targetRef's namespace and name. The targetRef UID is *not* part of it, so a
/// StatefulSet pod recreated with the same name and IP is the same endpoint.
///
/// cite: kubernetes/endpointslice :: util/endpointset.go :: hashEndpoint (v0.32.13)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EndpointKey {
    /// Addresses, sorted (upstream sorts `endpoint.Addresses` in place before hashing).
    pub addresses: Vec<String>,
    /// `hostname`, "" when unset.
    pub hostname: String,
    /// `targetRef.namespace`, "" when there is no targetRef.
    pub target_namespace: String,
    /// `targetRef.name`, "" when there is no targetRef.
    pub target_name: String,
}

/// Borrowed view of an [`EndpointKey`] (addresses already sorted). [`identity_hash_of_ref`]
/// hashes the same fields as [`identity_hash`] of the owned key, so a sync can hash 20,000
/// endpoints without cloning their strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointKeyRef<'a> {
    pub addresses: &'a [String],
    pub hostname: &'a str,
    pub target_namespace: &'a str,
    pub target_name: &'a str,
}

/// Anything that can be stored in an [`EndpointSet`].
pub trait EndpointIdentity {
    /// The identity key (see [`EndpointKey`]).
    fn endpoint_key(&self) -> EndpointKey;
    /// `identity_hash(&self.endpoint_key())`; implementations may borrow or cache it
    /// (it places the endpoint in the emulated Go map, so it must be exactly that value).
    fn identity_hash(&self) -> u64 {
        identity_hash(&self.endpoint_key())
    }
    /// `self.endpoint_key() == other.endpoint_key()`, possibly without building the keys.
    fn same_identity(&self, other: &Self) -> bool {
        self.endpoint_key() == other.endpoint_key()
    }
    /// `self.endpoint_key() == *key`, possibly without building the key.
    fn has_key(&self, key: &EndpointKey) -> bool {
        self.endpoint_key() == *key
    }
}

impl<E: EndpointIdentity> EndpointIdentity for &E {
    fn endpoint_key(&self) -> EndpointKey {
        (**self).endpoint_key()
    }
    fn identity_hash(&self) -> u64 {
        (**self).identity_hash()
    }
    fn same_identity(&self, other: &Self) -> bool {
        (**self).same_identity(*other)
    }
    fn has_key(&self, key: &EndpointKey) -> bool {
        (**self).has_key(key)
    }
}

/// One port of an EndpointSlice (`discovery/v1.EndpointPort`), in the compact
/// form the controllers compute with. All fields are pointers upstream.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SlicePort {
    pub name: Option<String>,
    pub port: Option<i32>,
    pub protocol: Option<String>,
    pub app_protocol: Option<String>,
}

/// Key of a port mapping: all endpoints whose resolved port lists are equal (as
/// sets in upstream's hash order) share slices.
///
/// Upstream (`NewPortMapKey`) sorts the ports by the md5 of their deep dump and
/// hashes the sorted list; an empty list and a nil list give the same key (the
/// placeholder slice and pods with no resolvable port land in the same group).
/// Here the key is the port list sorted by the derived order, which is
/// injective for the same inputs.
///
/// cite: kubernetes/endpointslice :: util/controller_utils.go :: NewPortMapKey (v0.32.13)
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PortMapKey(pub Vec<SlicePort>);

impl PortMapKey {
    /// Build the key of a port list (order of `ports` does not matter).
    pub fn new(ports: &[SlicePort]) -> Self {
        let mut v = ports.to_vec();
        v.sort();
        PortMapKey(v)
    }
}

/// A set of endpoints keyed by identity (upstream `EndpointSet`, a map from hash
/// to endpoint).
///
/// Upstream's `PopAny` returns the first element a Go map iteration meets;
/// Go randomises the start of every iteration and the hash seed of every map,
/// but the layout (which bucket, which slot) is fixed per map, so the choice is
/// *not* uniform: early-inserted keys (lower slots) and keys after holes left
/// by deletes come first more often. slicesim keeps an emulated Go map layout
/// ([`gomap::GoMapLayout`], hash seed from [`EndpointSet::with_hash_seed`]) and
/// draws the iteration start from a caller-supplied *seeded* generator
/// ([`EndpointSet::pop_any`]). Picking in a fixed order (e.g. sorted by IP)
/// would correlate slice membership with IP allocation order, which makes
/// later syncs touch fewer slices than upstream does. Elements live in a `Vec`
/// with a key → position index, so lookups are O(log n); `iter` is insertion
/// order (until a removal).
///
/// cite: kubernetes/endpointslice :: util/endpointset.go :: EndpointSet.PopAny (v0.32.13)
#[derive(Debug, Clone)]
pub struct EndpointSet<E> {
    /// Live elements with their slot id; insertion order until a removal (swap-remove).
    items: Vec<(u32, E)>,
    /// Per slot id (never reused within a set): the key's hash, where the element sits in
    /// `items`, and the next slot with the same hash. Identity is compared on the element
    /// itself ([`EndpointIdentity::same_identity`]), so no key is stored.
    slots: Vec<Slot>,
    /// Key hash → first slot with that hash (a chain through `Slot::next`, so distinct keys
    /// with equal hashes stay distinct). The key is hashed once per operation and that
    /// hash serves both this index and the Go layout; keys are stored once (a sync of a
    /// 20,000-endpoint Service used to clone every key twice and search ordered maps).
    index: HashMap<u64, u32, BuildHasherDefault<PreHashed>>,
    /// Where each key would sit in upstream's Go map (decides `pop_any`), by slot id.
    layout: Layout,
}

/// How a set emulates its Go map (see [`EndpointSet::thinned`]).
#[derive(Debug, Clone)]
enum Layout {
    /// Replayed insert by insert ([`GoMapLayout`]).
    Go(GoMapLayout<u32>),
    /// Computed from the insertion sequence when first popped ([`ThinnedLayout`]); `None`
    /// until then (and again after an insert).
    Thinned(u64, Option<ThinnedLayout>),
    /// As `Thinned`, but the insertion sequence is given (key hashes of every key ever
    /// inserted, in order) and the set holds only the keys still present, in any order.
    Over(u64, Vec<u64>, Option<ThinnedLayout>),
}

#[derive(Debug, Clone)]
struct Slot {
    hash: u64,
    pos: usize,
    next: Option<u32>,
    /// Still in the set (slots of removed keys stay: their insertion counts for the layout).
    live: bool,
}

/// Hasher for keys that are already well-mixed 64-bit hashes (the key is its own hash).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

impl<E> Default for EndpointSet<E> {
    fn default() -> Self {
        EndpointSet {
            items: Vec::new(),
            slots: Vec::new(),
            index: HashMap::default(),
            layout: Layout::Go(GoMapLayout::new(0)),
        }
    }
}

/// The stable hash of an endpoint identity (what decides its place in the emulated Go map):
/// [`crate::sim::hash::StableHasher`] over the address count, each address, hostname, targetRef
/// namespace and name (strings length-prefixed).
fn endpoint_fields_hash(addresses: &[String], hostname: &str, ns: &str, name: &str) -> u64 {
    let mut h = crate::sim::hash::StableHasher::new();
    h.u64(addresses.len() as u64);
    for a in addresses {
        h.str(a);
    }
    h.str(hostname).str(ns).str(name).finish()
}

/// The stable hash of an endpoint identity (what decides its place in the emulated Go map).
pub fn identity_hash(key: &EndpointKey) -> u64 {
    endpoint_fields_hash(
        &key.addresses,
        &key.hostname,
        &key.target_namespace,
        &key.target_name,
    )
}

/// [`identity_hash`] of a borrowed key (the same value for the same fields).
pub fn identity_hash_of_ref(key: &EndpointKeyRef<'_>) -> u64 {
    endpoint_fields_hash(
        key.addresses,
        key.hostname,
        key.target_namespace,
        key.target_name,
    )
}

impl<E: EndpointIdentity> EndpointSet<E> {
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty set whose Go-map hash seed is `seed` (upstream: a fresh
    /// random `hash0` per map); draw it from the caller's seeded stream.
    pub fn with_hash_seed(seed: u64) -> Self {
        EndpointSet {
            layout: Layout::Go(GoMapLayout::new(seed)),
            ..Self::default()
        }
    }
    /// An empty set emulating its Go map as a [`ThinnedLayout`] (hash seed `seed`): the
    /// layout is a function of the insertion sequence and of which keys are still present,
    /// computed at the first `pop_any`. Equal to the replayed layout of
    /// [`EndpointSet::with_hash_seed`] except for maps still growing (see
    /// [`ThinnedLayout`]); lets [`EndpointSet::thinned_from`] build the set of a few
    /// remaining keys of a big map without the others.
    pub fn thinned(seed: u64) -> Self {
        EndpointSet {
            layout: Layout::Thinned(seed, None),
            ..Self::default()
        }
    }
    /// The thinned set that results from inserting, in order, one key per item of `inserted`
    /// (its identity hash) and then removing those whose element is `None`: equal in
    /// content and in `pop_any` choices to building [`EndpointSet::thinned`] that way, at
    /// the cost of a hash per removed key instead of an insert and a remove.
    /// The thinned set of a map into which keys with the hashes `sequence` were inserted in
    /// that order; the caller then [`EndpointSet::insert`]s only the elements still present
    /// (any order; each hash must occur in `sequence`, or it is placed after all of them).
    /// Equal in `pop_any` choices to [`EndpointSet::thinned_from`] over the same sequence;
    /// the sequence is read only at the first `pop_any`.
    pub fn thinned_over(seed: u64, sequence: Vec<u64>) -> Self {
        EndpointSet {
            layout: Layout::Over(seed, sequence, None),
            ..Self::default()
        }
    }
    pub fn thinned_from(seed: u64, inserted: impl IntoIterator<Item = (u64, Option<E>)>) -> Self {
        let mut s = Self::thinned(seed);
        for (h, e) in inserted {
            let id = u32::try_from(s.slots.len()).expect("fewer than 2^32 inserts");
            match e {
                Some(e) => {
                    let next = s.index.insert(h, id);
                    s.slots.push(Slot {
                        hash: h,
                        pos: s.items.len(),
                        next,
                        live: true,
                    });
                    s.items.push((id, e));
                }
                None => s.slots.push(Slot {
                    hash: h,
                    pos: usize::MAX,
                    next: None,
                    live: false,
                }),
            }
        }
        s
    }
    /// Slot id of the element with hash `h` that `same` accepts, if present.
    fn find_by(&self, h: u64, mut same: impl FnMut(&E) -> bool) -> Option<u32> {
        let mut cur = self.index.get(&h).copied();
        while let Some(id) = cur {
            let slot = &self.slots[id as usize];
            if same(&self.items[slot.pos].1) {
                return Some(id);
            }
            cur = slot.next;
        }
        None
    }
    /// Insert (or replace: a second endpoint with the same identity overwrites the first, as upstream).
    pub fn insert(&mut self, e: E) {
        let h = e.identity_hash();
        match self.find_by(h, |x| x.same_identity(&e)) {
            Some(id) => {
                let pos = self.slots[id as usize].pos;
                self.items[pos].1 = e;
            }
            None => {
                let id = u32::try_from(self.slots.len()).expect("fewer than 2^32 inserts");
                match &mut self.layout {
                    Layout::Go(l) => l.insert(id, h),
                    Layout::Thinned(_, built) | Layout::Over(_, _, built) => *built = None,
                }
                let next = self.index.insert(h, id);
                self.slots.push(Slot {
                    hash: h,
                    pos: self.items.len(),
                    next,
                    live: true,
                });
                self.items.push((id, e));
            }
        }
    }
    pub fn get(&self, key: &EndpointKey) -> Option<&E> {
        let id = self.find_by(identity_hash(key), |x| x.has_key(key))?;
        Some(&self.items[self.slots[id as usize].pos].1)
    }
    pub fn remove(&mut self, key: &EndpointKey) -> Option<E> {
        let h = identity_hash(key);
        let id = self.find_by(h, |x| x.has_key(key))?;
        Some(self.remove_id(id, h))
    }
    /// Remove the element whose identity hash is `h` and that `same` accepts (the caller
    /// compares identities; lets a probe of another type, e.g. an existing slice's
    /// endpoint, find its desired counterpart without building a key).
    pub fn remove_matching(&mut self, h: u64, same: impl FnMut(&E) -> bool) -> Option<E> {
        let id = self.find_by(h, same)?;
        Some(self.remove_id(id, h))
    }
    fn remove_id(&mut self, id: u32, h: u64) -> E {
        self.remove_id_with(id, h, true)
    }
    /// `in_layout`: also take the key out of the layout (false: the caller popped it there).
    fn remove_id_with(&mut self, id: u32, h: u64, in_layout: bool) -> E {
        // Unlink from the hash chain.
        let next = self.slots[id as usize].next;
        if self.index.get(&h) == Some(&id) {
            match next {
                Some(n) => {
                    self.index.insert(h, n);
                }
                None => {
                    self.index.remove(&h);
                }
            }
        } else {
            let mut cur = self.index.get(&h).copied();
            while let Some(c) = cur {
                if self.slots[c as usize].next == Some(id) {
                    self.slots[c as usize].next = next;
                    break;
                }
                cur = self.slots[c as usize].next;
            }
        }
        match &mut self.layout {
            Layout::Go(l) => {
                l.remove(&id, h);
            }
            Layout::Thinned(_, Some(built)) | Layout::Over(_, _, Some(built)) if in_layout => {
                built.remove(id);
            }
            Layout::Thinned(..) | Layout::Over(..) => {}
        }
        let slot = &mut self.slots[id as usize];
        slot.next = None;
        slot.live = false;
        let i = slot.pos;
        let (_, e) = self.items.swap_remove(i);
        if let Some(&(moved, _)) = self.items.get(i) {
            self.slots[moved as usize].pos = i;
        }
        e
    }
    pub fn contains(&self, key: &EndpointKey) -> bool {
        self.find_by(identity_hash(key), |x| x.has_key(key))
            .is_some()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Remove and return the element upstream's `PopAny` would return: the
    /// first one a Go map iteration with a random start (drawn from `rng`)
    /// meets in the emulated bucket layout (see [`gomap`]).
    pub fn pop_any<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) -> Option<E> {
        // Every layout yields nothing, drawing nothing, when no key is present.
        if self.items.is_empty() {
            return None;
        }
        if let Layout::Over(seed, sequence, None) = &self.layout {
            let l = self.layout_over(*seed, sequence);
            if let Layout::Over(_, _, built) = &mut self.layout {
                *built = Some(l);
            }
        }
        let (id, popped) = match &mut self.layout {
            Layout::Go(l) => (l.first(rng)?, false),
            Layout::Thinned(seed, built) => {
                let slots = &self.slots;
                let l = built.get_or_insert_with(|| {
                    ThinnedLayout::build(
                        *seed,
                        slots
                            .iter()
                            .enumerate()
                            .map(|(id, s)| (id as u32, s.hash, s.live)),
                    )
                });
                (l.pop_first(rng)?, true)
            }
            Layout::Over(_, _, built) => {
                let l = built.as_mut()?;
                (l.pop_first(rng)?, true)
            }
        };
        let h = self.slots[id as usize].hash;
        Some(self.remove_id_with(id, h, !popped))
    }
    /// The [`ThinnedLayout`] of an `Over` set: each sequence position takes the live slot of
    /// its hash (the first unused one of equal hashes); live slots no position names come
    /// after the whole sequence, in slot order. The sequence is the whole port mapping (every
    /// desired endpoint of a big Service) while the set holds the few left to place, so only
    /// positions whose hash passes a bit filter of the live hashes look at the index. The
    /// filter is sized to the live keys (64 bits per key, up to 2^16 bits): a zeroed 8 KB
    /// filter per pop of a small Service's sync was a tenth of the envelope's page clearing.
    /// Its size changes only which positions look at the index, never what they find.
    fn layout_over(&self, seed: u64, sequence: &[u64]) -> ThinnedLayout {
        let live = self.slots.iter().filter(|s| s.live).count() as u64;
        let filter_bits: u64 = (live * 64).next_power_of_two().clamp(64, 1 << 16);
        let mut filter = vec![0u64; (filter_bits / 64) as usize];
        let bit = |h: u64| ((h % filter_bits) / 64, h % 64);
        for slot in self.slots.iter().filter(|s| s.live) {
            let (w, b) = bit(slot.hash);
            filter[w as usize] |= 1 << b;
        }
        let mut used = vec![false; self.slots.len()];
        let mut named: Vec<(usize, u32)> = Vec::new();
        for (i, &h) in sequence.iter().enumerate() {
            let (w, b) = bit(h);
            if filter[w as usize] & (1 << b) == 0 {
                continue;
            }
            let mut cur = self.index.get(&h).copied();
            while let Some(id) = cur {
                if !used[id as usize] && self.slots[id as usize].live {
                    used[id as usize] = true;
                    named.push((i, id));
                    break;
                }
                cur = self.slots[id as usize].next;
            }
        }
        let unnamed: Vec<(u32, u64)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(id, s)| s.live && !used[*id])
            .map(|(id, s)| (id as u32, s.hash))
            .collect();
        let total = sequence.len() + unnamed.len();
        let hashes = sequence
            .iter()
            .copied()
            .chain(unnamed.iter().map(|&(_, h)| h));
        let present = named.into_iter().chain(
            unnamed
                .iter()
                .enumerate()
                .map(|(k, &(id, _))| (sequence.len() + k, id)),
        );
        ThinnedLayout::build_sparse(seed, total, hashes, present)
    }
    /// Insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.items.iter().map(|(_, e)| e)
    }
}

/// Shared behaviour of the endpoint equality used in reconcile step 1.
///
/// Upstream `EndpointsEqualBeyondHash(a, b)` compares, for two endpoints with the
/// same hash: `conditions.{ready,serving,terminating}` (nil-ness and value),
/// `nodeName`, `zone`, and `targetRef` (ignoring `resourceVersion`, including
/// UID). Hints and deprecatedTopology are not compared (hint changes are the
/// topology logic's business).
///
/// cite: kubernetes/endpointslice :: util/controller_utils.go :: EndpointsEqualBeyondHash (v0.32.13)
pub trait EqualBeyondHash {
    fn equal_beyond_hash(&self, other: &Self) -> bool;
}

/// Upstream `ShouldSetHostname`: a pod's `spec.hostname` is published iff it is
/// non-empty, `spec.subdomain` equals the Service name, and pod and Service are
/// in the same namespace.
///
/// cite: kubernetes/endpointslice :: util/controller_utils.go :: ShouldSetHostname (v0.32.13)
pub fn should_set_hostname(
    pod_hostname: &str,
    pod_subdomain: &str,
    pod_namespace: &str,
    service_name: &str,
    service_namespace: &str,
) -> bool {
    !pod_hostname.is_empty() && pod_subdomain == service_name && pod_namespace == service_namespace
}

/// An IPv4 address's dotted-quad text on the stack, without the formatter (which buffers and
/// pads it: a tenth of a pod conversion).
fn v4_text(v4: &std::net::Ipv4Addr) -> ([u8; 15], usize) {
    let mut b = [0u8; 15];
    let mut n = 0;
    for (i, &o) in v4.octets().iter().enumerate() {
        if i > 0 {
            b[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            b[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            b[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        b[n] = b'0' + o % 10;
        n += 1;
    }
    (b, n)
}

/// An address's text (`IpAddr`'s `Display`) appended to bytes (the per-pod memo's input
/// encoding hashes it in place).
pub fn write_ip(out: &mut Vec<u8>, ip: &std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let (b, n) = v4_text(v4);
            out.extend_from_slice(&b[..n]);
        }
        std::net::IpAddr::V6(_) => {
            use std::io::Write;
            write!(out, "{ip}").expect("writing to a Vec");
        }
    }
}

/// An address's text (`IpAddr`'s `Display`) as the `String` an endpoint or address holds; both
/// controllers build pod addresses this way.
pub fn ip_string(ip: &std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let (b, n) = v4_text(v4);
            b[..n].iter().map(|&c| char::from(c)).collect()
        }
        std::net::IpAddr::V6(_) => ip.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone)]
    struct E(Vec<&'static str>, &'static str);
    impl EndpointIdentity for E {
        fn endpoint_key(&self) -> EndpointKey {
            let mut a: Vec<String> = self.0.iter().map(|s| s.to_string()).collect();
            a.sort();
            EndpointKey {
                addresses: a,
                hostname: String::new(),
                target_namespace: "ns".into(),
                target_name: self.1.into(),
            }
        }
    }

    /// hashEndpoint sorts addresses: address order does not change identity.
    #[test]
    fn hash_endpoint_ignores_address_order() {
        let mut s = EndpointSet::new();
        s.insert(E(vec!["10.0.0.2", "10.0.0.1"], "p"));
        assert!(s.contains(&E(vec!["10.0.0.1", "10.0.0.2"], "p").endpoint_key()));
        assert!(!s.contains(&E(vec!["10.0.0.1", "10.0.0.2"], "q").endpoint_key()));
    }

    /// EndpointSet.Insert with an existing hash replaces the element (map semantics).
    #[test]
    fn endpoint_set_insert_same_identity_replaces() {
        let mut s = EndpointSet::new();
        s.insert(E(vec!["10.0.0.1"], "p"));
        s.insert(E(vec!["10.0.0.1"], "p"));
        assert_eq!(s.len(), 1);
        let mut rng = rand::rngs::mock::StepRng::new(0, 1);
        assert!(s.pop_any(&mut rng).is_some());
        assert!(s.pop_any(&mut rng).is_none());
    }

    /// EndpointSet keeps its key index consistent through removals and pops.
    #[test]
    fn endpoint_set_remove_and_pop_keep_index() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let names = ["a", "b", "c", "d", "e", "f"];
        let mut s = EndpointSet::new();
        for n in names {
            s.insert(E(vec!["10.0.0.1"], n));
        }
        assert!(s.remove(&E(vec!["10.0.0.1"], "b").endpoint_key()).is_some());
        let mut seen = vec![];
        while let Some(e) = s.pop_any(&mut rng) {
            assert!(!s.contains(&e.endpoint_key()));
            seen.push(e.1);
            for rest in s.iter() {
                assert!(s.get(&rest.endpoint_key()).is_some());
            }
        }
        seen.sort();
        assert_eq!(seen, vec!["a", "c", "d", "e", "f"]);
    }

    /// PopAny from a small set (one Go map bucket) returns the first inserted
    /// element with probability (9-k)/8, not 1/k.
    #[test]
    fn pop_any_small_set_favours_first_inserted() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let n = 4000;
        let mut first = 0;
        for i in 0..n {
            let mut s = EndpointSet::with_hash_seed(i);
            for name in ["a", "b", "c", "d"] {
                s.insert(E(vec!["10.0.0.1"], name));
            }
            if s.pop_any(&mut rng).is_some_and(|e| e.1 == "a") {
                first += 1;
            }
        }
        let p = f64::from(first) / f64::from(n as u32);
        assert!((p - 5.0 / 8.0).abs() < 0.03, "{p}");
    }

    /// A set built over the whole insertion sequence with only the keys still present
    /// (`thinned_over`, as the incremental reconcile does) pops in the order of the set that
    /// inserted every key and removed the others (`thinned`).
    #[test]
    fn thinned_over_pops_as_thinned() {
        use rand::{Rng, SeedableRng};
        const NAMES: [&str; 40] = [
            "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10", "p11", "p12", "p13",
            "p14", "p15", "p16", "p17", "p18", "p19", "p20", "p21", "p22", "p23", "p24", "p25",
            "p26", "p27", "p28", "p29", "p30", "p31", "p32", "p33", "p34", "p35", "p36", "p37",
            "p38", "p39",
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);
        for _ in 0..300 {
            let n = rng.gen_range(0..NAMES.len());
            let keep: Vec<bool> = (0..n).map(|_| rng.gen_bool(0.3)).collect();
            let seed: u64 = rng.gen();
            let all: Vec<E> = NAMES[..n].iter().map(|p| E(vec!["10.0.0.1"], p)).collect();
            let mut full = EndpointSet::thinned(seed);
            for e in &all {
                full.insert(e.clone());
            }
            for (e, k) in all.iter().zip(&keep) {
                if !k {
                    full.remove(&e.endpoint_key());
                }
            }
            let sequence = all.iter().map(|e| e.identity_hash()).collect();
            let mut over = EndpointSet::thinned_over(seed, sequence);
            // Present keys inserted in reverse: the layout must not depend on that order.
            for (e, _) in all.iter().zip(&keep).rev().filter(|(_, k)| **k) {
                over.insert(e.clone());
            }
            let (mut ra, mut rb) = (rng.clone(), rng.clone());
            let a: Vec<&str> = std::iter::from_fn(|| full.pop_any(&mut ra).map(|e| e.1)).collect();
            let b: Vec<&str> = std::iter::from_fn(|| over.pop_any(&mut rb).map(|e| e.1)).collect();
            assert_eq!(a, b);
            assert_eq!(ra.gen::<u64>(), rb.gen::<u64>());
            rng = ra;
        }
    }

    /// Golden value of the specified identity hash (computed independently in Python from
    /// the serialisation in `endpoint_fields_hash`): it places endpoints in the emulated Go
    /// map, so a change would silently shift every seed's outputs.
    #[test]
    fn identity_hash_golden() {
        let key = EndpointKey {
            addresses: vec!["10.0.0.1".into()],
            hostname: String::new(),
            target_namespace: "ns".into(),
            target_name: "p".into(),
        };
        assert_eq!(identity_hash(&key), 0x92ca_d18a_323f_da6a);
    }

    /// The borrowed key hashes exactly like the owned one (the Go-map layout depends on it).
    #[test]
    fn key_ref_hash_equals_owned_hash() {
        let cases = [
            (vec![], "", "", ""),
            (vec!["10.0.0.1"], "", "ns", "p"),
            (vec!["10.0.0.1", "fd00::1"], "h", "ns", "pod-1"),
            (vec!["a", "b", "c"], "x", "", "y"),
        ];
        for (a, h, ns, n) in cases {
            let addresses: Vec<String> = a.iter().map(|s| s.to_string()).collect();
            let owned = EndpointKey {
                addresses: addresses.clone(),
                hostname: h.into(),
                target_namespace: ns.into(),
                target_name: n.into(),
            };
            let borrowed = EndpointKeyRef {
                addresses: &addresses,
                hostname: h,
                target_namespace: ns,
                target_name: n,
            };
            assert_eq!(identity_hash(&owned), identity_hash_of_ref(&borrowed));
        }
        // and the fields are not interchangeable
        let k = |h: &str, n: &str| EndpointKey {
            addresses: vec![],
            hostname: h.into(),
            target_namespace: String::new(),
            target_name: n.into(),
        };
        assert_ne!(identity_hash(&k("a", "")), identity_hash(&k("", "a")));
    }

    /// NewPortMapKey: the key does not depend on the order of the port list, and nil == empty.
    #[test]
    fn port_map_key_is_order_independent() {
        let a = SlicePort {
            name: Some("a".into()),
            port: Some(1),
            protocol: Some("TCP".into()),
            app_protocol: None,
        };
        let b = SlicePort {
            name: Some("b".into()),
            port: Some(2),
            protocol: Some("UDP".into()),
            app_protocol: None,
        };
        assert_eq!(
            PortMapKey::new(&[a.clone(), b.clone()]),
            PortMapKey::new(&[b, a.clone()])
        );
        assert_ne!(PortMapKey::new(&[a]), PortMapKey::new(&[]));
        assert_eq!(PortMapKey::new(&[]), PortMapKey::default());
    }

    /// ShouldSetHostname requires hostname, subdomain == service name and same namespace.
    #[test]
    fn should_set_hostname_rule() {
        assert!(should_set_hostname("h", "svc", "ns", "svc", "ns"));
        assert!(!should_set_hostname("", "svc", "ns", "svc", "ns"));
        assert!(!should_set_hostname("h", "other", "ns", "svc", "ns"));
        assert!(!should_set_hostname("h", "svc", "ns2", "svc", "ns"));
    }

    proptest::proptest! {
        /// Both address texts are `Display`'s, for every octet value in every place.
        #[test]
        fn ip_texts_are_display(a in 0u8.., b in 0u8.., c in 0u8.., d in 0u8..) {
            let v6 = std::net::IpAddr::from([u16::from(a), 0, 0, 0, 0, 0, u16::from(b), u16::from(c)]);
            for ip in [std::net::IpAddr::from([a, b, c, d]), v6] {
                proptest::prop_assert_eq!(ip_string(&ip), ip.to_string());
                let mut bytes = Vec::new();
                write_ip(&mut bytes, &ip);
                proptest::prop_assert_eq!(bytes, ip.to_string().into_bytes());
            }
        }
    }
}
