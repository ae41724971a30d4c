//! Unit tests of the mirroring controller; each names the upstream behaviour it pins
//! (kubernetes/kubernetes pkg/controller/endpointslicemirroring, 1.32).

use super::*;
use serde_json::json;

fn svc(selector: Option<serde_json::Value>) -> k8s::Service {
    let mut spec = json!({"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "clusterIP": "10.96.0.10", "type": "ClusterIP"});
    if let Some(sel) = selector {
        spec["selector"] = sel;
    }
    serde_json::from_value(json!({"metadata": {"name": "ext", "namespace": "ns"}, "spec": spec, "status": {"loadBalancer": {}}}))
        .expect("svc")
}

fn addrs(ips: &[&str]) -> serde_json::Value {
    json!(ips.iter().map(|ip| json!({"ip": ip})).collect::<Vec<_>>())
}

fn endpoints(subsets: serde_json::Value, meta_extra: serde_json::Value) -> Endpoints {
    let mut meta = json!({"name": "ext", "namespace": "ns", "uid": "ep-uid"});
    if let (Some(m), Some(e)) = (meta.as_object_mut(), meta_extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({"metadata": meta, "subsets": subsets})).expect("endpoints")
}

fn port(name: &str, p: i32, app: Option<&str>) -> serde_json::Value {
    let mut v = json!({"name": name, "port": p, "protocol": "TCP"});
    if let Some(a) = app {
        v["appProtocol"] = json!(a);
    }
    v
}

struct World {
    ctrl: MirroringController,
    store: Store<EndpointSlice>,
    shared: Shared,
}

impl World {
    fn new(max: usize) -> Self {
        World {
            ctrl: MirroringController::new(MirroringOptions {
                max_endpoints_per_subset: max,
            }),
            store: Store::new(),
            shared: Shared::new(1, "2026-01-05T09:00:00Z".into()),
        }
    }
    fn sync(&mut self, s: Option<&k8s::Service>, e: Option<&Endpoints>) -> MirrorSyncOutcome {
        self.ctrl
            .sync("ns", "ext", s, e, &mut self.store, &mut self.shared)
    }
    fn slices(&self) -> Vec<&EndpointSlice> {
        mirrored_slices(&self.store, "ns", "ext")
    }
    fn sizes(&self) -> Vec<(String, usize)> {
        self.slices()
            .iter()
            .map(|s| (s.address_type.clone(), s.endpoint_list().len()))
            .collect()
    }
}

fn counts(o: &MirrorSyncOutcome) -> (usize, usize, usize, bool) {
    (o.created, o.updated, o.deleted, o.error.is_some())
}

/// syncEndpoints/shouldMirror: selector Services, skip-mirror "true" (only that value) and the
/// leader-election annotation all delete the mirrored slices.
#[test]
fn should_mirror_rules() {
    let mut w = World::new(1000);
    let s = svc(None);
    let ep = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1"]), "ports": [port("http", 8080, None)]}]),
        json!({}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    let skip_false = endpoints(
        serde_json::to_value(&ep.subsets).expect("subsets"),
        json!({"labels": {LABEL_SKIP_MIRROR: "false"}}),
    );
    assert_eq!(
        counts(&w.sync(Some(&s), Some(&skip_false))),
        (0, 1, 0, false),
        "labels copied → update"
    );
    let skip = endpoints(
        serde_json::to_value(&ep.subsets).expect("subsets"),
        json!({"labels": {LABEL_SKIP_MIRROR: "true"}}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&skip))), (0, 0, 1, false));
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    let leader = endpoints(
        serde_json::to_value(&ep.subsets).expect("subsets"),
        json!({"annotations": {ANNOTATION_LEADER: "x"}}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&leader))), (0, 0, 1, false));
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    assert_eq!(
        counts(&w.sync(Some(&svc(Some(json!({"app": "x"})))), Some(&ep))),
        (0, 0, 1, false)
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    assert_eq!(
        counts(&w.sync(None, Some(&ep))),
        (0, 0, 1, false),
        "no Service"
    );
    assert_eq!(
        counts(&w.sync(Some(&s), None)),
        (0, 0, 0, false),
        "nothing left to delete"
    );
}

/// reconcile: one subset with both families → one slice per family; the per-subset limit
/// counts both families, ready first in IP-string order (IPv4 sorts before IPv6).
#[test]
fn per_subset_limit_spans_families() {
    let mut w = World::new(3);
    let ep = endpoints(
        json!([{"addresses": addrs(&["fd00::1", "10.0.0.1", "10.0.0.2"]),
                "notReadyAddresses": addrs(&["10.0.0.3"]), "ports": [port("http", 8080, None)]}]),
        json!({}),
    );
    w.sync(Some(&svc(None)), Some(&ep));
    assert_eq!(
        w.sizes(),
        vec![("IPv4".to_string(), 2), ("IPv6".to_string(), 1)]
    );
    let mut w = World::new(2);
    w.sync(Some(&svc(None)), Some(&ep));
    assert_eq!(
        w.sizes(),
        vec![("IPv4".to_string(), 2)],
        "the limit drops IPv6 entirely"
    );
}

