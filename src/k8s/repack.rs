//! `RepackSubsets` / `SortSubsets`: the canonical form of core/v1 Endpoints subsets.
//!
//! cite: kubernetes/kubernetes :: pkg/api/v1/endpoints/util.go :: RepackSubsets, mapAddressesByPort,
//! mapAddressByPort, hashAddresses, SortSubsets, LessEndpointAddress (1.32). The same function is
//! also applied by the apiserver (`pkg/registry/core/endpoint/strategy.go :: Canonicalize`) and by
//! the mirroring controller before it mirrors a user-written Endpoints.
//!
//! What it does, as read in the source:
//! 1. every (address, port) pair of the input is registered: addresses are de-duplicated by
//!    (IP, targetRef.UID) and the FIRST copy seen keeps its other fields; for each port, an
//!    address that is listed both ready and not ready ends up not ready ("not ready trumps
//!    ready"). A subset without ports registers its addresses under a sentinel port.
//! 2. ports whose address→ready maps are identical are grouped into one subset (the sentinel
//!    contributes no port: such a subset gets `ports: nil`).
//! 3. `SortSubsets`: addresses and notReadyAddresses by IP as a byte string, ties by targetRef
//!    UID (nil targetRef first); ports by md5 of their spew dump; subsets by md5 of their dump.
//!    Subsets with no ready (or no not-ready) addresses hold a nil slice there.
//!
//! Port identity: upstream keys a Go map by the `EndpointPort` struct, which holds `AppProtocol`
//! as a *pointer*, so two equal ports with `appProtocol` set are distinct keys unless they share
//! the pointer. For the Endpoints controller every copy of a service port shares the Service's
//! pointer ([`PortIdentity::ByValue`]); for an Endpoints object decoded from the API every port
//! entry has its own pointer ([`PortIdentity::PerOccurrence`]) — which is why, in the mirroring
//! controller, the same port with `appProtocol` in two subsets never merges (conformance README,
//! "Ports with appProtocol never merge across subsets").

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::deephash::{
    hash_core_endpoint_port, hash_endpoint_subset, CoreEndpointPortView, EndpointAddressView,
    EndpointSubsetView, ObjectReferenceView,
};
use crate::k8s::{EndpointAddress, EndpointPort, EndpointSubset, ObjectReference, SharedValue};

/// How ports carrying `appProtocol` are identified (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortIdentity {
    /// Equal values are the same port (Endpoints controller: one pointer per Service port).
    ByValue,
    /// A port with `appProtocol` set is distinct per (subset, position) it appears at
    /// (Endpoints decoded from the API, as the mirroring controller sees them).
    PerOccurrence,
}

fn s<T: AsRef<str>>(o: &Option<T>) -> &str {
    o.as_ref().map_or("", AsRef::as_ref)
}

/// The map key upstream uses for a port: the struct value, with the appProtocol pointer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PortKey {
    name: String,
    port: i32,
    protocol: String,
    app_protocol: Option<String>,
    /// Distinguishes pointers (only for ports with appProtocol under `PerOccurrence`).
    pointer: Option<(usize, usize)>,
}

impl PortKey {
    fn sentinel() -> Self {
        PortKey {
            name: String::new(),
            port: -1,
            protocol: String::new(),
            app_protocol: None,
            pointer: None,
        }
    }
}

/// View of an address for hashing (`DeepHashObject`).
pub fn address_view(a: &EndpointAddress) -> EndpointAddressView<'_> {
    EndpointAddressView {
        ip: &a.ip,
        hostname: s(&a.hostname),
        node_name: a.node_name.as_deref(),
        target_ref: a.target_ref.as_ref().map(object_reference_view),
    }
}

pub fn object_reference_view(r: &ObjectReference) -> ObjectReferenceView<'_> {
    ObjectReferenceView {
        kind: s(&r.kind),
        namespace: s(&r.namespace),
        name: s(&r.name),
        uid: s(&r.uid),
        api_version: s(&r.api_version),
        resource_version: s(&r.resource_version),
        field_path: s(&r.field_path),
    }
}

pub fn port_view(p: &EndpointPort) -> CoreEndpointPortView<'_> {
    CoreEndpointPortView {
        name: s(&p.name),
        port: p.port,
        protocol: s(&p.protocol),
        app_protocol: p.app_protocol.as_deref(),
    }
}

