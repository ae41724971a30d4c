use super::*;

#[test]
fn smooth_weighted_round_robin() {
    let zones = vec![
        Zone {
            name: "a".into(),
            weight: 1,
        },
        Zone {
            name: "b".into(),
            weight: 1,
        },
        Zone {
            name: "c".into(),
            weight: 1,
        },
    ];
    let mut w = Wrr::new(&zones);
    let seq: Vec<usize> = (0..6).map(|_| w.next()).collect();
    assert_eq!(seq, vec![0, 1, 2, 0, 1, 2]);
    let zones = vec![
        Zone {
            name: "a".into(),
            weight: 3,
        },
        Zone {
            name: "b".into(),
            weight: 1,
        },
    ];
    let mut w = Wrr::new(&zones);
    let seq: Vec<usize> = (0..8).map(|_| w.next()).collect();
    assert_eq!(seq.iter().filter(|z| **z == 0).count(), 6);
    // Interleaved, not blocked: b appears in each half.
    assert!(seq[..4].contains(&1) && seq[4..].contains(&1));
}

#[test]
fn node_name_patterns_are_deterministic_and_checked() {
    let a = expand_pattern(DEFAULT_NODE_NAME_PATTERN, 7, "zone-a", 0).unwrap();
    assert_eq!(
        a,
        expand_pattern(DEFAULT_NODE_NAME_PATTERN, 7, "zone-a", 0).unwrap()
    );
    assert!(a.starts_with("gke-slicesim-default-pool-"));
    assert_eq!(a.len(), "gke-slicesim-default-pool-".len() + 8 + 1 + 4);
    assert!(values::check_dns1123_subdomain(&a).is_ok());
    assert_eq!(
        expand_pattern("n-{zone}-{index}", 3, "z", 0).unwrap(),
        "n-z-3"
    );
    assert!(expand_pattern("n-{bogus}", 0, "z", 0).is_err());
    assert!(expand_pattern("n-{index", 0, "z", 0).is_err());
}

#[test]
fn require_dual_stack_on_single_stack_cluster_is_rejected() {
    // alloc.go initIPFamilyFields: "this cluster is not configured for dual-stack services".
    let src = "name = \"x\"\nduration = \"1m\"\n[[services]]\nname = \"a\"\nselector = { app = \"a\" }\nports = [{ port = 80 }]\nip_family_policy = \"RequireDualStack\"\n";
    let e = crate::testutil::scenario_error(src);
    assert!(e.contains("not configured for dual-stack"), "{e}");
    // ... but headless + selectorless may ask for both families anyway.
    let ok = "name = \"x\"\nduration = \"1m\"\n[[services]]\nname = \"a\"\ncluster_ip = \"None\"\nip_family_policy = \"RequireDualStack\"\n";
    let s = crate::testutil::scenario(ok);
    assert_eq!(
        s.services[0].ip_families,
        vec![IpFamily::IPv4, IpFamily::IPv6]
    );
}

#[test]
fn copies_expand_templates() {
    let src = "name = \"x\"\nduration = \"1m\"\n[cluster]\nnodes = 10\n[[workloads]]\nname = \"app-{i}\"\ncopies = 3\nreplicas = 2\n[[services]]\nname = \"app-{i}\"\nworkload = \"app-{i}\"\ncopies = 3\nports = [{ port = 80 }]\n[[services]]\nname = \"other\"\nports = [{ port = 80 }]\n";
    let s = crate::testutil::scenario(src);
    let names: Vec<&str> = s.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, vec!["app-0", "app-1", "app-2"]);
    assert_eq!(s.services.len(), 4);
    assert_eq!(s.services[2].workload, Some(2));
    assert_eq!(
        s.services[1]
            .selector
            .as_ref()
            .and_then(|m| m.get("app"))
            .map(String::as_str),
        Some("app-1")
    );
    let bad = src.replace("copies = 3\nreplicas", "copies = 0\nreplicas");
    let e = crate::testutil::scenario_error(&bad);
    assert!(
        e.contains("workloads[0].copies: 0 is out of range (allowed: 1..=100000)"),
        "{e}"
    );
}

#[test]
fn scenario_names_are_safe_directory_names() {
    for bad in ["", "../x", ".hidden", "a/b", "with space"] {
        let src = format!("name = {bad:?}\nduration = \"1m\"\n");
        let e = crate::testutil::scenario_error(&src);
        assert!(e.contains("is not a valid scenario name"), "{bad}: {e}");
    }
    let ok = "name = \"kep752-20k_v1.2\"\nduration = \"1m\"\n";
    crate::testutil::scenario(ok);
}

#[test]
fn event_without_type_reports_only_truly_unknown_keys() {
    let src = "name = \"x\"\nduration = \"1m\"\n[[events]]\nat = \"1s\"\nreplicas = 3\nbogus = 1\n";
    let e = crate::testutil::scenario_error(src);
    assert!(e.contains("missing required field `type`"), "{e}");
    assert!(e.contains("unknown field `bogus`"), "{e}");
    assert!(!e.contains("`replicas`"), "{e}");
}
