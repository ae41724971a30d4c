//! Output writing: atomic files, CSV, summaries, run manifests.
//!
//! * [`atomic`]: [`atomic_write`] / [`AtomicFile`] — every output file goes through these.
//! * [`timeseries`], [`summary`], [`manifest`]: the formats of `slicesim run`'s files.
//! * [`run`]: the library side of `slicesim run` ([`run::run`], [`run::drive`]).

pub mod atomic;
pub mod manifest;
pub mod outputs;
pub mod run;
pub mod summary;
pub mod timeseries;
pub mod track;

pub use atomic::{atomic_write, atomic_write_with, AtomicFile};
