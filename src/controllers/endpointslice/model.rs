//! Compact internal representation the reconciler computes with.
//!
//! These are *not* a copy of the Kubernetes types (those live in `crate::k8s`):
//! they hold only what the reconcile algorithm reads or writes, with plain
//! owned values, so one sync allocates little beyond the endpoints it touches.
//! `convert` maps them to and from `crate::k8s` objects at the boundary.

use std::cell::{Cell, OnceCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::controllers::util::{
    identity_hash, identity_hash_of_ref, EndpointIdentity, EndpointKey, EndpointKeyRef,
    EqualBeyondHash, SlicePort,
};
use crate::k8s::{self, SharedValue};

/// `discovery.k8s.io/v1` address types the controller manages.
pub const ADDRESS_TYPE_IPV4: &str = "IPv4";
pub const ADDRESS_TYPE_IPV6: &str = "IPv6";

/// Label keys and values (k8s.io/api discovery/v1 and core/v1 well-known labels).
pub use crate::k8s::labels::{LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_ZONE};
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
pub const ANNOTATION_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
pub const ANNOTATION_TOPOLOGY_MODE: &str = "service.kubernetes.io/topology-mode";
pub const ANNOTATION_TOPOLOGY_AWARE_HINTS: &str = "service.kubernetes.io/topology-aware-hints";

/// `targetRef` of an endpoint (kind, namespace, name, uid; upstream never sets
/// resourceVersion/apiVersion/fieldPath for pods).
/// Kind and namespace are shared copies ([`crate::controllers::util::intern`]); name and uid
/// are shared by a pod's endpoints of both address types and, for the name, by the
/// incremental state's pod record (one copy per pod instead of three).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetRef {
    pub kind: Rc<str>,
    pub namespace: Rc<str>,
    pub name: Rc<str>,
    pub uid: Rc<str>,
}

/// One endpoint of a slice: a shared immutable [`EndpointData`].
///
/// The same endpoint sits in the per-pod conversion memo, the desired sets, the cached slice
/// models and every slice built for a write; a big Service's update rewrites a 100-endpoint
/// slice for one changed pod, and sharing makes taking over the 99 others a pointer copy
/// (upstream copies the structs too, but Go's copies are cheap). Reading is through `Deref`;
/// writing (`DerefMut`, only hints are ever rewritten) copies the value first when another
/// holder shares it, so no holder sees another's change. Equality, ordering of fields and
/// `Debug` are the value's.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Endpoint(Rc<EndpointData>);

impl Endpoint {
    pub fn new(data: EndpointData) -> Self {
        Endpoint(Rc::new(data))
    }
    /// Whether both hold the very same allocation.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }
    /// Set `hints` and `hint_nodes`; a shared value is copied only when they change (hint
    /// passes rewrite every endpoint of a written slice, most to what they already hold).
    pub fn set_hints(&mut self, zones: Option<Vec<String>>, nodes: Vec<String>) {
        if self.hints() != zones.as_ref() || self.hint_nodes() != nodes {
            let d = &mut **self;
            d.hint = zones.map(|zones| Box::new(Hints { zones, nodes }));
        }
    }
}

impl From<EndpointData> for Endpoint {
    fn from(d: EndpointData) -> Self {
        Endpoint::new(d)
    }
}

impl std::ops::Deref for Endpoint {
    type Target = EndpointData;
    fn deref(&self) -> &EndpointData {
        &self.0
    }
}

/// Copy-on-write; empties the memo of the written form (the value is about to change).
impl std::ops::DerefMut for Endpoint {
    fn deref_mut(&mut self) -> &mut EndpointData {
        let d = Rc::make_mut(&mut self.0);
        d.k8s = K8sMemo::default();
        d
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (*self.0).fmt(f)
    }
}

/// The value of an [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointData {
    pub addresses: Vec<String>,
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
    pub hostname: Option<String>,
    pub target_ref: Option<TargetRef>,
    /// Node name and zone are shared copies ([`crate::controllers::util::intern`]).
    pub node_name: Option<Rc<str>>,
    pub zone: Option<Rc<str>>,
    /// The `hints` object; `None` = none at all. Boxed: nearly every endpoint has none, and
    /// inline the two lists cost 48 bytes in each of them.
    pub hint: Option<Box<Hints>>,
    /// Memo of [`EndpointIdentity::identity_hash`]: a big Service's endpoints are hashed
    /// on every sync otherwise. Filled on first use; the identity fields (addresses,
    /// hostname, targetRef namespace/name) must not change afterwards (nothing mutates
    /// them: only hints are rewritten after an endpoint is built).
    pub id_hash: IdHashMemo,
    /// Memo of the endpoint as a slice write carries it (`convert::endpoint_to_k8s_shared`):
    /// every version of a slice written with this endpoint, the store and the client caches
    /// hold that one value. Emptied by every write through [`Endpoint`]'s `DerefMut` and by
    /// `clone`.
    pub k8s: K8sMemo,
}

