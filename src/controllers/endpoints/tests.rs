//! Unit tests of the Endpoints controller; each names the upstream behaviour it pins
//! (kubernetes/kubernetes pkg/controller/endpoint/endpoints_controller.go and
//! pkg/api/v1/endpoints/util.go, 1.32).

use super::repack::{repack_subsets, PortIdentity};
use super::*;
use proptest::prelude::*;
use serde_json::json;

fn svc(extra_spec: serde_json::Value) -> k8s::Service {
    let mut spec = json!({
        "selector": {"app": "a"},
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "clusterIP": "10.96.0.10",
        "ipFamilies": ["IPv4"],
        "type": "ClusterIP"
    });
    if let (Some(m), Some(e)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "metadata": {"name": "s", "namespace": "ns", "creationTimestamp": "2026-01-05T08:55:00Z", "labels": {"app": "a"}},
        "spec": spec,
        "status": {"loadBalancer": {}}
    }))
    .expect("service")
}

fn pod(name: &str, ip: &str, ready: bool) -> k8s::Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}"), "labels": {"app": "a"}},
        "spec": {"nodeName": "node-1", "containers": [{"name": "c", "ports": [
            {"name": "web", "containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                            "lastTransitionTime": "2026-01-05T09:00:00Z"}]}
    }))
    .expect("pod")
}

fn write_obj(w: EndpointsWrite) -> Endpoints {
    match w {
        EndpointsWrite::Create(e) | EndpointsWrite::Update(e) => e,
        EndpointsWrite::None => panic!("expected a write"),
    }
}

fn stored(mut e: Endpoints, rv: &str) -> Endpoints {
    e.metadata.resource_version = Some(rv.to_string());
    e
}

fn counts(e: &Endpoints) -> (usize, usize) {
    let subs = e.subsets.as_deref().unwrap_or(&[]);
    (
        subs.iter()
            .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
            .sum(),
        subs.iter()
            .map(|s| s.not_ready_addresses.as_ref().map_or(0, Vec::len))
            .sum(),
    )
}

/// syncService: ExternalName and selector-less (nil) Services get nothing from this controller.
#[test]
fn external_name_and_nil_selector_no_write() {
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let pods = vec![pod("p1", "10.0.0.1", true)];
    assert_eq!(
        c.sync(&svc(json!({"type": "ExternalName"})), &pods, None),
        EndpointsWrite::None
    );
    assert_eq!(
        c.sync(&svc(json!({"selector": null})), &pods, None),
        EndpointsWrite::None
    );
    // a non-nil empty selector selects every pod of the namespace (Go map semantics)
    let mut other = pod("o", "10.0.0.2", true);
    other.metadata.labels = None;
    let e = write_obj(c.sync(
        &svc(json!({"selector": {}})),
        &[pods[0].clone(), other],
        None,
    ));
    assert_eq!(counts(&e), (2, 0));
}

/// ShouldPodBeInEndpoints(pod, publishNotReadyAddresses): terminal and IP-less pods are out;
/// terminating pods only with publishNotReadyAddresses (then as ready addresses).
#[test]
fn pod_inclusion_rules() {
    let mut done = pod("done", "10.0.0.2", true);
    done.status.phase = Some("Succeeded".into());
    let mut noip = pod("noip", "10.0.0.3", true);
    noip.status.pod_ip = None;
    noip.status.pod_ips = None;
    let mut term = pod("term", "10.0.0.4", false);
    term.metadata.deletion_timestamp = Some("2026-01-05T09:00:00Z".into());
    let mut other_ns = pod("other", "10.0.0.5", true);
    other_ns.metadata.namespace = Some("elsewhere".into());
    let pods = vec![
        pod("p1", "10.0.0.1", true),
        done,
        noip,
        term,
        other_ns,
        pod("nr", "10.0.0.6", false),
    ];
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let e = write_obj(c.sync(&svc(json!({})), &pods, None));
    assert_eq!(counts(&e), (1, 1));
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let e = write_obj(c.sync(&svc(json!({"publishNotReadyAddresses": true})), &pods, None));
    assert_eq!(
        counts(&e),
        (3, 0),
        "terminating and unready pods become ready addresses"
    );
}

/// podToEndpointAddressForService: one IP of the primary family; nodeName always set; targetRef.
#[test]
fn address_of_primary_family() {
    let mut p = pod("p1", "10.0.0.1", true);
    p.status.pod_ips = Some(vec![
        k8s::PodIP {
            ip: "10.0.0.1".into(),
        },
        k8s::PodIP {
            ip: "fd00::1".into(),
        },
    ]);
    p.spec.node_name = None;
    let a = pod_to_endpoint_address(&svc(json!({"ipFamilies": ["IPv6", "IPv4"]})), &p).expect("v6");
    assert_eq!(a.ip, "fd00::1");
    assert_eq!(
        a.node_name.as_deref(),
        Some(""),
        "NodeName: &pod.Spec.NodeName is always set"
    );
    let r = a.target_ref.expect("targetRef");
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref(), r.uid.as_deref()),
        (Some("Pod"), Some("p1"), Some("uid-p1"))
    );
    let a = pod_to_endpoint_address(
        &svc(json!({"ipFamilies": null, "clusterIP": "fd00::10"})),
        &p,
    )
    .expect("v6");
    assert_eq!(a.ip, "fd00::1", "no ipFamilies: family of the clusterIP");
    let v4only = pod("p2", "10.0.0.2", true);
    assert!(pod_to_endpoint_address(&svc(json!({"ipFamilies": ["IPv6"]})), &v4only).is_none());
}

