//! The resolved, validated scenario model the simulator runs.
//!
//! Plain data only (no TOML types): times are `u64` nanoseconds (fields end in `_ns`),
//! random quantities are [`DurationDist`] (uniform `min_ns..=max_ns`, fixed when equal),
//! every default is filled in, and references are resolved to indices into the
//! vectors of [`Scenario`] (e.g. an event's workload is an index into
//! [`Scenario::workloads`]). Events are sorted by time (stable: equal times keep file order).
//!
//! Quantities Kubernetes resolves against the replica count at run time
//! (maxSurge / maxUnavailable) stay as [`IntOrPercent`]; everything else is resolved.
//!
//! Stability promise to the simulation (`cluster`, `controllers`, `run`): types here are only
//! ever *added to*.

use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Simulated time is the simulator's (`crate::sim::time`); the scenario states its times in it.
pub use crate::sim::time::{Nanos, NS_PER_MS, NS_PER_SEC};

/// Where the scenario came from; recorded in the run manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Source {
    /// File name as given by the user (or a label such as `<string>`).
    pub file: String,
    /// Lower-case hex SHA-256 of the file's bytes as read (before `--set` overrides).
    pub sha256: String,
    /// The `--set path=value` overrides applied, in the order given.
    pub overrides: Vec<String>,
}

/// The whole resolved scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    /// One line, shown by `slicesim scenarios`.
    pub description: String,
    /// Root seed; every random stream of the run is derived from it.
    pub seed: u64,
    /// Simulated time the run lasts; every event has `at_ns <= duration_ns`.
    pub duration_ns: Nanos,
    pub source: Source,
    pub cluster: Cluster,
    pub services: Vec<Service>,
    pub workloads: Vec<Workload>,
    /// Sorted by `at_ns`, stable (equal times keep file order).
    pub events: Vec<Event>,
    pub controllers: Controllers,
    pub apiserver: ApiServer,
    pub watchers: Vec<Watcher>,
    /// `[plan]`: budgets and grids of `slicesim plan` (a plain run ignores it).
    pub plan: Plan,
}

// ---------------------------------------------------------------------------------------------
// Generic value types
// ---------------------------------------------------------------------------------------------

/// A random duration, uniform over `min_ns..=max_ns`; fixed when `min_ns == max_ns`.
/// Invariant (validated): `min_ns <= max_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DurationDist {
    pub min_ns: Nanos,
    pub max_ns: Nanos,
}

impl DurationDist {
    pub const ZERO: DurationDist = DurationDist {
        min_ns: 0,
        max_ns: 0,
    };

    pub const fn fixed(ns: Nanos) -> Self {
        DurationDist {
            min_ns: ns,
            max_ns: ns,
        }
    }

    pub const fn uniform(min_ns: Nanos, max_ns: Nanos) -> Self {
        DurationDist { min_ns, max_ns }
    }

    pub fn is_fixed(&self) -> bool {
        self.min_ns == self.max_ns
    }

    /// Draw one value (uniform, inclusive). Never panics, even if the invariant is broken.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Nanos {
        if self.max_ns <= self.min_ns {
            self.min_ns
        } else {
            rng.gen_range(self.min_ns..=self.max_ns)
        }
    }
}

/// Kubernetes `intstr.IntOrString` as used by Deployment maxSurge/maxUnavailable:
/// resolved against the replica count at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IntOrPercent {
    Int(u32),
    /// Whole percent, e.g. `25` for "25%". (Kubernetes rejects fractional percents.)
    Percent(u32),
}

impl IntOrPercent {
    /// Resolve like `intstr.GetScaledValueFromIntOrPercent(v, total, round_up)`:
    /// percent × total / 100, rounded up (`round_up`) or down.
    /// maxSurge resolves with round_up = true, maxUnavailable with false
    /// (kubernetes/kubernetes :: pkg/controller/deployment/util/deployment_util.go :: ResolveFenceposts).
    pub fn resolve(&self, total: u32, round_up: bool) -> u32 {
        match *self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let num = u64::from(p) * u64::from(total);
                let v = if round_up {
                    num.div_ceil(100)
                } else {
                    num / 100
                };
                u32::try_from(v).unwrap_or(u32::MAX)
            }
        }
    }
}

