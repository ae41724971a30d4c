//! EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring).
//!
//! Models the 1.32 sync path (kubernetes/kubernetes :: pkg/controller/endpointslicemirroring ::
//! endpointslicemirroring_controller.go :: syncEndpoints, shouldMirror, deleteMirroredSlices;
//! reconciler.go :: reconcile, reconcileByPortMapping, finalize, deleteEndpoints, totalChanges;
//! reconciler_helpers.go :: desiredCalc.initPorts/addAddress, recycleSlices, removeSlice;
//! utils.go :: newEndpointSlice, addressToEndpoint, getAddressType, epPortsToEpsPorts,
//! cloneAndRemoveKeys, skipMirror, hasLeaderElection), as read in the source and pinned by the
//! conformance traces in `tests/data/conformance/mirroring`.
//!
//! One [`MirroringController::sync`] is one `syncEndpoints(key)`:
//! 1. no Endpoints, label `endpointslice.kubernetes.io/skip-mirror: "true"` (exact value),
//!    annotation `control-plane.alpha.kubernetes.io/leader`, no Service, or a Service with a
//!    non-nil selector (`{}` included, as in Go on a decoded object) → delete every mirrored
//!    slice of the key (each delete attempted);
//! 2. otherwise reconcile against the key's mirrored slices in creation order (lister order
//!    upstream is map order; creation order is the documented deterministic choice):
//!    - subsets are canonicalised with `RepackSubsets` (appProtocol ports keep per-entry pointer
//!      identity, so they never merge across subsets, see [`crate::controllers::endpoints::repack`]);
//!    - per repacked subset, keys for IPv4 AND IPv6 (family + port-map key) are registered (an
//!      unused one stays empty, which deletes its existing slices); ready addresses, then
//!      not-ready ones, become endpoints `{addresses:[ip], conditions:{ready}, targetRef,
//!      nodeName, hostname}` until `maxEndpointsPerSubset` addresses of THIS subset were taken
//!      (both families together); an address `ParseIPSloppy` rejects is skipped; endpoints are
//!      de-duplicated per key by (IP, hostname, targetRef namespace/name);
//!    - per key: nothing desired → delete its slices; no slice → create one; else delete all but
//!      the first and keep the first untouched iff no endpoint is added/removed/changed
//!      (`EndpointsEqualBeyondHash`) AND the Endpoints labels equal the slice labels minus
//!      service-name/managed-by (the Endpoints' own labels are NOT stripped: an Endpoints that
//!      carries either label is rewritten on every sync) AND the Endpoints annotations minus
//!      trigger-time/last-applied equal the slice annotations; otherwise rebuild it in full with
//!      at most `maxEndpointsPerSubset` endpoints (same name → update);
//!    - slices of keys no longer desired are deleted;
//!    - `recycleSlices` turns create+delete pairs of the same address type into updates —
//!      including upstream's bug: `removeSlice` matches by `Name`, and pending creates all have
//!      `Name == ""`, so the FIRST pending create is dropped, which may be the other family's;
//!      the recycled slice (now named like an existing slice) stays in the create list and its
//!      Create fails with AlreadyExists, aborting the sync before any update or delete;
//!    - creates (skipped while the Endpoints has a deletionTimestamp), then updates, then
//!      deletes; the first failed call aborts the sync (earlier calls stay and count).
//!
//! Nondeterminism upstream (Go map order) and the choices made here:
//! - keys are reconciled in sorted order (address type "IPv4" < "IPv6", then port key), so
//!   the create list holds IPv4 slices before IPv6 ones; `recycleSlices` visits address types
//!   in sorted order too. With one key per family this always takes the successful branch of
//!   the recycling bug (observed in 16 of 20 upstream runs of `mirror-dualstack-skip-selector`
//!   step 12); with several port keys per family the bug still fires, as upstream can;
//! - `EndpointSet.PopAny` is replaced by the desired set's insertion order (repacked subsets in
//!   order, ready addresses before not-ready ones, each in IP-string order), so which endpoints
//!   fill a slice that cannot hold the whole desired set is deterministic (upstream: random;
//!   only the membership of such an over-full slice depends on it, never the counts);
//! - slices of undesired keys are deleted in key order.
//!
//! Not modelled: the mirroring EndpointSliceTracker's stale-cache refusal (with a synchronous
//! store, as in the conformance replay, the listed slices are never behind this controller's
//! own writes), metrics and events (they issue no EndpointSlice writes).

use std::collections::BTreeMap;

