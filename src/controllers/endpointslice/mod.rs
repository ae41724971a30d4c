//! EndpointSlice controller (k8s.io/endpointslice reconciler + pkg/controller/endpointslice).
//!
//! Layout:
//! - [`reconciler`]: the public API on `crate::k8s` objects ([`Reconciler`], [`EndpointSliceController`]);
//! - [`convert`]: pods → endpoints (semantics §1) and model ↔ k8s objects;
//! - [`model`]: the compact slice/endpoint representation the algorithm uses;
//! - [`engine`]: Reconcile / reconcileByAddressType / reconcileByPortMapping / finalize;
//! - [`topology`]: TopologyCache (topology-mode Auto hints);
//! - [`trafficdist`]: `spec.trafficDistribution` hints (1.32: PreferClose);
//! - [`trace`]: the `slicesim reconcile` conformance replay.
pub mod convert;
pub mod engine;
pub mod model;
pub mod reconciler;
pub mod topology;
pub mod trace;
pub mod trafficdist;

pub use engine::{EngineOptions, SyncMetrics};
pub use reconciler::{EndpointSliceController, NodeIndex, ReconcileResult, Reconciler, SliceWrite};
