//! Integration tests of the public EndpointSlice controller API on `slicesim::k8s`
//! objects. Each test names the upstream behaviour it pins
//! (kubernetes/endpointslice v0.32.13: reconciler.go, utils.go).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use slicesim::apiserver::{Shared, Store};
use slicesim::controllers::endpointslice::{
    EndpointSliceController, NodeIndex, Reconciler, ReconcilerOptions, SliceWrite,
};
use slicesim::k8s;

fn service(extra_spec: serde_json::Value, annotations: serde_json::Value) -> k8s::Service {
    let mut spec = json!({
        "selector": {"app": "web"},
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "clusterIP": "10.96.0.10",
        "ipFamilies": ["IPv4"]
    });
    if let (Some(s), Some(e)) = (spec.as_object_mut(), extra_spec.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid",
                     "creationTimestamp": "2026-01-05T08:55:00Z",
                     "labels": {"app": "web"}, "annotations": annotations},
        "spec": spec
    }))
    .expect("service")
}

fn pod(i: usize, node: &str, ready: bool) -> k8s::Pod {
    serde_json::from_value(json!({
        "metadata": {"name": format!("web-{i}"), "namespace": "default", "uid": format!("uid-{i}"),
                     "labels": {"app": "web"}},
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "x",
                  "ports": [{"name": "web", "containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": format!("10.0.0.{i}"),
                   "podIPs": [{"ip": format!("10.0.0.{i}")}],
                   "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                                   "lastTransitionTime": "2026-01-05T08:56:00Z"}]}
    }))
    .expect("pod")
}

fn node(name: &str, zone: Option<&str>) -> k8s::Node {
    let labels = match zone {
        Some(z) => json!({"topology.kubernetes.io/zone": z}),
        None => json!({}),
    };
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}
    }))
    .expect("node")
}

/// A controller with `--max-endpoints-per-slice` = `max` (100 is kube-controller-manager's
/// default), everything else as in 1.32.
fn controller(max: usize) -> EndpointSliceController {
    EndpointSliceController::new(ReconcilerOptions {
        max_endpoints_per_slice: max,
        ..Default::default()
    })
}

fn nodes() -> NodeIndex {
    NodeIndex::from_nodes(&[node("n1", Some("zone-a")), node("n2", None)])
}

/// Apply a sync's writes to a store; returns (creates, updates, deletes).
fn apply(
    store: &mut Store<k8s::EndpointSlice>,
    sh: &mut Shared,
    writes: Vec<SliceWrite>,
) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for w in writes {
        match w {
            SliceWrite::Create(s) => {
                store.create(sh, s).expect("create");
                c.0 += 1;
            }
            SliceWrite::Update(s) => {
                store.update(sh, s).expect("update");
                c.1 += 1;
            }
            SliceWrite::Delete(s) => {
                store
                    .delete("default", s.metadata.name.as_deref().unwrap_or(""))
                    .expect("delete");
                c.2 += 1;
            }
        }
    }
    c
}

fn stored(store: &Store<k8s::EndpointSlice>) -> Vec<k8s::EndpointSlice> {
    store.list().into_iter().cloned().collect()
}

