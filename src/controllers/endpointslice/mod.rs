//! EndpointSlice controller (k8s.io/endpointslice reconciler + pkg/controller/endpointslice).
//!
//! Layout:
//! - [`reconciler`]: the public API on `crate::k8s` objects ([`Reconciler`], [`EndpointSliceController`]);
//! - [`convert`]: pods → endpoints (utils.go podToEndpoint, getEndpointPorts) and model ↔ k8s
//!   objects;
//! - [`model`]: the compact slice/endpoint representation the algorithm uses;
//! - [`reconcile`]: Reconcile / reconcileByAddressType / reconcileByPortMapping / finalize;
//! - [`topology`]: TopologyCache (topology-mode Auto hints);
//! - [`trafficdist`]: `spec.trafficDistribution` hints (1.32: PreferClose);
//! - [`packing`]: what-if packing policies applied after the upstream plan (not upstream);
//! - [`trace`]: the `slicesim reconcile` conformance replay.
//!
//! Typical use (the simulator): one [`EndpointSliceController`] per controller
//! manager. A Service sync is one call of
//! [`EndpointSliceController::sync_service`]`(svc, selected_pods, listed_slices,
//! &node_index, &mut rng)` — the function the conformance replay ([`trace`]) calls
//! too — whose [`reconciler::SyncOutcome`] is Skipped (ExternalName / no selector),
//! Stale (retry later) or a [`ReconcileResult`] whose `writes` are the API calls in
//! upstream order; the caller applies them (e.g. `crate::apiserver::Store`) and
//! reports each success back with `observe_write` / `observe_delete`. Node
//! changes: `controller.reconciler.topology.set_nodes(..)` then resync
//! `topology.overloaded_services()`. Randomness (upstream's Go map order) comes
//! from the `&mut ChaCha8Rng` the caller passes: the controller holds no stream.
pub mod convert;
mod incremental;
pub mod listed;
pub mod model;
pub mod packing;
pub mod podcache;
mod podread;
pub mod reconcile;
pub mod reconciler;
pub mod topology;
pub mod trace;
pub mod trafficdist;

pub use reconcile::{ReconcilerOptions, SyncMetrics};
pub use reconciler::{
    EndpointSliceController, NodeIndex, ReconcileResult, Reconciler, SliceWrite, SyncOutcome,
};