use crate::apiserver::{ApiError, Shared, Store};
use crate::controllers::deephash::{hash_discovery_endpoint_port_hex, DiscoveryEndpointPortView};
use crate::controllers::endpoints::repack::{repack_subsets, PortIdentity};
use crate::controllers::endpoints::{ip_family, service_selector, IpFamily};
use crate::controllers::trigger_time::LAST_CHANGE_TRIGGER_TIME;
use crate::controllers::util::{EndpointIdentity, EndpointKey, EndpointSet, PortMapKey, SlicePort};
use crate::k8s::{
    self, EndpointConditions, EndpointSlice, Endpoints, ObjectMeta, OwnerReference,
    SliceEndpointPort,
};

/// `endpointslice.kubernetes.io/managed-by` value of this controller.
pub const CONTROLLER_NAME: &str = "endpointslicemirroring-controller.k8s.io";
/// Label keys.
pub use crate::k8s::labels::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME};
pub const LABEL_SKIP_MIRROR: &str = "endpointslice.kubernetes.io/skip-mirror";
/// Annotation keys.
pub const ANNOTATION_LEADER: &str = "control-plane.alpha.kubernetes.io/leader";
pub const ANNOTATION_LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Default `--mirroring-max-endpoints-per-subset`.
pub const DEFAULT_MAX_ENDPOINTS_PER_SUBSET: usize = 1000;

const ADDRESS_TYPES: [&str; 2] = ["IPv4", "IPv6"];

/// Options of the mirroring controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MirroringOptions {
    /// `--mirroring-max-endpoints-per-subset` (1..=1000, default 1000).
    pub max_endpoints_per_subset: usize,
}

impl Default for MirroringOptions {
    fn default() -> Self {
        MirroringOptions {
            max_endpoints_per_subset: DEFAULT_MAX_ENDPOINTS_PER_SUBSET,
        }
    }
}

/// API calls one sync issued (successful ones only) and the error that stopped it, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorSyncOutcome {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub error: Option<ApiError>,
}

/// The mirroring controller. Stateless across syncs apart from its options (see module docs).
#[derive(Debug, Clone, Default)]
pub struct MirroringController {
    opts: MirroringOptions,
}

fn s<T: AsRef<str>>(o: &Option<T>) -> &str {
    o.as_ref().map_or("", AsRef::as_ref)
}

/// Slices of `namespace/name` managed by this controller, in creation order
/// (`endpointSlicesMirroredForService`: labels service-name=name, managed-by=mirroring).
pub fn mirrored_slices<'a>(
    store: &'a Store<EndpointSlice>,
    namespace: &str,
    name: &str,
) -> Vec<&'a EndpointSlice> {
    store
        .list()
        .into_iter()
        .filter(|es| {
            s(&es.metadata.namespace) == namespace
                && es.metadata.labels.as_ref().is_some_and(|l| {
                    l.get(LABEL_SERVICE_NAME).map(String::as_str) == Some(name)
                        && l.get(LABEL_MANAGED_BY).map(String::as_str) == Some(CONTROLLER_NAME)
                })
        })
        .collect()
}

/// `shouldMirror`: the Endpoints exists, has no `skip-mirror: "true"` label and no
/// leader-election annotation.
pub fn should_mirror(endpoints: Option<&Endpoints>) -> bool {
    let Some(ep) = endpoints else {
        return false;
    };
    let skip = ep
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL_SKIP_MIRROR))
        .is_some_and(|v| v == "true");
    let leader = ep
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(ANNOTATION_LEADER));
    !skip && !leader
}

/// Endpoint wrapper giving `k8s::Endpoint` the upstream identity (`hashEndpoint`).
#[derive(Debug, Clone)]
struct MEndpoint(k8s::Endpoint);

impl EndpointIdentity for MEndpoint {
    fn endpoint_key(&self) -> EndpointKey {
        endpoint_key(&self.0)
    }
}

fn endpoint_key(e: &k8s::Endpoint) -> EndpointKey {
    let mut addresses = e.address_list().to_vec();
    addresses.sort();
    EndpointKey {
        addresses,
        hostname: s(&e.hostname).to_string(),
        target_namespace: e
            .target_ref
            .as_ref()
            .map_or(String::new(), |r| s(&r.namespace).to_string()),
        target_name: e
            .target_ref
            .as_ref()
            .map_or(String::new(), |r| s(&r.name).to_string()),
    }
}

