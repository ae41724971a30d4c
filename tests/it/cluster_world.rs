//! The cluster world (`cluster::World`) on hand-written scenarios: node failure timeline, pod
//! lifecycle, identities, the change stream, node churn, rollout strategies, and every bundled
//! scenario.

use slicesim::cluster::{
    Change, ChangeSink, CountingSink, NodeReady, ObjChange, PodPhase, World, WorldOptions,
};
use slicesim::run::dispatch::{run_to_end, EventLoop};
use slicesim::scenario::{self, Nanos, NS_PER_SEC};

use crate::support::{toml_event, toml_head, toml_workload};

fn load(src: &str) -> scenario::Scenario {
    crate::support::scenario(src, &[])
}

/// Run until (and including) every event at or before `t`.
fn run_until<S: ChangeSink>(el: &mut EventLoop, w: &mut World, sink: &mut S, t: Nanos) {
    while el.peek_time().is_some_and(|x| x <= t) {
        if el.step(w, sink).unwrap().is_none() {
            break;
        }
    }
}

/// 9 pods on 3 nodes; node 0 fails at 10 s and recovers at 15 min; `events` in between.
fn failure(events: &str) -> String {
    [
        toml_head("nf", 9, "20m", 3, &["a"]),
        toml_workload("api", 9, ""),
        toml_event("10s", "node_failure", "nodes = [0]"),
        events.to_string(),
        toml_event("15m", "node_recovery", "nodes = [0]"),
    ]
    .concat()
}

/// node_lifecycle_controller.go monitorNodeHealth: pods stay Ready for node-monitor-grace-period
/// (50 s), then Ready=False with the node Unknown+tainted; evicted 300 s later; Terminating until
/// the kubelet returns.
#[test]
fn node_failure_follows_the_node_lifecycle_timeline() {
    let mut sink = CountingSink::default();
    let (mut w, mut el) = crate::support::started_world(load(&failure("")), &mut sink);
    let on_node0 = |w: &World| w.pods_on_node(0).count();
    let ready_on_node0 = |w: &World| w.pods_on_node(0).filter(|p| p.is_ready()).count();
    run_until(&mut el, &mut w, &mut sink, 59 * NS_PER_SEC);
    let k = on_node0(&w);
    assert!(k > 0);
    assert_eq!(
        ready_on_node0(&w),
        k,
        "still Ready before the grace period ends"
    );
    assert_eq!(w.nodes()[0].ready, NodeReady::True);
    run_until(&mut el, &mut w, &mut sink, 61 * NS_PER_SEC);
    assert_eq!(ready_on_node0(&w), 0, "MarkPodsNotReady at 10 s + 50 s");
    assert_eq!(w.nodes()[0].ready, NodeReady::Unknown);
    assert!(w.nodes()[0].taints.iter().any(|t| t.effect == "NoExecute"));
    // not yet evicted at 10 + 50 + 299 s
    run_until(&mut el, &mut w, &mut sink, 359 * NS_PER_SEC);
    assert!(w.pods_on_node(0).all(|p| !p.is_terminating()));
    run_until(&mut el, &mut w, &mut sink, 361 * NS_PER_SEC);
    assert!(
        w.pods_on_node(0).all(|p| p.is_terminating()),
        "evicted after 300 s toleration"
    );
    // replacements run elsewhere; the evicted pods stay Terminating while the kubelet is gone
    run_until(&mut el, &mut w, &mut sink, 14 * 60 * NS_PER_SEC);
    assert_eq!(on_node0(&w), k);
    let st = w.deployments()[0].stats;
    assert_eq!(st.pods_active, 9);
    assert_eq!(st.pods_available, 9);
    assert_eq!(st.pods_terminating as usize, k);
    // recovery: the kubelet finishes the terminations
    run_until(&mut el, &mut w, &mut sink, 16 * 60 * NS_PER_SEC);
    assert_eq!(on_node0(&w), 0);
    assert_eq!(w.deployments()[0].stats.pods_terminating, 0);
    assert_eq!(w.nodes()[0].ready, NodeReady::True);
}

#[derive(Default)]
struct Recorder {
    lines: Vec<String>,
    pod_updates_with_old_state: u64,
}

