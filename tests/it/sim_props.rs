//! Property tests of the controller manager over random small scenarios: after quiescence the
//! stored slices hold exactly the desired endpoints, no slice is above its maximum, and every
//! Endpoints object is within its capacity.

use std::collections::BTreeSet;

use proptest::prelude::*;
use slicesim::cluster::{PodPhase, World, WorldOptions};
use slicesim::controllers::manager::{ControllerManager, ManagerOptions};
use slicesim::scenario;

use crate::support::{toml_event, toml_head, toml_service, toml_workload};

#[allow(clippy::too_many_arguments)]
fn scenario_src(
    nodes: u32,
    replicas: u32,
    scale_to: u32,
    rolling: bool,
    max: u32,
    cap: u32,
    batch_s: u32,
    workers: u32,
) -> String {
    let mut s = [
        toml_head("prop", 7, "20m", nodes, &["zone-a", "zone-b"]),
        toml_workload("web", replicas, "ready_delay = \"1s..4s\""),
        toml_service("web", "web", ""),
        format!(
            "[controllers.endpointslice]\nmax_endpoints_per_slice = {max}\n\
             batch_period = \"{batch_s}s\"\nworkers = {workers}\n\
             [controllers.endpoints]\nmax_capacity = {cap}\n"
        ),
        toml_event(
            "1m",
            "scale",
            &format!("workload = \"web\"\nreplicas = {scale_to}"),
        ),
    ]
    .concat();
    if rolling {
        s.push_str(&toml_event("3m", "rolling_update", "workload = \"web\""));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn quiescent_slices_hold_desired_endpoints(
        nodes in 1u32..5,
        replicas in 0u32..40,
        scale_to in 0u32..40,
        rolling in any::<bool>(),
        max in 1u32..30,
        cap in prop_oneof![Just(0u32), 1u32..50],
        batch_s in 0u32..3,
        workers in 1u32..4,
    ) {
        let src = scenario_src(nodes, replicas, scale_to, rolling, max, cap, batch_s, workers);
        let sc = scenario::parse_str(&src, "prop.toml", &[]).unwrap_or_else(|e| panic!("{e:#}\n{src}"));
        let mut mgr = ControllerManager::new(&sc, &ManagerOptions::default());
        let mut world = World::new(sc, WorldOptions::default()).unwrap();
        slicesim::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
        prop_assert!(mgr.is_idle(), "controllers not quiescent at the end");

        // Desired: every pod of the Service with an IP that is not Succeeded/Failed
        // (terminating ones included: the ESC publishes them with serving/terminating).
        let desired: BTreeSet<String> = world
            .pods()
            .filter(|p| !matches!(p.phase, PodPhase::Succeeded | PodPhase::Failed))
            .flat_map(|p| p.ips.iter().map(|ip| ip.to_string()))
            .collect();
        let slices = mgr.slices_of("default/web");
        prop_assert!(!slices.is_empty(), "at least the placeholder");
        let mut stored = BTreeSet::new();
        let mut count = 0usize;
        for s in &slices {
            let eps = s.endpoint_list();
            prop_assert!(eps.len() <= max as usize, "slice with {} > {max} endpoints", eps.len());
            for e in eps {
                count += 1;
                for a in e.address_list() {
                    stored.insert(a.clone());
                }
            }
        }
        prop_assert_eq!(count, stored.len(), "an address in two slices");
        prop_assert_eq!(&stored, &desired);

        let ep = mgr.endpoints.get("default", "web").expect("Endpoints object");
        let total = slicesim::controllers::endpoints::total_addresses(ep);
        if cap > 0 {
            prop_assert!(total <= cap as usize, "{total} > capacity {cap}");
        }
    }
}
