//! `slicesim run` through the real binary: determinism, seeds, outputs, exit codes.

use std::path::Path;

use crate::support::{bin, ok};

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn same_scenario_and_seed_give_byte_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let sc = crate::support::bundled("quickstart.toml");
    let sc = sc.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (ta, tb) = (dir.path().join("a.trace"), dir.path().join("b.trace"));
    for (out, trace) in [(&a, &ta), (&b, &tb)] {
        ok(&[
            "run",
            sc,
            "--out",
            out.to_str().unwrap(),
            "--event-log",
            trace.to_str().unwrap(),
        ]);
    }
    for f in ALL_FILES {
        assert_eq!(
            read(&a.join(f)),
            read(&b.join(f)),
            "{f} differs between identical runs"
        );
    }
    assert_eq!(read(&ta), read(&tb), "event traces differ");
    assert!(read(&ta).len() > 1000, "trace suspiciously small");
    // nothing but the result files (no temporaries left behind)
    let mut names: Vec<String> = std::fs::read_dir(&a)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<&str> = ALL_FILES.to_vec();
    want.push("charts");
    want.sort();
    assert_eq!(names, want);
    // the charts drawn at the end of the run are deterministic too
    for c in [
        "bytes",
        "bytes_log",
        "writes_events",
        "node_ingress",
        "latency_cdf",
        "slice_fill",
    ] {
        let f = format!("charts/{c}.svg");
        assert_eq!(
            read(&a.join(&f)),
            read(&b.join(&f)),
            "{f} differs between identical runs"
        );
    }
}

/// Every file `slicesim run` writes (contract `results/NAME/`).
const ALL_FILES: [&str; 11] = [
    "summary.csv",
    "services.csv",
    "timeseries.csv",
    "workloads.csv",
    "syncs.csv",
    "node_ingress.csv",
    "latency_cdf.csv",
    "slice_fill.csv",
    "events.csv",
    "metrics.prom",
    "run.json",
];

#[test]
fn different_seed_changes_pod_timings() {
    let dir = tempfile::tempdir().unwrap();
    let sc = crate::support::bundled("quickstart.toml");
    let sc = sc.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let (ta, tb) = (dir.path().join("a.trace"), dir.path().join("b.trace"));
    ok(&[
        "run",
        sc,
        "--out",
        a.to_str().unwrap(),
        "--seed",
        "1",
        "--event-log",
        ta.to_str().unwrap(),
    ]);
    ok(&[
        "run",
        sc,
        "--out",
        b.to_str().unwrap(),
        "--seed",
        "2",
        "--event-log",
        tb.to_str().unwrap(),
    ]);
    // pod-ready events happen at different times
    let ready_times = |p: &Path| -> Vec<String> {
        String::from_utf8(read(p))
            .unwrap()
            .lines()
            .filter(|l| l.contains(" pod-ready "))
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    let (ra, rb) = (ready_times(&ta), ready_times(&tb));
    assert!(!ra.is_empty());
    assert_ne!(ra, rb, "pod readiness times did not depend on the seed");
    assert_ne!(
        read(&a.join("workloads.csv")),
        read(&b.join("workloads.csv"))
    );
    let manifest: serde_json::Value = serde_json::from_slice(&read(&a.join("run.json"))).unwrap();
    assert_eq!(manifest["seed"], 1);
}

#[test]
fn manifest_lists_outputs_with_sizes_and_hashes() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let sc = crate::support::bundled("quickstart.toml");
    let out = dir.path().join("r");
    ok(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "workloads[0].replicas=12",
    ]);
    let m: serde_json::Value = serde_json::from_slice(&read(&out.join("run.json"))).unwrap();
    assert_eq!(m["scenario"], "quickstart");
    assert_eq!(m["slicesim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["overrides"][0], "workloads[0].replicas=12");
    let src = read(&sc);
    let want: String = Sha256::digest(&src)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(m["scenario_sha256"], want.as_str());
    let files = m["files"].as_array().unwrap();
    // every file but run.json itself
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut want: Vec<&str> = ALL_FILES
        .iter()
        .copied()
        .filter(|f| *f != "run.json")
        .collect();
    want.sort();
    assert_eq!(listed, want);
    for f in files {
        let bytes = read(&out.join(f["path"].as_str().unwrap()));
        assert_eq!(f["bytes"].as_u64().unwrap(), bytes.len() as u64);
        let h: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], h.as_str());
    }
    // the override took effect: 12 replicas at t = 0
    let ts = String::from_utf8(read(&out.join("workloads.csv"))).unwrap();
    let mut lines = ts.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("time_s,workload,replicas,pods_total"));
    assert!(
        lines.next().unwrap().starts_with("0,*,12,12,12,12,12,"),
        "{ts:.200}"
    );
    assert!(
        lines.next().unwrap().starts_with("0,web,12,12,12,12,12,"),
        "{ts:.200}"
    );
}

#[test]
fn bad_input_exits_2_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let out = bin()
        .args([
            "run",
            missing.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"x\"\nduration = \"ten minutes\"\n").unwrap();
    let out = bin()
        .args([
            "run",
            bad.to_str().unwrap(),
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let out = bin()
        .args([
            "run",
            crate::support::bundled("quickstart.toml").to_str().unwrap(),
            "--set",
            "workloads[0].replicas=-3",
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn default_output_directory_is_results_slash_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args([
            "run",
            crate::support::bundled("quickstart.toml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("results/quickstart/run.json").is_file());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("web"), "{stdout}");
}

#[test]
fn tracing_does_not_change_results() {
    let dir = tempfile::tempdir().unwrap();
    let sc = crate::support::bundled("node-failure.toml");
    let sc = sc.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let t = dir.path().join("t.trace");
    ok(&["run", sc, "--out", a.to_str().unwrap()]);
    ok(&[
        "run",
        sc,
        "--out",
        b.to_str().unwrap(),
        "--event-log",
        t.to_str().unwrap(),
        "--no-progress",
    ]);
    for f in ALL_FILES {
        assert_eq!(read(&a.join(f)), read(&b.join(f)), "{f} depends on tracing");
    }
    // one line per world event (besides the controllers' and the watch side's lines), in
    // time order; the world's events at one instant in scheduling (seq) order
    let text = String::from_utf8(read(&t)).unwrap();
    let events: u64 = String::from_utf8(read(&a.join("summary.csv")))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("run,events_processed,")
                .map(|v| v.parse().unwrap())
        })
        .unwrap();
    let lines = crate::support::event_log(&text);
    let world: Vec<_> = lines
        .iter()
        .filter(|l| !crate::support::SUBSCRIBER_KINDS.contains(&l.kind.as_str()))
        .collect();
    assert_eq!(world.len() as u64, events);
    let mut last = (0u64, 0u64);
    for l in &world {
        let seq = l.seq.expect("a world event has a seq");
        assert!(l.time_ns >= last.0, "trace out of time order at {l:?}");
        if l.time_ns == last.0 {
            assert!(
                seq > last.1,
                "same-time events out of scheduling order at {l:?}"
            );
        }
        last = (l.time_ns, seq);
    }
    assert!(
        text.contains(" node-detect "),
        "node failure detection missing from trace"
    );
}
