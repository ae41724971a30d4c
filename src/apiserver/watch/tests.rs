use super::*;
use crate::apiserver::write_log::Writer;
use crate::k8s::discovery::EndpointPort;
use crate::k8s::{Endpoint, EndpointConditions};

pub(crate) fn scenario(nodes: u32, extra: &str) -> Scenario {
    let src = format!(
        r#"
name = "w"
description = "watch"
duration = "10m"
[cluster]
nodes = {nodes}
zones = ["zone-a"]
[[workloads]]
name = "web"
replicas = 1
ports = [{{ name = "http", container_port = 8080 }}]
[[services]]
name = "web"
workload = "web"
ports = [{{ name = "http", port = 80, target_port = "http" }}]
{extra}
"#
    );
    crate::testutil::scenario(&src)
}

fn slice(name: &str, n: usize, headless: bool, rv: u64) -> EndpointSlice {
    let mut labels: BTreeMap<String, String> = [
        ("kubernetes.io/service-name".to_string(), "web".to_string()),
        (
            "endpointslice.kubernetes.io/managed-by".to_string(),
            "endpointslice-controller.k8s.io".to_string(),
        ),
    ]
    .into_iter()
    .collect();
    if headless {
        labels.insert("service.kubernetes.io/headless".into(), String::new());
    }
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            resource_version: Some(rv.to_string()),
            labels: Some(labels),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(
            (0..n)
                .map(|i| Endpoint {
                    addresses: Some(vec![format!("10.0.{}.{}", i / 250, i % 250)]),
                    conditions: EndpointConditions {
                        ready: Some(true),
                        serving: Some(true),
                        terminating: Some(false),
                    },
                    ..Default::default()
                })
                .map(crate::k8s::SharedValue::new)
                .collect(),
        ),
        ports: Some(vec![EndpointPort {
            name: Some("http".into()),
            port: Some(80),
            protocol: Some("TCP".into()),
            app_protocol: None,
        }]),
        ..Default::default()
    }
}

fn write<'a>(
    t: u64,
    verb: Verb,
    old: Option<&'a EndpointSlice>,
    new: Option<&'a EndpointSlice>,
    rv: u64,
) -> WriteRecord<'a> {
    WriteRecord {
        new_shared: None,
        old_shared: None,
        new_protobuf: None,
        time_ns: t,
        verb,
        writer: Writer::EndpointSliceController,
        old: old.map(ObjectRef::EndpointSlice),
        new: new.map(ObjectRef::EndpointSlice),
        outcome: WriteOutcome::Stored {
            resource_version: rv,
        },
    }
}

/// Default population: kube-proxy per node + 2 CoreDNS in both modes, plus the KCM informer.
#[test]
fn default_groups_both_modes() {
    let s = scenario(7, "");
    let g = derive_groups(&s, 7);
    let count = |role: Role, r: Resource| {
        g.iter()
            .filter(|x| x.role == role && x.resource == r)
            .map(|x| x.count)
            .sum::<u64>()
    };
    for r in MODES {
        assert_eq!(count(Role::KubeProxy, r), 7);
        assert_eq!(count(Role::CoreDns, r), 2);
        assert_eq!(count(Role::ControllerManager, r), 1);
    }
    let kp = g.iter().find(|x| x.role == Role::KubeProxy).unwrap();
    assert!(kp.per_node && kp.encoding == Encoding::Protobuf);
}

/// Cacher rules: a headless slice never reaches kube-proxy; gaining the headless label is a
/// DELETED for kube-proxy and a MODIFIED for CoreDNS; byte totals equal the per-event sizes.
#[test]
fn fan_out_follows_selectors() {
    let s = scenario(5, "");
    let mut hub = WatchHub::new(&s, 5);
    let a = slice("web-a", 3, false, 100000001);
    let b = slice("web-a", 3, true, 100000002);
    let c = slice("web-h", 2, true, 100000003);
    hub.on_write(&write(0, Verb::Create, None, Some(&a), 100000001));
    hub.on_write(&write(1, Verb::Update, Some(&a), Some(&b), 100000002));
    hub.on_write(&write(2, Verb::Create, None, Some(&c), 100000003));
    hub.on_write(&write(3, Verb::Delete, Some(&c), None, 100000004));
    let r = hub.finish(4);
    let m = r.mode(Resource::EndpointSlices);
    let pb =
        |et, o: &EndpointSlice| wire::watch_event_size(Encoding::Protobuf, et, o).unwrap() as u64;
    // kube-proxy: ADDED a, DELETED a (old content, same-length RV); coredns + kcm: all four.
    let kp = &m.by_role["kube-proxy"];
    assert_eq!(kp.events, 10);
    assert_eq!(
        kp.bytes,
        5 * (pb(EventType::Added, &a) + pb(EventType::Deleted, &a))
    );
    let dns = &m.by_role["coredns"];
    assert_eq!(dns.events, 8);
    assert_eq!(
        dns.bytes,
        2 * (pb(EventType::Added, &a)
            + pb(EventType::Modified, &b)
            + pb(EventType::Added, &c)
            + pb(EventType::Deleted, &c))
    );
    assert_eq!(m.watch.events, 10 + 8 + 4);
    assert_eq!(m.writes_stored, 4);
    assert_eq!(m.writes_by_verb["delete"], 1);
    assert_eq!(
        m.etcd_bytes,
        [&a, &b, &c]
            .iter()
            .map(|o| wire::protobuf_len(*o).unwrap() as u64)
            .sum::<u64>()
    );
    assert_eq!(m.request_bytes, m.etcd_bytes);
    // Nothing reached the Endpoints mode.
    assert_eq!(r.mode(Resource::Endpoints).watch.events, 0);
    // Per node: every kube-proxy got both events.
    assert_eq!(m.node_ingress.nodes, 5);
    assert_eq!(
        m.node_ingress.max,
        pb(EventType::Added, &a) + pb(EventType::Deleted, &a)
    );
}

