//! `core/v1` types: ObjectReference, Endpoints, Service, Pod, Node.
//!
//! Field order, JSON names and omitempty follow `kubernetes/api :: core/v1/types.go (v0.32.13)`.
//! Only the commonly sent subset of `PodSpec`/`Container` is modelled; every type rejects unknown
//! fields (`deny_unknown_fields`) so that nothing is dropped silently and sizes never go wrong
//! without an error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::meta::{Condition, ObjectMeta};
use super::pod::*;
use super::{omit, IntOrString, Quantity, SharedValue, Text};

/// `core/v1.ResourceList` (`map[ResourceName]resource.Quantity`), sorted by key like Go's encoders.
pub type ResourceList = BTreeMap<String, Quantity>;

/// `core/v1.ObjectReference` (all fields are omitempty strings). Shared strings ([`Text`]): an
/// endpoint's reference names its pod, and the controllers hand over the pod's own copies.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectReference {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub namespace: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub uid: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub resource_version: Option<Text>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub field_path: Option<Text>,
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

/// `core/v1.Endpoints`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub subsets: Option<Vec<EndpointSubset>>,
}

/// `core/v1.EndpointSubset`. Addresses are [`SharedValue`]: successive versions of an Endpoints
/// object (and the controller's cache) hold one copy of each unchanged address.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointSubset {
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub addresses: Option<Vec<SharedValue<EndpointAddress>>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub not_ready_addresses: Option<Vec<SharedValue<EndpointAddress>>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ports: Option<Vec<EndpointPort>>,
}

/// `core/v1.EndpointAddress` (JSON order ip, hostname, nodeName, targetRef).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointAddress {
    #[serde(default)]
    pub ip: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
}

/// `core/v1.EndpointPort`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointPort {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<String>,
    #[serde(default)]
    pub port: i32,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

/// `core/v1.Service`. `spec` and `status` are non-pointer structs: always written.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ServiceSpec,
    #[serde(default)]
    pub status: ServiceStatus,
}

/// `core/v1.ServiceSpec`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ports: Option<Vec<ServicePort>>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "clusterIP", skip_serializing_if = "omit::str")]
    pub cluster_ip: Option<String>,
    #[serde(default, rename = "clusterIPs", skip_serializing_if = "omit::vec")]
    pub cluster_ips: Option<Vec<String>>,
    #[serde(default, rename = "type", skip_serializing_if = "omit::str")]
    pub type_: Option<String>,
    #[serde(default, rename = "externalIPs", skip_serializing_if = "omit::vec")]
    pub external_ips: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub session_affinity: Option<String>,
    #[serde(default, rename = "loadBalancerIP", skip_serializing_if = "omit::str")]
    pub load_balancer_ip: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub external_name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub external_traffic_policy: Option<String>,
    #[serde(default, skip_serializing_if = "omit::i32")]
    pub health_check_node_port: Option<i32>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub publish_not_ready_addresses: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_config: Option<SessionAffinityConfig>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ip_families: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_family_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate_load_balancer_node_ports: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_traffic_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_distribution: Option<String>,
}

/// `core/v1.ServicePort`. `targetPort` is a non-pointer `IntOrString`: always written (`0` when unset).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    #[serde(default)]
    pub port: i32,
    #[serde(default)]
    pub target_port: IntOrString,
    #[serde(default, skip_serializing_if = "omit::i32")]
    pub node_port: Option<i32>,
}

/// `core/v1.SessionAffinityConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionAffinityConfig {
    #[serde(default, rename = "clientIP", skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<ClientIPConfig>,
}

/// `core/v1.ClientIPConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientIPConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
}

/// `core/v1.ServiceStatus`. `loadBalancer` is a non-pointer struct: always written (`{}`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceStatus {
    #[serde(default)]
    pub load_balancer: LoadBalancerStatus,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub conditions: Option<Vec<Condition>>,
}

/// `core/v1.LoadBalancerStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerStatus {
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ingress: Option<Vec<LoadBalancerIngress>>,
}

/// `core/v1.LoadBalancerIngress`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancerIngress {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_mode: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ports: Option<Vec<PortStatus>>,
}

/// `core/v1.PortStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortStatus {
    #[serde(default)]
    pub port: i32,
    #[serde(default)]
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Pod
// ---------------------------------------------------------------------------------------------

/// `core/v1.Pod`. `spec` and `status` are non-pointer structs: always written.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pod {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PodSpec,
    #[serde(default)]
    pub status: PodStatus,
}

