//! Differential test of the store's write path: the no-op verdict and managedFields computed from
//! a structural `EncodedDiff` (`StoredObject::encoded_diff` / `track_managed_fields_diff`) equal
//! the reference that encodes both whole objects (`StoredObject::identical` /
//! `track_managed_fields`), on random sequences of EndpointSlice and Endpoints updates: endpoints
//! and addresses added, removed and changed, conditions, ports, labels, annotations, hints,
//! nil-versus-empty lists that encode alike, managedFields sent back re-formatted (same JSON
//! value, other bytes) or not at all, and plain no-ops.
//!
//! Two stores run side by side on the same bodies: one of the real kinds, one of [`Reference`],
//! a wrapper that declines `encoded_diff` so `Store::update` takes its full-encode branch.

use proptest::prelude::*;
use slicesim::apiserver::{Shared, Store, StoredObject};
use slicesim::k8s::*;
use slicesim::wire::json::to_vec_go;

/// The kind with `encoded_diff` withheld: the store falls back to `identical` and
/// `track_managed_fields` (both encode the whole objects).
#[derive(Debug, Clone, PartialEq)]
struct Reference<T>(T);

impl<T: StoredObject> StoredObject for Reference<T> {
    fn namespace(&self) -> &str {
        self.0.namespace()
    }
    fn name(&self) -> &str {
        self.0.name()
    }
    fn set_name(&mut self, name: String) {
        self.0.set_name(name)
    }
    fn generate_name(&self) -> &str {
        self.0.generate_name()
    }
    fn uid(&self) -> &str {
        self.0.uid()
    }
    fn set_uid(&mut self, uid: String) {
        self.0.set_uid(uid)
    }
    fn creation_timestamp(&self) -> Option<&str> {
        self.0.creation_timestamp()
    }
    fn set_creation_timestamp(&mut self, ts: Option<String>) {
        self.0.set_creation_timestamp(ts)
    }
    fn resource_version(&self) -> &str {
        self.0.resource_version()
    }
    fn set_resource_version(&mut self, rv: String) {
        self.0.set_resource_version(rv)
    }
    fn generation(&self) -> Option<i64> {
        self.0.generation()
    }
    fn set_generation(&mut self, g: Option<i64>) {
        self.0.set_generation(g)
    }
    fn uses_generation() -> bool {
        T::uses_generation()
    }
    fn same_generation_content(&self, other: &Self) -> bool {
        self.0.same_generation_content(&other.0)
    }
    fn identical(&self, other: &Self) -> bool {
        self.0.identical(&other.0)
    }
    fn canonicalize(&mut self) {
        self.0.canonicalize()
    }
    fn inherit_managed_fields(&mut self, from: &Self) {
        self.0.inherit_managed_fields(&from.0)
    }
    fn track_managed_fields(&mut self, previous: Option<&Self>, now: &str) {
        self.0.track_managed_fields(previous.map(|p| &p.0), now)
    }
}

/// Small value pools: random edits often land on the value already there (no-ops) and on
/// shared addresses.
fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "zone-a", "10.0.0.1", "x\"<&>", ""]).prop_map(String::from)
}

fn opt_word() -> impl Strategy<Value = Option<String>> {
    prop::option::of(word())
}

fn opt_bool() -> impl Strategy<Value = Option<bool>> {
    prop::option::of(any::<bool>())
}

/// nil, empty or a short list: nil and empty encode alike for omitempty fields.
fn opt_list<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<Vec<T>>> {
    prop_oneof![
        Just(None),
        Just(Some(vec![])),
        prop::collection::vec(s, 1..3).prop_map(Some),
    ]
}

fn target(pod: String) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: Some("ns".into()),
        name: Some(pod.into()),
        ..Default::default()
    }
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    (
        opt_list(word()),
        (opt_bool(), opt_bool(), opt_bool()),
        opt_word(),
        prop::option::of(opt_list(word())),
        opt_word(),
    )
        .prop_map(|(addresses, (r, s, t), node, hints, pod)| Endpoint {
            addresses,
            conditions: EndpointConditions {
                ready: r,
                serving: s,
                terminating: t,
            },
            target_ref: pod.map(target),
            node_name: node.map(Into::into),
            hints: hints.map(|z| EndpointHints {
                for_zones: z.map(|z| z.into_iter().map(|name| ForZone { name }).collect()),
                for_nodes: None,
            }),
            ..Default::default()
        })
}

