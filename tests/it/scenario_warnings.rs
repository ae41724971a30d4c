//! Legal but suspicious scenarios produce located warnings (the run still proceeds):
//! a Service selecting no pods, a named targetPort no selected pod defines
//! (kubernetes/endpointslice :: utils.go :: getEndpointPorts skips such pods for that port).

use slicesim::scenario;
use std::path::Path;
use std::process::Command;

const SRC: &str = r#"name = "w"
duration = "1m"
[[workloads]]
name = "web"
ports = [{ name = "http", container_port = 80 }]
[[services]]
name = "a"
selector = { app = "api" }
ports = [{ port = 80 }]
[[services]]
name = "b"
workload = "web"
ports = [{ port = 80, target_port = "htp" }]
"#;

#[test]
fn warnings_are_located_and_do_not_fail() {
    let c = scenario::check_str(SRC, "w.toml", &[]);
    assert!(c.result.is_ok());
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(
        c.warnings[0]
            .starts_with("w.toml:8:12: services[0].selector: Service \"a\" selects no pods"),
        "{}",
        c.warnings[0]
    );
    assert!(c.warnings[1].starts_with("w.toml:13:37: services[1].ports[0].target_port: target_port \"htp\" (TCP) is not a container port"), "{}", c.warnings[1]);
}

#[test]
fn a_later_template_version_counts() {
    // The named port only exists after the rolling update: no warning.
    let src = SRC.replace("name = \"a\"\nselector = { app = \"api\" }\nports = [{ port = 80 }]\n", "name = \"a\"\nworkload = \"web\"\nports = [{ port = 80 }]\n")
        + "[[events]]\nat = \"10s\"\ntype = \"rolling_update\"\nworkload = \"web\"\nports = [{ name = \"htp\", container_port = 81 }]\n";
    let c = scenario::check_str(&src, "w.toml", &[]);
    assert!(c.result.is_ok());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn bundled_scenarios_have_no_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for e in std::fs::read_dir(dir).expect("scenarios/") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "toml") && !scenario::is_sweep_file(&p) {
            let (_, w) = scenario::load_with_warnings(&p, &[]).expect("valid");
            assert!(w.is_empty(), "{}: {w:?}", p.display());
        }
    }
}

#[test]
fn validate_prints_warnings_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("w.toml");
    std::fs::write(&f, SRC).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("validate")
        .arg(&f)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("warning: ").count(), 2, "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok "));
}

#[test]
fn validate_dump_prints_the_resolved_model() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .args(["validate", "--dump"])
        .arg(&p)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = stdout.split_once('\n').expect("ok line then JSON").1;
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let s = scenario::load(&p, &[]).expect("valid");
    assert_eq!(v, serde_json::to_value(&s).expect("serialize"));
}
