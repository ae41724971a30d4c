//! Error kinds shared by the library and the CLI.
//!
//! Bad user input (a scenario, a trace line, an object file) is an [`InputError`]:
//! the CLI prints it and exits with code 2. Anything else (I/O failure while
//! writing results, a bug) exits with code 1. Nothing in slicesim panics on input.

use std::fmt;

/// A problem with what the user gave us. The message is complete and already
/// formatted for a terminal (file:line:col, field path, bad value, what is allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Shorthand for returning an [`InputError`] wrapped in `anyhow`.
pub fn input_error(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(InputError(msg.into()))
}
