//! Go's nil is not empty: slice fields without `omitempty` encode nil as `null` and empty as `[]`
//! in JSON, and both as nothing in protobuf; `omitempty` slices and maps omit both (k8s.io/api
//! v0.32.13 struct tags, listed in the `slicesim::k8s` module docs).
//!
//! Hand-made objects cover every field without `omitempty` in both states (plus absent, which Go
//! decodes as nil); a property test does the same for random objects with random nil/empty
//! choices, and checks that the size functions agree with the encoded bytes in both states.

use std::collections::BTreeMap;

use proptest::prelude::*;
use slicesim::k8s::*;
use slicesim::wire::{self, json::to_vec_go, Encoding, WireObject};

/// `text` decodes into a `KubeObject` that re-encodes to exactly `text`.
fn roundtrip(text: &str) -> KubeObject {
    let obj = KubeObject::from_json_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(String::from_utf8(to_vec_go(&obj)).unwrap(), text);
    obj
}

/// Sizes agree with the encoded bytes.
fn sizes_exact<T: WireObject>(obj: &T) -> wire::WireSizes {
    let s = wire::sizes(obj).unwrap();
    assert_eq!(
        wire::object_bytes(Encoding::Json, obj).unwrap().len(),
        s.json
    );
    assert_eq!(
        wire::object_bytes(Encoding::Protobuf, obj).unwrap().len(),
        s.protobuf
    );
    s
}

/// For each template, `@` is replaced by `null` and by `[]`: both round-trip byte for byte,
/// decode differently, encode to the same protobuf and differ by 2 bytes in JSON. The
/// template with `@` and its `"field":@` member removed decodes like `null`.
fn check_pair(template: &str, field: &str) {
    let nil = roundtrip(&template.replace('@', "null"));
    let empty = roundtrip(&template.replace('@', "[]"));
    assert_ne!(nil, empty, "{field}: null and [] decode alike");
    assert_eq!(
        wire::object_bytes(Encoding::Protobuf, &nil).unwrap(),
        wire::object_bytes(Encoding::Protobuf, &empty).unwrap(),
        "{field}: protobuf differs"
    );
    let (sn, se) = (sizes_exact(&nil), sizes_exact(&empty));
    assert_eq!(sn.json, se.json + 2, "{field}");
    assert_eq!(sn.protobuf, se.protobuf, "{field}");
    let member = format!("\"{field}\":@");
    assert!(template.contains(&member), "{field} not in template");
    let absent = template
        .replace(&format!("{member},"), "")
        .replace(&format!(",{member}"), "")
        .replace(&member, "");
    let a = KubeObject::from_json_str(&absent).unwrap_or_else(|e| panic!("{absent}: {e}"));
    assert_eq!(a, nil, "{field}: absent must decode as nil");
}

const NODE_STATUS_HEAD: &str = r#""status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"","kubeProxyVersion":"","operatingSystem":"","architecture":""}"#;

