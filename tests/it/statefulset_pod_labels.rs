//! Per-pod labels of StatefulSet pods: `statefulset.kubernetes.io/pod-name = <pod name>` and
//! (feature PodIndexLabel, beta on by default from 1.28, GA 1.32) `apps.kubernetes.io/pod-index =
//! <ordinal>` (pkg/controller/statefulset/stateful_set_utils.go :: updateIdentity, called by
//! initIdentity from newStatefulSetPod). A Service selecting one pod's name selects exactly
//! that pod, in both endpoint controllers, whatever the set does to it (re-created, rolled,
//! scaled away and back).

use std::collections::BTreeSet;

use slicesim::cluster::k8s_view::pod_to_k8s;
use slicesim::cluster::{ChangeSink, World};
use slicesim::scenario::Nanos;

use crate::support::{toml_event, toml_head};

const POD_NAME: &str = "statefulset.kubernetes.io/pod-name";
const POD_INDEX: &str = "apps.kubernetes.io/pod-index";

fn db(extra: &str) -> String {
    format!(
        "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nservice_name = \"db\"\nreplicas = 3\n\
         ports = [{{ name = \"pg\", container_port = 5432 }}]\n{extra}\n"
    )
}

/// Service `db-0` over the pod named `db-0`, `db-one` over ordinal 1 (with the set's label).
const PER_POD_SERVICES: &str = r#"
[[services]]
name = "db-0"
selector = { "statefulset.kubernetes.io/pod-name" = "db-0" }
ports = [{ name = "pg", port = 5432, target_port = "pg" }]

[[services]]
name = "db-one"
selector = { app = "db", "apps.kubernetes.io/pod-index" = "1" }
ports = [{ name = "pg", port = 5432, target_port = "pg" }]
"#;

