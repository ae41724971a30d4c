//! The controller manager's pod index holds world pods as compact records and builds the
//! `k8s::Pod` on read (`PodList::insert_row`); differential test against the index holding
//! `pod_to_k8s`'s objects (`PodList::insert`, the path before): after every random change the
//! controllers' inputs — each Service's selected pods in order with their positions and parsed
//! Ready times, lookups by name, changed-pod sets, the full listing and Service matching — are
//! identical, and so is what a removal hands back.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use proptest::prelude::*;
use slicesim::cluster::k8s_view::pod_to_k8s_owned;
use slicesim::cluster::model::{Condition, Pod, PodId, PodPhase, PodTemplate};
use slicesim::controllers::manager::pods::{Consumer, PodList};
use slicesim::scenario::{ContainerPort, Protocol};

type Labels = BTreeMap<String, String>;

const KEYS: [&str; 2] = ["app", "tier"];
const VALUES: [&str; 3] = ["a", "b", "c"];
const OWNERS: [(&str, &str); 2] = [("web-5d9f", "uid-rs-1"), ("web-77c1", "uid-rs-2")];

fn labels_from(bits: &[u8]) -> Labels {
    KEYS.iter()
        .zip(bits)
        .filter(|(_, &b)| b > 0)
        .map(|(k, &b)| (k.to_string(), VALUES[(b as usize - 1) % 3].to_string()))
        .collect()
}

fn template(bits: &[u8], ports: u8, host: bool) -> Arc<PodTemplate> {
    let mut labels = labels_from(bits);
    labels.insert("pod-template-hash".into(), "5d9f".into());
    Arc::new(PodTemplate {
        version: 0,
        hash: "5d9f".into(),
        labels,
        ports: (0..ports)
            .map(|i| ContainerPort {
                name: (i == 0).then(|| "http".to_string()),
                container_port: 8080 + u16::from(i),
                protocol: if i == 1 { Protocol::UDP } else { Protocol::TCP },
            })
            .collect(),
        hostname: host.then(|| "h".to_string()),
        subdomain: host.then(|| "web".to_string()),
        owner_kind: "ReplicaSet",
        hostname_is_pod_name: false,
    })
}

fn cond(c: Option<(bool, u64)>) -> Option<Condition> {
    c.map(|(status, s)| Condition {
        status,
        last_transition_ns: s * 1_000_000_007,
    })
}

#[derive(Debug, Clone)]
enum Op {
    Upsert {
        name: u8,
        bits: Vec<u8>,
        ports: u8,
        host: bool,
        owner: Option<u8>,
        node: Option<u8>,
        phase: u8,
        ips: u8,
        conds: [Option<(bool, u64)>; 3],
        deleting: Option<u64>,
    },
    Remove(u8),
    SetService(u8, Option<Vec<u8>>),
    RemoveService(u8),
    Take(u8, bool),
}

fn op() -> impl Strategy<Value = Op> {
    let c = proptest::option::of((any::<bool>(), 0u64..5_000));
    prop_oneof![
        5 => (
            (0u8..6, proptest::collection::vec(0u8..4, 2), 0u8..3, any::<bool>()),
            (proptest::option::of(0u8..2), proptest::option::of(0u8..3), 0u8..3, 0u8..3),
            [c.clone(), c.clone(), c],
            proptest::option::of(0u64..5_000),
        )
            .prop_map(|((name, bits, ports, host), (owner, node, phase, ips), conds, deleting)| {
                Op::Upsert { name, bits, ports, host, owner, node, phase, ips, conds, deleting }
            }),
        2 => (0u8..6).prop_map(Op::Remove),
        2 => (0u8..4, proptest::option::of(proptest::collection::vec(0u8..4, 2)))
            .prop_map(|(s, b)| Op::SetService(s, b)),
        1 => (0u8..4).prop_map(Op::RemoveService),
        2 => (0u8..4, any::<bool>()).prop_map(|(s, c)| Op::Take(s, c)),
    ]
}

fn pod(op: &Op, rv: u64) -> Option<(Pod, Option<(&'static str, &'static str)>)> {
    let Op::Upsert {
        name,
        bits,
        ports,
        host,
        owner,
        node,
        phase,
        ips,
        conds,
        deleting,
    } = op
    else {
        return None;
    };
    let p = Pod {
        id: PodId {
            index: u32::from(*name),
            generation: rv as u32,
        },
        uid: format!("uid-{name}-{rv}"),
        name: format!("pod-{name}"),
        namespace: Arc::from("default"),
        workload: 0,
        replica_set: 0,
        template: template(bits, *ports, *host),
        resource_version: rv,
        creation_ns: rv * 3_000_000_001,
        node: node.map(usize::from),
        node_name: node.map(|n| Arc::from(format!("node-{n}").as_str())),
        phase: [PodPhase::Pending, PodPhase::Running, PodPhase::Succeeded][*phase as usize],
        ips: (0..*ips)
            .map(|i| IpAddr::V4(Ipv4Addr::new(10, 0, *name, i)))
            .collect(),
        scheduled: cond(conds[0]),
        containers_ready: cond(conds[1]),
        ready: cond(conds[2]),
        deletion_timestamp_ns: deleting.map(|s| s * 1_000_000_000),
        deletion_grace_period_s: deleting.map(|_| 30),
        termination_grace_ns: 30_000_000_000,
        available: false,
        ready_epoch: 0,
        ip_offset: None,
    };
    Some((p, owner.map(|o| OWNERS[o as usize])))
}

