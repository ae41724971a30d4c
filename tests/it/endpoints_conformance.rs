//! Conformance: the `endpoints` half of every line of every reconcile trace in
//! `tests/data/conformance/traces/manifest.json` (recorded from the real 1.32 Endpoints controller
//! code) must be reproduced by replaying the trace's input lines through
//! `EndpointsController::sync` against a simple store: create/update replace the stored object,
//! an update identical to the stored object is a no-op (the apiserver keeps the resourceVersion).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use slicesim::controllers::endpoints::{EndpointsController, EndpointsOptions, EndpointsWrite};
use slicesim::k8s::{Endpoints, Pod, Service};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/traces")
}

#[derive(serde::Deserialize)]
struct Line {
    service: Service,
    pods: Vec<Pod>,
}

/// (step, field) → accepted values, from the nondeterminism sidecar.
fn sidecar(entry: &Value) -> BTreeMap<(u64, String), Vec<Value>> {
    let mut out = BTreeMap::new();
    if let Some(f) = entry.get("nondeterminism").and_then(Value::as_str) {
        let text = std::fs::read_to_string(shared().join(f)).expect("sidecar");
        let v: Value = serde_json::from_str(&text).expect("sidecar json");
        for fld in v["fields"].as_array().expect("fields") {
            out.insert(
                (
                    fld["step"].as_u64().expect("step"),
                    fld["field"].as_str().expect("field").to_string(),
                ),
                fld["observed"].as_array().expect("observed").clone(),
            );
        }
    }
    out
}

fn summarize(action: &str, stored: Option<&Endpoints>) -> Value {
    let (mut a, mut n, mut over) = (0usize, 0usize, false);
    if let Some(ep) = stored {
        for s in ep.subsets.as_deref().unwrap_or(&[]) {
            a += s.addresses.as_ref().map_or(0, Vec::len);
            n += s.not_ready_addresses.as_ref().map_or(0, Vec::len);
        }
        over = ep
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|m| m.contains_key("endpoints.kubernetes.io/over-capacity"));
    }
    serde_json::json!({"action": action, "addresses": a, "notReadyAddresses": n, "overCapacity": over})
}

fn same_ignoring_rv(a: &Endpoints, b: &Endpoints) -> bool {
    let mut a = a.clone();
    a.metadata.resource_version = None;
    let mut b = b.clone();
    b.metadata.resource_version = None;
    a == b
}

/// Replays one trace input; returns, per line, the action and the stored object after it.
fn replay(name: &str, input: &str) -> Vec<(&'static str, Option<Endpoints>)> {
    let mut ctrl = EndpointsController::new(EndpointsOptions::default());
    let mut stored: Option<Endpoints> = None;
    let mut rv = 100_000_000u64;
    let mut out = Vec::new();
    for (step, line) in input.lines().enumerate() {
        let line: Line =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{step}: {e}"));
        let action = match ctrl.sync(&line.service, &line.pods, stored.as_ref()) {
            EndpointsWrite::None => "none",
            EndpointsWrite::Create(mut ep) => {
                assert!(
                    stored.is_none(),
                    "{name}:{step}: create over an existing object"
                );
                rv += 1;
                ep.metadata.resource_version = Some(rv.to_string());
                stored = Some(ep);
                "create"
            }
            EndpointsWrite::Update(mut ep) => {
                let prev = stored.clone().expect("update without object");
                assert_eq!(
                    ep.metadata.resource_version, prev.metadata.resource_version,
                    "{name}:{step}"
                );
                if !same_ignoring_rv(&ep, &prev) {
                    rv += 1;
                    ep.metadata.resource_version = Some(rv.to_string());
                    ctrl.record_update(&prev, &ep);
                    stored = Some(ep);
                }
                "update"
            }
        };
        out.push((action, stored.clone()));
    }
    out
}

#[test]
fn endpoints_half_of_every_trace_matches_upstream() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(shared().join("manifest.json")).expect("manifest"),
    )
    .expect("manifest json");
    let traces = manifest["traces"].as_array().expect("traces");
    assert!(!traces.is_empty());
    let mut failures = Vec::new();
    let mut checked_lines = 0;
    for entry in traces {
        let name = entry["name"].as_str().expect("name");
        let input = std::fs::read_to_string(shared().join(entry["input"].as_str().expect("input")))
            .expect("input");
        let expected =
            std::fs::read_to_string(shared().join(entry["expected"].as_str().expect("expected")))
                .expect("expected");
        let nd = sidecar(entry);
        let results = replay(name, &input);
        assert_eq!(
            results.len(),
            expected.lines().count(),
            "{name}: line count"
        );
        for (step, ((action, stored), exp)) in results.into_iter().zip(expected.lines()).enumerate()
        {
            let exp: Value = serde_json::from_str(exp).expect("expected line");
            checked_lines += 1;
            let got = summarize(action, stored.as_ref());
            for field in ["action", "addresses", "notReadyAddresses", "overCapacity"] {
                let want = &exp["endpoints"][field];
                let ok = &got[field] == want
                    || nd
                        .get(&(step as u64, format!("endpoints.{field}")))
                        .is_some_and(|o| o.contains(&got[field]));
                if !ok {
                    failures.push(format!(
                        "{name} step {step} endpoints.{field}: got {} want {}",
                        got[field], want
                    ));
                }
            }
        }
    }
    assert!(checked_lines > 100, "only {checked_lines} lines checked");
    crate::support::assert_no_mismatches(&failures);
}

/// The Endpoints objects the real controller stored during the traces (recorded in
/// `tests/data/conformance/wire/objects.jsonl`, `source` = `trace:<name>:endpoints*`) must be
/// reproduced exactly — subsets (order included), labels and annotations (trigger time,
/// over-capacity) — by the object stored after some step of the same trace.
#[test]
fn stored_endpoints_objects_match_upstream_bytes() {
    let wire = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/wire");
    let objects: Vec<Value> = std::fs::read_to_string(wire.join("objects.jsonl"))
        .expect("objects")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let mut checked = 0;
    for l in std::fs::read_to_string(wire.join("sizes.jsonl"))
        .expect("sizes")
        .lines()
    {
        let meta: Value = serde_json::from_str(l).expect("json");
        let source = meta["source"].as_str().unwrap_or("");
        let parts: Vec<&str> = source.split(':').collect();
        if parts.len() < 3 || parts[0] != "trace" || meta["kind"] != "Endpoints" {
            continue;
        }
        let want = &objects[meta["index"].as_u64().expect("index") as usize];
        let input = std::fs::read_to_string(shared().join(format!("{}.input.jsonl", parts[1])))
            .expect("trace input");
        let found = replay(parts[1], &input).into_iter().any(|(_, stored)| {
            stored.is_some_and(|ep| {
                let got = serde_json::to_value(&ep).expect("json");
                got["subsets"] == want["subsets"]
                    && got["metadata"]["labels"] == want["metadata"]["labels"]
                    && got["metadata"]["annotations"] == want["metadata"]["annotations"]
            })
        });
        assert!(found, "{source}: no step reproduces the stored object");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} objects checked");
}
