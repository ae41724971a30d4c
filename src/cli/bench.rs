//! `slicesim bench`: timed workloads (see [`crate::bench`]); prints a Markdown table.

use std::path::PathBuf;

use crate::bench::{self, BenchOptions};
use crate::error::input_error;

/// Arguments of `slicesim bench`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Columns: time per operation (wall clock), process CPU seconds of the workload \
(getrusage), operations per second, peak RSS so far (VmHWM), and the ratio to the baseline \
measured in the same run (the full recomputation for the esc-10k rows).\n\n\
Examples:\n  slicesim bench --quick\n  slicesim bench --only esc-10k-one-change --only esc-10k-no-change"
)]
pub struct Args {
    /// Run only the workloads whose name contains NAME (repeatable); a baseline row is
    /// run too when its ratio row is selected.
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,
    /// Skip the whole-scenario runs (rolling-update-1000, the envelope, the KEP scenario).
    #[arg(long)]
    pub quick: bool,
    /// With --only: do not add the baseline rows of the selected ones (for profiling one
    /// workload).
    #[arg(long)]
    pub no_baseline: bool,
    /// Folder holding the bundled scenarios.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    pub scenarios: PathBuf,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let names = bench::workload_names();
    for o in &a.only {
        if !names.iter().any(|n| n.contains(o.as_str())) {
            return Err(input_error(format!(
                "--only {o:?}: no workload matches; workloads: {}",
                names.join(", ")
            )));
        }
    }
    // A ratio row needs its baseline: select the baseline of every selected row too.
    let mut only = a.only.clone();
    if !only.is_empty() && !a.no_baseline {
        for n in &names {
            if only.iter().any(|o| n.contains(o.as_str())) && n.starts_with("esc-") {
                let base = if n.ends_with("-full") {
                    n.clone()
                } else {
                    format!("{n}-full")
                };
                only.push(base);
            }
        }
    }
    let opts = BenchOptions {
        only,
        quick: a.quick,
        scenario_dir: a.scenarios.clone(),
    };
    println!(
        "slicesim bench ({} cores; wall-clock figures of this machine, not simulation output)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{}", bench::header());
    bench::run(&opts, |r| println!("{}", bench::format_row(r)))?;
    // The allocator's huge-page verdict moves CPU seconds by a third on some hosts: say it.
    match crate::sim::allocator::huge_pages_off_since() {
        None => println!("huge pages: on (SLICESIM_HUGE_PAGES=on|off|auto)"),
        Some((_, 0)) => println!("huge pages: off (SLICESIM_HUGE_PAGES=off)"),
        Some((kib, ns_per_mib)) => println!(
            "huge pages: off from {} MiB resident ({:.1} ms system time per MiB of growth; SLICESIM_HUGE_PAGES=on|off|auto)",
            kib / 1024,
            ns_per_mib as f64 / 1e6
        ),
    }
    Ok(())
}
