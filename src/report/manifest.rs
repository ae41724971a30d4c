//! `run.json`: what was run and what it produced.
//!
//! Fields (JSON object, keys in this order, pretty-printed, trailing newline):
//! `scenario` (name), `scenario_file` (as given), `scenario_sha256` (hex SHA-256 of the file as
//! read, before overrides), `seed` (the seed actually used), `slicesim_version`, `overrides`
//! (`--set` values in order), `duration_s`, `files` (every other output file: `path` relative to
//! the output directory, `bytes`, `sha256`), sorted by path. No timestamps or host data, so the
//! same run always produces the same manifest.

use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub scenario: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub slicesim_version: String,
    pub overrides: Vec<String>,
    pub duration_s: u64,
    pub files: Vec<FileEntry>,
}

/// Size and SHA-256 of the file `rel` holding `bytes`.
pub fn describe_bytes(rel: &str, bytes: &[u8]) -> FileEntry {
    let digest = Sha256::digest(bytes);
    FileEntry {
        path: rel.to_string(),
        bytes: bytes.len() as u64,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

impl Manifest {
    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self)?;
        v.push(b'\n');
        Ok(v)
    }
}