/// An endpoint's `hints` ([`EndpointData::hint`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hints {
    /// `hints.forZones[*].name`.
    pub zones: Vec<String>,
    /// `hints.forNodes[*].name` (k8s.io/api v0.33+, written for `PreferSameNode`; empty: none).
    pub nodes: Vec<String>,
}

/// See [`EndpointData::k8s`]; takes no part in equality or debug output.
#[derive(Default)]
pub struct K8sMemo(pub(crate) OnceCell<SharedValue<k8s::Endpoint>>);

/// A copy is made to be changed: it starts without the memo.
impl Clone for K8sMemo {
    fn clone(&self) -> Self {
        K8sMemo::default()
    }
}
impl PartialEq for K8sMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for K8sMemo {}
impl std::fmt::Debug for K8sMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

/// A lazily computed identity hash that takes no part in equality or debug output.
/// 0 = not computed yet (a hash that is 0 is recomputed at each use: still right). A plain
/// cell, not a `OnceLock` (16 bytes): it keeps [`EndpointData`] within a 192-byte allocation
/// with its `Rc` counts, not 224.
#[derive(Clone, Default)]
pub struct IdHashMemo(Cell<u64>);

impl PartialEq for IdHashMemo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for IdHashMemo {}
impl std::fmt::Debug for IdHashMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("_")
    }
}

impl EndpointData {
    /// `conditions.ready` is set and true (topologycache/utils.go :: EndpointReady).
    pub fn is_ready(&self) -> bool {
        self.ready == Some(true)
    }
    /// `hints.forZones[*].name`; `None` = no `hints` object at all.
    pub fn hints(&self) -> Option<&Vec<String>> {
        self.hint.as_ref().map(|h| &h.zones)
    }
    /// `hints.forNodes[*].name` (empty without hints).
    pub fn hint_nodes(&self) -> &[String] {
        self.hint.as_ref().map_or(&[], |h| &h.nodes)
    }
    /// Zone hints only (tests and converters).
    pub fn zone_hints(zones: Option<Vec<String>>) -> Option<Box<Hints>> {
        zones.map(|zones| {
            Box::new(Hints {
                zones,
                nodes: Vec::new(),
            })
        })
    }
}

impl EndpointData {
    /// The identity key borrowed, when the addresses are already sorted (always for
    /// endpoints built from pods; existing slices may hold unsorted ones).
    fn key_ref(&self) -> Option<EndpointKeyRef<'_>> {
        if !self.addresses.windows(2).all(|w| w[0] <= w[1]) {
            return None;
        }
        let (ns, name) = match &self.target_ref {
            Some(t) => (&*t.namespace, &*t.name),
            None => ("", ""),
        };
        Some(EndpointKeyRef {
            addresses: &self.addresses,
            hostname: self.hostname.as_deref().unwrap_or(""),
            target_namespace: ns,
            target_name: name,
        })
    }
}

impl EndpointIdentity for Endpoint {
    fn endpoint_key(&self) -> EndpointKey {
        let mut addresses = self.addresses.clone();
        addresses.sort();
        let (ns, name) = match &self.target_ref {
            Some(t) => (t.namespace.to_string(), t.name.to_string()),
            None => (String::new(), String::new()),
        };
        EndpointKey {
            addresses,
            hostname: self.hostname.clone().unwrap_or_default(),
            target_namespace: ns,
            target_name: name,
        }
    }
    fn identity_hash(&self) -> u64 {
        let memo = self.id_hash.0.get();
        if memo != 0 {
            return memo;
        }
        let h = match self.key_ref() {
            Some(k) => identity_hash_of_ref(&k),
            None => identity_hash(&self.endpoint_key()),
        };
        self.id_hash.0.set(h);
        h
    }
    fn same_identity(&self, other: &Self) -> bool {
        if Endpoint::ptr_eq(self, other) {
            return true;
        }
        match (self.key_ref(), other.key_ref()) {
            (Some(a), Some(b)) => a == b,
            _ => self.endpoint_key() == other.endpoint_key(),
        }
    }
    fn has_key(&self, key: &EndpointKey) -> bool {
        match self.key_ref() {
            Some(a) => {
                a == EndpointKeyRef {
                    addresses: &key.addresses,
                    hostname: &key.hostname,
                    target_namespace: &key.target_namespace,
                    target_name: &key.target_name,
                }
            }
            None => self.endpoint_key() == *key,
        }
    }
}

