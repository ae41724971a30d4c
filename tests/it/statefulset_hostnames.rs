//! `kind = "StatefulSet"` workloads: pods `<set>-<ordinal>` whose `spec.hostname` is their own
//! name and `spec.subdomain` the set's `service_name` (pkg/controller/statefulset/
//! stateful_set_utils.go :: newStatefulSetPod, initIdentity, updateIdentity), published as
//! per-pod hostnames by both endpoint controllers for the headless Service of that name only
//! (ShouldSetHostname); a deleted pod comes back under the same name and hostname; OrderedReady
//! creates and removes one pod at a time (stateful_set_control.go :: updateStatefulSet).

use std::collections::{BTreeMap, BTreeSet};

use slicesim::cluster::k8s_view::pod_to_k8s;
use slicesim::cluster::{Change, ChangeSink, ObjChange, World};
use slicesim::scenario::{Nanos, NS_PER_SEC};

use crate::support::{toml_event, toml_head};

fn db(extra: &str) -> String {
    format!(
        "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nservice_name = \"db\"\nreplicas = 3\n\
         ports = [{{ name = \"pg\", container_port = 5432 }}]\n{extra}\n"
    )
}

const SERVICES: &str = r#"
[[services]]
name = "db"
workload = "db"
cluster_ip = "None"
ports = [{ name = "pg", port = 5432, target_port = "pg" }]

[[services]]
name = "db-read"
workload = "db"
ports = [{ name = "pg", port = 5432, target_port = "pg" }]
"#;

/// Pod lifecycle records of a run without controllers: per pod name, every (uid, created,
/// deleted) and the times it became Ready.
#[derive(Default)]
struct Lifecycle {
    created: Vec<(Nanos, String, String)>,
    deleted: Vec<(Nanos, String, String)>,
    ready: Vec<(Nanos, String)>,
    /// Most pods terminating at once.
    max_terminating: usize,
}

impl ChangeSink for Lifecycle {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, world: &World) {
        let Change::Pod(c) = change else { return };
        match c {
            ObjChange::Added(p) => self.created.push((now, p.name.clone(), p.uid.clone())),
            ObjChange::Deleted(p) => self.deleted.push((now, p.name.clone(), p.uid.clone())),
            ObjChange::Updated { old, new } => {
                if !old.is_ready() && new.is_ready() {
                    self.ready.push((now, new.name.clone()));
                }
            }
        }
        let terminating = world.pods().filter(|p| p.is_terminating()).count();
        self.max_terminating = self.max_terminating.max(terminating);
    }
}

fn run_world(src: &str) -> (World, Lifecycle) {
    let sc = crate::support::scenario(src, &[]);
    let mut sink = Lifecycle::default();
    let (mut w, mut el) = crate::support::started_world(sc, &mut sink);
    while el.step(&mut w, &mut sink).unwrap().is_some() {}
    (w, sink)
}

fn names(w: &World) -> BTreeSet<String> {
    w.pods().map(|p| p.name.clone()).collect()
}

#[test]
fn pods_are_named_by_ordinal_with_their_name_as_hostname() {
    let src = [
        toml_head("sts", 3, "1m", 3, &["a"]),
        db(""),
        SERVICES.into(),
    ]
    .concat();
    let (w, _) = run_world(&src);
    assert_eq!(names(&w), ["db-0", "db-1", "db-2"].map(String::from).into());
    for p in w.pods() {
        let k = pod_to_k8s(p, &w);
        assert_eq!(k.spec.hostname.as_deref(), Some(p.name.as_str()));
        assert_eq!(k.spec.subdomain.as_deref(), Some("db"));
        assert_eq!(k.metadata.generate_name, None);
        let owner = &k.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("StatefulSet", "db")
        );
        let rev = k.metadata.labels.as_ref().unwrap()["controller-revision-hash"].clone();
        assert!(rev.starts_with("db-"), "{rev}");
        assert!(!k
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("pod-template-hash"));
    }
}

