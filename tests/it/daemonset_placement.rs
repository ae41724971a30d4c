//! `kind = "DaemonSet"` workloads: one pod on every node the `node_selector` selects, replicas
//! following the nodes (pkg/controller/daemon/daemon_controller.go :: manage,
//! podsShouldBeOnNode): a node added gets a pod, a deleted node's pod goes (pod GC), a drain
//! leaves DaemonSet pods and a failed node's are not evicted (their default tolerations), a
//! rolling update keeps at most `max_unavailable` nodes without an available pod
//! (update.go :: rollingUpdate).

use std::collections::{BTreeMap, BTreeSet};

use slicesim::cluster::k8s_view::pod_to_k8s;
use slicesim::cluster::{Change, ChangeSink, ObjChange, World};
use slicesim::scenario::{Nanos, NS_PER_SEC};

use crate::support::{toml_event, toml_head, toml_workload};

fn daemon(name: &str, extra: &str) -> String {
    format!(
        "[[workloads]]\nname = \"{name}\"\nkind = \"DaemonSet\"\n\
         ports = [{{ name = \"metrics\", container_port = 9100 }}]\n{extra}\n"
    )
}

const AGENT_SERVICE: &str = r#"
[[services]]
name = "agent"
workload = "agent"
ports = [{ name = "metrics", port = 9100, target_port = "metrics" }]
"#;

#[derive(Default)]
struct Watch {
    /// (time, pod, node) of every binding.
    bound: Vec<(Nanos, String, String)>,
    deleted: Vec<(Nanos, String)>,
    /// Most `agent` pods terminating at once.
    max_terminating: usize,
}

impl ChangeSink for Watch {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, world: &World) {
        let Change::Pod(c) = change else { return };
        match c {
            ObjChange::Updated { old, new } if old.node.is_none() && new.node.is_some() => {
                let node = new.node_name.as_deref().unwrap_or("").to_string();
                self.bound.push((now, new.name.clone(), node));
            }
            ObjChange::Deleted(p) => self.deleted.push((now, p.name.clone())),
            _ => {}
        }
        let t = world
            .pods()
            .filter(|p| p.name.starts_with("agent-") && p.is_terminating())
            .count();
        self.max_terminating = self.max_terminating.max(t);
    }
}

/// Pods of workload `prefix` per node name (existing pods, terminating ones excluded).
fn per_node(w: &World, prefix: &str) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in w
        .pods()
        .filter(|p| p.name.starts_with(prefix) && !p.is_terminating())
    {
        *m.entry(p.node_name.as_deref().unwrap_or("-").to_string())
            .or_insert(0) += 1;
    }
    m
}

fn live_nodes(w: &World, zone: Option<&str>) -> BTreeMap<String, usize> {
    w.nodes()
        .iter()
        .filter(|n| n.exists && zone.map_or(true, |z| &*n.zone_name == z))
        .map(|n| (n.name.to_string(), 1))
        .collect()
}

fn run(src: &str) -> (World, Watch) {
    crate::support::world_to_end(src)
}

