//! Conformance against upstream's *distributions*: upstream's EndpointSlice
//! reconciler is random (Go map order, `PopAny`, unstable sorts), so a trace has
//! many correct outputs. `tests/data/conformance/distributions/` holds, per
//! trace, the value counts of every output field at every step over 300
//! upstream runs; [`distribution`] builds the same summary from slicesim runs
//! over many seeds and compares the two ([`stats`] has the tests behind it).

pub mod distribution;
pub mod stats;
