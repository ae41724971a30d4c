//! Seed-scan harness (not run in CI): replay every visible conformance trace
//! for seeds `FROM..TO` and report, per trace and per (trace, step, field), how
//! many seeds fall outside what upstream was observed to produce.
//!
//! ```text
//! cargo build --release --example seedscan
//! target/release/examples/seedscan [TO] [FROM]      # default 0..100
//! ```
//!
//! `SEEDSCAN_DIST=1` adds our value distributions next to upstream's counts;
//! `SEEDSCAN_SELF=G` instead estimates the ceiling a perfect model would reach
//! against a 10-run sample (see `self_ceiling`).
//!
//! The check is the one of `tests/conformance_reconcile.rs`: a field must equal
//! the expected file unless its (step, field) is listed in the trace's
//! non-determinism sidecar, in which case any observed value is accepted.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use slicesim::controllers::endpointslice::trace::{
    field_pairs, flatten_fields, run_trace, TraceOptions,
};

fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/traces")
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(p).expect("read")).expect("json")
}

fn read_jsonl(p: &Path) -> Vec<Value> {
    fs::read_to_string(p)
        .expect("read")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

type Sidecar = BTreeMap<(u64, String), Vec<Value>>;
/// (step, field) -> upstream counts per value.
type Counts = BTreeMap<(u64, String), BTreeMap<String, u64>>;

fn sidecar_counts(dir: &Path, entry: &Value) -> Counts {
    let mut out = BTreeMap::new();
    let Some(file) = entry.get("nondeterminism").and_then(Value::as_str) else {
        return out;
    };
    let v = read_json(&dir.join(file));
    for f in v["fields"].as_array().into_iter().flatten() {
        let step = f["step"].as_u64().unwrap_or(u64::MAX);
        let field = f["field"].as_str().unwrap_or("").to_string();
        let c = f["counts"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
            .collect();
        out.insert((step, field), c);
    }
    out
}

fn sidecar(dir: &Path, entry: &Value, key: &str) -> Sidecar {
    let mut out = BTreeMap::new();
    let Some(file) = entry.get(key).and_then(Value::as_str) else {
        return out;
    };
    let v = read_json(&dir.join(file));
    for f in v["fields"].as_array().into_iter().flatten() {
        let step = f["step"].as_u64().unwrap_or(u64::MAX);
        let field = f["field"].as_str().unwrap_or("").to_string();
        out.insert(
            (step, field),
            f["observed"].as_array().cloned().unwrap_or_default(),
        );
    }
    out
}

struct Trace {
    name: String,
    input: PathBuf,
    max: usize,
    hints: Option<Vec<Value>>,
    expected: Vec<Value>,
    nd: Sidecar,
    hints_nd: Sidecar,
    counts: Counts,
}

/// Failing (step, field, got) of one replay.
fn check(t: &Trace, got: &[Value]) -> Vec<(usize, String, Value)> {
    let mut fails = Vec::new();
    for (i, (g, e)) in got.iter().zip(&t.expected).enumerate() {
        let step = i as u64;
        let h = t.hints.as_ref().and_then(|h| h.get(i));
        for pair in field_pairs(g, e, h) {
            let sidecar = if pair.hint { &t.hints_nd } else { &t.nd };
            if pair.got == pair.expected
                || sidecar
                    .get(&(step, pair.field.clone()))
                    .is_some_and(|o| o.contains(&pair.got))
            {
                continue;
            }
            let prefix = if pair.hint { "hints." } else { "" };
            fails.push((i, format!("{prefix}{}", pair.field), pair.got));
        }
    }
    if got.len() != t.expected.len() {
        fails.push((usize::MAX, "lines".into(), Value::from(got.len())));
    }
    fails
}

/// Replay one trace with `seed`; output lines as JSON.
fn replay(t: &Trace, seed: u64) -> Vec<Value> {
    let file = fs::File::open(&t.input).expect("input");
    let opts = TraceOptions {
        max_endpoints_per_slice: t.max,
        hints: t.hints.is_some(),
        seed,
        ..TraceOptions::default()
    };
    let out = run_trace(std::io::BufReader::new(file), opts, |_| Ok(())).expect("replay");
    out.iter()
        .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
        .collect()
}

/// Self-consistency ceiling (`SEEDSCAN_SELF=G`): pretend slicesim *is*
/// upstream. For each of G groups, 10 runs (seeds 10000+10g..) play the
/// recorded upstream runs: run 0 becomes the expected file, every (step,
/// field) on which the 10 runs disagree becomes a sidecar entry with the
/// values seen. Then seeds FROM..TO are checked against that pseudo-sample.
/// The pass rate is what a *perfect* model of upstream's randomness would
/// score against a 10-run sample; it bounds what any faithful policy can get.
fn self_ceiling(traces: &[Trace], groups: u64, from: u64, to: u64) {
    let n = (to - from) as usize;
    let mut all_pass_total = 0usize;
    let mut per_trace = vec![0usize; traces.len()];
    for g in 0..groups {
        let pseudo: Vec<Trace> = traces
            .iter()
            .map(|t| {
                let runs: Vec<Vec<Value>> =
                    (0..10).map(|r| replay(t, 10_000 + 10 * g + r)).collect();
                let mut nd: Sidecar = BTreeMap::new();
                for (i, line) in runs[0].iter().enumerate() {
                    let mut m0 = BTreeMap::new();
                    let mut l = line.clone();
                    if let Value::Object(o) = &mut l {
                        o.remove("hints");
                    }
                    flatten_fields("", &l, &mut m0);
                    for k in m0.keys() {
                        let mut vals: Vec<Value> = Vec::new();
                        for r in &runs {
                            let mut m = BTreeMap::new();
                            flatten_fields("", &r[i], &mut m);
                            let v = m.get(k).cloned().unwrap_or(Value::Null);
                            if !vals.contains(&v) {
                                vals.push(v);
                            }
                        }
                        if vals.len() > 1 {
                            nd.insert((i as u64, k.clone()), vals);
                        }
                    }
                }
                let expected = runs[0]
                    .iter()
                    .map(|l| {
                        let mut l = l.clone();
                        if let Value::Object(o) = &mut l {
                            o.remove("hints");
                        }
                        l
                    })
                    .collect();
                Trace {
                    name: t.name.clone(),
                    input: t.input.clone(),
                    max: t.max,
                    hints: None,
                    expected,
                    nd,
                    hints_nd: BTreeMap::new(),
                    counts: BTreeMap::new(),
                }
            })
            .collect();
        let mut pass = 0;
        for seed in from..to {
            let mut ok = true;
            for (ti, (t, pt)) in traces.iter().zip(&pseudo).enumerate() {
                let got = replay(t, seed);
                if !check(pt, &got).is_empty() {
                    ok = false;
                    per_trace[ti] += 1;
                }
            }
            if ok {
                pass += 1;
            }
        }
        println!("pseudo-upstream group {g}: {pass}/{n} seeds pass every trace");
        all_pass_total += pass;
    }
    let total = n * groups as usize;
    println!(
        "ceiling (slicesim vs its own 10-run samples): {all_pass_total}/{total} = {:.1} %",
        100.0 * all_pass_total as f64 / total as f64
    );
    for (t, f) in traces.iter().zip(&per_trace) {
        println!(
            "  {:<28} {:>6.1}%",
            t.name,
            100.0 * (total - f) as f64 / total as f64
        );
    }
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("seed bound"))
        .collect();
    let to = args.first().copied().unwrap_or(100);
    let from = args.get(1).copied().unwrap_or(0);
    let dir = traces_dir();
    let m = read_json(&dir.join("manifest.json"));
    let default_max = m["defaultMaxEndpointsPerSlice"].as_u64().unwrap_or(100) as usize;
    let traces: Vec<Trace> = m["traces"]
        .as_array()
        .expect("traces")
        .iter()
        .map(|e| Trace {
            name: e["name"].as_str().unwrap_or("?").to_string(),
            input: dir.join(e["input"].as_str().unwrap_or("")),
            max: e["maxEndpointsPerSlice"]
                .as_u64()
                .map_or(default_max, |x| x as usize),
            hints: e
                .get("hints")
                .and_then(Value::as_str)
                .map(|f| read_jsonl(&dir.join(f))),
            expected: read_jsonl(&dir.join(e["expected"].as_str().unwrap_or(""))),
            nd: sidecar(&dir, e, "nondeterminism"),
            hints_nd: sidecar(&dir, e, "hintsNondeterminism"),
            counts: sidecar_counts(&dir, e),
        })
        .collect();

    if let Some(g) = std::env::var("SEEDSCAN_SELF")
        .ok()
        .and_then(|g| g.parse().ok())
    {
        self_ceiling(&traces, g, from, to);
        return;
    }
    let n = (to - from) as usize;
    let mut trace_fail = vec![0usize; traces.len()];
    let mut field_fail: BTreeMap<(String, usize, String), BTreeMap<String, usize>> =
        BTreeMap::new();
    let mut all_pass = Vec::new();
    // Our value distribution at every (trace, step, field) upstream varied on.
    let mut ours: BTreeMap<(String, u64, String), BTreeMap<String, u64>> = BTreeMap::new();
    for seed in from..to {
        let mut ok = true;
        for (ti, t) in traces.iter().enumerate() {
            let file = fs::File::open(&t.input).expect("input");
            let opts = TraceOptions {
                max_endpoints_per_slice: t.max,
                hints: t.hints.is_some(),
                seed,
                ..TraceOptions::default()
            };
            let out = run_trace(std::io::BufReader::new(file), opts, |_| Ok(())).expect("replay");
            let got: Vec<Value> = out
                .iter()
                .map(|o| serde_json::to_value(o).unwrap_or(Value::Null))
                .collect();
            for (step, field) in t.counts.keys() {
                let mut m = BTreeMap::new();
                if let Some(g) = got.get(*step as usize) {
                    flatten_fields("", g, &mut m);
                }
                let v = m.get(field).cloned().unwrap_or(Value::Null).to_string();
                *ours
                    .entry((t.name.clone(), *step, field.clone()))
                    .or_default()
                    .entry(v)
                    .or_default() += 1;
            }
            let fails = check(t, &got);
            if !fails.is_empty() {
                ok = false;
                trace_fail[ti] += 1;
                for (step, field, gv) in fails {
                    *field_fail
                        .entry((t.name.clone(), step, field))
                        .or_default()
                        .entry(gv.to_string())
                        .or_default() += 1;
                }
            }
        }
        if ok {
            all_pass.push(seed);
        }
    }
    println!(
        "seeds {from}..{to}: all traces pass for {}/{n} seeds",
        all_pass.len()
    );
    println!("passing seeds: {all_pass:?}");
    println!("\n{:<28} {:>6} {:>8}", "trace", "fails", "pass%");
    for (t, f) in traces.iter().zip(&trace_fail) {
        println!(
            "{:<28} {:>6} {:>7.1}%",
            t.name,
            f,
            100.0 * (n - f) as f64 / n as f64
        );
    }
    // Log-likelihood of upstream's recorded values under our empirical
    // distribution (add-0.5 smoothing): higher = our randomness follows
    // upstream's more closely. Comparable between policies for the same seeds.
    let mut ll_total = 0.0;
    let mut ll_by_trace: BTreeMap<String, f64> = BTreeMap::new();
    for ((name, step, field), d) in &ours {
        let t = traces.iter().find(|t| &t.name == name).expect("trace");
        let up = &t.counts[&(*step, field.clone())];
        let keys: BTreeSet<&String> = d.keys().chain(up.keys()).collect();
        let denom = n as f64 + 0.5 * keys.len() as f64;
        for (v, c) in up {
            let p = (d.get(v).copied().unwrap_or(0) as f64 + 0.5) / denom;
            let l = *c as f64 * p.ln();
            ll_total += l;
            *ll_by_trace.entry(name.clone()).or_default() += l;
        }
    }
    println!("\nlog-likelihood of upstream's recorded runs under our distribution: {ll_total:.1}");
    for (name, l) in &ll_by_trace {
        println!("  {name:<28} {l:>8.1}");
    }
    if std::env::var_os("SEEDSCAN_DIST").is_some() {
        println!(
            "\ndistributions at non-deterministic (trace, step, field): ours (n={n}) vs upstream"
        );
        for ((name, step, field), d) in &ours {
            let t = traces.iter().find(|t| &t.name == name).expect("trace");
            let up = &t.counts[&(*step, field.clone())];
            println!("{name} step {step} {field}: ours {d:?}  upstream {up:?}");
        }
    }
    println!(
        "\nfailing (trace, step, field): seeds failing  [got value: seeds]  (observed upstream)"
    );
    for ((name, step, field), vals) in &field_fail {
        let total: usize = vals.values().sum();
        let t = traces.iter().find(|t| &t.name == name).expect("trace");
        let obs =
            t.nd.get(&(*step as u64, field.clone()))
                .map(|o| format!("{o:?}"))
                .unwrap_or_else(|| {
                    format!(
                        "expected {}",
                        t.expected
                            .get(*step)
                            .map(|e| {
                                let mut m = BTreeMap::new();
                                flatten_fields("", e, &mut m);
                                m.get(field).cloned().unwrap_or(Value::Null).to_string()
                            })
                            .unwrap_or_default()
                    )
                });
        println!("{name} step {step} {field}: {total}  {vals:?}  ({obs})");
    }
}
