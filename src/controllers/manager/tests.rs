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
