//! The shortcut of `Store::precheck_update`: `apiserver::sized::update_size_bound` is never
//! below the size of what `Store::update` would store (so a write the bound puts at or under the
//! limit is never refused), and the precheck with the shortcut answers exactly as
//! `Store::precheck_update_exact` (the same steps without it), at limits on both sides of the
//! object's size and of the bound; random Endpoints bodies with labels, annotations, owner
//! references and managedFields of their own, over stored objects with long metadata.

use std::collections::BTreeMap;

use proptest::prelude::*;
use slicesim::apiserver::sized::{create_size_bound, update_size_bound};
use slicesim::apiserver::{ApiError, Shared, SizeLimit, Store};
use slicesim::k8s::*;
use slicesim::wire;
use slicesim::wire::tails::split_endpoints;

fn pb(e: &Endpoints) -> usize {
    wire::protobuf_len(e).unwrap_or(usize::MAX)
}

fn address(i: u32, named: bool) -> EndpointAddress {
    EndpointAddress {
        ip: format!("10.{}.{}.{}", i % 7, i / 256 % 256, i % 256),
        hostname: None,
        node_name: named.then(|| format!("node-{}", i % 9).into()),
        target_ref: named.then(|| ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("ns".into()),
            name: Some(format!("pod-{i}").into()),
            uid: Some(format!("{i:08x}-0000-4000-8000-000000000000").into()),
            ..Default::default()
        }),
    }
}

fn map(v: Vec<(String, String)>) -> Option<BTreeMap<String, String>> {
    (!v.is_empty()).then(|| v.into_iter().collect())
}

