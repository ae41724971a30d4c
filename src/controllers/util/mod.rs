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

use std::collections::BTreeMap;

pub mod gomap;
pub mod tracker;
use gomap::GoMapLayout;
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

/// Anything that can be stored in an [`EndpointSet`].
pub trait EndpointIdentity {
    /// The identity key (see [`EndpointKey`]).
    fn endpoint_key(&self) -> EndpointKey;
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
    items: Vec<(EndpointKey, E)>,
    index: BTreeMap<EndpointKey, usize>,
    /// Where each key would sit in upstream's Go map (decides `pop_any`).
    layout: GoMapLayout<EndpointKey>,
}

impl<E> Default for EndpointSet<E> {
    fn default() -> Self {
        EndpointSet {
            items: Vec::new(),
            index: BTreeMap::new(),
            layout: GoMapLayout::new(0),
        }
    }
}

/// Stable per-key hash, mixed with a map's seed by [`GoMapLayout`].
fn key_hash<K: std::hash::Hash>(k: &K) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

impl<E: EndpointIdentity> EndpointSet<E> {
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty set whose Go-map hash seed is `seed` (upstream: a fresh
    /// random `hash0` per map); draw it from the caller's seeded stream.
    pub fn with_hash_seed(seed: u64) -> Self {
        EndpointSet {
            layout: GoMapLayout::new(seed),
            ..Self::default()
        }
    }
    /// Insert (or replace: a second endpoint with the same identity overwrites the first, as upstream).
    pub fn insert(&mut self, e: E) {
        let key = e.endpoint_key();
        match self.index.get(&key) {
            Some(&i) => self.items[i].1 = e,
            None => {
                self.layout.insert(key.clone(), key_hash(&key));
                self.index.insert(key.clone(), self.items.len());
                self.items.push((key, e));
            }
        }
    }
    pub fn get(&self, key: &EndpointKey) -> Option<&E> {
        self.index.get(key).map(|&i| &self.items[i].1)
    }
    pub fn remove(&mut self, key: &EndpointKey) -> Option<E> {
        let i = self.index.remove(key)?;
        self.layout.remove(key, key_hash(key));
        Some(self.take_at(i))
    }
    fn take_at(&mut self, i: usize) -> E {
        let (key, e) = self.items.swap_remove(i);
        if i < self.items.len() {
            let moved = &self.items[i].0;
            if let Some(slot) = self.index.get_mut(moved) {
                *slot = i;
            }
        }
        if self.index.get(&key) == Some(&i) {
            self.index.remove(&key);
        }
        e
    }
    pub fn contains(&self, key: &EndpointKey) -> bool {
        self.index.contains_key(key)
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
        let key = self.layout.first(rng)?;
        self.remove(&key)
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
}
