//! `slicesim reconcile TRACE.jsonl`: replay a conformance trace through the
//! EndpointSlice and Endpoints controllers (logic in
//! `crate::controllers::endpointslice::trace`). With `--seeds A..B` the trace
//! is replayed once per seed and the per-step value counts are written in the
//! format of `tests/data/conformance/distributions/`; `--compare DIST.json`
//! judges them against upstream's (`crate::conformance::distribution`).

use std::io::Write;

use anyhow::Context;

use crate::conformance::distribution::{compare, Distribution, Thresholds};
use crate::controllers::endpointslice::trace::{
    parse_trace, run_trace, run_trace_seeds, TraceOptions,
};
use crate::error::input_error;

/// Default `--max-endpoints-per-slice`.
const DEFAULT_MAX: usize = 100;

/// Arguments of `slicesim reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Trace file (JSONL: one `{"service","pods","nodes"}` state per line).
    pub trace: std::path::PathBuf,
    /// The reconciler's maxEndpointsPerSlice (1..=1000) [default: 100; with --compare: the distribution's].
    #[arg(long)]
    pub max_endpoints_per_slice: Option<usize>,
    /// Add a topology hint summary to every output line (with --compare: implied by the distribution).
    #[arg(long)]
    pub hints: bool,
    /// Write the stored objects after every step into this directory (Kubernetes JSON).
    #[arg(long, conflicts_with_all = ["seeds", "compare"])]
    pub dump: Option<std::path::PathBuf>,
    /// Seed of the streams that stand in for upstream's random choices (Go map order) and generated names.
    #[arg(long, default_value_t = crate::controllers::endpointslice::trace::DEFAULT_SEED, conflicts_with = "seeds")]
    pub seed: u64,
    /// Replay once per seed of the inclusive range A..B (e.g. 0..299) and print the per-step
    /// value counts as a distribution file (JSON) instead of output lines.
    #[arg(long, value_parser = parse_seed_range)]
    pub seeds: Option<(u64, u64)>,
    /// Compare the seeds' distribution with this upstream distribution file: print per
    /// (step, field) verdicts and the TVD; exit 1 when a check fails. Seeds default to
    /// 0..runs-1 of the file.
    #[arg(long)]
    pub compare: Option<std::path::PathBuf>,
}

/// `A..B` (inclusive, A ≤ B).
fn parse_seed_range(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("{s:?}: expected an inclusive seed range A..B with A <= B, e.g. 0..299");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if a > b {
        return Err(bad());
    }
    Ok((a, b))
}

/// The trace's name: its file name without `.input.jsonl` / `.jsonl`.
fn trace_name(p: &std::path::Path) -> String {
    let f = p
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [".input.jsonl", ".jsonl"] {
        if let Some(stem) = f.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    f
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.trace)
        .map_err(|e| input_error(format!("{}: {e}", args.trace.display())))?;
    let upstream = match &args.compare {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| input_error(format!("{}: {e}", p.display())))?;
            Some(Distribution::from_json(&text, &p.display().to_string())?)
        }
        None => None,
    };
    let opts = TraceOptions {
        max_endpoints_per_slice: args
            .max_endpoints_per_slice
            .or(upstream.as_ref().map(|d| d.max_endpoints_per_slice))
            .unwrap_or(DEFAULT_MAX),
        hints: args.hints || upstream.as_ref().is_some_and(|d| d.hints),
        dump_dir: args.dump.clone(),
        seed: args.seed,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let seeds = args.seeds.or(upstream.as_ref().map(|d| (0, d.runs - 1)));
    let Some((first, last)) = seeds else {
        run_trace(std::io::BufReader::new(file), opts, |line| {
            serde_json::to_writer(&mut out, line).context("writing output")?;
            out.write_all(b"\n").context("writing output")?;
            Ok(())
        })
        .with_context(|| format!("{}", args.trace.display()))?;
        out.flush().context("writing output")?;
        return Ok(());
    };
    let lines = parse_trace(std::io::BufReader::new(file))
        .with_context(|| format!("{}", args.trace.display()))?;
    let seeds: Vec<u64> = (first..=last).collect();
    let runs = run_trace_seeds(&lines, &opts, &seeds)
        .with_context(|| format!("{}", args.trace.display()))?;
    let dist = Distribution::from_runs(
        &trace_name(&args.trace),
        &args.trace.display().to_string(),
        opts.max_endpoints_per_slice,
        opts.hints,
        &runs,
    );
    match upstream {
        None => {
            writeln!(out, "{}", dist.to_json()).context("writing output")?;
            out.flush().context("writing output")?;
        }
        Some(up) => {
            let c = compare(&up, &dist, &Thresholds::default());
            out.write_all(c.report().as_bytes())
                .context("writing output")?;
            out.flush().context("writing output")?;
            if !c.passed() {
                anyhow::bail!(
                    "{}: {} check(s) failed against {}",
                    args.trace.display(),
                    c.failures().len(),
                    args.compare
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seed_range("0..299"), Ok((0, 299)));
        assert_eq!(parse_seed_range("5..5"), Ok((5, 5)));
        for bad in ["3..1", "0-299", "a..b", "..5", "1..", ""] {
            assert!(parse_seed_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            trace_name(std::path::Path::new("x/churn-30x40.input.jsonl")),
            "churn-30x40"
        );
        assert_eq!(trace_name(std::path::Path::new("t.jsonl")), "t");
    }
}