#[test]
fn one_pod_per_selected_node_following_node_adds_and_removals() {
    let base = [
        toml_head("ds", 2, "3m", 4, &["a", "b"]),
        daemon("agent", ""),
        daemon(
            "zonal",
            "node_selector = { \"topology.kubernetes.io/zone\" = \"a\" }",
        ),
        toml_workload("web", 4, ""),
        AGENT_SERVICE.to_string(),
    ]
    .concat();
    // t = 0
    let sc = crate::support::scenario(&base, &[]);
    assert_eq!(
        sc.workloads[0].replicas, 4,
        "replicas = the selected initial nodes"
    );
    assert_eq!(sc.workloads[1].replicas, 2);
    let mut sink = Watch::default();
    let (w, _) = crate::support::started_world(sc, &mut sink);
    assert_eq!(per_node(&w, "agent-"), live_nodes(&w, None));
    assert_eq!(per_node(&w, "zonal-"), live_nodes(&w, Some("a")));
    let p = w.pods().find(|p| p.name.starts_with("agent-")).unwrap();
    let k = pod_to_k8s(p, &w);
    let owner = &k.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("DaemonSet", "agent")
    );
    assert_eq!(k.metadata.generate_name.as_deref(), Some("agent-"));

    // two nodes join zone a at 20 s; node 1 is deleted (no drain) at 60 s
    let src = [
        base,
        toml_event("20s", "add_nodes", "count = 2\nzone = \"a\""),
        toml_event("60s", "remove_nodes", "nodes = [1]\ndrain = false"),
    ]
    .concat();
    let (w, watch) = run(&src);
    assert_eq!(live_nodes(&w, None).len(), 5);
    assert_eq!(per_node(&w, "agent-"), live_nodes(&w, None));
    assert_eq!(per_node(&w, "zonal-"), live_nodes(&w, Some("a")));
    let removed = w.nodes()[1].name.to_string();
    // the deleted node's pods went with pod GC (40 s after the Node object)
    assert!(w
        .pods()
        .all(|p| p.node_name.as_deref() != Some(removed.as_str())));
    let new_nodes: BTreeSet<String> = w.nodes()[4..6].iter().map(|n| n.name.to_string()).collect();
    let agent_binds: BTreeSet<String> = watch
        .bound
        .iter()
        .filter(|(t, p, _)| *t >= 20 * NS_PER_SEC && p.starts_with("agent-"))
        .map(|(_, _, n)| n.clone())
        .collect();
    assert_eq!(agent_binds, new_nodes, "one new agent pod per added node");

    // both controllers publish one endpoint per node
    let (mgr, _) = crate::support::run_controllers(crate::support::scenario(&src, &[]));
    let ep = mgr.endpoints.get("default", "agent").unwrap();
    let nodes: BTreeSet<String> = ep
        .subsets
        .iter()
        .flatten()
        .flat_map(|s| s.addresses.iter().flatten())
        .map(|a| a.node_name.as_deref().unwrap().to_string())
        .collect();
    assert_eq!(nodes.len(), 5);
    let slice_eps: usize = mgr
        .slices_of("default/agent")
        .iter()
        .map(|s| s.endpoints.as_ref().map_or(0, |e| e.len()))
        .sum();
    assert_eq!(slice_eps, 5);
}

/// A drain evicts the Deployment's pods, leaves the DaemonSet's (no replacement is created on
/// the cordoned node), deletes the Node once only they are left, and pod GC removes them.
#[test]
fn a_drain_leaves_daemon_pods_which_go_with_the_node() {
    let src = [
        toml_head("ds", 4, "2m", 3, &["a"]),
        daemon("agent", "termination_grace_period = \"5s\""),
        toml_workload("web", 6, "exit_after = \"1s\""),
        toml_event("20s", "remove_nodes", "nodes = [0]\ndrain = true"),
    ]
    .concat();
    let (w, watch) = run(&src);
    let drained = w.nodes()[0].name.to_string();
    assert!(!w.nodes()[0].exists);
    assert!(w
        .pods()
        .all(|p| p.node_name.as_deref() != Some(drained.as_str())));
    assert_eq!(per_node(&w, "agent-"), live_nodes(&w, None));
    assert!(
        !watch
            .bound
            .iter()
            .any(|(t, p, n)| *t >= 20 * NS_PER_SEC && p.starts_with("agent-") && *n == drained),
        "no DaemonSet pod re-created on the drained node"
    );
    // the agent pod of the drained node was removed by pod GC, 40 s after the Node (~21 s)
    let agent_gone: Vec<Nanos> = watch
        .deleted
        .iter()
        .filter(|(_, p)| p.starts_with("agent-"))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(agent_gone.len(), 1, "{agent_gone:?}");
    assert!(agent_gone[0] >= 60 * NS_PER_SEC, "{agent_gone:?}");
}