/// `core/v1.PodSpec` (all fields of k8s.io/api v0.32.13; see [`crate::k8s::pod`] for the
/// volume sources and other sub-types covered).
///
/// `containers` has no `omitempty` (`json:"containers"`): `None` is Go's nil slice (`null`),
/// `Some(vec![])` an empty one (`[]`); read it through [`PodSpec::container_list`].
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volumes: Option<Vec<Volume>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub init_containers: Option<Vec<Container>>,
    #[serde(default)]
    pub containers: Option<Vec<Container>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ephemeral_containers: Option<Vec<EphemeralContainer>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub dns_policy: Option<String>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub service_account_name: Option<String>,
    /// Go `DeprecatedServiceAccount`, JSON `serviceAccount`.
    #[serde(default, skip_serializing_if = "omit::str")]
    pub service_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub node_name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub host_network: Option<bool>,
    #[serde(default, rename = "hostPID", skip_serializing_if = "omit::bool")]
    pub host_pid: Option<bool>,
    #[serde(default, rename = "hostIPC", skip_serializing_if = "omit::bool")]
    pub host_ipc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub subdomain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub scheduler_name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub host_aliases: Option<Vec<HostAlias>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub priority_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<PodDNSConfig>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub readiness_gates: Option<Vec<PodReadinessGate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub overhead: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    #[serde(
        default,
        rename = "setHostnameAsFQDN",
        skip_serializing_if = "Option::is_none"
    )]
    pub set_hostname_as_fqdn: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<PodOS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub scheduling_gates: Option<Vec<PodSchedulingGate>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub resource_claims: Option<Vec<PodResourceClaim>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

impl PodSpec {
    /// The containers as a slice (nil reads as empty).
    pub fn container_list(&self) -> &[Container] {
        self.containers.as_deref().unwrap_or(&[])
    }
}

/// `core/v1.Container` (all fields of k8s.io/api v0.32.13).
/// `resources` is a non-pointer struct: always written (`"resources":{}`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ports: Option<Vec<ContainerPort>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub env_from: Option<Vec<EnvFromSource>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub env: Option<Vec<EnvVar>>,
    #[serde(default)]
    pub resources: ResourceRequirements,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub resize_policy: Option<Vec<ContainerResizePolicy>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volume_devices: Option<Vec<VolumeDevice>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub termination_message_path: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub termination_message_policy: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub image_pull_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub stdin: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub stdin_once: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub tty: Option<bool>,
}

/// `core/v1.ContainerPort` (JSON order name, hostPort, containerPort, protocol, hostIP).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::i32")]
    pub host_port: Option<i32>,
    #[serde(default)]
    pub container_port: i32,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub protocol: Option<String>,
    #[serde(default, rename = "hostIP", skip_serializing_if = "omit::str")]
    pub host_ip: Option<String>,
}

/// `core/v1.EnvVar` (without `valueFrom`).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvVar {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

/// `core/v1.ResourceRequirements`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    #[serde(default, skip_serializing_if = "omit::map")]
    pub limits: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub requests: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub claims: Option<Vec<ResourceClaim>>,
}

/// `core/v1.ResourceClaim`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceClaim {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub request: Option<String>,
}

/// `core/v1.VolumeMount`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive_read_only: Option<String>,
    #[serde(default)]
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub sub_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_propagation: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub sub_path_expr: Option<String>,
}

/// `core/v1.PodSecurityContext`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_linux_options: Option<SELinuxOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_options: Option<WindowsSecurityContextOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_non_root: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub supplemental_groups: Option<Vec<i64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplemental_groups_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_group: Option<i64>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub sysctls: Option<Vec<Sysctl>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_group_change_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp_profile: Option<SeccompProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_armor_profile: Option<SeccompProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se_linux_change_policy: Option<String>,
}

/// `core/v1.SELinuxOptions`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SELinuxOptions {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub role: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "omit::str")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub level: Option<String>,
}

/// `core/v1.SeccompProfile`; `AppArmorProfile` has the same shape and field numbers.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeccompProfile {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub localhost_profile: Option<String>,
}

/// `core/v1.Sysctl`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sysctl {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
}

/// `core/v1.LocalObjectReference`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalObjectReference {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<String>,
}

/// `core/v1.Toleration`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub operator: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub effect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// `core/v1.HostAlias`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostAlias {
    #[serde(default)]
    pub ip: String,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub hostnames: Option<Vec<String>>,
}

/// `core/v1.PodReadinessGate`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodReadinessGate {
    #[serde(default)]
    pub condition_type: String,
}

/// `core/v1.PodOS`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodOS {
    #[serde(default)]
    pub name: String,
}

/// `core/v1.PodSchedulingGate`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodSchedulingGate {
    #[serde(default)]
    pub name: String,
}

