//! Differential tests of Endpoints sizes computed without encoding the whole object
//! (`wire::tails`) and of the store's etcd verdict decided from a shell
//! (`Store::precheck_update` / `Store::precheck_create`), against real encodes and the real
//! `Store::update` / `Store::create`: random objects (escaped and multi-byte strings, empty and
//! nil lists, several subsets), the Endpoints controller's own shells, and the etcd limit's
//! boundary at 1.5 MB (one byte under, at and over the object's size).

use std::collections::BTreeMap;

use proptest::prelude::*;
use slicesim::apiserver::{ApiError, Shared, SizeLimit, Store};
use slicesim::controllers::endpoints::{
    select_pods, EndpointsController, EndpointsOptions, PlannedWrite,
};
use slicesim::k8s::*;
use slicesim::wire::tails::{endpoints_sizes_with_tails, split_endpoints, SubsetTail};
use slicesim::wire::{self, json};

const STRINGS: &[&str] = &[
    "a", "node-1", "é", "<x>&", "q\"\\", "\u{2028}", "", "10.0.0.1",
];

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        4 => prop::sample::select(STRINGS).prop_map(|s| Some(s.to_string())),
    ]
}

fn address() -> impl Strategy<Value = EndpointAddress> {
    (
        0u32..5000,
        text(),
        text(),
        prop::option::of((text(), text(), text(), text())),
    )
        .prop_map(|(i, hostname, node_name, r)| EndpointAddress {
            ip: format!("10.{}.{}.{}", i % 7, i / 256 % 256, i % 256),
            hostname,
            node_name: node_name.map(Into::into),
            target_ref: r.map(|(kind, namespace, name, uid)| ObjectReference {
                kind: kind.map(Into::into),
                namespace: namespace.map(Into::into),
                name: name.map(Into::into),
                uid: uid.map(Into::into),
                ..Default::default()
            }),
        })
}

fn list() -> impl Strategy<Value = Option<Vec<EndpointAddress>>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Vec::new())),
        6 => prop::collection::vec(address(), 1..12).prop_map(Some),
    ]
}

fn subset() -> impl Strategy<Value = EndpointSubset> {
    (
        list(),
        list(),
        prop::option::of(prop::collection::vec((text(), 0i32..70000), 0..3)),
    )
        .prop_map(|(addresses, not_ready_addresses, ports)| EndpointSubset {
            addresses: addresses.map(SharedValue::all),
            not_ready_addresses: not_ready_addresses.map(SharedValue::all),
            ports: ports.map(|v| {
                v.into_iter()
                    .map(|(name, port)| EndpointPort {
                        name,
                        port,
                        protocol: Some("TCP".into()),
                        app_protocol: None,
                    })
                    .collect()
            }),
        })
}

fn endpoints() -> impl Strategy<Value = Endpoints> {
    (
        prop::option::of(prop::collection::vec(subset(), 0..4)),
        prop::collection::btree_map("[a-z]{1,6}", "[a-z<>é]{0,5}", 0..3),
        any::<bool>(),
    )
        .prop_map(|(subsets, labels, typed)| Endpoints {
            kind: typed.then(|| "Endpoints".to_string()),
            api_version: typed.then(|| "v1".to_string()),
            metadata: ObjectMeta {
                name: Some("svc".into()),
                namespace: Some("ns".into()),
                labels: (!labels.is_empty()).then_some(labels),
                ..Default::default()
            },
            subsets,
        })
}

/// The four numbers of `e`, from real encodes (bytes materialised).
fn encoded(e: &Endpoints) -> (usize, usize) {
    (
        wire::json_bytes(e).len(),
        wire::protobuf_bytes(e).expect("encodes").len(),
    )
}

fn pb(e: &Endpoints) -> usize {
    wire::protobuf_len(e).unwrap_or(usize::MAX)
}

/// A store holding one small `ns/svc` Endpoints (created without a limit in force; its label
/// key is one the generator never draws, so no body is a no-op update of it), whose limit is
/// then `limit`.
fn store_with(limit: u64) -> (Store<Endpoints>, Shared) {
    let mut st = Store::with_size_limit(SizeLimit {
        max_bytes: u64::MAX,
        size: pb,
    });
    let mut shared = Shared::new(7, "2024-01-01T00:00:00Z".into());
    let small = Endpoints {
        metadata: ObjectMeta {
            name: Some("svc".into()),
            namespace: Some("ns".into()),
            labels: Some(BTreeMap::from([("Stored".to_string(), String::new())])),
            ..Default::default()
        },
        ..Default::default()
    };
    st.create(&mut shared, small).expect("create");
    shared.now = "2024-01-01T00:00:05Z".into();
    st.set_size_limit(SizeLimit {
        max_bytes: limit,
        size: pb,
    });
    (st, shared)
}

