//! Helpers shared by the integration test modules.

use std::process::Command;

/// The `slicesim` binary built for this test run.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
}