/// Both controllers publish each pod's own hostname for the headless Service named by the
/// set's serviceName, and none for another Service over the same pods.
#[test]
fn both_controllers_publish_per_pod_hostnames_for_the_governing_service_only() {
    let src = [
        toml_head("sts", 3, "2m", 3, &["a"]),
        db(""),
        SERVICES.into(),
        toml_event("30s", "restart_pods", "workload = \"db\"\ncount = 1"),
    ]
    .concat();
    let (mgr, _) = crate::support::run_controllers(crate::support::scenario(&src, &[]));
    let expect: BTreeMap<String, Option<String>> = ["db-0", "db-1", "db-2"]
        .iter()
        .map(|n| (n.to_string(), Some(n.to_string())))
        .collect();
    // Endpoints: address hostname per targetRef
    let ep = mgr.endpoints.get("default", "db").expect("Endpoints db");
    let got: BTreeMap<String, Option<String>> = ep
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .map(|a| {
            (
                crate::support::target_pod(&a.target_ref),
                a.hostname.clone(),
            )
        })
        .collect();
    assert_eq!(got, expect, "Endpoints db");
    // EndpointSlices: endpoint hostname per targetRef
    let slice_hosts = |svc: &str| -> BTreeMap<String, Option<String>> {
        mgr.slices_of(&format!("default/{svc}"))
            .iter()
            .flat_map(|s| s.endpoints.iter().flatten())
            .map(|e| {
                (
                    crate::support::target_pod(&e.target_ref),
                    e.hostname.clone(),
                )
            })
            .collect()
    };
    assert_eq!(slice_hosts("db"), expect, "EndpointSlices db");
    let none: BTreeMap<String, Option<String>> = expect.keys().map(|n| (n.clone(), None)).collect();
    assert_eq!(slice_hosts("db-read"), none, "EndpointSlices db-read");
    let ep = mgr.endpoints.get("default", "db-read").unwrap();
    assert!(ep
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .all(|a| a.hostname.is_none()));
}

/// A deleted pod is re-created under its name (new uid) only once the old one is gone, and
/// has the same hostname (as upstream: the name is the pod's identity).
#[test]
fn a_recreated_pod_keeps_its_name_and_hostname_after_the_old_one_is_gone() {
    let src = [
        toml_head("sts", 5, "1m", 3, &["a"]),
        db("termination_grace_period = \"10s\"\nexit_after = \"5s\""),
        toml_event("10s", "restart_pods", "workload = \"db\"\ncount = 1"),
    ]
    .concat();
    let (w, life) = run_world(&src);
    assert_eq!(life.deleted.len(), 1, "one pod restarted");
    let (gone_at, name, old_uid) = life.deleted[0].clone();
    assert_eq!(gone_at, 15 * NS_PER_SEC, "removed when its containers exit");
    let again: Vec<_> = life
        .created
        .iter()
        .filter(|(t, n, _)| *t > 0 && *n == name)
        .collect();
    assert_eq!(again.len(), 1, "{:?}", life.created);
    assert!(
        again[0].0 >= gone_at,
        "re-created after the old pod is gone"
    );
    assert_ne!(again[0].2, old_uid);
    assert_eq!(names(&w), ["db-0", "db-1", "db-2"].map(String::from).into());
    let p = w.pods().find(|p| p.name == name).unwrap();
    assert_eq!(p.uid, again[0].2);
    assert_eq!(
        pod_to_k8s(p, &w).spec.hostname.as_deref(),
        Some(name.as_str())
    );
    assert!(p.is_ready());
}

/// OrderedReady: a scale-up creates each ordinal after its predecessor is Ready; a scale-down
/// removes the highest ordinal first, one at a time. Parallel creates them together.
#[test]
fn ordered_ready_scales_one_pod_at_a_time_and_parallel_does_not() {
    let events = [
        toml_event("10s", "scale", "workload = \"db\"\nreplicas = 6"),
        toml_event("2m", "scale", "workload = \"db\"\nreplicas = 2"),
    ]
    .concat();
    let src = [toml_head("sts", 9, "4m", 3, &["a"]), db(""), events.clone()].concat();
    let (w, life) = run_world(&src);
    assert_eq!(names(&w), ["db-0", "db-1"].map(String::from).into());
    let created: Vec<&str> = life
        .created
        .iter()
        .filter(|(t, _, _)| *t > 0)
        .map(|(_, n, _)| n.as_str())
        .collect();
    assert_eq!(created, ["db-3", "db-4", "db-5"]);
    let ready_at = |n: &str| life.ready.iter().find(|(_, m)| m == n).unwrap().0;
    let created_at = |n: &str| life.created.iter().find(|(_, m, _)| m == n).unwrap().0;
    assert!(created_at("db-4") >= ready_at("db-3"));
    assert!(created_at("db-5") >= ready_at("db-4"));
    let deleted: Vec<&str> = life.deleted.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(deleted, ["db-5", "db-4", "db-3", "db-2"]);
    assert_eq!(life.max_terminating, 1);

    let src = [
        toml_head("sts", 9, "4m", 3, &["a"]),
        db("pod_management_policy = \"Parallel\""),
        events,
    ]
    .concat();
    let (w, life) = run_world(&src);
    assert_eq!(names(&w), ["db-0", "db-1"].map(String::from).into());
    let times: BTreeSet<Nanos> = life
        .created
        .iter()
        .filter(|(t, _, _)| *t > 0)
        .map(|(t, _, _)| *t)
        .collect();
    assert_eq!(times.len(), 1, "created in one sync: {:?}", life.created);
    assert!(life.max_terminating >= 2);
}