/// ShouldSetHostname: hostname iff spec.hostname set and spec.subdomain == service name.
#[test]
fn hostname_rule() {
    let mut p = pod("p1", "10.0.0.1", true);
    p.spec.hostname = Some("h1".into());
    p.spec.subdomain = Some("s".into());
    let mut q = pod("p2", "10.0.0.2", true);
    q.spec.hostname = Some("h2".into());
    q.spec.subdomain = Some("other".into());
    let (subs, _) = desired_subsets(&svc(json!({})), &[p, q]);
    let addrs = subs[0].addresses.as_ref().expect("addresses");
    assert_eq!(addrs[0].hostname.as_deref(), Some("h1"));
    assert_eq!(addrs[1].hostname, None);
}

/// pkg/api/v1/pod FindPort: named ports match name AND protocol in containers, then in
/// restartable (restartPolicy Always) init containers; int targetPorts are taken as is.
#[test]
fn find_port_rules() {
    let mut p = pod("p1", "10.0.0.1", true);
    let sp = |tp: serde_json::Value, proto: &str| -> k8s::ServicePort {
        serde_json::from_value(
            json!({"name": "x", "protocol": proto, "port": 80, "targetPort": tp}),
        )
        .expect("port")
    };
    assert_eq!(find_port(&p, &sp(json!("web"), "TCP")), Some(8080));
    assert_eq!(
        find_port(&p, &sp(json!("web"), "UDP")),
        None,
        "protocol must match"
    );
    assert_eq!(
        find_port(&p, &sp(json!(9999), "TCP")),
        Some(9999),
        "int targetPort not checked"
    );
    assert_eq!(find_port(&p, &sp(json!("side"), "TCP")), None);
    p.spec.init_containers = Some(vec![
        serde_json::from_value(json!({"name": "init", "ports": [{"name": "side", "containerPort": 7000, "protocol": "TCP"}]}))
            .expect("c"),
        serde_json::from_value(json!({"name": "sc", "restartPolicy": "Always",
            "ports": [{"name": "side", "containerPort": 7001, "protocol": "TCP"}]}))
        .expect("c"),
    ]);
    assert_eq!(
        find_port(&p, &sp(json!("side"), "TCP")),
        Some(7001),
        "sidecar searched, plain init container not"
    );
}

