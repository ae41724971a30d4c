//! `kubernetes_version`: each behaviour switch of the version profile shown on a small
//! scenario, the default equal to "1.32", and out-of-range versions rejected with a location.

use slicesim::controllers::manager::ControllerManager;
use slicesim::scenario::{self, NS_PER_SEC};

use crate::support::scenario as load;
use crate::support::{toml_event, toml_head, toml_service, toml_workload};

fn run(src: &str, version: &str) -> ControllerManager<'static> {
    crate::support::run_controllers(load(src, &[&format!("kubernetes_version={version}")])).0
}

fn error_of(src: &str, sets: &[&str]) -> String {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match scenario::parse_str(src, "t.toml", &sets) {
        Ok(_) => panic!("accepted: {src} {sets:?}"),
        Err(e) => format!("{e:#}"),
    }
}

/// Three nodes, nothing else (`seed = 1` on line 2).
fn base() -> String {
    toml_head("v", 1, "2m", 3, &["a"])
}

/// Endpoints over capacity through the binary: 1.21 keeps all 1,100 ready addresses (upstream
/// only annotated `over-capacity: warning` then), 1.22 truncates to 1,000. The controller-level
/// annotation check is src/controllers/endpoints/tests.rs over_capacity_1_21_warns_without_truncating.
#[test]
fn endpoints_truncation_starts_in_1_22() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("big.toml");
    std::fs::write(
        &sc,
        [
            "version = 1\n".to_string(),
            toml_head("big", 1, "5m", 60, &["a", "b"]),
            toml_workload("web", 1100, ""),
            toml_service("web", "web", ""),
        ]
        .concat(),
    )
    .unwrap();
    let ready_final = |version: &str| -> (u64, u64) {
        let out = dir.path().join(format!("out-{version}"));
        let o = crate::support::bin()
            .args(["run", sc.to_str().unwrap(), "--no-progress", "--out"])
            .arg(&out)
            .args(["--set", &format!("kubernetes_version={version}")])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let line = text
            .lines()
            .find(|l| l.starts_with("endpoints_ready_final"))
            .unwrap_or_else(|| panic!("no endpoints_ready_final in {text}"));
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .take(2)
            .map(|x| x.parse().unwrap())
            .collect();
        (f[0], f[1])
    };
    assert_eq!(ready_final("1.21"), (1100, 1100));
    assert_eq!(ready_final("1.22"), (1100, 1000));
}

/// node-monitor-grace-period defaults to 40 s before 1.32 and 50 s from 1.32; an explicit
/// setting wins.
#[test]
fn node_monitor_grace_period_default_follows_the_release() {
    let g = |sets: &[&str]| load(&base(), sets).cluster.node_monitor_grace_period_ns;
    assert_eq!(g(&["kubernetes_version=1.31"]), 40 * NS_PER_SEC);
    assert_eq!(g(&["kubernetes_version=1.32"]), 50 * NS_PER_SEC);
    assert_eq!(g(&["kubernetes_version=1.34"]), 50 * NS_PER_SEC);
    assert_eq!(g(&[]), 50 * NS_PER_SEC);
    assert_eq!(
        g(&[
            "kubernetes_version=1.25",
            "cluster.node_monitor_grace_period=45s"
        ]),
        45 * NS_PER_SEC
    );
}

/// Whether any endpoint of the Service's slices carries a zone hint.
fn hinted(mgr: &ControllerManager, service: &str) -> bool {
    mgr.slices.list().iter().any(|s| {
        s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("kubernetes.io/service-name"))
            .is_some_and(|n| n == service)
            && s.endpoint_list().iter().any(|e| e.hints.is_some())
    })
}

/// 30 pods in three zones behind three Services, each asking for hints its own way.
fn zoned() -> String {
    [
        toml_head("zones", 1, "2m", 6, &["a", "b", "c"]),
        toml_workload("web", 30, ""),
        toml_service("close", "web", "traffic_distribution = \"PreferClose\""),
        toml_service(
            "mode",
            "web",
            "annotations = { \"service.kubernetes.io/topology-mode\" = \"Auto\" }",
        ),
        toml_service(
            "legacy",
            "web",
            "annotations = { \"service.kubernetes.io/topology-aware-hints\" = \"Auto\" }",
        ),
    ]
    .concat()
}

/// trafficDistribution is ignored before 1.31 (gate ServiceTrafficDistribution off) and
/// honoured from 1.31; `topology-mode` is read from 1.27, `topology-aware-hints` from 1.24
/// (gate TopologyAwareHints on); before 1.24 no topology hints at all.
#[test]
fn hints_follow_the_release() {
    let by_version = |v: &str| {
        let mgr = run(&zoned(), v);
        (
            hinted(&mgr, "close"),
            hinted(&mgr, "mode"),
            hinted(&mgr, "legacy"),
        )
    };
    assert_eq!(by_version("1.32"), (true, true, true), "reference release");
    assert_eq!(by_version("1.31"), (true, true, true));
    assert_eq!(by_version("1.30"), (false, true, true));
    assert_eq!(by_version("1.27"), (false, true, true));
    assert_eq!(by_version("1.26"), (false, false, true));
    assert_eq!(by_version("1.24"), (false, false, true));
    assert_eq!(by_version("1.23"), (false, false, false));
}

