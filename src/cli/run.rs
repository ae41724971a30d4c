//! `slicesim run SCENARIO.toml [--out DIR] [--seed N] [--set path=value ...] [--event-log FILE]`

use std::path::PathBuf;

/// Arguments of `slicesim run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output directory [default: results/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed for every random stream (replaces the scenario's `seed`): 0..=18446744073709551615,
    /// the range the scenario's `seed` takes (above 2^63−1 as a string, `seed = "…"`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override a scenario value, e.g. `--set workloads[0].replicas=50` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Log every processed event to FILE (one line each; diff two runs line by line).
    // `--trace-events` is the old name, still accepted: a "trace" is a conformance trace
    // (`--record-trace`, `slicesim reconcile`).
    #[arg(long, value_name = "FILE", alias = "trace-events")]
    pub event_log: Option<PathBuf>,
    /// Do not show progress on stderr (a bar on a terminal, else a line every 10 s).
    #[arg(long)]
    pub no_progress: bool,
    /// Seconds of wall clock between the plain progress lines printed when stderr is not a
    /// terminal (default 10; 0 = one per simulated second). Hidden: for tests and CI logs.
    #[arg(long, value_name = "SECONDS", hide = true, value_parser = parse_interval)]
    pub progress_interval: Option<std::time::Duration>,
    /// Record the EndpointSlice syncs of one Service as a conformance trace in DIR
    /// (`input.jsonl`, `output.jsonl`, `seed`; replay with
    /// `slicesim reconcile DIR/input.jsonl --seed $(cat DIR/seed)`). Repeatable.
    #[arg(long, value_name = "NAMESPACE/SERVICE=DIR")]
    pub record_trace: Vec<String>,
    /// Do not draw the charts (by default they go to OUT/charts/, as `slicesim chart` draws them).
    #[arg(long)]
    pub no_charts: bool,
    /// Image format of the charts.
    #[arg(long, value_enum, default_value_t = super::chart::Format::Svg)]
    pub chart_format: super::chart::Format,
}

/// A non-negative number of seconds (decimals allowed).
fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|x| std::time::Duration::try_from_secs_f64(x).ok())
        .ok_or_else(|| format!("expected a non-negative number of seconds, got {s:?}"))
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let opts = crate::run::RunOptions {
        scenario: args.scenario.clone(),
        out_dir: args.out.clone(),
        seed: args.seed,
        overrides: args.set.clone(),
        event_log: args.event_log.clone(),
        progress: !args.no_progress,
        progress_interval: args.progress_interval,
        controllers: true,
        record_traces: args
            .record_trace
            .iter()
            .map(|a| crate::run::parse_record_trace(a))
            .collect::<anyhow::Result<_>>()?,
        replay: None,
        process_ends_after: true,
    };
    let outcome = crate::report::output::run_outputs(&opts)?;
    let charts = if args.no_charts {
        Ok(Vec::new())
    } else {
        crate::chart::render_run(&outcome.out_dir, args.chart_format.into())
    };
    // run.json last, once: after the charts, and also when they failed (the outputs it lists
    // are complete; the charts are not listed)
    crate::report::output::write_manifest(&outcome)?;
    let charts =
        charts.map_err(|e| e.context("the run finished, but drawing its charts failed"))?;
    let mut out = std::io::stdout().lock();
    let printed = crate::report::output::print_outcome(&outcome, &mut out).and_then(|()| {
        use std::io::Write;
        if !charts.is_empty() {
            writeln!(
                out,
                "{} charts written to {}",
                charts.len(),
                outcome.out_dir.join("charts").display()
            )?;
        }
        Ok(())
    });
    match printed {
        // results are already written; a closed stdout (`| head`) is not a failure
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
