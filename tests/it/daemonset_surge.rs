//! DaemonSet surge updates (`max_surge` > 0 with `max_unavailable = 0`): each node's new pod
//! starts beside its old one, which goes once the new one is available, with at most
//! `max_surge` new pods not yet available at once (pkg/controller/daemon/update.go ::
//! rollingUpdate, daemon_controller.go :: podsShouldBeOnNode with surge). Upstream validation
//! (validation.go :: ValidateRollingUpdateDaemonSet) allows exactly one of the two non-zero.

use std::collections::BTreeMap;

use slicesim::cluster::{Change, ChangeSink, World};
use slicesim::scenario::Nanos;

use crate::support::{toml_event, toml_head};

fn daemon(extra: &str) -> String {
    format!(
        "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\n\
         ports = [{{ name = \"metrics\", container_port = 9100 }}]\n{extra}\n"
    )
}

#[derive(Default)]
struct Watch {
    /// Most nodes at once without a Ready, non-terminating agent pod (after t = 0).
    max_nodes_down: usize,
    /// Most nodes at once with two live agent pods.
    max_doubled: usize,
    /// Most live agent pods on one node.
    max_per_node: usize,
}

impl ChangeSink for Watch {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, world: &World) {
        if !matches!(change, Change::Pod(_)) || now == 0 {
            return;
        }
        let mut live: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
        for p in world.pods().filter(|p| p.name.starts_with("agent-")) {
            if let (Some(n), false) = (p.node, p.is_terminating()) {
                let e = live.entry(n).or_default();
                e.0 += 1;
                e.1 += usize::from(p.is_ready());
            }
        }
        let nodes = world.nodes().iter().filter(|n| n.exists).count();
        let up = live.values().filter(|(_, ready)| *ready > 0).count();
        self.max_nodes_down = self.max_nodes_down.max(nodes - up);
        self.max_doubled = self
            .max_doubled
            .max(live.values().filter(|(n, _)| *n > 1).count());
        self.max_per_node = self
            .max_per_node
            .max(live.values().map(|(n, _)| *n).max().unwrap_or(0));
    }
}

fn run(src: &str) -> (World, Watch) {
    crate::support::world_to_end(src)
}

#[test]
fn a_surge_update_keeps_every_node_served() {
    for (surge, most) in [("1", 1), ("2", 2), ("\"50%\"", 3)] {
        let src = [
            toml_head("ds", 4, "4m", 6, &["a", "b"]),
            daemon(&format!("max_surge = {surge}\nmax_unavailable = 0")),
            toml_event("10s", "rolling_update", "workload = \"agent\""),
        ]
        .concat();
        let (w, watch) = run(&src);
        assert_eq!(
            watch.max_nodes_down, 0,
            "surge {surge}: a node lost its pod"
        );
        assert_eq!(watch.max_per_node, 2, "surge {surge}");
        assert_eq!(watch.max_doubled, most, "surge {surge}");
        let agents: Vec<_> = w.pods().filter(|p| p.name.starts_with("agent-")).collect();
        assert_eq!(agents.len(), 6);
        assert!(agents
            .iter()
            .all(|p| p.template.version == 1 && p.is_ready()));
    }
}

/// The same update without surge leaves nodes without a pod (`max_unavailable` of them).
#[test]
fn without_surge_nodes_go_unserved() {
    let src = [
        toml_head("ds", 4, "4m", 6, &["a", "b"]),
        daemon("max_unavailable = 2"),
        toml_event("10s", "rolling_update", "workload = \"agent\""),
    ]
    .concat();
    let (_, watch) = run(&src);
    assert_eq!(watch.max_nodes_down, 2);
    assert_eq!(watch.max_per_node, 1);
}

#[test]
fn surge_settings_are_validated_with_located_errors() {
    let cases = [
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\nmax_surge = 1\nmax_unavailable = 1\n",
            "workloads[0].max_surge",
            "may not be set when max_unavailable is non-zero",
        ),
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\nmax_surge = 0\nmax_unavailable = 0\n",
            "workloads[0].max_unavailable",
            "cannot be 0 when max_surge is 0",
        ),
        (
            "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\nmax_surge = \"101%\"\nmax_unavailable = 0\n",
            "workloads[0].max_surge",
            "allowed: 0%..=100%",
        ),
    ];
    crate::support::assert_refused_bodies(&cases);
}
