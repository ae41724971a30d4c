//! Per-second time series of the world (`timeseries.csv`).
//!
//! One row per (simulated second, workload). The row for second `s` is the state after every
//! event with time ≤ `s` seconds has been processed. Columns (fixed order):
//!
//! | column | meaning |
//! |---|---|
//! | `time_s` | whole simulated seconds since the start |
//! | `workload` | Deployment name (`namespace/name` when not in `default`) |
//! | `replicas` | Deployment `spec.replicas` |
//! | `pods_total` | pod objects that exist, terminating ones included |
//! | `pods_active` | neither terminating nor terminal (`IsPodActive`) |
//! | `pods_ready` | Ready condition True (terminating pods included) |
//! | `pods_available` | active and Ready for at least minReadySeconds |
//! | `pods_terminating` | deletionTimestamp set |
//! | `pods_pending` | active pods without an IP yet |
//! | `pods_unscheduled` | active pods not bound to a node |
//! | `replicasets_active` | ReplicaSets with `spec.replicas > 0` |
//! | `nodes_total` | Node objects that exist |
//! | `nodes_ready` | of those, Ready=True |

use crate::cluster::World;

pub const HEADER: &[&str] = &[
    "time_s",
    "workload",
    "replicas",
    "pods_total",
    "pods_active",
    "pods_ready",
    "pods_available",
    "pods_terminating",
    "pods_pending",
    "pods_unscheduled",
    "replicasets_active",
    "nodes_total",
    "nodes_ready",
];

/// Display name of a workload.
pub fn workload_label(namespace: &str, name: &str) -> String {
    if namespace == "default" {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

/// The rows of one sample, as strings in [`HEADER`] order.
pub fn sample_rows(time_s: u64, world: &World) -> Vec<Vec<String>> {
    let (nodes_total, nodes_ready) = world.node_counts();
    world
        .deployments()
        .iter()
        .map(|d| {
            let s = &d.stats;
            let active_rs = d
                .replica_sets
                .iter()
                .filter(|&&r| world.replica_sets()[r].info.replicas > 0)
                .count();
            vec![
                time_s.to_string(),
                workload_label(&d.namespace, &d.name),
                d.replicas.to_string(),
                s.pods_total.to_string(),
                s.pods_active.to_string(),
                s.pods_ready.to_string(),
                s.pods_available.to_string(),
                s.pods_terminating.to_string(),
                s.pods_pending.to_string(),
                s.pods_unscheduled.to_string(),
                active_rs.to_string(),
                nodes_total.to_string(),
                nodes_ready.to_string(),
            ]
        })
        .collect()
}
