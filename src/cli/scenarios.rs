//! `slicesim scenarios` (not implemented yet).

/// Arguments of `slicesim scenarios`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`scenarios` is not implemented yet")
}
