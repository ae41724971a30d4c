//! Endpoints addresses are `SharedValue<EndpointAddress>` (one allocation shared by every
//! version of an object, the controller's cache and the store). Sharing must be invisible:
//! - an object whose addresses alias one another (the same allocation in several lists, subsets
//!   and objects) encodes, hashes, compares and prints exactly like its deep copy;
//! - its JSON is byte for byte the JSON of the same object with plain owned addresses (a
//!   test-local struct with the Go field tags, as the type was before the sharing);
//! - writing through one holder never changes another (copy on write);
//! - the Endpoints controller's cached subsets stay equal to the full computation across the
//!   syncs of a growing and shrinking Service, and a re-sync of an unchanged Service compares
//!   equal to the stored object it shares addresses with (no write).

use proptest::prelude::*;
use serde::Serialize;
use std::collections::BTreeSet;

use slicesim::controllers::endpoints::desired::PodChanges;
use slicesim::controllers::endpoints::{
    select_pods, EndpointsController, EndpointsOptions, EndpointsWrite, PodChangeHint,
};
use slicesim::k8s::repack::subset_hash;
use slicesim::k8s::*;
use slicesim::wire::json::to_vec_go;
use slicesim::wire::{self, Encoding};

fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-z0-9.<>&\"\\\\\u{e9}\u{2028}-]{0,12}").unwrap()
}

fn address() -> impl Strategy<Value = EndpointAddress> {
    (
        text(),
        prop::option::of(text()),
        prop::option::of(text()),
        prop::option::of((
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
        )),
    )
        .prop_map(|(ip, hostname, node_name, r)| EndpointAddress {
            ip,
            hostname,
            node_name: node_name.map(Into::into),
            target_ref: r.map(
                |(kind, namespace, name, uid, resource_version)| ObjectReference {
                    kind: kind.map(Into::into),
                    namespace: namespace.map(Into::into),
                    name: name.map(Into::into),
                    uid: uid.map(Into::into),
                    resource_version: resource_version.map(Into::into),
                    ..Default::default()
                },
            ),
        })
}

/// Per subset, indices into the pool of its ready and not-ready addresses.
type Lists = Vec<(Vec<usize>, Vec<usize>)>;

/// A pool of addresses and, per subset, indices into it (so lists alias pool entries).
fn aliased() -> impl Strategy<Value = (Vec<EndpointAddress>, Lists)> {
    (
        prop::collection::vec(address(), 1..8),
        prop::collection::vec(
            (
                prop::collection::vec(any::<prop::sample::Index>(), 0..10),
                prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            ),
            0..3,
        ),
    )
        .prop_map(|(pool, subsets)| {
            let n = pool.len();
            let subsets = subsets
                .into_iter()
                .map(|(a, b)| {
                    (
                        a.iter().map(|i| i.index(n)).collect(),
                        b.iter().map(|i| i.index(n)).collect(),
                    )
                })
                .collect();
            (pool, subsets)
        })
}

fn endpoints(subsets: Vec<EndpointSubset>) -> Endpoints {
    Endpoints {
        kind: Some("Endpoints".into()),
        api_version: Some("v1".into()),
        metadata: ObjectMeta {
            name: Some("svc".into()),
            namespace: Some("ns".into()),
            resource_version: Some("7".into()),
            ..Default::default()
        },
        subsets: Some(subsets),
    }
}

/// `core/v1.EndpointSubset` with owned addresses: the type as it was before the sharing.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OwnedSubset {
    #[serde(skip_serializing_if = "empty")]
    addresses: Option<Vec<EndpointAddress>>,
    #[serde(skip_serializing_if = "empty")]
    not_ready_addresses: Option<Vec<EndpointAddress>>,
    #[serde(skip_serializing_if = "empty")]
    ports: Option<Vec<EndpointPort>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OwnedEndpoints {
    kind: Option<String>,
    api_version: Option<String>,
    metadata: ObjectMeta,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subsets: Vec<OwnedSubset>,
}

fn empty<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().map_or(true, Vec::is_empty)
}

fn owned(ep: &Endpoints) -> OwnedEndpoints {
    let plain = |l: &Option<Vec<SharedValue<EndpointAddress>>>| {
        l.as_ref()
            .map(|v| v.iter().map(|a| (**a).clone()).collect())
    };
    OwnedEndpoints {
        kind: ep.kind.clone(),
        api_version: ep.api_version.clone(),
        metadata: ep.metadata.clone(),
        subsets: ep
            .subsets
            .iter()
            .flatten()
            .map(|s| OwnedSubset {
                addresses: plain(&s.addresses),
                not_ready_addresses: plain(&s.not_ready_addresses),
                ports: s.ports.clone(),
            })
            .collect(),
    }
}