/// `EndpointsEqualBeyondHash` (k8s.io/endpointslice util, v0.32): nodeName, zone, the three
/// conditions (nil-ness and value) and targetRef (semantic, resourceVersion ignored).
fn equal_beyond_hash(a: &k8s::Endpoint, b: &k8s::Endpoint) -> bool {
    let tr = |r: &k8s::ObjectReference| {
        (
            s(&r.kind).to_string(),
            s(&r.namespace).to_string(),
            s(&r.name).to_string(),
            s(&r.uid).to_string(),
            s(&r.api_version).to_string(),
            s(&r.field_path).to_string(),
        )
    };
    a.node_name == b.node_name
        && a.zone == b.zone
        && a.conditions.ready == b.conditions.ready
        && a.conditions.serving == b.conditions.serving
        && a.conditions.terminating == b.conditions.terminating
        && a.target_ref.as_ref().map(tr) == b.target_ref.as_ref().map(tr)
}

fn slice_port_of(p: &SliceEndpointPort) -> SlicePort {
    SlicePort {
        name: p.name.clone(),
        port: p.port,
        protocol: p.protocol.clone(),
        app_protocol: p.app_protocol.clone(),
    }
}

fn discovery_view(p: &SliceEndpointPort) -> DiscoveryEndpointPortView<'_> {
    DiscoveryEndpointPortView {
        name: p.name.as_deref(),
        protocol: p.protocol.as_deref(),
        port: p.port,
        app_protocol: p.app_protocol.as_deref(),
    }
}

/// Key of a slice: (address type, port-map key of its ports). nil and empty port lists give the
/// same key (the stored slices this controller wrote always hold the non-nil list it sent).
fn slice_key(address_type: &str, ports: &[SliceEndpointPort]) -> (String, PortMapKey) {
    let sp: Vec<SlicePort> = ports.iter().map(slice_port_of).collect();
    (address_type.to_string(), PortMapKey::new(&sp))
}

/// `epPortsToEpsPorts` + `NewPortMapKey`'s in-place sort: every field becomes a pointer
/// (name/protocol "" included), order = md5 of each port's dump.
fn eps_ports(ports: Option<&[k8s::EndpointPort]>) -> Vec<SliceEndpointPort> {
    let mut v: Vec<SliceEndpointPort> = ports
        .unwrap_or(&[])
        .iter()
        .map(|p| SliceEndpointPort {
            name: Some(s(&p.name).to_string()),
            protocol: Some(s(&p.protocol).to_string()),
            port: Some(p.port),
            app_protocol: p.app_protocol.clone(),
        })
        .collect();
    v.sort_by_cached_key(|p| hash_discovery_endpoint_port_hex(&discovery_view(p)));
    v
}

/// `addressToEndpoint` (1.32: the IP string is copied as is).
fn address_to_endpoint(a: &k8s::EndpointAddress, ready: bool) -> k8s::Endpoint {
    k8s::Endpoint {
        addresses: Some(vec![a.ip.clone()]),
        conditions: EndpointConditions {
            ready: Some(ready),
            serving: None,
            terminating: None,
        },
        hostname: a.hostname.clone().filter(|h| !h.is_empty()),
        target_ref: a.target_ref.clone(),
        node_name: a.node_name.clone(),
        ..Default::default()
    }
}

/// `getEndpointSlicePrefix`: `<name>-` unless that is not a valid generateName prefix.
fn slice_prefix(name: &str) -> String {
    if name.len() < 253 {
        format!("{name}-")
    } else {
        name.to_string()
    }
}

fn clone_and_remove(
    m: Option<&BTreeMap<String, String>>,
    keys: &[&str],
) -> BTreeMap<String, String> {
    let mut out = m.cloned().unwrap_or_default();
    for k in keys {
        out.remove(*k);
    }
    out
}