/// Reconciler.Reconcile never mutates its inputs (reconciler_test.go checks the same).
#[test]
fn reconcile_does_not_mutate_inputs() {
    let svc = service(json!({}), json!({}));
    let pods: Vec<k8s::Pod> = (1..30).map(|i| pod(i, "n1", i % 3 != 0)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut ctl = controller(10);
    let mut store = Store::new();
    let mut sh = Shared::new(1, "t0".into());
    let r = ctl
        .sync(&svc, &pods, &[], &nodes(), &mut rng)
        .reconciled()
        .expect("sync");
    apply(&mut store, &mut sh, r.writes);
    let existing = stored(&store);
    let before = (
        format!("{svc:?}"),
        format!("{pods:?}"),
        format!("{existing:?}"),
    );
    let fewer: Vec<k8s::Pod> = pods[5..].to_vec();
    let _ = ctl.sync(&svc, &fewer, &existing, &nodes(), &mut rng);
    let _ = ctl.sync(&svc, &pods, &existing, &nodes(), &mut rng);
    assert_eq!(
        before,
        (
            format!("{svc:?}"),
            format!("{pods:?}"),
            format!("{existing:?}")
        )
    );
}

/// Resync with no change issues no API call (placeholder-equal and unchanged slices).
#[test]
fn resync_without_change_writes_nothing() {
    for n in [0usize, 1, 25] {
        let svc = service(json!({}), json!({}));
        let pods: Vec<k8s::Pod> = (1..=n).map(|i| pod(i, "n1", true)).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut ctl = controller(10);
        let mut store = Store::new();
        let mut sh = Shared::new(1, "t0".into());
        let r = ctl
            .sync(&svc, &pods, &[], &nodes(), &mut rng)
            .reconciled()
            .expect("sync");
        apply(&mut store, &mut sh, r.writes);
        let r = ctl
            .sync(&svc, &pods, &stored(&store), &nodes(), &mut rng)
            .reconciled()
            .expect("sync");
        assert!(r.writes.is_empty(), "n={n}: {:?}", r.writes.len());
    }
}

/// reconcileByAddressType: a pod whose Node is missing is skipped with an error
/// unless publishNotReadyAddresses, then it is included without zone.
#[test]
fn node_not_found_rule() {
    let pods = [pod(1, "gone", true), pod(2, "n1", true)];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let svc = service(json!({}), json!({}));
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    assert_eq!(res.errors.len(), 1);
    let created: Vec<&k8s::EndpointSlice> = res.creates().collect();
    assert_eq!(created[0].endpoint_list().len(), 1);
    let svc = service(json!({"publishNotReadyAddresses": true}), json!({}));
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    assert!(res.errors.is_empty());
    let created: Vec<&k8s::EndpointSlice> = res.creates().collect();
    assert_eq!(created[0].endpoint_list().len(), 2);
    let no_zone = created[0]
        .endpoint_list()
        .iter()
        .find(|e| e.node_name.as_deref() == Some("gone"))
        .expect("endpoint on missing node");
    assert_eq!(no_zone.zone, None);
}

/// podToEndpoint: conditions serving/terminating/ready; publishNotReadyAddresses makes every endpoint ready.
#[test]
fn pod_to_endpoint_conditions() {
    let mut p = pod(1, "n1", true);
    p.metadata.deletion_timestamp = Some("2026-01-05T09:00:00Z".into());
    let pods = [p, pod(2, "n1", false)];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(
        &service(json!({}), json!({})),
        &refs,
        &[],
        &nodes(),
        None,
        &mut rng,
    );
    let s = res.creates().next().expect("create");
    let c: Vec<_> = s
        .endpoint_list()
        .iter()
        .map(|e| e.conditions.clone())
        .collect();
    let term = c
        .iter()
        .find(|c| c.terminating == Some(true))
        .expect("terminating");
    assert_eq!((term.ready, term.serving), (Some(false), Some(true)));
    let unready = c
        .iter()
        .find(|c| c.terminating == Some(false))
        .expect("unready");
    assert_eq!((unready.ready, unready.serving), (Some(false), Some(false)));
    let res = r.reconcile(
        &service(json!({"publishNotReadyAddresses": true}), json!({})),
        &refs,
        &[],
        &nodes(),
        None,
        &mut rng,
    );
    let s = res.creates().next().expect("create");
    assert!(s
        .endpoint_list()
        .iter()
        .all(|e| e.conditions.ready == Some(true)));
}

/// trafficdist (1.32): PreferClose hints every ready endpoint with its zone, "" when it has none.
#[test]
fn traffic_distribution_prefer_close_hints_empty_zone_in_1_32() {
    let svc = service(json!({"trafficDistribution": "PreferClose"}), json!({}));
    let pods = [pod(1, "n1", true), pod(2, "n2", true), pod(3, "n1", false)];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    let s = res.creates().next().expect("create");
    let mut hints: Vec<Option<String>> = s
        .endpoint_list()
        .iter()
        .map(|e| {
            e.hints
                .as_ref()
                .and_then(|h| h.for_zones.as_ref())
                .map(|z| z[0].name.clone())
        })
        .collect();
    hints.sort();
    assert_eq!(
        hints,
        vec![None, Some(String::new()), Some("zone-a".into())]
    );
}

/// Annotation precedence: while topology hints are enabled by annotation,
/// trafficDistribution is ignored (hints need ≥2 zones with CPU: none here → no hints).
#[test]
fn hints_annotation_overrides_traffic_distribution() {
    let svc = service(
        json!({"trafficDistribution": "PreferClose"}),
        json!({"service.kubernetes.io/topology-mode": "Auto"}),
    );
    let pods = [pod(1, "n1", true)];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    let s = res.creates().next().expect("create");
    assert!(s.endpoint_list().iter().all(|e| e.hints.is_none()));
}

/// getEndpointPorts/findPort (1.32): a named targetPort missing on a pod drops that port, putting the
/// pod in another port-mapping group (another slice); a port only on an init container is not found.
#[test]
fn named_target_port_groups() {
    let svc = service(
        json!({"ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"}]}),
        json!({}),
    );
    let mut p2 = pod(2, "n1", true);
    let c = p2.spec.container_list()[0].clone();
    p2.spec.init_containers = Some(vec![c]);
    p2.spec.containers.as_mut().expect("containers")[0].ports = None;
    let pods = [pod(1, "n1", true), p2];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    let mut ports: Vec<usize> = res.creates().map(|s| s.port_list().len()).collect();
    ports.sort();
    assert_eq!(ports, vec![0, 1]);
}