/// The real store's protobuf size of `full` as an update of the stored object (limit 0 refuses
/// everything and reports the size).
fn update_size(full: &Endpoints) -> usize {
    let (mut st, mut shared) = store_with(0);
    match st.update(&mut shared, full.clone()) {
        Err(ApiError::RequestTooLarge { size, .. }) => size,
        other => panic!("limit 0 must refuse: {other:?}"),
    }
}

/// The apiserver's canonicalisation leaves `e` as it is (the precheck declines other bodies: the
/// Endpoints controller's are canonical).
fn canonical(e: &Endpoints) -> bool {
    let mut c = e.clone();
    slicesim::k8s::repack::canonicalize_endpoints(&mut c);
    c == *e
}

/// Precheck and real update agree at `limit`: a precheck verdict is exactly the real error,
/// and a real refusal of a canonical body is found by the precheck whenever the body's JSON
/// outside `metadata` has another length than the stored object's (the precheck's proof that
/// they differ).
fn check_update(full: &Endpoints, limit: u64) -> Result<(), TestCaseError> {
    // The precheck's contract covers canonical bodies only (the controller's); a duplicate
    // address the store would drop is invisible in the shell.
    if !canonical(full) {
        return Ok(());
    }
    let (shell, tails) = split_endpoints(full);
    let (st, shared) = store_with(limit);
    let pre = st.precheck_update(&shared, &shell, &tails);
    let (mut st2, mut shared2) = store_with(limit);
    let stored = st2.get("ns", "svc").expect("stored").clone();
    let rest = |e: &Endpoints| json::len_go(e) - json::len_go(&e.metadata);
    let real = st2.update(&mut shared2, full.clone());
    match (&pre, &real) {
        (Some(p), Err(r)) => {
            prop_assert_eq!(p, r);
            prop_assert_eq!(
                shared.peek_resource_version(),
                shared2.peek_resource_version()
            );
        }
        (None, Err(ApiError::RequestTooLarge { .. })) => prop_assert!(
            rest(full) == rest(&stored) || !canonical(full),
            "precheck missed a refusal: {:?}",
            real
        ),
        (Some(p), Ok(_)) => prop_assert!(false, "precheck refused {:?}, store accepted", p),
        _ => {}
    }
    Ok(())
}

/// Same for a create into an empty store: also the random stream after the call.
fn check_create(full: &Endpoints, limit: u64) -> Result<(), TestCaseError> {
    if !canonical(full) {
        return Ok(());
    }
    let (shell, tails) = split_endpoints(full);
    let st: Store<Endpoints> = Store::with_size_limit(SizeLimit {
        max_bytes: limit,
        size: pb,
    });
    let mut a = Shared::new(11, "2024-01-01T00:00:00Z".into());
    let mut b = a.clone();
    let pre = st.precheck_create(&mut a, &shell, &tails);
    let mut st2 = st.clone();
    let real = st2.create(&mut b, full.clone());
    match (&pre, &real) {
        (Some(p), Err(r)) => {
            prop_assert_eq!(p, r);
            prop_assert_eq!(a.draw_uid(), b.draw_uid());
        }
        (None, Err(ApiError::RequestTooLarge { .. })) => {
            prop_assert!(!canonical(full), "precheck missed a refusal: {:?}", real)
        }
        (Some(p), Ok(_)) => prop_assert!(false, "precheck refused {:?}, store accepted", p),
        (None, _) => {
            // untouched: the stream is where it was before the call
            let mut fresh = Shared::new(11, "2024-01-01T00:00:00Z".into());
            prop_assert_eq!(a.draw_uid(), fresh.draw_uid());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Sizes from a shell and its tails equal the real encodings' lengths.
    #[test]
    fn tails_sizes_equal_real_encodes(e in endpoints()) {
        let (shell, tails) = split_endpoints(&e);
        let got = endpoints_sizes_with_tails(&shell, &tails).expect("sizes");
        let (j, p) = encoded(&e);
        prop_assert_eq!((got.json, got.protobuf), (j, p));
        prop_assert_eq!(got, wire::sizes(&e).expect("sizes"));
        // counting JSON of the addresses agrees with the materialised bytes
        for a in e.subsets.iter().flatten().flat_map(|s| s.addresses.iter().flatten()) {
            prop_assert_eq!(json::len_go(a), json::to_vec_go(a).len());
        }
    }

    /// The store's verdict from a shell equals the real update's and create's, at limits on
    /// both sides of the object's size.
    #[test]
    fn precheck_equals_store_verdict(e in endpoints(), delta in -3i64..3) {
        let size = update_size(&e) as i64;
        let limit = (size + delta).max(0) as u64;
        check_update(&e, limit)?;
        check_create(&e, limit)?;
    }

    /// The Endpoints controller's planned shells (cache-backed, never built) stand for exactly
    /// the object it builds.
    #[test]
    fn controller_shells_equal_built_objects(
        pods in prop::collection::vec((0u8..40, any::<bool>(), any::<bool>()), 0..30),
    ) {
        let svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "svc", "namespace": "ns", "resourceVersion": "1"},
            "spec": {"selector": {"app": "a"}, "clusterIP": "10.96.0.1",
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
        })).expect("service");
        let pods: Vec<Pod> = pods
            .iter()
            .enumerate()
            .map(|(i, &(ip, ready, host))| pod(i, ip, ready, host))
            .collect();
        let mut c = EndpointsController::new(EndpointsOptions { max_capacity: 0, truncate: true });
        let selected = select_pods(&svc, &pods);
        match c.plan_sync(&svc, &selected, None, None).expect("not stale") {
            PlannedWrite::Create(body) => {
                let (shell, tails) = body.shell().map(|(s, t)| (s.clone(), t.to_vec())).expect("cache-backed");
                let full = body.build();
                prop_assert_eq!(&split_endpoints(&full).0, &shell);
                let got = endpoints_sizes_with_tails(&shell, &tails).expect("sizes");
                prop_assert_eq!((got.json, got.protobuf), encoded(&full));
            }
            other => prop_assert!(false, "expected a create, got {:?}", other),
        }
    }
}