/// `newEndpointSlice(endpoints, ports, addrType, sliceName)`.
fn new_endpoint_slice(
    ep: &Endpoints,
    ports: &[SliceEndpointPort],
    address_type: &str,
    slice_name: &str,
) -> EndpointSlice {
    let name = s(&ep.metadata.name);
    let mut labels = ep.metadata.labels.clone().unwrap_or_default();
    labels.insert(LABEL_SERVICE_NAME.to_string(), name.to_string());
    labels.insert(LABEL_MANAGED_BY.to_string(), CONTROLLER_NAME.to_string());
    let annotations = clone_and_remove(
        ep.metadata.annotations.as_ref(),
        &[LAST_CHANGE_TRIGGER_TIME, ANNOTATION_LAST_APPLIED],
    );
    EndpointSlice {
        kind: None,
        api_version: None,
        metadata: ObjectMeta {
            name: if slice_name.is_empty() {
                None
            } else {
                Some(slice_name.to_string())
            },
            generate_name: if slice_name.is_empty() {
                Some(slice_prefix(name))
            } else {
                None
            },
            namespace: ep.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: if annotations.is_empty() {
                None
            } else {
                Some(annotations)
            },
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".to_string(),
                kind: "Endpoints".to_string(),
                name: name.to_string(),
                uid: s(&ep.metadata.uid).to_string(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        },
        address_type: address_type.to_string(),
        endpoints: Some(Vec::new()),
        ports: Some(ports.to_vec()),
    }
}

struct Desired {
    ports: Vec<SliceEndpointPort>,
    set: EndpointSet<MEndpoint>,
}

impl MirroringController {
    pub fn new(opts: MirroringOptions) -> Self {
        MirroringController { opts }
    }

    pub fn options(&self) -> MirroringOptions {
        self.opts
    }

    /// One `syncEndpoints(namespace/name)` against the slices in `store` (see module docs).
    /// THE mirroring sync: the simulator's controller manager and the conformance replay
    /// ([`replay::replay`], `slicesim mirror`) both call it. It draws no choice stream (the
    /// PopAny emulation is insertion order); names and UIDs come from `shared`.
    pub fn sync(
        &mut self,
        namespace: &str,
        name: &str,
        service: Option<&k8s::Service>,
        endpoints: Option<&Endpoints>,
        store: &mut Store<EndpointSlice>,
        shared: &mut Shared,
    ) -> MirrorSyncOutcome {
        let mirror =
            should_mirror(endpoints) && service.is_some_and(|svc| service_selector(svc).is_none());
        match endpoints {
            Some(ep) if mirror => self.reconcile(namespace, name, ep, store, shared),
            _ => delete_all(store, namespace, name),
        }
    }

    fn reconcile(
        &self,
        namespace: &str,
        name: &str,
        ep: &Endpoints,
        store: &mut Store<EndpointSlice>,
        shared: &mut Shared,
    ) -> MirrorSyncOutcome {
        let max = self.opts.max_endpoints_per_subset;

        // Desired state.
        let subsets = repack_subsets(
            ep.subsets.as_deref().unwrap_or(&[]),
            PortIdentity::PerOccurrence,
        );
        let mut desired: BTreeMap<(String, PortMapKey), Desired> = BTreeMap::new();
        for sub in &subsets {
            let ports = eps_ports(sub.ports.as_deref());
            let mut keys = BTreeMap::new();
            for at in ADDRESS_TYPES {
                let key = slice_key(at, &ports);
                desired
                    .entry(key.clone())
                    .or_insert_with(|| Desired {
                        ports: Vec::new(),
                        set: EndpointSet::new(),
                    })
                    .ports = ports.clone();
                keys.insert(at, key);
            }
            let mut added = 0usize;
            let lists = [
                (sub.addresses.as_deref(), true),
                (sub.not_ready_addresses.as_deref(), false),
            ];
            for (list, ready) in lists {
                for a in list.unwrap_or(&[]) {
                    if added >= max {
                        break;
                    }
                    let at = match ip_family(&a.ip) {
                        Some(IpFamily::V4) => "IPv4",
                        Some(IpFamily::V6) => "IPv6",
                        None => continue, // InvalidIPAddress event upstream
                    };
                    if let Some(d) = keys.get(at).and_then(|k| desired.get_mut(k)) {
                        d.set.insert(MEndpoint(address_to_endpoint(a, ready)));
                    }
                    added += 1;
                }
            }
        }

        // Existing state, grouped by key in listing (creation) order.
        let mut existing: BTreeMap<(String, PortMapKey), Vec<EndpointSlice>> = BTreeMap::new();
        for es in mirrored_slices(store, namespace, name) {
            existing
                .entry(slice_key(&es.address_type, es.port_list()))
                .or_default()
                .push(es.clone());
        }

        // slicesByAction: creates/updates live in an arena so recycling can rename them in place.
        let mut arena: Vec<EndpointSlice> = Vec::new();
        let mut to_create: Vec<usize> = Vec::new();
        let mut to_update: Vec<usize> = Vec::new();
        let mut to_delete: Vec<EndpointSlice> = Vec::new();
        let cmp_annotations = clone_and_remove(
            ep.metadata.annotations.as_ref(),
            &[LAST_CHANGE_TRIGGER_TIME, ANNOTATION_LAST_APPLIED],
        );
        let ep_labels = ep.metadata.labels.clone().unwrap_or_default();

        let desired_keys: std::collections::BTreeSet<(String, PortMapKey)> =
            desired.keys().cloned().collect();
        for (key, dd) in desired {
            let ex = existing.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            if dd.set.is_empty() {
                to_delete.extend(ex.iter().cloned());
                continue;
            }
            let mut slice_name = String::new();
            if let Some(first) = ex.first() {
                to_delete.extend(ex[1..].iter().cloned());
                // totalChanges(existingSlices[0], desiredSet)
                let (mut removed, mut updated, mut matches) = (0usize, 0usize, 0usize);
                for e in first.endpoint_list() {
                    match dd.set.get(&endpoint_key(e)) {
                        None => removed += 1,
                        Some(want) => {
                            matches += 1;
                            if !equal_beyond_hash(&want.0, e) {
                                updated += 1;
                            }
                        }
                    }
                }
                let added = dd.set.len().saturating_sub(matches);
                let slice_labels = clone_and_remove(
                    first.metadata.labels.as_ref(),
                    &[LABEL_MANAGED_BY, LABEL_SERVICE_NAME],
                );
                let slice_annotations = first.metadata.annotations.clone().unwrap_or_default();
                if added == 0
                    && updated == 0
                    && removed == 0
                    && ep_labels == slice_labels
                    && cmp_annotations == slice_annotations
                {
                    continue;
                }
                slice_name = s(&first.metadata.name).to_string();
            }
            let mut slice = new_endpoint_slice(ep, &dd.ports, &key.0, &slice_name);
            // PopAny emulation: desired-set insertion order (see module docs).
            let eps: Vec<k8s::SharedValue<k8s::Endpoint>> = dd
                .set
                .iter()
                .take(max)
                .map(|e| k8s::SharedValue::new(e.0.clone()))
                .collect();
            slice.endpoints = Some(eps);
            arena.push(slice);
            if slice_name.is_empty() {
                to_create.push(arena.len() - 1);
            } else {
                to_update.push(arena.len() - 1);
            }
        }
        for (key, ex) in &existing {
            if !desired_keys.contains(key) {
                to_delete.extend(ex.iter().cloned());
            }
        }

        // finalize: recycleSlices (with removeSlice's match-by-Name quirk).
        let mut create_by_type: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &to_create {
            create_by_type
                .entry(arena[i].address_type.clone())
                .or_default()
                .push(i);
        }
        let mut delete_by_type: BTreeMap<String, Vec<EndpointSlice>> = BTreeMap::new();
        for d in &to_delete {
            delete_by_type
                .entry(d.address_type.clone())
                .or_default()
                .push(d.clone());
        }
        for (at, creates) in &create_by_type {
            let deletes = delete_by_type.get(at).map(Vec::as_slice).unwrap_or(&[]);
            for (&ci, del) in creates.iter().zip(deletes) {
                let target_name = s(&arena[ci].metadata.name).to_string();
                if let Some(pos) = to_create
                    .iter()
                    .position(|&j| s(&arena[j].metadata.name) == target_name)
                {
                    to_create.remove(pos);
                }
                let del_name = s(&del.metadata.name).to_string();
                if let Some(pos) = to_delete
                    .iter()
                    .position(|x| s(&x.metadata.name) == del_name)
                {
                    to_delete.remove(pos);
                }
                arena[ci].metadata.name = Some(del_name);
                to_update.push(ci);
            }
        }

        let mut out = MirrorSyncOutcome::default();
        if ep.metadata.deletion_timestamp.is_none() {
            for &i in &to_create {
                match store.create(shared, arena[i].clone()) {
                    Ok(_) => out.created += 1,
                    Err(e) => {
                        out.error = Some(e);
                        return out;
                    }
                }
            }
        }
        for &i in &to_update {
            match store.update(shared, arena[i].clone()) {
                Ok(_) => out.updated += 1,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
        for d in &to_delete {
            match store.delete(s(&d.metadata.namespace), s(&d.metadata.name)) {
                Ok(_) => out.deleted += 1,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
        out
    }
}

/// `deleteMirroredSlices` → `deleteEndpoints`: every listed slice is deleted; failures are
/// collected, not aborting.
fn delete_all(store: &mut Store<EndpointSlice>, namespace: &str, name: &str) -> MirrorSyncOutcome {
    let names: Vec<String> = mirrored_slices(store, namespace, name)
        .iter()
        .map(|es| s(&es.metadata.name).to_string())
        .collect();
    let mut out = MirrorSyncOutcome::default();
    for n in names {
        match store.delete(namespace, &n) {
            Ok(_) => out.deleted += 1,
            Err(e) => out.error = Some(e),
        }
    }
    out
}

pub mod replay;

#[cfg(test)]
mod tests;
