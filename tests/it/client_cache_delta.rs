//! Differential test of the client caches: applying a watch event as a delta
//! (`ClientCache::apply_slice` / `apply_endpoints`, which move unchanged entries over) leaves the
//! same cache as replacing the source's whole entry list (`apply_slice_whole` /
//! `apply_endpoints_whole`): the same merged view, duplicate count, per-pod readiness and
//! readiness flips (in order), for kube-proxy, CoreDNS and raw clients, on random sequences of
//! add/update/delete events whose updates insert, remove, reorder and change endpoints drawn from
//! a small pool (so keys repeat across slices and within one).

use proptest::prelude::*;
use slicesim::clients::{ClientCache, ViewKind, LABEL_SERVICE_NAME};
use slicesim::k8s::*;

const PODS: [&str; 4] = ["p0", "p1", "p2", "p3"];
const SERVICES: [&str; 2] = ["a", "b"];
const KINDS: [ViewKind; 3] = [ViewKind::KubeProxy, ViewKind::CoreDns, ViewKind::Raw];

fn ip() -> impl Strategy<Value = String> {
    (0u8..5).prop_map(|i| format!("10.0.0.{i}"))
}

fn pod_ref() -> impl Strategy<Value = Option<ObjectReference>> {
    prop_oneof![
        4 => prop::sample::select(PODS.to_vec()).prop_map(|p| Some(ObjectReference {
            kind: Some("Pod".into()),
            name: Some(p.into()),
            ..Default::default()
        })),
        1 => Just(None),
        1 => Just(Some(ObjectReference {
            kind: Some("Node".into()),
            name: Some("p0".into()),
            ..Default::default()
        })),
    ]
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        prop::collection::vec(ip(), 0..3),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        pod_ref(),
    )
        .prop_map(
            |(addresses, ready, serving, terminating, target_ref)| Endpoint {
                addresses: Some(addresses),
                conditions: EndpointConditions {
                    ready,
                    serving,
                    terminating,
                },
                target_ref,
                ..Default::default()
            },
        )
}

fn ports() -> impl Strategy<Value = Option<Vec<SliceEndpointPort>>> {
    prop::option::of(prop::collection::vec(
        (
            prop::option::of(prop::sample::select(vec!["", "http", "dns"])),
            prop::option::of(prop::sample::select(vec![0, 80, 53])),
        )
            .prop_map(|(name, port)| SliceEndpointPort {
                name: name.map(String::from),
                protocol: Some("TCP".into()),
                port,
                app_protocol: None,
            }),
        0..3,
    ))
}

/// One edit of an object's endpoint list (indices taken modulo the length).
#[derive(Debug, Clone)]
enum ListEdit<T> {
    Insert(usize, T),
    Remove(usize),
    Replace(usize, T),
    /// Swap neighbours (the builder's cursor must not lose the rest).
    Swap(usize),
    Reverse,
    /// Change one item in place ([`Tweak`]): same address, other conditions or pod.
    Tweak(usize, u8),
}

/// An in-place change of one item, chosen by `k`.
trait Tweak {
    fn tweak(&mut self, k: u8);
}

fn tri(k: u8) -> Option<bool> {
    [None, Some(false), Some(true)][usize::from(k % 3)]
}

impl Tweak for Endpoint {
    /// New conditions (each of ready/serving/terminating nil, false or true); k ≥ 27 also
    /// retargets the endpoint to another pod.
    fn tweak(&mut self, k: u8) {
        self.conditions = EndpointConditions {
            ready: tri(k),
            serving: tri(k / 3),
            terminating: tri(k / 9),
        };
        if k >= 27 {
            self.target_ref = Some(ObjectReference {
                kind: Some("Pod".into()),
                name: Some(PODS[usize::from(k) % PODS.len()].into()),
                ..Default::default()
            });
        }
    }
}

impl Tweak for (bool, EndpointAddress) {
    /// Flip readiness; odd k also retargets the address to another pod.
    fn tweak(&mut self, k: u8) {
        self.0 = !self.0;
        if k % 2 == 1 {
            self.1.target_ref = Some(ObjectReference {
                kind: Some("Pod".into()),
                name: Some(PODS[usize::from(k / 2) % PODS.len()].into()),
                ..Default::default()
            });
        }
    }
}

