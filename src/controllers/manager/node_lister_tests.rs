//! The manager's node lister ([`ListedNode`]: what `SetNodes` reads plus the topology
//! signature, the `k8s::Node` only for trace recording) against the straightforward node
//! lister that keeps every full `k8s::Node` and derives everything from it at each read
//! (`node_info`, `NodeIndex::from_nodes`, `(IsReady, zone)` compared between versions).

use super::*;
use crate::cluster::model::{Node as WorldNode, NodeReady, Taint};
use crate::controllers::endpointslice::reconciler::NodeIndex;
use proptest::prelude::*;

const NAMES: [&str; 5] = ["node-a", "node-b", "node-c", "node-d", "node-e"];
const ZONES: [&str; 3] = ["zone-1", "zone-2", ""];

/// One random change to one of a few nodes.
#[derive(Debug, Clone)]
enum Op {
    /// Add (or update, when it exists) node `n` with this content.
    Put {
        n: usize,
        ready: bool,
        zone: usize,
        drop_zone_label: bool,
        control_plane: bool,
        cpu_milli: u64,
        unschedulable: bool,
        tainted: bool,
    },
    Delete(usize),
    /// The topology queue runs (`run_topology` reads the lister).
    Topology,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..NAMES.len(), any::<bool>(), 0..ZONES.len(), prop::bool::weighted(0.15),
              prop::bool::weighted(0.15), prop_oneof![Just(0u64), Just(500), Just(4000), 1..9000u64],
              prop::bool::weighted(0.2), prop::bool::weighted(0.2))
            .prop_map(|(n, ready, zone, drop_zone_label, control_plane, cpu_milli, unschedulable, tainted)| Op::Put {
                n, ready, zone, drop_zone_label, control_plane, cpu_milli, unschedulable, tainted,
            }),
        2 => (0..NAMES.len()).prop_map(Op::Delete),
        1 => Just(Op::Topology),
    ]
}

fn world_node(op: &Op, rv: u64) -> WorldNode {
    let Op::Put {
        n,
        ready,
        zone,
        drop_zone_label,
        control_plane,
        cpu_milli,
        unschedulable,
        tainted,
    } = *op
    else {
        unreachable!("a Put")
    };
    let zone_name = ZONES[zone];
    let mut labels = crate::scenario::node_labels(NAMES[n], zone_name);
    if drop_zone_label {
        labels.remove("topology.kubernetes.io/zone");
    }
    if control_plane {
        labels.insert(
            "node-role.kubernetes.io/control-plane".into(),
            String::new(),
        );
    }
    WorldNode {
        id: n,
        name: NAMES[n].into(),
        uid: format!("uid-{n}"),
        zone,
        zone_name: zone_name.into(),
        labels,
        allocatable_cpu_milli: cpu_milli,
        max_pods: 110,
        pod_cidrs: Vec::new(),
        resource_version: rv,
        creation_ns: 0,
        ready: if ready {
            NodeReady::True
        } else {
            NodeReady::Unknown
        },
        ready_transition_ns: rv as Nanos,
        unschedulable,
        taints: if tainted {
            vec![Taint {
                key: "node.kubernetes.io/unreachable",
                effect: "NoSchedule",
                time_added_ns: Some(rv as Nanos),
            }]
        } else {
            Vec::new()
        },
        exists: true,
        kubelet_up: true,
    }
}

fn manager() -> ControllerManager<'static> {
    let sc = crate::testutil::scenario(
        r#"name = "nodes"
seed = 1
duration = "1m"
[cluster]
nodes = 1
zones = ["a"]
"#,
    );
    ControllerManager::new(&sc, &ManagerOptions::default())
}

