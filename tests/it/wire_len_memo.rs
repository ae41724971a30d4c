//! Differential test of the remembered encoded lengths of shared values (`SharedValue::known_len`,
//! filled by `wire::proto::message`): an EndpointSlice or Endpoints object whose endpoints /
//! addresses are shared with earlier versions (already sized, so their lengths come from the
//! memo) sizes and encodes exactly like the same object built from fresh copies (nothing
//! remembered), after random edits that keep, replace, reorder, or write through (`DerefMut`,
//! in place when unshared, copy-on-write when shared) the shared values.

use proptest::prelude::*;
use slicesim::k8s::*;
use slicesim::wire;

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        prop::collection::vec("10\\.0\\.[0-9]{1,3}\\.[0-9]{1,3}", 0..3),
        prop::option::of(any::<bool>()),
        prop::option::of("[a-z]{0,30}"),
        prop::option::of("node-[0-9]{1,4}"),
        prop::option::of(prop::sample::select(vec!["zone-a", "zone-b", ""])),
    )
        .prop_map(|(addresses, ready, pod, node, zone)| Endpoint {
            addresses: Some(addresses),
            conditions: EndpointConditions {
                ready,
                serving: ready,
                terminating: None,
            },
            target_ref: pod.map(|p| ObjectReference {
                kind: Some("Pod".into()),
                name: Some(p.into()),
                ..Default::default()
            }),
            node_name: node.map(Into::into),
            zone: zone.map(Into::into),
            ..Default::default()
        })
}

/// One edit of the shared list.
#[derive(Debug, Clone)]
enum Edit {
    Keep,
    Insert(usize, Box<Endpoint>),
    Remove(usize),
    Swap(usize),
    /// Write through the shared value in place (copy-on-write if another version holds it).
    Write(usize, Option<String>),
    /// Drop the older versions first, so the write happens in the unshared allocation.
    WriteUnshared(usize, Option<String>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = any::<usize>();
    prop_oneof![
        1 => Just(Edit::Keep),
        2 => (i, endpoint()).prop_map(|(i, e)| Edit::Insert(i, Box::new(e))),
        1 => i.prop_map(Edit::Remove),
        1 => i.prop_map(Edit::Swap),
        2 => (i, prop::option::of("[a-z]{0,200}")).prop_map(|(i, h)| Edit::Write(i, h)),
        2 => (i, prop::option::of("[a-z]{0,200}")).prop_map(|(i, h)| Edit::WriteUnshared(i, h)),
    ]
}

fn slice_of(eps: &[SharedValue<Endpoint>]) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some("web-abcde".into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(eps.to_vec()),
        ports: Some(vec![SliceEndpointPort {
            name: Some("http".into()),
            protocol: Some("TCP".into()),
            port: Some(80),
            app_protocol: None,
        }]),
        ..Default::default()
    }
}

/// The same object with every endpoint a fresh allocation (no remembered length).
fn fresh_slice(s: &EndpointSlice) -> EndpointSlice {
    let mut f = s.clone();
    f.endpoints = s
        .endpoints
        .as_ref()
        .map(|v| v.iter().map(|e| SharedValue::new((**e).clone())).collect());
    f
}

fn endpoints_of(items: &[SharedValue<EndpointAddress>]) -> Endpoints {
    crate::support::one_subset_endpoints("default", "web", items.to_vec())
}