fn slice_port() -> impl Strategy<Value = SliceEndpointPort> {
    (
        opt_word(),
        prop::option::of(prop::sample::select(vec![80, 443, 0])),
    )
        .prop_map(|(name, port)| SliceEndpointPort {
            name,
            protocol: Some("TCP".into()),
            port,
            app_protocol: None,
        })
}

/// A metadata map edit: set or remove a key (the map may start nil or empty).
#[derive(Debug, Clone)]
enum MapEdit {
    Set(String, String),
    Remove(String),
    Nil,
    Empty,
}

fn map_edit() -> impl Strategy<Value = MapEdit> {
    prop_oneof![
        3 => (word(), word()).prop_map(|(k, v)| MapEdit::Set(k, v)),
        2 => word().prop_map(MapEdit::Remove),
        1 => Just(MapEdit::Nil),
        1 => Just(MapEdit::Empty),
    ]
}

fn apply_map(m: &mut Option<std::collections::BTreeMap<String, String>>, e: &MapEdit) {
    match e {
        MapEdit::Set(k, v) => {
            m.get_or_insert_with(Default::default)
                .insert(k.clone(), v.clone());
        }
        MapEdit::Remove(k) => {
            if let Some(m) = m {
                m.remove(k);
            }
        }
        MapEdit::Nil => *m = None,
        MapEdit::Empty => *m = Some(Default::default()),
    }
}

/// Edits every kind shares (metadata and managedFields).
#[derive(Debug, Clone)]
enum MetaEdit {
    Label(MapEdit),
    Annotation(MapEdit),
    /// The body carries no managedFields (the store keeps the stored ones).
    DropManagedFields,
    /// The body carries the stored managedFields with `fieldsV1` re-formatted: other bytes,
    /// the same JSON value.
    ReformatManagedFields,
    /// The body carries no resourceVersion (no conflict check).
    DropResourceVersion,
}

fn meta_edit() -> impl Strategy<Value = MetaEdit> {
    prop_oneof![
        map_edit().prop_map(MetaEdit::Label),
        map_edit().prop_map(MetaEdit::Annotation),
        Just(MetaEdit::DropManagedFields),
        Just(MetaEdit::ReformatManagedFields),
        Just(MetaEdit::DropResourceVersion),
    ]
}

fn apply_meta(m: &mut ObjectMeta, e: &MetaEdit) {
    match e {
        MetaEdit::Label(e) => apply_map(&mut m.labels, e),
        MetaEdit::Annotation(e) => apply_map(&mut m.annotations, e),
        MetaEdit::DropManagedFields => m.managed_fields = None,
        MetaEdit::ReformatManagedFields => {
            for mf in m.managed_fields.iter_mut().flatten() {
                if let Some(raw) = &mf.fields_v1 {
                    let v: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
                    let pretty = serde_json::to_string_pretty(&v).unwrap();
                    mf.fields_v1 = Some(
                        serde_json::value::RawValue::from_string(pretty)
                            .unwrap()
                            .into(),
                    );
                }
            }
        }
        MetaEdit::DropResourceVersion => m.resource_version = None,
    }
}

#[derive(Debug, Clone)]
enum SliceEdit {
    NoOp,
    Insert(usize, Endpoint),
    Remove(usize),
    Replace(usize, Endpoint),
    Conditions(usize, Option<bool>, Option<bool>, Option<bool>),
    Hints(usize, Option<Option<Vec<String>>>),
    Address(usize, Option<Vec<String>>),
    Node(usize, Option<String>),
    Ports(Option<Vec<SliceEndpointPort>>),
    /// `endpoints` nil or empty (they encode alike only when both are empty).
    EndpointsNilOrEmpty(bool),
    Meta(MetaEdit),
}

