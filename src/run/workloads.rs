//! Per-second time series of the world's workloads, sampled while the run goes (the rows of
//! `workloads.csv`, exported by [`crate::report::timeseries`]).
//!
//! Per simulated second: one row for all workloads together (`workload` = `*`), then one row
//! per listed workload. Listed are all workloads when there are at most
//! [`MAX_LISTED_WORKLOADS`], otherwise only the workloads some timeline event names (so a
//! 10,000-Service scenario does not write gigabytes; the totals row still covers everything).
//! The row for second `s` is the state after every event with time ≤ `s` seconds has been
//! processed. Columns (fixed order):
//!
//! | column | meaning |
//! |---|---|
//! | `time_s` | whole simulated seconds since the start |
//! | `workload` | `*` (all), or the Deployment name (`namespace/name` when not in `default`) |
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

use crate::cluster::{WorkloadStats, World};
use crate::scenario::{EventKind, Scenario};

/// Above this many workloads only event targets get their own rows.
pub const MAX_LISTED_WORKLOADS: usize = 200;

/// Indices of the workloads that get their own rows (see the module docs).
pub fn listed_workloads(sc: &Scenario) -> Vec<usize> {
    if sc.workloads.len() <= MAX_LISTED_WORKLOADS {
        return (0..sc.workloads.len()).collect();
    }
    let mut v: Vec<usize> = sc
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Scale { workload, .. }
            | EventKind::RollingUpdate { workload, .. }
            | EventKind::RestartPods { workload, .. }
            | EventKind::PodIpChange { workload, .. } => Some(*workload),
            EventKind::Churn { workload, .. } => *workload,
            _ => None,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

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

fn row(
    time_s: u64,
    label: String,
    replicas: u64,
    s: &WorkloadStats,
    active_rs: usize,
    nodes: (u64, u64),
) -> Vec<String> {
    vec![
        time_s.to_string(),
        label,
        replicas.to_string(),
        s.pods_total.to_string(),
        s.pods_active.to_string(),
        s.pods_ready.to_string(),
        s.pods_available.to_string(),
        s.pods_terminating.to_string(),
        s.pods_pending.to_string(),
        s.pods_unscheduled.to_string(),
        active_rs.to_string(),
        nodes.0.to_string(),
        nodes.1.to_string(),
    ]
}

/// The rows of one sample, as strings in [`HEADER`] order: the `*` totals row, then one row
/// per workload in `listed`.
pub fn sample_rows(time_s: u64, world: &World, listed: &[usize]) -> Vec<Vec<String>> {
    let nodes = world.node_counts();
    let active_rs = |d: &crate::cluster::Deployment| {
        d.replica_sets
            .iter()
            .filter(|&&r| world.replica_sets()[r].info.replicas > 0)
            .count()
    };
    // Kept by the world as pods, replicas and ReplicaSets change: a sample reads the listed
    // workloads only, not every Deployment (`World::workload_totals_walked` is the sum).
    let t = world.workload_totals();
    let (total, replicas, rs) = (t.stats, t.replicas, t.replicasets_active);
    let mut out = vec![row(time_s, "*".into(), replicas, &total, rs, nodes)];
    for &i in listed {
        if let Some(d) = world.deployments().get(i) {
            out.push(row(
                time_s,
                workload_label(&d.namespace, &d.name),
                u64::from(d.replicas),
                &d.stats,
                active_rs(d),
                nodes,
            ));
        }
    }
    out
}

/// The rows of `workloads.csv` as the run samples them, kept as CSV text (header included):
/// a long run of a large scenario has millions of rows, and text is their most compact form.
pub struct Recorder {
    listed: Vec<usize>,
    csv: csv::Writer<Vec<u8>>,
}

impl Recorder {
    pub fn new(sc: &Scenario) -> anyhow::Result<Recorder> {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(HEADER)?;
        Ok(Recorder {
            listed: listed_workloads(sc),
            csv,
        })
    }

    /// Record the rows of second `time_s`.
    pub fn sample(&mut self, time_s: u64, world: &World) -> anyhow::Result<()> {
        for row in sample_rows(time_s, world, &self.listed) {
            self.csv.write_record(&row)?;
        }
        Ok(())
    }

    /// The bytes of `workloads.csv`.
    pub fn finish(self) -> anyhow::Result<Vec<u8>> {
        Ok(self.csv.into_inner()?)
    }
}
