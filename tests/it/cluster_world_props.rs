//! Property tests of the cluster world (`cluster::World`) over random small scenarios.

use proptest::prelude::*;
use slicesim::cluster::{Change, ChangeSink, ObjChange, World};
use slicesim::scenario::{self, Nanos, Strategy};

use crate::support::{toml_event, toml_head, toml_service, toml_workload};

fn load(src: &str) -> scenario::Scenario {
    crate::support::scenario(src, &[])
}

/// Checks, on every change, that pod IPs stay unique among live pods and resourceVersions grow.
#[derive(Default)]
struct Checker {
    last_rv: u64,
    violations: Vec<String>,
    last_time: Nanos,
}

impl ChangeSink for Checker {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, world: &World) {
        if now < self.last_time {
            self.violations
                .push(format!("change at {now} after {}", self.last_time));
        }
        self.last_time = now;
        let rv = match change {
            Change::Pod(c) => c.latest().resource_version,
            Change::Node(c) => c.latest().resource_version,
            Change::Service(c) => c.latest().resource_version,
        };
        if rv <= self.last_rv {
            self.violations
                .push(format!("resourceVersion {rv} after {}", self.last_rv));
        }
        self.last_rv = rv;
        if let Change::Pod(ObjChange::Updated { old, new }) = change {
            if old.uid != new.uid {
                self.violations.push("update changed uid".into());
            }
        }
        if let Some(ip) = world.duplicate_live_ip() {
            self.violations
                .push(format!("duplicate live pod IP {ip} at {now}"));
        }
    }
}