fn address_of(e: &Endpoint) -> EndpointAddress {
    EndpointAddress {
        ip: e.address_list().first().cloned().unwrap_or_default(),
        hostname: e.hostname.clone(),
        node_name: e.node_name.clone(),
        target_ref: e.target_ref.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn remembered_lengths_size_and_encode_like_fresh_values(
        first in prop::collection::vec(endpoint(), 0..6),
        edits in prop::collection::vec(edit(), 1..25),
    ) {
        let mut eps: Vec<SharedValue<Endpoint>> = SharedValue::all(first.clone());
        let mut addrs: Vec<SharedValue<EndpointAddress>> =
            first.iter().map(|e| SharedValue::new(address_of(e))).collect();
        // Earlier versions, still holding (and sharing) their values.
        let mut versions: Vec<(EndpointSlice, Endpoints)> = Vec::new();
        for (step, e) in edits.iter().enumerate() {
            let n = eps.len();
            match e.clone() {
                Edit::Keep => {}
                Edit::Insert(i, x) => {
                    addrs.insert(i % (n + 1), SharedValue::new(address_of(&x)));
                    eps.insert(i % (n + 1), SharedValue::new(*x));
                }
                Edit::Remove(i) if n > 0 => {
                    eps.remove(i % n);
                    addrs.remove(i % n);
                }
                Edit::Swap(i) if n > 1 => {
                    eps.swap(i % (n - 1), i % (n - 1) + 1);
                    addrs.swap(i % (n - 1), i % (n - 1) + 1);
                }
                Edit::Write(i, h) if n > 0 => {
                    eps[i % n].hostname = h.clone();
                    addrs[i % n].hostname = h;
                }
                Edit::WriteUnshared(i, h) if n > 0 => {
                    versions.clear();
                    eps[i % n].hostname = h.clone();
                    addrs[i % n].hostname = h;
                }
                _ => {}
            }
            let s = slice_of(&eps);
            let f = fresh_slice(&s);
            let bytes = wire::protobuf_bytes(&s).unwrap();
            prop_assert_eq!(wire::protobuf_len(&s).unwrap(), bytes.len(), "step {}", step);
            prop_assert_eq!(&bytes, &wire::protobuf_bytes(&f).unwrap(), "step {}", step);
            prop_assert_eq!(wire::protobuf_len(&f).unwrap(), bytes.len());
            // Sized again, every length now remembered.
            prop_assert_eq!(wire::protobuf_len(&s).unwrap(), bytes.len());

            let ep = endpoints_of(&addrs);
            let mut fe = ep.clone();
            for sub in fe.subsets.iter_mut().flatten() {
                sub.addresses = sub
                    .addresses
                    .as_ref()
                    .map(|v| v.iter().map(|a| SharedValue::new((**a).clone())).collect());
            }
            let eb = wire::protobuf_bytes(&ep).unwrap();
            prop_assert_eq!(wire::protobuf_len(&ep).unwrap(), eb.len());
            prop_assert_eq!(&eb, &wire::protobuf_bytes(&fe).unwrap());
            prop_assert_eq!(wire::protobuf_len(&ep).unwrap(), eb.len());
            versions.push((s, ep));
        }
    }
}

/// A write through a value whose length was remembered forgets it, shared or not.
#[test]
fn a_write_forgets_the_remembered_length() {
    let e = Endpoint {
        addresses: Some(vec!["10.0.0.1".into()]),
        ..Default::default()
    };
    let mut a = SharedValue::new(e);
    let s = slice_of(std::slice::from_ref(&a));
    let before = wire::protobuf_len(&s).unwrap();
    assert!(
        a.known_len().is_some(),
        "sizing the slice remembers the endpoint's length"
    );
    let b = a.clone();
    a.hostname = Some("h".repeat(300));
    assert_eq!(a.known_len(), None, "copy-on-write forgets it");
    assert!(b.known_len().is_some(), "the other holder keeps its own");
    drop(s);
    drop(b);
    let s = slice_of(std::slice::from_ref(&a));
    let grown = wire::protobuf_len(&s).unwrap();
    assert_eq!(grown, wire::protobuf_bytes(&s).unwrap().len());
    assert!(grown > before + 300);
    drop(s);
    a.hostname = None;
    assert_eq!(a.known_len(), None, "a write in place forgets it too");
    assert_eq!(wire::protobuf_len(&slice_of(&[a])).unwrap(), before);
}
