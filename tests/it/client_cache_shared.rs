//! Differential test of the client caches that share the written objects and one diff memo
//! (`ClientCache::with_memo` + `apply_change`, `clients::DiffMemo`): several client caches of
//! every view kind apply the same stream of shared object versions, each at its own pace and
//! some skipping versions (as a group whose selector stops matching would), and each must leave
//! exactly the state of its own reference cache that replaces the source's whole entry list
//! (`apply_slice_whole` / `apply_endpoints_whole`): the same merged view, duplicate count,
//! per-pod readiness and readiness flips in order. A memo hit is only allowed for the same pair of
//! versions (named by resourceVersion, as stored writes are), so a skipping cache must never take
//! a diff computed from another predecessor.

use std::rc::Rc;

use proptest::prelude::*;
use slicesim::clients::{Change, ClientCache, DiffMemo, ViewKind, LABEL_SERVICE_NAME};
use slicesim::k8s::*;

const PODS: [&str; 3] = ["p0", "p1", "p2"];
const KINDS: [ViewKind; 5] = [
    ViewKind::KubeProxy,
    ViewKind::CoreDns,
    ViewKind::Raw,
    ViewKind::KubeProxy,
    ViewKind::CoreDns,
];

/// One endpoint / address: ip index, ready (None = nil), terminating, pod index (3 = none).
type Item = (u8, Option<bool>, Option<bool>, u8);

fn item() -> impl Strategy<Value = Item> {
    (
        0u8..6,
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        0u8..4,
    )
}

fn target(pod: u8) -> Option<ObjectReference> {
    PODS.get(usize::from(pod)).map(|p| ObjectReference {
        kind: Some("Pod".into()),
        name: Some((*p).into()),
        ..Default::default()
    })
}

fn slice(slot: usize, items: &[Item], port: i32) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(format!("s{slot}")),
            namespace: Some("ns".into()),
            labels: Some([(LABEL_SERVICE_NAME.to_string(), "web".to_string())].into()),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(
            items
                .iter()
                .map(|&(ip, ready, term, pod)| Endpoint {
                    addresses: Some(vec![format!("10.0.0.{ip}"), format!("10.1.0.{ip}")]),
                    conditions: EndpointConditions {
                        ready,
                        serving: ready,
                        terminating: term,
                    },
                    target_ref: target(pod),
                    ..Default::default()
                })
                .map(slicesim::k8s::SharedValue::new)
                .collect(),
        ),
        ports: Some(vec![SliceEndpointPort {
            name: Some("http".into()),
            port: Some(port),
            protocol: Some("TCP".into()),
            app_protocol: None,
        }]),
        ..Default::default()
    }
}

fn endpoints(slot: usize, items: &[Item], port: i32) -> Endpoints {
    let pick = |ready: bool| {
        items
            .iter()
            .filter(|i| i.1.unwrap_or(true) == ready)
            .map(|&(ip, _, _, pod)| EndpointAddress {
                ip: format!("10.0.0.{ip}"),
                target_ref: target(pod),
                ..Default::default()
            })
            .collect::<Vec<_>>()
    };
    Endpoints {
        metadata: ObjectMeta {
            name: Some(format!("svc{slot}")),
            namespace: Some("ns".into()),
            ..Default::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(SharedValue::all(pick(true))),
            not_ready_addresses: Some(SharedValue::all(pick(false))),
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port,
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
        }]),
        ..Default::default()
    }
}

/// One write: the slot's object after an edit, or its deletion.
#[derive(Debug, Clone)]
enum Write {
    /// Insert `item` at `at` (mod len+1) and change the item at `tweak` (mod len).
    Edit {
        slot: usize,
        at: usize,
        item: Item,
        tweak: Option<(usize, Item)>,
        port: i32,
    },
    Remove {
        slot: usize,
        at: usize,
    },
    Delete(usize),
}

fn write() -> impl Strategy<Value = Write> {
    prop_oneof![
        6 => (0usize..2, any::<usize>(), item(), prop::option::of((any::<usize>(), item())),
              prop::sample::select(vec![80, 80, 80, 53]))
            .prop_map(|(slot, at, item, tweak, port)| Write::Edit { slot, at, item, tweak, port }),
        3 => (0usize..2, any::<usize>()).prop_map(|(slot, at)| Write::Remove { slot, at }),
        1 => (0usize..2).prop_map(Write::Delete),
    ]
}

/// The stream of shared versions the writes produce (one `Rc` per stored write, as the store
/// hands them out).
fn versions(writes: &[Write], slices: bool) -> Vec<Change> {
    let mut items: [Option<(Vec<Item>, i32)>; 2] = Default::default();
    let mut out = Vec::new();
    for w in writes {
        let (slot, removed) = match *w {
            Write::Edit {
                slot,
                at,
                item,
                tweak,
                port,
            } => {
                let (v, p) = items[slot].get_or_insert_with(|| (Vec::new(), 80));
                v.insert(at % (v.len() + 1), item);
                if let Some((i, t)) = tweak {
                    let n = v.len();
                    v[i % n] = t;
                }
                *p = port;
                (slot, false)
            }
            Write::Remove { slot, at } => {
                let Some((v, _)) = items[slot].as_mut() else {
                    continue;
                };
                if !v.is_empty() {
                    let n = v.len();
                    v.remove(at % n);
                }
                (slot, false)
            }
            Write::Delete(slot) => (slot, true),
        };
        let Some((v, port)) = (if removed {
            items[slot].take()
        } else {
            items[slot].clone()
        }) else {
            continue;
        };
        // Every stored write has its own resourceVersion (the memo's name of a version).
        let rv = Some((out.len() + 1).to_string());
        out.push(if slices {
            let mut s = slice(slot, &v, port);
            s.metadata.resource_version = rv;
            Change::Slice(Rc::new(s), removed)
        } else {
            let mut e = endpoints(slot, &v, port);
            e.metadata.resource_version = rv;
            Change::Endpoints(Rc::new(e), removed)
        });
    }
    out
}

