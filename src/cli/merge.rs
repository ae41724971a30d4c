//! `slicesim merge DIR... --out DIR`: combine `slicesim sweep --shard` outputs.

use std::path::PathBuf;

/// Arguments of `slicesim merge`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shard output directories of one sweep (each holds a sweep.json).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged points and sweep.csv go.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let o = crate::sweep::merge::merge(&args.dirs, &args.out)?;
    println!(
        "merged {} points from {} directories into {}",
        o.points,
        o.inputs,
        o.out.join("sweep.csv").display()
    );
    Ok(())
}
