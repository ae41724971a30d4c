//! `slicesim reconcile TRACE.jsonl`: replay a conformance trace through the
//! EndpointSlice and Endpoints controllers (logic in
//! `crate::controllers::endpointslice::trace`).

use std::io::Write;

use anyhow::Context;

use crate::controllers::endpointslice::trace::{run_trace, TraceOptions};
use crate::error::input_error;

/// Arguments of `slicesim reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Trace file (JSONL: one `{"service","pods","nodes"}` state per line).
    pub trace: std::path::PathBuf,
    /// The reconciler's maxEndpointsPerSlice (1..=1000).
    #[arg(long, default_value_t = 100)]
    pub max_endpoints_per_slice: usize,
    /// Add a topology hint summary to every output line.
    #[arg(long)]
    pub hints: bool,
    /// Write the stored objects after every step into this directory (Kubernetes JSON).
    #[arg(long)]
    pub dump: Option<std::path::PathBuf>,
    /// Seed of the streams that stand in for upstream's random choices (Go map order) and generated names.
    #[arg(long, default_value_t = crate::controllers::endpointslice::trace::DEFAULT_SEED)]
    pub seed: u64,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.trace)
        .map_err(|e| input_error(format!("{}: {e}", args.trace.display())))?;
    let opts = TraceOptions {
        max_endpoints_per_slice: args.max_endpoints_per_slice,
        hints: args.hints,
        dump_dir: args.dump.clone(),
        seed: args.seed,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    run_trace(std::io::BufReader::new(file), opts, |line| {
        serde_json::to_writer(&mut out, line).context("writing output")?;
        out.write_all(b"\n").context("writing output")?;
        Ok(())
    })
    .with_context(|| format!("{}", args.trace.display()))?;
    out.flush().context("writing output")?;
    Ok(())
}
