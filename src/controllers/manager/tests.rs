//! Unit tests of the controller manager.

use super::*;

fn pod(rv: &str, labels: &[(&str, &str)], ready: bool, ips: &[&str], deleting: bool) -> k8s::Pod {
    let v = serde_json::json!({
        "metadata": {
            "name": "p", "namespace": "ns", "resourceVersion": rv,
            "labels": labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            "deletionTimestamp": if deleting { Some("2026-01-01T00:00:00Z") } else { None },
        },
        "status": {
            "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}],
            "podIPs": ips.iter().map(|i| serde_json::json!({"ip": i})).collect::<Vec<_>>(),
        }
    });
    serde_json::from_value(v).expect("pod")
}

fn svc(name: &str, sel: &[(&str, &str)]) -> (String, k8s::Service) {
    let v = serde_json::json!({
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"selector": sel.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>()}
    });
    (
        format!("ns/{name}"),
        serde_json::from_value(v).expect("svc"),
    )
}

/// GetServicesToUpdateOnPodChange: resync ignored, readiness/IP/deletion changes enqueue the
/// Services of the new labels, label changes the symmetric difference (or union).
#[test]
fn pod_update_filter() {
    let services: BTreeMap<String, k8s::Service> = [
        svc("a", &[("app", "a")]),
        svc("b", &[("app", "b")]),
        svc("all", &[("tier", "x")]),
    ]
    .into_iter()
    .collect();
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let a = &[("app", "a"), ("tier", "x")][..];
    let b = &[("app", "b"), ("tier", "x")][..];
    // resync: same RV
    let o = pod("1", a, true, &["10.0.0.1"], false);
    assert!(services_to_update_on_pod_change(services.iter(), &o, &o.clone()).is_empty());
    // unrelated change (new RV, nothing relevant)
    let n = pod("2", a, true, &["10.0.0.1"], false);
    assert!(services_to_update_on_pod_change(services.iter(), &o, &n).is_empty());
    // readiness change
    let n = pod("2", a, false, &["10.0.0.1"], false);
    assert_eq!(
        services_to_update_on_pod_change(services.iter(), &o, &n),
        set(&["ns/a", "ns/all"])
    );
    // IP change
    let n = pod("2", a, true, &["10.0.0.2"], false);
    assert_eq!(
        services_to_update_on_pod_change(services.iter(), &o, &n),
        set(&["ns/a", "ns/all"])
    );
    // labels only: symmetric difference
    let n = pod("2", b, true, &["10.0.0.1"], false);
    assert_eq!(
        services_to_update_on_pod_change(services.iter(), &o, &n),
        set(&["ns/a", "ns/b"])
    );
    // labels and readiness: union
    let n = pod("2", b, false, &["10.0.0.1"], false);
    assert_eq!(
        services_to_update_on_pod_change(services.iter(), &o, &n),
        set(&["ns/a", "ns/all", "ns/b"])
    );
    // terminating pods: every further update counts (pointer comparison upstream)
    let o = pod("3", a, false, &["10.0.0.1"], true);
    let n = pod("4", a, false, &["10.0.0.1"], true);
    assert_eq!(
        services_to_update_on_pod_change(services.iter(), &o, &n),
        set(&["ns/a", "ns/all"])
    );
}

#[test]
fn choice_seed_is_stable_and_per_service() {
    assert_eq!(
        service_choice_seed(42, "default/web"),
        service_choice_seed(42, "default/web")
    );
    assert_ne!(
        service_choice_seed(42, "default/web"),
        service_choice_seed(42, "default/api")
    );
    assert_ne!(
        service_choice_seed(42, "default/web"),
        service_choice_seed(43, "default/web")
    );
}

#[test]
fn pod_list_insert_replace_remove() {
    let mut l = PodList::default();
    for n in ["a", "b", "c"] {
        let mut p = pod("1", &[], true, &[], false);
        p.metadata.name = Some(n.to_string());
        assert!(l.insert(n.to_string(), p).is_none());
    }
    let mut p = pod("2", &[], true, &[], false);
    p.metadata.name = Some("b".into());
    assert!(l.insert("b".into(), p).is_some());
    assert_eq!(
        l.get("b").unwrap().metadata.resource_version.as_deref(),
        Some("2")
    );
    assert!(l.remove("a").is_some());
    assert!(l.remove("a").is_none());
    let names: Vec<_> = l
        .values()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["c", "b"]);
    assert_eq!(l.get("c").unwrap().metadata.name.as_deref(), Some("c"));
    assert_eq!(l.as_slice().len(), 2);
}

use crate::testutil::run_controllers as run_src;

