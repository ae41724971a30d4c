//! The run's event log (`slicesim run --event-log FILE`): one queue, one dispatch point,
//! every dispatched event and what the controllers and the watch side did, in time order,
//! identical on a rerun.

use crate::support::{event_log, ok, LogLine};
use std::path::Path;

/// Run `scenario` with an event log; the log's text.
fn logged_run(scenario: &Path, dir: &Path, tag: &str) -> String {
    logged_run_with(scenario, dir, tag, "--event-log")
}

/// [`logged_run`] with the log's flag named `flag`.
fn logged_run_with(scenario: &Path, dir: &Path, tag: &str, flag: &str) -> String {
    let log = dir.join(format!("{tag}.trace"));
    ok(&[
        "run",
        scenario.to_str().unwrap(),
        "--no-progress",
        "--no-charts",
        "--out",
        dir.join(tag).to_str().unwrap(),
        flag,
        log.to_str().unwrap(),
    ]);
    std::fs::read_to_string(log).unwrap()
}

fn kinds(lines: &[LogLine]) -> std::collections::BTreeSet<&str> {
    lines.iter().map(|l| l.kind.as_str()).collect()
}

#[test]
fn event_log_has_syncs_informer_and_watch_deliveries_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = logged_run(
        &crate::support::bundled("node-failure.toml"),
        dir.path(),
        "a",
    );
    let lines = event_log(&text);
    let k = kinds(&lines);
    for want in [
        "controller-sync",
        "informer-delivery",
        "api-write",
        "watch-delivery",
        "topology-update",
        "pod-ready",
        "node-detect",
    ] {
        assert!(k.contains(want), "no {want} line in the event log: {k:?}");
    }
    // one time order over world events, syncs and deliveries
    for w in lines.windows(2) {
        assert!(
            w[1].time_ns >= w[0].time_ns,
            "event log out of time order:\n{:?}\n{:?}",
            w[0],
            w[1]
        );
    }
    // every write is followed by the watch events it fanned out
    for (i, l) in lines.iter().enumerate() {
        if l.kind == "api-write" {
            let next = &lines[i + 1];
            assert_eq!(next.kind, "watch-delivery", "after {l:?}");
            assert_eq!((next.time_ns, next.seq), (l.time_ns, l.seq));
        }
    }
    // a sync's line carries its outcome
    let sync = lines.iter().find(|l| l.kind == "controller-sync").unwrap();
    assert!(sync.details.contains(" result="), "{sync:?}");
}

#[test]
fn event_log_is_identical_on_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let sc = crate::support::bundled("dual-stack.toml");
    let a = logged_run(&sc, dir.path(), "a");
    // (under the flag's old name, which stays accepted)
    let b = logged_run_with(&sc, dir.path(), "b", "--trace-events");
    assert!(a.lines().count() > 1000, "event log suspiciously small");
    assert!(
        a == b,
        "two runs of one scenario and seed logged different events"
    );
}
