//! Every bundled scenario validates, says what question it answers, and `slicesim scenarios`
//! lists them all with their one-line descriptions.

use slicesim::scenario::{self, EventKind, ScaleTarget, WatcherCount};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every `scenarios/*.toml`: scenarios and sweep files.
fn all_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

/// The scenarios of `scenarios/` (sweep files left out).
fn bundled() -> Vec<PathBuf> {
    all_files()
        .into_iter()
        .filter(|p| !scenario::is_sweep_file(p))
        .collect()
}

fn sweeps() -> Vec<PathBuf> {
    all_files()
        .into_iter()
        .filter(|p| scenario::is_sweep_file(p))
        .collect()
}

#[test]
fn sweep_files_beside_the_scenarios_are_recognised_validated_and_listed_as_sweeps() {
    let sw = sweeps();
    assert!(
        sw.iter().any(|p| p.ends_with("slice-size-sweep.toml")),
        "the bundled sweep is scenarios/slice-size-sweep.toml: {sw:?}"
    );
    for p in &sw {
        let spec =
            slicesim::sweep::spec::load(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        spec.points()
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // a sweep is not loadable as a scenario, and the error says what to do instead
        let e = scenario::load(p, &[]).unwrap_err().to_string();
        assert!(
            e.contains("is a sweep file") && e.contains("slicesim sweep"),
            "{e}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("scenarios")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("slice-size-sweep.toml"))
        .unwrap_or_else(|| panic!("sweep not listed:\n{stdout}"));
    assert!(line.contains("[sweep, 24 points]"), "{line}");
    assert!(!stdout.contains("invalid"), "{stdout}");
    // an invalid point makes `validate` fail on the sweep file
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml"),
        dir.path().join("quickstart.toml"),
    )
    .unwrap();
    let bad = dir.path().join("bad-sweep.toml");
    std::fs::write(
        &bad,
        "base = \"quickstart.toml\"\n[grid]\n\"controllers.endpointslice.max_endpoints_per_slice\" = [100, 5000]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("validate")
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5000"));
}

#[test]
fn every_bundled_scenario_validates_and_has_a_question_header() {
    let files = bundled();
    for required in [
        "quickstart.toml",
        "rolling-update-1000.toml",
        "scale-0-250-0.toml",
        "churn.toml",
        "node-failure.toml",
        "dual-stack.toml",
        "headless-publish-not-ready.toml",
        "mirroring-selectorless.toml",
        "kep752-20k-endpoints.toml",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(required)),
            "missing bundled scenario {required}"
        );
    }
    for f in &files {
        let s = scenario::load(f, &[]).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let text = std::fs::read_to_string(f).expect("read");
        assert!(
            text.starts_with("# Question:"),
            "{}: must start with a `# Question:` comment header",
            f.display()
        );
        assert!(!s.description.is_empty() && !s.description.contains('\n'));
        assert_eq!(s.source.sha256, scenario::sha256_hex(text.as_bytes()));
        assert_eq!(s.source.sha256.len(), 64);
        // Events sorted by time, stable.
        assert!(s
            .events
            .windows(2)
            .all(|w| (w[0].at_ns, w[0].file_index) <= (w[1].at_ns, w[1].file_index)));
    }
}

#[test]
fn quickstart_is_small_with_a_scale_and_a_rolling_update() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let s = scenario::load(&p, &[]).expect("valid");
    assert!(s.cluster.nodes.len() <= 10);
    assert!(!s.services.is_empty() && s.services.len() <= 2);
    assert!((20..=40).contains(&s.workloads[0].replicas));
    assert!(s.events.iter().any(|e| matches!(
        e.kind,
        EventKind::Scale {
            target: ScaleTarget::To(40),
            ..
        }
    )));
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::RollingUpdate { version: 1, .. })));
}

#[test]
fn kep752_scenario_is_at_the_published_scale() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kep752-20k-endpoints.toml");
    let s = scenario::load(&p, &[]).expect("valid");
    assert_eq!(s.cluster.nodes.len(), 5000);
    assert_eq!(s.services.len(), 1);
    assert_eq!(s.workloads[0].replicas, 20_000);
    let names: std::collections::BTreeSet<_> = s.cluster.nodes.iter().map(|n| &n.name).collect();
    assert_eq!(names.len(), 5000, "node names are unique");
    let cidrs: std::collections::BTreeSet<_> =
        s.cluster.nodes.iter().map(|n| n.pod_cidrs[0]).collect();
    assert_eq!(cidrs.len(), 5000, "node pod CIDRs are unique");
    assert_eq!(s.watchers[0].count, WatcherCount::PerNode);
}

#[test]
fn scenarios_subcommand_lists_bundled_files_with_descriptions() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("scenarios")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in bundled() {
        let s = scenario::load(&f, &[]).expect("valid");
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{stdout}"));
        assert!(line.ends_with(&s.description), "{line}");
    }
    // Found relative to the crate root too (run from elsewhere).
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("scenarios")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("quickstart.toml"));
}

#[test]
fn validate_binary_accepts_all_bundled() {
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("validate")
        .args(all_files())
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        all_files().len()
    );
    assert!(
        stdout.contains("slice-size-sweep.toml (sweep, 24 points)"),
        "{stdout}"
    );
}
