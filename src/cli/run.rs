//! `slicesim run` (not implemented yet).

/// Arguments of `slicesim run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`run` is not implemented yet")
}