/// Every slice field without `omitempty` of the modelled kinds, both states.
#[test]
fn every_no_omitempty_field_keeps_nil_and_empty_apart() {
    let pod = |spec: &str| {
        format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"name":"p","creationTimestamp":null}},"spec":{spec},"status":{{}}}}"#
        )
    };
    // core/v1.PodSpec.Containers `json:"containers"` (the field seen as `[]` for `null`).
    check_pair(&pod(r#"{"containers":@}"#), "containers");
    // core/v1.ProjectedVolumeSource.Sources `json:"sources"`.
    check_pair(
        &pod(
            r#"{"volumes":[{"name":"v","projected":{"sources":@,"defaultMode":420}}],"containers":[]}"#,
        ),
        "sources",
    );
    // core/v1.NodeSelector.NodeSelectorTerms `json:"nodeSelectorTerms"`.
    check_pair(
        &pod(
            r#"{"containers":[{"name":"c","resources":{}}],"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":@}}}}"#,
        ),
        "nodeSelectorTerms",
    );
    // core/v1.ContainerImage.Names `json:"names"`.
    check_pair(
        &format!(
            r#"{{"kind":"Node","apiVersion":"v1","metadata":{{"name":"n","creationTimestamp":null}},"spec":{{}},{NODE_STATUS_HEAD},"images":[{{"names":@,"sizeBytes":5}}]}}}}"#
        ),
        "names",
    );
    let slice = |body: &str| {
        format!(
            r#"{{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{{"name":"s","creationTimestamp":null}},"addressType":"IPv4",{body}}}"#
        )
    };
    // discovery/v1.EndpointSlice.Endpoints `json:"endpoints"` and .Ports `json:"ports"`.
    check_pair(&slice(r#""endpoints":@,"ports":[]"#), "endpoints");
    check_pair(&slice(r#""endpoints":[],"ports":@"#), "ports");
    // discovery/v1.Endpoint.Addresses `json:"addresses"`.
    check_pair(
        &slice(r#""endpoints":[{"addresses":@,"conditions":{"ready":true}}],"ports":null"#),
        "addresses",
    );
}

/// Both at once: each nil is 2 bytes more JSON than its empty counterpart, protobuf is equal.
#[test]
fn slice_with_all_three_nil_vs_empty() {
    let nil = EndpointSlice {
        address_type: "IPv6".into(),
        endpoints: Some(vec![Default::default(), Default::default()]),
        ..Default::default()
    };
    let mut empty = nil.clone();
    empty.ports = Some(vec![]);
    for e in empty.endpoints.as_mut().unwrap() {
        e.addresses = Some(vec![]);
    }
    let (a, b) = (sizes_exact(&nil), sizes_exact(&empty));
    assert_eq!(a.json, b.json + 3 * 2);
    assert_eq!(
        wire::object_bytes(Encoding::Protobuf, &nil).unwrap(),
        wire::object_bytes(Encoding::Protobuf, &empty).unwrap()
    );
    let text = String::from_utf8(wire::object_bytes(Encoding::Json, &nil).unwrap()).unwrap();
    assert!(
        text.ends_with(r#""endpoints":[{"addresses":null,"conditions":{}},{"addresses":null,"conditions":{}}],"ports":null}"#),
        "{text}"
    );
    assert_eq!(roundtrip(&text), KubeObject::EndpointSlice(nil.with_meta()));
}

trait WithMeta {
    fn with_meta(self) -> Self;
}
impl WithMeta for EndpointSlice {
    fn with_meta(mut self) -> Self {
        self.kind = Some("EndpointSlice".into());
        self.api_version = Some("discovery.k8s.io/v1".into());
        self
    }
}

/// `omitempty` slices and maps: `[]`/`{}` on input is accepted, and neither nil nor empty is
/// written (what Go does), so these never take part in the nil/empty distinction.
#[test]
fn omitempty_fields_omit_nil_and_empty() {
    let text = r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","creationTimestamp":null,"labels":{},"finalizers":[]},"spec":{"volumes":[],"containers":[{"name":"c","command":[],"ports":[],"resources":{"limits":{}}}],"nodeSelector":{},"tolerations":[]},"status":{"conditions":[],"podIPs":[]}}"#;
    let obj = KubeObject::from_json_str(text).unwrap();
    let out = String::from_utf8(to_vec_go(&obj)).unwrap();
    assert_eq!(
        out,
        r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","creationTimestamp":null},"spec":{"containers":[{"name":"c","resources":{}}]},"status":{}}"#
    );
    let KubeObject::Pod(p) = &obj else {
        unreachable!()
    };
    let mut nil = p.clone();
    nil.metadata.labels = None;
    nil.metadata.finalizers = None;
    nil.spec.volumes = None;
    nil.spec.node_selector = None;
    nil.spec.tolerations = None;
    nil.status.conditions = None;
    nil.status.pod_ips = None;
    let c = &mut nil.spec.containers.as_mut().unwrap()[0];
    (c.command, c.ports, c.resources.limits) = (None, None, None);
    assert_ne!(&nil, p);
    assert_eq!(to_vec_go(&nil), out.as_bytes());
    assert_eq!(sizes_exact(&nil), sizes_exact(p));
}

/// `<Kind>List.Items` has no `omitempty` either.
#[test]
fn list_items_nil_vs_empty() {
    for (items, json) in [(None, "null"), (Some(vec![]), "[]")] {
        let l: List<EndpointSlice> = List {
            kind: Some("EndpointSliceList".into()),
            api_version: Some("discovery.k8s.io/v1".into()),
            metadata: ListMeta::default(),
            items,
        };
        let text = format!(
            r#"{{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{{}},"items":{json}}}"#
        );
        assert_eq!(String::from_utf8(to_vec_go(&l)).unwrap(), text);
        let back: List<EndpointSlice> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, l);
        assert!(back.item_list().is_empty());
    }
    let absent: List<EndpointSlice> =
        serde_json::from_str(r#"{"kind":"EndpointSliceList","metadata":{}}"#).unwrap();
    assert_eq!(absent.items, None);
}

// ---------------------------------------------------------------------------------------------
// Property test
// ---------------------------------------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-z0-9.<>&\"/\u{e9}-]{0,12}").unwrap()
}

/// Non-empty (an empty `omitempty` string would not survive the round trip as `Some("")`).
fn name() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-z0-9<&-]{1,8}").unwrap()
}

/// nil, empty, or 1..max elements.
fn nil_or<T: Clone + std::fmt::Debug + 'static>(
    elem: impl Strategy<Value = T> + 'static,
    max: usize,
) -> impl Strategy<Value = Option<Vec<T>>> {
    prop_oneof![
        Just(None),
        Just(Some(Vec::new())),
        prop::collection::vec(elem, 1..=max).prop_map(Some),
    ]
}

fn nil_or_map() -> impl Strategy<Value = Option<BTreeMap<String, String>>> {
    prop_oneof![
        Just(None),
        Just(Some(BTreeMap::new())),
        prop::collection::btree_map(text(), text(), 1..3).prop_map(Some),
    ]
}

fn meta() -> impl Strategy<Value = ObjectMeta> {
    (name(), nil_or_map(), nil_or(text(), 2)).prop_map(|(name, labels, finalizers)| ObjectMeta {
        name: Some(name),
        labels,
        finalizers,
        ..Default::default()
    })
}

fn container() -> impl Strategy<Value = Container> {
    (
        text(),
        nil_or(text(), 2),
        nil_or(
            (1..65535i32).prop_map(|p| ContainerPort {
                container_port: p,
                protocol: Some("TCP".into()),
                ..Default::default()
            }),
            2,
        ),
    )
        .prop_map(|(name, command, ports)| Container {
            name,
            command,
            ports,
            ..Default::default()
        })
}

fn projected_volume() -> impl Strategy<Value = Volume> {
    (
        text(),
        nil_or(
            text().prop_map(|path| VolumeProjection {
                service_account_token: Some(ServiceAccountTokenProjection {
                    path,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            2,
        ),
    )
        .prop_map(|(name, sources)| Volume {
            name,
            projected: Some(ProjectedVolumeSource {
                sources,
                default_mode: Some(420),
            }),
            ..Default::default()
        })
}

fn node_affinity() -> impl Strategy<Value = Option<Affinity>> {
    let term = nil_or(
        (text(), nil_or(text(), 2)).prop_map(|(key, values)| SelectorRequirement {
            key,
            operator: "In".into(),
            values,
        }),
        2,
    )
    .prop_map(|match_expressions| NodeSelectorTerm {
        match_expressions,
        match_fields: None,
    });
    prop::option::of(nil_or(term, 2).prop_map(|terms| Affinity {
        node_affinity: Some(NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: terms,
            }),
            preferred_during_scheduling_ignored_during_execution: None,
        }),
        ..Default::default()
    }))
}

fn pod() -> impl Strategy<Value = Pod> {
    (
        meta(),
        nil_or(projected_volume(), 2),
        nil_or(container(), 2),
        node_affinity(),
        nil_or(text().prop_map(|ip| PodIP { ip }), 2),
    )
        .prop_map(|(metadata, volumes, containers, affinity, pod_ips)| Pod {
            metadata,
            spec: PodSpec {
                volumes,
                containers,
                affinity,
                ..Default::default()
            },
            status: PodStatus {
                pod_ips,
                ..Default::default()
            },
            ..Default::default()
        })
}

fn node() -> impl Strategy<Value = Node> {
    (
        meta(),
        nil_or(
            (nil_or(text(), 2), prop::option::of(1..1_000_000i64))
                .prop_map(|(names, size_bytes)| ContainerImage { names, size_bytes }),
            3,
        ),
    )
        .prop_map(|(metadata, images)| Node {
            metadata,
            status: NodeStatus {
                images,
                ..Default::default()
            },
            ..Default::default()
        })
}

fn slice() -> impl Strategy<Value = EndpointSlice> {
    let endpoint = (
        nil_or(text(), 2),
        prop::option::of(any::<bool>()),
        nil_or_map(),
        prop::option::of(nil_or(text().prop_map(|name| ForZone { name }), 2)),
    )
        .prop_map(|(addresses, ready, deprecated_topology, zones)| Endpoint {
            addresses,
            conditions: EndpointConditions {
                ready,
                ..Default::default()
            },
            deprecated_topology,
            hints: zones.map(|for_zones| EndpointHints {
                for_zones,
                for_nodes: None,
            }),
            ..Default::default()
        });
    let port =
        (prop::option::of(text()), prop::option::of(any::<i32>())).prop_map(|(name, port)| {
            SliceEndpointPort {
                name,
                port,
                ..Default::default()
            }
        });
    (meta(), nil_or(endpoint, 3), nil_or(port, 2)).prop_map(|(metadata, endpoints, ports)| {
        EndpointSlice {
            metadata,
            address_type: "IPv4".into(),
            endpoints: endpoints.map(SharedValue::all),
            ports,
            ..Default::default()
        }
    })
}

/// Rewrites `obj` into what its JSON decodes to (`omitempty` empties become nil); with `fill`,
/// also turns every nil slice without `omitempty` into an empty one, returning how many.
trait Normalise {
    fn normalise(&mut self, fill: bool) -> usize;
}

fn no_omit<T>(v: &mut Option<Vec<T>>, fill: bool) -> usize {
    if fill && v.is_none() {
        *v = Some(Vec::new());
        1
    } else {
        0
    }
}

fn omit<T>(v: &mut Option<Vec<T>>) {
    if v.as_ref().is_some_and(Vec::is_empty) {
        *v = None;
    }
}

fn omit_map<K, V>(v: &mut Option<BTreeMap<K, V>>) {
    if v.as_ref().is_some_and(BTreeMap::is_empty) {
        *v = None;
    }
}

fn normalise_meta(m: &mut ObjectMeta) {
    omit_map(&mut m.labels);
    omit(&mut m.finalizers);
}

impl Normalise for Pod {
    fn normalise(&mut self, fill: bool) -> usize {
        normalise_meta(&mut self.metadata);
        let s = &mut self.spec;
        let mut n = no_omit(&mut s.containers, fill);
        for c in s.containers.iter_mut().flatten() {
            omit(&mut c.command);
            omit(&mut c.ports);
        }
        omit(&mut s.volumes);
        for v in s.volumes.iter_mut().flatten() {
            n += no_omit(&mut v.projected.as_mut().unwrap().sources, fill);
        }
        if let Some(a) = &mut s.affinity {
            let sel = a
                .node_affinity
                .as_mut()
                .unwrap()
                .required_during_scheduling_ignored_during_execution
                .as_mut()
                .unwrap();
            n += no_omit(&mut sel.node_selector_terms, fill);
            for t in sel.node_selector_terms.iter_mut().flatten() {
                omit(&mut t.match_expressions);
                for r in t.match_expressions.iter_mut().flatten() {
                    omit(&mut r.values);
                }
            }
        }
        omit(&mut self.status.pod_ips);
        n
    }
}

impl Normalise for Node {
    fn normalise(&mut self, fill: bool) -> usize {
        normalise_meta(&mut self.metadata);
        omit(&mut self.status.images);
        let mut n = 0;
        for i in self.status.images.iter_mut().flatten() {
            n += no_omit(&mut i.names, fill);
        }
        n
    }
}

impl Normalise for EndpointSlice {
    fn normalise(&mut self, fill: bool) -> usize {
        normalise_meta(&mut self.metadata);
        let mut n = no_omit(&mut self.endpoints, fill) + no_omit(&mut self.ports, fill);
        for e in self.endpoints.iter_mut().flatten() {
            n += no_omit(&mut e.addresses, fill);
            omit_map(&mut e.deprecated_topology);
            if let Some(h) = &mut e.hints {
                omit(&mut h.for_zones);
            }
        }
        n
    }
}

/// JSON round-trips byte for byte and decodes to the normalised object (nil stays nil, empty
/// stays empty); filling every nil changes no protobuf byte and removes exactly 2 JSON bytes
/// per field; sizes agree with the bytes in both states.
fn check<T>(obj: T) -> Result<(), TestCaseError>
where
    T: WireObject + Normalise + Clone + PartialEq + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let json = to_vec_go(&obj);
    let back: T = serde_json::from_slice(&json).unwrap();
    prop_assert_eq!(to_vec_go(&back), json.clone());
    let mut canon = obj.clone();
    prop_assert_eq!(canon.normalise(false), 0);
    prop_assert_eq!(&back, &canon);

    let mut filled = obj.clone();
    let n = filled.normalise(true);
    let (a, b) = (wire::sizes(&obj).unwrap(), wire::sizes(&filled).unwrap());
    prop_assert_eq!(a.json, b.json + 2 * n);
    prop_assert_eq!(a.protobuf, b.protobuf);
    prop_assert_eq!(
        wire::object_bytes(Encoding::Protobuf, &obj).unwrap(),
        wire::object_bytes(Encoding::Protobuf, &filled).unwrap()
    );
    for (o, s) in [(&obj, a), (&filled, b)] {
        prop_assert_eq!(wire::object_bytes(Encoding::Json, o).unwrap().len(), s.json);
        prop_assert_eq!(
            wire::object_bytes(Encoding::Protobuf, o).unwrap().len(),
            s.protobuf
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pods_nil_vs_empty(p in pod()) {
        check(p)?;
    }

    #[test]
    fn nodes_nil_vs_empty(n in node()) {
        check(n)?;
    }

    #[test]
    fn slices_nil_vs_empty(s in slice()) {
        check(s.clone())?;
        // Sizes composed from cached endpoint sizes agree too (the base needs `[]`).
        let items: Vec<_> = s.endpoint_list().iter().map(|e| wire::endpoint_item_sizes(e)).collect();
        let base = EndpointSlice { endpoints: Some(vec![]), ..s.clone() };
        let whole = EndpointSlice { endpoints: Some(s.endpoint_list().to_vec()), ..s };
        prop_assert_eq!(
            wire::endpoint_slice_sizes_from_parts(&base, &items).unwrap(),
            wire::sizes(&whole).unwrap()
        );
    }
}
