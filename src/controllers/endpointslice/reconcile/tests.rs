//! Unit tests of the reconcile algorithm, named after the upstream behaviour
//! (kubernetes/endpointslice :: reconciler_test.go, v0.32.13) or the worked
//! examples (derived by hand from reconciler.go reconcileByPortMapping / finalize) they pin. M =
//! max endpoints per slice.

use super::*;
use crate::controllers::endpointslice::model::{EndpointData, TargetRef};

fn rng() -> ChaCha8Rng {
    use rand::SeedableRng;
    ChaCha8Rng::seed_from_u64(1)
}

fn svc() -> ServiceInfo {
    ServiceInfo {
        namespace: "ns".into(),
        name: "web".into(),
        uid: "uid-1".into(),
        labels: [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    }
}

fn port(p: i32) -> Vec<SlicePort> {
    vec![SlicePort {
        name: Some("http".into()),
        port: Some(p),
        protocol: Some("TCP".into()),
        app_protocol: None,
    }]
}

fn ep(i: usize, ready: bool) -> Endpoint {
    Endpoint::from(EndpointData {
        addresses: vec![format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)],
        ready: Some(ready),
        serving: Some(ready),
        terminating: Some(false),
        target_ref: Some(TargetRef {
            kind: "Pod".into(),
            namespace: "ns".into(),
            name: format!("pod-{i}").into(),
            uid: format!("uid-{i}").into(),
        }),
        ..Default::default()
    })
}

fn desired(range: std::ops::Range<usize>, p: i32) -> BTreeMap<String, DesiredByPortMap> {
    let mut g = DesiredGroup {
        ports: port(p).into(),
        endpoints: EndpointSet::new(),
        total: None,
    };
    for i in range {
        g.endpoints.insert(ep(i, true));
    }
    let mut m = DesiredByPortMap::new();
    m.insert(PortMapKey::new(&port(p)).into(), g);
    [("IPv4".to_string(), m)].into_iter().collect()
}

fn existing_slice(name: &str, range: std::ops::Range<usize>, p: i32, idx: usize) -> Slice {
    let (labels, _) = slice_labels(&BTreeMap::new(), &svc());
    Slice {
        name: name.into(),
        address_type: "IPv4".into(),
        ports: port(p),
        endpoints: range.map(|i| ep(i, true)).collect(),
        labels,
        owned: true,
        origin: Some(idx),
        meta_like_new: true,
    }
}

fn run(existing: &[Slice], d: BTreeMap<String, DesiredByPortMap>, max: usize) -> ReconcilePlan {
    let opts = ReconcilerOptions {
        max_endpoints_per_slice: max,
        ..Default::default()
    };
    let mut tc = TopologyCache::new();
    let refs: Vec<&Slice> = existing.iter().collect();
    reconcile(
        &svc(),
        &["IPv4"],
        &refs,
        d,
        &opts,
        Some(&mut tc),
        &mut rng(),
    )
}

fn counts(p: &ReconcilePlan) -> (usize, usize, usize) {
    (p.metrics.creates, p.metrics.updates, p.metrics.deletes)
}

fn sizes(p: &ReconcilePlan) -> Vec<usize> {
    p.writes
        .iter()
        .filter_map(|w| match w {
            PlannedWrite::Create(s) | PlannedWrite::Update(s) => Some(s.endpoints.len()),
            PlannedWrite::Delete { .. } => None,
        })
        .collect()
}

/// Placeholder (reconciler.go reconcileByAddressType): new Service, no pods → one placeholder
/// create; resync → no-op.
#[test]
fn placeholder_created_then_kept() {
    let p = run(&[], BTreeMap::new(), 100);
    assert_eq!(counts(&p), (1, 0, 0));
    let PlannedWrite::Create(ph) = &p.writes[0] else {
        panic!("expected create")
    };
    assert!(ph.ports.is_empty() && ph.endpoints.is_empty());
    let mut ph = ph.clone();
    ph.name = "web-abcde".into();
    ph.origin = Some(0);
    let p = run(&[ph], BTreeMap::new(), 100);
    assert_eq!(counts(&p), (0, 0, 0));
}

/// TestReconcileManyPods: 250 pods, no slices → 3 creates {100,100,50}.
#[test]
fn reconcile_many_pods() {
    let p = run(&[], desired(0..250, 80), 100);
    assert_eq!(counts(&p), (3, 0, 0));
    assert_eq!(sizes(&p), vec![100, 100, 50]);
    assert_eq!(p.metrics.endpoints_added, 250);
    assert_eq!(p.metrics.desired_slices, 3);
}

/// reconciler.go finalize: placeholder + 250 pods → C=2, U=1 (last create recycled into the
/// placeholder).
#[test]
fn placeholder_recycled_into_update() {
    let mut ph = existing_slice("web-ph", 0..0, 0, 0);
    ph.ports.clear();
    let p = run(&[ph], desired(0..250, 80), 100);
    assert_eq!(counts(&p), (2, 1, 0));
    // API order: creates, then updates.
    assert!(matches!(p.writes[0], PlannedWrite::Create(_)));
    assert!(
        matches!(&p.writes[2], PlannedWrite::Update(s) if s.name == "web-ph" && s.endpoints.len() == 50)
    );
}