/// An IP network `addr/prefix_len`, host bits zero (validated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix_len: u8,
}

impl Cidr {
    pub fn family(&self) -> IpFamily {
        match self.addr {
            IpAddr::V4(_) => IpFamily::IPv4,
            IpAddr::V6(_) => IpFamily::IPv6,
        }
    }

    fn bits(&self) -> u32 {
        match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    fn as_u128(&self) -> u128 {
        match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    fn ip_from_u128(&self, v: u128) -> IpAddr {
        match self.addr {
            IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::from(v as u32)),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::from(v)),
        }
    }

    /// Number of addresses, saturating at `u128::MAX`.
    pub fn size(&self) -> u128 {
        let host_bits = self.bits().saturating_sub(u32::from(self.prefix_len));
        if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        }
    }

    /// The `n`-th address of the network (0 = network address), or `None` if out of range.
    pub fn nth(&self, n: u128) -> Option<IpAddr> {
        if n >= self.size() {
            return None;
        }
        Some(self.ip_from_u128(self.as_u128().checked_add(n)?))
    }

    /// The `index`-th sub-network of prefix length `new_prefix` (like node IPAM's CIDR set).
    pub fn subnet(&self, new_prefix: u8, index: u128) -> Option<Cidr> {
        if new_prefix < self.prefix_len || u32::from(new_prefix) > self.bits() {
            return None;
        }
        let count_bits = u32::from(new_prefix - self.prefix_len);
        if count_bits < 128 && index >= (1u128 << count_bits) {
            return None;
        }
        let host_bits = self.bits() - u32::from(new_prefix);
        let offset = if host_bits >= 128 {
            0
        } else {
            index.checked_shl(host_bits)?
        };
        Some(Cidr {
            addr: self.ip_from_u128(self.as_u128().checked_add(offset)?),
            prefix_len: new_prefix,
        })
    }

    /// True if the two networks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        if self.family() != other.family() {
            return false;
        }
        let p = self.prefix_len.min(other.prefix_len);
        let host_bits = self.bits().saturating_sub(u32::from(p));
        let mask = if host_bits >= 128 {
            0
        } else {
            !((1u128 << host_bits) - 1)
        };
        (self.as_u128() & mask) == (other.as_u128() & mask)
    }

    /// True if `ip` lies in this network.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let other = Cidr {
            addr: *ip,
            prefix_len: self.bits() as u8,
        };
        self.overlaps(&other)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// Kubernetes `IPFamily` (core/v1 spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum IpFamily {
    IPv4,
    IPv6,
}

impl IpFamily {
    /// The Kubernetes API spelling ("IPv4" / "IPv6"); EndpointSlice addressType uses the same words.
    pub fn as_str(&self) -> &'static str {
        match self {
            IpFamily::IPv4 => "IPv4",
            IpFamily::IPv6 => "IPv6",
        }
    }
}

/// core/v1 `Protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Protocol {
    TCP,
    UDP,
    SCTP,
}

impl Protocol {
    pub fn as_str(&self) -> &'static str {
        match self {
            Protocol::TCP => "TCP",
            Protocol::UDP => "UDP",
            Protocol::SCTP => "SCTP",
        }
    }
}

