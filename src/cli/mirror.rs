//! `slicesim mirror` (not implemented yet).

/// Arguments of `slicesim mirror`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`mirror` is not implemented yet")
}
