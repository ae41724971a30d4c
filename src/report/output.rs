//! The one place where a run's files are written: the output folder is checked and prepared
//! before the run, every exporter's bytes are written atomically after it, and `run.json`
//! ([`super::manifest`]) last, once, listing them all. A run first removes the
//! previous one's manifest, outputs and charts ([`prepare_out_dir`]), so a folder is either one
//! finished run or visibly unfinished.

use super::manifest::{describe_bytes, Manifest};
use crate::fsio::{atomic_write, remove_stale_temps};
use crate::run::side_files::{check_side_paths, not_dir};
use crate::run::{RunOptions, RunResults};
use crate::scenario::NS_PER_SEC;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "run.json";

/// What `slicesim run` produced: the folder, its manifest, the terminal summary and the
/// results the files were made from.
pub struct RunOutcome {
    pub out_dir: PathBuf,
    pub manifest: Manifest,
    /// The short summary printed to the terminal.
    pub terminal_summary: String,
    pub results: RunResults,
}

/// Every file of a run folder that a run writes (besides `run.json` and the charts).
fn owned_files() -> impl Iterator<Item = &'static str> {
    super::EXPORTS.iter().map(|e| e.file)
}

/// Load the scenario named in `opts`, run it, write the results and last `run.json`. Bad
/// input is an [`crate::error::InputError`].
pub fn run(opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let outcome = run_outputs(opts)?;
    write_manifest(&outcome)?;
    Ok(outcome)
}

/// [`run`] without `run.json`: the caller writes it with [`write_manifest`] when everything
/// else (e.g. the charts) is written.
pub fn run_outputs(opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let scenario = crate::run::load_scenario(opts)?;
    let out_dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    check_output_paths(&out_dir, opts)?;
    prepare_out_dir(&out_dir)?;
    let results = crate::run::simulate_scenario(scenario, opts)?;
    write_outputs(&out_dir, results)
}

/// Check every output path before anything runs, so a bad one fails in a second rather than
/// after the whole run: the output directory and the `--record-trace` directories must be
/// directories (or not exist yet), the `--event-log` file must not be a directory.
pub fn check_output_paths(out_dir: &Path, opts: &RunOptions) -> anyhow::Result<()> {
    not_dir("output directory", out_dir)?;
    for f in owned_files().chain([MANIFEST]) {
        let p = out_dir.join(f);
        if p.is_dir() {
            return Err(crate::error::input_error(format!(
                "{}: is a directory; a run writes a file there (remove it or pick another --out)",
                p.display()
            )));
        }
    }
    check_side_paths(opts)
}

/// Make `out_dir` ready for a new run: `run.json` goes first (so a run killed from here on
/// leaves a folder without a manifest, never one that verifies), then every file this run
/// will write (outputs and charts of either format, so nothing from an earlier run stays
/// looking current), then temporaries of killed writers ([`remove_stale_temps`]).
/// Files the run does not own are left alone.
pub fn prepare_out_dir(out_dir: &Path) -> anyhow::Result<()> {
    let remove = |p: &Path| -> anyhow::Result<()> {
        match std::fs::remove_file(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing the earlier run's {}", p.display()))
            }
            _ => Ok(()),
        }
    };
    remove(&out_dir.join(MANIFEST))?;
    for f in owned_files() {
        remove(&out_dir.join(f))?;
    }
    let charts = out_dir.join("charts");
    for stem in crate::chart::RUN_CHART_STEMS {
        for ext in ["svg", "png"] {
            remove(&charts.join(format!("{stem}.{ext}")))?;
        }
    }
    remove_stale_temps(out_dir);
    remove_stale_temps(&charts);
    Ok(())
}

/// Write every exporter's file of `results` into `out_dir` (atomically) and build the
/// manifest (not written: see [`write_manifest`]).
pub fn write_outputs(out_dir: &Path, results: RunResults) -> anyhow::Result<RunOutcome> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating output directory {}", out_dir.display()))?;
    let mut files = Vec::new();
    for e in super::exports(&results) {
        let bytes = (e.bytes)(&results).with_context(|| format!("building {}", e.file))?;
        atomic_write(&out_dir.join(e.file), &bytes)?;
        files.push(describe_bytes(e.file, &bytes));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let sc = &results.scenario;
    let manifest = Manifest {
        scenario: sc.name.clone(),
        scenario_file: sc.source.file.clone(),
        scenario_sha256: sc.source.sha256.clone(),
        seed: sc.seed,
        slicesim_version: env!("CARGO_PKG_VERSION").to_string(),
        overrides: sc.source.overrides.clone(),
        duration_s: sc.duration_ns / NS_PER_SEC,
        files,
    };
    Ok(RunOutcome {
        out_dir: out_dir.to_path_buf(),
        manifest,
        terminal_summary: super::terminal::text(&results),
        results,
    })
}

/// Write `run.json`, the manifest of a finished run: call it once, after every other file
/// (the CLI draws the charts first). A folder without it is an unfinished run.
pub fn write_manifest(outcome: &RunOutcome) -> anyhow::Result<()> {
    atomic_write(
        &outcome.out_dir.join(MANIFEST),
        &outcome.manifest.to_json()?,
    )
}

/// Print the outcome (used by the CLI).
pub fn print_outcome(out: &RunOutcome, w: &mut dyn Write) -> std::io::Result<()> {
    write!(w, "{}", out.terminal_summary)?;
    writeln!(w, "results written to {}", out.out_dir.display())
}
