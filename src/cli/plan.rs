//! `slicesim plan SCENARIO.toml [--out DIR] [-j N] [--set path=value ...] [--format svg|png]
//! [--seeds N] [--budget-percentile P]`

use std::path::PathBuf;

/// Arguments of `slicesim plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML); its optional `[plan]` table sets budgets and grids.
    pub scenario: PathBuf,
    /// Output directory: report.md and runs/<run>/ [default: results/<scenario name>-plan].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Runs in parallel [default: number of CPUs]. The report does not depend on it.
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Override a scenario value in every run, e.g. `--set workloads[0].replicas=50` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Chart format.
    #[arg(long, value_name = "svg|png", default_value = "svg")]
    pub format: String,
    /// Seeds per run: the scenario's seed, seed+1, …; figures are the median with min–max
    /// over them and verdicts say in how many seeds they held.
    #[arg(long, value_name = "N", default_value_t = crate::plan::DEFAULT_SEEDS)]
    pub seeds: u32,
    /// Judge the per-second budgets (`plan.egress_budget`, `plan.node_ingress_budget`) on this
    /// percentile of the simulated seconds instead of the peak second (100).
    #[arg(long, value_name = "P", default_value_t = 100.0)]
    pub budget_percentile: f64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let format = match args.format.as_str() {
        "svg" => crate::chart::ChartFormat::Svg,
        "png" => crate::chart::ChartFormat::Png,
        other => {
            return Err(crate::error::input_error(format!(
                "--format {other:?}: allowed: svg, png"
            )))
        }
    };
    let out = match &args.out {
        Some(o) => o.clone(),
        None => {
            // the scenario's name picks the default directory (validated by the planner again)
            let s = crate::scenario::load(&args.scenario, &args.set)?;
            PathBuf::from("results").join(format!("{}-plan", s.name))
        }
    };
    let opts = crate::plan::PlanOptions {
        scenario: args.scenario.clone(),
        out,
        jobs: args.jobs,
        overrides: args.set.clone(),
        format,
        seeds: args.seeds,
        budget_percentile: args.budget_percentile,
    };
    let outcome = crate::plan::plan(&opts)?;
    println!(
        "plan written to {} ({} runs under {})",
        outcome.report.display(),
        outcome.runs,
        opts.out.join("runs").display()
    );
    Ok(())
}