/// TestReconcileEndpointSlicesSomePreexisting: {62,61} + 250 pods → create [100], update 62→89.
#[test]
fn some_preexisting_best_fit() {
    let a = existing_slice("a", 0..62, 80, 0);
    let b = existing_slice("b", 62..123, 80, 1);
    let p = run(&[a, b], desired(0..250, 80), 100);
    assert_eq!(counts(&p), (1, 1, 0));
    assert_eq!(sizes(&p), vec![100, 89]);
}

/// TestReconcileEndpointSlicesSomePreexistingWorseAllocation: {74,74} + 300 → 2 creates.
#[test]
fn some_preexisting_worse_allocation() {
    let a = existing_slice("a", 0..74, 80, 0);
    let b = existing_slice("b", 74..148, 80, 1);
    let p = run(&[a, b], desired(0..300, 80), 100);
    assert_eq!(counts(&p), (2, 0, 0));
    assert_eq!(sizes(&p), vec![100, 52]);
}

/// TestReconcileEndpointSlicesRecycling: 10×30, no change → 0; targetPort change → 3 updates + 7 deletes.
#[test]
fn recycling_on_target_port_change() {
    let ex: Vec<Slice> = (0..10)
        .map(|i| existing_slice(&format!("s{i:02}"), i * 30..i * 30 + 30, 80, i))
        .collect();
    let p = run(&ex, desired(0..300, 80), 100);
    assert_eq!(counts(&p), (0, 0, 0));
    let p = run(&ex, desired(0..300, 81), 100);
    assert_eq!(counts(&p), (0, 3, 7));
    assert_eq!(p.metrics.endpoints_added, 300);
    assert_eq!(p.metrics.endpoints_removed, 0);
}

/// TestReconcileEndpointSlicesServicesLabelsUpdating: label change → every slice updated.
#[test]
fn service_label_change_updates_all() {
    let ex = [
        existing_slice("a", 0..100, 80, 0),
        existing_slice("b", 100..200, 80, 1),
        existing_slice("c", 200..250, 80, 2),
    ];
    let mut s = svc();
    s.labels.insert("new".into(), "x".into());
    let opts = ReconcilerOptions::default();
    let p = reconcile(
        &s,
        &["IPv4"],
        &ex.iter().collect::<Vec<_>>(),
        desired(0..250, 80),
        &opts,
        None,
        &mut rng(),
    );
    assert_eq!(counts(&p), (0, 3, 0));
    // Reserved labels only → nothing.
    let mut s = svc();
    s.labels
        .insert(LABEL_SERVICE_NAME_FOR_TEST.into(), "x".into());
    let p = reconcile(
        &s,
        &["IPv4"],
        &ex.iter().collect::<Vec<_>>(),
        desired(0..250, 80),
        &opts,
        None,
        &mut rng(),
    );
    assert_eq!(counts(&p), (0, 0, 0));
}
const LABEL_SERVICE_NAME_FOR_TEST: &str =
    crate::controllers::endpointslice::model::LABEL_SERVICE_NAME;

/// TestReconcileEndpointSlicesUpdatePacking: {80,20} both updated + 15 new → fuller first {95,20}.
#[test]
fn update_packing_fills_fullest_first() {
    let mut a = existing_slice("a", 0..80, 80, 0);
    let mut b = existing_slice("b", 80..100, 80, 1);
    a.endpoints[0].ready = Some(false); // will flip back to desired ready → update
    b.endpoints[0].ready = Some(false);
    let p = run(&[a, b], desired(0..115, 80), 100);
    assert_eq!(counts(&p), (0, 2, 0));
    let mut s = sizes(&p);
    s.sort();
    assert_eq!(s, vec![20, 95]);
}

/// TestReconcileEndpointSlicesRecreation: a slice owned by another Service UID → create + delete (not recycled).
#[test]
fn not_owned_slice_is_deleted_not_recycled() {
    let mut a = existing_slice("a", 0..10, 80, 0);
    a.owned = false;
    a.meta_like_new = false;
    let p = run(&[a], desired(0..10, 80), 100);
    assert_eq!(counts(&p), (1, 0, 1));
}

/// TestReconcileEndpointSlicesReplaceDeprecated: unsupported address type slices are deleted after the rest.
#[test]
fn unsupported_address_type_deleted_last() {
    let mut a = existing_slice("a", 0..100, 80, 0);
    a.address_type = "IP".into();
    let mut b = existing_slice("b", 100..130, 80, 1);
    b.address_type = "IP".into();
    let p = run(&[a, b], desired(0..130, 80), 100);
    assert_eq!(counts(&p), (2, 0, 2));
    assert!(matches!(p.writes[3], PlannedWrite::Delete { .. }));
}

