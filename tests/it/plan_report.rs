//! `slicesim plan`: the report is deterministic (byte-identical across output directories and
//! `-j`), names the run behind every figure, and answers each question on a small scenario.

use slicesim::plan::report::grouped;
use slicesim::plan::results::SummaryRows;
use std::path::{Path, PathBuf};
use std::process::Command;

fn quickstart() -> PathBuf {
    crate::support::bundled("quickstart.toml")
}

/// Small grids and budgets (through `--set`, so the bundled file stays as it is).
const SETS: &[&str] = &[
    "plan.max_endpoints_per_slice=[10, 100]",
    "plan.batch_periods=[\"0s\", \"1s\"]",
    "plan.egress_budget=\"1MiB/s\"",
    "plan.rolling_update_egress_budget=\"8MiB\"",
];

fn plan(out: &Path, jobs: &str) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_slicesim"));
    c.arg("plan")
        .arg(quickstart())
        .arg("--out")
        .arg(out)
        .args(["-j", jobs])
        .args(["--seeds", "1"]); // one seed: the headline is the baseline run's own figure
    for s in SETS {
        c.args(["--set", s]);
    }
    c.output().expect("run slicesim")
}

#[test]
fn plan_report_is_deterministic_and_answers_every_question() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let oa = plan(&a, "1");
    assert!(
        oa.status.success(),
        "{}",
        String::from_utf8_lossy(&oa.stderr)
    );
    let ob = plan(&b, "2");
    assert!(
        ob.status.success(),
        "{}",
        String::from_utf8_lossy(&ob.stderr)
    );
    let ra = std::fs::read_to_string(a.join("report.md")).unwrap();
    let rb = std::fs::read_to_string(b.join("report.md")).unwrap();
    assert_eq!(ra, rb, "report.md differs between two plans");
    assert!(String::from_utf8_lossy(&oa.stdout).contains("report.md"));

    for section in [
        "## Headline",
        "## Limits",
        "## max-endpoints-per-slice",
        "## Batch period",
        "## Rolling update sizing",
        "## Runs",
    ] {
        assert!(ra.contains(section), "missing {section}");
    }
    // headline numbers are the baseline run's own summary values
    let base = SummaryRows::read(&a.join("runs/baseline")).unwrap();
    for mode in ["endpointslices", "endpoints"] {
        let v = base.get(mode, "bytes_out_total").expect("bytes_out_total");
        assert!(v > 0.0);
        assert!(
            ra.contains(&format!("({} B)", grouped(v))),
            "{mode} egress {v} not in the headline"
        );
    }
    // the grids from --set, each row naming its run, each run existing with its overrides
    assert!(ra.contains("| 10 | `slice-10` |"), "{ra}");
    assert!(ra.contains("| 100 | `baseline` |"));
    assert!(ra.contains("| 1s | `batch-1s` |"));
    assert!(ra.contains("`controllers.endpointslice.max_endpoints_per_slice=10`"));
    assert!(ra.contains("**Answer:** `max_endpoints_per_slice = "));
    // budgets: a verdict in the limits section and an answer per mode for the rolling update
    assert!(ra.contains("`plan.egress_budget` = 1.00 MiB/s, EndpointSlices:"));
    for mode in ["EndpointSlices", "Endpoints"] {
        assert!(
            ra.contains(&format!(
                "**{mode}: the largest rolling update within budget is"
            )) || ra.contains(&format!(
                "**{mode}: no rolling update tried fits the budget**"
            )),
            "no rolling-update answer for {mode}"
        );
    }
    let runs: Vec<&str> = ra
        .split("## Runs")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(runs.len() >= 5, "{runs:?}");
    for r in &runs {
        assert!(a.join("runs").join(r).join("run.json").is_file(), "run {r}");
        assert!(ra.contains(&format!("`{r}`")));
    }
    assert!(runs.iter().any(|r| r.starts_with("rolling-")));
    // no output path and no clock in the report
    assert!(!ra.contains(d.path().to_str().unwrap()));
}

#[test]
fn plan_rejects_bad_input_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let bad = d.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\nduration = \"1m\"\n[plan]\nnode_ingress_budget = \"fast\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["plan"])
        .arg(&bad)
        .arg("--out")
        .arg(d.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("bad.toml:4:23: plan.node_ingress_budget"), "{e}");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["plan"])
        .arg(quickstart())
        .args(["-j", "0", "--out"])
        .arg(d.path().join("o"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.path().join("o").join("report.md").exists());
}

/// The scripts parse, and the sweep script runs the bundled sweep end to end (it is small).
#[test]
fn scripts_parse_and_the_sweep_script_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for s in [
        "scripts/_common.sh",
        "scripts/reproduce-kep752.sh",
        "scripts/reproduce-blog-2020.sh",
        "scripts/sweep-slice-sizes.sh",
    ] {
        let out = Command::new("bash")
            .arg("-n")
            .arg(root.join(s))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{s}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let d = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(root.join("scripts/sweep-slice-sizes.sh"))
        .args(["-j", "2"])
        .env("SLICESIM", env!("CARGO_BIN_EXE_slicesim"))
        .env("OUT", d.path().join("sw"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(d.path().join("sw/sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 25, "header + 24 points");
    assert!(String::from_utf8_lossy(&out.stdout).contains("(24 points)"));
}