/// RepackSubsets: ports with the same address set share a subset; different port numbers
/// (named targetPort resolving differently) split subsets; addresses sort by IP bytes.
#[test]
fn repack_groups_and_sorts() {
    let svc2 = svc(json!({"ports": [
        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"},
        {"name": "m", "protocol": "TCP", "port": 90, "targetPort": 9090}]}));
    let mut odd = pod("odd", "10.0.0.10", true);
    odd.spec.containers.as_mut().expect("containers")[0]
        .ports
        .as_mut()
        .expect("ports")[0]
        .container_port = 8081;
    let pods = vec![
        pod("p9", "10.0.0.9", true),
        pod("p1", "10.0.0.1", true),
        odd,
    ];
    let (subs, _) = desired_subsets(&svc2, &pods);
    // "m" port is shared by all three, "http" splits into 8080 {p1,p9} and 8081 {odd}
    assert_eq!(subs.len(), 3);
    let all: Vec<_> = subs
        .iter()
        .map(|s| {
            (
                s.addresses
                    .as_ref()
                    .expect("a")
                    .iter()
                    .map(|a| a.ip.as_str())
                    .collect::<Vec<_>>(),
                s.ports
                    .as_ref()
                    .expect("p")
                    .iter()
                    .map(|p| p.port)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert!(
        all.contains(&(vec!["10.0.0.1", "10.0.0.10", "10.0.0.9"], vec![9090])),
        "{all:?}"
    );
    assert!(
        all.contains(&(vec!["10.0.0.1", "10.0.0.9"], vec![8080])),
        "{all:?}"
    );
    assert!(all.contains(&(vec!["10.0.0.10"], vec![8081])), "{all:?}");
}

/// mapAddressByPort: "not ready trumps ready" for the same (IP, UID) and port; ports with
/// appProtocol merge by value for the EPC (shared Service pointer) but not across decoded
/// subsets (per-entry pointers, mirroring controller).
#[test]
fn repack_not_ready_trumps_and_app_protocol_identity() {
    let addr = |ip: &str| {
        SharedValue::new(EndpointAddress {
            ip: ip.into(),
            ..Default::default()
        })
    };
    let port = EndpointPort {
        name: Some("p".into()),
        port: 80,
        protocol: Some("TCP".into()),
        app_protocol: Some("http".into()),
    };
    let subsets = vec![
        EndpointSubset {
            addresses: Some(vec![addr("1.1.1.1")]),
            not_ready_addresses: None,
            ports: Some(vec![port.clone()]),
        },
        EndpointSubset {
            addresses: Some(vec![addr("2.2.2.2")]),
            not_ready_addresses: Some(vec![addr("1.1.1.1")]),
            ports: Some(vec![port.clone()]),
        },
    ];
    let by_value = repack_subsets(&subsets, PortIdentity::ByValue);
    assert_eq!(by_value.len(), 1);
    assert_eq!(by_value[0].addresses.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        by_value[0].not_ready_addresses.as_ref().expect("nr")[0].ip,
        "1.1.1.1"
    );
    let per_occ = repack_subsets(&subsets, PortIdentity::PerOccurrence);
    assert_eq!(
        per_occ.len(),
        2,
        "appProtocol pointer keeps the two subsets apart"
    );
}

/// syncService: no write when nothing changed (trigger-time annotation not compared); a label
/// change forces an Update that carries the stored resourceVersion.
#[test]
fn write_decision() {
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let s1 = svc(json!({}));
    let pods = vec![pod("p1", "10.0.0.1", true)];
    let created = c.sync(&s1, &pods, None);
    let e = match created {
        EndpointsWrite::Create(e) => stored(e, "1"),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        e.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(LAST_CHANGE_TRIGGER_TIME))
            .map(String::as_str),
        Some("2026-01-05T08:55:00Z"),
        "first sync: service creationTimestamp"
    );
    assert_eq!(c.sync(&s1, &pods, Some(&e)), EndpointsWrite::None);
    let mut s2 = s1.clone();
    s2.metadata
        .labels
        .as_mut()
        .expect("labels")
        .insert("x".into(), "y".into());
    match c.sync(&s2, &pods, Some(&e)) {
        EndpointsWrite::Update(u) => {
            assert_eq!(u.metadata.resource_version.as_deref(), Some("1"));
            assert_eq!(
                u.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("x"))
                    .map(String::as_str),
                Some("y")
            );
            assert!(
                u.metadata
                    .annotations
                    .as_ref()
                    .map_or(true, |a| !a.contains_key(LAST_CHANGE_TRIGGER_TIME)),
                "zero trigger time removes the annotation"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// IsServiceIPSet false → `service.kubernetes.io/headless` label, not part of the comparison;
/// headless without ports publishes addresses without ports, headful without ports nothing.
#[test]
fn headless_label_and_portless() {
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let hl = svc(json!({"clusterIP": "None", "ports": null}));
    let pods = vec![pod("p1", "10.0.0.1", true)];
    let e = stored(write_obj(c.sync(&hl, &pods, None)), "1");
    assert_eq!(
        e.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(HEADLESS_LABEL))
            .map(String::as_str),
        Some("")
    );
    assert_eq!(counts(&e), (1, 0));
    assert!(e.subsets.as_ref().expect("subsets")[0].ports.is_none());
    assert_eq!(
        c.sync(&hl, &pods, Some(&e)),
        EndpointsWrite::None,
        "headless label ignored in comparison"
    );
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let e = write_obj(c.sync(&svc(json!({"ports": null})), &pods, None));
    assert_eq!(counts(&e), (0, 0));
}

fn many_pods(n: usize, not_ready_every: usize) -> Vec<k8s::Pod> {
    (0..n)
        .map(|i| {
            pod(
                &format!("p{i}"),
                &format!("10.1.{}.{}", i / 250, i % 250),
                i % not_ready_every != 0,
            )
        })
        .collect()
}

/// truncateEndpoints + capacityAnnotationSetCorrectly: >maxCapacity is truncated and annotated,
/// and every later sync is an Update (stored truncated subsets never equal the full set).
#[test]
fn over_capacity_truncates_and_rewrites() {
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let s1 = svc(json!({}));
    let pods = many_pods(1050, 10);
    let e = stored(write_obj(c.sync(&s1, &pods, None)), "1");
    assert_eq!(counts(&e), (945, 55));
    assert_eq!(
        e.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(OVER_CAPACITY_ANNOTATION))
            .map(String::as_str),
        Some("truncated")
    );
    assert!(matches!(
        c.sync(&s1, &pods, Some(&e)),
        EndpointsWrite::Update(_)
    ));
    // pre-1.22 mode: no truncation, no annotation, no rewrite
    let mut c = EndpointsController::new(EndpointsOptions {
        max_capacity: 0,
        ..EndpointsOptions::default()
    });
    let e = stored(write_obj(c.sync(&s1, &pods, None)), "1");
    assert_eq!(counts(&e), (945, 105));
    assert_eq!(c.sync(&s1, &pods, Some(&e)), EndpointsWrite::None);
}

/// Version profile 1.21 (`truncate: false`): an object over maxCapacity keeps every address
/// and is annotated `over-capacity: warning`; back under capacity the annotation goes; an
/// unchanged object is not rewritten.
#[test]
fn over_capacity_1_21_warns_without_truncating() {
    let mut c = EndpointsController::new(EndpointsOptions {
        truncate: false,
        ..EndpointsOptions::default()
    });
    let s1 = svc(json!({}));
    let pods = many_pods(1050, 10);
    let ann = |e: &Endpoints| {
        e.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(OVER_CAPACITY_ANNOTATION))
            .cloned()
    };
    let e = stored(write_obj(c.sync(&s1, &pods, None)), "1");
    assert_eq!(counts(&e), (945, 105), "nothing truncated");
    assert_eq!(ann(&e).as_deref(), Some("warning"));
    assert_eq!(c.sync(&s1, &pods, Some(&e)), EndpointsWrite::None);
    let few = many_pods(100, 10);
    let e2 = stored(write_obj(c.sync(&s1, &few, Some(&e))), "2");
    assert_eq!(ann(&e2), None);
}

/// staleEndpointsTracker: after an Update that changed the RV, reading the old RV again is refused.
#[test]
fn stale_tracker() {
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let s1 = svc(json!({}));
    let e1 = stored(
        write_obj(c.sync(&s1, &[pod("p1", "10.0.0.1", true)], None)),
        "1",
    );
    let pods = vec![pod("p1", "10.0.0.1", true), pod("p2", "10.0.0.2", true)];
    let e2 = stored(write_obj(c.sync(&s1, &pods, Some(&e1))), "2");
    c.record_update(&e1, &e2);
    assert!(
        c.try_sync(&s1, &pods, Some(&e1)).is_err(),
        "lister still returns RV 1"
    );
    assert_eq!(c.try_sync(&s1, &pods, Some(&e2)), Ok(EndpointsWrite::None));
    // a no-op update (same RV) records nothing
    c.record_update(&e2, &e2);
    assert_eq!(c.try_sync(&s1, &pods, Some(&e2)), Ok(EndpointsWrite::None));
}

/// ip_family follows ParseIPSloppy/To4: leading zeros ok, IPv4-mapped IPv6 counts as IPv4.
#[test]
fn ip_family_rules() {
    assert_eq!(ip_family("10.0.0.1"), Some(IpFamily::V4));
    assert_eq!(ip_family("010.000.000.001"), Some(IpFamily::V4));
    assert_eq!(ip_family("fd00::1"), Some(IpFamily::V6));
    assert_eq!(ip_family("::ffff:10.0.0.1"), Some(IpFamily::V4));
    assert_eq!(ip_family("::ffff:a00:1"), Some(IpFamily::V4));
    assert_eq!(ip_family("256.0.0.1"), None);
    assert_eq!(ip_family("example.com"), None);
    assert_eq!(ip_family("fd00::1%eth0"), None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Endpoints never holds more than maxCapacity addresses; re-syncing the stored result with
    /// unchanged input writes nothing, unless the object is over capacity (then it is rewritten).
    #[test]
    fn capacity_and_idempotence(n in 0usize..120, every in 1usize..6, cap in 1usize..60) {
        let mut c = EndpointsController::new(EndpointsOptions {
            max_capacity: cap,
            ..EndpointsOptions::default()
        });
        let s1 = svc(json!({}));
        let pods = many_pods(n, every);
        let w = c.sync(&s1, &pods, None);
        let e = stored(write_obj(w), "1");
        let (a, nr) = counts(&e);
        prop_assert!(a + nr <= cap);
        let over = e.metadata.annotations.as_ref().is_some_and(|m| m.contains_key(OVER_CAPACITY_ANNOTATION));
        prop_assert_eq!(over, n > cap);
        let again = c.sync(&s1, &pods, Some(&e));
        if over {
            prop_assert!(matches!(again, EndpointsWrite::Update(_)));
        } else {
            prop_assert_eq!(again, EndpointsWrite::None);
        }
    }
}

/// Scale envelope: a Service with 20,000 endpoints and two ports syncs (and re-syncs as an
/// over-capacity rewrite) in reasonable time even in a debug build.
#[test]
fn twenty_thousand_endpoints() {
    let svc2 = svc(json!({"ports": [
        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
        {"name": "m", "protocol": "TCP", "port": 90, "targetPort": 9090}]}));
    let pods: Vec<k8s::Pod> = (0..20_000)
        .map(|i| {
            pod(
                &format!("p{i}"),
                &format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                i % 7 != 0,
            )
        })
        .collect();
    let mut c = EndpointsController::new(EndpointsOptions::default());
    let e = stored(write_obj(c.sync(&svc2, &pods, None)), "1");
    assert_eq!(counts(&e).0 + counts(&e).1, 1000);
    assert!(matches!(
        c.sync(&svc2, &pods, Some(&e)),
        EndpointsWrite::Update(_)
    ));
}

/// The one sync function with and without the changed-pods hint: a controller given the hint
/// (the manager's path, desired subsets and trigger time updated from the changed pods only)
/// and one given none (the replay's full computation) issue the same writes, sync after sync,
/// over random pod additions, deletions, readiness flips, IP changes, label changes that move
/// pods out of and into the selection, Service changes, and truncation (capacity 6).
#[test]
fn change_hint_gives_the_same_writes() {
    use super::desired::PodChanges;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;
    let mk = |i: u32, rv: u64, ip: u32, ready: bool, t: u32, app: &str| -> k8s::Pod {
        let mut p = pod(
            &format!("p{i}"),
            &format!("10.0.{}.{}", ip / 200, ip % 200),
            ready,
        );
        p.metadata.resource_version = Some(rv.to_string());
        p.metadata.labels = Some([("app".to_string(), app.to_string())].into());
        if let Some(c) = p.status.conditions.as_mut() {
            c[0].last_transition_time = Some(format!("2026-01-05T09:{:02}:{:02}Z", t / 60, t % 60));
        }
        p
    };
    let (mut syncs, mut writes, mut truncated) = (0, 0, 0);
    for seed in 0..30u64 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let opts = EndpointsOptions {
            max_capacity: 6,
            ..EndpointsOptions::default()
        };
        let (mut hinted, mut full) = (
            EndpointsController::new(opts),
            EndpointsController::new(opts),
        );
        // name → (rv, ip, ready, transition second, app label)
        let mut state: BTreeMap<u32, (u64, u32, bool, u32, &str)> = BTreeMap::new();
        let (mut rv, mut next, mut t) = (1u64, 0u32, 0u32);
        let mut service = svc(json!({}));
        let mut current: Option<Endpoints> = None;
        for step in 0..40 {
            let mut changed = BTreeSet::new();
            for _ in 0..rng.gen_range(0..4) {
                rv += 1;
                t += 1;
                let pick = (!state.is_empty()).then(|| {
                    *state
                        .keys()
                        .nth(rng.gen_range(0..state.len()))
                        .unwrap_or(&0)
                });
                match (rng.gen_range(0..8), pick) {
                    (0 | 1, _) | (_, None) => {
                        next += 1;
                        state.insert(next, (rv, next, rng.gen_bool(0.7), t, "a"));
                        changed.insert(next);
                    }
                    (2, Some(i)) => {
                        state.remove(&i);
                        changed.insert(i);
                    }
                    (3 | 4, Some(i)) => {
                        let e = state.get_mut(&i).expect("picked");
                        (e.0, e.2, e.3) = (rv, !e.2, t);
                        changed.insert(i);
                    }
                    (5, Some(i)) => {
                        let e = state.get_mut(&i).expect("picked");
                        (e.0, e.1) = (rv, e.1 + 500);
                        changed.insert(i);
                    }
                    (6, Some(i)) => {
                        let e = state.get_mut(&i).expect("picked");
                        (e.0, e.4) = (rv, if e.4 == "a" { "b" } else { "a" });
                        changed.insert(i);
                    }
                    (_, Some(_)) => {
                        service = match rng.gen_range(0..3) {
                            0 => svc(json!({})),
                            1 => svc(json!({"publishNotReadyAddresses": true})),
                            _ => svc(json!({"ports": [
                                {"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"},
                                {"name": "alt", "protocol": "TCP", "port": 81, "targetPort": 8081}]})),
                        }
                    }
                }
            }
            let pods: Vec<k8s::Pod> = state
                .iter()
                .map(|(&i, &(rv, ip, ready, t, app))| mk(i, rv, ip, ready, t, app))
                .collect();
            let selected = select_pods(&service, &pods);
            let lookup = |n: &str| {
                selected
                    .iter()
                    .find(|(p, _)| s(&p.metadata.name) == n)
                    .copied()
            };
            let changes = PodChanges::Names(changed.iter().map(|i| format!("p{i}")).collect());
            let a = hinted.sync_service(
                &service,
                &selected,
                Some(PodChangeHint {
                    changes: &changes,
                    lookup: &lookup,
                }),
                current.as_ref(),
            );
            let b = full.try_sync(&service, &pods, current.as_ref());
            assert_eq!(a, b, "seed {seed} step {step}");
            syncs += 1;
            if let Ok(EndpointsWrite::Create(e) | EndpointsWrite::Update(e)) = a {
                writes += 1;
                truncated += usize::from(total_addresses(&e) == 6);
                let new = stored(e, &format!("e{seed}-{step}"));
                if let Some(prev) = &current {
                    hinted.record_update(prev, &new);
                    full.record_update(prev, &new);
                }
                current = Some(new);
            }
        }
    }
    assert!(
        syncs == 1200 && writes > 300 && truncated > 20,
        "{writes} {truncated}"
    );
}

proptest! {
    /// The label comparison of the write decision equals the copy-and-remove form it replaced.
    #[test]
    fn labels_equal_but_headless_is_copy_and_remove(
        a in prop::option::of(prop::collection::btree_map(
            prop_oneof![Just(HEADLESS_LABEL.to_string()), "[ab]{1,2}"], "[xy]{0,1}", 0..4)),
        b in prop::option::of(prop::collection::btree_map(
            prop_oneof![Just(HEADLESS_LABEL.to_string()), "[ab]{1,2}"], "[xy]{0,1}", 0..4)),
    ) {
        let mut cmp = a.clone();
        if let Some(l) = cmp.as_mut() {
            l.remove(HEADLESS_LABEL);
        }
        prop_assert_eq!(
            labels_equal_but_headless(a.as_ref(), b.as_ref()),
            labels_equal(cmp.as_ref(), b.as_ref())
        );
    }
}