/// Labels / annotations / selectors: sorted maps so iteration order is deterministic.
pub type StringMap = BTreeMap<String, String>;

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Zone names (`topology.kubernetes.io/zone`), in file order. Node `zone` indexes this.
    pub zones: Vec<Zone>,
    /// Every node that ever exists in the run: first the initial nodes (`initial == true`),
    /// then, in event order, the nodes created by `add_nodes` events. Events refer to nodes
    /// by index into this vector. Names and pod CIDRs are unique.
    pub nodes: Vec<Node>,
    /// Number of nodes present at t = 0 (they are `nodes[..initial_node_count]`).
    pub initial_node_count: usize,
    /// kubelet `maxPods` (default 110).
    pub max_pods_per_node: u32,
    /// Cluster IP families; the first is the primary family (order of `--cluster-cidr`).
    pub ip_families: Vec<IpFamily>,
    /// Pod CIDRs (kube-controller-manager `--cluster-cidr`), one per family, same order as `ip_families`.
    pub pod_cidrs: Vec<Cidr>,
    /// Per-node mask size for each family (KCM `--node-cidr-mask-size-ipv4/-ipv6`, defaults 24 / 64),
    /// same order as `ip_families`.
    pub node_cidr_mask_sizes: Vec<u8>,
    /// Service CIDRs (kube-apiserver `--service-cluster-ip-range`), one per family.
    pub service_cidrs: Vec<Cidr>,
    /// Node pattern the names were generated from (documentation only; names are materialised).
    pub node_name_pattern: String,
    /// node-monitor-grace-period: heartbeat silence before the node lifecycle controller marks
    /// a node's pods NotReady (50 s since v1.32).
    pub node_monitor_grace_period_ns: Nanos,
    /// Default NoExecute toleration for not-ready/unreachable taints (300 s) before eviction.
    pub default_toleration_ns: Nanos,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    pub name: String,
    /// Relative weight used to spread nodes (1 for round-robin).
    pub weight: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub name: String,
    /// Index into [`Cluster::zones`].
    pub zone: usize,
    /// Allocatable CPU in millicores (what topology hints weigh zones by).
    pub allocatable_cpu_milli: u64,
    /// This node's pod CIDRs (`spec.podCIDRs`), one per cluster family, same order.
    /// Pod IPs are allocated from these (never the network address).
    pub pod_cidrs: Vec<Cidr>,
    /// True for nodes present at t = 0; false for nodes created by an `add_nodes` event.
    pub initial: bool,
}

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    ExternalName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IpFamilyPolicy {
    SingleStack,
    PreferDualStack,
    RequireDualStack,
}

/// `targetPort`: a number, or the name of a container port (resolved per pod, endpointslice
/// utils.go FindPort).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServicePort {
    /// Required (and unique) when the Service has more than one port.
    pub name: Option<String>,
    pub port: u16,
    /// Defaults to `port` (core/v1 SetDefaults_Service).
    pub target_port: TargetPort,
    /// Default TCP.
    pub protocol: Protocol,
    pub app_protocol: Option<String>,
}

/// Endpoints maintained by hand for a selectorless Service (input of the mirroring controller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManualEndpoints {
    /// Ready addresses (Endpoints `subsets[].addresses`).
    pub addresses: Vec<IpAddr>,
    /// Not-ready addresses (`subsets[].notReadyAddresses`).
    pub not_ready_addresses: Vec<IpAddr>,
    /// Endpoint ports; by default the Service ports with numeric target ports.
    pub ports: Vec<EndpointPort>,
    /// Labels on the Endpoints object (mirrored onto slices except the skipped ones).
    pub labels: StringMap,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
    pub app_protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub service_type: ServiceType,
    /// `spec.selector`. `None` = selectorless Service (endpoint controllers ignore it;
    /// `manual_endpoints` then feeds the mirroring controller).
    pub selector: Option<StringMap>,
    /// The workload named by `workload = "..."` (its labels gave the default selector).
    pub workload: Option<usize>,
    pub ports: Vec<ServicePort>,
    /// Resolved `spec.ipFamilies` (primary first), always a subset of the cluster's families.
    pub ip_families: Vec<IpFamily>,
    pub ip_family_policy: IpFamilyPolicy,
    /// `clusterIP: None`.
    pub headless: bool,
    pub publish_not_ready_addresses: bool,
    pub labels: StringMap,
    pub annotations: StringMap,
    /// `spec.trafficDistribution` (e.g. "PreferClose").
    pub traffic_distribution: Option<String>,
    /// `spec.externalName` for ExternalName Services.
    pub external_name: Option<String>,
    /// Selectorless Services only.
    pub manual_endpoints: Option<ManualEndpoints>,
    /// False if the Service first appears through a `service_create` event.
    pub present_at_start: bool,
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Strategy {
    RollingUpdate {
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
    },
    Recreate,
}

/// Pod start-up timeline (kubelet status updates): create → scheduled → IP assigned → Ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// Pod created → bound to a node.
    pub schedule_delay: DurationDist,
    /// Bound → sandbox up, pod IP(s) set (status update; endpoint appears not-ready).
    pub ip_delay: DurationDist,
    /// IP set → Ready=True. Zero means the kubelet reports IP and Ready in one status update.
    pub ready_delay: DurationDist,
}