/// A rolling update replaces the pods from the highest ordinal down, one at a time, under
/// their names; every pod ends on the new revision.
#[test]
fn a_rolling_update_replaces_pods_highest_ordinal_first_under_the_same_names() {
    let src = [
        toml_head("sts", 11, "3m", 3, &["a"]),
        db(""),
        toml_event("10s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    let (w, life) = run_world(&src);
    let deleted: Vec<&str> = life.deleted.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(deleted, ["db-2", "db-1", "db-0"]);
    assert_eq!(life.max_terminating, 1);
    assert_eq!(names(&w), ["db-0", "db-1", "db-2"].map(String::from).into());
    let revs: BTreeSet<String> = w
        .pods()
        .map(|p| p.labels()["controller-revision-hash"].clone())
        .collect();
    assert_eq!(revs.len(), 1);
    assert!(w.pods().all(|p| p.template.version == 1 && p.is_ready()));
}

#[test]
fn statefulset_fields_are_validated_with_located_errors() {
    let cases = [
        (
            "[[workloads]]\nname = \"web\"\nservice_name = \"web\"\n",
            "workloads[0].service_name",
            "only allowed with kind = \"StatefulSet\"",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nhostname = \"x\"\n",
            "workloads[0].hostname",
            "set by the StatefulSet controller",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nmax_surge = 1\n",
            "workloads[0].max_surge",
            "without surge",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\npod_management_policy = \"parallel\"\n",
            "workloads[0].pod_management_policy",
            "allowed: \"OrderedReady\", \"Parallel\"",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"Statefulset\"\n",
            "workloads[0].kind",
            "allowed: \"Deployment\", \"StatefulSet\", \"DaemonSet\"",
        ),
    ];
    crate::support::assert_refused_bodies(&cases);
}

/// `slicesim import` writes a StatefulSet as one (its serviceName as `service_name`), and the
/// imported scenario publishes the pods' own hostnames for its headless Service, as the
/// cluster does. Fixture: `tests/data/import/model.json` (`scripts/import-fixture.py model`:
/// StatefulSet `shop/db`, 3 replicas, serviceName `db`, headless Service `db`).
#[test]
fn import_writes_statefulsets_whose_hostnames_are_published() {
    let tmp = tempfile::tempdir().unwrap();
    let (text, db) = crate::support::imported_workload("model.json", "db", tmp.path());
    assert!(db.contains("\nkind = \"StatefulSet\"\n"), "{db}");
    assert!(db.contains("\nservice_name = \"db\"\n"), "{db}");
    assert!(!db.contains("\nsubdomain ="), "{db}");
    assert!(!db.contains("lack the hostnames"), "{db}");
    let mut sc = crate::support::scenario(&text, &[]);
    sc.duration_ns = 60 * NS_PER_SEC;
    let (mgr, _) = crate::support::run_controllers(sc);
    let hosts: BTreeSet<Option<String>> = mgr
        .slices_of("shop/db")
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .map(|e| e.hostname.clone())
        .collect();
    let want: BTreeSet<Option<String>> =
        ["db-0", "db-1", "db-2"].map(|h| Some(h.to_string())).into();
    assert_eq!(hosts, want);
    let ep = mgr.endpoints.get("shop", "db").unwrap();
    let hosts: BTreeSet<Option<String>> = ep
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .map(|a| a.hostname.clone())
        .collect();
    assert_eq!(hosts, want);
}
