//! Kubernetes defaults (v1.32–v1.34) the resolver fills in, each cited at its constant.

use super::*;

/// kubelet `maxPods` default. kubernetes/kubernetes :: pkg/kubelet/apis/config/v1beta1/defaults.go :: SetDefaults_KubeletConfiguration (MaxPods 110).
pub const DEFAULT_MAX_PODS: u32 = 110;
/// KCM node IPAM `--node-cidr-mask-size-ipv4` / `-ipv6` defaults when unset.
/// kubernetes/kubernetes :: cmd/kube-controller-manager/app/core.go :: defaultNodeMaskCIDRIPv4 = 24, defaultNodeMaskCIDRIPv6 = 64 (also kubeadm getClusterNodeMask).
pub const DEFAULT_NODE_MASK_V4: u8 = 24;
pub const DEFAULT_NODE_MASK_V6: u8 = 64;
/// Pod CIDR defaults used by kind / flannel-style setups (`--cluster-cidr`).
pub const DEFAULT_POD_CIDR_V4: &str = "10.244.0.0/16";
pub const DEFAULT_POD_CIDR_V6: &str = "fd00:10:244::/56";
/// kube-apiserver `--service-cluster-ip-range` as used by kind.
pub const DEFAULT_SERVICE_CIDR_V4: &str = "10.96.0.0/16";
pub const DEFAULT_SERVICE_CIDR_V6: &str = "fd00:10:96::/112";
/// Address range for generated addresses of manually managed Endpoints.
pub const DEFAULT_MANUAL_ENDPOINTS_CIDR_V4: &str = "192.168.0.0/16";
pub const DEFAULT_MANUAL_ENDPOINTS_CIDR_V6: &str = "fd00:192:168::/64";
/// GKE-like node names (name length matters for wire bytes: every endpoint carries nodeName).
pub const DEFAULT_NODE_NAME_PATTERN: &str = "gke-slicesim-default-pool-{hex8}-{rand4}";
/// node-monitor-grace-period: 50 s since v1.32 (kubernetes/kubernetes PR #126287).
pub const DEFAULT_NODE_MONITOR_GRACE_NS: Nanos = 50 * NS_PER_SEC;
/// DefaultTolerationSeconds admission plugin: 300 s for not-ready / unreachable.
pub const DEFAULT_TOLERATION_NS: Nanos = 300 * NS_PER_SEC;
/// core/v1 PodSpec terminationGracePeriodSeconds default 30.
/// kubernetes/kubernetes :: pkg/apis/core/v1/defaults.go :: SetDefaults_PodSpec.
pub const DEFAULT_GRACE_NS: Nanos = 30 * NS_PER_SEC;
/// apps/v1 Deployment defaults: RollingUpdate 25% / 25%, replicas 1, minReadySeconds 0.
/// kubernetes/kubernetes :: pkg/apis/apps/v1/defaults.go :: SetDefaults_Deployment.
pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
/// ESC: `--max-endpoints-per-slice` default 100 (1..=1000), `--concurrent-service-endpoint-syncs` 5 (1..=50),
/// retry 1 s·2^n capped at 1000 s, 15 retries.
/// kubernetes/kubernetes :: pkg/controller/endpointslice/config/v1alpha1/defaults.go; pkg/controller/endpointslice/endpointslice_controller.go :: NewController, handleErr.
pub const DEFAULT_MAX_ENDPOINTS_PER_SLICE: u32 = 100;
/// EPC `maxCapacity` = 1000 addresses (truncation since v1.22). pkg/controller/endpoint/endpoints_controller.go.
pub const DEFAULT_ENDPOINTS_MAX_CAPACITY: u32 = 1000;
/// ESMC `--mirroring-max-endpoints-per-subset` default 1000 (1..=1000).
pub const DEFAULT_MIRRORING_MAX_PER_SUBSET: u32 = 1000;
pub const DEFAULT_WORKERS: u32 = 5;
/// etcd `--max-request-bytes` default 1.5 MiB.
pub const DEFAULT_ETCD_MAX_REQUEST_BYTES: u64 = 1_572_864;
/// kube-proxy's informer selector: slices of headless Services and of Services handled by
/// another proxy are never sent to it. kubernetes/kubernetes :: cmd/kube-proxy/app/server.go :: ProxyServer.Run.
pub const KUBE_PROXY_SELECTOR: &str =
    "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless";
