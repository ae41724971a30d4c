//! Conformance: replay every reconcile trace of `shared/conformance/traces/manifest.json`
//! (recorded from upstream k8s.io/endpointslice v0.32.13 and the 1.32 Endpoints
//! controller) with the default seed and compare each output line with the expected line.
//!
//! - Deterministic traces (`"deterministic": true`): every field must equal the expected
//!   value, except (step, field) pairs listed in a non-determinism sidecar, where any
//!   observed value is accepted; hint traces also check the hint sidecar
//!   (`endpointsWithHints`, `hintsByZone.<zone>`, absent zone = 0).
//! - Nondeterministic traces: only `step` and the Endpoints fields (`endpoints.*`, which do
//!   not depend on upstream's randomness) must be exact. Their EndpointSlice and hint fields
//!   are judged as distributions over seeds 0..299 against upstream's 300 runs by
//!   `tests/it/conformance_distributions.rs`: one seed's value is one draw, and a correct
//!   model legitimately produces values upstream's 10 recorded runs did not show.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use slicesim::controllers::endpointslice::trace::{field_pairs, run_trace, TraceOptions};

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/traces")
}

fn read_json(p: &Path) -> Value {
    let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", p.display()))
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("parsing {}: {e}", p.display())))
        .collect()
}

/// (step, field) → observed values, from a sidecar (absent file = empty).
fn sidecar(dir: &Path, entry: &Value, key: &str) -> BTreeMap<(u64, String), Vec<Value>> {
    let mut out = BTreeMap::new();
    let Some(file) = entry.get(key).and_then(Value::as_str) else {
        return out;
    };
    let v = read_json(&dir.join(file));
    for f in v["fields"].as_array().into_iter().flatten() {
        let step = f["step"].as_u64().unwrap_or(u64::MAX);
        let field = f["field"].as_str().unwrap_or("").to_string();
        let observed = f["observed"].as_array().cloned().unwrap_or_default();
        out.insert((step, field), observed);
    }
    out
}

/// Compare one trace's output lines with the expected files; returns failure messages.
fn check_trace(dir: &Path, entry: &Value, got: &[Value]) -> Vec<String> {
    let name = entry["name"].as_str().unwrap_or("?");
    let expected = read_jsonl(&dir.join(entry["expected"].as_str().unwrap_or("")));
    let nd = sidecar(dir, entry, "nondeterminism");
    let hints_nd = sidecar(dir, entry, "hintsNondeterminism");
    let hints = entry
        .get("hints")
        .and_then(Value::as_str)
        .map(|f| read_jsonl(&dir.join(f)));
    let deterministic = entry["deterministic"].as_bool().unwrap_or(true);
    let mut fails = Vec::new();
    if got.len() != expected.len() {
        fails.push(format!(
            "{name}: {} output lines, expected {}",
            got.len(),
            expected.len()
        ));
    }
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        let step = i as u64;
        let h = match &hints {
            Some(hints) => match hints.get(i) {
                Some(h) => Some(h),
                None => {
                    fails.push(format!("{name}: step {i}: hint sidecar has no line"));
                    None
                }
            },
            None => None,
        };
        for pair in field_pairs(g, e, h) {
            if !deterministic && (pair.hint || pair.field.starts_with("endpointSlices.")) {
                continue; // judged by tests/it/conformance_distributions.rs
            }
            let sidecar = if pair.hint { &hints_nd } else { &nd };
            let observed = sidecar.get(&(step, pair.field.clone()));
            if pair.got == pair.expected || observed.is_some_and(|obs| obs.contains(&pair.got)) {
                continue;
            }
            let prefix = if pair.hint { "hints." } else { "" };
            fails.push(format!(
                "{name}: step {i}: field {prefix}{}: expected {}, got {}{}",
                pair.field,
                pair.expected,
                pair.got,
                observed
                    .map(|o| format!(" (observed upstream: {o:?})"))
                    .unwrap_or_default()
            ));
        }
    }
    fails
}

/// The manifest's traces, each with `maxEndpointsPerSlice` filled in from
/// `defaultMaxEndpointsPerSlice` when absent.
fn manifest() -> Vec<Value> {
    let m = read_json(&traces_dir().join("manifest.json"));
    let default_max = m["defaultMaxEndpointsPerSlice"].as_u64().unwrap_or(100);
    let mut traces = m["traces"].as_array().cloned().unwrap_or_default();
    assert!(!traces.is_empty(), "manifest lists no traces");
    for t in &mut traces {
        if t.get("maxEndpointsPerSlice").is_none() {
            t["maxEndpointsPerSlice"] = Value::from(default_max);
        }
    }
    traces
}

fn max_of(entry: &Value) -> usize {
    entry["maxEndpointsPerSlice"].as_u64().unwrap_or(100) as usize
}

