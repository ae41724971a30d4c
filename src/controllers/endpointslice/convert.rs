//! The boundary between `crate::k8s` objects and the reconciler's compact model:
//! which pods become endpoints and how slices are built.
//!
//! cite: kubernetes/endpointslice :: utils.go :: podToEndpoint, getEndpointPorts,
//! getEndpointAddresses, findPort, newEndpointSlice, getEndpointSlicePrefix, ownedBy;
//! util/controller_utils.go :: ShouldPodBeInEndpoints, IsPodReady (v0.32.13).

use std::collections::BTreeMap;
use std::rc::Rc;

use super::model::{
    Endpoint, EndpointData, ServiceInfo, Slice, TargetRef, ANNOTATION_TRIGGER_TIME,
};
use super::podread;
use super::topology::NodeInfo;
use crate::controllers::deephash::{hash_discovery_endpoint_port_hex, DiscoveryEndpointPortView};
use crate::controllers::endpoints::PodView;
use crate::controllers::util::intern::intern;
use crate::controllers::util::{should_set_hostname, SlicePort};
use crate::k8s;

/// `ServiceInfo` of a Service.
pub fn service_info(svc: &k8s::Service) -> ServiceInfo {
    let cluster_ip = svc.spec.cluster_ip.as_deref().unwrap_or("");
    ServiceInfo {
        namespace: svc.metadata.namespace.clone().unwrap_or_default(),
        name: svc.metadata.name.clone().unwrap_or_default(),
        uid: svc.metadata.uid.clone().unwrap_or_default(),
        labels: svc.metadata.labels.clone().unwrap_or_default(),
        annotations: svc.metadata.annotations.clone().unwrap_or_default(),
        headless_label: cluster_ip == "None" || cluster_ip.is_empty(),
        publish_not_ready_addresses: svc.spec.publish_not_ready_addresses.unwrap_or(false),
        traffic_distribution: svc.spec.traffic_distribution.clone(),
        deleting: svc.metadata.deletion_timestamp.is_some(),
        terminating_condition: true,
    }
}

