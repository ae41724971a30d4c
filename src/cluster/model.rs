//! The world's objects in compact form. Everything needed to build the Kubernetes objects
//! (`k8s::Pod`, `k8s::Node`, `k8s::Service`) at integration time is here; labels and ports of
//! pods are shared with their template (`Arc`), so cloning a pod for an "old" snapshot is cheap.

use crate::scenario::{ContainerPort, Nanos, StringMap};
use std::net::IpAddr;
use std::sync::Arc;

/// Index of a node in `Scenario::cluster::nodes` (also in [`super::World::nodes`]).
pub type NodeId = usize;

/// A pod handle: slot index plus the slot's generation (slots are reused, handles are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId {
    pub index: u32,
    pub generation: u32,
}

/// core/v1 `PodPhase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(&self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }

    /// `podPhaseToOrdinal` of the ReplicaSet victim ranking.
    pub fn ordinal(&self) -> u8 {
        match self {
            PodPhase::Pending => 0,
            PodPhase::Unknown => 1,
            PodPhase::Running => 2,
            _ => 0,
        }
    }
}

/// A pod condition: status True/False and `lastTransitionTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Condition {
    pub status: bool,
    pub last_transition_ns: Nanos,
}

/// One version of a Deployment's pod template (shared by its ReplicaSet and pods).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTemplate {
    /// Scenario template version (0 = initial).
    pub version: u32,
    /// `pod-template-hash` label value.
    pub hash: String,
    /// Pod labels, including `pod-template-hash`.
    pub labels: StringMap,
    pub ports: Vec<ContainerPort>,
    pub hostname: Option<String>,
    pub subdomain: Option<String>,
    /// The kind in the pods' controller ownerReference: `ReplicaSet` (a Deployment's),
    /// `StatefulSet` or `DaemonSet`.
    pub owner_kind: &'static str,
    /// StatefulSet pods: `spec.hostname` is each pod's own name, not `hostname`
    /// (pkg/controller/statefulset/stateful_set_utils.go :: updateIdentity).
    pub hostname_is_pod_name: bool,
}

/// A pod as the API server stores it (plus a few simulation-internal fields marked "internal").
/// A new API-visible mutable field must also be compared in `world::api_visible_change`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    pub id: PodId,
    pub uid: String,
    pub name: String,
    pub namespace: Arc<str>,
    /// Index of the owning workload (Deployment) in `Scenario::workloads`.
    pub workload: usize,
    /// Index of the owning ReplicaSet in [`super::World::replica_sets`].
    pub replica_set: usize,
    pub template: Arc<PodTemplate>,
    /// Global write counter at this pod's last write (etcd revision style).
    pub resource_version: u64,
    pub creation_ns: Nanos,
    /// `spec.nodeName`.
    pub node: Option<NodeId>,
    pub node_name: Option<Arc<str>>,
    pub phase: PodPhase,
    /// `status.podIPs` in cluster family order (empty until the sandbox is up).
    pub ips: Vec<IpAddr>,
    /// PodScheduled condition (set at binding).
    pub scheduled: Option<Condition>,
    /// ContainersReady condition (None until containers have started).
    pub containers_ready: Option<Condition>,
    /// Ready condition (None until the kubelet first reports).
    pub ready: Option<Condition>,
    /// `metadata.deletionTimestamp` (= time of delete + grace period).
    pub deletion_timestamp_ns: Option<Nanos>,
    /// `metadata.deletionGracePeriodSeconds`.
    pub deletion_grace_period_s: Option<u64>,
    /// `spec.terminationGracePeriodSeconds` in ns.
    pub termination_grace_ns: Nanos,
    /// internal: Ready for at least minReadySeconds (Kubernetes' "available").
    pub available: bool,
    /// internal: bumped whenever readiness is re-driven, to drop stale timers.
    pub ready_epoch: u32,
    /// internal: host offset in the node's IPAM.
    pub ip_offset: Option<u32>,
}

impl Pod {
    pub fn labels(&self) -> &StringMap {
        &self.template.labels
    }

    pub fn is_ready(&self) -> bool {
        self.ready.is_some_and(|c| c.status)
    }

    pub fn is_terminating(&self) -> bool {
        self.deletion_timestamp_ns.is_some()
    }

    /// `controller.IsPodActive`: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.phase.is_terminal() && self.deletion_timestamp_ns.is_none()
    }
}

/// A taint (only the node lifecycle ones are modelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    pub key: &'static str,
    pub effect: &'static str,
    pub time_added_ns: Option<Nanos>,
}

/// Node Ready condition status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeReady {
    True,
    /// Set by the node lifecycle controller when heartbeats stop.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub name: Arc<str>,
    pub uid: String,
    pub zone: usize,
    pub zone_name: Arc<str>,
    /// `kubernetes.io/hostname`, `topology.kubernetes.io/zone`.
    pub labels: StringMap,
    pub allocatable_cpu_milli: u64,
    pub max_pods: u32,
    pub pod_cidrs: Vec<crate::scenario::Cidr>,
    pub resource_version: u64,
    pub creation_ns: Nanos,
    pub ready: NodeReady,
    pub ready_transition_ns: Nanos,
    /// `spec.unschedulable` (cordoned).
    pub unschedulable: bool,
    pub taints: Vec<Taint>,
    /// internal: the Node object exists in the API.
    pub exists: bool,
    /// internal: the kubelet is running (false between a failure and its recovery).
    pub kubelet_up: bool,
}

/// A Service as stored (the scenario definition plus identity and allocated cluster IPs).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceObj {
    /// Index in `Scenario::services`.
    pub index: usize,
    pub spec: crate::scenario::Service,
    pub uid: String,
    pub resource_version: u64,
    pub creation_ns: Nanos,
    /// `spec.clusterIPs` (empty for headless and ExternalName).
    pub cluster_ips: Vec<IpAddr>,
    /// internal: the Service exists in the API.
    pub exists: bool,
}
