//! `slicesim import` reads the update settings of StatefulSets and DaemonSets and writes them
//! with their source: `spec.updateStrategy.rollingUpdate.partition` and `maxUnavailable` of a
//! StatefulSet, `maxSurge` (with `maxUnavailable: 0`) of a DaemonSet; a Service selecting one
//! StatefulSet pod by `statefulset.kubernetes.io/pod-name` keeps its selector and publishes
//! that pod. Input: `tests/data/import/model.json` (`scripts/import-fixture.py model`) with
//! those fields set and such a Service added, as `kubectl get -o json` would show them.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};
use slicesim::scenario::NS_PER_SEC;

/// model.json with the StatefulSet `shop/db` at `sts_ru` and the DaemonSet
/// `kube-system/node-agent` at `ds_ru` (their `rollingUpdate`), plus Service `shop/db-0`.
fn fixture(dir: &Path, sts_ru: Value, ds_ru: Value) -> std::path::PathBuf {
    let text = crate::support::read_text(&crate::support::import_data("model.json"));
    let mut list: Value = serde_json::from_str(&text).unwrap();
    let items = list["items"].as_array_mut().unwrap();
    for o in items.iter_mut() {
        match (o["kind"].as_str(), o["metadata"]["name"].as_str()) {
            (Some("StatefulSet"), Some("db")) => {
                o["spec"]["updateStrategy"]["rollingUpdate"] = sts_ru.clone()
            }
            (Some("DaemonSet"), Some("node-agent")) => {
                o["spec"]["updateStrategy"]["rollingUpdate"] = ds_ru.clone()
            }
            _ => {}
        }
    }
    items.push(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "db-0", "namespace": "shop", "resourceVersion": "2001",
                     "uid": "0b5e3b52-4a46-4a36-9d0c-3f4e4b1d2c01",
                     "creationTimestamp": "2026-11-30T10:00:00Z"},
        "spec": {"clusterIP": "10.96.40.7", "clusterIPs": ["10.96.40.7"], "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack", "type": "ClusterIP",
                 "ports": [{"name": "pg", "port": 5432, "protocol": "TCP", "targetPort": 5432}],
                 "selector": {"statefulset.kubernetes.io/pod-name": "db-0"}},
        "status": {"loadBalancer": {}}
    }));
    let p = dir.join("cluster.json");
    std::fs::write(&p, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    p
}

fn block<'a>(text: &'a str, name: &str) -> &'a str {
    let needle = format!("\nname = \"{name}\"\n");
    text.split("[[workloads]]")
        .find(|b| b.contains(&needle))
        .unwrap_or_else(|| panic!("no workload {name} in\n{text}"))
}

#[test]
fn import_writes_partition_max_unavailable_and_surge_and_keeps_per_pod_selectors() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture(
        tmp.path(),
        json!({"partition": 1, "maxUnavailable": 2}),
        json!({"maxSurge": "25%", "maxUnavailable": 0}),
    );
    let out = tmp.path().join("s.toml");
    crate::support::assert_success(&crate::support::import_to_file(&input, &out));
    let text = crate::support::read_text(&out);
    let db = block(&text, "db");
    assert!(db.contains("\npartition = 1\n"), "{db}");
    assert!(db.contains("\nmax_unavailable = 2\n"), "{db}");
    assert!(db.contains("rollingUpdate.partition"), "{db}");
    assert!(db.contains("MaxUnavailableStatefulSet"), "{db}");
    let agent = block(&text, "node-agent");
    assert!(
        agent.contains("\nmax_surge = \"25%\"\nmax_unavailable = 0\n"),
        "{agent}"
    );
    assert!(
        text.contains("selector = { \"statefulset.kubernetes.io/pod-name\" = \"db-0\" }"),
        "{text}"
    );
    // it validates without warnings about the per-pod selector, and publishes db-0 only
    let c = slicesim::scenario::check_str(&text, "s.toml", &[]);
    let mut sc = c.result.unwrap();
    assert!(
        c.warnings.iter().all(|w| !w.contains("db-0")),
        "{:?}",
        c.warnings
    );
    sc.duration_ns = 60 * NS_PER_SEC;
    let (mgr, _) = crate::support::run_controllers(sc);
    let pods: BTreeSet<String> = mgr
        .slices_of("shop/db-0")
        .iter()
        .flat_map(|s| s.endpoints.iter().flatten())
        .map(|e| crate::support::target_pod(&e.target_ref))
        .collect();
    assert_eq!(pods, ["db-0".to_string()].into());
    let ep = mgr.endpoints.get("shop", "db-0").unwrap();
    let pods: BTreeSet<String> = ep
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .map(|a| crate::support::target_pod(&a.target_ref))
        .collect();
    assert_eq!(pods, ["db-0".to_string()].into());
}

/// Values the scenario cannot take are left out with a comment, never written invalid.
#[test]
fn invalid_update_settings_are_left_out_with_a_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture(
        tmp.path(),
        json!({"partition": 0, "maxUnavailable": 0}),
        json!({"maxSurge": 1, "maxUnavailable": 1}),
    );
    let out = tmp.path().join("s.toml");
    crate::support::assert_success(&crate::support::import_to_file(&input, &out));
    let text = crate::support::read_text(&out);
    let db = block(&text, "db");
    assert!(!db.contains("\npartition ="), "{db}");
    assert!(!db.contains("\nmax_unavailable ="), "{db}");
    assert!(
        db.contains("maxUnavailable = 0 is not a count >= 1"),
        "{db}"
    );
    let agent = block(&text, "node-agent");
    assert!(!agent.contains("\nmax_surge ="), "{agent}");
    assert!(agent.contains("is not a valid surge update"), "{agent}");
    crate::support::scenario(&text, &[]);
}

/// A negative partition is a located error (exit 2), as for any bad field.
#[test]
fn a_bad_partition_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let input = fixture(
        tmp.path(),
        json!({"partition": -1}),
        json!({"maxUnavailable": 1}),
    );
    let o = crate::support::import_to_file(&input, &tmp.path().join("s.toml"));
    assert_eq!(o.status.code(), Some(2));
    let err = crate::support::stderr(&o);
    assert!(err.contains("cluster.json: object"), "{err}");
    assert!(err.contains("(StatefulSet shop/db)"), "{err}");
    assert!(err.contains("field spec.updateStrategy.rollingUpdate.partition: -1: expected an integer in 0..=2147483647"), "{err}");
}
