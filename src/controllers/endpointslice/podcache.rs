//! Per-Service memo of what each selected pod converts to (`getEndpointPorts` and
//! `podToEndpoint` per address type), so that a sync of a big Service costs one lookup and a
//! few comparisons per unchanged pod instead of a conversion with about ten allocations and
//! an md5 per port (a rolling update of a 20,000-endpoint Service syncs it thousands of
//! times while each sync changes a handful of pods).
//!
//! Upstream converts every pod on every sync (kubernetes/endpointslice :: reconciler.go ::
//! reconcileByAddressType, v0.32.13); the memo only skips recomputing equal results. An
//! entry is reused only when every pod field the conversion reads equals what it was built
//! from ([`PodInputs`]), the node lookup gives the same zone answer, and the Service fields
//! it reads are unchanged (otherwise the whole Service's entries are dropped). Entries are
//! looked up by pod name and never iterated into a result: the caller walks its own pod list,
//! so the hash map's order cannot reach an output.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use super::convert::{endpoint_ports_of, is_pod_ready, view_to_endpoint_shared, PodShared};
use super::model::{Endpoint, ServiceInfo};
use super::podread;
use super::reconciler::NodeIndex;
use crate::controllers::endpoints::PodView;
use crate::controllers::util::{PortMapKey, SlicePort};
use crate::k8s;

/// The Service fields the conversion reads.
#[derive(Debug, Clone, PartialEq)]
struct ServiceInputs {
    namespace: String,
    name: String,
    publish_not_ready_addresses: bool,
    ports: Option<Vec<k8s::ServicePort>>,
    cluster_ip: Option<String>,
    address_types: Vec<&'static str>,
}

impl ServiceInputs {
    fn of(service: &k8s::Service, svc: &ServiceInfo, address_types: &[&'static str]) -> Self {
        ServiceInputs {
            namespace: svc.namespace.clone(),
            name: svc.name.clone(),
            publish_not_ready_addresses: svc.publish_not_ready_addresses,
            ports: service.spec.ports.clone(),
            cluster_ip: service.spec.cluster_ip.clone(),
            address_types: address_types.to_vec(),
        }
    }
    fn matches(&self, service: &k8s::Service, svc: &ServiceInfo, at: &[&'static str]) -> bool {
        self.namespace == svc.namespace
            && self.name == svc.name
            && self.publish_not_ready_addresses == svc.publish_not_ready_addresses
            && self.ports == service.spec.ports
            && self.cluster_ip == service.spec.cluster_ip
            && self.address_types == at
    }
}

/// A 128-bit digest of the pod fields `podToEndpoint`, `ShouldPodBeInEndpoints` and `findPort`
/// read, written one after another ([`encode_inputs`]). Every variable-length part carries its
/// length, so two pods encode equally exactly when these fields are equal; the 16-byte digest
/// stands for the ~200-byte encoding (150,000 pods' copies of their fields were a fifth of the
/// controller's memory, their encodings still ~30 MB).
///
/// The digest is two SipHash-1-3 values (fixed keys, [`siphash13`]) of the encoding: about a
/// third of an md5's cost. The algorithm is written out here rather than taken from std's
/// default hasher, whose algorithm is unspecified and may change between Rust releases. The
/// digest is only compared for equality within one run, never output or stored; the inputs
/// are not adversarial, so two different encodings share both 64-bit halves with probability
/// ~2^-128 per comparison (a run makes ~10^6).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PodInputs([u8; 16]);

fn container_ports(pod: &k8s::Pod) -> impl Iterator<Item = &k8s::ContainerPort> {
    pod.spec
        .container_list()
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
}

/// The memo input encoding, shared with `podread` (both forms must write identical bytes).
pub(super) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

pub(super) fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

/// uid, namespace, phase, podIP, podIPs, deleting, ready, nodeName, hostname, subdomain and
/// every container port's (name, protocol, containerPort), in spec order.
pub(super) fn encode_inputs(pod: &k8s::Pod, out: &mut Vec<u8>) {
    put_opt(out, pod.metadata.uid.as_deref());
    put_opt(out, pod.metadata.namespace.as_deref());
    put_opt(out, pod.status.phase.as_deref());
    put_opt(out, pod.status.pod_ip.as_deref());
    let ips = pod.status.pod_ips.iter().flatten();
    out.extend_from_slice(&(ips.clone().count() as u64).to_le_bytes());
    for ip in ips {
        put_str(out, &ip.ip);
    }
    out.push(u8::from(pod.metadata.deletion_timestamp.is_some()));
    out.push(u8::from(is_pod_ready(pod)));
    put_opt(out, pod.spec.node_name.as_deref());
    put_opt(out, pod.spec.hostname.as_deref());
    put_opt(out, pod.spec.subdomain.as_deref());
    out.extend_from_slice(&(container_ports(pod).count() as u64).to_le_bytes());
    for p in container_ports(pod) {
        put_opt(out, p.name.as_deref());
        put_opt(out, p.protocol.as_deref());
        out.extend_from_slice(&p.container_port.to_le_bytes());
    }
}

thread_local! {
    /// Scratch buffer of [`PodInputs::matches`].
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// See [`PodInputs`]: two lanes with different keys.
fn digest128(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&siphash13(0x5a, 0, bytes).to_le_bytes());
    out[8..].copy_from_slice(&siphash13(0xa5, 0, bytes).to_le_bytes());
    out
}

/// SipHash-1-3 (one compression round per 8-byte word, three finalisation rounds) of `bytes`
/// under the 128-bit key (`k0`, `k1`), as specified by Aumasson and Bernstein with the round
/// counts Rust's std uses.
fn siphash13(k0: u64, k1: u64, bytes: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let m = u64::from_le_bytes(w.try_into().expect("8-byte chunk"));
        v[3] ^= m;
        round(&mut v);
        v[0] ^= m;
    }
    let mut last = [0u8; 8];
    let tail = words.remainder();
    last[..tail.len()].copy_from_slice(tail);
    let m = u64::from_le_bytes(last) | ((bytes.len() as u64 & 0xff) << 56);
    v[3] ^= m;
    round(&mut v);
    v[0] ^= m;
    v[2] ^= 0xff;
    for _ in 0..3 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

impl PodInputs {
    pub(super) fn of(pod: PodView<'_>) -> Self {
        SCRATCH.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            podread::encode_inputs(pod, &mut b);
            PodInputs(digest128(&b))
        })
    }
}