/// Every trace in the manifest, through the library.
#[test]
fn all_manifest_traces_match_upstream_via_library() {
    let dir = traces_dir();
    let mut fails = Vec::new();
    for entry in manifest() {
        let input = dir.join(entry["input"].as_str().unwrap_or(""));
        let file = fs::File::open(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let opts = TraceOptions {
            max_endpoints_per_slice: max_of(&entry),
            hints: entry.get("hints").is_some(),
            ..TraceOptions::default()
        };
        let out = run_trace(std::io::BufReader::new(file), opts, |_| Ok(()))
            .unwrap_or_else(|e| panic!("{}: {e:#}", entry["name"]));
        let got: Vec<Value> = out
            .iter()
            .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
            .collect();
        fails.extend(check_trace(&dir, &entry, &got));
    }
    crate::support::assert_no_mismatches(&fails);
}

/// Every trace in the manifest, through the real binary (exact output line format).
#[test]
fn all_manifest_traces_match_upstream_via_binary() {
    let dir = traces_dir();
    let mut fails = Vec::new();
    for entry in manifest() {
        let input = dir.join(entry["input"].as_str().unwrap_or(""));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"));
        cmd.arg("reconcile")
            .arg(&input)
            .arg("--max-endpoints-per-slice")
            .arg(max_of(&entry).to_string());
        if entry.get("hints").is_some() {
            cmd.arg("--hints");
        }
        let out = cmd.output().expect("running slicesim");
        assert!(
            out.status.success(),
            "{}: exit {:?}: {}",
            entry["name"],
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut got = Vec::new();
        for line in text.lines() {
            // Key order is part of the format.
            assert!(
                line.starts_with("{\"step\":")
                    && line.contains(",\"endpointSlices\":{\"created\":"),
                "{}: bad line format: {line}",
                entry["name"]
            );
            got.push(serde_json::from_str::<Value>(line).expect("output line is JSON"));
        }
        fails.extend(check_trace(&dir, &entry, &got));
    }
    crate::support::assert_no_mismatches(&fails);
}

/// The exact key order of an output line, byte for byte.
#[test]
fn output_line_key_order() {
    let dir = traces_dir();
    let entry = &manifest()[0];
    let input = dir.join(entry["input"].as_str().unwrap_or(""));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("reconcile")
        .arg(&input)
        .arg("--max-endpoints-per-slice")
        .arg(max_of(entry).to_string())
        .output()
        .expect("running slicesim");
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    let keys = [
        "\"step\":",
        "\"endpointSlices\":",
        "\"created\":",
        "\"updated\":",
        "\"deleted\":",
        "\"slices\":",
        "\"endpoints\":",
        "\"action\":",
        "\"addresses\":",
        "\"notReadyAddresses\":",
        "\"overCapacity\":",
    ];
    let mut pos = 0;
    for k in keys {
        let p = first[pos..]
            .find(k)
            .unwrap_or_else(|| panic!("{k} missing or out of order in {first}"));
        pos += p + k.len();
    }
}

/// Bad input lines are input errors (exit 2) naming the line and field; never a panic.
#[test]
fn bad_input_is_an_input_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("not json\n", "line 1"),
        ("{\"pods\":[]}\n", "service"),
        (
            "{\"service\":{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{\"selector\":{\"a\":\"b\"}}},\"pods\":[{\"metadata\":{\"name\":5}}],\"nodes\":[]}\n",
            "pods[0]",
        ),
        (
            "{\"service\":{\"metadata\":{\"name\":\"s\",\"namespace\":\"d\"},\"spec\":{}},\"pods\":[],\"nodes\":[{\"metadata\":{\"name\":\"n\",\"labels\":{\"topology.kubernetes.io/zone\":\"a\"}},\"status\":{\"allocatable\":{\"cpu\":\"lots\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}]}\n",
            "nodes[0]",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("bad{i}.jsonl"));
        fs::write(&p, text).expect("write");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
            .arg("reconcile")
            .arg(&p)
            .output()
            .expect("running slicesim");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.contains(want), "case {i}: {err} should mention {want}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["reconcile", "--max-endpoints-per-slice", "0"])
        .arg(tmp.path().join("bad0.jsonl"))
        .output()
        .expect("running slicesim");
    assert_eq!(out.status.code(), Some(2));
}

/// `--dump DIR` writes the stored objects after every step as Kubernetes JSON.
#[test]
fn dump_writes_stored_objects_per_step() {
    let dir = traces_dir();
    let entry = &manifest()[0];
    let input = dir.join(entry["input"].as_str().unwrap_or(""));
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("reconcile")
        .arg(&input)
        .arg("--dump")
        .arg(tmp.path())
        .output()
        .expect("running slicesim");
    assert!(out.status.success());
    let v = read_json(&tmp.path().join("step-0000.json"));
    let items = v["items"].as_array().cloned().unwrap_or_default();
    let slice = items
        .iter()
        .find(|o| o["kind"] == "EndpointSlice")
        .expect("a stored EndpointSlice");
    assert_eq!(slice["apiVersion"], "discovery.k8s.io/v1");
    assert_eq!(slice["metadata"]["resourceVersion"], "100000001");
    assert_eq!(slice["metadata"]["generation"], 1);
    assert_eq!(
        slice["metadata"]["creationTimestamp"],
        "2026-01-05T09:00:00Z"
    );
    assert!(items.iter().any(|o| o["kind"] == "Endpoints"));
}
