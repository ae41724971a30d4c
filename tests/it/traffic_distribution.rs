//! `spec.trafficDistribution` values per release on a small scenario: `PreferClose` writes zone
//! hints from 1.31; `PreferSameZone` (= PreferClose) and `PreferSameNode` (zone hint plus
//! `forNodes: [{name: <the endpoint's node>}]`) need the gate PreferSameTrafficDistribution
//! (alpha, off, 1.33; beta, on, 1.34: k8s.io/endpointslice trafficdist/trafficdist.go ::
//! ReconcileHints, preferCloseHeuristic; reconciler.go :: validTrafficDistribution), and before
//! 1.34 they are accepted with a warning and remove hints.

use std::collections::BTreeMap;

use slicesim::controllers::manager::ControllerManager;
use slicesim::scenario;

use crate::support::scenario as load;

const SRC: &str = r#"name = "td"
seed = 1
duration = "2m"
[cluster]
nodes = 6
zones = ["a", "b", "c"]
[[workloads]]
name = "web"
replicas = 12
ports = [{ name = "http", container_port = 8080 }]
[[services]]
name = "close"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
traffic_distribution = "PreferClose"
[[services]]
name = "zone"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
traffic_distribution = "PreferSameZone"
[[services]]
name = "node"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
traffic_distribution = "PreferSameNode"
[[services]]
name = "none"
workload = "web"
ports = [{ name = "http", port = 80, target_port = "http" }]
"#;

/// Per endpoint of a Service's slices, by address: (zone hints, node hints), each `None`
/// without a `hints` object / without `forNodes`.
type Hints = BTreeMap<String, (Option<Vec<String>>, Option<Vec<String>>)>;

fn hints(mgr: &ControllerManager, service: &str) -> Hints {
    let mut out = Hints::new();
    for s in mgr.slices.list() {
        let svc = s
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("kubernetes.io/service-name"));
        if svc.map(String::as_str) != Some(service) {
            continue;
        }
        for e in s.endpoint_list() {
            let h = e.hints.as_ref();
            let zones = h.map(|h| {
                h.for_zones
                    .iter()
                    .flatten()
                    .map(|z| z.name.clone())
                    .collect()
            });
            let nodes = h
                .and_then(|h| h.for_nodes.as_ref())
                .map(|n| n.iter().map(|n| n.name.clone()).collect());
            out.insert(e.addresses.as_ref().unwrap()[0].clone(), (zones, nodes));
        }
    }
    out
}

/// Each endpoint's own (zone, node), by address.
fn placement(mgr: &ControllerManager, service: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for s in mgr.slices.list() {
        if s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("kubernetes.io/service-name"))
            .map(String::as_str)
            != Some(service)
        {
            continue;
        }
        for e in s.endpoint_list() {
            out.insert(
                e.addresses.as_ref().unwrap()[0].clone(),
                (
                    e.zone.as_deref().unwrap().to_string(),
                    e.node_name.as_deref().unwrap().to_string(),
                ),
            );
        }
    }
    out
}

fn run(version: &str) -> ControllerManager<'static> {
    let sc = load(SRC, &[&format!("kubernetes_version={version}")]);
    crate::support::run_controllers(sc).0
}

#[test]
fn hints_per_traffic_distribution_value_and_release() {
    for version in ["1.32", "1.33", "1.34"] {
        let mgr = run(version);
        let place = placement(&mgr, "close");
        assert_eq!(place.len(), 12, "{version}");
        let zone_only: Hints = place
            .iter()
            .map(|(a, (z, _))| (a.clone(), (Some(vec![z.clone()]), None)))
            .collect();
        let no_hints: Hints = place.keys().map(|a| (a.clone(), (None, None))).collect();
        assert_eq!(hints(&mgr, "close"), zone_only, "{version}: PreferClose");
        assert_eq!(hints(&mgr, "none"), no_hints, "{version}: no value");
        if version == "1.34" {
            assert_eq!(
                hints(&mgr, "zone"),
                zone_only,
                "PreferSameZone = PreferClose"
            );
            let zone_and_node: Hints = place
                .iter()
                .map(|(a, (z, n))| (a.clone(), (Some(vec![z.clone()]), Some(vec![n.clone()]))))
                .collect();
            assert_eq!(hints(&mgr, "node"), zone_and_node, "PreferSameNode");
            // The endpoints really are on several nodes: the node hint is per endpoint.
            let nodes: std::collections::BTreeSet<_> = place.values().map(|p| &p.1).collect();
            assert!(nodes.len() >= 3, "{nodes:?}");
        } else {
            // Gate PreferSameTrafficDistribution off (1.33) or absent (1.32): no hints.
            assert_eq!(hints(&mgr, "zone"), no_hints, "{version}: PreferSameZone");
            assert_eq!(hints(&mgr, "node"), no_hints, "{version}: PreferSameNode");
        }
    }
}

#[test]
fn prefer_same_values_before_1_34_warn_with_a_location() {
    let c = scenario::check_str(SRC, "td.toml", &[]);
    assert!(c.result.is_ok());
    let w: Vec<&String> = c
        .warnings
        .iter()
        .filter(|w| w.contains("PreferSameTrafficDistribution"))
        .collect();
    assert_eq!(w.len(), 2, "{:?}", c.warnings);
    assert!(
        w[0].starts_with("td.toml:20:24: services[1].traffic_distribution: \"PreferSameZone\" needs kubernetes_version \"1.34\""),
        "{}",
        w[0]
    );
    assert!(w[1].contains("\"PreferSameNode\""), "{}", w[1]);
    let c = scenario::check_str(SRC, "td.toml", &["kubernetes_version=1.34".to_string()]);
    assert!(c.result.is_ok());
    assert!(
        !c.warnings
            .iter()
            .any(|w| w.contains("PreferSameTrafficDistribution")),
        "{:?}",
        c.warnings
    );
}