/// The pod is in the Service's namespace and its labels contain every
/// `spec.selector` pair (`labels.Set(selector).AsSelectorPreValidated()`).
/// A Service without selector selects nothing.
pub fn pod_selected(svc: &k8s::Service, pod: &k8s::Pod) -> bool {
    let Some(sel) = &svc.spec.selector else {
        return false;
    };
    if pod.metadata.namespace != svc.metadata.namespace {
        return false;
    }
    let empty = BTreeMap::new();
    let labels = pod.metadata.labels.as_ref().unwrap_or(&empty);
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// `ShouldPodBeInEndpoints(pod, includeTerminating)`: not Succeeded/Failed, has
/// an IP (`podIP` or `podIPs`), and (unless includeTerminating) no deletionTimestamp.
pub fn should_pod_be_in_endpoints(pod: &k8s::Pod, include_terminating: bool) -> bool {
    if matches!(
        pod.status.phase.as_deref(),
        Some("Succeeded") | Some("Failed")
    ) {
        return false;
    }
    let no_ip = pod.status.pod_ip.as_deref().unwrap_or("").is_empty()
        && pod.status.pod_ips.as_ref().map_or(true, |v| v.is_empty());
    if no_ip {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// `IsPodReady`: a `Ready` condition with status `True`.
pub fn is_pod_ready(pod: &k8s::Pod) -> bool {
    pod.status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

/// The Ready condition's lastTransitionTime (the pod's trigger time).
pub fn pod_ready_transition_time(pod: &k8s::Pod) -> Option<&str> {
    pod.status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .and_then(|c| c.last_transition_time.as_deref())
}

/// `utilnet.IsIPv6String`: parses as an IP whose `To4()` is nil. Unparsable
/// strings are "not IPv6", so they land in IPv4 slices (1.32 copies pod IPs verbatim).
pub fn is_ipv6_string(ip: &str) -> bool {
    // Every IPv6 text form has a ':'; skipping the parse for the rest is the same answer.
    if !ip.contains(':') {
        return false;
    }
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(a) => a.to_ipv4_mapped().is_none(),
        Err(_) => false,
    }
}

/// 1.32 `findPort`: numeric targetPort → that number; named → the first
/// container port (spec.containers order, then ports order) with that name
/// and the Service port's protocol. No sidecar (init container) search in 1.32
/// (added in v0.33.0, endpointslice commit 10a8309).
pub fn find_port(pod: &k8s::Pod, sp: &k8s::ServicePort) -> Option<i32> {
    match &sp.target_port {
        k8s::IntOrString::Int(n) => Some(*n),
        k8s::IntOrString::String(name) => {
            let proto = sp.protocol.as_deref().unwrap_or("");
            pod.spec
                .container_list()
                .iter()
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| {
                    p.name.as_deref().unwrap_or("") == name
                        && p.protocol.as_deref().unwrap_or("") == proto
                })
                .map(|p| p.container_port)
        }
    }
}

/// `getEndpointPorts`, then sorted the way `NewPortMapKey` sorts in place (by
/// the md5 of each port's deep dump), which is the order written to slices.
pub fn endpoint_ports(svc: &k8s::Service, pod: &k8s::Pod) -> Vec<SlicePort> {
    endpoint_ports_of(svc, PodView::Api(pod))
}

/// [`endpoint_ports`] of a [`PodView`] (a world pod read in place).
pub(super) fn endpoint_ports_of(svc: &k8s::Service, pod: PodView<'_>) -> Vec<SlicePort> {
    let sports = svc.spec.ports.as_deref().unwrap_or(&[]);
    if sports.is_empty() && svc.spec.cluster_ip.as_deref() == Some("None") {
        return Vec::new();
    }
    let mut out: Vec<SlicePort> = sports
        .iter()
        .filter_map(|sp| {
            podread::find_port(pod, sp).map(|n| SlicePort {
                name: Some(sp.name.clone().unwrap_or_default()),
                port: Some(n),
                protocol: Some(sp.protocol.clone().unwrap_or_default()),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect();
    order_ports_like_upstream(&mut out);
    out
}

/// Sort ports by `deepHashObjectToString(port)` (hex md5, ascending).
pub fn order_ports_like_upstream(ports: &mut [SlicePort]) {
    ports.sort_by_cached_key(|p| {
        hash_discovery_endpoint_port_hex(&DiscoveryEndpointPortView {
            name: p.name.as_deref(),
            protocol: p.protocol.as_deref(),
            port: p.port,
            app_protocol: p.app_protocol.as_deref(),
        })
    });
}

/// `getEndpointAddresses` (1.32): every `status.podIPs` entry of the family, verbatim.
pub fn endpoint_addresses(pod: &k8s::Pod, address_type: &str) -> Vec<String> {
    let want_v6 = address_type == super::model::ADDRESS_TYPE_IPV6;
    pod.status
        .pod_ips
        .iter()
        .flatten()
        .filter(|p| is_ipv6_string(&p.ip) == want_v6)
        .map(|p| p.ip.clone())
        .collect()
}

/// `podToEndpoint`. `zone` is the pod's node's zone label (None if the node is
/// unknown or has no/empty label).
pub fn pod_to_endpoint(
    pod: &k8s::Pod,
    zone: Option<&str>,
    svc: &ServiceInfo,
    address_type: &str,
) -> Endpoint {
    view_to_endpoint(PodView::Api(pod), zone, svc, address_type)
}

/// [`pod_to_endpoint`] of a [`PodView`] (a world pod read in place).
pub(super) fn view_to_endpoint(
    pod: PodView<'_>,
    zone: Option<&str>,
    svc: &ServiceInfo,
    address_type: &str,
) -> Endpoint {
    let shared = PodShared::of(pod, zone.map(intern), None);
    view_to_endpoint_shared(pod, svc, address_type, &shared)
}

/// The parts of a pod's endpoints that do not depend on the address type, built once per
/// pod: every endpoint of the pod holds the same copies (and the strings are made and
/// interned once, not once per address type).
pub(super) struct PodShared {
    target_ref: TargetRef,
    node_name: Option<Rc<str>>,
    zone: Option<Rc<str>>,
}

impl PodShared {
    /// `zone`: the interned zone label of the pod's node (None: node unknown or no label);
    /// `node`: the node's interned name when the node lister has it.
    pub(super) fn of(pod: PodView<'_>, zone: Option<Rc<str>>, node: Option<&Rc<str>>) -> Self {
        PodShared {
            target_ref: TargetRef {
                kind: crate::controllers::util::intern::pod_kind(),
                namespace: intern(pod.namespace()),
                name: pod.name().into(),
                uid: pod.uid().into(),
            },
            node_name: Some(pod.node_name())
                .filter(|n| !n.is_empty())
                .map(|n| node.map_or_else(|| intern(n), Rc::clone)),
            zone: zone.filter(|z| !z.is_empty()),
        }
    }
}

/// [`view_to_endpoint`] with the pod's [`PodShared`] parts.
pub(super) fn view_to_endpoint_shared(
    pod: PodView<'_>,
    svc: &ServiceInfo,
    address_type: &str,
    shared: &PodShared,
) -> Endpoint {
    let serving = podread::is_ready(pod);
    let terminating = podread::deleting(pod);
    let ready = svc.publish_not_ready_addresses || (serving && !terminating);
    let pod_ns = pod.namespace();
    let hostname = pod.hostname();
    let subdomain = pod.subdomain();
    let hostname = should_set_hostname(hostname, subdomain, pod_ns, &svc.name, &svc.namespace)
        .then(|| hostname.to_string());
    // EndpointSet.Insert hashes the endpoint, and hashEndpoint sorts
    // `Addresses` in place: desired endpoints carry sorted addresses.
    let mut addresses = podread::addresses(pod, address_type);
    addresses.sort();
    EndpointData {
        addresses,
        ready: Some(ready),
        serving: svc.terminating_condition.then_some(serving),
        terminating: svc.terminating_condition.then_some(terminating),
        hostname,
        target_ref: Some(shared.target_ref.clone()),
        node_name: shared.node_name.clone(),
        zone: shared.zone.clone(),
        hint: None,
        id_hash: Default::default(),
        k8s: Default::default(),
    }
    .into()
}

/// `metav1.NewControllerRef(service, v1/Service)`.
pub fn controller_ref(svc: &ServiceInfo) -> k8s::OwnerReference {
    k8s::OwnerReference {
        api_version: "v1".into(),
        kind: "Service".into(),
        name: svc.name.clone(),
        uid: svc.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// `getEndpointSlicePrefix`: `<name>-` unless that is not a valid DNS
/// subdomain prefix, then the bare name.
pub fn slice_prefix(service_name: &str) -> String {
    let p = format!("{service_name}-");
    // NameIsDNSSubdomain(prefix=true): lowercase alphanumerics, '-' and '.',
    // starting with an alphanumeric, at most 253 characters.
    let ok = p.len() <= 253
        && p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && p.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        p
    } else {
        service_name.to_string()
    }
}

/// Model endpoint from a stored slice's endpoint.
pub fn endpoint_from_k8s(e: &k8s::Endpoint) -> Endpoint {
    EndpointData {
        addresses: e.address_list().to_vec(),
        ready: e.conditions.ready,
        serving: e.conditions.serving,
        terminating: e.conditions.terminating,
        hostname: e.hostname.clone(),
        target_ref: e.target_ref.as_ref().map(|t| TargetRef {
            kind: intern(t.kind.as_deref().unwrap_or_default()),
            namespace: intern(t.namespace.as_deref().unwrap_or_default()),
            name: t.name.as_deref().unwrap_or_default().into(),
            uid: t.uid.as_deref().unwrap_or_default().into(),
        }),
        node_name: e.node_name.as_deref().map(intern),
        zone: e.zone.as_deref().map(intern),
        hint: e.hints.as_ref().map(|h| {
            Box::new(super::model::Hints {
                zones: h
                    .for_zones
                    .iter()
                    .flatten()
                    .map(|z| z.name.clone())
                    .collect(),
                nodes: h
                    .for_nodes
                    .iter()
                    .flatten()
                    .map(|n| n.name.clone())
                    .collect(),
            })
        }),
        id_hash: Default::default(),
        k8s: Default::default(),
    }
    .into()
}

/// The model's copy of a non-empty string, shared (no allocation).
fn nonempty_shared(s: &Rc<str>) -> Option<k8s::Text> {
    (!s.is_empty()).then(|| Rc::clone(s))
}

// Tests: build every written endpoint and every slice endpoint as a fresh copy (the
// straightforward version the differential tests compare sharing against).
#[cfg(test)]
thread_local! {
    pub(crate) static PLAIN_COPIES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
pub(crate) fn plain_copies() -> bool {
    PLAIN_COPIES.with(|c| c.get())
}

#[cfg(not(test))]
#[inline(always)]
pub(crate) fn plain_copies() -> bool {
    false
}

/// [`endpoint_to_k8s`], built once per endpoint value and shared by every slice written with it
/// (see [`super::model::EndpointData::k8s`]).
pub fn endpoint_to_k8s_shared(e: &Endpoint) -> k8s::SharedValue<k8s::Endpoint> {
    if plain_copies() {
        return k8s::SharedValue::new(endpoint_to_k8s(e));
    }
    e.k8s
        .0
        .get_or_init(|| k8s::SharedValue::new(endpoint_to_k8s(e)))
        .clone()
}

/// k8s endpoint from a model endpoint.
pub fn endpoint_to_k8s(e: &Endpoint) -> k8s::Endpoint {
    k8s::Endpoint {
        addresses: Some(e.addresses.clone()),
        conditions: k8s::EndpointConditions {
            ready: e.ready,
            serving: e.serving,
            terminating: e.terminating,
        },
        hostname: e.hostname.clone(),
        target_ref: e.target_ref.as_ref().map(|t| k8s::ObjectReference {
            kind: nonempty_shared(&t.kind),
            namespace: nonempty_shared(&t.namespace),
            name: nonempty_shared(&t.name),
            uid: nonempty_shared(&t.uid),
            ..Default::default()
        }),
        node_name: e.node_name.clone(),
        zone: e.zone.clone(),
        hints: e.hints().map(|zs| k8s::EndpointHints {
            for_zones: Some(
                zs.iter()
                    .map(|z| k8s::ForZone { name: z.clone() })
                    .collect(),
            ),
            for_nodes: (!e.hint_nodes().is_empty()).then(|| {
                e.hint_nodes()
                    .iter()
                    .map(|n| k8s::ForNode { name: n.clone() })
                    .collect()
            }),
        }),
        ..Default::default()
    }
}

/// Model port from a k8s slice port.
pub fn port_from_k8s(p: &k8s::SliceEndpointPort) -> SlicePort {
    SlicePort {
        name: p.name.clone(),
        port: p.port,
        protocol: p.protocol.clone(),
        app_protocol: p.app_protocol.clone(),
    }
}

/// k8s slice port from a model port.
pub fn port_to_k8s(p: &SlicePort) -> k8s::SliceEndpointPort {
    k8s::SliceEndpointPort {
        name: p.name.clone(),
        port: p.port,
        protocol: p.protocol.clone(),
        app_protocol: p.app_protocol.clone(),
    }
}

/// Model slice of existing input slice `idx`.
pub fn slice_from_k8s(es: &k8s::EndpointSlice, svc: &ServiceInfo, idx: usize) -> Slice {
    let refs = es.metadata.owner_references.as_deref().unwrap_or(&[]);
    let owned = refs
        .iter()
        .any(|o| o.uid == svc.uid && o.kind == "Service" && o.api_version == "v1");
    let meta_like_new = es.metadata.namespace.as_deref().unwrap_or("") == svc.namespace
        && refs.len() == 1
        && refs[0] == controller_ref(svc);
    Slice {
        name: es.metadata.name.clone().unwrap_or_default(),
        address_type: es.address_type.clone(),
        ports: es.port_list().iter().map(port_from_k8s).collect(),
        endpoints: es
            .endpoint_list()
            .iter()
            .map(|e| endpoint_from_k8s(e))
            .collect(),
        labels: es.metadata.labels.clone().unwrap_or_default(),
        owned,
        origin: Some(idx),
        meta_like_new,
    }
}

/// `addTriggerTimeAnnotation`: set the annotation to `trigger_time`, or remove it when None.
fn set_trigger_time(meta: &mut k8s::ObjectMeta, trigger_time: Option<&str>) {
    let mut ann = meta.annotations.take().unwrap_or_default();
    match trigger_time {
        Some(t) => {
            ann.insert(ANNOTATION_TRIGGER_TIME.to_string(), t.to_string());
        }
        None => {
            ann.remove(ANNOTATION_TRIGGER_TIME);
        }
    }
    meta.annotations = (!ann.is_empty()).then_some(ann);
}

/// Build the k8s object written for a planned create/update. `base` is the
/// existing object the update derives from (None: fresh body as built by
/// `newEndpointSlice`, for creates and recycled updates).
pub fn slice_to_k8s(
    s: &Slice,
    svc: &ServiceInfo,
    base: Option<&k8s::EndpointSlice>,
    trigger_time: Option<&str>,
) -> k8s::EndpointSlice {
    let mut out = match base {
        // Everything of the base but its endpoints, which are replaced (a 100-endpoint slice
        // was copied only to be dropped).
        Some(b) => {
            let k8s::EndpointSlice {
                kind,
                api_version,
                metadata,
                address_type,
                endpoints: _,
                ports,
            } = b;
            // The labels are replaced below: not copied.
            let metadata = metadata.without_labels();
            k8s::EndpointSlice {
                kind: kind.clone(),
                api_version: api_version.clone(),
                metadata,
                address_type: address_type.clone(),
                endpoints: None,
                ports: ports.clone(),
            }
        }
        None => k8s::EndpointSlice {
            metadata: k8s::ObjectMeta {
                generate_name: Some(slice_prefix(&svc.name)),
                namespace: Some(svc.namespace.clone()),
                owner_references: Some(vec![controller_ref(svc)]),
                ..Default::default()
            },
            address_type: s.address_type.clone(),
            ports: Some(s.ports.iter().map(port_to_k8s).collect()),
            ..Default::default()
        },
    };
    if !s.name.is_empty() {
        out.metadata.name = Some(s.name.clone());
    }
    out.metadata.labels = Some(s.labels.clone());
    out.endpoints = Some(s.endpoints.iter().map(endpoint_to_k8s_shared).collect());
    set_trigger_time(&mut out.metadata, trigger_time);
    out
}

/// Parse a `resource.Quantity` and return `MilliValue()` (rounded up, as
/// upstream's ScaledValue(Milli)). Supports decimal and binary SI suffixes and
/// decimal exponents. Returns None for malformed input.
pub fn quantity_milli_value(q: &str) -> Option<i64> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let (neg, rest) = match q.as_bytes()[0] {
        b'-' => (true, &q[1..]),
        b'+' => (false, &q[1..]),
        _ => (false, q),
    };
    let num_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (num, suffix) = rest.split_at(num_end);
    if num.is_empty() || num == "." {
        return None;
    }
    let (int_part, frac_part) = match num.split_once('.') {
        Some((a, b)) => (a, b),
        None => (num, ""),
    };
    // value = digits * 10^(-frac_len) * multiplier; compute milli = value*1000, round up.
    let digits: String = format!("{int_part}{frac_part}");
    let mut mant: i128 = digits.parse().ok()?;
    let mut exp10: i32 = -(frac_part.len() as i32) + 3; // milli
    let mut bin: u32 = 0;
    match suffix {
        "" => {}
        "m" => exp10 -= 3,
        "u" => exp10 -= 6,
        "n" => exp10 -= 9,
        "k" => exp10 += 3,
        "M" => exp10 += 6,
        "G" => exp10 += 9,
        "T" => exp10 += 12,
        "P" => exp10 += 15,
        "E" => exp10 += 18,
        "Ki" => bin = 10,
        "Mi" => bin = 20,
        "Gi" => bin = 30,
        "Ti" => bin = 40,
        "Pi" => bin = 50,
        "Ei" => bin = 60,
        s if s.starts_with('e') || s.starts_with('E') => {
            let e: i32 = s[1..].parse().ok()?;
            exp10 += e;
        }
        _ => return None,
    }
    mant = mant.checked_mul(1i128.checked_shl(bin)?)?;
    let v = if exp10 >= 0 {
        mant.checked_mul(10i128.checked_pow(exp10 as u32)?)?
    } else {
        let d = 10i128.checked_pow((-exp10) as u32)?;
        (mant + d - 1) / d
    };
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// What the topology cache reads from a Node. Errors on a malformed CPU quantity.
pub fn node_info(n: &k8s::Node) -> Result<NodeInfo, String> {
    let labels = n.metadata.labels.clone().unwrap_or_default();
    let ready = n.is_ready();
    let cpu = match n.status.allocatable.as_ref().and_then(|a| a.get("cpu")) {
        Some(q) => quantity_milli_value(&q.0)
            .ok_or_else(|| format!("invalid status.allocatable.cpu quantity {:?}", q.0))?,
        None => 0,
    };
    Ok(NodeInfo {
        name: n.metadata.name.clone().unwrap_or_default(),
        zone: n.zone().map(str::to_string),
        ready,
        cpu_millis: cpu,
        excluded: labels.contains_key("node-role.kubernetes.io/control-plane")
            || labels.contains_key("node-role.kubernetes.io/master"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// resource.Quantity MilliValue for the CPU forms seen on nodes.
    #[test]
    fn quantity_milli_values() {
        assert_eq!(quantity_milli_value("1"), Some(1000));
        assert_eq!(quantity_milli_value("3500m"), Some(3500));
        assert_eq!(quantity_milli_value("0.5"), Some(500));
        assert_eq!(quantity_milli_value("64"), Some(64000));
        assert_eq!(quantity_milli_value("1k"), Some(1_000_000));
        assert_eq!(quantity_milli_value("1Ki"), Some(1_024_000));
        assert_eq!(quantity_milli_value("0.0001"), Some(1), "rounds up");
        assert_eq!(quantity_milli_value("abc"), None);
        assert_eq!(quantity_milli_value(""), None);
    }

    /// utilnet.IsIPv6String: IPv4-mapped IPv6 is IPv4; garbage is "not IPv6".
    #[test]
    fn ipv6_family_detection() {
        assert!(is_ipv6_string("fd00::1"));
        assert!(!is_ipv6_string("10.0.0.1"));
        assert!(!is_ipv6_string("::ffff:10.0.0.1"));
        assert!(!is_ipv6_string("garbage"));
    }

    /// getEndpointSlicePrefix falls back to the bare name for invalid prefixes.
    #[test]
    fn slice_prefix_rule() {
        assert_eq!(slice_prefix("web"), "web-");
        assert_eq!(slice_prefix("Web"), "Web");
    }
}
