//! `slicesim run --record-trace` → `slicesim reconcile` reproduces the recorded expected output
//! byte for byte (the simulator's controllers agree with the conformance replay, sync by sync).
//!
//! Scenarios are shrunk with `--set` where the full size would make a debug-build test slow;
//! the shapes (scale up/down, dual-stack, headless publish-not-ready, random churn) are kept.

use std::path::Path;

use crate::support::bin;

fn record_and_replay(scenario: &str, service: &str, max: u32, sets: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{scenario}.toml"));
    let mut cmd = bin();
    cmd.arg("run")
        .arg(&path)
        .arg("--no-progress")
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--record-trace")
        .arg(format!("{service}={}", trace.display()))
        .arg("--set")
        .arg(format!(
            "controllers.endpointslice.max_endpoints_per_slice={max}"
        ));
    for s in sets {
        cmd.arg("--set").arg(s);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{scenario}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read(trace.join("output.jsonl")).unwrap();
    let lines = expected.iter().filter(|&&b| b == b'\n').count();
    assert!(lines >= 5, "{scenario}: only {lines} syncs recorded");
    let input_lines = std::fs::read_to_string(trace.join("input.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("{\"formatVersion\""))
        .count();
    assert_eq!(
        input_lines, lines,
        "{scenario}: one input line per output line"
    );
    let seed = std::fs::read_to_string(trace.join("seed")).unwrap();
    let replay = bin()
        .arg("reconcile")
        .arg(trace.join("input.jsonl"))
        .arg("--max-endpoints-per-slice")
        .arg(max.to_string())
        .arg("--seed")
        .arg(seed.trim())
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{scenario}: {}",
        String::from_utf8_lossy(&replay.stderr)
    );
    if replay.stdout != expected {
        let a = String::from_utf8_lossy(&replay.stdout);
        let b = String::from_utf8_lossy(&expected);
        let first = a
            .lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("replay:   {x}\nrecorded: {y}"))
            .unwrap_or_else(|| "length differs".into());
        panic!("{scenario}: replay differs from the recording\n{first}");
    }
}

#[test]
fn quickstart_replays() {
    record_and_replay("quickstart", "default/web", 100, &[]);
}

#[test]
fn quickstart_small_slices_replays() {
    // many slices per Service: exercises the reconciler's choices (and the seed convention)
    record_and_replay("quickstart", "default/web", 7, &[]);
}

#[test]
fn scale_0_250_0_replays() {
    record_and_replay(
        "scale-0-250-0",
        "default/batch",
        40,
        &["events[0].replicas=90"],
    );
}

#[test]
fn dual_stack_replays() {
    record_and_replay(
        "dual-stack",
        "default/web",
        20,
        &["workloads[0].replicas=30", "events[0].by=15"],
    );
}

#[test]
fn headless_publish_not_ready_replays() {
    record_and_replay(
        "headless-publish-not-ready",
        "default/db",
        25,
        &["workloads[0].replicas=30", "events[0].replicas=45"],
    );
}

#[test]
fn churn_replays() {
    record_and_replay(
        "churn",
        "default/shop",
        9,
        &["workloads[0].replicas=40", "events[0].duration=3m"],
    );
}

/// A bad `--record-trace` argument or an unknown Service is an input error (exit 2).
#[test]
fn bad_record_trace_is_input_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let dir = tempfile::tempdir().unwrap();
    for arg in ["noslash=dir", "default/web", "default/nope=x"] {
        let out = bin()
            .arg("run")
            .arg(&path)
            .arg("--no-progress")
            .arg("--out")
            .arg(dir.path())
            .arg("--record-trace")
            .arg(arg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{arg}");
    }
}