impl ChangeSink for Recorder {
    fn on_change(&mut self, now: Nanos, change: &Change<'_>, _w: &World) {
        if let Change::Pod(ObjChange::Updated { old, new }) = change {
            assert!(old.resource_version < new.resource_version);
            assert_ne!(old, new);
            self.pod_updates_with_old_state += 1;
        }
        let name = match change {
            Change::Pod(c) => c.latest().name.clone(),
            Change::Node(c) => c.latest().name.to_string(),
            Change::Service(c) => c.latest().spec.name.clone(),
        };
        self.lines
            .push(format!("{now} {} {} {name}", change.kind(), change.verb()));
    }
}

/// Pod lifecycle: a replacement pod goes Added (Pending, no node) → bound → IP (not Ready) → Ready;
/// a deleted pod goes deletionTimestamp → Ready=False → terminal phase → Deleted.
#[test]
fn pod_lifecycle_as_seen_in_the_change_stream() {
    let src = [
        toml_head("lc", 3, "2m", 2, &["a"]),
        toml_workload(
            "web",
            2,
            "ready_delay = \"3s\"\nnot_serving_after = \"1s\"\nexit_after = \"5s\"",
        ),
        toml_event("10s", "restart_pods", "workload = \"web\"\ncount = 1"),
    ]
    .concat();
    /// (time, verb, name, phase, bound, has IP, Ready, terminating)
    type Entry = (Nanos, String, String, PodPhase, bool, bool, bool, bool);
    #[derive(Default)]
    struct PodLog(Vec<Entry>);
    impl ChangeSink for PodLog {
        fn on_change(&mut self, now: Nanos, c: &Change<'_>, _: &World) {
            if let Change::Pod(pc) = c {
                let p = pc.latest();
                self.0.push((
                    now,
                    pc.verb().to_string(),
                    p.name.clone(),
                    p.phase,
                    p.node.is_some(),
                    !p.ips.is_empty(),
                    p.is_ready(),
                    p.is_terminating(),
                ));
            }
        }
    }
    let mut w = World::new(load(&src), WorldOptions::default()).unwrap();
    let mut log = PodLog::default();
    run_to_end(&mut w, &mut log).unwrap();
    let initial: Vec<_> = log.0.iter().filter(|e| e.0 == 0).collect();
    assert_eq!(initial.len(), 2);
    assert!(
        initial.iter().all(|e| e.1 == "added" && e.4 && e.5 && e.6),
        "steady state at t=0"
    );
    let victim = log
        .0
        .iter()
        .find(|e| e.0 == 10 * NS_PER_SEC)
        .expect("deletion at 10 s");
    let v: Vec<_> = log
        .0
        .iter()
        .filter(|e| e.2 == victim.2 && e.0 > 0)
        .collect();
    // deletionTimestamp (still Ready) → Ready=False after 1 s → terminal + Deleted at 5 s
    assert_eq!((v[0].1.as_str(), v[0].6, v[0].7), ("updated", true, true));
    assert_eq!((v[1].0, v[1].6), (11 * NS_PER_SEC, false));
    assert_eq!((v[2].0, v[2].3), (15 * NS_PER_SEC, PodPhase::Succeeded));
    assert_eq!((v[3].0, v[3].1.as_str()), (15 * NS_PER_SEC, "deleted"));
    // the replacement: added without node/IP, then bound, then IP not ready, then Ready 3 s later
    let r: Vec<_> = log
        .0
        .iter()
        .filter(|e| e.0 >= 10 * NS_PER_SEC && e.2 != victim.2)
        .collect();
    assert_eq!((r[0].1.as_str(), r[0].4, r[0].5), ("added", false, false));
    assert!(r[1].4 && !r[1].5);
    assert!(r[2].5 && !r[2].6 && r[2].3 == PodPhase::Running);
    assert!(r[3].6 && r[3].0 == r[2].0 + 3 * NS_PER_SEC);
    // name shape: <deployment>-<pod-template-hash>-<5 chars>
    let parts: Vec<&str> = r[0].2.split('-').collect();
    assert_eq!(parts.len(), 3, "{}", r[0].2);
    assert_eq!(parts[0], "web");
    assert_eq!(parts[2].len(), 5);
}