impl EqualBeyondHash for Endpoint {
    /// cite: kubernetes/endpointslice :: util/controller_utils.go :: EndpointsEqualBeyondHash (v0.32.13):
    /// ready/serving/terminating, nodeName, zone, targetRef (sans resourceVersion). Hints ignored.
    fn equal_beyond_hash(&self, other: &Self) -> bool {
        Endpoint::ptr_eq(self, other)
            || self.ready == other.ready
                && self.serving == other.serving
                && self.terminating == other.terminating
                && self.node_name == other.node_name
                && self.zone == other.zone
                && self.target_ref == other.target_ref
    }
}

/// One EndpointSlice as the reconciler sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slice {
    /// `metadata.name`; "" for a slice still to be created (it has only generateName).
    pub name: String,
    pub address_type: String,
    /// Ports in the order they are written to the slice.
    pub ports: Vec<SlicePort>,
    pub endpoints: Vec<Endpoint>,
    pub labels: BTreeMap<String, String>,
    /// Has an ownerReference to the Service (uid, kind Service, apiVersion v1).
    pub owned: bool,
    /// Index of the existing input slice this one derives from (None for new slices).
    pub origin: Option<usize>,
    /// For existing slices: namespace and ownerReferences are exactly what
    /// `newEndpointSlice` would write (one controller ref to the Service) —
    /// the parts of `placeholderSliceCompare` that are not labels/body.
    pub meta_like_new: bool,
}

/// What the reconciler needs to know about the Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `spec.clusterIP` is "None" or "" (adds the headless label).
    pub headless_label: bool,
    pub publish_not_ready_addresses: bool,
    pub traffic_distribution: Option<String>,
    /// `metadata.deletionTimestamp` set: creates are skipped in finalize.
    pub deleting: bool,
    /// Feature gate `EndpointSliceTerminatingCondition` (KEP-1672; alpha 1.20, on by default
    /// since 1.22): terminating pods stay in the slices with `serving`/`terminating`
    /// conditions. Off: they leave at deletion and the two conditions are not written
    /// (pkg/controller/endpointslice/reconciler.go :: reconcile, utils.go :: podToEndpoint, 1.21).
    pub terminating_condition: bool,
}

/// The reference release's controller: the terminating condition gate is on.
impl Default for ServiceInfo {
    fn default() -> Self {
        ServiceInfo {
            namespace: String::new(),
            name: String::new(),
            uid: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            headless_label: false,
            publish_not_ready_addresses: false,
            traffic_distribution: None,
            deleting: false,
            terminating_condition: true,
        }
    }
}

impl ServiceInfo {
    /// `namespace/name`, the key of the topology cache and the tracker.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// `includeTerminating` of `ShouldPodBeInEndpoints`: always with the gate on; before
    /// 1.22 only for `publishNotReadyAddresses`.
    pub fn include_terminating(&self) -> bool {
        self.terminating_condition || self.publish_not_ready_addresses
    }
}

/// Upstream `isReservedLabelKey`.
pub fn is_reserved_label_key(k: &str) -> bool {
    k == LABEL_SERVICE_NAME || k == LABEL_MANAGED_BY || k == LABEL_HEADLESS
}