fn meta() -> impl Strategy<Value = ObjectMeta> {
    (
        prop::collection::vec(("[a-z./]{1,30}", "[a-zé]{0,20}"), 0..5),
        prop::collection::vec(("[a-z./]{1,40}", "[a-z0-9:-]{0,30}"), 0..3),
        prop::collection::vec("[a-f0-9-]{1,36}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(labels, annotations, owners, managed)| ObjectMeta {
            name: Some("svc".into()),
            namespace: Some("ns".into()),
            labels: map(labels),
            annotations: map(annotations),
            owner_references: (!owners.is_empty()).then(|| {
                owners
                    .into_iter()
                    .map(|uid| OwnerReference {
                        api_version: "v1".into(),
                        kind: "Service".into(),
                        name: "svc".into(),
                        uid,
                        ..Default::default()
                    })
                    .collect()
            }),
            managed_fields: managed.then(|| {
                vec![ManagedFieldsEntry {
                    manager: Some("someone-else".into()),
                    operation: Some("Apply".into()),
                    api_version: Some("v1".into()),
                    time: Some("2023-01-01T00:00:00Z".into()),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        })
}

fn endpoints() -> impl Strategy<Value = Endpoints> {
    (
        meta(),
        prop::collection::vec((0u32..3000, 0usize..40, 0usize..5, any::<bool>()), 0..3),
    )
        .prop_map(|(metadata, subsets)| {
            let subsets: Vec<EndpointSubset> = subsets
                .into_iter()
                .enumerate()
                .map(|(s, (base, ready, not_ready, named))| EndpointSubset {
                    // Distinct addresses in address order per subset, distinct ports per
                    // subset: the body is canonical (as the controller's are).
                    addresses: (ready > 0).then(|| {
                        (0..ready as u32)
                            .map(|i| SharedValue::new(address(base + i, named)))
                            .collect()
                    }),
                    not_ready_addresses: (not_ready > 0).then(|| {
                        (0..not_ready as u32)
                            .map(|i| SharedValue::new(address(base + 5000 + i, named)))
                            .collect()
                    }),
                    ports: Some(vec![EndpointPort {
                        name: Some(format!("p{s}")),
                        port: 8000 + s as i32,
                        protocol: Some("TCP".into()),
                        app_protocol: None,
                    }]),
                })
                .collect();
            Endpoints {
                metadata,
                subsets: (!subsets.is_empty()).then_some(subsets),
                ..Default::default()
            }
        })
}

fn canonical(e: &Endpoints) -> bool {
    let mut c = e.clone();
    slicesim::k8s::repack::canonicalize_endpoints(&mut c);
    c == *e
}

/// A store holding `stored` (created without a limit), whose limit is then `limit`.
fn store_with(stored: &Endpoints, limit: u64) -> (Store<Endpoints>, Shared) {
    let mut st = Store::with_size_limit(SizeLimit {
        max_bytes: u64::MAX,
        size: pb,
    });
    let mut shared = Shared::new(7, "2024-01-01T00:00:00Z".into());
    let mut first = stored.clone();
    first.metadata.resource_version = None;
    st.create(&mut shared, first).expect("create");
    shared.now = "2024-01-01T00:00:05Z".into();
    st.set_size_limit(SizeLimit {
        max_bytes: limit,
        size: pb,
    });
    (st, shared)
}

/// The size the store computes for `body` as an update of `stored` (limit 0 refuses all).
fn stored_size(stored: &Endpoints, body: &Endpoints) -> Option<usize> {
    let (mut st, mut shared) = store_with(stored, 0);
    match st.update(&mut shared, body.clone()) {
        Err(ApiError::RequestTooLarge { size, .. }) => Some(size),
        // a no-op update stores nothing
        Ok(out) if !out.written => None,
        other => panic!("limit 0 must refuse a write: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The bound is never below the stored object's size, and the precheck answers as the
    /// exact precheck at limits around the size and around the bound.
    #[test]
    fn bound_covers_stored_size_and_precheck_unchanged(
        stored in endpoints(),
        body in endpoints(),
        delta in -2i64..3,
    ) {
        prop_assume!(canonical(&body));
        let (shell, tails) = split_endpoints(&body);
        let st0 = store_with(&stored, 0).0;
        let stored_obj = st0.get("ns", "svc").expect("stored").clone();
        let bound = update_size_bound(&stored_obj, &shell, &tails).expect("encodes");
        if let Some(size) = stored_size(&stored, &body) {
            prop_assert!(bound >= size, "bound {} < stored size {}", bound, size);
            for limit in [size as i64 + delta, bound as i64 + delta] {
                let limit = limit.max(0) as u64;
                let (st, shared) = store_with(&stored, limit);
                prop_assert_eq!(
                    st.precheck_update(&shared, &shell, &tails),
                    st.precheck_update_exact(&shared, &shell, &tails),
                    "limit {}", limit
                );
            }
        }
    }
}

/// The size the store computes for `body` as a create into an empty store (limit 0 refuses all).
fn created_size(body: &Endpoints) -> usize {
    let mut st: Store<Endpoints> = Store::with_size_limit(SizeLimit {
        max_bytes: 0,
        size: pb,
    });
    let mut shared = Shared::new(7, "2024-01-01T00:00:00Z".into());
    match st.create(&mut shared, body.clone()) {
        Err(ApiError::RequestTooLarge { size, .. }) => size,
        other => panic!("limit 0 must refuse a create: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The create bound is never below the created object's size, and `precheck_create`
    /// answers (and leaves the random stream) as `precheck_create_exact` at limits around the
    /// size and around the bound.
    #[test]
    fn create_bound_covers_size_and_precheck_unchanged(
        body in endpoints(),
        delta in -2i64..3,
    ) {
        prop_assume!(canonical(&body));
        let mut body = body;
        body.metadata.resource_version = None;
        let (shell, tails) = split_endpoints(&body);
        let bound = create_size_bound(&shell, &tails).expect("encodes");
        let size = created_size(&body);
        prop_assert!(bound >= size, "bound {} < created size {}", bound, size);
        for limit in [size as i64 + delta, bound as i64 + delta] {
            let limit = limit.max(0) as u64;
            let st: Store<Endpoints> = Store::with_size_limit(SizeLimit {
                max_bytes: limit,
                size: pb,
            });
            let mut a = Shared::new(7, "2024-01-01T00:00:00Z".into());
            let mut b = a.clone();
            prop_assert_eq!(
                st.precheck_create(&mut a, &shell, &tails),
                st.precheck_create_exact(&mut b, &shell, &tails),
                "limit {}", limit
            );
            prop_assert_eq!(a.draw_uid(), b.draw_uid());
        }
    }
}

/// A small write far below etcd's default limit takes the shortcut (the bound is at most a few
/// kilobytes) and is not refused; a 1.5 MB one is sized exactly and refused.
#[test]
fn small_writes_take_the_shortcut_large_ones_do_not() {
    let stored = Endpoints {
        metadata: ObjectMeta {
            name: Some("svc".into()),
            namespace: Some("ns".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let body = |n: u32| {
        crate::support::one_subset_endpoints(
            "ns",
            "svc",
            (0..n).map(|i| SharedValue::new(address(i, true))).collect(),
        )
    };
    let limit = 1_572_864;
    let (st, shared) = store_with(&stored, limit);
    let stored_obj = st.get("ns", "svc").expect("stored").clone();
    let (shell, tails) = split_endpoints(&body(100));
    let bound = update_size_bound(&stored_obj, &shell, &tails).expect("encodes");
    assert!(bound < 20_000, "{bound}");
    assert_eq!(st.precheck_update(&shared, &shell, &tails), None);
    // 20,000 addresses: about 2 MB, refused by both.
    let mut big = body(20_000);
    slicesim::k8s::repack::canonicalize_endpoints(&mut big);
    let (shell, tails) = split_endpoints(&big);
    let got = st.precheck_update(&shared, &shell, &tails);
    assert!(
        matches!(got, Some(ApiError::RequestTooLarge { .. })),
        "{got:?}"
    );
    assert_eq!(got, st.precheck_update_exact(&shared, &shell, &tails));
}