/// Every address freshly allocated: no two lists share anything.
fn deep_copy(ep: &Endpoints) -> Endpoints {
    let fresh = |l: &Option<Vec<SharedValue<EndpointAddress>>>| {
        l.as_ref()
            .map(|v| v.iter().map(|a| SharedValue::new((**a).clone())).collect())
    };
    Endpoints {
        subsets: ep.subsets.as_ref().map(|ss| {
            ss.iter()
                .map(|s| EndpointSubset {
                    addresses: fresh(&s.addresses),
                    not_ready_addresses: fresh(&s.not_ready_addresses),
                    ports: s.ports.clone(),
                })
                .collect()
        }),
        ..ep.clone()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Aliased addresses encode, hash, compare and print like unshared and like owned ones.
    #[test]
    fn sharing_is_invisible((pool, lists) in aliased()) {
        let pool: Vec<SharedValue<EndpointAddress>> = SharedValue::all(pool);
        let pick = |ix: &[usize]| {
            (!ix.is_empty()).then(|| ix.iter().map(|&i| pool[i].clone()).collect::<Vec<_>>())
        };
        let subsets: Vec<EndpointSubset> = lists
            .iter()
            .map(|(a, b)| EndpointSubset {
                addresses: pick(a),
                not_ready_addresses: pick(b),
                ports: Some(vec![EndpointPort { port: 80, ..Default::default() }]),
            })
            .collect();
        let shared = endpoints(subsets);
        let copy = deep_copy(&shared);

        let json = to_vec_go(&shared);
        prop_assert_eq!(&json, &to_vec_go(&copy));
        prop_assert_eq!(&json, &to_vec_go(&owned(&shared)));
        let pb = wire::object_bytes(Encoding::Protobuf, &shared).unwrap();
        prop_assert_eq!(&pb, &wire::object_bytes(Encoding::Protobuf, &copy).unwrap());
        prop_assert_eq!(wire::sizes(&shared).unwrap(), wire::sizes(&copy).unwrap());
        prop_assert_eq!(
            serde_yaml::to_string(&shared).unwrap(),
            serde_yaml::to_string(&owned(&shared)).unwrap()
        );
        prop_assert_eq!(format!("{shared:?}"), format!("{copy:?}"));
        prop_assert_eq!(&shared, &copy);
        for (x, y) in shared.subsets.iter().flatten().zip(copy.subsets.iter().flatten()) {
            prop_assert_eq!(subset_hash(x), subset_hash(y));
        }
        // Decoding gives unshared addresses with the same bytes.
        let back: Endpoints = serde_json::from_slice(&json).unwrap();
        prop_assert_eq!(to_vec_go(&back), json.clone());
        prop_assert_eq!(wire::object_bytes(Encoding::Protobuf, &back).unwrap(), pb);
    }

    /// A write through one holder of a shared address leaves every other holder as it was.
    #[test]
    fn writes_copy_on_write((pool, lists) in aliased(), hostname in text()) {
        let pool: Vec<SharedValue<EndpointAddress>> = SharedValue::all(pool);
        let first: Vec<SharedValue<EndpointAddress>> =
            lists.iter().flat_map(|(a, _)| a.iter().map(|&i| pool[i].clone())).collect();
        let before: Vec<EndpointAddress> = pool.iter().map(|a| (**a).clone()).collect();
        let mut edited = first.clone();
        for a in edited.iter_mut() {
            a.hostname = Some(hostname.clone());
        }
        for (a, b) in pool.iter().zip(&before) {
            prop_assert_eq!(&**a, b);
        }
        for (a, e) in first.iter().zip(&edited) {
            prop_assert_eq!(e.hostname.as_deref(), Some(hostname.as_str()));
            prop_assert!(a.hostname.as_deref() != Some(hostname.as_str()) || **a == **e);
        }
    }
}

fn service() -> Service {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "svc", "namespace": "ns", "resourceVersion": "1",
                     "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"selector": {"app": "a"}, "clusterIP": "10.96.0.1",
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
    }))
    .unwrap()
}