/// A rejected write costs its request, produces no event and is counted as oversize.
#[test]
fn rejected_write_counted() {
    let s = scenario(3, "");
    let mut hub = WatchHub::new(&s, 3);
    let a = slice("web-a", 3, false, 1);
    hub.on_write(&WriteRecord {
        new_shared: None,
        old_shared: None,
        new_protobuf: None,
        time_ns: 0,
        verb: Verb::Create,
        writer: Writer::EndpointSliceController,
        old: None,
        new: Some(ObjectRef::EndpointSlice(&a)),
        outcome: WriteOutcome::Rejected {
            reason: "etcdserver: request is too large".into(),
            sizes: None,
        },
    });
    let r = hub.finish(0);
    let m = r.mode(Resource::EndpointSlices);
    assert_eq!(
        (m.writes_rejected, m.rejected_oversize, m.watch.events),
        (1, 1, 0)
    );
    assert_eq!(m.request_bytes, wire::protobuf_len(&a).unwrap() as u64);
    assert!(etcd_check(10, ObjectRef::EndpointSlice(&a)).is_err());
    assert!(etcd_check(1 << 20, ObjectRef::EndpointSlice(&a)).is_ok());
}

/// Bookmarks: n watchers × floor(T / 1 min) plus one per watch timeout; a watch_restart makes
/// every member LIST; node joins LIST once each and per-node ingress reflects join time.
#[test]
fn bookmarks_relists_and_node_joins() {
    let s = scenario(
        4,
        r#"
[[events]]
at = "2m"
type = "watch_restart"
"#,
    );
    let mut hub = WatchHub::new(&s, 4);
    let a = slice("web-a", 3, false, 100000001);
    hub.on_write(&write(0, Verb::Create, None, Some(&a), 100000001));
    hub.set_node_count(300 * NS_PER_SEC, 6);
    let r = hub.finish(600 * NS_PER_SEC);
    let m = r.mode(Resource::EndpointSlices);
    // ES groups: kube-proxy (4 → 6 members), coredns 2, kcm 1. Bookmark interval 60 s,
    // mean watch timeout 7.5 min. kube-proxy has 4 members until 300 s then 6: spread counts
    // are cumulative in the current count, so at least 4 × 10 and at most 6 × 10 + 6.
    let kp = r
        .groups
        .iter()
        .find(|g| g.group.role == Role::KubeProxy && g.group.resource == Resource::EndpointSlices)
        .unwrap();
    // 4 × 300 s + 6 × 300 s = 3000 member-seconds: 50 bookmarks + floor(3000 / 450) = 6
    // pre-timeout ones.
    assert_eq!(kp.bookmarks.events, 50 + 6, "{:?}", kp.bookmarks);
    let dns = r
        .groups
        .iter()
        .find(|g| g.group.role == Role::CoreDns && g.group.resource == Resource::EndpointSlices)
        .unwrap();
    assert_eq!(dns.bookmarks.events, 2 * 10 + 2);
    // Relists: the restart (4 kube-proxy + 2 coredns, not the kcm) + 2 joining nodes.
    assert_eq!(kp.relists.events, 4 + 2);
    assert_eq!(dns.relists.events, 2);
    assert!(m.relists.bytes > 0);
    // Re-watches: kube-proxy 6, coredns floor(1200 / 450) = 2, kcm floor(600 / 450) = 1.
    assert_eq!(m.rewatches, 6 + 2 + 1);
    // Late nodes received less than the original ones.
    assert_eq!(m.node_ingress.nodes, 6);
    assert!(m.node_ingress.mean < m.node_ingress.max as f64);
}

/// Nodes leaving keep what they received; the survivors keep receiving.
#[test]
fn node_leaves() {
    let s = scenario(3, "");
    let mut hub = WatchHub::new(&s, 3);
    let a = slice("web-a", 3, false, 100000001);
    let b = slice("web-a", 4, false, 100000002);
    hub.on_write(&write(0, Verb::Create, None, Some(&a), 100000001));
    hub.set_node_count(NS_PER_SEC / 2, 1);
    hub.on_write(&write(
        NS_PER_SEC / 2 + 1,
        Verb::Update,
        Some(&a),
        Some(&b),
        100000002,
    ));
    let r = hub.finish(NS_PER_SEC / 2 + 2);
    let m = r.mode(Resource::EndpointSlices);
    let pb =
        |et, o: &EndpointSlice| wire::watch_event_size(Encoding::Protobuf, et, o).unwrap() as u64;
    let first = pb(EventType::Added, &a);
    let both = first + pb(EventType::Modified, &b);
    assert_eq!(m.node_ingress.nodes, 3);
    assert_eq!(m.node_ingress.max, both);
    assert_eq!(m.by_role["kube-proxy"].events, 3 + 1);
    assert!((m.node_ingress.mean - (2 * first + both) as f64 / 3.0).abs() < 1e-6);
}
