//! Kubernetes object model (Service, Pod, Node, EndpointSlice, Endpoints, metav1) in the exact JSON
//! shape of the Go types (k8s.io/api and k8s.io/apimachinery v0.32.13).
//!
//! Conventions (so that JSON round-trips byte for byte through serde, see `crate::wire::json`):
//! - Struct and field names are the Go names in snake_case; JSON names and field order are the Go
//!   `json` tags and struct order.
//! - Go pointers and Go value fields tagged `omitempty` are `Option<T>`. For a value field with
//!   `omitempty`, `Some(zero)` (`""`, `0`, `false`, empty list/map) is omitted exactly like `None`,
//!   because Go cannot tell them apart. For a pointer, `Some(zero)` is written.
//! - Go value fields without `omitempty` are plain `T` and always written (slices and maps without
//!   `omitempty` are the exception: see "Slices and maps" below). Non-pointer structs are
//!   plain structs (Go writes them even with `omitempty`, e.g. `"metadata":{}`, `"status":{}`).
//! - Non-pointer `metav1.Time` is `Option<String>` written as `null` when `None` (Go's zero time).
//! - Maps are `BTreeMap` (Go's encoding/json and gogo-protobuf both sort map keys).
//! - Timestamps are RFC 3339 strings exactly as given; `Quantity` is a string newtype.
//! - Every struct rejects unknown JSON fields: a field we do not model is an error, never a silent
//!   size change.
//!
//! ## Slices and maps: Go's nil is not empty
//!
//! Go's encoding/json writes a nil slice or map as `null` and an empty one as `[]`/`{}`, unless the
//! field is tagged `omitempty`, which omits both; a decoded `null` stays nil. gogo-protobuf writes
//! nothing for either, so only JSON can tell them apart. Every slice- and map-typed field modelled
//! here was checked against its Go struct tag (k8s.io/api v0.32.13 `core/v1/types.go`,
//! `discovery/v1/types.go`; k8s.io/apimachinery v0.32.13 `pkg/apis/meta/v1/types.go`):
//!
//! **No `omitempty`: `Option<Vec<T>>`, `None` = nil = `null`, `Some(vec![])` = `[]`.** JSON
//! `null` and an absent field decode to `None`, `[]` to `Some(vec![])`. Read them through the
//! accessor, which treats nil as empty.
//!
//! | Go type and field | Go field type and tag | Rust field | accessor |
//! |---|---|---|---|
//! | `core/v1.PodSpec.Containers` | `[]Container` `json:"containers"` | `PodSpec::containers` | `container_list()` |
//! | `core/v1.ProjectedVolumeSource.Sources` | `[]VolumeProjection` `json:"sources"` | `ProjectedVolumeSource::sources` | `source_list()` |
//! | `core/v1.NodeSelector.NodeSelectorTerms` | `[]NodeSelectorTerm` `json:"nodeSelectorTerms"` | `NodeSelector::node_selector_terms` | `term_list()` |
//! | `core/v1.ContainerImage.Names` | `[]string` `json:"names"` | `ContainerImage::names` | `name_list()` |
//! | `discovery/v1.EndpointSlice.Endpoints` | `[]Endpoint` `json:"endpoints"` | `EndpointSlice::endpoints` | `endpoint_list()` |
//! | `discovery/v1.EndpointSlice.Ports` | `[]EndpointPort` `json:"ports"` | `EndpointSlice::ports` | `port_list()` |
//! | `discovery/v1.Endpoint.Addresses` | `[]string` `json:"addresses"` | `Endpoint::addresses` | `address_list()` |
//! | `<Kind>List.Items` (e.g. `discovery/v1.EndpointSliceList`) | `[]T` `json:"items"` | `List::items` | `item_list()` |
//!
//! What upstream builds: the EndpointSlice controller's slices (placeholder included) carry
//! non-nil `endpoints`/`ports` (`"endpoints":[]` in `conformance/wire/objects.jsonl`), its and the
//! mirroring controller's endpoints a non-nil `addresses`, and Pods from a workload template a
//! non-nil `containers`; the builders here do the same (`Some(..)`).
//!
//! **`omitempty`: `Option<Vec<T>>` / `Option<BTreeMap<..>>` skipped by `omit::vec` /
//! `omit::map`, so `None` and `Some(empty)` are both left out.** Every other slice or map field:
//!
//! | Go type | fields (all tagged `json:"<name>,omitempty"`) |
//! |---|---|
//! | `metav1.ObjectMeta` | `labels`, `annotations`, `ownerReferences`, `finalizers`, `managedFields` |
//! | `metav1.LabelSelector` | `matchLabels`, `matchExpressions` |
//! | `metav1.LabelSelectorRequirement`, `core/v1.NodeSelectorRequirement` | `values` |
//! | `core/v1.Endpoints` | `subsets` |
//! | `core/v1.EndpointSubset` | `addresses`, `notReadyAddresses`, `ports` |
//! | `core/v1.ServiceSpec` | `ports`, `selector`, `clusterIPs`, `externalIPs`, `loadBalancerSourceRanges`, `ipFamilies` |
//! | `core/v1.ServiceStatus` | `conditions` |
//! | `core/v1.LoadBalancerStatus` | `ingress` |
//! | `core/v1.LoadBalancerIngress` | `ports` |
//! | `core/v1.PodSpec` | `volumes`, `initContainers`, `ephemeralContainers`, `nodeSelector`, `imagePullSecrets`, `tolerations`, `hostAliases`, `readinessGates`, `overhead`, `topologySpreadConstraints`, `schedulingGates`, `resourceClaims` |
//! | `core/v1.Container`, `core/v1.EphemeralContainerCommon` | `command`, `args`, `ports`, `envFrom`, `env`, `resizePolicy`, `volumeMounts`, `volumeDevices` |
//! | `core/v1.ResourceRequirements` | `limits`, `requests`, `claims` |
//! | `core/v1.VolumeResourceRequirements` | `limits`, `requests` |
//! | `core/v1.PodSecurityContext` | `supplementalGroups`, `sysctls` |
//! | `core/v1.HostAlias` | `hostnames` |
//! | `core/v1.PodStatus` | `conditions`, `hostIPs`, `podIPs`, `initContainerStatuses`, `containerStatuses`, `ephemeralContainerStatuses`, `resourceClaimStatuses` |
//! | `core/v1.ContainerStatus` | `allocatedResources`, `volumeMounts`, `allocatedResourcesStatus` |
//! | `core/v1.ResourceStatus` | `resources` |
//! | `core/v1.LinuxContainerUser` | `supplementalGroups` |
//! | `core/v1.NodeSpec` | `podCIDRs`, `taints` |
//! | `core/v1.NodeStatus` | `capacity`, `allocatable`, `conditions`, `addresses`, `images`, `volumesInUse`, `volumesAttached`, `runtimeHandlers` |
//! | `core/v1.SecretVolumeSource`, `ConfigMapVolumeSource`, `DownwardAPIVolumeSource` | `items` |
//! | `core/v1.SecretProjection`, `ConfigMapProjection`, `DownwardAPIProjection` | `items` |
//! | `core/v1.ExecAction` | `command` |
//! | `core/v1.HTTPGetAction` | `httpHeaders` |
//! | `core/v1.Capabilities` | `add`, `drop` |
//! | `core/v1.NodeAffinity` | `preferredDuringSchedulingIgnoredDuringExecution` |
//! | `core/v1.NodeSelectorTerm` | `matchExpressions`, `matchFields` |
//! | `core/v1.PodAffinity`, `core/v1.PodAntiAffinity` | `requiredDuringSchedulingIgnoredDuringExecution`, `preferredDuringSchedulingIgnoredDuringExecution` |
//! | `core/v1.PodAffinityTerm` | `namespaces`, `matchLabelKeys`, `mismatchLabelKeys` |
//! | `core/v1.TopologySpreadConstraint` | `matchLabelKeys` |
//! | `core/v1.PodDNSConfig` | `nameservers`, `searches`, `options` |
//! | `core/v1.CSIVolumeSource` | `volumeAttributes` |
//! | `core/v1.PersistentVolumeClaimSpec` | `accessModes` |
//! | `discovery/v1.Endpoint` | `deprecatedTopology` |
//! | `discovery/v1.EndpointHints` | `forZones` (and `forNodes`, k8s.io/api v0.33+) |
//!
//! `tests/it/k8s_roundtrip.rs` and `tests/it/wire_nil.rs` check both states of every field of the first
//! table and the omission of both states for a sample of the second.