fn pod(i: u32, ready: bool) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("p{i}"), "namespace": "ns", "uid": format!("uid-{i}"),
                     "resourceVersion": format!("{}", 100 + i), "labels": {"app": "a"}},
        "spec": {"nodeName": format!("n{}", i % 3),
                 "containers": [{"name": "c", "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": format!("10.0.{}.{}", i / 250, i % 250 + 1),
                   "podIPs": [{"ip": format!("10.0.{}.{}", i / 250, i % 250 + 1)}],
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                                   "lastTransitionTime": "2024-01-01T00:00:01Z"}]},
    }))
    .unwrap()
}

/// The Endpoints a sync writes, stored as the apiserver would (a resourceVersion set).
fn stored(w: EndpointsWrite, rv: u32) -> Option<Endpoints> {
    match w {
        EndpointsWrite::Create(mut e) | EndpointsWrite::Update(mut e) => {
            e.metadata.resource_version = Some(rv.to_string());
            Some(e)
        }
        EndpointsWrite::None => None,
    }
}

/// Syncs of a Service whose pods come and go, through the incremental path (a change hint):
/// each write built from the cache (addresses shared with it and with the previous version)
/// encodes exactly like the write of a fresh controller that builds every address anew, it
/// really shares the unchanged addresses, and an unchanged re-sync writes nothing.
#[test]
fn cached_writes_encode_like_full_computation() {
    let svc = service();
    let opts = EndpointsOptions {
        max_capacity: 0,
        truncate: false,
    };
    let mut cached = EndpointsController::new(opts);
    let mut current: Option<Endpoints> = None;
    let mut pods: Vec<Pod> = Vec::new();
    let mut ever: BTreeSet<String> = BTreeSet::new();
    let (mut rv, mut writes, mut reused) = (1000, 0, 0);
    for step in 0u32..40 {
        // Grow by 7 (some not ready), drop one now and then.
        for k in 0..7 {
            pods.push(pod(step * 7 + k, (step + k) % 4 != 0));
        }
        if step % 3 == 2 {
            pods.remove((step as usize * 5) % pods.len());
        }
        ever.extend(pods.iter().map(|p| p.metadata.name.clone().unwrap()));
        let selected = select_pods(&svc, &pods);
        let lookup = |n: &str| {
            selected
                .iter()
                .find(|(p, _)| p.metadata.name.as_deref() == Some(n))
                .copied()
        };
        // Every name ever seen is reported; unchanged pods are kept by resourceVersion.
        let changes = PodChanges::Names(ever.clone());
        let hint = PodChangeHint {
            changes: &changes,
            lookup: &lookup,
        };
        let got = cached
            .sync_service(&svc, &selected, Some(hint), current.as_ref())
            .unwrap();
        let want = EndpointsController::new(opts).sync(&svc, &pods, current.as_ref());
        let (g, w) = (stored(got, rv), stored(want, rv));
        assert_eq!(g.is_some(), w.is_some(), "step {step}");
        if let (Some(g), Some(w)) = (&g, &w) {
            writes += 1;
            // The trigger-time annotation depends on the tracker's history: compare the rest.
            let g = Endpoints {
                metadata: w.metadata.clone(),
                ..g.clone()
            };
            assert_eq!(to_vec_go(&g), to_vec_go(w), "step {step}");
            assert_eq!(
                wire::object_bytes(Encoding::Protobuf, &g).unwrap(),
                wire::object_bytes(Encoding::Protobuf, w).unwrap()
            );
            let before: Vec<&SharedValue<EndpointAddress>> = current
                .iter()
                .flat_map(|c| c.subsets.iter().flatten())
                .flat_map(|s| s.addresses.iter().flatten())
                .collect();
            reused += g
                .subsets
                .iter()
                .flatten()
                .flat_map(|s| s.addresses.iter().flatten())
                .filter(|a| before.iter().any(|b| SharedValue::ptr_eq(a, b)))
                .count();
        }
        rv += 1;
        if g.is_some() {
            current = g;
        }
        let unchanged = PodChanges::Names(BTreeSet::new());
        let again = cached
            .sync_service(
                &svc,
                &selected,
                Some(PodChangeHint {
                    changes: &unchanged,
                    lookup: &lookup,
                }),
                current.as_ref(),
            )
            .unwrap();
        assert_eq!(
            again,
            EndpointsWrite::None,
            "step {step}: unchanged re-sync"
        );
    }
    assert!(writes >= 30, "{writes}");
    assert!(
        reused > 1000,
        "unchanged addresses are shared, not copied ({reused})"
    );
}