/// What one pod converts to.
#[derive(Debug, Clone)]
pub struct Converted {
    inputs: PodInputs,
    /// `nodeLister.Get(nodeName)` when converted: None = not found, Some(zone label).
    pub node: Option<Option<Rc<str>>>,
    /// [`NodeIndex::version`] the node answer was read at.
    node_version: u64,
    /// The last `convert_all` call that used this entry.
    epoch: u64,
    /// `getEndpointPorts`, in the order written to slices (shared by the pods of a port
    /// mapping where the caller can: a Service's pods mostly resolve to one).
    pub ports: Rc<Vec<SlicePort>>,
    pub port_key: Rc<PortMapKey>,
    /// `podToEndpoint` per address type (the Service's address types, in order).
    pub endpoints: PodEndpoints,
}

/// A pod's endpoints, one per address type: the usual single one inline (a vector's own
/// allocation per pod for one pointer).
#[derive(Debug, Clone)]
pub enum PodEndpoints {
    One(Endpoint),
    Many(Box<[Endpoint]>),
}

impl std::ops::Deref for PodEndpoints {
    type Target = [Endpoint];
    fn deref(&self) -> &[Endpoint] {
        match self {
            PodEndpoints::One(e) => std::slice::from_ref(e),
            PodEndpoints::Many(v) => v,
        }
    }
}

impl FromIterator<Endpoint> for PodEndpoints {
    fn from_iter<I: IntoIterator<Item = Endpoint>>(iter: I) -> Self {
        let mut it = iter.into_iter();
        let Some(first) = it.next() else {
            return PodEndpoints::Many(Box::default());
        };
        match it.next() {
            None => PodEndpoints::One(first),
            Some(second) => {
                let mut v = vec![first, second];
                v.extend(it);
                PodEndpoints::Many(v.into_boxed_slice())
            }
        }
    }
}

