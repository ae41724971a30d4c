//! Models of the upstream controllers that turn pods into published endpoints:
//! the EndpointSlice controller, the Endpoints controller (baseline) and the
//! EndpointSlice mirroring controller.
/// Moved to `k8s` (the apiserver canonicalizes Endpoints with it too); the old path stays.
pub use crate::k8s::deephash;
pub mod endpoints;
pub mod endpointslice;
pub mod manager;
pub mod mirroring;
pub mod trigger_time;
pub mod util;
pub mod workqueue;