/// Upstream `setEndpointSliceLabels`: the labels a slice of `svc` must carry,
/// and whether the slice's non-reserved labels differ from the Service's
/// non-reserved labels. Changes of reserved labels alone never count.
///
/// cite: kubernetes/endpointslice :: utils.go :: setEndpointSliceLabels (v0.32.13)
pub fn slice_labels(
    current: &BTreeMap<String, String>,
    svc: &ServiceInfo,
) -> (BTreeMap<String, String>, bool) {
    let changed = slice_labels_changed(current, svc);
    let mut labels: BTreeMap<String, String> = svc
        .labels
        .iter()
        .filter(|(k, _)| !is_reserved_label_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if svc.headless_label {
        labels.insert(LABEL_HEADLESS.to_string(), String::new());
    }
    labels.insert(LABEL_SERVICE_NAME.to_string(), svc.name.clone());
    labels.insert(LABEL_MANAGED_BY.to_string(), CONTROLLER_NAME.to_string());
    (labels, changed)
}

/// The `bool` of [`slice_labels`] (whether the slice's non-reserved labels differ from the
/// Service's), without building the labels.
pub fn slice_labels_changed(current: &BTreeMap<String, String>, svc: &ServiceInfo) -> bool {
    let cur = current.iter().filter(|(k, _)| !is_reserved_label_key(k));
    let want = svc.labels.iter().filter(|(k, _)| !is_reserved_label_key(k));
    !cur.eq(want)
}

/// Upstream `hintsEnabled`: the deprecated `topology-aware-hints` annotation
/// wins when present; otherwise `topology-mode`; enabled iff "Auto" or "auto".
///
/// cite: kubernetes/endpointslice :: utils.go :: hintsEnabled (v0.32.13)
pub fn hints_enabled(annotations: &BTreeMap<String, String>) -> bool {
    let v = annotations
        .get(ANNOTATION_TOPOLOGY_AWARE_HINTS)
        .or_else(|| annotations.get(ANNOTATION_TOPOLOGY_MODE));
    matches!(v.map(String::as_str), Some("Auto") | Some("auto"))
}

/// `hintsEnabled` before 1.27: only `service.kubernetes.io/topology-aware-hints` exists
/// ("Auto"/"auto"); `topology-mode` is an unknown annotation.
pub fn legacy_hints_enabled(annotations: &BTreeMap<String, String>) -> bool {
    matches!(
        annotations
            .get(ANNOTATION_TOPOLOGY_AWARE_HINTS)
            .map(String::as_str),
        Some("Auto") | Some("auto")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(labels: &[(&str, &str)]) -> ServiceInfo {
        ServiceInfo {
            name: "web".into(),
            namespace: "ns".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    /// TestReconcileEndpointSlicesServicesReservedLabels: reserved label changes are not "changed".
    #[test]
    fn set_endpoint_slice_labels_ignores_reserved_keys() {
        let s = svc(&[("app", "web"), (LABEL_SERVICE_NAME, "bogus")]);
        let (labels, _) = slice_labels(&BTreeMap::new(), &s);
        assert_eq!(labels[LABEL_SERVICE_NAME], "web");
        assert_eq!(labels[LABEL_MANAGED_BY], CONTROLLER_NAME);
        let mut cur = labels.clone();
        cur.insert(LABEL_HEADLESS.into(), String::new());
        assert!(!slice_labels(&cur, &s).1);
        cur.insert("app".into(), "other".into());
        assert!(slice_labels(&cur, &s).1);
    }

    /// hintsEnabled: deprecated annotation takes precedence; Auto and auto both enable.
    #[test]
    fn hints_enabled_precedence() {
        let mut a = BTreeMap::new();
        assert!(!hints_enabled(&a));
        a.insert(ANNOTATION_TOPOLOGY_MODE.to_string(), "Auto".to_string());
        assert!(hints_enabled(&a));
        a.insert(ANNOTATION_TOPOLOGY_MODE.to_string(), "auto".to_string());
        assert!(hints_enabled(&a));
        a.insert(
            ANNOTATION_TOPOLOGY_AWARE_HINTS.to_string(),
            "disabled".to_string(),
        );
        assert!(!hints_enabled(&a));
        a.insert(
            ANNOTATION_TOPOLOGY_AWARE_HINTS.to_string(),
            "auto".to_string(),
        );
        a.insert(ANNOTATION_TOPOLOGY_MODE.to_string(), "Disabled".to_string());
        assert!(hints_enabled(&a));
    }

    /// A hint written through one holder of a shared endpoint never reaches the others, and
    /// rewriting the hints it already has copies nothing.
    #[test]
    fn shared_endpoint_hint_writes_copy_on_write() {
        let a = Endpoint::from(EndpointData {
            addresses: vec!["10.0.0.1".into()],
            ready: Some(true),
            ..Default::default()
        });
        let mut b = a.clone();
        assert!(Endpoint::ptr_eq(&a, &b));
        b.set_hints(None, Vec::new());
        assert!(
            Endpoint::ptr_eq(&a, &b),
            "an unchanged hint write copies nothing"
        );
        b.set_hints(Some(vec!["z".into()]), vec!["n".into()]);
        assert!(!Endpoint::ptr_eq(&a, &b));
        assert_eq!((a.hints().cloned(), a.hint_nodes().len()), (None, 0));
        assert_eq!(b.hints().map(Vec::as_slice), Some(&["z".to_string()][..]));
        assert_eq!(a.identity_hash(), b.identity_hash());
        assert!(a.same_identity(&b) && a.equal_beyond_hash(&b) && a != b);
    }

    /// An endpoint with its `Rc` counts fits mimalloc's 192-byte size class (one more byte
    /// and it takes 224).
    #[test]
    fn endpoint_allocation_fits_192_bytes() {
        assert!(std::mem::size_of::<EndpointData>() + 16 <= 192);
    }

    /// EndpointsEqualBeyondHash ignores hints but not conditions.
    #[test]
    fn equal_beyond_hash_ignores_hints() {
        let a = Endpoint::from(EndpointData {
            addresses: vec!["10.0.0.1".into()],
            ready: Some(true),
            ..Default::default()
        });
        let mut b = a.clone();
        b.hint = EndpointData::zone_hints(Some(vec!["z".into()]));
        assert!(a.equal_beyond_hash(&b));
        b.ready = Some(false);
        assert!(!a.equal_beyond_hash(&b));
    }
}