#[derive(Debug, Clone)]
struct ServiceCache {
    inputs: ServiceInputs,
    by_name: HashMap<String, usize>,
    entries: Vec<Converted>,
    epoch: u64,
}

/// The memo of every Service the controller syncs (see module docs).
#[derive(Debug, Clone, Default)]
pub struct PodEndpointCache {
    services: BTreeMap<String, ServiceCache>,
}

/// A port list and its port-mapping key, shared by the conversions of several pods.
pub(super) type SharedPorts = (Rc<Vec<SlicePort>>, Rc<PortMapKey>);

/// Whether `getEndpointPorts` does not depend on the pod: every target port is a number (a
/// named one is looked up in the pod's containers).
pub(super) fn ports_pod_independent(service: &k8s::Service) -> bool {
    service
        .spec
        .ports
        .iter()
        .flatten()
        .all(|p| matches!(p.target_port, k8s::IntOrString::Int(_)))
}

/// The ports of `pod` (any pod, when [`ports_pod_independent`]) as [`SharedPorts`].
pub(super) fn pod_independent_ports(service: &k8s::Service, pod: PodView<'_>) -> SharedPorts {
    let p = endpoint_ports_of(service, pod);
    let k = PortMapKey::new(&p);
    (Rc::new(p), Rc::new(k))
}

