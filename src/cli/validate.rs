//! `slicesim validate` (not implemented yet).

/// Arguments of `slicesim validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input files.
    pub files: Vec<std::path::PathBuf>,
}

pub fn run(_args: &Args) -> anyhow::Result<()> {
    anyhow::bail!("`validate` is not implemented yet")
}