/// Readiness flapping: every `period_ns` each Ready pod of the workload independently loses
/// readiness with probability `probability_ppm` / 1e6, for `down` time, then becomes Ready again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Flapping {
    /// Parts per million (exact integer so the model stays `Eq` and hashable).
    pub probability_ppm: u32,
    pub period_ns: Nanos,
    pub down: DurationDist,
}

/// Pod termination (graceful delete, then the kubelet's final status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Termination {
    /// `terminationGracePeriodSeconds` (default 30 s).
    pub grace_period_ns: Nanos,
    /// deletionTimestamp set → Ready=False (serving=false). Capped at the grace period at run time.
    /// Default: the grace period, i.e. no separate not-serving update before `exit_after`.
    pub not_serving_after: DurationDist,
    /// deletionTimestamp set → containers exited and pod object removed. Capped at the grace period.
    pub exit_after: DurationDist,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub name: String,
    pub namespace: String,
    /// Deployment `spec.selector.matchLabels` (immutable; defaults to the initial template labels).
    pub selector: StringMap,
    /// Pod template labels of version 0.
    pub labels: StringMap,
    /// Initial `spec.replicas`.
    pub replicas: u32,
    /// Container ports of version 0.
    pub ports: Vec<ContainerPort>,
    pub readiness: Readiness,
    pub flapping: Option<Flapping>,
    pub termination: Termination,
    pub strategy: Strategy,
    /// `minReadySeconds` in ns (default 0).
    pub min_ready_ns: Nanos,
    /// `spec.hostname` / `spec.subdomain` of the pod template (headless DNS records).
    pub hostname: Option<String>,
    pub subdomain: Option<String>,
    /// Allowed zones (indices into `cluster.zones`); empty = any zone.
    pub zones: Vec<usize>,
    /// CPU request per pod in millicores (scheduling only).
    pub cpu_request_milli: u64,
    /// The controller owning the pods (`kind`, default Deployment). Not serialized when it is
    /// the default, so the resolved model of a Deployment-only scenario is unchanged.
    #[serde(skip_serializing_if = "WorkloadKind::is_deployment")]
    pub kind: WorkloadKind,
}

/// `workloads[].kind`: which apps/v1 controller owns the pods, which decides their names,
/// hostnames and placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub enum WorkloadKind {
    /// Pods `<deployment>-<hash>-<suffix>` of ReplicaSets, placed by the scheduler.
    #[default]
    Deployment,
    /// Pods `<name>-<ordinal>` (0..replicas) with `spec.hostname` = the pod name and
    /// `spec.subdomain` = `service_name`; a deleted pod is re-created under the same name once
    /// the old one is gone (pkg/controller/statefulset/stateful_set_utils.go :: newStatefulSetPod,
    /// initIdentity, updateIdentity; stateful_set_control.go :: updateStatefulSet).
    StatefulSet {
        /// `spec.serviceName`: the pods' subdomain (their headless Service).
        service_name: Option<String>,
        /// `podManagementPolicy: Parallel` (default OrderedReady: one pod at a time, each
        /// waiting for its predecessors to be Running and Ready).
        parallel: bool,
        /// `updateStrategy.rollingUpdate.partition`: a rolling update replaces only the pods
        /// of ordinal >= partition; a missing pod below it is re-created at the current
        /// revision (stateful_set_control.go :: updateStatefulSet; stateful_set_utils.go ::
        /// newVersionedStatefulSetPod).
        partition: u32,
        /// `updateStrategy.rollingUpdate.maxUnavailable` (None: one pod at a time). Set, the
        /// rolling update follows stateful_set_control.go ::
        /// updateStatefulSetAfterInvariantEstablished, as with the MaxUnavailableStatefulSet
        /// gate on (alpha, off by default 1.24-1.34, beta on 1.35: the API server drops the
        /// field while the gate is off, so a set that shows it runs with the gate on).
        max_unavailable: Option<IntOrPercent>,
    },
    /// One pod on every existing node whose labels match `node_selector` (and in `zones`,
    /// if given); replicas follow the nodes (pkg/controller/daemon/daemon_controller.go ::
    /// podsShouldBeOnNode, manage).
    DaemonSet {
        /// The pod template's `spec.nodeSelector` (empty: every node).
        node_selector: StringMap,
    },
}