/// `inputs`: `PodInputs::of(pod)` when the caller has it already (the check that found the
/// previous conversion stale computed it).
pub(super) fn convert(
    service: &k8s::Service,
    svc: &ServiceInfo,
    address_types: &[&'static str],
    pod: PodView<'_>,
    nodes: &NodeIndex,
    shared_ports: Option<&SharedPorts>,
    inputs: Option<PodInputs>,
) -> Converted {
    let found = nodes.get_shared(pod.node_name());
    let node = found.map(|(_, z)| z.clone());
    let (ports, port_key) = match shared_ports {
        Some((p, k)) => (Rc::clone(p), Rc::clone(k)),
        None => {
            let p = endpoint_ports_of(service, pod);
            let k = PortMapKey::new(&p);
            (Rc::new(p), Rc::new(k))
        }
    };
    let shared = PodShared::of(pod, node.clone().flatten(), found.map(|(n, _)| n));
    Converted {
        inputs: inputs.unwrap_or_else(|| PodInputs::of(pod)),
        node_version: nodes.version(),
        epoch: 0,
        endpoints: address_types
            .iter()
            .map(|at| view_to_endpoint_shared(pod, svc, at, &shared))
            .collect(),
        node,
        ports,
        port_key,
    }
}

impl Converted {
    /// Whether this conversion is still what `pod` converts to (every input the conversion
    /// read is equal, and the node lookup gives the same answer); refreshes the node
    /// version it was checked at. Err: stale, with the pod's digest when it was computed
    /// (for the conversion that follows).
    pub(super) fn revalidate(
        &mut self,
        pod: PodView<'_>,
        nodes: &NodeIndex,
    ) -> Result<(), Option<PodInputs>> {
        let inputs = PodInputs::of(pod);
        if self.inputs != inputs {
            return Err(Some(inputs));
        }
        if self.node_version != nodes.version() {
            let now = nodes.get(pod.node_name());
            if now != self.node.as_ref().map(Option::as_deref) {
                return Err(Some(inputs));
            }
            self.node_version = nodes.version();
        }
        Ok(())
    }
}

impl PodEndpointCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget a Service.
    pub fn remove_service(&mut self, key: &str) {
        self.services.remove(key);
    }

    /// The conversion of every pod in `pods` (same order), reusing unchanged entries.
    /// `address_types` must be the Service's (`getAddressTypesForService`).
    pub fn convert_all<'a>(
        &'a mut self,
        service: &k8s::Service,
        svc: &ServiceInfo,
        address_types: &[&'static str],
        pods: &[PodView<'_>],
        nodes: &NodeIndex,
    ) -> Vec<&'a Converted> {
        let key = svc.key();
        let fresh = || ServiceCache {
            inputs: ServiceInputs::of(service, svc, address_types),
            by_name: HashMap::new(),
            entries: Vec::new(),
            epoch: 0,
        };
        let cache = self.services.entry(key).or_insert_with(fresh);
        if !cache.inputs.matches(service, svc, address_types) {
            *cache = fresh();
        }
        // Without named targetPorts the ports do not depend on the pod: compute them once
        // per sync that converts anything (the md5 ordering is not free).
        let numeric = ports_pod_independent(service);
        let mut shared_ports: Option<SharedPorts> = None;
        let version = nodes.version();
        cache.epoch += 1;
        let epoch = cache.epoch;
        let mut idx = Vec::with_capacity(pods.len());
        for &pod in pods {
            let name = pod.name();
            let found = cache.by_name.get(name).copied();
            let mut inputs = None;
            let valid = found.is_some_and(|i| {
                let c = &mut cache.entries[i];
                let now = PodInputs::of(pod);
                if c.inputs != now {
                    inputs = Some(now);
                    return false;
                }
                if c.node_version != version {
                    let now = nodes.get(pod.node_name());
                    if now != c.node.as_ref().map(Option::as_deref) {
                        return false;
                    }
                    c.node_version = version;
                }
                true
            });
            if let (true, Some(i)) = (valid, found) {
                cache.entries[i].epoch = epoch;
                idx.push(i);
                continue;
            }
            if numeric && shared_ports.is_none() {
                shared_ports = Some(pod_independent_ports(service, pod));
            }
            let mut c = convert(
                service,
                svc,
                address_types,
                pod,
                nodes,
                shared_ports.as_ref(),
                inputs,
            );
            c.epoch = epoch;
            match found {
                // A second pod of the same name in one call (not possible in a real
                // namespace) gets an unindexed entry, so the first keeps its own.
                Some(i) if cache.entries[i].epoch == epoch => {
                    idx.push(cache.entries.len());
                    cache.entries.push(c);
                }
                Some(i) => {
                    cache.entries[i] = c;
                    idx.push(i);
                }
                None => {
                    let i = cache.entries.len();
                    cache.entries.push(c);
                    cache.by_name.insert(name.to_string(), i);
                    idx.push(i);
                }
            }
        }
        // Drop entries of pods no longer selected once they outnumber the live ones.
        if cache.entries.len() > 2 * pods.len() + 64 {
            let mut remap: HashMap<usize, usize> = HashMap::with_capacity(pods.len());
            let mut entries = Vec::with_capacity(pods.len());
            for i in idx.iter_mut() {
                *i = *remap.entry(*i).or_insert_with(|| {
                    entries.push(cache.entries[*i].clone());
                    entries.len() - 1
                });
            }
            cache.by_name.retain(|_, i| match remap.get(i) {
                Some(&j) => {
                    *i = j;
                    true
                }
                None => false,
            });
            cache.entries = entries;
        }
        let cache = &*cache;
        idx.into_iter().map(|i| &cache.entries[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    /// SipHash-1-3 under keys (0, 0) against values the std default hasher (the same function
    /// as of Rust 1.80–1.9x) gave on 2026-12-07: empty input, a partial word, a full word plus a
    /// tail. The values are written out, so a change of std's algorithm cannot fail this test.
    #[test]
    fn siphash13_matches_reference_values() {
        assert_eq!(super::siphash13(0, 0, b""), 0xd1fb_a762_150c_532c);
        assert_eq!(super::siphash13(0, 0, b"a"), 0x4074_48d2_b89b_1813);
        assert_eq!(
            super::siphash13(0, 0, b"abcdefghijklmno"),
            0x1fd2_7a29_b0e9_dc7a
        );
        // The two digest lanes use different keys.
        assert_ne!(
            super::siphash13(0x5a, 0, b"a"),
            super::siphash13(0xa5, 0, b"a")
        );
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use serde_json::json;

    use super::super::reconcile::ReconcilerOptions;
    use super::super::reconciler::{NodeIndex, Reconciler, SliceWrite};
    use crate::apiserver::{Shared, Store};
    use crate::k8s;

    fn service(named: bool, port: i32, publish: bool, families: &[&str]) -> k8s::Service {
        let target = if named { json!("web") } else { json!(port) };
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid",
                         "creationTimestamp": "2026-01-05T08:55:00Z"},
            "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.10",
                     "ipFamilies": families, "publishNotReadyAddresses": publish,
                     "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                                "targetPort": target}]}
        }))
        .expect("service")
    }

    #[derive(Clone)]
    struct P {
        id: usize,
        node: usize,
        ip: usize,
        ready: bool,
        deleting: bool,
        failed: bool,
        port: i32,
        hostname: bool,
    }

    fn pod(p: &P) -> k8s::Pod {
        let mut meta = json!({"name": format!("web-{}", p.id), "namespace": "ns",
                              "uid": format!("uid-{}", p.id), "labels": {"app": "web"}});
        if p.deleting {
            meta["deletionTimestamp"] = json!("2026-01-05T09:00:00Z");
        }
        let ips = if p.ip % 7 == 0 {
            json!([{"ip": format!("10.0.{}.{}", p.ip / 200, p.ip % 200)},
                   {"ip": format!("fd00::{:x}", p.ip)}])
        } else {
            json!([{"ip": format!("10.0.{}.{}", p.ip / 200, p.ip % 200)}])
        };
        let mut spec = json!({"nodeName": format!("n{}", p.node),
            "containers": [{"name": "c", "ports": [
                {"name": "web", "containerPort": p.port, "protocol": "TCP"}]}]});
        if p.hostname {
            spec["hostname"] = json!(format!("h{}", p.id));
            spec["subdomain"] = json!("web");
        }
        serde_json::from_value(json!({
            "metadata": meta,
            "spec": spec,
            "status": {"phase": if p.failed {"Failed"} else {"Running"},
                       "podIP": format!("10.0.{}.{}", p.ip / 200, p.ip % 200),
                       "podIPs": ips,
                       "conditions": [{"type": "Ready",
                                       "status": if p.ready {"True"} else {"False"}}]}
        }))
        .expect("pod")
    }

    /// A pod's endpoints of both address types hold one shared copy of its targetRef name and
    /// uid, node name and zone, with the values the plain per-field conversion writes.
    #[test]
    fn convert_shares_pod_strings() {
        use super::super::convert::service_info;
        use crate::controllers::endpoints::PodView;
        let mut nodes = NodeIndex::default();
        nodes.insert("n1".to_string(), Some("zone-a".to_string()));
        nodes.insert("n2".to_string(), None);
        let ats = ["IPv4", "IPv6"];
        let svc = service(false, 8080, false, &ats);
        let info = service_info(&svc);
        for (id, node, ip) in [(1, 1, 7), (2, 2, 14), (3, 1, 21), (4, 3, 28)] {
            let p = P {
                id,
                node,
                ip,
                ready: id % 2 == 0,
                deleting: id == 3,
                failed: false,
                port: 8080,
                hostname: id == 2,
            };
            let k = pod(&p);
            let c = super::convert(&svc, &info, &ats, PodView::Api(&k), &nodes, None, None);
            assert_eq!(c.endpoints.len(), 2);
            let zone = (node == 1).then_some("zone-a");
            for e in c.endpoints.iter() {
                let t = e.target_ref.as_ref().expect("targetRef");
                assert_eq!(
                    (&*t.kind, &*t.namespace, &*t.name, &*t.uid),
                    (
                        "Pod",
                        "ns",
                        format!("web-{id}").as_str(),
                        format!("uid-{id}").as_str()
                    )
                );
                assert_eq!(e.node_name.as_deref(), Some(format!("n{node}").as_str()));
                assert_eq!(e.zone.as_deref(), zone);
            }
            let (a, b) = (&c.endpoints[0], &c.endpoints[1]);
            let (ta, tb) = (
                a.target_ref.as_ref().unwrap(),
                b.target_ref.as_ref().unwrap(),
            );
            assert!(std::rc::Rc::ptr_eq(&ta.name, &tb.name));
            assert!(std::rc::Rc::ptr_eq(&ta.uid, &tb.uid));
            assert_eq!(a.addresses, vec![format!("10.0.0.{ip}")]);
            assert_eq!(b.addresses, vec![format!("fd00::{ip:x}")]);
        }
    }

    /// The memoised conversion gives exactly what converting every pod afresh gives
    /// (same writes, same errors, same random stream use) after random sequences of pod,
    /// node and Service changes.
    #[test]
    fn cached_reconcile_equals_uncached() {
        for seed in 0..12u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let opts = ReconcilerOptions {
                max_endpoints_per_slice: 7,
                ..Default::default()
            };
            let mut cached = Reconciler::new(opts);
            let mut plain = Reconciler::new(opts);
            let (mut cached_rng, mut plain_rng) = (
                ChaCha8Rng::seed_from_u64(seed),
                ChaCha8Rng::seed_from_u64(seed),
            );
            plain.use_pod_cache = false;
            let mut nodes = NodeIndex::default();
            for n in 0..5 {
                nodes.insert(format!("n{n}"), Some(format!("zone-{}", n % 3)));
            }
            let mut pods: Vec<P> = Vec::new();
            let mut next_id = 0;
            let (mut named, mut port, mut publish, mut dual) = (true, 8080, false, false);
            let mut store: Store<k8s::EndpointSlice> = Store::new();
            let mut sh = Shared::new(seed, "t0".into());
            for step in 0..60 {
                let changes = rng.gen_range(1..6);
                for _ in 0..changes {
                    match rng.gen_range(0..14) {
                        0..=2 => {
                            next_id += 1;
                            pods.push(P {
                                id: next_id,
                                node: rng.gen_range(0..6),
                                ip: next_id,
                                ready: rng.gen_bool(0.7),
                                deleting: false,
                                failed: false,
                                port: 8080,
                                hostname: rng.gen_bool(0.2),
                            });
                        }
                        3 if !pods.is_empty() => {
                            let i = rng.gen_range(0..pods.len());
                            pods.remove(i);
                        }
                        4..=5 if !pods.is_empty() => {
                            let i = rng.gen_range(0..pods.len());
                            pods[i].ready = !pods[i].ready;
                        }
                        6 if !pods.is_empty() => {
                            let i = rng.gen_range(0..pods.len());
                            pods[i].deleting = true;
                        }
                        7 if !pods.is_empty() => {
                            let i = rng.gen_range(0..pods.len());
                            pods[i].ip += 1000;
                            pods[i].failed = rng.gen_bool(0.2);
                        }
                        8 if !pods.is_empty() => {
                            let i = rng.gen_range(0..pods.len());
                            pods[i].port = [8080, 9090][rng.gen_range(0..2)];
                            pods[i].node = rng.gen_range(0..6);
                        }
                        9 => {
                            let n = rng.gen_range(0..6);
                            let z = ["zone-0", "zone-1", "", "zone-9"][rng.gen_range(0..4)];
                            nodes.insert(format!("n{n}"), (!z.is_empty()).then(|| z.into()));
                        }
                        10 => nodes.remove(&format!("n{}", rng.gen_range(0..6))),
                        11 => named = !named,
                        12 => {
                            port = [8080, 9090][rng.gen_range(0..2)];
                            publish = rng.gen_bool(0.3);
                        }
                        _ => dual = !dual,
                    }
                }
                let families: &[&str] = if dual { &["IPv4", "IPv6"] } else { &["IPv4"] };
                let svc = service(named, port, publish, families);
                let k8s_pods: Vec<k8s::Pod> = pods.iter().map(pod).collect();
                let refs: Vec<&k8s::Pod> = k8s_pods.iter().collect();
                let existing: Vec<k8s::EndpointSlice> = store.list().into_iter().cloned().collect();
                let a = cached.reconcile(&svc, &refs, &existing, &nodes, None, &mut cached_rng);
                let b = plain.reconcile(&svc, &refs, &existing, &nodes, None, &mut plain_rng);
                assert_eq!(a.writes, b.writes, "seed {seed} step {step}");
                assert_eq!(a.errors, b.errors, "seed {seed} step {step}");
                assert_eq!(a.metrics, b.metrics, "seed {seed} step {step}");
                assert_eq!(cached_rng.gen::<u64>(), plain_rng.gen::<u64>());
                for w in a.writes {
                    match w {
                        SliceWrite::Create(s) => {
                            store.create(&mut sh, s).expect("create");
                        }
                        SliceWrite::Update(s) => {
                            store.update(&mut sh, s).expect("update");
                        }
                        SliceWrite::Delete(s) => {
                            store
                                .delete("ns", s.metadata.name.as_deref().unwrap_or(""))
                                .expect("delete");
                        }
                    }
                }
            }
            assert!(next_id > 20, "the sequence exercised pods");
        }
    }
}

