//! `--set path=value` overrides: parsed as TOML values (bare text falls back to a string),
//! applied to the parsed file, validated like the file, errors name the override.

use slicesim::scenario::{self, EventKind, ScaleTarget, NS_PER_SEC};
use std::path::Path;
use std::process::Command;

fn quickstart() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml")
}

fn load(sets: &[&str]) -> anyhow::Result<scenario::Scenario> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    scenario::load(&quickstart(), &sets)
}

#[test]
fn overrides_change_fields() {
    let s = load(&[
        "controllers.endpointslice.max_endpoints_per_slice=500",
        "workloads[0].replicas=50",
        "duration=20m",
        "seed=7",
        "events[0].replicas=60",
        "services[0].labels={ team = \"a\" }",
    ])
    .expect("valid");
    assert_eq!(s.controllers.endpointslice.max_endpoints_per_slice, 500);
    assert_eq!(s.workloads[0].replicas, 50);
    assert_eq!(s.duration_ns, 20 * 60 * NS_PER_SEC);
    assert_eq!(s.seed, 7);
    assert!(matches!(
        s.events[0].kind,
        EventKind::Scale {
            target: ScaleTarget::To(60),
            ..
        }
    ));
    assert_eq!(
        s.services[0].labels.get("team").map(String::as_str),
        Some("a")
    );
    assert_eq!(s.source.overrides.len(), 6);
    // The file hash is of the file, not of the overridden content.
    let plain = load(&[]).expect("valid");
    assert_eq!(plain.source.sha256, s.source.sha256);
}

#[test]
fn later_override_wins_and_new_tables_are_created() {
    let s = load(&[
        "workloads[0].replicas=10",
        "workloads[0].replicas=12",
        "apiserver.bookmark_interval=30s",
    ])
    .expect("valid");
    assert_eq!(s.workloads[0].replicas, 12);
    assert_eq!(s.apiserver.bookmark_interval_ns, 30 * NS_PER_SEC);
}

#[test]
fn override_errors_name_the_override() {
    let e = load(&["controllers.endpointslice.max_endpoints_per_slice=1001"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("quickstart.toml: --set controllers.endpointslice.max_endpoints_per_slice=1001: controllers.endpointslice.max_endpoints_per_slice: 1001 is out of range (allowed: 1..=1000)"),
        "{e}"
    );
    let e = load(&["workloads[3].replicas=1"]).unwrap_err().to_string();
    assert!(e.contains("--set workloads[3].replicas=1: `workloads[3]` does not exist: `workloads` has 1 item(s)"), "{e}");
    let e = load(&["workloads[0].replicsa=1"]).unwrap_err().to_string();
    assert!(
        e.contains("unknown field `replicsa`; did you mean `replicas`?"),
        "{e}"
    );
    let e = load(&["no-equals-sign"]).unwrap_err().to_string();
    assert!(e.contains("expected `path=value`"), "{e}");
    let e = load(&["name.x=1"]).unwrap_err().to_string();
    assert!(e.contains("`name` is not a table"), "{e}");
    let e = load(&["workloads[0].replicas=lots"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected an integer in 0..=1000000, found string \"lots\""),
        "{e}"
    );
    let e = load(&["a..b=1"]).unwrap_err().to_string();
    assert!(e.contains("empty key"), "{e}");
}

#[test]
fn validate_binary_accepts_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["validate", "--set", "workloads[0].replicas=100000"])
        .arg(quickstart())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "--set workloads[0].replicas=100000: workloads[0].replicas: 100000 replicas do not fit"
        ),
        "{stderr}"
    );
}
