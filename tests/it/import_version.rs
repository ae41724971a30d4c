//! `slicesim import` writes `kubernetes_version` when the snapshot uses a value the default
//! release does not model (`trafficDistribution: PreferSameNode` needs 1.34), and only then.
//! Fixtures: `tests/data/import/model.json` (`scripts/import-fixture.py model`) and
//! `medium.json` (PreferClose only).

use std::path::Path;

use crate::support::{bin, import_scenario};

/// `slicesim validate` on a scenario text: (success, stderr + stdout).
fn validate(text: &str, dir: &Path) -> (bool, String) {
    let p = dir.join("v.toml");
    std::fs::write(&p, text).unwrap();
    let o = bin().arg("validate").arg(&p).output().unwrap();
    let mut all = String::from_utf8_lossy(&o.stderr).into_owned();
    all.push_str(&String::from_utf8_lossy(&o.stdout));
    (o.status.success(), all)
}

#[test]
fn import_of_prefer_same_node_sets_the_release_that_models_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = import_scenario("model.json", tmp.path());
    assert!(s.contains("\nkubernetes_version = \"1.34\"\n"), "{s}");
    assert!(
        s.contains("shop/api uses trafficDistribution PreferSameNode"),
        "the comment says why: {s}"
    );
    let (ok, out) = validate(&s, tmp.path());
    assert!(ok, "{out}");
    assert!(!out.contains("needs kubernetes_version"), "{out}");
    // Without the line the same scenario is warned about: the line is what removes it.
    let without: String = s
        .lines()
        .filter(|l| !l.starts_with("kubernetes_version"))
        .map(|l| format!("{l}\n"))
        .collect();
    let (ok, out) = validate(&without, tmp.path());
    assert!(ok, "{out}");
    assert!(out.contains("needs kubernetes_version \"1.34\""), "{out}");
}

#[test]
fn import_keeps_the_default_release_when_nothing_needs_a_newer_one() {
    let tmp = tempfile::tempdir().unwrap();
    let s = import_scenario("medium.json", tmp.path());
    assert!(s.contains("PreferClose"), "fixture uses PreferClose: {s}");
    assert!(!s.contains("kubernetes_version"), "{s}");
}
