//! Conformance against upstream's distributions: for every file in
//! `tests/data/conformance/distributions/` (value counts per step and field over
//! 300 runs of upstream k8s.io/endpointslice v0.32.13), replay the trace with
//! seeds 0..299 and require checks (a)–(d) of
//! `slicesim::conformance::distribution` to pass. Prints the per-trace total
//! variation distance table (`cargo test --release --test it conformance_distributions -- --nocapture`).

use std::fs;
use std::path::{Path, PathBuf};

use slicesim::conformance::distribution::{compare, Distribution, Thresholds};
use slicesim::controllers::endpointslice::trace::{parse_trace, run_trace_seeds, TraceOptions};

fn dist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/distributions")
}

fn distribution_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dist_dir())
        .expect("distributions directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_distribution_matches_upstream() {
    let files = distribution_files();
    assert!(
        files.len() >= 16,
        "expected the 16 shipped distributions, found {}",
        files.len()
    );
    let seeds: Vec<u64> = (0..300).collect();
    let mut fails = Vec::new();
    let mut table = String::from(
        "| trace | mean TVD | worst TVD (step, field) | updates/run slicesim | upstream | verdict |\n|---|---|---|---|---|---|\n",
    );
    for path in files {
        let text = fs::read_to_string(&path).expect("read distribution");
        let up = Distribution::from_json(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e:#}"));
        let input = dist_dir().join(&up.input);
        let file = fs::File::open(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let lines = parse_trace(std::io::BufReader::new(file)).expect("parse trace");
        let opts = TraceOptions {
            max_endpoints_per_slice: up.max_endpoints_per_slice,
            hints: up.hints,
            ..TraceOptions::default()
        };
        let runs = run_trace_seeds(&lines, &opts, &seeds).expect("replay");
        let ours = Distribution::from_runs(
            &up.name,
            &up.input,
            opts.max_endpoints_per_slice,
            opts.hints,
            &runs,
        );
        let c = compare(&up, &ours, &Thresholds::default());
        let (ws, wf, wt) = c.worst().map_or((0, "-".to_string(), 0.0), |w| {
            (w.step, w.field.clone(), w.tvd)
        });
        table.push_str(&format!(
            "| {} | {:.4} | {:.3} ({ws}, {wf}) | {:.2} | {:.2} | {} |\n",
            up.name,
            c.mean_tvd(),
            wt,
            ours.totals.updated.mean,
            up.totals.updated.mean,
            if c.passed() { "pass" } else { "FAIL" }
        ));
        fails.extend(c.failures());
    }
    println!("{table}");
    assert!(
        fails.is_empty(),
        "{} failed checks:\n{}\n{table}",
        fails.len(),
        fails.join("\n")
    );
}

/// `run_trace_seeds` gives the same runs on one thread as on the default pool.
#[test]
fn multi_seed_runs_do_not_depend_on_thread_count() {
    let up = Distribution::from_json(
        &fs::read_to_string(dist_dir().join("hints-balanced-60.json")).expect("read"),
        "hints-balanced-60.json",
    )
    .expect("parse");
    let file = fs::File::open(dist_dir().join(&up.input)).expect("trace");
    let lines = parse_trace(std::io::BufReader::new(file)).expect("parse trace");
    let opts = TraceOptions {
        max_endpoints_per_slice: up.max_endpoints_per_slice,
        hints: true,
        ..TraceOptions::default()
    };
    let seeds: Vec<u64> = (0..24).collect();
    let many = run_trace_seeds(&lines, &opts, &seeds).expect("replay");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| run_trace_seeds(&lines, &opts, &seeds).expect("replay"));
    assert_eq!(many, one);
    // and different seeds do differ somewhere (the runs are not all the same draw)
    assert!(many.iter().any(|r| *r != many[0]));
}

/// The CLI: `--seeds` prints a distribution file; `--compare` passes on a shipped trace and
/// fails (exit 1, naming step and field) against a tampered copy.
#[test]
fn cli_seeds_and_compare() {
    let bin = env!("CARGO_BIN_EXE_slicesim");
    let trace = dist_dir().join("../traces/hints-balanced-60.input.jsonl");
    let out = std::process::Command::new(bin)
        .args([
            "reconcile",
            "--hints",
            "--max-endpoints-per-slice",
            "20",
            "--seeds",
            "0..19",
        ])
        .arg(&trace)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = Distribution::from_json(&String::from_utf8_lossy(&out.stdout), "stdout")
        .expect("distribution");
    assert_eq!(
        (d.runs, d.name.as_str(), d.hints),
        (20, "hints-balanced-60", true)
    );
    assert!(d
        .fields
        .iter()
        .any(|f| f.field == "hints.hintsByZone.zone-b"));

    let shipped = dist_dir().join("headless-hostnames-30.json");
    let up =
        Distribution::from_json(&fs::read_to_string(&shipped).expect("read"), "x").expect("parse");
    let htrace = dist_dir().join(&up.input);
    let ok = std::process::Command::new(bin)
        .args(["reconcile", "--seeds", "0..29", "--compare"])
        .arg(&shipped)
        .arg(&htrace)
        .output()
        .expect("run");
    let report = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        report.contains("TVD mean 0.0000") && report.contains("PASS"),
        "{report}"
    );

    let mut bad = up.clone();
    let f = bad
        .fields
        .iter_mut()
        .find(|f| f.step == 1 && f.field == "endpointSlices.endpoints")
        .expect("field");
    let v = *f.counts.keys().next().expect("value");
    f.counts = [(v + 1, bad.runs)].into_iter().collect();
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad_path = tmp.path().join("bad.json");
    fs::write(&bad_path, bad.to_json()).expect("write");
    let fail = std::process::Command::new(bin)
        .args(["reconcile", "--seeds", "0..29", "--compare"])
        .arg(&bad_path)
        .arg(&htrace)
        .output()
        .expect("run");
    assert_eq!(fail.status.code(), Some(1));
    let report = String::from_utf8_lossy(&fail.stdout);
    assert!(
        report.contains("step 1 field endpointSlices.endpoints: (a) value"),
        "{report}"
    );
    // a broken distribution file is an input error (exit 2)
    fs::write(&bad_path, "{\"name\":1}").expect("write");
    let broken = std::process::Command::new(bin)
        .args(["reconcile", "--compare"])
        .arg(&bad_path)
        .arg(&htrace)
        .output()
        .expect("run");
    assert_eq!(broken.status.code(), Some(2));
}