/// Topology signature of the full object: `(IsReady, zone label)`.
fn full_sig(n: &k8s::Node) -> (bool, Option<String>) {
    (n.is_ready(), n.zone().map(str::to_string))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// After every change: the node infos `run_topology` hands to `SetNodes`, the node index
    /// the EndpointSlice syncs read, and whether a topology update is pending are those of
    /// the full-object lister.
    #[test]
    fn listed_nodes_equal_full_node_objects(ops in prop::collection::vec(op(), 1..60)) {
        let mut mgr = manager();
        prop_assert!(mgr.ctl[ESC].enabled, "the EndpointSlice controller runs");
        let mut full: BTreeMap<String, k8s::Node> = BTreeMap::new();
        let mut latest: BTreeMap<usize, WorldNode> = BTreeMap::new();
        let mut dirty = false;
        let mut now: Nanos = 0;
        for (rv, op) in ops.iter().enumerate() {
            now += NS_PER_SEC;
            let rv = rv as u64 + 1;
            match op {
                Op::Put { n, .. } => {
                    let node = world_node(op, rv);
                    let obj = node_to_k8s(&node);
                    let name = NAMES[*n].to_string();
                    let change = match full.get(&name) {
                        None => true,
                        Some(old) => full_sig(old) != full_sig(&obj),
                    };
                    match latest.get(n) {
                        None => mgr.on_node(now, &ObjChange::Added(&node)),
                        Some(old) => mgr.on_node(now, &ObjChange::Updated { old, new: &node }),
                    }
                    dirty |= change;
                    full.insert(name, obj);
                    latest.insert(*n, node);
                }
                Op::Delete(n) => {
                    let Some(node) = latest.remove(n) else { continue };
                    mgr.on_node(now, &ObjChange::Deleted(&node));
                    full.remove(NAMES[*n]);
                    dirty = true;
                }
                Op::Topology => {
                    if mgr.topology_dirty.is_some() {
                        mgr.run_topology(now);
                    }
                    dirty = false;
                }
            }
            prop_assert_eq!(mgr.topology_dirty.is_some(), dirty, "pending topology update");
            let infos: Vec<_> = mgr.nodes.values().filter_map(|n| n.info.clone().ok()).collect();
            let want: Vec<_> = full.values().filter_map(|n| node_info(n).ok()).collect();
            prop_assert_eq!(infos, want);
            let objects: Vec<k8s::Node> = full.values().cloned().collect();
            let index = NodeIndex::from_nodes(&objects);
            for name in NAMES {
                prop_assert_eq!(mgr.node_index.get(name), index.get(name), "zone of {}", name);
            }
            prop_assert!(mgr.nodes.values().all(|n| n.object.is_none()), "no recorder: no object");
            prop_assert!(mgr.nodes.keys().eq(full.keys()));
        }
    }

    /// `ListedNode::of` on API objects the world never writes (missing labels or conditions,
    /// bad CPU quantities): the info, signature and kept object are the full object's.
    #[test]
    fn listed_node_of_any_object_equals_full_object(
        zone in prop::option::of("[a-z]{0,3}"),
        ready in prop::option::of(prop_oneof![Just("True"), Just("False"), Just("Unknown")]),
        cpu in prop::option::of(prop_oneof![Just("1"), Just("250m"), Just("0.5"), Just("x"), Just("")]),
        master in any::<bool>(),
        keep in any::<bool>(),
    ) {
        let mut n = k8s::Node::default();
        n.metadata.name = Some("n".into());
        let mut labels = BTreeMap::new();
        if let Some(z) = &zone {
            labels.insert("topology.kubernetes.io/zone".to_string(), z.clone());
        }
        if master {
            labels.insert("node-role.kubernetes.io/master".to_string(), String::new());
        }
        n.metadata.labels = Some(labels);
        if let Some(r) = ready {
            n.status.conditions = Some(vec![k8s::NodeCondition {
                type_: "Ready".into(),
                status: r.into(),
                ..Default::default()
            }]);
        }
        if let Some(c) = cpu {
            n.status.allocatable =
                Some([("cpu".to_string(), k8s::Quantity(c.to_string()))].into_iter().collect());
        }
        let l = ListedNode::of(n.clone(), keep);
        prop_assert_eq!(&l.info, &node_info(&n));
        prop_assert_eq!(&l.sig, &full_sig(&n));
        prop_assert_eq!(l.object.as_deref(), keep.then_some(&n));
    }
}
