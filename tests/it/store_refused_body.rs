//! `Store::update_shared_or_back` / `create_shared_or_back` hand a refused body back exactly as
//! it was sent (the metadata the store wrote into it restored), with the same error and the same
//! effect on the store and the shared state as `update_shared` / `create_shared`: random
//! EndpointSlice and Endpoints bodies (with and without name, generateName, resourceVersion,
//! uid, managedFields of their own) at limits around their stored size, so some are refused as
//! too large, some conflict and some are stored.

use std::collections::BTreeMap;

use proptest::prelude::*;
use slicesim::apiserver::{ApiError, Shared, SizeLimit, Store, StoredObject};
use slicesim::k8s::*;
use slicesim::wire;

fn meta(
    name: bool,
    rv: Option<&str>,
    uid: bool,
    managed: bool,
    labels: Vec<(String, String)>,
) -> ObjectMeta {
    ObjectMeta {
        name: name.then(|| "obj".to_string()),
        generate_name: Some("obj-".into()),
        namespace: Some("ns".into()),
        resource_version: rv.map(str::to_string),
        uid: uid.then(|| "sent-uid".to_string()),
        creation_timestamp: uid.then(|| "2020-01-01T00:00:00Z".to_string()),
        generation: uid.then_some(9),
        labels: (!labels.is_empty()).then(|| labels.into_iter().collect::<BTreeMap<_, _>>()),
        managed_fields: managed.then(|| {
            vec![ManagedFieldsEntry {
                manager: Some("sender".into()),
                operation: Some("Update".into()),
                time: Some("2020-01-01T00:00:00Z".into()),
                ..Default::default()
            }]
        }),
        ..Default::default()
    }
}

type MetaArgs = (bool, Option<u8>, bool, bool, Vec<(String, String)>);

fn meta_args() -> impl Strategy<Value = MetaArgs> {
    (
        any::<bool>(),
        prop::option::of(0u8..3),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(("[a-z]{1,8}", "[a-z]{0,8}"), 0..3),
    )
}

fn rv_text(rv: Option<u8>) -> Option<&'static str> {
    // "100000001" is the stored object's version (first write of the run), others conflict.
    rv.map(|v| ["", "100000001", "5"][usize::from(v)])
}

fn slice(m: MetaArgs, n: usize) -> EndpointSlice {
    EndpointSlice {
        metadata: meta(m.0, rv_text(m.1), m.2, m.3, m.4),
        address_type: "IPv4".into(),
        endpoints: Some(
            (0..n)
                .map(|i| Endpoint {
                    addresses: Some(vec![format!("10.0.{}.{}", i / 256, i % 256)]),
                    ..Default::default()
                })
                .map(slicesim::k8s::SharedValue::new)
                .collect(),
        ),
        ..Default::default()
    }
}

fn endpoints(m: MetaArgs, n: usize) -> Endpoints {
    Endpoints {
        metadata: meta(m.0, rv_text(m.1), m.2, m.3, m.4),
        subsets: (n > 0).then(|| {
            vec![EndpointSubset {
                addresses: Some(
                    (0..n)
                        .map(|i| {
                            SharedValue::new(EndpointAddress {
                                ip: format!("10.0.{}.{}", i / 256, i % 256),
                                ..Default::default()
                            })
                        })
                        .collect(),
                ),
                not_ready_addresses: None,
                ports: None,
            }]
        }),
        ..Default::default()
    }
}

fn size<T: wire::WireObject>(o: &T) -> usize {
    wire::protobuf_len(o).unwrap_or(usize::MAX)
}

/// Both calls on two copies of the same store: same verdict, same state, and a refused body
/// comes back as sent.
fn check<T: StoredObject + std::fmt::Debug + wire::WireObject>(
    stored: T,
    body: T,
    limit: u64,
) -> Result<(), TestCaseError> {
    let mut st: Store<T> = Store::with_size_limit(SizeLimit {
        max_bytes: u64::MAX,
        size: size::<T>,
    });
    let mut shared = Shared::new(3, "2024-01-01T00:00:00Z".into());
    st.create(&mut shared, stored).expect("stored");
    st.set_size_limit(SizeLimit {
        max_bytes: limit,
        size: size::<T>,
    });
    shared.now = "2024-01-01T00:00:09Z".into();
    for create in [false, true] {
        let (mut a, mut sa) = (st.clone(), shared.clone());
        let (mut b, mut sb) = (st.clone(), shared.clone());
        let (plain, back) = if create {
            (
                a.create_shared(&mut sa, body.clone()).map(|o| (*o).clone()),
                b.create_shared_or_back(&mut sb, body.clone())
                    .map(|o| (o, true)),
            )
        } else {
            (
                a.update_shared(&mut sa, body.clone())
                    .map(|o| (*o.object).clone()),
                b.update_shared_or_back(&mut sb, body.clone())
                    .map(|o| (o.object, o.written)),
            )
        };
        // The size the store hands on is the stored object's encoding, once; nothing for a
        // no-op update (its object is not stored).
        let back = back.map(|(o, written)| {
            let checked = b.take_checked_size(&o);
            (o, written, checked)
        });
        if let Ok((o, written, checked)) = &back {
            let expect = written.then(|| size(&**o));
            prop_assert_eq!(*checked, expect);
            prop_assert_eq!(b.take_checked_size(o), None);
        }
        let back = back.map(|(o, _, _)| (*o).clone());
        match (plain, back) {
            (Ok(x), Ok(y)) => prop_assert_eq!(x, y),
            (Err(e), Err(r)) => {
                // As sent; a size refusal comes after the kind's canonicalisation (a no-op for
                // slices and for the controllers' canonical Endpoints bodies).
                let mut expect = body.clone();
                if matches!(e, ApiError::RequestTooLarge { .. }) {
                    expect.canonicalize();
                }
                prop_assert_eq!(e, r.error);
                prop_assert_eq!(&r.body, &expect, "refused body not as sent");
            }
            (x, y) => prop_assert!(
                false,
                "verdicts differ: {:?} vs {:?}",
                x,
                y.map_err(|r| r.error)
            ),
        }
        prop_assert_eq!(a.list(), b.list());
        prop_assert_eq!(sa.peek_resource_version(), sb.peek_resource_version());
        prop_assert_eq!(sa.draw_uid(), sb.draw_uid());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn refused_slice_comes_back_as_sent(
        labels0 in prop::collection::vec(("[a-z]{1,8}", "[a-z]{0,8}"), 0..3),
        m in meta_args(), n0 in 0usize..20, n in 0usize..60, slack in 0usize..700,
    ) {
        let stored = slice((true, None, false, false, labels0), n0);
        let body = slice(m, n);
        // Limits from well under to well over the body's size: refusals and stores.
        let limit = (size(&body) + slack).saturating_sub(350) as u64;
        check(stored, body, limit)?;
    }

    #[test]
    fn refused_endpoints_come_back_as_sent(
        m in meta_args(), n0 in 0usize..20, n in 0usize..60, slack in 0usize..700,
    ) {
        let stored = endpoints((true, None, false, false, Vec::new()), n0);
        let body = endpoints(m, n);
        let limit = (size(&body) + slack).saturating_sub(350) as u64;
        check(stored, body, limit)?;
    }
}