/// md5 of a subset's dump (`subsetsByHash`).
pub fn subset_hash(sub: &EndpointSubset) -> [u8; 16] {
    let addrs: Option<Vec<EndpointAddressView<'_>>> = sub
        .addresses
        .as_ref()
        .map(|v| v.iter().map(|a| address_view(a)).collect());
    let nr: Option<Vec<EndpointAddressView<'_>>> = sub
        .not_ready_addresses
        .as_ref()
        .map(|v| v.iter().map(|a| address_view(a)).collect());
    let ports: Option<Vec<CoreEndpointPortView<'_>>> = sub
        .ports
        .as_ref()
        .map(|v| v.iter().map(port_view).collect());
    hash_endpoint_subset(&EndpointSubsetView {
        addresses: addrs.as_deref(),
        not_ready_addresses: nr.as_deref(),
        ports: ports.as_deref(),
    })
}

/// `LessEndpointAddress` as an ordering: IP bytes, then targetRef UID with nil targetRef first.
pub fn cmp_endpoint_address(a: &EndpointAddress, b: &EndpointAddress) -> Ordering {
    a.ip.as_bytes()
        .cmp(b.ip.as_bytes())
        .then_with(|| match (&a.target_ref, &b.target_ref) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => s(&x.uid).cmp(s(&y.uid)),
        })
}

/// `SortSubsets`: sorts addresses, ports and subsets in place (see module docs).
pub fn sort_subsets(subsets: &mut [EndpointSubset]) {
    for sub in subsets.iter_mut() {
        if let Some(a) = sub.addresses.as_mut() {
            a.sort_by(|x, y| cmp_endpoint_address(x, y));
        }
        if let Some(a) = sub.not_ready_addresses.as_mut() {
            a.sort_by(|x, y| cmp_endpoint_address(x, y));
        }
        if let Some(p) = sub.ports.as_mut() {
            p.sort_by_cached_key(|p| hash_core_endpoint_port(&port_view(p)));
        }
    }
    subsets.sort_by_cached_key(subset_hash);
}

/// `RepackSubsets` (see module docs).
pub fn repack_subsets(subsets: &[EndpointSubset], identity: PortIdentity) -> Vec<EndpointSubset> {
    // (ip, uid) -> index into `addrs` (first copy wins).
    let mut addr_index: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut addrs: Vec<&SharedValue<EndpointAddress>> = Vec::new();
    // port -> (address index -> ready)
    let mut port_to_addrs: BTreeMap<PortKey, BTreeMap<usize, bool>> = BTreeMap::new();

    for (si, sub) in subsets.iter().enumerate() {
        let keys: Vec<PortKey> = match sub.ports.as_deref() {
            None | Some([]) => vec![PortKey::sentinel()],
            Some(ports) => ports
                .iter()
                .enumerate()
                .map(|(pi, p)| PortKey {
                    name: s(&p.name).to_string(),
                    port: p.port,
                    protocol: s(&p.protocol).to_string(),
                    app_protocol: p.app_protocol.clone(),
                    pointer: match (identity, &p.app_protocol) {
                        (PortIdentity::PerOccurrence, Some(_)) => Some((si, pi)),
                        _ => None,
                    },
                })
                .collect(),
        };
        let lists = [
            (sub.addresses.as_deref(), true),
            (sub.not_ready_addresses.as_deref(), false),
        ];
        if lists.iter().all(|(l, _)| l.map_or(true, <[_]>::is_empty)) {
            // No address: the ports get no entry (none is registered).
            continue;
        }
        for key in keys {
            // One lookup per (subset, port), not per address.
            let set = port_to_addrs.entry(key).or_default();
            for (list, ready) in lists {
                for a in list.unwrap_or(&[]) {
                    let uid = a.target_ref.as_ref().map_or("", |r| s(&r.uid));
                    let idx = *addr_index.entry((a.ip.as_str(), uid)).or_insert_with(|| {
                        addrs.push(a);
                        addrs.len() - 1
                    });
                    match set.get(&idx) {
                        Some(false) => {} // not ready trumps ready
                        _ => {
                            set.insert(idx, ready);
                        }
                    }
                }
            }
        }
    }

    // Group ports by identical address→ready maps.
    let mut groups: BTreeMap<Vec<(usize, bool)>, Option<Vec<EndpointPort>>> = BTreeMap::new();
    for (key, set) in port_to_addrs {
        let group_key: Vec<(usize, bool)> = set.into_iter().collect();
        let entry = groups.entry(group_key).or_insert(None);
        // Upstream: only `port.Port > 0` is appended; the sentinel (-1) just makes the group exist.
        if key.port > 0 {
            entry.get_or_insert_with(Vec::new).push(EndpointPort {
                name: if key.name.is_empty() {
                    None
                } else {
                    Some(key.name)
                },
                port: key.port,
                protocol: if key.protocol.is_empty() {
                    None
                } else {
                    Some(key.protocol)
                },
                app_protocol: key.app_protocol,
            });
        }
    }

    let mut out: Vec<EndpointSubset> = groups
        .into_iter()
        .map(|(members, ports)| {
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            for (idx, r) in members {
                let a = addrs[idx].clone();
                if r {
                    ready.push(a);
                } else {
                    not_ready.push(a);
                }
            }
            EndpointSubset {
                addresses: if ready.is_empty() { None } else { Some(ready) },
                not_ready_addresses: if not_ready.is_empty() {
                    None
                } else {
                    Some(not_ready)
                },
                ports,
            }
        })
        .collect();
    sort_subsets(&mut out);
    out
}

