//! Well-known label keys the endpoint controllers and their clients share (k8s.io/api
//! discovery/v1 `LabelServiceName`, `LabelManagedBy`; core/v1 `IsHeadlessService`,
//! `LabelTopologyZone`), defined once.

/// `kubernetes.io/service-name`: the Service a slice belongs to.
pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
/// `endpointslice.kubernetes.io/managed-by`: the controller that owns a slice.
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
/// `service.kubernetes.io/headless`: set on the slices and Endpoints of headless Services.
pub const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";
/// `topology.kubernetes.io/zone` on Nodes.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