fn list_edit<T: std::fmt::Debug + Clone + 'static>(
    item: BoxedStrategy<T>,
) -> impl Strategy<Value = ListEdit<T>> {
    let i = any::<usize>();
    prop_oneof![
        3 => (i, item.clone()).prop_map(|(i, e)| ListEdit::Insert(i, e)),
        2 => i.prop_map(ListEdit::Remove),
        3 => (i, item).prop_map(|(i, e)| ListEdit::Replace(i, e)),
        1 => i.prop_map(ListEdit::Swap),
        1 => Just(ListEdit::Reverse),
        4 => (i, any::<u8>()).prop_map(|(i, k)| ListEdit::Tweak(i, k)),
    ]
}

fn apply_list<T: Clone + Tweak>(v: &mut Vec<T>, e: &ListEdit<T>) {
    let n = v.len();
    match e.clone() {
        ListEdit::Insert(i, x) => v.insert(i % (n + 1), x),
        ListEdit::Remove(i) if n > 0 => {
            v.remove(i % n);
        }
        ListEdit::Replace(i, x) if n > 0 => v[i % n] = x,
        ListEdit::Swap(i) if n > 1 => v.swap(i % (n - 1), i % (n - 1) + 1),
        ListEdit::Reverse => v.reverse(),
        ListEdit::Tweak(i, k) if n > 0 => v[i % n].tweak(k),
        _ => {}
    }
}

/// One watch event on object slot `slot` (four objects in play).
#[derive(Debug, Clone)]
enum Event<T, P> {
    /// Add or update: the slot's object (empty if absent) after `edits`, in Service `svc`.
    Upsert {
        slot: usize,
        svc: usize,
        edits: Vec<ListEdit<T>>,
        ports: Option<P>,
    },
    Delete(usize),
}

fn event<T: std::fmt::Debug + Clone + 'static, P: std::fmt::Debug + Clone + 'static>(
    item: BoxedStrategy<T>,
    ports: impl Strategy<Value = P> + 'static,
) -> impl Strategy<Value = Event<T, P>> {
    prop_oneof![
        5 => (
            0usize..4,
            prop_oneof![9 => Just(0usize), 1 => Just(1usize)],
            prop::collection::vec(list_edit(item), 0..4),
            prop::option::weighted(0.2, ports),
        )
            .prop_map(|(slot, svc, edits, ports)| Event::Upsert { slot, svc, edits, ports }),
        1 => (0usize..4).prop_map(Event::Delete),
    ]
}

/// Both caches agree on everything a reader can observe.
fn same(fast: &mut ClientCache, whole: &mut ClientCache, step: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(fast.view(), whole.view(), "step {} view", step);
    prop_assert_eq!(fast.duplicate_keys(), whole.duplicate_keys());
    prop_assert_eq!(fast.take_flips(), whole.take_flips(), "step {} flips", step);
    for svc in SERVICES {
        for pod in PODS {
            let key = format!("ns/{svc}");
            prop_assert_eq!(fast.pod_ready(&key, pod), whole.pod_ready(&key, pod));
        }
    }
    Ok(())
}

fn slice_meta(slot: usize, svc: usize) -> ObjectMeta {
    ObjectMeta {
        name: Some(format!("s{slot}")),
        namespace: Some("ns".into()),
        labels: Some([(LABEL_SERVICE_NAME.to_string(), SERVICES[svc].to_string())].into()),
        ..Default::default()
    }
}

fn run_slices(
    first_ports: Option<Vec<SliceEndpointPort>>,
    events: &[Event<Endpoint, Option<Vec<SliceEndpointPort>>>],
) -> Result<(), TestCaseError> {
    for kind in KINDS {
        let (mut fast, mut whole) = (ClientCache::new(kind), ClientCache::new(kind));
        let mut objects: [Option<EndpointSlice>; 4] = Default::default();
        for (step, ev) in events.iter().enumerate() {
            match ev {
                Event::Upsert {
                    slot,
                    svc,
                    edits,
                    ports,
                } => {
                    let s = objects[*slot].get_or_insert_with(|| EndpointSlice {
                        metadata: slice_meta(*slot, *svc),
                        address_type: "IPv4".into(),
                        endpoints: Some(vec![]),
                        ports: first_ports.clone(),
                        ..Default::default()
                    });
                    // A slice moving to another Service keeps its name (both paths must agree
                    // on what that does to the old Service's entries).
                    s.metadata.labels = slice_meta(*slot, *svc).labels;
                    if !edits.is_empty() {
                        let mut eps: Vec<Endpoint> = s
                            .endpoints
                            .take()
                            .unwrap_or_default()
                            .into_iter()
                            .map(SharedValue::into_inner)
                            .collect();
                        for e in edits {
                            apply_list(&mut eps, e);
                        }
                        s.endpoints = Some(SharedValue::all(eps));
                    }
                    if let Some(p) = ports {
                        s.ports = p.clone();
                    }
                    fast.apply_slice(s, false);
                    whole.apply_slice_whole(s, false);
                }
                Event::Delete(slot) => {
                    if let Some(s) = objects[*slot].take() {
                        fast.apply_slice(&s, true);
                        whole.apply_slice_whole(&s, true);
                    }
                }
            }
            same(&mut fast, &mut whole, step)?;
        }
    }
    Ok(())
}

