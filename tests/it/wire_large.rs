//! Large objects at the scale envelope (an EndpointSlice with 1000 endpoints, an Endpoints with
//! 20,000 addresses): the size-only path agrees with the materialised bytes, including across
//! multi-byte length prefixes.

use slicesim::k8s::*;
use slicesim::wire::{self, Encoding, EventType};

fn slice(n: usize) -> EndpointSlice {
    let endpoints = (0..n)
        .map(|i| Endpoint {
            addresses: Some(vec![format!(
                "10.{}.{}.{}",
                i / 65536,
                (i / 256) % 256,
                i % 256
            )]),
            conditions: EndpointConditions {
                ready: Some(true),
                serving: Some(true),
                terminating: Some(false),
            },
            target_ref: Some(pod_ref(i)),
            node_name: Some(format!("node-{:04}", i % 5000).into()),
            zone: Some(format!("zone-{}", i % 3).into()),
            ..Default::default()
        })
        .map(slicesim::k8s::SharedValue::new)
        .collect();
    EndpointSlice {
        kind: Some("EndpointSlice".into()),
        api_version: Some("discovery.k8s.io/v1".into()),
        metadata: ObjectMeta {
            name: Some("web-abcde".into()),
            namespace: Some("default".into()),
            creation_timestamp: Some("2026-01-05T09:00:00Z".into()),
            generation: Some(3),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(endpoints),
        ports: Some(vec![SliceEndpointPort {
            name: Some("http".into()),
            protocol: Some("TCP".into()),
            port: Some(8080),
            app_protocol: None,
        }]),
    }
}

/// The reference to pod `web-NNNNN` of endpoint `i`.
fn pod_ref(i: usize) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: Some("default".into()),
        name: Some(format!("web-{i:05}").into()),
        uid: Some(format!("a1b2c3d4-0000-4000-8000-{i:012}").into()),
        ..Default::default()
    }
}

fn endpoints(n: usize) -> Endpoints {
    let addresses = (0..n)
        .map(|i| {
            SharedValue::new(EndpointAddress {
                ip: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                node_name: Some(format!("node-{:04}", i % 5000).into()),
                target_ref: Some(pod_ref(i)),
                ..Default::default()
            })
        })
        .collect();
    Endpoints {
        kind: Some("Endpoints".into()),
        api_version: Some("v1".into()),
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(addresses),
            not_ready_addresses: None,
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: 8080,
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
        }]),
    }
}

fn check(obj: &KubeObject) {
    let s = wire::sizes(obj).unwrap();
    let json = wire::object_bytes(Encoding::Json, obj).unwrap();
    let pb = wire::object_bytes(Encoding::Protobuf, obj).unwrap();
    assert_eq!(json.len(), s.json);
    assert_eq!(pb.len(), s.protobuf);
    let ev = wire::watch_event_bytes(Encoding::Protobuf, EventType::Modified, obj).unwrap();
    assert_eq!(ev.len(), s.protobuf_watch_event);
    let ev = wire::watch_event_bytes(Encoding::Json, EventType::Modified, obj).unwrap();
    assert_eq!(ev.len(), s.json_watch_event);
    // Reading the JSON back gives an object with identical encodings (structural equality can
    // differ: an omitempty `Some(vec![])` reads back as `None`).
    let back = KubeObject::from_json_str(std::str::from_utf8(&json).unwrap()).unwrap();
    assert_eq!(wire::object_bytes(Encoding::Json, &back).unwrap(), json);
    assert_eq!(wire::object_bytes(Encoding::Protobuf, &back).unwrap(), pb);
}

#[test]
fn sizes_agree_with_bytes_at_scale() {
    for n in [0, 1, 2, 100, 127, 128, 1000] {
        check(&KubeObject::EndpointSlice(slice(n)));
    }
    for n in [0, 1, 1000, 20_000] {
        check(&KubeObject::Endpoints(endpoints(n)));
    }
}

/// Composing a slice's sizes from cached per-endpoint sizes gives the same four numbers.
#[test]
fn endpoint_slice_sizes_from_cached_parts() {
    for n in [0, 1, 2, 127, 128, 1000] {
        let full = slice(n);
        let items: Vec<_> = full
            .endpoint_list()
            .iter()
            .map(|e| wire::endpoint_item_sizes(e))
            .collect();
        let base = EndpointSlice {
            endpoints: Some(vec![]),
            ..full.clone()
        };
        let composed = wire::endpoint_slice_sizes_from_parts(&base, &items).unwrap();
        assert_eq!(
            composed,
            wire::sizes(&KubeObject::EndpointSlice(full)).unwrap(),
            "n={n}"
        );
    }
}
