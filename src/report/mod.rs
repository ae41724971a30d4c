//! Output writing: atomic files, CSV, summaries, run manifests.

pub mod atomic;

pub use atomic::{atomic_write, atomic_write_with, AtomicFile};