/// reconciler.go reconcileByAddressType + finalize: scale to zero from {100,100,50} → U=1
/// (placeholder into a recycled name), D=2.
#[test]
fn scale_to_zero_recycles_placeholder() {
    let ex = vec![
        existing_slice("a", 0..100, 80, 0),
        existing_slice("b", 100..200, 80, 1),
        existing_slice("c", 200..250, 80, 2),
    ];
    let p = run(&ex, BTreeMap::new(), 100);
    assert_eq!(counts(&p), (0, 1, 2));
    assert_eq!(
        p.metrics.endpoints_removed, 0,
        "groups no longer desired are not 'removed'"
    );
}

/// Strict `<`: exactly M leftovers never go into an existing slice.
#[test]
fn exactly_max_leftovers_get_new_slice() {
    let a = existing_slice("a", 0..1, 80, 0);
    let p = run(&[a], desired(0..11, 80), 10);
    assert_eq!(counts(&p), (1, 0, 0));
    let a = existing_slice("a", 0..1, 80, 0);
    let p = run(&[a], desired(0..10, 80), 10);
    assert_eq!(counts(&p), (0, 1, 0));
}

/// Deleting an endpoint and adding one in the same sync refills the updated slice (reconciler.go
/// reconcileByPortMapping step 2).
#[test]
fn removed_and_added_in_same_sync_single_update() {
    let a = existing_slice("a", 0..100, 80, 0);
    let b = existing_slice("b", 100..160, 80, 1);
    let p = run(&[a, b], desired(1..161, 80), 100);
    assert_eq!(counts(&p), (0, 1, 0));
    assert_eq!(sizes(&p), vec![100]);
}

/// The reconciler never mutates its inputs.
#[test]
fn inputs_not_mutated() {
    let ex = vec![existing_slice("a", 0..10, 80, 0)];
    let before = ex.clone();
    let _ = run(&ex, desired(5..30, 81), 10);
    assert_eq!(ex, before);
}

/// Apply a plan to a simulated store (creation order kept; new names from a counter).
fn apply(store: &mut Vec<Slice>, plan: &ReconcilePlan, next: &mut usize) {
    for w in &plan.writes {
        match w {
            PlannedWrite::Create(s) => {
                let mut s = s.clone();
                s.name = format!("web-{next:05}");
                *next += 1;
                store.push(s);
            }
            PlannedWrite::Update(s) => {
                let pos = store.iter().position(|x| x.name == s.name);
                let pos = pos.expect("update of a stored slice");
                let mut s = s.clone();
                s.owned = true;
                s.meta_like_new = true;
                store[pos] = s;
            }
            PlannedWrite::Delete { name, .. } => store.retain(|x| &x.name != name),
        }
    }
    for (i, s) in store.iter_mut().enumerate() {
        s.origin = Some(i);
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A pod universe of 60 pods, each either absent, ready, not ready, or on port 81.
    fn desired_from(states: &[u8]) -> BTreeMap<String, DesiredByPortMap> {
        let mut m = DesiredByPortMap::new();
        for (i, st) in states.iter().enumerate() {
            let (p, ready) = match st % 4 {
                0 => continue,
                1 => (80, true),
                2 => (80, false),
                _ => (81, true),
            };
            m.entry(PortMapKey::new(&port(p)).into())
                .or_insert_with(|| DesiredGroup {
                    ports: port(p).into(),
                    endpoints: EndpointSet::new(),
                    total: None,
                })
                .endpoints
                .insert(ep(i, ready));
        }
        [("IPv4".to_string(), m)].into_iter().collect()
    }

    proptest! {
        /// After every sync: no slice exceeds max; each desired endpoint is in exactly one slice of its
        /// port mapping; at least one slice exists (placeholder); a resync without change writes nothing.
        #[test]
        fn reconcile_invariants(max in 1usize..12, seq in proptest::collection::vec(proptest::collection::vec(0u8..4, 60), 1..6)) {
            let mut store: Vec<Slice> = Vec::new();
            let mut next = 0;
            for states in &seq {
                let d = desired_from(states);
                let plan = run(&store, d.clone(), max);
                apply(&mut store, &plan, &mut next);
                prop_assert!(!store.is_empty());
                for s in &store {
                    prop_assert!(s.endpoints.len() <= max);
                }
                for g in d.values().flat_map(|m| m.iter()) {
                    let (key, group) = g;
                    for e in group.endpoints.iter() {
                        let k = e.endpoint_key();
                        let n: usize = store.iter().filter(|s| PortMapKey::new(&s.ports) == **key)
                            .map(|s| s.endpoints.iter().filter(|x| x.endpoint_key() == k && x == &e).count()).sum();
                        prop_assert_eq!(n, 1);
                    }
                }
                let total: usize = store.iter().map(|s| s.endpoints.len()).sum();
                let want: usize = d.values().flat_map(|m| m.values()).map(|g| g.endpoints.len()).sum();
                prop_assert_eq!(total, want);
                let again = run(&store, d, max);
                prop_assert_eq!(counts(&again), (0, 0, 0));
            }
        }
    }
}