struct Quiet;
impl ChangeSink for Quiet {
    fn on_change(&mut self, _: Nanos, _: &slicesim::cluster::Change<'_>, _: &World) {}
}

fn world_at_end(src: &str) -> World {
    let sc = crate::support::scenario(src, &[]);
    let mut sink = Quiet;
    let (mut w, mut el) = crate::support::started_world(sc, &mut sink);
    while el.step(&mut w, &mut sink).unwrap().is_some() {}
    w
}

#[test]
fn statefulset_pods_carry_their_name_and_index_as_labels() {
    let src = [
        toml_head("sts", 3, "2m", 3, &["a"]),
        db(""),
        crate::support::toml_workload("web", 2, ""),
        toml_event("10s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    let w = world_at_end(&src);
    let mut seen = 0;
    for p in w.pods() {
        let k = pod_to_k8s(p, &w);
        let labels = k.metadata.labels.clone().unwrap();
        if p.name.starts_with("db-") {
            seen += 1;
            let ordinal = p.name.trim_start_matches("db-");
            assert_eq!(labels.get(POD_NAME), Some(&p.name), "{labels:?}");
            assert_eq!(labels.get(POD_INDEX).map(String::as_str), Some(ordinal));
            assert_eq!(labels.get("app").map(String::as_str), Some("db"));
            assert_eq!(p.labels(), &labels, "the world's labels are the API's");
        } else {
            assert!(!labels.contains_key(POD_NAME) && !labels.contains_key(POD_INDEX));
        }
    }
    assert_eq!(seen, 3);
}

/// Before 1.28 the PodIndexLabel gate does not exist: only the pod-name label.
#[test]
fn the_pod_index_label_starts_with_1_28() {
    for (version, index) in [("1.27", false), ("1.28", true), ("1.34", true)] {
        let src = [
            format!("kubernetes_version = \"{version}\"\n"),
            toml_head("sts", 3, "30s", 3, &["a"]),
            db(""),
        ]
        .concat();
        let w = world_at_end(&src);
        for p in w.pods() {
            assert_eq!(p.labels().get(POD_NAME), Some(&p.name), "{version}");
            assert_eq!(p.labels().contains_key(POD_INDEX), index, "{version}");
        }
    }
}

/// The pods each controller publishes for Service `svc` at the end of the lifecycle scenario
/// cut at `cut` seconds (events after it left out): (EndpointSlice targetRefs, Endpoints
/// targetRefs), ready or not.
fn published(cut: u64, svc: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let events = [
        (10, toml_event("10s", "rolling_update", "workload = \"db\"")),
        (
            120,
            toml_event("2m", "restart_pods", "workload = \"db\"\ncount = 3"),
        ),
        (
            240,
            toml_event("4m", "scale", "workload = \"db\"\nreplicas = 0"),
        ),
        (
            300,
            toml_event("5m", "scale", "workload = \"db\"\nreplicas = 3"),
        ),
    ];
    let mut src = [
        toml_head("sts", 5, &format!("{cut}s"), 3, &["a"]),
        db("termination_grace_period = \"5s\"\nexit_after = \"2s\""),
        PER_POD_SERVICES.into(),
    ]
    .concat();
    for (at, e) in events {
        if at <= cut {
            src.push_str(&e);
        }
    }
    let (mgr, _) = crate::support::run_controllers(crate::support::scenario(&src, &[]));
    let slices: BTreeSet<String> = mgr
        .slices_of(&format!("default/{svc}"))
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .map(|e| crate::support::target_pod(&e.target_ref))
        .collect();
    let eps: BTreeSet<String> = mgr
        .endpoints
        .get("default", svc)
        .map(|ep| {
            ep.subsets
                .iter()
                .flatten()
                .flat_map(|s| {
                    s.addresses
                        .iter()
                        .flatten()
                        .chain(s.not_ready_addresses.iter().flatten())
                })
                .map(|a| crate::support::target_pod(&a.target_ref))
                .collect()
        })
        .unwrap_or_default();
    (slices, eps)
}

/// Through a rolling update, a restart of every pod, a scale to 0 and back, the Service over
/// `db-0`'s name publishes `db-0` and nothing else (nothing while it is gone), and the one
/// over index 1 publishes `db-1`, in both controllers.
#[test]
fn a_service_selecting_one_pod_name_follows_that_pod_through_its_lifecycle() {
    let one = |n: &str| -> BTreeSet<String> { [n.to_string()].into() };
    // mid-update cuts: never another pod (Endpoints leave a terminating pod out)
    for cut in [12, 20, 30, 40, 121, 125, 135, 245, 305, 310] {
        for (svc, pod) in [("db-0", "db-0"), ("db-one", "db-1")] {
            let (s, e) = published(cut, svc);
            assert!(
                s.is_subset(&one(pod)) && e.is_subset(&one(pod)),
                "{svc} at {cut}s: {s:?} {e:?}"
            );
        }
    }
    // settled cuts: exactly that pod
    for cut in [5, 110, 230, 420] {
        let (s, e) = published(cut, "db-0");
        assert_eq!((&s, &e), (&one("db-0"), &one("db-0")), "db-0 at {cut}s");
        let (s, e) = published(cut, "db-one");
        assert_eq!((&s, &e), (&one("db-1"), &one("db-1")), "db-one at {cut}s");
    }
    let (s, e) = published(290, "db-0");
    assert!(s.is_empty() && e.is_empty(), "scaled to 0: {s:?} {e:?}");
}

/// A selector on the per-pod labels is no "selects no pods" warning.
#[test]
fn per_pod_selectors_are_not_warned_about() {
    let src = [
        toml_head("sts", 3, "1m", 3, &["a"]),
        db(""),
        PER_POD_SERVICES.into(),
    ]
    .concat();
    let c = slicesim::scenario::check_str(&src, "t.toml", &[]);
    assert!(c.result.is_ok());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    // ... but one on a name the set never has still is.
    let bad = src.replace("\"db-0\" }", "\"web-0\" }");
    let c = slicesim::scenario::check_str(&bad, "t.toml", &[]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("selects no pods"),
        "{:?}",
        c.warnings
    );
}

/// `World::pods_matching` (one label test per revision, then per pod for the per-pod keys)
/// returns exactly the pods a scan of every pod's labels finds, for selectors on the set's
/// labels, on one pod's name or index, and on both, through a rolling update.
#[test]
fn pods_matching_per_pod_selectors_equals_a_full_scan() {
    let src = [
        toml_head("sts", 7, "40s", 3, &["a"]),
        db(""),
        crate::support::toml_workload("web", 3, ""),
        toml_event("10s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    let w = world_at_end(&src);
    let sel = |pairs: &[(&str, &str)]| -> slicesim::scenario::StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let selectors = [
        sel(&[("app", "db")]),
        sel(&[(POD_NAME, "db-0")]),
        sel(&[(POD_NAME, "db-2"), ("app", "db")]),
        sel(&[(POD_NAME, "db-2"), ("app", "web")]),
        sel(&[(POD_INDEX, "1")]),
        sel(&[(POD_NAME, "web-0")]),
        sel(&[(POD_NAME, "db-1"), (POD_INDEX, "1")]),
        sel(&[(POD_NAME, "db-1"), (POD_INDEX, "2")]),
    ];
    for s in &selectors {
        let got: BTreeSet<String> = w
            .pods_matching("default", s)
            .map(|p| p.name.clone())
            .collect();
        let want: BTreeSet<String> = w
            .pods()
            .filter(|p| s.iter().all(|(k, v)| p.labels().get(k) == Some(v)))
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(got, want, "{s:?}");
    }
    let one: BTreeSet<String> = w
        .pods_matching("default", &selectors[1])
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(one, ["db-0".to_string()].into());
}
