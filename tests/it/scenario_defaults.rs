//! Defaults match Kubernetes v1.32–v1.34 (each assertion names where upstream sets it).

use slicesim::scenario::*;

fn minimal() -> Scenario {
    let src = r#"
name = "m"
duration = "1m"
[[workloads]]
name = "web"
ports = [{ container_port = 8080 }]
[[services]]
name = "web"
workload = "web"
ports = [{ port = 80 }]
"#;
    parse_str(src, "m.toml", &[]).expect("valid")
}

#[test]
fn deployment_defaults() {
    let s = minimal();
    let w = &s.workloads[0];
    // apps/v1 SetDefaults_Deployment: replicas 1, RollingUpdate 25%/25%, minReadySeconds 0.
    assert_eq!(w.replicas, 1);
    assert_eq!(
        w.strategy,
        Strategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25)
        }
    );
    assert_eq!(w.min_ready_ns, 0);
    // core/v1 SetDefaults_PodSpec: terminationGracePeriodSeconds 30.
    assert_eq!(w.termination.grace_period_ns, 30 * NS_PER_SEC);
    // Ready stays True until the containers exit (no separate not-serving update).
    assert_eq!(
        w.termination.not_serving_after,
        DurationDist::fixed(30 * NS_PER_SEC)
    );
    assert!(w.termination.exit_after.max_ns < w.termination.not_serving_after.min_ns);
    // Labels default to app=<name>; the selector to the labels.
    assert_eq!(w.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(w.selector, w.labels);
    assert_eq!(w.namespace, "default");
    assert_eq!(w.ports[0].protocol, Protocol::TCP);
}

#[test]
fn fenceposts_round_like_resolve_fenceposts() {
    // deployment_util.go ResolveFenceposts: surge rounds up, unavailable rounds down.
    assert_eq!(IntOrPercent::Percent(25).resolve(10, true), 3);
    assert_eq!(IntOrPercent::Percent(25).resolve(10, false), 2);
    assert_eq!(IntOrPercent::Int(4).resolve(10, true), 4);
}

#[test]
fn cluster_defaults() {
    let c = minimal().cluster;
    // kubelet maxPods 110; KCM node CIDR mask /24 (IPv4).
    assert_eq!(c.max_pods_per_node, 110);
    assert_eq!(c.ip_families, vec![IpFamily::IPv4]);
    assert_eq!(c.pod_cidrs[0].to_string(), "10.244.0.0/16");
    assert_eq!(c.node_cidr_mask_sizes, vec![24]);
    assert_eq!(c.nodes[0].pod_cidrs[0].to_string(), "10.244.0.0/24");
    assert_eq!(c.nodes[1].pod_cidrs[0].to_string(), "10.244.1.0/24");
    // node-monitor-grace-period 50 s (v1.32+), default toleration 300 s.
    assert_eq!(c.node_monitor_grace_period_ns, 50 * NS_PER_SEC);
    assert_eq!(c.default_toleration_ns, 300 * NS_PER_SEC);
}

#[test]
fn service_defaults() {
    let s = &minimal().services[0];
    // core/v1 SetDefaults_Service: type ClusterIP, protocol TCP, targetPort = port.
    assert_eq!(s.service_type, ServiceType::ClusterIP);
    assert_eq!(s.ports[0].protocol, Protocol::TCP);
    assert_eq!(s.ports[0].target_port, TargetPort::Number(80));
    // alloc.go initIPFamilyFields: SingleStack with the cluster's primary family.
    assert_eq!(s.ip_family_policy, IpFamilyPolicy::SingleStack);
    assert_eq!(s.ip_families, vec![IpFamily::IPv4]);
    assert_eq!(
        s.selector
            .as_ref()
            .and_then(|m| m.get("app"))
            .map(String::as_str),
        Some("web")
    );
    assert!(!s.publish_not_ready_addresses && !s.headless && s.present_at_start);
}

#[test]
fn controller_defaults() {
    let c = minimal().controllers;
    // ESC: max 100 per slice, 5 workers, batch 0, retry 1 s .. 1000 s, 15 retries.
    assert_eq!(c.endpointslice.max_endpoints_per_slice, 100);
    assert_eq!(c.endpointslice.workers, 5);
    assert_eq!(c.endpointslice.batch_period_ns, 0);
    assert_eq!(
        c.endpointslice.retry,
        Retry {
            base_ns: NS_PER_SEC,
            max_ns: 1000 * NS_PER_SEC,
            max_retries: 15
        }
    );
    // EPC: capacity 1000, 5 workers, retry 5 ms .. 1000 s.
    assert_eq!(c.endpoints.max_capacity, 1000);
    assert_eq!(c.endpoints.workers, 5);
    assert_eq!(c.endpoints.retry.base_ns, 5 * NS_PER_MS);
    // ESMC: 1000 per subset, 5 workers, retry 1 s .. 100 s.
    assert_eq!(c.mirroring.max_endpoints_per_subset, 1000);
    assert_eq!(c.mirroring.workers, 5);
    assert_eq!(c.mirroring.retry.max_ns, 100 * NS_PER_SEC);
}