#[test]
fn pods_have_kubernetes_shaped_identities() {
    let (w, _) = crate::support::started_world(load(&failure("")), &mut CountingSink::default());
    let rs = &w.replica_sets()[0];
    for p in w.pods() {
        assert_eq!(p.uid.len(), 36);
        assert_eq!(&p.uid[14..15], "4");
        assert!(p.name.starts_with(&format!("{}-", rs.name)));
        assert_eq!(p.labels().get("pod-template-hash"), Some(&rs.template.hash));
        assert!(p.ips[0].to_string().starts_with("10."), "{:?}", p.ips);
    }
    // spread: 9 pods over 3 nodes
    for n in 0..3 {
        assert_eq!(w.pods_on_node(n).count(), 3);
    }
}

#[test]
fn change_stream_carries_old_and_new_state() {
    let sc = load(&failure(""));
    let mut w = World::new(sc, WorldOptions::default()).unwrap();
    let mut rec = Recorder::default();
    run_to_end(&mut w, &mut rec).unwrap();
    assert!(rec.pod_updates_with_old_state > 0);
    // t = 0: nodes, then pods
    assert!(rec.lines[0].starts_with("0 Node added"));
    assert!(rec.lines[3].starts_with("0 Pod added"));
    let mut again = Recorder::default();
    let mut w2 = World::new(load(&failure("")), WorldOptions::default()).unwrap();
    run_to_end(&mut w2, &mut again).unwrap();
    assert_eq!(
        rec.lines, again.lines,
        "change stream must be deterministic"
    );
}