pub mod core;
/// Upstream's `hash.DeepHashObject` (spew + md5) over the shapes it walks.
pub mod deephash;
pub mod discovery;
pub mod intern;
pub mod labels;
pub mod meta;
mod node;
pub mod pod;
/// `RepackSubsets` / `SortSubsets`: the canonical form of Endpoints subsets (shared by the
/// apiserver, the Endpoints controller and the mirroring controller).
pub mod repack;
pub mod shared;
pub mod time;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use self::core::*;
pub use self::discovery::{
    Endpoint, EndpointConditions, EndpointHints, EndpointPort as SliceEndpointPort, EndpointSlice,
    ForNode, ForZone,
};
pub use self::meta::{Condition, List, ListMeta, ManagedFieldsEntry, ObjectMeta, OwnerReference};
pub use self::pod::*;
pub use self::shared::SharedValue;

/// An immutable string shared by every object that carries it (serde: a plain string). The
/// fields that name a pod or node in an endpoint ([`ObjectReference`], `nodeName`, `zone`) are
/// `Text`: the EndpointSlice controller interns them once per pod, and every endpoint built for
/// that pod points at its copy instead of allocating its own (7 strings per endpoint, at 150,000
/// endpoints).
pub type Text = std::rc::Rc<str>;

/// `skip_serializing_if` predicates implementing Go's `omitempty` for `Option`-wrapped value fields.
pub(crate) mod omit {
    use std::collections::BTreeMap;

