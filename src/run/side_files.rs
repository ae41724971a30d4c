//! The files a run writes while it runs, beside its output folder: the `--event-log` file
//! (a temporary renamed at the end) and the checks of `--event-log` and `--record-trace`
//! paths before the run starts. The output folder itself is written by
//! [`crate::report::output`].

use super::RunOptions;
use crate::fsio::{remove_stale_temps, temp_suffix};
use crate::sim::EventLog;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// An error unless `p` is a directory or does not exist yet.
pub fn not_dir(what: &str, p: &Path) -> anyhow::Result<()> {
    if p.exists() && !p.is_dir() {
        return Err(crate::error::input_error(format!(
            "{what} {}: exists and is not a directory",
            p.display()
        )));
    }
    Ok(())
}

/// The paths outside the output folder: `--record-trace` directories, `--event-log` file.
pub fn check_side_paths(opts: &RunOptions) -> anyhow::Result<()> {
    for (svc, dir) in &opts.record_traces {
        not_dir(&format!("--record-trace {svc}="), dir)?;
    }
    if let Some(t) = &opts.event_log {
        if t.is_dir() || t.as_os_str().to_string_lossy().ends_with('/') {
            return Err(crate::error::input_error(format!(
                "--event-log {}: is a directory; give a file path (e.g. {})",
                t.display(),
                t.join("events.log").display()
            )));
        }
        if let Some(parent) = t.parent().filter(|x| !x.as_os_str().is_empty()) {
            not_dir("--event-log: parent", parent)?;
        }
    }
    Ok(())
}

/// The `--event-log` file while the run writes it: a temporary beside the destination,
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
            .unwrap_or_else(|| "events.log".into());
        let tmp = dest.with_file_name(format!(".{name}{}", temp_suffix()));
        if let Some(parent) = tmp.parent().filter(|x| !x.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("creating event log {}", tmp.display()))?;
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
