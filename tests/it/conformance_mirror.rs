//! Conformance: every trace in `tests/data/conformance/mirroring/manifest.json` (recorded from the
//! real 1.32 mirroring controller code), every field of every line, through the library and once
//! through the real `slicesim mirror` binary. For a (step, field) listed in a trace's
//! nondeterminism sidecar, any observed value is accepted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use slicesim::controllers::mirroring::replay::replay_str;
use slicesim::controllers::mirroring::MirroringOptions;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/mirroring")
}

struct Trace {
    name: String,
    input: PathBuf,
    expected: Vec<Value>,
    max: usize,
    accepted: BTreeMap<(u64, String), Vec<Value>>,
}

fn traces() -> Vec<Trace> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let default_max = manifest["defaultMaxEndpointsPerSubset"]
        .as_u64()
        .unwrap_or(1000);
    let mut out = Vec::new();
    for t in manifest["traces"].as_array().expect("traces") {
        let mut accepted = BTreeMap::new();
        if let Some(nd) = t.get("nondeterminism").and_then(Value::as_str) {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(dir().join(nd)).expect("sidecar"))
                    .expect("sidecar json");
            for f in v["fields"].as_array().expect("fields") {
                accepted.insert(
                    (
                        f["step"].as_u64().expect("step"),
                        f["field"].as_str().expect("field").to_string(),
                    ),
                    f["observed"].as_array().expect("observed").clone(),
                );
            }
        }
        let expected =
            std::fs::read_to_string(dir().join(t["expected"].as_str().expect("expected")))
                .expect("expected")
                .lines()
                .map(|l| serde_json::from_str(l).expect("expected line"))
                .collect::<Vec<Value>>();
        assert_eq!(Some(expected.len() as u64), t["steps"].as_u64());
        out.push(Trace {
            name: t["name"].as_str().expect("name").to_string(),
            input: dir().join(t["input"].as_str().expect("input")),
            expected,
            max: t["maxEndpointsPerSubset"].as_u64().unwrap_or(default_max) as usize,
            accepted,
        });
    }
    assert!(!out.is_empty());
    out
}

const FIELDS: [&str; 5] = ["created", "updated", "deleted", "slices", "endpoints"];

/// Key order is part of the output format (serde_json::Value sorts keys, so check the text).
fn check_line_format(name: &str, line: &str, failures: &mut Vec<String>) {
    let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    let want = format!(
        "{{\"step\":{},\"mirroring\":{{\"created\":{},\"updated\":{},\"deleted\":{},\"slices\":{},\"endpoints\":{}}}}}",
        v["step"], v["mirroring"]["created"], v["mirroring"]["updated"], v["mirroring"]["deleted"],
        v["mirroring"]["slices"], v["mirroring"]["endpoints"]
    );
    if line != want {
        failures.push(format!("{name}: line format {line} want {want}"));
    }
}

fn compare(t: &Trace, got: &[Value], failures: &mut Vec<String>) {
    if got.len() != t.expected.len() {
        failures.push(format!(
            "{}: {} output lines, want {}",
            t.name,
            got.len(),
            t.expected.len()
        ));
    }
    for (i, (g, w)) in got.iter().zip(&t.expected).enumerate() {
        if g["step"] != w["step"] {
            failures.push(format!(
                "{} line {i}: step {} want {}",
                t.name, g["step"], w["step"]
            ));
        }
        for f in FIELDS {
            let (gv, wv) = (&g["mirroring"][f], &w["mirroring"][f]);
            let ok = gv == wv
                || t.accepted
                    .get(&(i as u64, format!("mirroring.{f}")))
                    .is_some_and(|obs| obs.contains(gv));
            if !ok {
                failures.push(format!(
                    "{} step {i} mirroring.{f}: got {gv} want {wv}",
                    t.name
                ));
            }
        }
    }
}

#[test]
fn mirroring_traces_through_the_library() {
    let mut failures = Vec::new();
    for t in traces() {
        let text = std::fs::read_to_string(&t.input).expect("input");
        let steps = replay_str(
            &text,
            &t.name,
            MirroringOptions {
                max_endpoints_per_subset: t.max,
            },
        )
        .expect("replay");
        let lines: Vec<String> = steps.iter().map(|s| s.to_json_line()).collect();
        for l in &lines {
            check_line_format(&t.name, l, &mut failures);
        }
        let got: Vec<Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).expect("own output is json"))
            .collect();
        compare(&t, &got, &mut failures);
    }
    crate::support::assert_no_mismatches(&failures);
}

#[test]
fn mirroring_traces_through_the_binary() {
    let mut failures = Vec::new();
    for t in traces() {
        let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
            .arg("mirror")
            .arg(&t.input)
            .arg("--max-endpoints-per-subset")
            .arg(t.max.to_string())
            .output()
            .expect("run slicesim");
        assert!(
            out.status.success(),
            "{}: {}",
            t.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).expect("utf8");
        for line in text.lines() {
            check_line_format(&t.name, line, &mut failures);
        }
        let got: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        compare(&t, &got, &mut failures);
    }
    crate::support::assert_no_mismatches(&failures);
}

#[test]
fn bad_input_exits_2() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("bad.jsonl");
    std::fs::write(&p, "{\"service\": 5}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("mirror")
        .arg(&p)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:1"));
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["mirror", "--max-endpoints-per-subset", "0"])
        .arg(&p)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("mirror")
        .arg(tmp.path().join("missing.jsonl"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