/// `core/v1.PodStatus`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodStatus {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub conditions: Option<Vec<PodCondition>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub nominated_node_name: Option<String>,
    #[serde(default, rename = "hostIP", skip_serializing_if = "omit::str")]
    pub host_ip: Option<String>,
    #[serde(default, rename = "hostIPs", skip_serializing_if = "omit::vec")]
    pub host_ips: Option<Vec<HostIP>>,
    #[serde(default, rename = "podIP", skip_serializing_if = "omit::str")]
    pub pod_ip: Option<String>,
    #[serde(default, rename = "podIPs", skip_serializing_if = "omit::vec")]
    pub pod_ips: Option<Vec<PodIP>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, rename = "qosClass", skip_serializing_if = "omit::str")]
    pub qos_class: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub ephemeral_container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub resize: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub resource_claim_statuses: Option<Vec<PodResourceClaimStatus>>,
}

/// `core/v1.PodCondition`. Both times are non-pointer `metav1.Time`: always written (`null` when zero).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodCondition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub last_probe_time: Option<String>,
    #[serde(default)]
    pub last_transition_time: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub message: Option<String>,
}

/// `core/v1.PodIP`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodIP {
    #[serde(default)]
    pub ip: String,
}

/// `core/v1.HostIP`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostIP {
    #[serde(default)]
    pub ip: String,
}

/// `core/v1.ContainerStatus`. `state`/`lastState` are
/// non-pointer structs: always written.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub state: ContainerState,
    #[serde(default, rename = "lastState")]
    pub last_termination_state: ContainerState,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub image: String,
    #[serde(default, rename = "imageID")]
    pub image_id: String,
    #[serde(default, rename = "containerID", skip_serializing_if = "omit::str")]
    pub container_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub allocated_resources: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volume_mounts: Option<Vec<VolumeMountStatus>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ContainerUser>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub allocated_resources_status: Option<Vec<ResourceStatus>>,
}

/// `core/v1.ContainerState`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<ContainerStateWaiting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<ContainerStateRunning>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<ContainerStateTerminated>,
}

/// `core/v1.ContainerStateWaiting`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateWaiting {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub message: Option<String>,
}

/// `core/v1.ContainerStateRunning` (`startedAt` non-pointer Time: always written).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateRunning {
    #[serde(default)]
    pub started_at: Option<String>,
}

/// `core/v1.ContainerStateTerminated`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateTerminated {
    #[serde(default)]
    pub exit_code: i32,
    #[serde(default, skip_serializing_if = "omit::i32")]
    pub signal: Option<i32>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub message: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default, rename = "containerID", skip_serializing_if = "omit::str")]
    pub container_id: Option<String>,
}

/// `core/v1.VolumeMountStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMountStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive_read_only: Option<String>,
}

/// `core/v1.ContainerUser`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux: Option<LinuxContainerUser>,
}

/// `core/v1.LinuxContainerUser`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinuxContainerUser {
    #[serde(default)]
    pub uid: i64,
    #[serde(default)]
    pub gid: i64,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub supplemental_groups: Option<Vec<i64>>,
}

// ---------------------------------------------------------------------------------------------
// Node
// ---------------------------------------------------------------------------------------------

/// `core/v1.Node`. `spec` and `status` are non-pointer structs: always written, and
/// `status.daemonEndpoints` / `status.nodeInfo` likewise (Go writes them even when zero).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: NodeSpec,
    #[serde(default)]
    pub status: NodeStatus,
}

/// `core/v1.NodeSpec`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default, rename = "podCIDR", skip_serializing_if = "omit::str")]
    pub pod_cidr: Option<String>,
    #[serde(default, rename = "podCIDRs", skip_serializing_if = "omit::vec")]
    pub pod_cidrs: Option<Vec<String>>,
    #[serde(default, rename = "providerID", skip_serializing_if = "omit::str")]
    pub provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "omit::bool")]
    pub unschedulable: Option<bool>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub taints: Option<Vec<Taint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_source: Option<NodeConfigSource>,
    /// Go `DoNotUseExternalID`, JSON `externalID`.
    #[serde(default, rename = "externalID", skip_serializing_if = "omit::str")]
    pub external_id: Option<String>,
}

/// `core/v1.Taint`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    #[serde(default)]
    pub key: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub value: Option<String>,
    #[serde(default)]
    pub effect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_added: Option<String>,
}

/// `core/v1.NodeConfigSource`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeConfigSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ConfigMapNodeConfigSource>,
}

/// `core/v1.ConfigMapNodeConfigSource`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMapNodeConfigSource {
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub resource_version: Option<String>,
    #[serde(default)]
    pub kubelet_config_key: String,
}

