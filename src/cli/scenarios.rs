//! `slicesim scenarios`: list the bundled scenarios (`scenarios/*.toml`, looked up in the
//! current directory, then next to the crate) with their one-line descriptions.

use std::path::PathBuf;

/// Arguments of `slicesim scenarios`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to list instead of the bundled `scenarios/`.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => crate::scenario::bundled_dir().ok_or_else(|| {
            crate::error::input_error(
                "no scenarios/ directory found in the current directory or next to the slicesim crate; use --dir",
            )
        })?,
    };
    let list = crate::scenario::list_dir(&dir)?;
    let width = list.iter().map(|e| e.file.len()).max().unwrap_or(0);
    for e in &list {
        println!("{:width$}  {}", e.file, e.description);
    }
    Ok(())
}