/// The labels a node carries (what a DaemonSet's `node_selector` matches):
/// `kubernetes.io/hostname`, `kubernetes.io/os` (`linux`) and `topology.kubernetes.io/zone`.
pub fn node_labels(name: &str, zone_name: &str) -> StringMap {
    let mut labels = StringMap::new();
    labels.insert("kubernetes.io/hostname".into(), name.to_string());
    labels.insert("kubernetes.io/os".into(), "linux".into());
    labels.insert("topology.kubernetes.io/zone".into(), zone_name.to_string());
    labels
}

impl Workload {
    /// A DaemonSet's pod belongs on a node with these labels in zone `zone` (its
    /// `node_selector` and `zones` match; pkg/controller/daemon/util :: NodeShouldRunDaemonPod
    /// without taints: the DaemonSet pods' default tolerations cover the node lifecycle taints
    /// slicesim models). False for other kinds.
    pub fn daemon_runs_on(&self, labels: &StringMap, zone: usize) -> bool {
        match &self.kind {
            WorkloadKind::DaemonSet { node_selector } => {
                (self.zones.is_empty() || self.zones.contains(&zone))
                    && node_selector.iter().all(|(k, v)| labels.get(k) == Some(v))
            }
            _ => false,
        }
    }
}

impl WorkloadKind {
    pub fn is_deployment(&self) -> bool {
        matches!(self, WorkloadKind::Deployment)
    }
    /// The Kubernetes kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet { .. } => "StatefulSet",
            WorkloadKind::DaemonSet { .. } => "DaemonSet",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub at_ns: Nanos,
    /// Position of the event in the file's `[[events]]` array (for messages and traces).
    pub file_index: usize,
    pub kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScaleTarget {
    /// Set `spec.replicas` to this value.
    To(u32),
    /// Add (or with a negative number remove) replicas relative to the value at event time;
    /// the world clamps the result at 0.
    By(i64),
}

impl ScaleTarget {
    /// `spec.replicas` after the event, from the value `current` at event time (a relative
    /// change is clamped to 0..=u32::MAX).
    pub fn apply(self, current: u32) -> u32 {
        match self {
            ScaleTarget::To(n) => n,
            ScaleTarget::By(d) => (i64::from(current) + d).clamp(0, i64::from(u32::MAX)) as u32,
        }
    }
}

/// Which nodes an event affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NodeSelection {
    /// Named nodes (indices into `cluster.nodes`).
    Nodes(Vec<usize>),
    /// `count` nodes chosen by the world from a seeded stream among eligible nodes
    /// (live ones for failures/removal, failed ones for recovery), optionally within one zone.
    Random { count: u32, zone: Option<usize> },
    /// Every eligible node of a zone (`zone_failure` / `zone_recovery`).
    Zone(usize),
}