fn slice_edit() -> impl Strategy<Value = SliceEdit> {
    let i = any::<usize>();
    prop_oneof![
        3 => Just(SliceEdit::NoOp),
        2 => (i, endpoint()).prop_map(|(i, e)| SliceEdit::Insert(i, e)),
        2 => i.prop_map(SliceEdit::Remove),
        1 => (i, endpoint()).prop_map(|(i, e)| SliceEdit::Replace(i, e)),
        3 => (i, opt_bool(), opt_bool(), opt_bool())
            .prop_map(|(i, r, s, t)| SliceEdit::Conditions(i, r, s, t)),
        1 => (i, prop::option::of(opt_list(word()))).prop_map(|(i, h)| SliceEdit::Hints(i, h)),
        1 => (i, opt_list(word())).prop_map(|(i, a)| SliceEdit::Address(i, a)),
        1 => (i, opt_word()).prop_map(|(i, n)| SliceEdit::Node(i, n)),
        1 => opt_list(slice_port()).prop_map(SliceEdit::Ports),
        1 => any::<bool>().prop_map(SliceEdit::EndpointsNilOrEmpty),
        4 => meta_edit().prop_map(SliceEdit::Meta),
    ]
}

fn edit_slice(s: &mut EndpointSlice, e: &SliceEdit) {
    let n = s.endpoints.as_ref().map_or(0, Vec::len);
    // Only edits that touch an endpoint turn a nil list into an empty one.
    fn eps(s: &mut EndpointSlice) -> &mut Vec<SharedValue<Endpoint>> {
        s.endpoints.get_or_insert_with(Vec::new)
    }
    match e.clone() {
        SliceEdit::NoOp => {}
        SliceEdit::Insert(i, ep) => eps(s).insert(i % (n + 1), SharedValue::new(ep)),
        SliceEdit::Remove(i) if n > 0 => {
            eps(s).remove(i % n);
        }
        SliceEdit::Replace(i, ep) if n > 0 => eps(s)[i % n] = SharedValue::new(ep),
        SliceEdit::Conditions(i, r, sv, t) if n > 0 => {
            eps(s)[i % n].conditions = EndpointConditions {
                ready: r,
                serving: sv,
                terminating: t,
            }
        }
        SliceEdit::Hints(i, h) if n > 0 => {
            eps(s)[i % n].hints = h.map(|z| EndpointHints {
                for_zones: z.map(|z| z.into_iter().map(|name| ForZone { name }).collect()),
                for_nodes: None,
            })
        }
        SliceEdit::Address(i, a) if n > 0 => eps(s)[i % n].addresses = a,
        SliceEdit::Node(i, node) if n > 0 => eps(s)[i % n].node_name = node.map(Into::into),
        SliceEdit::Ports(p) => s.ports = p,
        SliceEdit::EndpointsNilOrEmpty(nil) if n == 0 => {
            s.endpoints = if nil { None } else { Some(vec![]) }
        }
        SliceEdit::Meta(m) => apply_meta(&mut s.metadata, &m),
        _ => {}
    }
}

fn address() -> impl Strategy<Value = EndpointAddress> {
    (word(), opt_word(), opt_word()).prop_map(|(ip, node, pod)| EndpointAddress {
        ip,
        hostname: None,
        node_name: node.map(Into::into),
        target_ref: pod.map(target),
    })
}

fn core_port() -> impl Strategy<Value = EndpointPort> {
    (opt_word(), prop::sample::select(vec![80, 443, 53])).prop_map(|(name, port)| EndpointPort {
        name,
        port,
        protocol: Some("TCP".into()),
        app_protocol: None,
    })
}

fn subset() -> impl Strategy<Value = EndpointSubset> {
    (
        opt_list(address()),
        opt_list(address()),
        opt_list(core_port()),
    )
        .prop_map(|(addresses, not_ready_addresses, ports)| EndpointSubset {
            addresses: addresses.map(SharedValue::all),
            not_ready_addresses: not_ready_addresses.map(SharedValue::all),
            ports,
        })
}