    pub fn str<S: AsRef<str>>(v: &Option<S>) -> bool {
        v.as_ref().map_or(true, |s| s.as_ref().is_empty())
    }
    pub fn i32(v: &Option<i32>) -> bool {
        v.map_or(true, |x| x == 0)
    }
    pub fn i64(v: &Option<i64>) -> bool {
        v.map_or(true, |x| x == 0)
    }
    pub fn bool(v: &Option<bool>) -> bool {
        v.map_or(true, |x| !x)
    }
    pub fn vec<T>(v: &Option<Vec<T>>) -> bool {
        v.as_ref().map_or(true, Vec::is_empty)
    }
    pub fn map<K, V>(v: &Option<BTreeMap<K, V>>) -> bool {
        v.as_ref().map_or(true, BTreeMap::is_empty)
    }
}

/// `intstr.IntOrString`: JSON number or string. Go's zero value is the integer 0.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(i) => s.serialize_i32(*i),
            IntOrString::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i32),
            Str(String),
        }
        // Go's IntOrString.UnmarshalJSON: a string starting with '"' is a string, else an int32;
        // `null` leaves the zero value.
        match Option::<Raw>::deserialize(d)? {
            None => Ok(IntOrString::default()),
            Some(Raw::Int(i)) => Ok(IntOrString::Int(i)),
            Some(Raw::Str(s)) => Ok(IntOrString::String(s)),
        }
    }
}

/// `resource.Quantity`, kept as its (canonical) string form, e.g. `"3500m"`, `"16Gi"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Quantity(pub String);

impl From<&str> for Quantity {
    fn from(s: &str) -> Self {
        Quantity(s.to_string())
    }
}

/// The object kinds slicesim handles, tagged by `kind`. (Used for I/O, not in hot loops, so the
/// variants are not boxed.)
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum KubeObject {
    Service(Service),
    Pod(Pod),
    Node(Node),
    EndpointSlice(EndpointSlice),
    Endpoints(Endpoints),
}

/// The kinds [`KubeObject`] can hold, as their `kind` strings.
pub const KINDS: [&str; 5] = ["Service", "Pod", "Node", "EndpointSlice", "Endpoints"];