/// Changes carried by a `service_update` event; `None` = unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ServiceChange {
    pub ports: Option<Vec<ServicePort>>,
    /// `Some(None)` turns the Service selectorless.
    pub selector: Option<Option<StringMap>>,
    pub publish_not_ready_addresses: Option<bool>,
    /// Replacement label map (full map, not a patch).
    pub labels: Option<StringMap>,
    /// Replacement annotation map (full map, not a patch).
    pub annotations: Option<StringMap>,
    /// `Some(None)` clears `spec.trafficDistribution`.
    pub traffic_distribution: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EventKind {
    Scale {
        workload: usize,
        target: ScaleTarget,
    },
    /// New pod template version; `None` fields keep the previous version's value.
    RollingUpdate {
        workload: usize,
        /// Template version this event creates (1 for the first rolling update of a workload).
        version: u32,
        ports: Option<Vec<ContainerPort>>,
        labels: Option<StringMap>,
    },
    /// Random pod deletions (Poisson process, mean interval `mean_interval_ns`) for `duration_ns`.
    Churn {
        /// `None` = pods of any workload.
        workload: Option<usize>,
        mean_interval_ns: Nanos,
        duration_ns: Nanos,
    },
    /// Delete `count` pods of the workload (chosen by the world); the ReplicaSet replaces them.
    RestartPods {
        workload: usize,
        count: u32,
    },
    /// Nodes stop heartbeating: after `cluster.node_monitor_grace_period_ns` their pods become
    /// NotReady; after a further `toleration_ns` the pods are evicted (graceful delete).
    NodeFailure {
        nodes: NodeSelection,
        toleration_ns: Nanos,
    },
    NodeRecovery {
        nodes: NodeSelection,
    },
    /// Shorthand for a node failure of every node in a zone.
    ZoneFailure {
        zone: usize,
        toleration_ns: Nanos,
    },
    ZoneRecovery {
        zone: usize,
    },
    /// New nodes join: indices into `cluster.nodes` (all with `initial == false`).
    AddNodes {
        nodes: Vec<usize>,
    },
    /// Nodes are removed. With `drain`, pods are evicted gracefully first and the Node object
    /// is deleted once they are gone; without, the Node object is deleted at once (pods are
    /// dropped from slices and later garbage-collected).
    RemoveNodes {
        nodes: NodeSelection,
        drain: bool,
    },
    /// `count` pods of the workload get a new sandbox and IP (same pod object).
    PodIpChange {
        workload: usize,
        count: u32,
    },
    ServiceUpdate {
        service: usize,
        change: ServiceChange,
    },
    ServiceDelete {
        service: usize,
    },
    /// Re-create a Service (its definition in `services`).
    ServiceCreate {
        service: usize,
    },
    /// Reserved for the traffic model: watchers restart their watches (`None` = all watchers).
    WatchRestart {
        watcher: Option<usize>,
    },
}

// ---------------------------------------------------------------------------------------------
// Controllers, API server, watchers
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Controllers {
    /// `kubernetes_version`: the release whose controller behaviour is reproduced.
    pub profile: VersionProfile,
    pub endpointslice: EndpointSliceController,
    pub endpoints: EndpointsController,
    pub mirroring: MirroringController,
    /// Time from a write being stored until kube-controller-manager's EndpointSlice and
    /// Endpoints informers hold it (apiserver watch dispatch + delivery to the KCM). A sync that
    /// runs inside that window sees its own earlier write missing and takes the upstream
    /// stale-cache path (endpointslice_controller.go syncService / endpoints_tracker.go).
    /// Default 3ms..18ms.
    pub informer_lag: DurationDist,
}

