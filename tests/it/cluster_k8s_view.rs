//! The world's objects converted to Kubernetes API objects agree with what the endpoint
//! controllers read from them (endpointslice utils.go podToEndpoint), round-trip through JSON, and
//! encode.

use slicesim::cluster::k8s_view::{node_to_k8s, pod_to_k8s, service_to_k8s};
use slicesim::cluster::CountingSink;
use slicesim::controllers::endpointslice::convert;
use slicesim::scenario::NS_PER_SEC;

use crate::support::{toml_event, toml_head, toml_service, toml_workload};

#[test]
fn converted_objects_match_the_compact_model() {
    let src = [
        toml_head("view", 12, "3m", 3, &["zone-a", "zone-b"]),
        "ip_families = [\"IPv4\", \"IPv6\"]\n".to_string(),
        toml_workload(
            "web",
            6,
            "ready_delay = \"1s..4s\"\nhostname = \"h\"\nsubdomain = \"web\"",
        ),
        toml_service("web", "web", ""),
        toml_event("20s", "rolling_update", "workload = \"web\""),
    ]
    .concat();
    let sc = crate::support::scenario(&src, &[]);
    let mut sink = CountingSink::default();
    let (mut w, mut el) = crate::support::started_world(sc, &mut sink);
    let mut checked = 0;
    while let Some(t) = el.step(&mut w, &mut sink).unwrap() {
        if !(20 * NS_PER_SEC..=40 * NS_PER_SEC).contains(&t) {
            continue;
        }
        for p in w.pods() {
            let k = pod_to_k8s(p, &w);
            assert_eq!(convert::is_pod_ready(&k), p.is_ready(), "{}", p.name);
            assert_eq!(
                convert::should_pod_be_in_endpoints(&k, true),
                !p.ips.is_empty() && !p.phase.is_terminal()
            );
            assert_eq!(
                convert::should_pod_be_in_endpoints(&k, false),
                !p.ips.is_empty() && !p.phase.is_terminal() && !p.is_terminating()
            );
            assert_eq!(k.metadata.deletion_timestamp.is_some(), p.is_terminating());
            assert_eq!(
                k.status.pod_ips.as_ref().map_or(0, |v| v.len()),
                p.ips.len()
            );
            let json = serde_json::to_string(&k).unwrap();
            let back: slicesim::k8s::Pod = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k);
            assert!(slicesim::wire::sizes(&k).is_ok());
            checked += 1;
        }
    }
    assert!(checked > 100);
    for n in w.nodes().iter().filter(|n| n.exists) {
        let info = convert::node_info(&node_to_k8s(n)).unwrap();
        assert_eq!(info.cpu_millis as u64, n.allocatable_cpu_milli);
        assert_eq!(info.zone.as_deref(), Some(&*n.zone_name));
        assert!(info.ready);
    }
    let svc = service_to_k8s(&w.services()[0]);
    let p = w.pods().next().unwrap();
    let kp = pod_to_k8s(p, &w);
    assert!(convert::pod_selected(&svc, &kp));
    // named targetPort "http" resolves to the container port
    assert_eq!(
        convert::find_port(&kp, &svc.spec.ports.as_ref().unwrap()[0]),
        Some(8080)
    );
    assert_eq!(svc.spec.cluster_ips.as_ref().map(|v| v.len()), Some(1));
    assert!(slicesim::wire::sizes(&svc).is_ok());
}
