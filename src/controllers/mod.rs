//! Models of the upstream controllers that turn pods into published endpoints:
//! the EndpointSlice controller, the Endpoints controller (baseline) and the
//! EndpointSlice mirroring controller.
pub mod deephash;
pub mod endpoints;
pub mod endpointslice;
pub mod manager;
pub mod mirroring;
pub mod trigger_time;
pub mod util;
pub mod workqueue;
