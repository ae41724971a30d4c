//! Versioned input formats: scenario and sweep files (`version`) and reconcile traces (a
//! `{"formatVersion":1}` first line, written by `--record-trace`). Version 1 and a missing
//! version are read; any other version is refused with exit 2, a location and advice.

use std::path::{Path, PathBuf};

use crate::support::{repo, slicesim, stderr};

/// The quickstart scenario with its `version` line replaced by `line` (or removed).
fn quickstart_with(dir: &Path, line: &str) -> PathBuf {
    let src = std::fs::read_to_string(repo("scenarios/quickstart.toml")).unwrap();
    let at = src
        .find("\nversion = 1\n")
        .expect("bundled files declare version 1")
        + 1;
    let path = dir.join("q.toml");
    // the version line first, so that errors point at line 1
    let rest = format!("{}{}", &src[..at], &src[at + "version = 1\n".len()..]);
    std::fs::write(&path, format!("{line}{rest}")).unwrap();
    path
}

#[test]
fn scenario_version_1_or_missing_is_read_others_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for ok in ["version = 1\n", ""] {
        let p = quickstart_with(d.path(), ok);
        let o = slicesim(&["validate", p.to_str().unwrap()]);
        assert!(o.status.success(), "{ok:?}: {}", stderr(&o));
    }
    for (bad, shown) in [("version = 2\n", "2"), ("version = \"1\"\n", "\"1\"")] {
        let p = quickstart_with(d.path(), bad);
        let o = slicesim(&["validate", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("q.toml:1:11: version"), "{e}");
        assert!(
            e.contains(&format!(
                "{shown} is not a scenario format this slicesim reads: this slicesim reads version 1"
            )),
            "{e}"
        );
    }
}

#[test]
fn every_bundled_input_declares_version_1() {
    for entry in std::fs::read_dir(repo("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        assert!(
            src.lines().any(|l| l.trim() == "version = 1"),
            "{} has no `version = 1`",
            p.display()
        );
    }
}

#[test]
fn sweep_version_other_than_1_is_refused_before_any_run() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("scenarios/quickstart.toml"),
        d.path().join("quickstart.toml"),
    )
    .unwrap();
    let sweep = d.path().join("s.toml");
    std::fs::write(
        &sweep,
        "version = 3\nbase = \"quickstart.toml\"\n[grid]\n\"controllers.endpointslice.max_endpoints_per_slice\" = [10]\n",
    )
    .unwrap();
    let out = d.path().join("out");
    let o = slicesim(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("s.toml:1:11: version: 3 is not a sweep format"),
        "{e}"
    );
    assert!(e.contains("this slicesim reads version 1"), "{e}");
    assert!(!out.join("sweep.csv").exists());
}

#[test]
fn trace_format_header_is_optional_and_checked() {
    let d = tempfile::tempdir().unwrap();
    let plain = repo("tests/data/traces/handwritten-web.input.jsonl");
    let body = std::fs::read_to_string(&plain).unwrap();
    let with = d.path().join("v1.jsonl");
    std::fs::write(&with, format!("{{\"formatVersion\":1}}\n{body}")).unwrap();
    let a = slicesim(&["reconcile", plain.to_str().unwrap()]);
    let b = slicesim(&["reconcile", with.to_str().unwrap()]);
    assert!(a.status.success() && b.status.success(), "{}", stderr(&b));
    assert_eq!(a.stdout, b.stdout, "the header changes nothing");
    let v2 = d.path().join("v2.jsonl");
    std::fs::write(&v2, format!("{{\"formatVersion\":2}}\n{body}")).unwrap();
    let o = slicesim(&["reconcile", v2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("line 1: formatVersion 2: this slicesim reads trace format version 1"),
        "{e}"
    );
}

#[test]
fn recorded_traces_start_with_the_format_header() {
    let d = tempfile::tempdir().unwrap();
    let trace = d.path().join("trace");
    let o = slicesim(&[
        "run",
        repo("scenarios/quickstart.toml").to_str().unwrap(),
        "--out",
        d.path().join("run").to_str().unwrap(),
        "--no-progress",
        "--record-trace",
        &format!("default/web={}", trace.display()),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let input = std::fs::read_to_string(trace.join("input.jsonl")).unwrap();
    assert_eq!(input.lines().next(), Some("{\"formatVersion\":1}"));
    let r = slicesim(&["reconcile", trace.join("input.jsonl").to_str().unwrap()]);
    assert!(r.status.success(), "{}", stderr(&r));
}
