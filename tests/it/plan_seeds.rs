//! `slicesim plan --seeds N`: every run is made once per seed (the scenario's seed and the next
//! integers), figures are medians with min–max, verdicts count the seeds they held in, budgets
//! can be judged on a percentile of seconds, and the report says what the model leaves out.

use slicesim::plan::report::grouped;
use slicesim::plan::results::SummaryRows;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn quickstart() -> PathBuf {
    crate::support::bundled("quickstart.toml")
}

/// One slice size, one batch period, a short ladder: few runs per seed.
const SETS: &[&str] = &[
    "plan.max_endpoints_per_slice=[100]",
    "plan.batch_periods=[\"0s\"]",
    "plan.egress_budget=\"1MiB/s\"",
    "plan.rolling_update_egress_budget=\"8MiB\"",
];

fn plan(out: &Path, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slicesim"));
    c.arg("plan").arg(quickstart()).arg("--out").arg(out);
    for s in SETS {
        c.args(["--set", s]);
    }
    c.args(extra).output().expect("run slicesim")
}

#[test]
fn three_seeds_give_medians_seed_counts_and_the_model_limits() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("p");
    let o = plan(&out, &["--seeds", "3", "--budget-percentile", "90"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = std::fs::read_to_string(out.join("report.md")).unwrap();
    // seeds 42 (the scenario's), 43, 44: one directory each
    assert!(r.contains("made with 3 seed(s): 42, 43, 44"), "{r}");
    let mut per_seed = Vec::new();
    for dir in ["baseline", "baseline.seed-43", "baseline.seed-44"] {
        let s = SummaryRows::read(&out.join("runs").join(dir)).unwrap();
        per_seed.push(s.get("endpointslices", "bytes_out_total").unwrap());
    }
    // the headline is the median of the three seeds' own summary values
    let mut sorted = per_seed.clone();
    sorted.sort_by(f64::total_cmp);
    assert!(
        r.contains(&format!("({} B)", grouped(sorted[1]))),
        "median {} of {per_seed:?} not in the headline",
        sorted[1]
    );
    // budgets judged on the 90th percentile of seconds, verdicts out of 3 seeds
    assert!(r.contains("judged on the p90 second"), "{r}");
    assert!(r.contains("`plan.egress_budget` = 1.00 MiB/s, EndpointSlices:"));
    assert!(r.contains("/3 seeds"), "{r}");
    assert!(r.contains("| 42 | `baseline` |") || r.contains("`runs/baseline/`"));
    // every rolling-update answer counts its seeds; the table's verdicts are k/3
    for mode in ["EndpointSlices", "Endpoints"] {
        assert!(
            r.contains(&format!(
                "**{mode}: the largest rolling update within budget is"
            )) || r.contains(&format!(
                "**{mode}: no rolling update tried fits the budget**"
            )),
            "no rolling-update answer for {mode}"
        );
    }
    assert!(r.contains("within budget, seeds (ES / EP)"));
    // monotonicity is stated either way
    assert!(
        r.contains("**Non-monotonic**") || r.contains("are monotonic in R over the sizes run"),
        "{r}"
    );
    assert!(r.contains("## What the model leaves out"));
    for left_out in [
        "API server CPU",
        "TLS and HTTP/2 framing",
        "Compression",
        "kube-proxy programming cost",
    ] {
        assert!(r.contains(left_out), "missing {left_out}");
    }
    // every listed run has all its seeds on disk
    let runs: Vec<&str> = r
        .split("## Runs")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(runs.len() >= 3, "{runs:?}");
    for run in &runs {
        for dir in [
            run.to_string(),
            format!("{run}.seed-43"),
            format!("{run}.seed-44"),
        ] {
            assert!(
                out.join("runs").join(&dir).join("run.json").is_file(),
                "{dir}"
            );
        }
    }
    assert!(!r.contains(d.path().to_str().unwrap()));
}

#[test]
fn bad_seed_counts_and_percentiles_exit_2() {
    let d = tempfile::tempdir().unwrap();
    for (args, msg) in [
        (
            ["--seeds", "0"],
            "--seeds 0: the number of seeds must be at least 1",
        ),
        (
            ["--budget-percentile", "0"],
            "--budget-percentile 0: allowed:",
        ),
        (
            ["--budget-percentile", "101"],
            "--budget-percentile 101: allowed:",
        ),
    ] {
        let out = d.path().join("x");
        let o = plan(&out, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(msg), "{args:?}: {e}");
        assert!(!out.join("report.md").exists());
    }
}