/// No `kubernetes_version` resolves exactly as "1.32".
#[test]
fn default_is_1_32() {
    let d = load(&base(), &[]);
    let e = load(
        &base().replace("seed = 1", "seed = 1\nkubernetes_version = \"1.32\""),
        &[],
    );
    assert_eq!(d.controllers, e.controllers);
    assert_eq!(d.cluster, e.cluster);
    assert_eq!(d.controllers.profile.version(), "1.32");
}

/// Versions outside 1.21..=1.34, malformed strings and bare numbers are refused with the
/// file, line, field, value and the allowed range.
#[test]
fn unsupported_versions_are_rejected_with_a_location() {
    for bad in ["1.20", "1.35", "2.0", "1.32.1", "latest", ""] {
        let src = base().replace(
            "seed = 1",
            &format!("seed = 1\nkubernetes_version = \"{bad}\""),
        );
        let e = error_of(&src, &[]);
        assert!(e.contains("t.toml:3"), "{e}");
        assert!(e.contains("kubernetes_version"), "{e}");
        assert!(e.contains(&format!("{bad:?}")), "{e}");
        assert!(e.contains("\"1.21\" to \"1.34\""), "{e}");
    }
    let e = error_of(
        &base().replace("seed = 1", "seed = 1\nkubernetes_version = 1.3"),
        &[],
    );
    assert!(e.contains("write it as a string"), "{e}");
    let e = error_of(&base(), &["kubernetes_version=1.19"]);
    assert!(e.contains("--set") && e.contains("\"1.19\""), "{e}");
    // `--set` takes the release unquoted (not the float 1.3).
    assert_eq!(
        load(&base(), &["kubernetes_version=1.30"])
            .controllers
            .profile
            .minor,
        30
    );
}

/// Four pods that take 10 s to exit; scaled to 2 at 60 s.
fn scale_down() -> String {
    [
        toml_head("t", 1, "2m", 3, &["a"]),
        toml_workload(
            "web",
            4,
            "termination_grace_period = \"30s\"\nexit_after = \"10s..10s\"",
        ),
        toml_service("web", "web", ""),
        toml_event("60s", "scale", "workload = \"web\"\nreplicas = 2"),
    ]
    .concat()
}

/// Run [`scale_down`] up to `until` under `version`.
fn run_until(version: &str, until: &str) -> ControllerManager<'static> {
    let sc = load(
        &scale_down(),
        &[
            &format!("kubernetes_version={version}"),
            &format!("duration={until}"),
        ],
    );
    crate::support::run_controllers(sc).0
}

/// (endpoints in the Service's slices, how many carry `terminating: true`, how many carry a
/// `serving` condition at all).
fn slice_endpoints(mgr: &ControllerManager) -> (usize, usize, usize) {
    let eps: Vec<_> = mgr
        .slices
        .list()
        .into_iter()
        .flat_map(|s| s.endpoint_list().to_vec())
        .collect();
    let terminating = eps
        .iter()
        .filter(|e| e.conditions.terminating == Some(true))
        .count();
    let with_serving = eps
        .iter()
        .filter(|e| e.conditions.serving.is_some())
        .count();
    (eps.len(), terminating, with_serving)
}

/// KEP-1672's gate `EndpointSliceTerminatingCondition` is on by default from 1.22: five seconds
/// into the two pods' termination, 1.22 still publishes them (terminating, not ready), 1.21 has
/// dropped them and writes no serving/terminating conditions at all.
#[test]
fn terminating_endpoints_published_from_1_22() {
    assert_eq!(slice_endpoints(&run_until("1.22", "65s")), (4, 2, 4));
    assert_eq!(slice_endpoints(&run_until("1.21", "65s")), (2, 0, 0));
    // After the containers exit both releases publish the two survivors.
    let (late_new, late_old) = (run_until("1.22", "90s"), run_until("1.21", "90s"));
    assert_eq!(slice_endpoints(&late_new), (2, 0, 2));
    assert_eq!(slice_endpoints(&late_old), (2, 0, 0));
    // The extra write of the terminating phase: ready → terminating → removed, against one
    // removal before 1.22.
    let updates =
        |m: &ControllerManager| -> u64 { m.stats.iter().map(|(_, s)| s.es_updates).sum() };
    let (new, old) = (updates(&late_new), updates(&late_old));
    assert!(new > old, "1.22 {new} updates, 1.21 {old}");
}