/// etcd `--max-request-bytes`: the untruncated Endpoints object (max_capacity 0) is too large
/// and refused every time; the EPC retries with 5 ms·2^n backoff 15 times, then drops the key:
/// exactly 1 + 15 failing syncs, no Endpoints stored. The small slices are stored.
#[test]
fn etcd_limit_rejects_and_retries_are_bounded() {
    let src = r#"name = "etcd"
seed = 1
duration = "10m"
[cluster]
nodes = 3
zones = ["a"]
[[workloads]]
name = "web"
replicas = 60
ports = [{ name = "http", container_port = 8080 }]
[[services]]
name = "web"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
[controllers.endpointslice]
max_endpoints_per_slice = 5
[controllers.endpoints]
max_capacity = 0
[apiserver]
etcd_max_request_bytes = 4000
"#;
    let (mgr, _) = run_src(src);
    let st = mgr.final_stats();
    let s = &st["default/web"];
    assert_eq!(s.ep_creates, 0);
    assert!(mgr.endpoints.get("default", "web").is_none());
    assert_eq!(
        s.syncs[ControllerKind::Endpoints as usize][SyncResult::Error as usize],
        16
    );
    assert_eq!(s.rejected_writes, 16);
    assert_eq!(s.es_creates, 12, "60 endpoints / 5 per slice");
    assert_eq!(s.slices_alive, 12);
    assert!(mgr.is_idle());
}

/// A selectorless Service with manual Endpoints is mirrored; the ESC and EPC leave it alone.
#[test]
fn selectorless_service_is_mirrored() {
    let src = r#"name = "mirror"
seed = 1
duration = "2m"
[cluster]
nodes = 1
zones = ["a"]
[[services]]
name = "ext"
ports = [{ name = "db", port = 5432 }]
endpoints = { count = 3, not_ready = 1, cidr = "10.1.0.0/24" }
"#;
    let (mgr, _) = run_src(src);
    let st = mgr.final_stats();
    let s = &st["default/ext"];
    assert_eq!(s.mirroring_writes, 1);
    assert_eq!(s.es_creates + s.ep_creates, 0);
    let slices = mirrored_slices(&mgr.slices, "default", "ext");
    assert_eq!(slices.len(), 1);
    assert_eq!(
        slices[0].endpoint_list().len(),
        4,
        "3 ready + 1 not-ready address"
    );
}

