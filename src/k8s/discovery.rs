//! `discovery.k8s.io/v1` EndpointSlice.
//!
//! Field order, JSON names and omitempty follow `kubernetes/api :: discovery/v1/types.go (v0.32.13)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::core::ObjectReference;
use super::meta::ObjectMeta;
use super::omit;
use super::{SharedValue, Text};

/// `discovery/v1.EndpointSlice`.
///
/// `endpoints` and `ports` have no `omitempty` in Go, so a nil slice is written as `null` and an
/// empty one as `[]`: `None` = nil (`null`), `Some(vec![])` = `[]`. The endpoint controllers create
/// slices with non-nil (possibly empty) lists (all stored objects in the conformance data show
/// `"endpoints":[]`), while an object that went through protobuf (etcd) comes back with nil lists.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointSlice {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// `IPv4`, `IPv6` or `FQDN`; always written.
    #[serde(default)]
    pub address_type: String,
    /// Each endpoint a [`SharedValue`]: the EndpointSlice controller rewrites a whole slice for
    /// one changed endpoint, and every version of it, the store and the client caches point at
    /// one copy of each unchanged endpoint (built once, compared by pointer first).
    #[serde(default)]
    pub endpoints: Option<Vec<SharedValue<Endpoint>>>,
    #[serde(default)]
    pub ports: Option<Vec<EndpointPort>>,
}

impl EndpointSlice {
    /// The endpoints as a slice (nil reads as empty).
    pub fn endpoint_list(&self) -> &[SharedValue<Endpoint>] {
        self.endpoints.as_deref().unwrap_or(&[])
    }
    /// The ports as a slice (nil reads as empty).
    pub fn port_list(&self) -> &[EndpointPort] {
        self.ports.as_deref().unwrap_or(&[])
    }
}

/// `discovery/v1.Endpoint`.
///
/// `addresses` has no `omitempty` (`json:"addresses"`): `None` = nil = `null`, `Some(vec![])` =
/// `[]`. Validation requires 1 to 100 addresses and the controllers always build a non-nil list,
/// but a decoded `null` must still re-encode as `null`; read it through [`Endpoint::address_list`].
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    #[serde(default)]
    pub addresses: Option<Vec<String>>,
    /// Non-pointer struct: always written (`"conditions":{}` when all three are nil).
    #[serde(default)]
    pub conditions: EndpointConditions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub deprecated_topology: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<EndpointHints>,
}

impl Endpoint {
    /// The addresses as a slice (nil reads as empty).
    pub fn address_list(&self) -> &[String] {
        self.addresses.as_deref().unwrap_or(&[])
    }
}

/// `discovery/v1.EndpointConditions` (all three are `*bool`).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}

/// `discovery/v1.EndpointHints`.
///
/// `for_nodes` does not exist in 1.32 (added in k8s.io/api v0.33, protobuf field 2); a 1.32
/// apiserver would drop it. It is modelled so newer objects can be read; leave it `None` for 1.32.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointHints {
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub for_zones: Option<Vec<ForZone>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub for_nodes: Option<Vec<ForNode>>,
}

/// `discovery/v1.ForZone`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForZone {
    #[serde(default)]
    pub name: String,
}

/// `discovery/v1.ForNode` (k8s.io/api v0.33+).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForNode {
    #[serde(default)]
    pub name: String,
}

/// `discovery/v1.EndpointPort` (all four are pointers).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}