/// True when `RepackSubsets` would return `subsets` unchanged, for the shape the Endpoints
/// controller writes: at most one subset, every address with a targetRef, each address list
/// non-empty and strictly sorted by `LessEndpointAddress` (so no duplicate), no address both
/// ready and not ready, and ports (if any) positive with strictly increasing hashes. Checked in
/// one pass, so storing a 1,000-address object does not re-sort it. Anything else: `false`
/// (the caller repacks).
pub fn is_canonical_single_subset(subsets: &[EndpointSubset]) -> bool {
    let [sub] = subsets else {
        return subsets.is_empty();
    };
    let sorted = |l: &Option<Vec<SharedValue<EndpointAddress>>>| match l {
        None => true,
        Some(v) => {
            !v.is_empty()
                && v.iter().all(|a| a.target_ref.is_some())
                && v.windows(2)
                    .all(|w| cmp_endpoint_address(&w[0], &w[1]) == Ordering::Less)
        }
    };
    if sub.addresses.is_none() && sub.not_ready_addresses.is_none() {
        return false;
    }
    if !sorted(&sub.addresses) || !sorted(&sub.not_ready_addresses) {
        return false;
    }
    // No (IP, UID) in both lists: a merge walk over the two sorted lists.
    let (mut a, mut b) = (
        sub.addresses.as_deref().unwrap_or(&[]).iter().peekable(),
        sub.not_ready_addresses
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .peekable(),
    );
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        match cmp_endpoint_address(x, y) {
            Ordering::Less => {
                a.next();
            }
            Ordering::Greater => {
                b.next();
            }
            Ordering::Equal => return false,
        }
    }
    match &sub.ports {
        None => true,
        Some(ports) => {
            // One port is sorted: its hash (an MD5 of its dump) is not computed.
            !ports.is_empty()
                && ports.iter().all(|p| p.port > 0)
                && (ports.len() == 1
                    || ports
                        .iter()
                        .map(|p| hash_core_endpoint_port(&port_view(p)))
                        .collect::<Vec<_>>()
                        .windows(2)
                        .all(|w| w[0] < w[1]))
        }
    }
}

