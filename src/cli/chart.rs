//! `slicesim chart RESULTS_DIR [--format svg|png]`

use crate::chart::{render_run, render_sweep, ChartFormat};
use std::path::PathBuf;

/// Arguments of `slicesim chart`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `slicesim run` output directory, or a `slicesim sweep` output directory (one holding
    /// `sweep.csv`). Charts are written to RESULTS_DIR/charts/.
    pub results_dir: PathBuf,
    /// Image format.
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Svg,
    Png,
}

impl From<Format> for ChartFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Svg => ChartFormat::Svg,
            Format::Png => ChartFormat::Png,
        }
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let dir = &args.results_dir;
    let written = if dir.join("sweep.csv").is_file() {
        render_sweep(dir, args.format.into())?
    } else {
        render_run(dir, args.format.into())?
    };
    let mut out = std::io::stdout().lock();
    let printed = (|| -> std::io::Result<()> {
        use std::io::Write;
        for p in &written {
            writeln!(out, "{}", p.display())?;
        }
        if written.is_empty() {
            writeln!(out, "no charts: {} has no chartable data", dir.display())?;
        }
        Ok(())
    })();
    match printed {
        // the charts are written; a closed stdout (`| head`) is not a failure
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
