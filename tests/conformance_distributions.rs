//! Conformance against upstream's distributions: for every file in
//! `tests/data/conformance/distributions/` (value counts per step and field over
//! 300 runs of upstream k8s.io/endpointslice v0.32.13), replay the trace with
//! seeds 0..299 and require checks (a)–(d) of
//! `slicesim::conformance::distribution` to pass. Prints the per-trace total
//! variation distance table (`cargo test --release --test conformance_distributions -- --nocapture`).

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
    assert!(files.len() >= 16, "expected the 16 shipped distributions, found {}", files.len());
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
        let ours = Distribution::from_runs(&up.name, &up.input, opts.max_endpoints_per_slice, opts.hints, &runs);
        let c = compare(&up, &ours, &Thresholds::default());
        let (ws, wf, wt) = c.worst().map_or((0, "-".to_string(), 0.0), |w| (w.step, w.field.clone(), w.tvd));
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
    assert!(fails.is_empty(), "{} failed checks:\n{}\n{table}", fails.len(), fails.join("\n"));
}
