//! StatefulSet rolling updates beyond one pod at a time from the top:
//! `partition` (only ordinals >= partition are updated; a missing pod below it is re-created
//! at the current revision: stateful_set_control.go :: updateStatefulSet,
//! stateful_set_utils.go :: newVersionedStatefulSetPod) and `max_unavailable`
//! (stateful_set_control.go :: updateStatefulSetAfterInvariantEstablished, the
//! MaxUnavailableStatefulSet gate on: up to maxUnavailable unhealthy replicas at once, old
//! pods deleted from the highest ordinal down).

use std::collections::BTreeMap;

use slicesim::cluster::{Change, ChangeSink, ObjChange, World};
use slicesim::scenario::Nanos;

use crate::support::{toml_event, toml_head};

fn db(replicas: u32, extra: &str) -> String {
    format!(
        "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nservice_name = \"db\"\nreplicas = {replicas}\n\
         termination_grace_period = \"5s\"\nexit_after = \"2s\"\n\
         ports = [{{ name = \"pg\", container_port = 5432 }}]\n{extra}\n"
    )
}

#[derive(Default)]
struct Watch {
    deleted: Vec<(Nanos, String)>,
    /// Most `db` pods not Ready or terminating at once (after t = 0).
    max_unhealthy: usize,
}

impl ChangeSink for Watch {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, world: &World) {
        let Change::Pod(c) = change else { return };
        if let ObjChange::Deleted(p) = c {
            self.deleted.push((now, p.name.clone()));
        }
        if now > 0 {
            let down = world
                .pods()
                .filter(|p| p.is_terminating() || !p.is_ready())
                .count();
            self.max_unhealthy = self.max_unhealthy.max(down);
        }
    }
}

fn run(src: &str) -> (World, Watch) {
    crate::support::world_to_end(src)
}

/// Template version of each pod, by name.
fn versions(w: &World) -> BTreeMap<String, u32> {
    w.pods()
        .map(|p| (p.name.clone(), p.template.version))
        .collect()
}

#[test]
fn a_partitioned_rolling_update_replaces_only_ordinals_at_or_above_the_partition() {
    let src = [
        toml_head("sts", 3, "3m", 3, &["a"]),
        db(4, "partition = 2"),
        toml_event("10s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    let (w, watch) = run(&src);
    let deleted: Vec<&str> = watch.deleted.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(deleted, ["db-3", "db-2"]);
    let want: BTreeMap<String, u32> = [("db-0", 0), ("db-1", 0), ("db-2", 1), ("db-3", 1)]
        .map(|(n, v)| (n.to_string(), v))
        .into();
    assert_eq!(versions(&w), want);
}

/// A pod below the partition that is deleted comes back at the current revision (the one
/// before the update), one above it at the update revision.
#[test]
fn a_pod_below_the_partition_is_recreated_at_the_current_revision() {
    let src = [
        toml_head("sts", 3, "4m", 3, &["a"]),
        db(4, "partition = 2"),
        toml_event("10s", "rolling_update", "workload = \"db\""),
        toml_event("2m", "restart_pods", "workload = \"db\"\ncount = 4"),
    ]
    .concat();
    let (w, watch) = run(&src);
    assert_eq!(watch.deleted.len(), 6, "{:?}", watch.deleted);
    let want: BTreeMap<String, u32> = [("db-0", 0), ("db-1", 0), ("db-2", 1), ("db-3", 1)]
        .map(|(n, v)| (n.to_string(), v))
        .into();
    assert_eq!(versions(&w), want);
    assert!(w.pods().all(|p| p.is_ready()));
}

/// Without a partition every pod is updated, and once the update is complete a re-created
/// pod is at the new revision.
#[test]
fn after_a_complete_update_recreated_pods_are_at_the_new_revision() {
    let src = [
        toml_head("sts", 3, "4m", 3, &["a"]),
        db(3, ""),
        toml_event("10s", "rolling_update", "workload = \"db\""),
        toml_event("2m", "restart_pods", "workload = \"db\"\ncount = 3"),
    ]
    .concat();
    let (w, _) = run(&src);
    assert!(w.pods().all(|p| p.template.version == 1 && p.is_ready()));
}

/// `max_unavailable = 2`: two old pods go at once, highest ordinals first, and never more
/// than two replicas are unhealthy; without it, one at a time.
#[test]
fn max_unavailable_replaces_that_many_pods_at_once() {
    for (extra, most) in [
        ("max_unavailable = 2", 2),
        ("", 1),
        ("max_unavailable = \"40%\"", 2),
    ] {
        let src = [
            toml_head("sts", 3, "4m", 3, &["a"]),
            db(5, &format!("pod_management_policy = \"Parallel\"\n{extra}")),
            toml_event("10s", "rolling_update", "workload = \"db\""),
        ]
        .concat();
        let (w, watch) = run(&src);
        let deleted: Vec<&str> = watch.deleted.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(deleted, ["db-4", "db-3", "db-2", "db-1", "db-0"], "{extra}");
        assert_eq!(watch.max_unhealthy, most, "{extra}");
        if most == 2 {
            assert_eq!(
                watch.deleted[0].0, watch.deleted[1].0,
                "a batch of two: {extra}"
            );
        }
        assert!(w.pods().all(|p| p.template.version == 1 && p.is_ready()));
    }
}

/// With both: the batch stops at the partition.
#[test]
fn max_unavailable_respects_the_partition() {
    let src = [
        toml_head("sts", 3, "4m", 3, &["a"]),
        db(5, "max_unavailable = 3\npartition = 3"),
        toml_event("10s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    let (w, watch) = run(&src);
    let deleted: Vec<&str> = watch.deleted.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(deleted, ["db-4", "db-3"]);
    let v = versions(&w);
    assert_eq!((v["db-2"], v["db-3"], v["db-4"]), (0, 1, 1));
}

#[test]
fn partition_and_max_unavailable_are_validated_with_located_errors() {
    let cases = [
        (
            "[[workloads]]\nname = \"web\"\npartition = 1\n",
            "workloads[0].partition",
            "only allowed with kind = \"StatefulSet\"",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\npartition = -1\n",
            "workloads[0].partition",
            "-1",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nmax_unavailable = 0\n",
            "workloads[0].max_unavailable",
            "cannot be 0",
        ),
        (
            "[[workloads]]\nname = \"db\"\nkind = \"StatefulSet\"\nmax_unavailable = \"150%\"\n",
            "workloads[0].max_unavailable",
            "allowed: 0%..=100%",
        ),
    ];
    crate::support::assert_refused_bodies(&cases);
}
