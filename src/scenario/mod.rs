//! Scenario files: TOML parsing with spans, defaults, validation into the resolved model.
//!
//! Two stages: raw structs with spans (`raw`) → resolved model (`model`), see
//! `README.md` "Scenario reference" for the schema.

pub mod model;

pub use model::*;
