//! Atomic file writing: readers never see a half-written result file.
//!
//! The bytes go to a temporary file in the *same directory* (same filesystem, so the final
//! `rename` is atomic on POSIX), are flushed and synced, and the temporary is renamed over the
//! destination. On error the temporary is removed.

use anyhow::Context;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `.tmp-PID`: the suffix of this process's temporaries (`.NAME.tmp-PID` beside `NAME`).
/// The pid keeps two concurrent writers of the same file apart; it never reaches any output.
pub fn temp_suffix() -> String {
    format!(".tmp-{}", std::process::id())
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    path.with_file_name(format!(".{name}{}", temp_suffix()))
}

/// Remove the temporaries (`.NAME.tmp-PID`) in `dir` that a killed writer left behind
/// (SIGKILL/SIGTERM skip every cleanup): every run calls this on the folders it writes, so
/// a kill costs at most one leftover until the next run. On Linux a temporary whose process is
/// still alive (`/proc/PID`) is kept, so two runs into one folder do not break each other.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let me = std::process::id().to_string();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".tmp-"))
            .map(|(_, pid)| pid)
        else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let alive =
            pid == me || (cfg!(target_os = "linux") && Path::new("/proc").join(pid).exists());
        if !alive && e.file_type().map(|t| t.is_file()).unwrap_or(false) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Write `bytes` to `path` atomically (temp file in the same directory + rename).
/// Creates the parent directory if needed.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    atomic_write_with(path, |w| w.write_all(bytes))
}

/// Like [`atomic_write`], but streams the content through `fill` (for large files).
pub fn atomic_write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(parent)
                .with_context(|| format!("creating directory {}", parent.display()))?;
        }
    }
    let tmp = temp_path(path);
    let result = (|| -> anyhow::Result<()> {
        let file = fs::File::create(&tmp)
            .with_context(|| format!("creating temporary file {}", tmp.display()))?;
        let mut w = std::io::BufWriter::new(file);
        fill(&mut w).with_context(|| format!("writing {}", tmp.display()))?;
        let file = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", tmp.display()))?;
        file.sync_all()
            .with_context(|| format!("syncing {}", tmp.display()))?;
        fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A file written incrementally and published atomically by [`AtomicFile::commit`]; dropped
/// without commit, the temporary is removed and the destination is untouched.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    writer: Option<std::io::BufWriter<fs::File>>,
}

impl AtomicFile {
    pub fn create(dest: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = dest.parent() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("creating directory {}", parent.display()))?;
            }
        }
        let tmp = temp_path(dest);
        let file = fs::File::create(&tmp)
            .with_context(|| format!("creating temporary file {}", tmp.display()))?;
        Ok(AtomicFile {
            tmp,
            dest: dest.to_path_buf(),
            writer: Some(std::io::BufWriter::new(file)),
        })
    }

    pub fn commit(mut self) -> anyhow::Result<()> {
        if let Some(w) = self.writer.take() {
            let file = w
                .into_inner()
                .map_err(|e| e.into_error())
                .with_context(|| format!("writing {}", self.tmp.display()))?;
            file.sync_all()
                .with_context(|| format!("syncing {}", self.tmp.display()))?;
            fs::rename(&self.tmp, &self.dest).with_context(|| {
                format!("renaming {} to {}", self.tmp.display(), self.dest.display())
            })?;
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.writer.as_mut() {
            Some(w) => w.write(buf),
            None => Err(std::io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self.writer.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces_without_leaving_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/out.csv");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "temporary left behind: {names:?}");
    }

    #[test]
    fn uncommitted_file_leaves_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("trace.txt");
        atomic_write(&p, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"new partial").unwrap();
        }
        assert_eq!(fs::read(&p).unwrap(), b"old");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