/// Everything a controller reads from the index, as comparable values.
fn observe(l: &PodList) -> String {
    let mut out = String::new();
    for s in 0..4 {
        let svc = format!("s{s}");
        for (i, p, t) in l.selected_at(&svc) {
            out += &format!("{svc} {i} {t:?} {p:?}\n");
        }
        for n in 0..6 {
            let name = format!("pod-{n}");
            if let Some((i, p, t)) = l.selected_pod_at(&svc, &name) {
                out += &format!("{svc} lookup {name} {i} {t:?} {p:?}\n");
            }
        }
    }
    for p in l.values() {
        out += &format!("all {p:?}\n");
        let sel = l.selecting(p.metadata.labels.as_ref());
        out += &format!("selecting {sel:?}\n");
    }
    for n in 0..6 {
        out += &format!("get {n} {:?}\n", l.get(&format!("pod-{n}")));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn compact_rows_give_the_controllers_the_same_pods(ops in proptest::collection::vec(op(), 1..40)) {
        let mut api = PodList::tracking(true, true);
        let mut rows = PodList::tracking(true, true);
        for (rv, op) in ops.iter().enumerate() {
            let rv = rv as u64 + 1;
            if let Some((p, owner)) = pod(op, rv) {
                let old_api = api.insert(p.name.clone(), pod_to_k8s_owned(&p, owner));
                let had = rows.get(&p.name).cloned();
                rows.insert_row(&p, owner);
                prop_assert_eq!(old_api, had);
            }
            match op {
                Op::Upsert { .. } => {}
                Op::Remove(n) => {
                    let name = format!("pod-{n}");
                    prop_assert_eq!(api.remove(&name), rows.remove(&name));
                }
                Op::SetService(s, sel) => {
                    let sel = sel.as_ref().map(|b| labels_from(b));
                    api.set_service(&format!("s{s}"), sel.as_ref());
                    rows.set_service(&format!("s{s}"), sel.as_ref());
                }
                Op::RemoveService(s) => {
                    api.remove_service(&format!("s{s}"));
                    rows.remove_service(&format!("s{s}"));
                }
                Op::Take(s, esc) => {
                    let c = if *esc { Consumer::EndpointSlice } else { Consumer::Endpoints };
                    let a = api.take_changes_for(&format!("s{s}"), c);
                    let r = rows.take_changes_for(&format!("s{s}"), c);
                    prop_assert_eq!(format!("{a:?}"), format!("{r:?}"));
                }
            }
            prop_assert_eq!(observe(&api), observe(&rows));
        }
    }
}

fn service(name: &str, ns: &str, bits: Option<&Vec<u8>>) -> slicesim::k8s::Service {
    let mut s = slicesim::k8s::Service::default();
    s.metadata.name = Some(name.to_string());
    s.metadata.namespace = Some(ns.to_string());
    s.spec.selector = bits.map(|b| labels_from(b));
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The manager's pod-update handler reads the change from the compact records
    /// (`services_to_update_on_pod_change_compact`); `GetServicesToUpdateOnPodChange` over the
    /// API objects gives the same Services.
    #[test]
    fn compact_pod_change_picks_the_same_services(
        a in op(),
        b in op(),
        same_rv in any::<bool>(),
        same_template in any::<bool>(),
        sels in proptest::collection::vec(
            (any::<bool>(), proptest::option::of(proptest::collection::vec(0u8..4, 2))),
            0..5,
        ),
    ) {
        use slicesim::controllers::manager::{
            services_to_update_on_pod_change, services_to_update_on_pod_change_compact,
        };
        let (Some((old, oo)), Some((mut new, no))) = (pod(&a, 1), pod(&b, 2)) else {
            return Ok(());
        };
        if same_rv {
            new.resource_version = old.resource_version;
        }
        if same_template {
            new.template = old.template.clone();
        }
        let svcs: Vec<(String, slicesim::k8s::Service)> = sels
            .iter()
            .enumerate()
            .map(|(i, (other_ns, bits))| {
                let ns = if *other_ns { "other" } else { "default" };
                (format!("{ns}/s{i}"), service(&format!("s{i}"), ns, bits.as_ref()))
            })
            .collect();
        let it = svcs.iter().map(|(k, s)| (k, s));
        let compact = services_to_update_on_pod_change_compact(it.clone(), &old, &new);
        let api = services_to_update_on_pod_change(
            it,
            &pod_to_k8s_owned(&old, oo),
            &pod_to_k8s_owned(&new, no),
        );
        prop_assert_eq!(compact, api);
    }
}
