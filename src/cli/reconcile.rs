//! `slicesim reconcile` (not implemented yet).

/// Arguments of `slicesim reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`reconcile` is not implemented yet")
}