/// The behaviour switches of one Kubernetes release (`kubernetes_version`, "1.21"..="1.34",
/// default "1.32"), resolved once by the scenario resolver so the controllers read plain
/// flags instead of comparing versions. The reference release 1.32 is the conformance path:
/// every flag below has its 1.32 value there. Each field names the release of the change
/// and the upstream change itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VersionProfile {
    /// Minor release: 21 for "1.21".
    pub minor: u32,
    /// 1.22+: the Endpoints controller truncates an Endpoints object to `max_capacity`
    /// addresses and annotates `endpoints.kubernetes.io/over-capacity: truncated`.
    /// 1.21 only annotates `over-capacity: warning` and keeps every address.
    /// KEP-0752 (keps/sig-network/0752-endpointslices, "Endpoints Controller (classic)");
    /// pkg/controller/endpoint/endpoints_controller.go :: truncateEndpoints, syncService.
    pub endpoints_truncate: bool,
    /// node-monitor-grace-period default: 40 s before 1.32, 50 s since 1.32
    /// (kubernetes/kubernetes PR #126287; pkg/controller/nodelifecycle/config/v1alpha1/defaults.go ::
    /// RecommendedDefaultNodeLifecycleControllerConfiguration). An explicit
    /// `cluster.node_monitor_grace_period` wins.
    pub node_monitor_grace_period_ns: Nanos,
    /// Feature gate TopologyAwareHints (KEP-2433) on by default since 1.24 (beta); before,
    /// the EndpointSlice controller has no topology cache and hints annotations are ignored.
    /// pkg/features/kube_features.go; pkg/controller/endpointslice/endpointslice_controller.go :: NewController.
    pub topology_aware_hints: bool,
    /// 1.27+: `service.kubernetes.io/topology-mode` is read (KEP-2433, 1.27 renaming of the
    /// annotation); before, only `service.kubernetes.io/topology-aware-hints`.
    /// staging/src/k8s.io/endpointslice/utils.go :: hintsEnabled.
    pub topology_mode_annotation: bool,
    /// Feature gate ServiceTrafficDistribution (KEP-4444): alpha (off) 1.30, beta (on) 1.31,
    /// GA 1.33. Off: `spec.trafficDistribution` is ignored (field dropped by the apiserver).
    /// staging/src/k8s.io/endpointslice/reconciler.go :: validTrafficDistribution.
    pub traffic_distribution: bool,
    /// PreferClose writes `forZones: [{name: ""}]` for a ready endpoint without a zone up to
    /// 1.32; 1.33+ clears its hints instead (k8s.io/endpointslice v0.33.0;
    /// trafficdist/trafficdist.go :: preferCloseHeuristic).
    pub prefer_close_zoneless_hint: bool,
    /// 1.33+: the EndpointSlice controller reconciles `trafficDistribution` hints only for a
    /// value it accepts; 1.32 strips hints for any other value, unchanged slices included
    /// (k8s.io/endpointslice v0.33.0 reconciler.go :: validTrafficDistribution).
    pub traffic_distribution_validated: bool,
    /// Feature gate `PreferSameTrafficDistribution` (KEP-3015): alpha (off) 1.33, beta (on)
    /// 1.34. On: `PreferSameZone` (= PreferClose) and `PreferSameNode` (zone hint plus
    /// `forNodes: [{name: nodeName}]`). pkg/features/kube_features.go;
    /// k8s.io/endpointslice trafficdist/trafficdist.go :: ReconcileHints, preferCloseHeuristic.
    pub prefer_same_traffic_distribution: bool,
    /// Feature gate `EndpointSliceTerminatingCondition` (KEP-1672): alpha (off) 1.20–1.21,
    /// on by default since 1.22. Off: the EndpointSlice controller drops a pod from its
    /// slices when its deletion starts (unless `publishNotReadyAddresses`) and writes no
    /// `serving`/`terminating` conditions. pkg/features/kube_features.go;
    /// pkg/controller/endpointslice/utils.go :: podToEndpoint (1.21).
    pub endpointslice_terminating_condition: bool,
    /// Feature gate `PodIndexLabel` (KEP-4017): beta (on) 1.28, GA 1.32. On: a StatefulSet
    /// pod carries `apps.kubernetes.io/pod-index = <ordinal>` beside
    /// `statefulset.kubernetes.io/pod-name` (pkg/features/kube_features.go;
    /// pkg/controller/statefulset/stateful_set_utils.go :: updateIdentity).
    pub pod_index_label: bool,
}

/// Workqueue retry: delay = base × 2^failures, capped at max; dropped after `max_retries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retry {
    pub base_ns: Nanos,
    pub max_ns: Nanos,
    pub max_retries: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointSliceController {
    pub enabled: bool,
    /// `--max-endpoints-per-slice` (default 100, allowed 1..=1000).
    pub max_endpoints_per_slice: u32,
    /// `--endpointslice-updates-batch-period` (default 0).
    pub batch_period_ns: Nanos,
    /// `--concurrent-service-endpoint-syncs` (default 5, allowed 1..=50).
    pub workers: u32,
    /// Simulated time one sync takes (before its API writes are issued).
    pub sync_duration: DurationDist,
    /// Default 1 s base, 1000 s cap, 15 retries.
    pub retry: Retry,
    /// How the controller places endpoints in slices (default: upstream's own).
    pub packing: Packing,
    /// With [`Packing::Bounded`]: consolidate a Service's slices when their fill falls below
    /// this (0 < x ≤ 1, default 0.5).
    pub packing_min_fill: f64,
}

