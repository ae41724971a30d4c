//! `slicesim mirror TRACE.jsonl [--max-endpoints-per-subset N]`: replay a mirroring trace
//! through the EndpointSlice mirroring controller and print one line per input line:
//! `{"step":N,"mirroring":{"created":c,"updated":u,"deleted":d,"slices":s,"endpoints":e}}`.

use std::io::Write;

use anyhow::Context;

use crate::controllers::mirroring::replay::replay_str;
use crate::controllers::mirroring::{MirroringOptions, DEFAULT_MAX_ENDPOINTS_PER_SUBSET};
use crate::error::input_error;

/// Arguments of `slicesim mirror`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mirroring trace: JSONL, one `{"service": Service|null, "endpoints": Endpoints|null}` per line.
    pub trace: std::path::PathBuf,
    /// `--mirroring-max-endpoints-per-subset` of kube-controller-manager (1..=1000).
    #[arg(long, default_value_t = DEFAULT_MAX_ENDPOINTS_PER_SUBSET)]
    pub max_endpoints_per_subset: usize,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    if !(1..=1000).contains(&args.max_endpoints_per_subset) {
        return Err(input_error(format!(
            "--max-endpoints-per-subset {}: must be between 1 and 1000",
            args.max_endpoints_per_subset
        )));
    }
    let source = args.trace.display().to_string();
    let text = std::fs::read_to_string(&args.trace)
        .map_err(|e| input_error(format!("{source}: cannot read: {e}")))?;
    let steps = replay_str(
        &text,
        &source,
        MirroringOptions {
            max_endpoints_per_subset: args.max_endpoints_per_subset,
        },
    )?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for s in steps {
        writeln!(out, "{}", s.to_json_line()).context("writing to stdout")?;
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}