/// addressToEndpoint: ready from the list, hostname/nodeName/targetRef copied, no
/// serving/terminating; invalid IPs skipped.
#[test]
fn endpoint_fields() {
    let mut w = World::new(1000);
    let ep = endpoints(
        json!([{"addresses": [{"ip": "10.0.0.1", "hostname": "h", "nodeName": "n1",
                 "targetRef": {"kind": "Pod", "namespace": "ns", "name": "p", "uid": "u"}}, {"ip": "not-an-ip"}],
                "notReadyAddresses": addrs(&["10.0.0.2"]), "ports": [port("http", 8080, None)]}]),
        json!({}),
    );
    w.sync(Some(&svc(None)), Some(&ep));
    let sl = w.slices();
    assert_eq!(sl.len(), 1);
    let eps = sl[0].endpoint_list();
    assert_eq!(eps.len(), 2);
    let e1 = eps
        .iter()
        .find(|e| e.address_list() == ["10.0.0.1"])
        .expect("e1");
    assert_eq!(e1.conditions.ready, Some(true));
    assert_eq!(
        (e1.conditions.serving, e1.conditions.terminating),
        (None, None)
    );
    assert_eq!(
        (e1.hostname.as_deref(), e1.node_name.as_deref()),
        (Some("h"), Some("n1"))
    );
    let e2 = eps
        .iter()
        .find(|e| e.address_list() == ["10.0.0.2"])
        .expect("e2");
    assert_eq!(e2.conditions.ready, Some(false));
    let labels = sl[0].metadata.labels.as_ref().expect("labels");
    assert_eq!(
        labels.get(LABEL_MANAGED_BY).map(String::as_str),
        Some(CONTROLLER_NAME)
    );
    let owner = &sl[0].metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Endpoints", "ep-uid", Some(true))
    );
}

/// reconcileByPortMapping early return: only trigger-time / last-applied annotation changes →
/// no write; other annotation changes → update; Endpoints carrying managed-by → update every sync.
#[test]
fn labels_and_annotations_compare() {
    let mut w = World::new(1000);
    let s = svc(None);
    let sub = json!([{"addresses": addrs(&["10.0.0.1"]), "ports": [port("http", 8080, None)]}]);
    let ep = endpoints(
        sub.clone(),
        json!({"annotations": {LAST_CHANGE_TRIGGER_TIME: "t1", "a": "1"}}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    assert!(w.slices()[0]
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| !a.contains_key(LAST_CHANGE_TRIGGER_TIME)));
    let ep2 = endpoints(
        sub.clone(),
        json!({"annotations": {LAST_CHANGE_TRIGGER_TIME: "t2", ANNOTATION_LAST_APPLIED: "{}", "a": "1"}}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep2))), (0, 0, 0, false));
    let ep3 = endpoints(sub.clone(), json!({"annotations": {"a": "2"}}));
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep3))), (0, 1, 0, false));
    let bad = endpoints(
        sub,
        json!({"annotations": {"a": "2"}, "labels": {LABEL_MANAGED_BY: "someone"}}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&bad))), (0, 1, 0, false));
    assert_eq!(
        counts(&w.sync(Some(&s), Some(&bad))),
        (0, 1, 0, false),
        "endless updates"
    );
}

/// RepackSubsets keys ports by struct value with an appProtocol pointer: the same port with
/// appProtocol in two subsets stays two subsets (both feeding one slice key, each with its own
/// limit); over the limit the slice never matches and is updated on every sync.
#[test]
fn app_protocol_ports_do_not_merge() {
    let mut w = World::new(3);
    let s = svc(None);
    let ep = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1", "10.0.0.2"]), "ports": [port("m", 9090, Some("http"))]},
               {"addresses": addrs(&["10.0.0.3", "10.0.0.4"]), "ports": [port("m", 9090, Some("http"))]}]),
        json!({}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (1, 0, 0, false));
    assert_eq!(
        w.sizes(),
        vec![("IPv4".to_string(), 3)],
        "4 desired, slice capped at 3"
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (0, 1, 0, false));
    // without appProtocol the two subsets merge and the per-subset limit applies to the union
    let ep = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1", "10.0.0.2"]), "ports": [port("m", 9090, None)]},
               {"addresses": addrs(&["10.0.0.3", "10.0.0.4"]), "ports": [port("m", 9090, None)]}]),
        json!({}),
    );
    w.sync(Some(&s), Some(&ep));
    assert_eq!(counts(&w.sync(Some(&s), Some(&ep))), (0, 0, 0, false));
}

