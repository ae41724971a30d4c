//! Cross-check of the deep-hash format against real upstream output: EndpointSlices written by
//! the real 1.32 EndpointSlice controller (`tests/data/conformance/wire/objects.jsonl`) hold their
//! ports in `NewPortMapKey` order, i.e. sorted by the md5 of each discovery/v1 EndpointPort's
//! spew dump. Re-sorting any permutation of those ports with `deephash` must give back the
//! recorded order (3 ports per slice: a wrong dump format would match by chance with p = 1/6
//! per slice; only objects whose `source` in sizes.jsonl is a trace are used — the hand-built
//! variants were not sorted by upstream code). The Endpoints objects are checked for `SortSubsets` ordering (addresses by IP
//! bytes, ports by hash) the same way.

use std::path::Path;

use slicesim::controllers::deephash::{
    hash_discovery_endpoint_port_hex, DiscoveryEndpointPortView,
};
use slicesim::controllers::endpoints::repack::sort_subsets;
use slicesim::k8s::{EndpointSlice, Endpoints};

/// Objects stored by the conformance traces (i.e. written by the real controllers); the
/// hand-built variants in the same file were not produced by upstream sorting.
fn objects() -> Vec<serde_json::Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance/wire");
    let sizes: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("sizes.jsonl"))
        .expect("sizes.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    std::fs::read_to_string(dir.join("objects.jsonl"))
        .expect("objects.jsonl")
        .lines()
        .enumerate()
        .filter(|(i, _)| {
            sizes.iter().any(|s| {
                s["index"].as_u64() == Some(*i as u64)
                    && s["source"]
                        .as_str()
                        .is_some_and(|x| x.starts_with("trace:"))
            })
        })
        .map(|(_, l)| serde_json::from_str(l).expect("json"))
        .collect()
}

#[test]
fn slice_port_order_is_md5_of_spew_dump() {
    let mut checked = 0;
    for v in objects() {
        if v["kind"] != "EndpointSlice"
            || v["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
                != "endpointslice-controller.k8s.io"
        {
            continue;
        }
        let es: EndpointSlice = serde_json::from_value(v).expect("slice");
        let ports = es.port_list();
        if ports.len() < 2 {
            continue;
        }
        let recorded: Vec<_> = ports.to_vec();
        let mut shuffled = recorded.clone();
        shuffled.reverse();
        shuffled.rotate_left(1);
        shuffled.sort_by_cached_key(|p| {
            hash_discovery_endpoint_port_hex(&DiscoveryEndpointPortView {
                name: p.name.as_deref(),
                protocol: p.protocol.as_deref(),
                port: p.port,
                app_protocol: p.app_protocol.as_deref(),
            })
        });
        assert_eq!(shuffled, recorded, "slice {:?}", es.metadata.name);
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} multi-port slices found");
}

#[test]
fn endpoints_objects_are_in_sort_subsets_order() {
    let mut checked = 0;
    for v in objects() {
        if v["kind"] != "Endpoints" {
            continue;
        }
        let ep: Endpoints = serde_json::from_value(v).expect("endpoints");
        let Some(recorded) = ep.subsets.clone() else {
            continue;
        };
        let mut mixed = recorded.clone();
        mixed.reverse();
        for s in &mut mixed {
            if let Some(a) = s.addresses.as_mut() {
                a.reverse();
            }
            if let Some(a) = s.not_ready_addresses.as_mut() {
                a.reverse();
            }
        }
        sort_subsets(&mut mixed);
        assert_eq!(mixed, recorded, "{:?}", ep.metadata.name);
        checked += 1;
    }
    assert!(checked >= 3);
}