/// `core/v1.NodeStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeStatus {
    #[serde(default, skip_serializing_if = "omit::map")]
    pub capacity: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub allocatable: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub conditions: Option<Vec<NodeCondition>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub addresses: Option<Vec<NodeAddress>>,
    #[serde(default)]
    pub daemon_endpoints: NodeDaemonEndpoints,
    #[serde(default)]
    pub node_info: NodeSystemInfo,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub images: Option<Vec<ContainerImage>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volumes_in_use: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub volumes_attached: Option<Vec<AttachedVolume>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<NodeConfigStatus>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub runtime_handlers: Option<Vec<NodeRuntimeHandler>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<NodeFeatures>,
}

/// `core/v1.NodeCondition`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeCondition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub last_heartbeat_time: Option<String>,
    #[serde(default)]
    pub last_transition_time: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub message: Option<String>,
}

/// `core/v1.NodeAddress`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAddress {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub address: String,
}

/// `core/v1.NodeDaemonEndpoints`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeDaemonEndpoints {
    #[serde(default)]
    pub kubelet_endpoint: DaemonEndpoint,
}

/// `core/v1.DaemonEndpoint` (JSON key is the upper-case `Port`, a historical quirk).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonEndpoint {
    #[serde(default, rename = "Port")]
    pub port: i32,
}

/// `core/v1.NodeSystemInfo` (all strings always written; `swap` not modelled).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSystemInfo {
    #[serde(default, rename = "machineID")]
    pub machine_id: String,
    #[serde(default, rename = "systemUUID")]
    pub system_uuid: String,
    #[serde(default, rename = "bootID")]
    pub boot_id: String,
    #[serde(default)]
    pub kernel_version: String,
    #[serde(default)]
    pub os_image: String,
    #[serde(default)]
    pub container_runtime_version: String,
    #[serde(default)]
    pub kubelet_version: String,
    #[serde(default)]
    pub kube_proxy_version: String,
    #[serde(default)]
    pub operating_system: String,
    #[serde(default)]
    pub architecture: String,
}

/// `core/v1.ContainerImage`. `names` has no `omitempty` (`json:"names"`): `None` = nil = `null`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerImage {
    #[serde(default)]
    pub names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::i64")]
    pub size_bytes: Option<i64>,
}

impl ContainerImage {
    /// The image names as a slice (nil reads as empty).
    pub fn name_list(&self) -> &[String] {
        self.names.as_deref().unwrap_or(&[])
    }
}

/// `core/v1.AttachedVolume`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachedVolume {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub device_path: String,
}

/// `core/v1.VolumeDevice`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeDevice {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub device_path: String,
}

/// `core/v1.PodResourceClaim`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodResourceClaim {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_template_name: Option<String>,
}

/// `core/v1.PodResourceClaimStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodResourceClaimStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claim_name: Option<String>,
}

/// `core/v1.ResourceStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub resources: Option<Vec<ResourceHealth>>,
}

/// `core/v1.ResourceHealth`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceHealth {
    #[serde(default, rename = "resourceID")]
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub health: Option<String>,
}

/// `core/v1.NodeConfigStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeConfigStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned: Option<NodeConfigSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<NodeConfigSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_good: Option<NodeConfigSource>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub error: Option<String>,
}

/// `core/v1.NodeRuntimeHandler`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeRuntimeHandler {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<NodeRuntimeHandlerFeatures>,
}

/// `core/v1.NodeRuntimeHandlerFeatures`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeRuntimeHandlerFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive_read_only_mounts: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_namespaces: Option<bool>,
}

/// `core/v1.NodeFeatures`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeFeatures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplemental_groups_policy: Option<bool>,
}

/// `core/v1.EphemeralContainer`: the inline `EphemeralContainerCommon` (the same fields, JSON names
/// and protobuf numbers as [`Container`]) followed by `targetContainerName`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EphemeralContainer {
    pub container: Container,
    pub target_container_name: Option<String>,
}

impl Serialize for EphemeralContainer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Flat<'a> {
            #[serde(flatten)]
            container: &'a Container,
            #[serde(skip_serializing_if = "omit::str")]
            target_container_name: &'a Option<String>,
        }
        Flat {
            container: &self.container,
            target_container_name: &self.target_container_name,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for EphemeralContainer {
    /// Splits off `targetContainerName` and reads the rest as a [`Container`], which keeps
    /// rejecting unknown fields (serde's `flatten` would drop them silently).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::deserialize(d)?;
        let target = match map.remove("targetContainerName") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(t)) => Some(t),
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "targetContainerName: expected a string, got {other}"
                )))
            }
        };
        let container =
            Container::deserialize(serde_json::Value::Object(map)).map_err(D::Error::custom)?;
        Ok(EphemeralContainer {
            container,
            target_container_name: target,
        })
    }
}
