//! EndpointSlice controller (k8s.io/endpointslice reconciler + pkg/controller/endpointslice).
//!
//! Layout:
//! - [`model`]: the compact slice/endpoint representation the algorithm uses;
//! - [`engine`]: Reconcile / reconcileByAddressType / reconcileByPortMapping / finalize;
//! - [`topology`]: TopologyCache (topology-mode Auto hints);
//! - [`trafficdist`]: `spec.trafficDistribution` hints (1.32: PreferClose).
pub mod engine;
pub mod model;
pub mod topology;
pub mod trafficdist;