#[derive(Debug, Clone)]
enum EndpointsEdit {
    NoOp,
    /// Add an address to subset `i`, ready or not.
    AddAddress(usize, bool, EndpointAddress),
    RemoveAddress(usize, bool, usize),
    /// Move an address between `addresses` and `notReadyAddresses`.
    Flip(usize, bool, usize),
    ChangeAddress(usize, bool, usize, EndpointAddress),
    Ports(usize, Option<Vec<EndpointPort>>),
    AddSubset(EndpointSubset),
    RemoveSubset(usize),
    SubsetsNilOrEmpty(bool),
    Meta(MetaEdit),
}

fn endpoints_edit() -> impl Strategy<Value = EndpointsEdit> {
    let i = any::<usize>();
    prop_oneof![
        3 => Just(EndpointsEdit::NoOp),
        3 => (i, any::<bool>(), address()).prop_map(|(i, r, a)| EndpointsEdit::AddAddress(i, r, a)),
        2 => (i, any::<bool>(), i).prop_map(|(i, r, j)| EndpointsEdit::RemoveAddress(i, r, j)),
        3 => (i, any::<bool>(), i).prop_map(|(i, r, j)| EndpointsEdit::Flip(i, r, j)),
        1 => (i, any::<bool>(), i, address())
            .prop_map(|(i, r, j, a)| EndpointsEdit::ChangeAddress(i, r, j, a)),
        1 => (i, opt_list(core_port())).prop_map(|(i, p)| EndpointsEdit::Ports(i, p)),
        1 => subset().prop_map(EndpointsEdit::AddSubset),
        1 => i.prop_map(EndpointsEdit::RemoveSubset),
        1 => any::<bool>().prop_map(EndpointsEdit::SubsetsNilOrEmpty),
        4 => meta_edit().prop_map(EndpointsEdit::Meta),
    ]
}

fn list_of(ss: &mut EndpointSubset, ready: bool) -> &mut Vec<SharedValue<EndpointAddress>> {
    if ready {
        ss.addresses.get_or_insert_with(Vec::new)
    } else {
        ss.not_ready_addresses.get_or_insert_with(Vec::new)
    }
}

fn edit_endpoints(ep: &mut Endpoints, e: &EndpointsEdit) {
    let n = ep.subsets.as_ref().map_or(0, Vec::len);
    if let EndpointsEdit::SubsetsNilOrEmpty(nil) = e {
        if n == 0 {
            ep.subsets = if *nil { None } else { Some(vec![]) };
        }
        return;
    }
    if let EndpointsEdit::Meta(m) = e {
        apply_meta(&mut ep.metadata, m);
        return;
    }
    if matches!(e, EndpointsEdit::NoOp) || (n == 0 && !matches!(e, EndpointsEdit::AddSubset(_))) {
        return;
    }
    let subsets = ep.subsets.get_or_insert_with(Vec::new);
    match e.clone() {
        EndpointsEdit::AddAddress(i, r, a) if n > 0 => {
            let l = list_of(&mut subsets[i % n], r);
            let at = i % (l.len() + 1);
            l.insert(at, a.into());
        }
        EndpointsEdit::RemoveAddress(i, r, j) if n > 0 => {
            let l = list_of(&mut subsets[i % n], r);
            if !l.is_empty() {
                let at = j % l.len();
                l.remove(at);
            }
        }
        EndpointsEdit::Flip(i, r, j) if n > 0 => {
            let ss = &mut subsets[i % n];
            let from = list_of(ss, r);
            if !from.is_empty() {
                let at = j % from.len();
                let a = from.remove(at);
                list_of(ss, !r).push(a);
            }
        }
        EndpointsEdit::ChangeAddress(i, r, j, a) if n > 0 => {
            let l = list_of(&mut subsets[i % n], r);
            if !l.is_empty() {
                let at = j % l.len();
                l[at] = a.into();
            }
        }
        EndpointsEdit::Ports(i, p) if n > 0 => subsets[i % n].ports = p,
        EndpointsEdit::AddSubset(s) => subsets.push(s),
        EndpointsEdit::RemoveSubset(i) if n > 0 => {
            subsets.remove(i % n);
        }
        _ => {}
    }
}