/// The compact pod inputs against the field-by-field copies they replaced.
#[cfg(test)]
mod input_tests {
    use super::{container_ports, is_pod_ready, PodInputs};
    use crate::controllers::endpoints::PodView;
    use crate::k8s;
    use proptest::prelude::*;
    use serde_json::json;

    /// The fields as the former `PodInputs` struct held them (the straightforward version).
    type Fields = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<String>,
        bool,
        bool,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<(Option<String>, Option<String>, i32)>,
    );

    fn fields(pod: &k8s::Pod) -> Fields {
        (
            pod.metadata.uid.clone(),
            pod.metadata.namespace.clone(),
            pod.status.phase.clone(),
            pod.status.pod_ip.clone(),
            pod.status
                .pod_ips
                .iter()
                .flatten()
                .map(|p| p.ip.clone())
                .collect(),
            pod.metadata.deletion_timestamp.is_some(),
            is_pod_ready(pod),
            pod.spec.node_name.clone(),
            pod.spec.hostname.clone(),
            pod.spec.subdomain.clone(),
            container_ports(pod)
                .map(|p| (p.name.clone(), p.protocol.clone(), p.container_port))
                .collect(),
        )
    }

    /// Few short texts (empty, prefixes of each other) so that neighbouring fields can swap
    /// characters: "ab"+"c" against "a"+"bc".
    fn text() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            Just(Some(String::new())),
            Just(Some("a".to_string())),
            Just(Some("ab".to_string())),
            Just(Some("b".to_string())),
            Just(Some("bc".to_string())),
        ]
    }

    prop_compose! {
        fn pod()(
            t in proptest::collection::vec(text(), 9),
            ips in proptest::collection::vec(text(), 0..3),
            ports in proptest::collection::vec((text(), text(), 0..3i32), 0..3),
            split in 0..2usize,
            deleting in any::<bool>(),
            ready in any::<bool>(),
        ) -> k8s::Pod {
            let opt = |v: &Option<String>| v.clone().map_or(json!(null), |s| json!(s));
            let ips: Vec<_> = ips.iter().flatten().map(|ip| json!({"ip": ip})).collect();
            let ports: Vec<_> = ports
                .iter()
                .map(|(n, p, c)| json!({"name": opt(n), "protocol": opt(p), "containerPort": c}))
                .collect();
            // The ports over one or two containers (the same flattened list either way).
            let containers = if split == 0 || ports.is_empty() {
                json!([{"name": "c", "ports": ports}])
            } else {
                json!([{"name": "c", "ports": ports[..1]}, {"name": "d", "ports": ports[1..]}])
            };
            let mut meta = json!({"name": "p", "uid": opt(&t[0]), "namespace": opt(&t[1])});
            if deleting {
                meta["deletionTimestamp"] = json!("2026-01-05T09:00:00Z");
            }
            serde_json::from_value(json!({
                "metadata": meta,
                "spec": {"nodeName": opt(&t[2]), "hostname": opt(&t[3]), "subdomain": opt(&t[4]),
                         "containers": containers},
                "status": {"phase": opt(&t[5]), "podIP": opt(&t[6]), "podIPs": ips,
                           "conditions": [{"type": "Ready",
                                           "status": if ready {"True"} else {"False"}}]}
            }))
            .expect("pod")
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Two pods' encoded inputs are equal exactly when the fields are; `matches` agrees.
        #[test]
        fn encoded_inputs_equal_iff_fields_equal(a in pod(), b in pod()) {
            let same = fields(&a) == fields(&b);
            let (a, b) = (PodView::Api(&a), PodView::Api(&b));
            prop_assert_eq!(PodInputs::of(a) == PodInputs::of(b), same);
            prop_assert!(PodInputs::of(a) == PodInputs::of(a));
        }
    }
}
