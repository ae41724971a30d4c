//! slicesim: a deterministic discrete-event simulator of how Kubernetes publishes
//! Service endpoints, comparing EndpointSlices with the monolithic Endpoints baseline.
//!
//! Data flows one way; each module owns one step (see README "Architecture"):
//!
//! ```text
//! scenario (TOML -> validated model)
//! run      (composition root: builds one run's subsystems, wires their seams, -> RunResults)
//!   -> sim (clock, queue, seeded streams)
//!   -> cluster (nodes, pods, Deployments; emits object changes)
//!   -> controllers (manager + endpointslice, endpoints, mirroring; API writes)
//!   -> apiserver (store, watch fan-out) -> clients (caches, propagation) -> metrics
//! RunResults -> report (pure exporters: one output file each; report::output writes a run's folder)
//!          -> chart, sweep, plan (import: above all of them)
//! k8s  : the Kubernetes object model shared by all (exact JSON shape)
//! wire : byte-exact JSON / protobuf encodings and watch framing
//! fsio : atomic file writes (every output file goes through it)
//! cli  : thin clap front-end, one file per subcommand
//! ```
pub mod apiserver;
pub mod bench;
pub mod chart;
pub mod cli;
pub mod clients;
pub mod cluster;
pub mod conformance;
pub mod controllers;
pub mod error;
pub mod fsio;
pub mod import;
pub mod k8s;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testutil;
pub mod wire;