/// Every bundled scenario runs to completion through `slicesim run`'s library path, and its
/// workloads end converged.
#[test]
fn every_bundled_scenario_runs() {
    let dir = crate::support::repo("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| !slicesim::scenario::is_sweep_file(p))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let out = tempfile::tempdir().unwrap();
    for f in files {
        let opts = slicesim::run::RunOptions {
            scenario: f.clone(),
            out_dir: Some(out.path().join(f.file_stem().unwrap())),
            ..Default::default()
        };
        let outcome = slicesim::report::output::run(&opts)
            .unwrap_or_else(|e| panic!("{}: {e:#}", f.display()));
        assert_eq!(outcome.manifest.files.len(), 2);
        let summary = std::fs::read_to_string(outcome.out_dir.join("summary.csv")).unwrap();
        assert!(summary.starts_with("mode,metric,value\nrun,scenario,"));
    }
}

/// ReplicaSet scale-down deletes not-Ready pods first (ActivePodsWithRanks rule 3): after the
/// node lifecycle controller marks node 0's pods NotReady, scaling 9 → 6 removes exactly those.
#[test]
fn scale_down_deletes_not_ready_pods_first() {
    let src = failure(&toml_event(
        "70s",
        "scale",
        "workload = \"api\"\nreplicas = 6",
    ));
    let mut sink = CountingSink::default();
    let (mut w, mut el) = crate::support::started_world(load(&src), &mut sink);
    run_until(&mut el, &mut w, &mut sink, 69 * NS_PER_SEC);
    let mut not_ready: Vec<String> = w.pods_on_node(0).map(|p| p.name.clone()).collect();
    assert_eq!(not_ready.len(), 3);
    run_until(&mut el, &mut w, &mut sink, 71 * NS_PER_SEC);
    let mut terminating: Vec<String> = w
        .pods()
        .filter(|p| p.is_terminating())
        .map(|p| p.name.clone())
        .collect();
    not_ready.sort();
    terminating.sort();
    assert_eq!(terminating, not_ready);
}

/// Stream independence at world level: flapping on another workload draws from its own
/// stream, so the churn process (its own stream) deletes at exactly the same times.
#[test]
fn flapping_elsewhere_does_not_shift_churn() {
    let with_other = |other: &str| {
        [
            toml_head("ind", 21, "5m", 4, &["a"]),
            toml_workload("churned", 20, ""),
            toml_workload("other", 20, other),
            toml_event(
                "10s",
                "churn",
                "workload = \"churned\"\nrate = \"30/m\"\nduration = \"4m\"",
            ),
        ]
        .concat()
    };
    let churn_times = |src: &str| -> Vec<Nanos> {
        let mut w = World::new(load(src), WorldOptions::default()).unwrap();
        #[derive(Default)]
        struct Deletions(Vec<Nanos>);
        impl ChangeSink for Deletions {
            fn on_change(&mut self, now: Nanos, c: &Change<'_>, _: &World) {
                if let Change::Pod(ObjChange::Updated { old, new }) = c {
                    if new.workload == 0 && !old.is_terminating() && new.is_terminating() {
                        self.0.push(now);
                    }
                }
            }
        }
        let mut d = Deletions::default();
        run_to_end(&mut w, &mut d).unwrap();
        d.0
    };
    let plain = churn_times(&with_other(""));
    let flapping = churn_times(&with_other(
        "flapping = { probability = 0.2, period = \"5s\", down = \"1s..4s\" }",
    ));
    assert!(plain.len() > 50, "{}", plain.len());
    assert_eq!(plain, flapping);
}

/// A sink's own timers (`next_wakeup`) are honoured between world events, in time order, and
/// `advance_to` never goes backwards.
#[test]
fn sink_wakeups_interleave_with_world_events() {
    struct Timer {
        next: Option<Nanos>,
        seen: Vec<Nanos>,
        fired: Vec<Nanos>,
    }
    impl ChangeSink for Timer {
        fn advance_to(&mut self, now: Nanos, _: &World) {
            if let Some(&last) = self.seen.last() {
                assert!(now > last, "advance_to went from {last} to {now}");
            }
            self.seen.push(now);
            if self.next.is_some_and(|t| t <= now) {
                self.fired.push(now);
                // a 7.5 s periodic timer
                self.next = Some(now + 7_500_000_000);
            }
        }
        fn next_wakeup(&self) -> Option<Nanos> {
            self.next
        }
        fn on_change(&mut self, now: Nanos, _: &Change<'_>, _: &World) {
            assert!(
                self.seen.last().is_some_and(|&t| t == now),
                "change at {now} before advance_to"
            );
        }
    }
    let mut t = Timer {
        next: Some(1),
        seen: vec![],
        fired: vec![],
    };
    let mut w = World::new(load(&failure("")), WorldOptions::default()).unwrap();
    run_to_end(&mut w, &mut t).unwrap();
    let want: Vec<Nanos> = (0..160).map(|i| 1 + i * 7_500_000_000).collect();
    assert_eq!(t.fired, want);
    assert_eq!(*t.seen.last().unwrap(), 20 * 60 * NS_PER_SEC);
}

/// Node churn: `remove_nodes` with a random `count` removes exactly that many nodes (drained:
/// pods evicted gracefully first, Node deleted once empty); `add_nodes` adds capacity; a zone
/// failure takes every node of the zone; the workload ends fully available on the rest.
#[test]
fn node_add_remove_and_zone_failure() {
    let src = [
        toml_head("nodes", 5, "20m", 6, &["a", "b", "c"]),
        toml_workload("api", 24, ""),
        toml_event("30s", "remove_nodes", "count = 2"),
        toml_event("2m", "add_nodes", "count = 3"),
        toml_event("4m", "zone_failure", "zone = \"a\""),
    ]
    .concat();
    let mut sink = CountingSink::default();
    let (mut w, mut el) = crate::support::started_world(load(&src), &mut sink);
    run_until(&mut el, &mut w, &mut sink, 90 * NS_PER_SEC);
    assert_eq!(w.node_counts(), (4, 4), "two drained nodes deleted");
    assert_eq!(sink.counts[1][2], 2, "two Node deletions");
    run_until(&mut el, &mut w, &mut sink, 3 * 60 * NS_PER_SEC);
    assert_eq!(w.node_counts().0, 7);
    run_until(&mut el, &mut w, &mut sink, Nanos::MAX);
    el.finish(&mut w, &mut sink).unwrap();
    let zone_a_nodes = w.nodes().iter().filter(|n| n.exists && n.zone == 0).count();
    assert!(zone_a_nodes > 0);
    let (total, ready) = w.node_counts();
    assert_eq!(
        total - ready,
        zone_a_nodes as u64,
        "every zone-a node is Unknown"
    );
    let st = w.deployments()[0].stats;
    assert_eq!((st.pods_active, st.pods_available), (24, 24));
    // pods evicted from zone a stay Terminating (kubelets gone)
    assert!(st.pods_terminating > 0);
    assert!(w
        .pods()
        .filter(|p| p.is_active())
        .all(|p| p.node.is_some_and(|n| w.nodes()[n].zone != 0)));
}

/// Recreate (recreate.go :: rolloutRecreate): no pod of the new template exists while any old
/// pod is still running (terminating included); then all new pods come up together.
#[test]
fn recreate_strategy_never_overlaps_versions() {
    let src = [
        toml_head("rc", 8, "3m", 3, &["a"]),
        "[[workloads]]\nname = \"db\"\nreplicas = 6\nstrategy = \"Recreate\"\n\
         exit_after = \"2s..8s\"\nports = [{ name = \"sql\", container_port = 5432 }]\n"
            .to_string(),
        toml_event("20s", "rolling_update", "workload = \"db\""),
    ]
    .concat();
    struct Overlap {
        saw_new: bool,
    }
    impl ChangeSink for Overlap {
        fn on_change(&mut self, now: Nanos, c: &Change<'_>, w: &World) {
            if let Change::Pod(pc) = c {
                let p = pc.latest();
                if p.template.version == 1 {
                    self.saw_new = true;
                    let old_left = w
                        .pods()
                        .filter(|q| q.template.version == 0 && !q.phase.is_terminal())
                        .count();
                    assert_eq!(
                        old_left, 0,
                        "new pod {} at {now} while {old_left} old pods run",
                        p.name
                    );
                }
            }
        }
    }
    let mut o = Overlap { saw_new: false };
    let mut w = World::new(load(&src), WorldOptions::default()).unwrap();
    run_to_end(&mut w, &mut o).unwrap();
    assert!(o.saw_new);
    let d = &w.deployments()[0];
    assert_eq!(d.replica_sets.len(), 2);
    assert_eq!((d.stats.pods_active, d.stats.pods_available), (6, 6));
    assert!(w.pods().all(|p| p.template.version == 1));
}

/// `pods_matching` (the label-selector lookup controllers use) returns exactly the pods a
/// per-pod scan finds, across rolling updates with changed labels.
#[test]
fn pods_matching_equals_a_full_scan() {
    let src = [
        toml_head("sel", 2, "2m", 3, &["a"]),
        toml_workload(
            "web",
            8,
            "labels = { app = \"web\", track = \"stable\" }\nselector = { app = \"web\" }",
        ),
        toml_event(
            "10s",
            "rolling_update",
            "workload = \"web\"\nlabels = { app = \"web\", track = \"canary\" }",
        ),
    ]
    .concat();
    let mut sink = CountingSink::default();
    let (mut w, mut el) = crate::support::started_world(load(&src), &mut sink);
    let mut checked = 0;
    while let Some(t) = el.step(&mut w, &mut sink).unwrap() {
        for sel in [
            vec![("app", "web")],
            vec![("track", "stable")],
            vec![("track", "canary")],
            vec![("app", "web"), ("track", "canary")],
            vec![("app", "db")],
        ] {
            let sel: slicesim::scenario::StringMap =
                sel.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
            let mut fast: Vec<String> = w
                .pods_matching("default", &sel)
                .map(|p| p.name.clone())
                .collect();
            let mut slow: Vec<String> = w
                .pods()
                .filter(|p| sel.iter().all(|(k, v)| p.labels().get(k) == Some(v)))
                .map(|p| p.name.clone())
                .collect();
            fast.sort();
            slow.sort();
            assert_eq!(fast, slow, "at {t}");
            checked += fast.len();
        }
        assert!(w
            .pods_matching("other-ns", &Default::default())
            .next()
            .is_none());
    }
    assert!(checked > 100);
}

/// Relevance of pod updates (endpointslice util/controller_utils.go podEndpointsChanged): binding
/// is not endpoint-relevant; IP, Ready, and every update of a terminating pod are. One restart =
/// delete (relevant), terminal status (relevant), replacement bound (other), IP (relevant), Ready
/// (relevant).
#[test]
fn endpoint_relevant_pod_updates_follow_upstream_filter() {
    let src = [
        toml_head("rel", 4, "1m", 2, &["a"]),
        toml_workload("web", 3, "ready_delay = \"2s\""),
        toml_event("10s", "restart_pods", "workload = \"web\"\ncount = 1"),
    ]
    .concat();
    let mut stats = slicesim::run::summary::PodEventStats::default();
    let mut w = World::new(load(&src), WorldOptions::default()).unwrap();
    run_to_end(&mut w, &mut stats).unwrap();
    assert_eq!(
        (stats.updates_endpoint_relevant, stats.updates_other),
        (4, 1)
    );
    assert_eq!(
        stats.startup_ns[0].len(),
        1,
        "only the replacement is a start-up"
    );
}