#[test]
fn apiserver_and_watcher_defaults() {
    let s = minimal();
    assert_eq!(s.apiserver.etcd_max_request_bytes, 1_572_864);
    assert_eq!(
        s.apiserver.watch_timeout,
        DurationDist::uniform(300 * NS_PER_SEC, 600 * NS_PER_SEC)
    );
    assert_eq!(s.apiserver.bookmark_interval_ns, 60 * NS_PER_SEC);
    assert_eq!(s.apiserver.kcm_content_type, Encoding::Protobuf);
    // No [[watchers]]: kube-proxy on every node + CoreDNS.
    assert_eq!(s.watchers.len(), 2);
    let kp = &s.watchers[0];
    assert_eq!(kp.kind, WatcherKind::KubeProxy);
    assert_eq!(kp.count, WatcherCount::PerNode);
    assert_eq!(kp.encoding, Encoding::Protobuf);
    assert_eq!(kp.min_sync_period_ns, NS_PER_SEC);
    // cmd/kube-proxy/app/server.go: headless and foreign-proxy slices are filtered out.
    let mut labels = StringMap::new();
    labels.insert("service.kubernetes.io/headless".into(), String::new());
    assert!(!kp.label_selector.matches(&labels));
    assert!(kp.label_selector.matches(&StringMap::new()));
    assert_eq!(s.watchers[1].kind, WatcherKind::CoreDns);
    assert!(s.watchers[1].label_selector.requirements.is_empty());
}

#[test]
fn ip_family_rules_follow_the_apiserver_allocator() {
    let dual = r#"
name = "d"
duration = "1m"
[cluster]
ip_families = ["IPv6", "IPv4"]
[[workloads]]
name = "web"
[[services]]
name = "single"
workload = "web"
ports = [{ port = 80 }]
[[services]]
name = "prefer"
workload = "web"
ip_family_policy = "PreferDualStack"
ports = [{ port = 80 }]
[[services]]
name = "headless-selectorless"
cluster_ip = "None"
"#;
    let s = parse_str(dual, "d.toml", &[]).expect("valid");
    // Primary family = first cluster family.
    assert_eq!(s.services[0].ip_families, vec![IpFamily::IPv6]);
    assert_eq!(
        s.services[1].ip_families,
        vec![IpFamily::IPv6, IpFamily::IPv4]
    );
    // Headless + selectorless defaults to RequireDualStack.
    assert_eq!(
        s.services[2].ip_family_policy,
        IpFamilyPolicy::RequireDualStack
    );
    assert_eq!(s.services[2].ip_families.len(), 2);
    assert_eq!(s.cluster.pod_cidrs[0].to_string(), "fd00:10:244::/56");
    assert_eq!(
        s.cluster.nodes[0].pod_cidrs[0].to_string(),
        "fd00:10:244::/64"
    );
    assert_eq!(s.cluster.nodes[0].pod_cidrs[1].to_string(), "10.244.0.0/24");
    // SingleStack with two families is rejected.
    let bad = dual.replace(
        "name = \"single\"\nworkload = \"web\"",
        "name = \"single\"\nworkload = \"web\"\nip_families = [\"IPv4\", \"IPv6\"]",
    );
    let e = parse_str(&bad, "d.toml", &[]).unwrap_err().to_string();
    assert!(
        e.contains("must be \"RequireDualStack\" or \"PreferDualStack\""),
        "{e}"
    );
}

#[test]
fn zones_spread_round_robin_or_by_weight() {
    let src = r#"
name = "z"
duration = "1m"
[cluster]
nodes = 6
zones = ["a", "b", "c"]
"#;
    let s = parse_str(src, "z.toml", &[]).expect("valid");
    let z: Vec<usize> = s.cluster.nodes.iter().map(|n| n.zone).collect();
    assert_eq!(z, vec![0, 1, 2, 0, 1, 2]);
    let weighted = src.replace(
        "zones = [\"a\", \"b\", \"c\"]",
        "zones = [{ name = \"a\", weight = 2 }, \"b\"]",
    );
    let s = parse_str(&weighted, "z.toml", &[]).expect("valid");
    let count_a = s.cluster.nodes.iter().filter(|n| n.zone == 0).count();
    assert_eq!(count_a, 4);
}

#[test]
fn events_are_sorted_stably_and_resolved_to_indices() {
    let src = r#"
name = "e"
duration = "10m"
[cluster]
nodes = 2
[[workloads]]
name = "a"
[[workloads]]
name = "b"
[[services]]
name = "b"
workload = "b"
ports = [{ port = 80 }]
[[events]]
at = "5m"
type = "scale"
workload = "b"
replicas = 3
[[events]]
at = "1m"
type = "add_nodes"
count = 2
[[events]]
at = "5m"
type = "service_delete"
service = "b"
[[events]]
at = "6m"
type = "service_create"
service = "b"
[[events]]
at = "7m"
type = "node_failure"
nodes = [3]
"#;
    let s = parse_str(src, "e.toml", &[]).expect("valid");
    let order: Vec<usize> = s.events.iter().map(|e| e.file_index).collect();
    assert_eq!(order, vec![1, 0, 2, 3, 4]);
    assert!(matches!(
        s.events[1].kind,
        EventKind::Scale { workload: 1, .. }
    ));
    assert_eq!(s.cluster.nodes.len(), 4);
    assert_eq!(s.cluster.initial_node_count, 2);
    assert!(matches!(&s.events[0].kind, EventKind::AddNodes { nodes } if nodes == &vec![2, 3]));
    assert!(!s.cluster.nodes[3].initial);
    assert!(s.services[0].present_at_start);
}

#[test]
fn node_cpu_per_cluster_zone_and_added_node() {
    let src = r#"
name = "c"
duration = "10m"
[cluster]
nodes = 4
node_cpu = "3500m"
zones = [{ name = "a", node_cpu = 8 }, "b"]
[[events]]
at = "1m"
type = "add_nodes"
count = 2
node_cpu = "16"
"#;
    let s = parse_str(src, "c.toml", &[]).expect("valid");
    let cpu: Vec<u64> = s
        .cluster
        .nodes
        .iter()
        .map(|n| n.allocatable_cpu_milli)
        .collect();
    assert_eq!(cpu, vec![8000, 3500, 8000, 3500, 16000, 16000]);
    assert_eq!(minimal().cluster.nodes[0].allocatable_cpu_milli, 4000);
}