fn pod(i: usize, ip: u8, ready: bool, hostname: bool) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("p{i}"), "namespace": "ns", "uid": format!("uid-{i}"),
                     "resourceVersion": "5", "labels": {"app": "a"}},
        "spec": {"nodeName": format!("n{}", i % 3), "hostname": if hostname { "h" } else { "" },
                 "subdomain": "svc", "containers": [{"name": "c"}]},
        "status": {"phase": "Running", "podIP": format!("10.0.1.{ip}"), "podIPs": [{"ip": format!("10.0.1.{ip}")}],
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    }))
    .expect("pod")
}

/// A KEP-size object (about 15,000 addresses, ~1.5 MB in protobuf) at etcd's default limit's
/// scale: one byte under, at and over its exact size.
#[test]
fn precheck_at_the_etcd_boundary() {
    let addrs: Vec<EndpointAddress> = (0..15_000u32)
        .map(|i| EndpointAddress {
            ip: format!("10.{}.{}.{}", 128 + i / 65536, i / 256 % 256, i % 256),
            hostname: None,
            node_name: Some(format!("node-{}", i % 5000).into()),
            target_ref: Some(ObjectReference {
                kind: Some("Pod".into()),
                namespace: Some("ns".into()),
                name: Some(format!("big-7d9f8c6b5-{i:05}").into()),
                uid: Some(format!("{i:08x}-0000-4000-8000-000000000000").into()),
                ..Default::default()
            }),
        })
        .collect();
    let full = Endpoints {
        metadata: ObjectMeta {
            name: Some("svc".into()),
            namespace: Some("ns".into()),
            labels: Some(BTreeMap::from([("app".to_string(), "big".to_string())])),
            ..Default::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(SharedValue::all(addrs[..14_000].to_vec())),
            not_ready_addresses: Some(SharedValue::all(addrs[14_000..].to_vec())),
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: 8080,
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
        }]),
        ..Default::default()
    };
    let size = update_size(&full) as u64;
    assert!(size > 1_400_000, "{size}");
    for limit in [size - 1, size, size + 1, 1_572_864] {
        check_update(&full, limit).expect("update verdict");
        check_create(&full, limit).expect("create verdict");
    }
    let (shell, tails) = split_endpoints(&full);
    let got = endpoints_sizes_with_tails(&shell, &tails).expect("sizes");
    assert_eq!((got.json, got.protobuf), encoded(&full));
    let (st, shared) = store_with(size - 1);
    assert!(matches!(
        st.precheck_update(&shared, &shell, &tails),
        Some(ApiError::RequestTooLarge { size: s, .. }) if s as u64 == size
    ));
}

/// A shell that lacks the element its tail follows is an error, not a wrong size.
#[test]
fn tail_without_its_list_is_an_error() {
    let shell = Endpoints {
        subsets: Some(vec![EndpointSubset::default()]),
        ..Default::default()
    };
    let mut t = SubsetTail::default();
    t.addresses.add(wire::ItemSizes {
        json: 10,
        protobuf: 8,
    });
    assert!(endpoints_sizes_with_tails(&shell, &[t]).is_err());
    assert!(endpoints_sizes_with_tails(&shell, &[t, t]).is_err());
}
