//! `slicesim merge DIR... --out DIR`: combine shard outputs of one sweep.
//!
//! Every input must hold a `sweep.json` of the same sweep file (same SHA-256) and base
//! scenario; anything else is refused. Each point is taken from the first input (in argument
//! order) where it is complete; its directory is copied to `OUT/points/<id>` (`point.json`
//! last). `OUT/sweep.csv` is built exactly as an unsharded `slicesim sweep` builds it, so it
//! is byte-identical to the unsharded sweep's. Missing points are an error naming them.

use super::{
    point_dir, point_done, read_manifest, sweep_csv, write_json, PointEntry, PointManifest,
};
use crate::error::input_error;
use crate::fsio::atomic_write;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub out: PathBuf,
    pub points: usize,
    pub inputs: usize,
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn copy_point(src: &Path, dst: &Path) -> anyhow::Result<()> {
    if dst.exists() {
        std::fs::remove_dir_all(dst).with_context(|| format!("clearing {}", dst.display()))?;
    }
    std::fs::create_dir_all(dst).with_context(|| format!("creating {}", dst.display()))?;
    let mut names: Vec<_> = std::fs::read_dir(src)
        .with_context(|| format!("reading {}", src.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name())
        .filter(|n| n != "point.json" && !n.to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    for n in names.iter().chain(std::iter::once(&"point.json".into())) {
        let bytes = std::fs::read(src.join(n))
            .with_context(|| format!("reading {}", src.join(n).display()))?;
        atomic_write(&dst.join(n), &bytes)?;
    }
    Ok(())
}

/// Merge the sweep outputs `dirs` into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> anyhow::Result<MergeOutcome> {
    if dirs.is_empty() {
        return Err(input_error(
            "merge: give at least one sweep output directory",
        ));
    }
    let manifests = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first = &manifests[0];
    let hashes = |m: &super::SweepManifest| -> Vec<String> {
        m.points.iter().map(|p| p.hash.clone()).collect()
    };
    for (d, m) in dirs.iter().zip(&manifests).skip(1) {
        if m.sweep_sha256 != first.sweep_sha256
            || m.base_sha256 != first.base_sha256
            || m.parameters != first.parameters
            || hashes(m) != hashes(first)
        {
            return Err(input_error(format!(
                "merge: {} is a shard of a different sweep ({}, sha256 {}) than {} ({}, sha256 {}); refusing to mix them",
                d.display(),
                m.sweep_file,
                m.sweep_sha256,
                dirs[0].display(),
                first.sweep_file,
                first.sweep_sha256
            )));
        }
    }
    // choose a source for every point
    let mut sources: Vec<Option<PathBuf>> = Vec::with_capacity(first.points.len());
    for p in &first.points {
        sources.push(
            dirs.iter()
                .map(|d| point_dir(d, &p.id))
                .find(|pd| point_done(pd, &p.hash)),
        );
    }
    let missing: Vec<&str> = first
        .points
        .iter()
        .zip(&sources)
        .filter(|(_, s)| s.is_none())
        .map(|(p, _)| p.id.as_str())
        .collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).copied().collect();
        return Err(input_error(format!(
            "merge: {} of {} points are not complete in any input ({}{}); run the missing shards (or rerun them to resume) first",
            missing.len(),
            first.points.len(),
            shown.join(", "),
            if missing.len() > shown.len() { ", …" } else { "" }
        )));
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut rows: Vec<(PointEntry, PathBuf)> = Vec::with_capacity(first.points.len());
    for (i, (p, src)) in first.points.iter().zip(sources).enumerate() {
        let src = src.unwrap_or_default();
        let dst = point_dir(out, &p.id);
        if !same_dir(&src, &dst) {
            copy_point(&src, &dst)?;
            // the copied point.json must still describe this point
            let pm: PointManifest =
                serde_json::from_slice(&std::fs::read(dst.join("point.json"))?)?;
            if pm.hash != p.hash || pm.index != i {
                return Err(input_error(format!(
                    "merge: {} does not describe point {} of this sweep",
                    src.join("point.json").display(),
                    p.id
                )));
            }
        }
        rows.push((p.clone(), dst));
    }
    let mut merged = first.clone();
    merged.shard = None;
    write_json(&out.join("sweep.json"), &merged)?;
    let csv = sweep_csv(&merged.parameters, &rows)?;
    atomic_write(&out.join("sweep.csv"), &csv)?;
    Ok(MergeOutcome {
        out: out.to_path_buf(),
        points: rows.len(),
        inputs: dirs.len(),
    })
}