fn meta() -> ObjectMeta {
    ObjectMeta {
        name: Some("obj".into()),
        namespace: Some("ns".into()),
        labels: Some([("kubernetes.io/service-name".to_string(), "svc".to_string())].into()),
        ..Default::default()
    }
}

/// Run `edits` through both stores, asserting after every step that the verdict (written or
/// no-op, or the same error), the stored object and its encoding agree.
fn run<T, E>(
    first: T,
    edits: &[E],
    edit: impl Fn(&mut T, &E),
) -> Result<(usize, usize), TestCaseError>
where
    T: StoredObject + serde::Serialize + std::fmt::Debug,
{
    let mut shared = Shared::new(7, "2026-01-05T09:00:00Z".into());
    let mut shared_ref = shared.clone();
    let mut fast: Store<T> = Store::new();
    let mut reference: Store<Reference<T>> = Store::new();
    let a = fast.create(&mut shared, first.clone());
    let b = reference.create(&mut shared_ref, Reference(first));
    prop_assert_eq!(&a.map(Reference), &b);
    let (mut writes, mut noops) = (0, 0);
    for (step, e) in edits.iter().enumerate() {
        // A new clock value per step: a restamped managedFields time shows.
        let now = format!("2026-01-05T09:{:02}:{:02}Z", step / 60, step % 60);
        shared.now = now.clone();
        shared_ref.now = now;
        let mut body = fast.get("ns", "obj").unwrap().clone();
        edit(&mut body, e);
        let a = fast.update(&mut shared, body.clone());
        let b = reference.update(&mut shared_ref, Reference(body));
        match (&a, &b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.written, b.written, "step {} verdict", step);
                prop_assert_eq!(&a.object, &b.object.0, "step {} object", step);
                prop_assert_eq!(to_vec_go(&a.object), to_vec_go(&b.object.0));
                if a.written {
                    writes += 1;
                } else {
                    noops += 1;
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "step {}: {:?} vs {:?}", step, a, b),
        }
        prop_assert_eq!(
            fast.get("ns", "obj").map(|o| to_vec_go(o)),
            reference.get("ns", "obj").map(|o| to_vec_go(&o.0))
        );
    }
    Ok((writes, noops))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn endpoint_slice_updates_match_full_encodes(
        endpoints in opt_list(endpoint()),
        ports in opt_list(slice_port()),
        edits in prop::collection::vec(slice_edit(), 1..40),
    ) {
        let first = EndpointSlice {
            kind: Some("EndpointSlice".into()),
            api_version: Some("discovery.k8s.io/v1".into()),
            metadata: meta(),
            address_type: "IPv4".into(),
            endpoints: endpoints.map(SharedValue::all),
            ports,
        };
        run(first, &edits, edit_slice)?;
    }

    #[test]
    fn endpoints_updates_match_full_encodes(
        subsets in opt_list(subset()),
        edits in prop::collection::vec(endpoints_edit(), 1..40),
    ) {
        let first = Endpoints {
            kind: Some("Endpoints".into()),
            api_version: Some("v1".into()),
            metadata: meta(),
            subsets,
        };
        run(first, &edits, edit_endpoints)?;
    }
}

/// The random sequences reach both verdicts and the re-formatted-managedFields case (a guard
/// against a generator that silently stops exercising the interesting branches).
#[test]
fn sequences_reach_writes_noops_and_reformatted_managed_fields() {
    let first = EndpointSlice {
        metadata: meta(),
        address_type: "IPv4".into(),
        endpoints: Some(vec![SharedValue::new(Endpoint {
            addresses: Some(vec!["10.0.0.1".into()]),
            ..Default::default()
        })]),
        ..Default::default()
    };
    let edits = [
        SliceEdit::NoOp,
        SliceEdit::Conditions(0, Some(false), None, None),
        SliceEdit::Meta(MetaEdit::ReformatManagedFields),
        SliceEdit::Meta(MetaEdit::DropManagedFields),
        SliceEdit::Hints(0, Some(Some(vec![]))),
        SliceEdit::Hints(0, Some(None)),
    ];
    let (writes, noops) = run(first, &edits, edit_slice).unwrap();
    assert!(writes >= 2 && noops >= 2, "writes {writes}, no-ops {noops}");
}