/// A failed node's DaemonSet pod turns NotReady but is not evicted; the Deployment's are.
#[test]
fn daemon_pods_of_a_failed_node_are_not_evicted() {
    let src = [
        toml_head("ds", 6, "2m", 3, &["a"]),
        daemon("agent", ""),
        toml_workload("web", 6, ""),
        toml_event("10s", "node_failure", "nodes = [0]\ntoleration = \"10s\""),
    ]
    .concat();
    let (w, _) = run(&src);
    let failed = w.nodes()[0].name.to_string();
    let on_failed: Vec<_> = w
        .pods()
        .filter(|p| p.node_name.as_deref() == Some(failed.as_str()))
        .collect();
    let agent: Vec<_> = on_failed
        .iter()
        .filter(|p| p.name.starts_with("agent-"))
        .collect();
    assert_eq!(agent.len(), 1);
    assert!(!agent[0].is_terminating() && !agent[0].is_ready());
    assert!(on_failed
        .iter()
        .filter(|p| p.name.starts_with("web-"))
        .all(|p| p.is_terminating()));
    assert_eq!(
        per_node(&w, "agent-").len(),
        3,
        "no second pod for the failed node"
    );
}

/// A rolling update keeps at most `max_unavailable` nodes without an available pod, and
/// ends with one new-revision pod per node.
#[test]
fn a_rolling_update_replaces_at_most_max_unavailable_at_a_time() {
    let src = [
        toml_head("ds", 8, "3m", 6, &["a", "b"]),
        daemon("agent", "max_unavailable = 2"),
        toml_event("10s", "rolling_update", "workload = \"agent\""),
    ]
    .concat();
    let (w, watch) = run(&src);
    assert_eq!(watch.max_terminating, 2);
    assert_eq!(watch.deleted.len(), 6);
    assert_eq!(per_node(&w, "agent-"), live_nodes(&w, None));
    assert!(w.pods().all(|p| p.template.version == 1 && p.is_ready()));
}

#[test]
fn daemonset_fields_are_validated_with_located_errors() {
    let cases = [
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\nreplicas = 3\n",
            "workloads[0].replicas",
            "not allowed with kind = \"DaemonSet\"",
        ),
        (
            "[[workloads]]\nname = \"web\"\nnode_selector = { disk = \"ssd\" }\n",
            "workloads[0].node_selector",
            "only allowed with kind = \"DaemonSet\"",
        ),
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\nmax_surge = 1\n",
            "workloads[0].max_surge",
            "may not be set when max_unavailable is non-zero",
        ),
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\n\
             [[events]]\nat = \"1s\"\ntype = \"scale\"\nworkload = \"agent\"\nreplicas = 2\n",
            "events[0].workload",
            "is a DaemonSet",
        ),
    ];
    crate::support::assert_refused_bodies(&cases);
}

/// `slicesim import` writes a DaemonSet as one (no replicas; its nodeSelector on a label
/// slicesim's nodes carry), and the imported scenario runs one pod per node. Fixture:
/// `tests/data/import/model.json` (`scripts/import-fixture.py model`: DaemonSet
/// `kube-system/node-agent` with `nodeSelector: {kubernetes.io/os: linux}` on 4 nodes).
#[test]
fn import_writes_daemonsets_that_run_one_pod_per_node() {
    let tmp = tempfile::tempdir().unwrap();
    let (text, agent) = crate::support::imported_workload("model.json", "node-agent", tmp.path());
    assert!(agent.contains("\nkind = \"DaemonSet\"\n"), "{agent}");
    assert!(
        agent.contains("\nnode_selector = { \"kubernetes.io/os\" = \"linux\" }\n"),
        "{agent}"
    );
    assert!(!agent.contains("\nreplicas ="), "{agent}");
    assert!(!agent.contains("max_surge"), "{agent}");
    let sc = crate::support::scenario(&text, &[]);
    let wl = sc
        .workloads
        .iter()
        .find(|w| w.name == "node-agent")
        .unwrap();
    assert_eq!(wl.replicas, 4);
    let mut sink = Watch::default();
    let (w, _) = crate::support::started_world(sc, &mut sink);
    assert_eq!(per_node(&w, "node-agent-"), live_nodes(&w, None));
}
