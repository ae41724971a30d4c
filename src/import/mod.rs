//! `slicesim import`: a real cluster's shape from what kubectl prints, as a scenario, and what
//! the cluster's endpoint publishing costs now.
//!
//! Data flows one way: [`read`] streams objects out of files and dump folders (told apart by
//! content) → [`snapshot`] keeps the fields the import uses, checked and located → [`group`]
//! finds each pod's workload (Deployment through its ReplicaSet, StatefulSet, DaemonSet, Job,
//! none) → [`write`] renders the scenario TOML with comments on where each value came from;
//! [`report`] measures the snapshot's own EndpointSlices and Endpoints against what slicesim's
//! controllers produce from the same pods.

pub mod group;
pub mod read;
pub mod report;
pub mod snapshot;
pub mod write;

use std::path::PathBuf;

use crate::error::input_error;

/// What `slicesim import` was asked.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub inputs: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub name: String,
    pub duration: String,
    /// Services with at least this many endpoints get the rolling-update simulation.
    pub large: usize,
    /// Seed of the report's simulations.
    pub seed: u64,
}

/// What was read.
pub struct Imported {
    pub snapshot: snapshot::Snapshot,
    pub grouping: group::Grouping,
    pub files: Vec<read::FileStats>,
    /// Files in dump folders that are not JSON (pod logs).
    pub not_json: Vec<PathBuf>,
}

/// Read every input into one snapshot.
pub fn load(inputs: &[PathBuf]) -> anyhow::Result<Imported> {
    let (files, not_json) = read::expand_inputs(inputs).map_err(|e| input_error(e.0))?;
    if files.is_empty() {
        return Err(input_error(format!(
            "no JSON files in {} (expected kubectl JSON output or a `kubectl cluster-info dump` folder)",
            inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut snap = snapshot::Snapshot::default();
    let mut stats = Vec::new();
    for f in &files {
        let s = read::read_file(f, &mut |item| snap.add(item)).map_err(|e| match e {
            read::Either::Left(e) => input_error(e.0),
            read::Either::Right(e) => input_error(e.0),
        })?;
        stats.push(s);
    }
    let grouping = group::group(&snap);
    Ok(Imported {
        snapshot: snap,
        grouping,
        files: stats,
        not_json,
    })
}

/// Render the scenario of an import (checked: the text must load as a scenario).
pub fn scenario_text(imp: &Imported, opts: &ImportOptions) -> anyhow::Result<String> {
    let text = write::render(
        &imp.snapshot,
        &imp.grouping,
        &write::WriteOptions {
            name: opts.name.clone(),
            duration: opts.duration.clone(),
            inputs: opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        },
    );
    let shown = opts
        .out
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "imported.toml".into());
    crate::scenario::parse_str(&text, &shown, &[]).map_err(|e| {
        anyhow::anyhow!("slicesim import wrote a scenario that does not validate (a defect of the import, please report it): {e:#}")
    })?;
    Ok(text)
}

/// One line per input for stderr: what each file held.
pub fn describe(imp: &Imported) -> String {
    let mut s = String::new();
    let empty = imp.files.iter().filter(|f| f.objects == 0).count();
    if empty > 0 {
        s.push_str(&format!("import: {empty} files with empty Lists\n"));
    }
    for f in imp.files.iter().filter(|f| f.objects > 0) {
        s.push_str(&format!(
            "import: {}: {} objects{}{}\n",
            f.file,
            f.objects,
            if f.lists > 0 {
                format!(" in {} List(s)", f.lists)
            } else {
                String::new()
            },
            if f.watch_events > 0 {
                format!(", {} watch events", f.watch_events)
            } else {
                String::new()
            },
        ));
    }
    if !imp.not_json.is_empty() {
        s.push_str(&format!(
            "import: {} files that are not JSON skipped (e.g. {})\n",
            imp.not_json.len(),
            imp.not_json[0].display()
        ));
    }
    let snap = &imp.snapshot;
    if !snap.skipped.is_empty() {
        let k: Vec<String> = snap
            .skipped
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        s.push_str(&format!("import: skipped kinds: {}\n", k.join(", ")));
    }
    s.push_str(&format!(
        "import: {} nodes, {} pods in {} workloads ({} finished pods left out), {} Services, {} Endpoints, {} EndpointSlices\n",
        snap.nodes.len(),
        snap.pods.len(),
        imp.grouping.groups.len(),
        imp.grouping.finished,
        snap.services.len(),
        snap.endpoints.len(),
        snap.slices.len()
    ));
    s
}