fn apply_whole(c: &mut ClientCache, ch: &Change) {
    match ch {
        Change::Slice(s, removed) => c.apply_slice_whole(s, *removed),
        Change::Endpoints(e, removed) => c.apply_endpoints_whole(e, *removed),
    }
}

fn run(changes: &[Change], order: &[usize], skips: &[Vec<bool>]) -> Result<(), TestCaseError> {
    // Every diff kept, and only those from objects of 2+ elements (both paths in one run).
    run_with(DiffMemo::shared(), changes, order, skips)?;
    run_with(DiffMemo::with_min_elements(2), changes, order, skips)
}

fn run_with(
    memo: Rc<std::cell::RefCell<DiffMemo>>,
    changes: &[Change],
    order: &[usize],
    skips: &[Vec<bool>],
) -> Result<(), TestCaseError> {
    let mut caches: Vec<(ClientCache, ClientCache, usize)> = KINDS
        .iter()
        .map(|&k| {
            (
                ClientCache::with_memo(k, Rc::clone(&memo)),
                ClientCache::new(k),
                0,
            )
        })
        .collect();
    // Each step advances one cache by one change of the stream (skipped updates are not
    // applied by that cache; deletions never are skipped), then every cache is compared.
    let steps = order
        .iter()
        .copied()
        .chain((0..KINDS.len()).cycle().take(KINDS.len() * changes.len()));
    for (step, g) in steps.enumerate() {
        let (fast, whole, next) = &mut caches[g % KINDS.len()];
        let Some(ch) = changes.get(*next) else {
            continue;
        };
        let removed = matches!(ch, Change::Slice(_, true) | Change::Endpoints(_, true));
        let skip = !removed && skips[g % KINDS.len()].get(*next).copied().unwrap_or(false);
        *next += 1;
        if skip {
            continue;
        }
        fast.apply_change(ch);
        apply_whole(whole, ch);
        prop_assert_eq!(fast.view(), whole.view(), "step {} view", step);
        prop_assert_eq!(fast.duplicate_keys(), whole.duplicate_keys());
        prop_assert_eq!(fast.take_flips(), whole.take_flips(), "step {} flips", step);
        for svc in ["ns/web", "ns/svc0", "ns/svc1"] {
            for pod in PODS {
                prop_assert_eq!(fast.pod_ready(svc, pod), whole.pod_ready(svc, pod));
            }
        }
    }
    for (_, _, next) in &caches {
        prop_assert_eq!(*next, changes.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn shared_slice_caches_match_whole_replacement(
        writes in prop::collection::vec(write(), 1..30),
        order in prop::collection::vec(0usize..5, 0..60),
        skips in prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.15), 30), 5),
    ) {
        run(&versions(&writes, true), &order, &skips)?;
    }

    #[test]
    fn shared_endpoints_caches_match_whole_replacement(
        writes in prop::collection::vec(write(), 1..30),
        order in prop::collection::vec(0usize..5, 0..60),
        skips in prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.15), 30), 5),
    ) {
        run(&versions(&writes, false), &order, &skips)?;
    }
}

/// A memo entry is tied to the pair of versions: a cache that skipped a version (its previous
/// object differs) computes its own diff even though another cache already applied the same new
/// version; taking the other's diff would leave a pod ready that is gone. A cache that applies the
/// same pair does take it.
#[test]
fn memo_diff_is_not_taken_from_another_predecessor() {
    let memo = DiffMemo::shared();
    let cache = || ClientCache::with_memo(ViewKind::KubeProxy, Rc::clone(&memo));
    let (mut a, mut b, mut c) = (cache(), cache(), cache());
    let version = |rv: u32, items: &[Item]| {
        let mut s = slice(0, items, 80);
        s.metadata.resource_version = Some(rv.to_string());
        Change::Slice(Rc::new(s), false)
    };
    let v1 = version(1, &[(1, Some(true), None, 0)]);
    let v2 = version(2, &[(1, Some(true), None, 0), (2, Some(true), None, 1)]);
    let v3 = version(3, &[(2, Some(true), None, 1)]);
    a.apply_change(&v1);
    a.apply_change(&v2);
    a.apply_change(&v3); // memo: v2 → v3 removes p0's endpoint only
    assert_eq!(memo.borrow().hits(), 0);
    b.apply_change(&v1);
    b.apply_change(&v3); // b skipped v2: from v1, p0 goes and p1 comes
    assert_eq!(memo.borrow().hits(), 0);
    assert!(!b.pod_ready("ns/web", "p0"));
    assert!(b.pod_ready("ns/web", "p1"));
    assert_eq!(a.view(), b.view());
    c.apply_change(&v1);
    c.apply_change(&v2); // a's v1 → v2
    c.apply_change(&v3); // a's v2 → v3
    assert_eq!(memo.borrow().hits(), 2);
    assert_eq!(a.view(), c.view());
    assert!(c.pod_ready("ns/web", "p1") && !c.pod_ready("ns/web", "p0"));
}