fn address() -> impl Strategy<Value = (bool, EndpointAddress)> {
    (any::<bool>(), ip(), pod_ref()).prop_map(|(ready, ip, target_ref)| {
        (
            ready,
            EndpointAddress {
                ip,
                target_ref,
                ..Default::default()
            },
        )
    })
}

fn core_ports() -> impl Strategy<Value = Vec<EndpointPort>> {
    prop::collection::vec(
        (
            prop::option::of(prop::sample::select(vec!["", "http", "dns"])),
            prop::sample::select(vec![80, 53]),
        )
            .prop_map(|(name, port)| EndpointPort {
                name: name.map(String::from),
                port,
                protocol: Some("TCP".into()),
                app_protocol: None,
            }),
        0..3,
    )
}

/// One Endpoints object's (ready, address) items and ports.
type EndpointsItems = (Vec<(bool, EndpointAddress)>, Vec<EndpointPort>);

/// An Endpoints object of one subset built from (ready, address) items; the Endpoints object is
/// its Service's only source, named after the Service.
fn run_endpoints(
    first_ports: Vec<EndpointPort>,
    events: &[Event<(bool, EndpointAddress), Vec<EndpointPort>>],
) -> Result<(), TestCaseError> {
    for kind in KINDS {
        let (mut fast, mut whole) = (ClientCache::new(kind), ClientCache::new(kind));
        let mut items: [Option<EndpointsItems>; 2] = Default::default();
        for (step, ev) in events.iter().enumerate() {
            let (slot, removed) = match ev {
                Event::Upsert {
                    slot, edits, ports, ..
                } => {
                    let (list, p) =
                        items[slot % 2].get_or_insert_with(|| (vec![], first_ports.clone()));
                    for e in edits {
                        apply_list(list, e);
                    }
                    if let Some(ports) = ports {
                        *p = ports.clone();
                    }
                    (slot % 2, false)
                }
                Event::Delete(slot) => (slot % 2, true),
            };
            let Some((list, ports)) = (if removed {
                items[slot].take()
            } else {
                items[slot].clone()
            }) else {
                continue;
            };
            let pick = |ready: bool| {
                list.iter()
                    .filter(|(r, _)| *r == ready)
                    .map(|(_, a)| a.clone())
                    .collect::<Vec<_>>()
            };
            let ep = Endpoints {
                metadata: ObjectMeta {
                    name: Some(SERVICES[slot].into()),
                    namespace: Some("ns".into()),
                    ..Default::default()
                },
                subsets: Some({
                    let mut subsets = vec![EndpointSubset {
                        addresses: Some(SharedValue::all(pick(true))),
                        not_ready_addresses: Some(SharedValue::all(pick(false))),
                        ports: Some(ports.clone()),
                    }];
                    // The second object carries a second subset (every other address, the
                    // ports reversed): diffs pair subsets up.
                    if slot == 1 {
                        let every_other =
                            |v: Vec<EndpointAddress>| v.into_iter().step_by(2).collect::<Vec<_>>();
                        subsets.push(EndpointSubset {
                            addresses: Some(SharedValue::all(every_other(pick(true)))),
                            not_ready_addresses: Some(SharedValue::all(every_other(pick(false)))),
                            ports: Some(ports.into_iter().rev().collect()),
                        });
                    }
                    subsets
                }),
                ..Default::default()
            };
            fast.apply_endpoints(&ep, removed);
            whole.apply_endpoints_whole(&ep, removed);
            same(&mut fast, &mut whole, step)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn slice_deltas_match_whole_replacement(
        first_ports in ports(),
        events in prop::collection::vec(event(endpoint().boxed(), ports()), 1..30),
    ) {
        run_slices(first_ports, &events)?;
    }

    #[test]
    fn endpoints_deltas_match_whole_replacement(
        first_ports in core_ports(),
        events in prop::collection::vec(event(address().boxed(), core_ports()), 1..30),
    ) {
        run_endpoints(first_ports, &events)?;
    }
}
