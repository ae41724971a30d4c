//! Helpers shared by the integration test modules: running the binary, reading its outputs,
//! and the scenario TOML blocks most tests start from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `slicesim` binary built for this test run.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
}

/// The kinds of event-log lines the controllers and the watch side write (every other kind
/// is a world event).
pub const SUBSCRIBER_KINDS: [&str; 5] = [
    "informer-delivery",
    "topology-update",
    "controller-sync",
    "api-write",
    "watch-delivery",
];

/// One line of a `--event-log` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time_ns: u64,
    /// `None` for `-` (set-up, the end of the run).
    pub seq: Option<u64>,
    pub kind: String,
    pub details: String,
}

/// Parse a `--event-log` file (`<s.nnnnnnnnn> <seq|-> <kind> <details>` per line).
pub fn event_log(text: &str) -> Vec<LogLine> {
    text.lines()
        .map(|l| {
            let mut it = l.splitn(4, ' ');
            let (s, ns) = it.next().unwrap().split_once('.').unwrap();
            let time_ns = s.parse::<u64>().unwrap() * 1_000_000_000 + ns.parse::<u64>().unwrap();
            let seq = match it.next().unwrap() {
                "-" => None,
                q => Some(q.parse().unwrap()),
            };
            LogLine {
                time_ns,
                seq,
                kind: it.next().unwrap().to_string(),
                details: it.next().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// A path in the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A fixture under `tests/data/import/` (made by `scripts/import-fixture.py`).
pub fn import_data(rel: &str) -> PathBuf {
    repo("tests/data/import").join(rel)
}

/// `slicesim import INPUTS... --report REPORT EXTRA...`; its output, whatever the exit status.
pub fn import_report(inputs: &[PathBuf], extra: &[&str], report: &Path) -> Output {
    bin()
        .arg("import")
        .args(inputs)
        .arg("--report")
        .arg(report)
        .args(extra)
        .output()
        .expect("start slicesim")
}

/// Fail the test unless `o` exited 0 (the message carries stdout and stderr).
#[track_caller]
pub fn assert_success(o: &Output) {
    assert!(o.status.success(), "{}\n{}", stdout(o), stderr(o));
}

/// A text file's contents (the test fails if it cannot be read).
#[track_caller]
pub fn read_text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// Each `(body, field path, message)`: the body appended to a small scenario head (`bad.toml`,
/// 2 nodes in one zone) must be refused with an error naming the file, the field path and the
/// message.
#[track_caller]
pub fn assert_refused_bodies(cases: &[(&str, &str, &str)]) {
    for (body, path, msg) in cases {
        let src = [toml_head("bad", 1, "1m", 2, &["a"]), body.to_string()].concat();
        let err = format!(
            "{:#}",
            slicesim::scenario::parse_str(&src, "bad.toml", &[]).unwrap_err()
        );
        assert!(err.contains("bad.toml:"), "{err}");
        assert!(err.contains(path), "{path}: {err}");
        assert!(err.contains(msg), "{msg}: {err}");
    }
}

/// `slicesim import INPUT --out OUT`; its output, whatever the exit status.
pub fn import_to_file(input: &Path, out: &Path) -> Output {
    bin()
        .arg("import")
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .expect("start slicesim")
}

/// `slicesim import FIXTURE --out DIR/s.toml` (a fixture under `tests/data/import/`) must
/// succeed: the scenario text.
#[track_caller]
pub fn import_scenario(fixture: &str, dir: &Path) -> String {
    let out = dir.join("s.toml");
    assert_success(&import_to_file(&import_data(fixture), &out));
    read_text(&out)
}

/// [`import_scenario`], and the `[[workloads]]` block of the workload named `name`.
#[track_caller]
pub fn imported_workload(fixture: &str, name: &str, dir: &Path) -> (String, String) {
    let text = import_scenario(fixture, dir);
    let needle = format!("\nname = \"{name}\"\n");
    let block = text
        .split("[[workloads]]")
        .find(|b| b.contains(&needle))
        .unwrap_or_else(|| panic!("no workload {name} in\n{text}"))
        .to_string();
    (text, block)
}

/// A bundled scenario file: `scenarios/NAME` (give the `.toml`).
pub fn bundled(name: &str) -> PathBuf {
    repo("scenarios").join(name)
}

/// Run the binary; its output, whatever the exit status.
pub fn slicesim(args: &[&str]) -> Output {
    bin().args(args).output().expect("start slicesim")
}

/// Fail the test unless `out` exited 0 (the message names `what` and carries stderr).
#[track_caller]
pub fn assert_ok(what: &dyn std::fmt::Debug, out: &Output) {
    assert!(
        out.status.success(),
        "slicesim {what:?} failed ({:?}): {}",
        out.status.code(),
        stderr(out)
    );
}

/// Fail the test listing every mismatch, if there is any.
#[track_caller]
pub fn assert_no_mismatches(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Run the binary and require exit 0.
#[track_caller]
pub fn ok(args: &[&str]) -> Output {
    let out = slicesim(args);
    assert_ok(&args, &out);
    out
}

/// Run the binary on input it must refuse: exit 2 and a message containing `needle`.
/// Returns the message.
#[track_caller]
pub fn bad_input(args: &[&str], needle: &str) -> String {
    let out = slicesim(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "slicesim {args:?}: {err}");
    assert!(
        err.contains(needle),
        "slicesim {args:?}: expected {needle:?} in: {err}"
    );
    err
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file below `dir` (relative paths, sorted).
pub fn files_under(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

/// A run folder's summary.csv: `(mode, metric)` → value.
pub fn summary_csv(out: &Path) -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("mode,metric,value"));
    lines
        .map(|l| {
            let mut it = l.splitn(3, ',');
            let mut next = || it.next().unwrap_or_else(|| panic!("summary.csv: {l:?}"));
            ((next().to_string(), next().to_string()), next().to_string())
        })
        .collect()
}

// Scenario TOML blocks. A test writes what it is about as raw lines after these.

/// The top-level keys and a `[cluster]` of `nodes` nodes in `zones`.
pub fn toml_head(name: &str, seed: u64, duration: &str, nodes: u32, zones: &[&str]) -> String {
    let zones: Vec<String> = zones.iter().map(|z| format!("\"{z}\"")).collect();
    format!(
        "name = \"{name}\"\nseed = {seed}\nduration = \"{duration}\"\n[cluster]\nnodes = {nodes}\nzones = [{}]\n",
        zones.join(", ")
    )
}

/// A `[[workloads]]` entry whose pods serve the container port `http` (8080), then `extra` lines.
pub fn toml_workload(name: &str, replicas: u32, extra: &str) -> String {
    with_lines(
        format!(
            "[[workloads]]\nname = \"{name}\"\nreplicas = {replicas}\n\
             ports = [{{ name = \"http\", container_port = 8080 }}]\n"
        ),
        extra,
    )
}

/// A `[[services]]` entry over `workload`, port 80 → the target port `http`, then `extra` lines.
pub fn toml_service(name: &str, workload: &str, extra: &str) -> String {
    with_lines(
        format!(
            "[[services]]\nname = \"{name}\"\nworkload = \"{workload}\"\n\
             ports = [{{ name = \"http\", port = 80, target_port = \"http\" }}]\n"
        ),
        extra,
    )
}

/// An `[[events]]` entry of type `kind` at `at`, then `extra` lines.
pub fn toml_event(at: &str, kind: &str, extra: &str) -> String {
    with_lines(
        format!("[[events]]\nat = \"{at}\"\ntype = \"{kind}\"\n"),
        extra,
    )
}

/// `block` followed by `extra` (TOML lines; the last newline may be left out).
fn with_lines(mut block: String, extra: &str) -> String {
    block.push_str(extra);
    if !block.ends_with('\n') {
        block.push('\n');
    }
    block
}

/// A scenario from TOML text with `--set` overrides; a bad one fails the test with its
/// diagnostics and the text.
pub fn scenario(src: &str, sets: &[&str]) -> slicesim::scenario::Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    slicesim::scenario::parse_str(src, "t.toml", &sets).unwrap_or_else(|e| panic!("{e:#}\n{src}"))
}

/// The world of `sc` set up at t = 0 (its initial objects reported to `sink`) and its event
/// loop, ready to `step`.
pub fn started_world<S: slicesim::cluster::ChangeSink>(
    sc: slicesim::scenario::Scenario,
    sink: &mut S,
) -> (slicesim::cluster::World, slicesim::run::dispatch::EventLoop) {
    use slicesim::cluster::{World, WorldOptions};
    let mut w = World::new(sc, WorldOptions::default()).unwrap();
    let mut el = slicesim::run::dispatch::EventLoop::new(&w, slicesim::sim::EventLog::disabled());
    el.start(&mut w, sink).unwrap();
    (w, el)
}

/// The world after running the scenario source `src` to its end, and the sink that saw it.
pub fn world_to_end<S: slicesim::cluster::ChangeSink + Default>(
    src: &str,
) -> (slicesim::cluster::World, S) {
    let sc = scenario(src, &[]);
    let mut sink = S::default();
    let (mut w, mut el) = started_world(sc, &mut sink);
    while el.step(&mut w, &mut sink).unwrap().is_some() {}
    (w, sink)
}

/// The controller manager after a whole run of `sc` (no watch side), and the world at the end.
pub fn run_controllers(
    sc: slicesim::scenario::Scenario,
) -> (
    slicesim::controllers::manager::ControllerManager<'static>,
    slicesim::cluster::World,
) {
    use slicesim::controllers::manager::{ControllerManager, ManagerOptions};
    let mut mgr = ControllerManager::new(&sc, &ManagerOptions::default());
    let mut world =
        slicesim::cluster::World::new(sc, slicesim::cluster::WorldOptions::default()).unwrap();
    slicesim::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
    (mgr, world)
}

/// An Endpoints object `namespace/name` with one subset: `addresses` ready, port `http` 80/TCP.
/// The sizing tests' common fixture (they differ in how they build the addresses).
pub fn one_subset_endpoints(
    namespace: &str,
    name: &str,
    addresses: Vec<slicesim::k8s::SharedValue<slicesim::k8s::EndpointAddress>>,
) -> slicesim::k8s::Endpoints {
    use slicesim::k8s::{EndpointPort, EndpointSubset, Endpoints, ObjectMeta};
    Endpoints {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(addresses),
            not_ready_addresses: None,
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: 80,
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
        }]),
        ..Default::default()
    }
}

/// The pod an endpoint or address points at: its `targetRef.name` (the tests' objects always
/// carry one).
pub fn target_pod(target_ref: &Option<slicesim::k8s::ObjectReference>) -> String {
    target_ref
        .as_ref()
        .and_then(|r| r.name.as_deref())
        .expect("a targetRef with a name")
        .to_string()
}