/// Every stored write reaches the observer once, with strictly increasing resourceVersions,
/// matching the manager's own counts.
#[test]
fn observer_sees_every_write_in_order() {
    use crate::apiserver::write_log::{WriteOutcome, WriteRecord};
    #[derive(Default)]
    struct Rec {
        rows: Vec<(Writer, Verb, u64)>,
        rejected: usize,
    }
    impl WriteObserver for Rec {
        fn on_write(&mut self, r: &WriteRecord<'_>) {
            match &r.outcome {
                WriteOutcome::Stored { resource_version } => {
                    assert_eq!(r.new.is_none(), r.verb == Verb::Delete);
                    assert_eq!(r.old.is_none(), r.verb == Verb::Create);
                    self.rows.push((r.writer, r.verb, *resource_version))
                }
                WriteOutcome::Rejected { .. } => self.rejected += 1,
            }
        }
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let sc = crate::scenario::load(
        &path,
        &["controllers.endpointslice.max_endpoints_per_slice=7".into()],
    )
    .unwrap();
    let mut rec = Rec::default();
    let st = {
        let mut mgr = ControllerManager::with_observer(
            &sc,
            &ManagerOptions::default(),
            Box::new(BorrowedObserver(&mut rec)),
        );
        let mut world = World::new(sc.clone(), crate::cluster::WorldOptions::default()).unwrap();
        crate::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
        mgr.final_stats().total()
    };
    assert!(rec.rows.windows(2).all(|w| w[0].2 < w[1].2), "RVs increase");
    let count =
        |w: Writer, v: Verb| rec.rows.iter().filter(|r| r.0 == w && r.1 == v).count() as u64;
    assert_eq!(
        count(Writer::EndpointSliceController, Verb::Create),
        st.es_creates
    );
    assert_eq!(
        count(Writer::EndpointSliceController, Verb::Update),
        st.es_updates
    );
    assert_eq!(
        count(Writer::EndpointSliceController, Verb::Delete),
        st.es_deletes
    );
    assert_eq!(
        count(Writer::EndpointsController, Verb::Create),
        st.ep_creates
    );
    assert_eq!(
        count(Writer::EndpointsController, Verb::Update),
        st.ep_updates
    );
    assert_eq!(rec.rejected as u64, st.rejected_writes);
    assert!(st.es_creates >= 6 && st.es_updates > 0 && st.ep_updates > 0);
}

fn informer_lag_src(lag: &str) -> String {
    format!(
        r#"name = "lag"
seed = 3
duration = "10m"
[cluster]
nodes = 4
zones = ["a", "b"]
[[workloads]]
name = "web"
replicas = 60
ports = [{{ name = "http", container_port = 8080 }}]
ready_delay = "1s..3s"
[[services]]
name = "web"
workload = "web"
ports = [{{ name = "http", port = 80, target_port = "http" }}]
[controllers]
informer_lag = "{lag}"
[controllers.endpointslice]
max_endpoints_per_slice = 10
[[events]]
at = "1m"
type = "rolling_update"
workload = "web"
"#
    )
}

fn addresses_of_slices(mgr: &ControllerManager<'_>) -> BTreeSet<String> {
    mgr.slices_of("default/web")
        .iter()
        .flat_map(|s| {
            s.endpoint_list()
                .iter()
                .flat_map(|e| e.address_list().to_vec())
        })
        .collect()
}

fn addresses_of_endpoints(mgr: &ControllerManager<'_>) -> BTreeSet<String> {
    address_set(mgr.endpoints.get("default", "web"))
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// Stale informer caches (endpointslice_controller.go syncService /
/// `EndpointSliceTracker.StaleSlices`; endpoints_tracker.go `staleEndpointsTracker.IsStale`): with
/// a lag longer than the gaps between a Service's syncs, syncs list their own earlier writes
/// missing. The ESC must take the StaleInformerCache path (no writes, rate-limited retry) and the
/// EPC its stale-RV / conflict path — and both must still converge to the pods' endpoints, with no
/// write lost.
#[test]
fn lagging_informers_cause_stale_syncs_and_still_converge() {
    let (mgr, _) = run_src(&informer_lag_src("300ms..600ms"));
    let st = mgr.final_stats();
    let s = &st["default/web"];
    let esc = &s.syncs[ControllerKind::EndpointSlice as usize];
    let epc = &s.syncs[ControllerKind::Endpoints as usize];
    assert!(
        esc[SyncResult::Stale as usize] > 0,
        "ESC stale syncs: {esc:?}"
    );
    assert!(
        epc[SyncResult::Stale as usize] + epc[SyncResult::Error as usize] > 0,
        "EPC stale/conflict syncs: {epc:?}"
    );
    assert!(mgr.is_idle());
    let slices = addresses_of_slices(&mgr);
    assert_eq!(
        slices.len(),
        60,
        "every pod of the finished rollout is published"
    );
    assert_eq!(slices, addresses_of_endpoints(&mgr));
    for sl in mgr.slices_of("default/web") {
        assert!(sl.endpoint_list().len() <= 10);
    }
}

/// With `informer_lag = "0s"` the informers see every write at once: no stale sync can happen.
#[test]
fn zero_informer_lag_never_stale() {
    let (mgr, _) = run_src(&informer_lag_src("0s"));
    let st = mgr.final_stats();
    let s = &st["default/web"];
    for c in [ControllerKind::EndpointSlice, ControllerKind::Endpoints] {
        assert_eq!(s.syncs[c as usize][SyncResult::Stale as usize], 0);
        assert_eq!(s.syncs[c as usize][SyncResult::Error as usize], 0);
    }
    assert_eq!(addresses_of_slices(&mgr), addresses_of_endpoints(&mgr));
}

/// A small world exercising every sync path: informer lag (stale listings), topology hints and
/// trafficDistribution, a headless publish-not-ready Service with hostnames, named target ports
/// changed by rolling updates, selector changes (to selectorless and back), an ExternalName
/// Service, a hand-managed selectorless Service (mirroring), Service delete/create, node
/// failure, churn and pod IP changes.
const MIXED_SRC: &str = r#"name = "mixed"
seed = 11
duration = "6m"
[cluster]
nodes = 6
zones = ["a", "b", "c"]
[[workloads]]
name = "web"
replicas = 40
ports = [{ name = "http", container_port = 8080 }]
ready_delay = "1s..4s"
[[workloads]]
name = "db"
replicas = 12
hostname = "db"
subdomain = "db"
ports = [{ name = "pg", container_port = 5432 }]
ready_delay = "2s..9s"
[[services]]
name = "web"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
annotations = { "service.kubernetes.io/topology-mode" = "Auto" }
[[services]]
name = "web-close"
workload = "web"
ports = [{ name = "http", port = 81, target_port = 8080 }]
traffic_distribution = "PreferClose"
[[services]]
name = "db"
workload = "db"
cluster_ip = "None"
publish_not_ready_addresses = true
ports = [{ name = "pg", port = 5432, target_port = "pg" }]
[[services]]
name = "alias"
type = "ExternalName"
external_name = "db.example.com"
[[services]]
name = "legacy"
ports = [{ name = "http", port = 80, target_port = 8080 }]
endpoints = { count = 30, not_ready = 3, cidr = "192.168.10.0/24" }
[controllers]
informer_lag = "200ms..700ms"
[controllers.endpointslice]
max_endpoints_per_slice = 7
[controllers.endpoints]
max_capacity = 30
[[events]]
at = "30s"
type = "churn"
workload = "web"
rate = "1/s"
duration = "60s"
[[events]]
at = "1m"
type = "rolling_update"
workload = "web"
ports = [{ name = "http", container_port = 9090 }]
[[events]]
at = "100s"
type = "pod_ip_change"
workload = "db"
count = 3
[[events]]
at = "2m"
type = "service_update"
service = "web-close"
selector = {}
[[events]]
at = "150s"
type = "service_update"
service = "db"
publish_not_ready_addresses = false
[[events]]
at = "3m"
type = "node_failure"
count = 2
toleration = "30s"
[[events]]
at = "200s"
type = "service_delete"
service = "web"
[[events]]
at = "230s"
type = "service_create"
service = "web"
[[events]]
at = "4m"
type = "scale"
workload = "web"
by = -25
[[events]]
at = "250s"
type = "service_update"
service = "legacy"
labels = { team = "x" }
"#;

fn stats_name(src: &str) -> &str {
    src.lines().find(|l| l.starts_with("name")).unwrap_or("?")
}

/// The manager's syncs are the conformance replay's syncs: with the [`CrossCheck`] hook every
/// EndpointSlice sync is repeated with the replay's inputs (whole namespace pod list through
/// `select_pods`, copied slices) on a copy of the controller and of the Service's choice stream,
/// and must give the same outcome, state and stream position; a shadow Endpoints controller
/// run the replay's way (no pod-change hint) must decide as the manager's on every sync; the
/// recorded mirroring inputs replayed by `slicesim mirror`'s code must give the manager's counts.
/// Fails if the manager ever gathers its inputs or drives the stream differently.
#[test]
fn manager_syncs_match_replay_syncs() {
    use crate::controllers::mirroring::replay::replay;
    let bundled = [
        MIXED_SRC.to_string(),
        informer_lag_src("300ms..600ms"),
        include_str!("../../../scenarios/dual-stack.toml").to_string(),
        include_str!("../../../scenarios/headless-publish-not-ready.toml").to_string(),
        include_str!("../../../scenarios/mirroring-selectorless.toml").to_string(),
        include_str!("../../../scenarios/node-failure.toml").to_string(),
    ];
    let (mut esc_total, mut epc_total, mut mirror_total) = (0, 0, 0);
    for src in &bundled {
        let sc = crate::testutil::scenario(src);
        let mut mgr = ControllerManager::new(&sc, &ManagerOptions::default());
        mgr.cross_check = Some(CrossCheck::default());
        let mirroring = mgr.esmc.options();
        let mut world = World::new(sc, crate::cluster::WorldOptions::default()).unwrap();
        crate::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
        let cc = mgr.cross_check.take().expect("hook");
        let stats = mgr.final_stats();
        let syncs = |k: ControllerKind| -> usize {
            stats
                .iter()
                .map(|(_, s)| s.syncs[k as usize].iter().sum::<u64>() as usize)
                .sum()
        };
        // Every sync of a live Service went through the check (deleted-Service syncs do not
        // reach a sync function).
        assert!(cc.esc_syncs <= syncs(ControllerKind::EndpointSlice));
        assert!(cc.epc_syncs <= syncs(ControllerKind::Endpoints));
        eprintln!(
            "{}: {} EndpointSlice, {} Endpoints, {} mirroring syncs checked",
            stats_name(src),
            cc.esc_syncs,
            cc.epc_syncs,
            cc.mirror.values().map(Vec::len).sum::<usize>()
        );
        for (key, steps) in &cc.mirror {
            let lines: Vec<_> = steps.iter().map(|(l, _)| l.clone()).collect();
            let want: Vec<_> = steps.iter().map(|(_, c)| *c).collect();
            let got: Vec<_> = replay(&lines, mirroring)
                .into_iter()
                .map(|s| s.mirroring)
                .collect();
            assert_eq!(got, want, "{key}: mirroring replay");
            mirror_total += steps.len();
        }
        esc_total += cc.esc_syncs;
        epc_total += cc.epc_syncs;
    }
    assert!(
        esc_total > 200 && epc_total > 200 && mirror_total >= 3,
        "{esc_total} {epc_total} {mirror_total}"
    );
}