/// finalize: creates are skipped while the Endpoints has a deletionTimestamp; updates and
/// deletes still go out.
#[test]
fn deleting_endpoints_only_stops_creates() {
    let mut w = World::new(1000);
    let s = svc(None);
    let ep = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1"]), "ports": [port("http", 8080, None)]}]),
        json!({}),
    );
    w.sync(Some(&s), Some(&ep));
    let del = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1", "10.0.0.2"]), "ports": [port("http", 8080, None)]},
               {"addresses": addrs(&["10.0.0.9"]), "ports": [port("other", 1, None)]}]),
        json!({"deletionTimestamp": "2026-01-05T09:00:00Z"}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&del))), (0, 1, 0, false));
    assert_eq!(w.slices().len(), 1);
}

/// recycleSlices/removeSlice: with one port key per family the pending creates are visited in
/// IPv4, IPv6 order and recycling succeeds; with two IPv4 keys before the IPv6 one, the IPv6
/// recycle removes the wrong pending create (match by empty Name) and the renamed slice's
/// Create fails with AlreadyExists, aborting the sync before any update or delete.
#[test]
fn recycle_name_clash() {
    let s = svc(None);
    let both = |ports: serde_json::Value| {
        endpoints(
            json!([{"addresses": addrs(&["10.0.0.1", "fd00::1"]), "ports": ports}]),
            json!({}),
        )
    };
    let mut w = World::new(1000);
    assert_eq!(
        counts(&w.sync(Some(&s), Some(&both(json!([port("a", 1, None)]))))),
        (2, 0, 0, false)
    );
    // port change: both keys change → 2 creates + 2 deletes → recycled into 2 updates
    assert_eq!(
        counts(&w.sync(
            Some(&s),
            Some(&both(json!([port("a", 1, None), port("b", 2, None)])))
        )),
        (0, 2, 0, false)
    );

    // Two IPv4 keys (two subsets) and one IPv6 key → creates [v4a, v4b, v6], deletes [v4, v6].
    let mut w = World::new(1000);
    let start = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1", "fd00::1"]), "ports": [port("a", 1, None)]}]),
        json!({}),
    );
    assert_eq!(counts(&w.sync(Some(&s), Some(&start))), (2, 0, 0, false));
    let next = endpoints(
        json!([{"addresses": addrs(&["10.0.0.1", "fd00::1"]), "ports": [port("x", 5, None)]},
               {"addresses": addrs(&["10.0.0.2"]), "ports": [port("y", 6, None)]}]),
        json!({}),
    );
    let out = w.sync(Some(&s), Some(&next));
    assert!(
        matches!(out.error, Some(ApiError::AlreadyExists(_))),
        "{out:?}"
    );
    assert_eq!(
        out.updated + out.deleted,
        0,
        "abort before updates and deletes"
    );
    assert!(out.created <= 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn arb_endpoints() -> impl Strategy<Value = serde_json::Value> {
        // subsets: (ready ips, not-ready ips, port set index); ips from a small pool so that
        // addresses repeat across subsets (repacking) and both families occur.
        let ip = prop_oneof![
            (0u8..12).prop_map(|i| format!("10.0.0.{i}")),
            (0u8..6).prop_map(|i| format!("fd00::{i:x}"))
        ];
        let subset = (
            proptest::collection::vec(ip.clone(), 0..8),
            proptest::collection::vec(ip, 0..4),
            0usize..3,
        );
        proptest::collection::vec(subset, 0..4).prop_map(|subs| {
            let port_sets = [
                json!([port("a", 1, None)]),
                json!([port("a", 1, None), port("b", 2, None)]),
                json!([]),
            ];
            json!(subs
                .into_iter()
                .map(|(r, n, p)| json!({"addresses": addrs(&r.iter().map(String::as_str).collect::<Vec<_>>()),
                                        "notReadyAddresses": addrs(&n.iter().map(String::as_str).collect::<Vec<_>>()),
                                        "ports": port_sets[p].clone()}))
                .collect::<Vec<_>>())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Without appProtocol every port lands in exactly one repacked subset, so every key's
        /// desired set fits the per-subset limit: a second sync of the same Endpoints writes
        /// nothing, every slice holds at most `max` endpoints and never an empty one
        /// (no placeholder in the mirroring controller).
        #[test]
        fn second_sync_is_a_no_op(subsets in arb_endpoints(), max in 1usize..6) {
            let mut w = World::new(max);
            let s = svc(None);
            let ep = endpoints(subsets, json!({}));
            let first = w.sync(Some(&s), Some(&ep));
            prop_assert!(first.error.is_none());
            for sl in w.slices() {
                prop_assert!(!sl.endpoint_list().is_empty());
                prop_assert!(sl.endpoint_list().len() <= max);
            }
            let again = w.sync(Some(&s), Some(&ep));
            prop_assert_eq!(counts(&again), (0, 0, 0, false));
        }
    }
}