/// getAddressTypesForService: no ipFamilies on a headless Service → IPv4 and IPv6 slices;
/// a pod with only status.podIP (no podIPs) passes the filter but yields no address.
#[test]
fn legacy_headless_gets_both_families_and_pod_ip_alone_is_not_an_address() {
    let svc = service(json!({"clusterIP": "None", "ipFamilies": null}), json!({}));
    let mut p = pod(1, "n1", true);
    p.status.pod_ips = None;
    let pods = [p];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    let mut types: Vec<String> = res.creates().map(|s| s.address_type.clone()).collect();
    types.sort();
    assert_eq!(types, vec!["IPv4", "IPv6"]);
    assert!(res.creates().all(|s| s.endpoint_list().is_empty()));
    // Headless label on slices of a headless Service.
    assert!(res.creates().all(|s| s
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.get("service.kubernetes.io/headless") == Some(&String::new()))));
}

/// finalize: a Service being deleted gets no creates.
#[test]
fn deleting_service_skips_creates() {
    let mut svc = service(json!({}), json!({}));
    svc.metadata.deletion_timestamp = Some("2026-01-05T09:00:00Z".into());
    let pods = [pod(1, "n1", true)];
    let refs: Vec<&k8s::Pod> = pods.iter().collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut r = Reconciler::new(ReconcilerOptions::default());
    let res = r.reconcile(&svc, &refs, &[], &nodes(), None, &mut rng);
    assert!(res.writes.is_empty());
}

/// syncService: ExternalName Services and Services without selector are skipped (no writes at all).
#[test]
fn external_name_and_selectorless_services_are_skipped() {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut ctl = controller(100);
    let svc = service(
        json!({"type": "ExternalName", "externalName": "x.example"}),
        json!({}),
    );
    assert!(ctl
        .sync(&svc, &[pod(1, "n1", true)], &[], &nodes(), &mut rng)
        .reconciled()
        .is_none());
    let svc = service(json!({"selector": null}), json!({}));
    assert!(ctl
        .sync(&svc, &[pod(1, "n1", true)], &[], &nodes(), &mut rng)
        .reconciled()
        .is_none());
}

/// newEndpointSlice metadata: generateName, ownerReference (controller), labels; trigger-time annotation.
#[test]
fn new_slice_metadata() {
    let svc = service(json!({}), json!({}));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut ctl = controller(100);
    let r = ctl
        .sync(&svc, &[pod(1, "n1", true)], &[], &nodes(), &mut rng)
        .reconciled()
        .expect("sync");
    let s = r.creates().next().expect("create");
    assert_eq!(s.metadata.generate_name.as_deref(), Some("web-"));
    let o = &s.metadata.owner_references.as_ref().expect("owner")[0];
    assert_eq!(
        (
            o.kind.as_str(),
            o.uid.as_str(),
            o.controller,
            o.block_owner_deletion
        ),
        ("Service", "svc-uid", Some(true), Some(true))
    );
    let labels = s.metadata.labels.as_ref().expect("labels");
    assert_eq!(labels["kubernetes.io/service-name"], "web");
    assert_eq!(
        labels["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(labels["app"], "web");
    // First sync of a Service: trigger time = Service creationTimestamp.
    assert_eq!(
        s.metadata.annotations.as_ref().expect("annotations")
            ["endpoints.kubernetes.io/last-change-trigger-time"],
        "2026-01-05T08:55:00Z"
    );
}

/// EndpointSliceTracker.StaleSlices via the controller: after our own write, a listing
/// that does not show it yet (missing create, older generation) is stale; the fresh one is not.
#[test]
fn stale_listing_detected_after_own_writes() {
    let svc = service(json!({}), json!({}));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut ctl = controller(100);
    let mut store = Store::new();
    let mut sh = Shared::new(1, "t0".into());
    let r = ctl
        .sync(&svc, &[pod(1, "n1", true)], &[], &nodes(), &mut rng)
        .reconciled()
        .expect("sync");
    for w in r.writes {
        if let SliceWrite::Create(s) = w {
            let stored = store.create(&mut sh, s).expect("create");
            ctl.observe_write(&stored);
        }
    }
    assert!(ctl.is_stale(&svc, &[]), "our create is not listed yet");
    let fresh = stored(&store);
    assert!(!ctl.is_stale(&svc, &fresh));
    let before = fresh.clone();
    let r = ctl
        .sync(&svc, &[pod(1, "n1", false)], &fresh, &nodes(), &mut rng)
        .reconciled()
        .expect("sync");
    for w in r.writes {
        if let SliceWrite::Update(s) = w {
            let out = store.update(&mut sh, s).expect("update");
            ctl.observe_write(&out.object);
        }
    }
    assert!(ctl.is_stale(&svc, &before), "older generation listed");
    assert!(!ctl.is_stale(&svc, &stored(&store)));
}