impl KubeObject {
    /// Parses one JSON object, dispatching on its `kind` field.
    pub fn from_json_str(s: &str) -> Result<KubeObject, String> {
        #[derive(Deserialize)]
        struct Probe {
            kind: Option<String>,
        }
        let probe: Probe = serde_json::from_str(s).map_err(|e| e.to_string())?;
        let kind = probe
            .kind
            .ok_or_else(|| "object has no \"kind\"".to_string())?;
        Self::from_json_str_as(&kind, s)
    }

    /// Parses one JSON object as the given kind (for inputs that omit `kind`, e.g. lister objects).
    pub fn from_json_str_as(kind: &str, s: &str) -> Result<KubeObject, String> {
        fn p<'a, T: Deserialize<'a>>(s: &'a str) -> Result<T, String> {
            serde_json::from_str(s).map_err(|e| e.to_string())
        }
        Ok(match kind {
            "Service" => KubeObject::Service(p(s)?),
            "Pod" => KubeObject::Pod(p(s)?),
            "Node" => KubeObject::Node(p(s)?),
            "EndpointSlice" => KubeObject::EndpointSlice(p(s)?),
            "Endpoints" => KubeObject::Endpoints(p(s)?),
            other => {
                return Err(format!(
                    "unsupported kind {other:?} (supported: {})",
                    KINDS.join(", ")
                ))
            }
        })
    }

    /// The Go kind name of the variant (independent of the `kind` field's content).
    pub fn kind(&self) -> &'static str {
        match self {
            KubeObject::Service(_) => "Service",
            KubeObject::Pod(_) => "Pod",
            KubeObject::Node(_) => "Node",
            KubeObject::EndpointSlice(_) => "EndpointSlice",
            KubeObject::Endpoints(_) => "Endpoints",
        }
    }

    /// The `apiVersion` of the kind (`v1` or `discovery.k8s.io/v1`).
    pub fn api_version(&self) -> &'static str {
        match self {
            KubeObject::EndpointSlice(_) => "discovery.k8s.io/v1",
            _ => "v1",
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            KubeObject::Service(o) => &o.metadata,
            KubeObject::Pod(o) => &o.metadata,
            KubeObject::Node(o) => &o.metadata,
            KubeObject::EndpointSlice(o) => &o.metadata,
            KubeObject::Endpoints(o) => &o.metadata,
        }
    }

    /// `metadata.name` or `""`.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// Sets `kind`/`apiVersion` to the variant's values when they are empty (the serializers
    /// always encode with both set).
    pub fn with_type_meta(mut self) -> Self {
        let (k, v) = (self.kind(), self.api_version());
        let (kind, api) = match &mut self {
            KubeObject::Service(o) => (&mut o.kind, &mut o.api_version),
            KubeObject::Pod(o) => (&mut o.kind, &mut o.api_version),
            KubeObject::Node(o) => (&mut o.kind, &mut o.api_version),
            KubeObject::EndpointSlice(o) => (&mut o.kind, &mut o.api_version),
            KubeObject::Endpoints(o) => (&mut o.kind, &mut o.api_version),
        };
        if kind.as_deref().map_or(true, str::is_empty) {
            *kind = Some(k.to_string());
        }
        if api.as_deref().map_or(true, str::is_empty) {
            *api = Some(v.to_string());
        }
        self
    }
}

macro_rules! kube_object_from {
    ($($v:ident),*) => {$(
        impl From<$v> for KubeObject {
            fn from(o: $v) -> Self {
                KubeObject::$v(o)
            }
        }
    )*};
}
kube_object_from!(Service, Pod, Node, EndpointSlice, Endpoints);

impl Serialize for KubeObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            KubeObject::Service(o) => o.serialize(s),
            KubeObject::Pod(o) => o.serialize(s),
            KubeObject::Node(o) => o.serialize(s),
            KubeObject::EndpointSlice(o) => o.serialize(s),
            KubeObject::Endpoints(o) => o.serialize(s),
        }
    }
}
