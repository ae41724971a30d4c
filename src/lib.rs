//! slicesim: a deterministic discrete-event simulator of how Kubernetes publishes
//! Service endpoints, comparing EndpointSlices with the monolithic Endpoints baseline.
//!
//! Data flows one way; each module owns one step (see README "Architecture"):
//!
//! ```text
//! scenario (TOML -> validated model) -> sim (clock, queue, seeded streams)
//!   -> cluster (nodes, pods, Deployments; emits object changes)
//!   -> controllers (endpointslice, endpoints, mirroring; API writes)
//!   -> apiserver/watch -> clients -> metrics -> report
//! k8s  : the Kubernetes object model shared by all (exact JSON shape)
//! wire : byte-exact JSON / protobuf encodings and watch framing
//! cli  : thin clap front-end, one file per subcommand
//! ```
pub mod apiserver;
pub mod chart;
pub mod cli;
pub mod clients;
pub mod cluster;
pub mod conformance;
pub mod controllers;
pub mod error;
pub mod k8s;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod wire;