/// `controllers.endpointslice.packing`. Only `Upstream` is Kubernetes; the others are
/// what-if designs (see `controllers::endpointslice::packing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Packing {
    #[default]
    Upstream,
    Repack,
    Bounded,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointsController {
    pub enabled: bool,
    /// Addresses kept before truncation (default 1000; 0 = never truncate).
    pub max_capacity: u32,
    /// `--endpoint-updates-batch-period` (default 0).
    pub batch_period_ns: Nanos,
    /// `--concurrent-endpoint-syncs` (default 5).
    pub workers: u32,
    pub sync_duration: DurationDist,
    /// Default 5 ms base, 1000 s cap, 15 retries.
    pub retry: Retry,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MirroringController {
    pub enabled: bool,
    /// Max endpoints mirrored per Endpoints subset (default 1000, allowed 1..=1000).
    pub max_endpoints_per_subset: u32,
    /// `--mirroring-concurrent-service-endpoint-syncs` (default 5).
    pub workers: u32,
    /// `--mirroring-endpointslice-updates-batch-period` (default 0).
    pub batch_period_ns: Nanos,
    pub sync_duration: DurationDist,
    /// Default 1 s base, 100 s cap, 15 retries.
    pub retry: Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Encoding {
    Json,
    Protobuf,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiServer {
    /// etcd `--max-request-bytes` (default 1572864 = 1.5 MiB).
    pub etcd_max_request_bytes: u64,
    /// Client watch timeout, drawn per watch (reflector default 5m..10m).
    pub watch_timeout: DurationDist,
    /// Watch bookmark interval (default 1 m).
    pub bookmark_interval_ns: Nanos,
    /// Content type kube-controller-manager uses for its writes (default protobuf).
    pub kcm_content_type: Encoding,
    /// Latency of one API write (request → stored, event emitted).
    pub write_latency: DurationDist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WatcherKind {
    KubeProxy,
    CoreDns,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WatchResource {
    EndpointSlices,
    Endpoints,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WatcherCount {
    /// One per live node (kube-proxy DaemonSet default): follows node adds/removals.
    PerNode,
    Fixed(u32),
}

/// Label selector operator (apimachinery `selection.Operator` subset used in list/watch options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SelectorOp {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Requirement {
    pub key: String,
    pub op: SelectorOp,
    /// Sorted, deduplicated.
    pub values: Vec<String>,
}

impl Requirement {
    pub fn matches(&self, labels: &StringMap) -> bool {
        let v = labels.get(&self.key);
        match self.op {
            SelectorOp::Exists => v.is_some(),
            SelectorOp::DoesNotExist => v.is_none(),
            SelectorOp::Equals | SelectorOp::In => v.is_some_and(|v| self.values.contains(v)),
            // apimachinery: `!=` and `notin` also match when the key is absent.
            SelectorOp::NotEquals | SelectorOp::NotIn => match v {
                None => true,
                Some(v) => !self.values.contains(v),
            },
        }
    }
}

/// A parsed label selector string; empty = everything.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Default)]
pub struct LabelSelector {
    /// The selector as written (canonical text is not needed by the simulation).
    pub text: String,
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &StringMap) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Watcher {
    pub name: String,
    pub kind: WatcherKind,
    pub count: WatcherCount,
    pub resource: WatchResource,
    pub label_selector: LabelSelector,
    pub encoding: Encoding,
    /// Apiserver → client delivery latency per event.
    pub delivery_latency: DurationDist,
    /// Client-side minimum time between two syncs (kube-proxy minSyncPeriod, default 1 s).
    pub min_sync_period_ns: Nanos,
}

// ---------------------------------------------------------------------------------------------
// Capacity planning
// ---------------------------------------------------------------------------------------------

/// `[plan]`: what `slicesim plan` checks the scenario against. Budgets are optional (no budget,
/// no verdict); empty grids mean the planner's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Plan {
    /// Peak API server watch egress of one mode in any simulated second (bytes/s).
    pub egress_budget_bytes_per_second: Option<u64>,
    /// Peak bytes one node's kube-proxy may receive in any simulated second.
    pub node_ingress_budget_bytes_per_second: Option<u64>,
    /// Total watch egress one rolling update of the sized workload may cost (bytes).
    pub rolling_update_egress_budget_bytes: Option<u64>,
    /// Workload whose rolling update is sized (index into [`Scenario::workloads`]);
    /// `None`: the one with the most replicas.
    pub workload: Option<usize>,
    /// max-endpoints-per-slice values to compare; empty = the planner's default grid.
    pub max_endpoints_per_slice: Vec<u32>,
    /// Batch periods (both controllers) to compare; empty = the planner's default grid.
    pub batch_periods_ns: Vec<Nanos>,
}