/// What the kube-apiserver does to every Endpoints it stores: the endpoints REST strategy's
/// `Canonicalize` replaces the subsets with `RepackSubsets(subsets)`
/// (kubernetes/kubernetes :: pkg/registry/core/endpoint/strategy.go :: endpointsStrategy.Canonicalize,
/// 1.32). Ports decoded from a request each have their own appProtocol pointer, hence
/// [`PortIdentity::PerOccurrence`]. Meant for the apiserver emulation: for objects the Endpoints
/// controller writes it is the identity, except after truncation, where subsets that lost all
/// addresses disappear, equal address sets merge, and subsets are re-sorted by their new hashes.
pub fn canonicalize_endpoints(ep: &mut crate::k8s::Endpoints) {
    if is_canonical_single_subset(ep.subsets.as_deref().unwrap_or(&[])) {
        return;
    }
    let repacked = repack_subsets(
        ep.subsets.as_deref().unwrap_or(&[]),
        PortIdentity::PerOccurrence,
    );
    ep.subsets = if repacked.is_empty() {
        None
    } else {
        Some(repacked)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::endpoints::{EndpointsController, EndpointsOptions, EndpointsWrite};
    use serde_json::json;

    fn addr(ip: &str) -> SharedValue<EndpointAddress> {
        SharedValue::new(EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        })
    }

    /// RepackSubsets is idempotent on its own output (SortSubsets order included).
    #[test]
    fn repack_is_idempotent() {
        let p = |n: &str, port: i32| EndpointPort {
            name: Some(n.into()),
            port,
            protocol: Some("TCP".into()),
            app_protocol: None,
        };
        let subs = vec![
            EndpointSubset {
                addresses: Some(vec![addr("10.0.0.2"), addr("10.0.0.1")]),
                not_ready_addresses: None,
                ports: Some(vec![p("a", 1)]),
            },
            EndpointSubset {
                addresses: Some(vec![addr("10.0.0.1")]),
                not_ready_addresses: Some(vec![addr("10.0.0.3")]),
                ports: Some(vec![p("b", 2), p("c", 3)]),
            },
        ];
        let once = repack_subsets(&subs, PortIdentity::PerOccurrence);
        assert_eq!(repack_subsets(&once, PortIdentity::PerOccurrence), once);
        assert_eq!(once.len(), 2);
    }

    /// The one-pass canonical check never claims an object canonical that `RepackSubsets`
    /// would change (random single subsets: duplicates, overlaps, unsorted lists, odd ports).
    #[test]
    fn canonical_check_agrees_with_repack() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut claimed = 0;
        for _ in 0..3000 {
            let list =
                |rng: &mut rand_chacha::ChaCha8Rng| -> Option<Vec<SharedValue<EndpointAddress>>> {
                    let n = rng.gen_range(0..4);
                    if n == 0 && rng.gen_bool(0.7) {
                        return None;
                    }
                    let mut v: Vec<SharedValue<EndpointAddress>> = (0..n)
                        .map(|_| {
                            let i = rng.gen_range(0..5);
                            SharedValue::new(EndpointAddress {
                                ip: format!("10.0.0.{i}"),
                                target_ref: rng.gen_bool(0.95).then(|| ObjectReference {
                                    uid: Some(format!("u{}", rng.gen_range(0..2)).into()),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            })
                        })
                        .collect();
                    if rng.gen_bool(0.6) {
                        v.sort_by(|x, y| cmp_endpoint_address(x, y));
                    }
                    Some(v)
                };
            let ports = match rng.gen_range(0..4) {
                0 => None,
                1 => Some(vec![]),
                _ => Some(
                    (0..rng.gen_range(1..3))
                        .map(|_| EndpointPort {
                            name: Some(format!("p{}", rng.gen_range(0..2))),
                            port: rng.gen_range(-1..3),
                            protocol: Some("TCP".into()),
                            app_protocol: None,
                        })
                        .collect(),
                ),
            };
            let sub = EndpointSubset {
                addresses: list(&mut rng),
                not_ready_addresses: list(&mut rng),
                ports,
            };
            let subs = vec![sub];
            if is_canonical_single_subset(&subs) {
                claimed += 1;
                assert_eq!(repack_subsets(&subs, PortIdentity::PerOccurrence), subs);
            }
        }
        assert!(
            claimed > 100,
            "the check accepts ordinary canonical objects ({claimed})"
        );
    }

    /// Canonicalize after truncation: a subset left with no addresses is dropped by the apiserver.
    #[test]
    fn canonicalize_drops_emptied_subsets() {
        let mut ep = crate::k8s::Endpoints {
            kind: None,
            api_version: None,
            metadata: Default::default(),
            subsets: Some(vec![
                EndpointSubset {
                    addresses: Some(vec![addr("10.0.0.1")]),
                    not_ready_addresses: None,
                    ports: Some(vec![EndpointPort {
                        port: 80,
                        ..Default::default()
                    }]),
                },
                EndpointSubset {
                    addresses: Some(vec![]),
                    not_ready_addresses: None,
                    ports: Some(vec![EndpointPort {
                        port: 81,
                        ..Default::default()
                    }]),
                },
            ]),
        };
        canonicalize_endpoints(&mut ep);
        assert_eq!(ep.subsets.as_ref().map(Vec::len), Some(1));
        // and it is the identity on an untruncated Endpoints controller write
        let svc: crate::k8s::Service = serde_json::from_value(json!({
            "metadata": {"name": "s", "namespace": "ns"},
            "spec": {"selector": {"a": "b"}, "ports": [{"name": "x", "protocol": "TCP", "port": 1, "targetPort": 1, "appProtocol": "h"},
                                                       {"name": "y", "protocol": "TCP", "port": 2, "targetPort": 2}], "clusterIP": "10.0.0.9"},
            "status": {"loadBalancer": {}}})).expect("svc");
        let pods: Vec<crate::k8s::Pod> = (1..4)
            .map(|i| serde_json::from_value(json!({
                "metadata": {"name": format!("p{i}"), "namespace": "ns", "uid": format!("u{i}"), "labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c"}]},
                "status": {"podIP": format!("10.1.0.{i}"), "podIPs": [{"ip": format!("10.1.0.{i}")}],
                           "conditions": [{"type": "Ready", "status": if i == 2 {"False"} else {"True"}}]}})).expect("pod"))
            .collect();
        let EndpointsWrite::Create(written) =
            EndpointsController::new(EndpointsOptions::default()).sync(&svc, &pods, None)
        else {
            panic!("expected create")
        };
        let mut stored = written.clone();
        canonicalize_endpoints(&mut stored);
        assert_eq!(stored, written);
    }
}
