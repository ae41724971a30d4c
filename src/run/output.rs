//! The one place where a run's files are written: the output folder is checked and prepared
//! before the run, every exporter's bytes are written atomically after it, and `run.json`
//! ([`crate::report::manifest`]) last, once, listing them all. A run first removes the
//! previous one's manifest, outputs and charts ([`prepare_out_dir`]), so a folder is either one
//! finished run or visibly unfinished.

use super::{RunOptions, RunResults};
use crate::fsio::{atomic_write, remove_stale_temps, temp_suffix};
use crate::report::manifest::{describe_bytes, Manifest};
use crate::scenario::NS_PER_SEC;
use crate::sim::EventLog;
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
    crate::report::EXPORTS.iter().map(|e| e.file)
}

/// Check every output path before anything runs, so a bad one fails in a second rather than
/// after the whole run: the output directory and the `--record-trace` directories must be
/// directories (or not exist yet), the `--trace-events` file must not be a directory.
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

fn not_dir(what: &str, p: &Path) -> anyhow::Result<()> {
    if p.exists() && !p.is_dir() {
        return Err(crate::error::input_error(format!(
            "{what} {}: exists and is not a directory",
            p.display()
        )));
    }
    Ok(())
}

/// The paths outside the output folder: `--record-trace` directories, `--trace-events` file.
pub fn check_side_paths(opts: &RunOptions) -> anyhow::Result<()> {
    for (svc, dir) in &opts.record_traces {
        not_dir(&format!("--record-trace {svc}="), dir)?;
    }
    if let Some(t) = &opts.trace_events {
        if t.is_dir() || t.as_os_str().to_string_lossy().ends_with('/') {
            return Err(crate::error::input_error(format!(
                "--trace-events {}: is a directory; give a file path (e.g. {})",
                t.display(),
                t.join("events.trace").display()
            )));
        }
        if let Some(parent) = t.parent().filter(|x| !x.as_os_str().is_empty()) {
            not_dir("--trace-events: parent", parent)?;
        }
    }
    Ok(())
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
    for e in crate::report::exports(&results) {
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
        terminal_summary: crate::report::terminal::text(&results),
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

/// The `--trace-events` file while the run writes it: a temporary beside the destination,
/// renamed at the end ([`EventLogFile::finish`]) and removed if the run fails before, so a failed
/// run leaves no `.tmp-PID` file.
pub struct EventLogFile {
    tmp: Option<PathBuf>,
    dest: PathBuf,
    file: std::fs::File,
}

impl EventLogFile {
    /// Create the temporary (and its folder) and the log writing to it.
    pub fn create(dest: &Path) -> anyhow::Result<(EventLogFile, EventLog)> {
        if let Some(parent) = dest.parent() {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            remove_stale_temps(parent);
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace".into());
        let tmp = dest.with_file_name(format!(".{name}{}", temp_suffix()));
        if let Some(parent) = tmp.parent().filter(|x| !x.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("creating trace file {}", tmp.display()))?;
        let log = EventLog::to_writer(Box::new(std::io::BufWriter::new(file.try_clone()?)));
        Ok((
            EventLogFile {
                tmp: Some(tmp),
                dest: dest.to_path_buf(),
                file,
            },
            log,
        ))
    }

    /// Rename the temporary over the destination (after the log was flushed and dropped).
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.file.sync_all().ok();
        if let Some(tmp) = self.tmp.take() {
            std::fs::rename(&tmp, &self.dest).with_context(|| {
                format!("renaming {} to {}", tmp.display(), self.dest.display())
            })?;
        }
        Ok(())
    }
}

impl Drop for EventLogFile {
    fn drop(&mut self) {
        if let Some(p) = self.tmp.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}
