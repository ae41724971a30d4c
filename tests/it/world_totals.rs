//! The world's running sums over its Deployments (`World::workload_totals`: the `*` row of
//! `workloads.csv`) equal the sums walked over every Deployment and ReplicaSet after every
//! event, through pod churn, rolling updates, scaling (to zero and back), node failure and
//! removal, StatefulSets and DaemonSets.

use slicesim::cluster::{NullSink, World};

use crate::support::{scenario, started_world, toml_event, toml_head, toml_workload};

/// Run `src` to its end, comparing the kept sums with the walked ones after every step.
fn check(src: &str) -> World {
    let sc = scenario(src, &[]);
    let mut sink = NullSink;
    let (mut w, mut el) = started_world(sc, &mut sink);
    assert_eq!(w.workload_totals(), w.workload_totals_walked(), "at t = 0");
    let mut steps = 0;
    while el.step(&mut w, &mut sink).unwrap().is_some() {
        steps += 1;
        assert_eq!(
            w.workload_totals(),
            w.workload_totals_walked(),
            "step {steps}"
        );
    }
    assert!(steps > 100, "{steps} steps");
    w
}

#[test]
fn totals_follow_deployments_through_churn_updates_scaling_and_node_loss() {
    let src = [
        toml_head("totals", 7, "6m", 6, &["a", "b"]),
        toml_workload("web", 12, "min_ready_seconds = 5"),
        toml_workload("api", 4, ""),
        toml_workload("idle", 0, ""),
        toml_event("10s", "churn", "rate = \"2/s\"\nduration = \"2m\""),
        toml_event("30s", "rolling_update", "workload = \"web\""),
        toml_event("50s", "scale", "workload = \"api\"\nreplicas = 0"),
        toml_event("70s", "scale", "workload = \"idle\"\nreplicas = 5"),
        toml_event("90s", "node_failure", "nodes = [0]\ntoleration = \"20s\""),
        toml_event("3m", "scale", "workload = \"api\"\nreplicas = 7"),
        toml_event("4m", "remove_nodes", "nodes = [1]\ndrain = true"),
    ]
    .concat();
    let w = check(&src);
    let t = w.workload_totals();
    assert_eq!(t.replicas, 12 + 7 + 5);
    assert!(t.replicasets_active >= 3, "{t:?}");
}

#[test]
fn totals_follow_statefulsets_and_daemonsets() {
    let src = [
        toml_head("totals-sets", 3, "5m", 4, &["a"]),
        "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nservice_name = \"db\"\nreplicas = 3\n\
         termination_grace_period = \"5s\"\nexit_after = \"2s\"\n\
         ports = [{ name = \"pg\", container_port = 5432 }]\n"
            .to_string(),
        "[[workloads]]\nname = \"agent\"\nkind = \"DaemonSet\"\n\
         ports = [{ name = \"metrics\", container_port = 9100 }]\n"
            .to_string(),
        toml_event("10s", "scale", "workload = \"db\"\nreplicas = 6"),
        toml_event("20s", "add_nodes", "count = 2\nzone = \"a\""),
        toml_event("40s", "rolling_update", "workload = \"db\""),
        toml_event("60s", "remove_nodes", "nodes = [1]\ndrain = false"),
        toml_event("80s", "rolling_update", "workload = \"agent\""),
        toml_event("2m", "scale", "workload = \"db\"\nreplicas = 2"),
        toml_event("150s", "node_failure", "nodes = [0]\ntoleration = \"10s\""),
    ]
    .concat();
    let w = check(&src);
    assert!(
        w.workload_totals().replicas >= 2,
        "{:?}",
        w.workload_totals()
    );
}