fn pct_or_int(v: (bool, u32)) -> String {
    if v.0 {
        format!("\"{}%\"", v.1)
    } else {
        v.1.to_string()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// During rolling updates (deployment controller, rolling.go): active pods never exceed
    /// replicas + maxSurge and available pods never drop below replicas − maxUnavailable;
    /// events are processed in time order; live pod IPs are unique.
    #[test]
    fn rolling_update_respects_surge_and_unavailable(
        replicas in 1u32..25,
        surge in (any::<bool>(), 0u32..60),
        unavail in (any::<bool>(), 0u32..60),
        ready in (0u64..4000, 0u64..4000),
        min_ready in 0u32..4,
        second_update_ms in proptest::option::of(0u64..20_000),
        seed in 0u64..(i64::MAX as u64),
    ) {
        check_rolling_update(replicas, surge, unavail, ready, min_ready, second_update_ms, seed)?;
    }

    /// Random mixes of scale, churn, restarts, node failures/recoveries and IP changes:
    /// unique live IPs, monotone time, monotone resourceVersions, and the ReplicaSet always
    /// converges back to spec.replicas active pods.
    #[test]
    fn random_timelines_keep_world_consistent(
        replicas in 0u32..30,
        seed in 0u64..(i64::MAX as u64),
        events in proptest::collection::vec((0u64..120, 0u8..7, 0u32..10), 0..8),
    ) {
        let mut src = [
            toml_head("mix", seed, "20m", 5, &["a", "b"]),
            toml_workload("web", replicas, "ready_delay = \"0s..3s\""),
            toml_service("web", "web", ""),
        ].concat();
        let mut sorted = events.clone();
        sorted.sort();
        let mut failed = false;
        for (at, kind, n) in sorted {
            let (kind, body) = match kind {
                0 => ("scale", format!("workload = \"web\"\nreplicas = {}", n * 3)),
                1 => ("churn", "workload = \"web\"\nrate = \"30/m\"\nduration = \"30s\"".to_string()),
                2 => ("restart_pods", format!("workload = \"web\"\ncount = {}", n + 1)),
                3 if !failed => { failed = true; ("node_failure", "nodes = [1]".to_string()) }
                3 | 4 => ("node_recovery", "nodes = [1]".to_string()),
                5 => ("pod_ip_change", format!("workload = \"web\"\ncount = {}", n + 1)),
                _ => ("rolling_update", "workload = \"web\"".to_string()),
            };
            src.push_str(&toml_event(&format!("{at}s"), kind, &body));
        }
        // recover at the end so the ReplicaSet can converge on healthy nodes
        src.push_str(&toml_event("13m", "node_recovery", "nodes = [1]"));
        let sc = load(&src);
        let mut checker = Checker::default();
        let (mut world, mut el) = crate::support::started_world(sc, &mut checker);
        let mut last = 0;
        while let Some(t) = el.step(&mut world, &mut checker).unwrap() {
            prop_assert!(t >= last);
            last = t;
        }
        prop_assert!(checker.violations.is_empty(), "{:?}", checker.violations);
        let d = &world.deployments()[0];
        prop_assert_eq!(d.stats.pods_active, u64::from(d.replicas));
        prop_assert_eq!(d.stats.pods_ready, u64::from(d.replicas));
        prop_assert_eq!(d.stats.pods_terminating, 0);
    }
}

/// The body of `rolling_update_respects_surge_and_unavailable`, callable with fixed inputs.
fn check_rolling_update(
    replicas: u32,
    surge: (bool, u32),
    unavail: (bool, u32),
    ready: (u64, u64),
    min_ready: u32,
    second_update_ms: Option<u64>,
    seed: u64,
) -> Result<(), TestCaseError> {
    // both zero is rejected by validation: force a surge of 1
    let surge = if surge.1 == 0 && unavail.1 == 0 {
        (false, 1)
    } else {
        surge
    };
    let unavail = if unavail.0 {
        (true, unavail.1.min(100))
    } else {
        unavail
    };
    let (lo, hi) = (ready.0.min(ready.1), ready.0.max(ready.1));
    let mut src = [
        // Long enough for the slowest rollout drawn: 24 pods one at a time (maxSurge 0,
        // maxUnavailable rounding to 1), each up to 4 s to Ready + 3 s minReadySeconds +
        // the old pod's termination, restarted by a second update at up to 30 s.
        toml_head("prop", seed, "8m", 6, &["a", "b"]),
        toml_workload(
            "web",
            replicas,
            &format!(
                "max_surge = {s}\nmax_unavailable = {u}\nmin_ready_seconds = {min_ready}\n\
             ready_delay = \"{lo}ms..{hi}ms\"",
                s = pct_or_int(surge),
                u = pct_or_int(unavail),
            ),
        ),
        toml_event("10s", "rolling_update", "workload = \"web\""),
    ]
    .concat();
    if let Some(ms) = second_update_ms {
        src.push_str(&toml_event(
            &format!("{}ms", 10_000 + ms),
            "rolling_update",
            "workload = \"web\"",
        ));
    }
    let sc = load(&src);
    let Strategy::RollingUpdate {
        max_surge,
        max_unavailable,
    } = sc.workloads[0].strategy
    else {
        panic!("strategy")
    };
    let (s, u) =
        slicesim::cluster::deployment::resolve_fenceposts(max_surge, max_unavailable, replicas);
    let mut checker = Checker::default();
    let (mut world, mut el) = crate::support::started_world(sc, &mut checker);
    let mut last = 0;
    while let Some(t) = el.step(&mut world, &mut checker).unwrap() {
        prop_assert!(t >= last, "time went back: {} < {}", t, last);
        last = t;
        let st = world.deployments()[0].stats;
        prop_assert!(
            st.pods_active <= u64::from(replicas + s),
            "active {} > {} + {} at {}",
            st.pods_active,
            replicas,
            s,
            t
        );
        // With minReadySeconds > 0 upstream itself can delete an available pod while an
        // old ReplicaSet still has Ready-but-not-yet-available ones: the victim ranking
        // puts co-located pods (rank) and log2 buckets of Ready time before anything else and
        // ignores availability (seen in a shrunk case: an available pod on a busier node went
        // before a Ready-for-1-s one), see the TODO citing
        // kubernetes/kubernetes#22065 in controller_utils.go :: ActivePodsWithRanks.Less).
        // The availability floor is therefore a guarantee only for minReadySeconds = 0.
        if min_ready == 0 {
            prop_assert!(
                st.pods_available + u64::from(u) >= u64::from(replicas),
                "available {} < {} - {} at {}",
                st.pods_available,
                replicas,
                u,
                t
            );
        }
    }
    prop_assert!(checker.violations.is_empty(), "{:?}", checker.violations);
    // the rollout finishes: every pod is from the newest template, all available
    let d = &world.deployments()[0];
    prop_assert_eq!(d.stats.pods_available, u64::from(replicas));
    let newest = *d.replica_sets.last().unwrap();
    prop_assert_eq!(world.replica_sets()[newest].active.len(), replicas as usize);

    Ok(())
}

/// Reported defect: the property ran 3 simulated minutes, shorter than a one-at-a-time
/// rollout of 23 pods (maxSurge 0, maxUnavailable 1 % → 1) with 2.5–3.1 s to Ready and
/// minReadySeconds 2 restarted at 21 s, so "the rollout finishes" failed on a correct world.
#[test]
fn rolling_update_property_run_outlasted_by_a_slow_rollout() {
    check_rolling_update(
        23,
        (false, 0),
        (true, 1),
        (2510, 3104),
        2,
        Some(11_160),
        2188143554890161928,
    )
    .unwrap();
}
