//! Property tests: for random EndpointSlices and Endpoints (random strings including characters
//! Go escapes, random optional fields, negative and large integers) the size-only path equals the
//! length of the materialised bytes, JSON re-reads to identical encodings, and sizes composed from
//! cached endpoint sizes equal the direct computation.

use proptest::prelude::*;
use slicesim::k8s::*;
use slicesim::wire::{self, Encoding, EventType};

fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-z0-9.<>&\"\\\\/\u{e9}\u{2028}\u{2029}\n-]{0,24}").unwrap()
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of(text())
}

fn object_ref() -> impl Strategy<Value = ObjectReference> {
    (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(|(kind, namespace, name, uid)| {
        ObjectReference {
            kind: kind.map(Into::into),
            namespace: namespace.map(Into::into),
            name: name.map(Into::into),
            uid: uid.map(Into::into),
            ..Default::default()
        }
    })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        prop::option::of(prop::collection::vec(text(), 0..3)),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
        ),
        opt_text(),
        prop::option::of(object_ref()),
        opt_text(),
        opt_text(),
        prop::option::of(prop::collection::vec(text(), 0..3)),
    )
        .prop_map(
            |(addresses, (r, s, t), hostname, target_ref, node_name, zone, hints)| Endpoint {
                addresses,
                conditions: EndpointConditions {
                    ready: r,
                    serving: s,
                    terminating: t,
                },
                hostname,
                target_ref,
                node_name: node_name.map(Into::into),
                zone: zone.map(Into::into),
                hints: hints.map(|z| EndpointHints {
                    for_zones: Some(z.into_iter().map(|name| ForZone { name }).collect()),
                    for_nodes: None,
                }),
                ..Default::default()
            },
        )
}

fn meta() -> impl Strategy<Value = ObjectMeta> {
    (
        opt_text(),
        opt_text(),
        prop::option::of(any::<i64>()),
        prop::option::of(Just("2026-01-05T09:00:00Z".to_string())),
        prop::collection::btree_map(text(), text(), 0..3),
    )
        .prop_map(|(name, namespace, generation, ts, labels)| ObjectMeta {
            name,
            namespace,
            generation,
            creation_timestamp: ts,
            labels: Some(labels),
            ..Default::default()
        })
}

fn slice() -> impl Strategy<Value = EndpointSlice> {
    (
        meta(),
        text(),
        prop::option::of(prop::collection::vec(endpoint(), 0..40)),
        prop::option::of(prop::collection::vec(
            (opt_text(), prop::option::of(any::<i32>())).prop_map(|(name, port)| {
                SliceEndpointPort {
                    name,
                    protocol: Some("TCP".into()),
                    port,
                    app_protocol: None,
                }
            }),
            0..3,
        )),
        any::<bool>(),
    )
        .prop_map(
            |(metadata, address_type, endpoints, ports, tm)| EndpointSlice {
                kind: tm.then(|| "EndpointSlice".into()),
                api_version: tm.then(|| "discovery.k8s.io/v1".into()),
                metadata,
                address_type,
                endpoints: endpoints.map(SharedValue::all),
                ports,
            },
        )
}

fn address() -> impl Strategy<Value = EndpointAddress> {
    (
        text(),
        opt_text(),
        opt_text(),
        prop::option::of(object_ref()),
    )
        .prop_map(|(ip, hostname, node_name, target_ref)| EndpointAddress {
            ip,
            hostname,
            node_name: node_name.map(Into::into),
            target_ref,
        })
}

fn endpoints_obj() -> impl Strategy<Value = Endpoints> {
    let subset = (
        prop::collection::vec(address(), 0..30),
        prop::collection::vec(address(), 0..5),
        prop::collection::vec(
            (opt_text(), any::<i32>()).prop_map(|(name, port)| EndpointPort {
                name,
                port,
                protocol: Some("UDP".into()),
                app_protocol: Some("dns".into()),
            }),
            0..3,
        ),
    )
        .prop_map(|(a, n, p)| EndpointSubset {
            addresses: Some(SharedValue::all(a)),
            not_ready_addresses: Some(SharedValue::all(n)),
            ports: Some(p),
        });
    (meta(), prop::collection::vec(subset, 0..3)).prop_map(|(metadata, subsets)| Endpoints {
        metadata,
        subsets: Some(subsets),
        ..Default::default()
    })
}

fn check<T: wire::WireObject>(obj: &T) -> Result<(), TestCaseError> {
    let s = wire::sizes(obj).unwrap();
    let json = wire::object_bytes(Encoding::Json, obj).unwrap();
    let pb = wire::object_bytes(Encoding::Protobuf, obj).unwrap();
    prop_assert_eq!(json.len(), s.json);
    prop_assert_eq!(pb.len(), s.protobuf);
    for (enc, n) in [
        (Encoding::Json, s.json_watch_event),
        (Encoding::Protobuf, s.protobuf_watch_event),
    ] {
        prop_assert_eq!(
            wire::watch_event_bytes(enc, EventType::Modified, obj)
                .unwrap()
                .len(),
            n
        );
    }
    let back = KubeObject::from_json_str(std::str::from_utf8(&json).unwrap()).unwrap();
    prop_assert_eq!(wire::object_bytes(Encoding::Json, &back).unwrap(), json);
    prop_assert_eq!(wire::object_bytes(Encoding::Protobuf, &back).unwrap(), pb);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn endpoint_slices(s in slice()) {
        check(&s)?;
        let items: Vec<_> = s.endpoint_list().iter().map(|e| wire::endpoint_item_sizes(e)).collect();
        let base = EndpointSlice { endpoints: Some(vec![]), ..s.clone() };
        prop_assert_eq!(
            wire::endpoint_slice_sizes_from_parts(&base, &items).unwrap(),
            wire::sizes(&EndpointSlice { endpoints: Some(s.endpoint_list().to_vec()), ..s }).unwrap()
        );
    }

    #[test]
    fn endpoints(e in endpoints_obj()) {
        check(&e)?;
    }
}
