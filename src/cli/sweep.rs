//! `slicesim sweep SWEEP.toml [--out DIR] [-j N] [--shard K/N] [--no-progress]`

use std::path::PathBuf;

/// Arguments of `slicesim sweep`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sweep file (TOML): a base scenario, a `[grid]` of override paths and `seeds`.
    pub sweep: PathBuf,
    /// Output directory [default: results/<sweep name>]. Rerunning into it resumes.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Points run in parallel [default: number of CPUs]. Results do not depend on it.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Run only partition K of N (K from 0, e.g. `--shard $JOB_COMPLETION_INDEX/8`);
    /// combine the shards' outputs with `slicesim merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Do not show progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Do not draw the sweep charts (OUT/charts/sweep_<metric>_vs_<parameter>.svg).
    #[arg(long)]
    pub no_charts: bool,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let shard = args
        .shard
        .as_deref()
        .map(crate::sweep::Shard::parse)
        .transpose()?;
    let opts = crate::sweep::SweepOptions {
        sweep: args.sweep.clone(),
        out: args.out.clone(),
        jobs: args.jobs,
        shard,
        progress: !args.no_progress,
    };
    let outcome = crate::sweep::run(&opts)?;
    println!("{}", outcome.line());
    if !args.no_charts {
        let charts = crate::chart::render_sweep(&outcome.out, crate::chart::ChartFormat::Svg)
            .map_err(|e| e.context("the sweep finished, but drawing its charts failed"))?;
        if !charts.is_empty() {
            println!(
                "{} charts in {}",
                charts.len(),
                outcome.out.join("charts").display()
            );
        }
    }
    Ok(())
}
