//! `slicesim wire-size` (not implemented yet).

/// Arguments of `slicesim wire-size`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`wire-size` is not implemented yet")
}
