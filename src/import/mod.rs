//! `slicesim import`: a real cluster's shape from what kubectl prints, as a scenario, and what
//! the cluster's endpoint publishing costs now.
//!
//! Data flows one way: [`read`] streams objects out of files and dump folders (told apart by
//! content) → [`snapshot`] keeps the fields the import uses, checked and located → [`group`]
//! finds each pod's workload (Deployment through its ReplicaSet, StatefulSet, DaemonSet, Job,
//! none) → [`write`] renders the scenario TOML with comments on where each value came from;
//! [`report`] measures the snapshot's own EndpointSlices and Endpoints against what slicesim's
//! controllers produce from the same pods.

pub mod audit;
pub mod group;
pub mod podrec;
pub mod read;
pub mod replay;
pub mod report;
pub mod snapshot;
pub mod stream;
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
    /// `--set` overrides: the recorded period is replayed with them too.
    pub settings: Vec<String>,
}

/// What was read.
pub struct Imported {
    pub snapshot: snapshot::Snapshot,
    pub grouping: group::Grouping,
    pub files: Vec<read::FileStats>,
    /// Files in dump folders that are not JSON (pod logs).
    pub not_json: Vec<PathBuf>,
    /// The recorded period, when an input is a pod watch stream.
    pub recording: Option<stream::Recording>,
    /// The start state of the recorded period (the snapshot's pods before the streams).
    pub start_pods: Option<std::collections::BTreeMap<snapshot::Key, podrec::PodRec>>,
    /// The start state's Services and Nodes (the snapshot's, before the streams' changes).
    pub start_objects: Option<StartObjects>,
    /// Audit events, when an input is a kube-apiserver audit log.
    pub audit: Option<audit::AuditLog>,
}

/// Services and Nodes at the start of the recorded period.
#[derive(Debug, Clone, Default)]
pub struct StartObjects {
    pub services: std::collections::BTreeMap<snapshot::Key, crate::k8s::Service>,
    pub nodes: std::collections::BTreeMap<String, crate::k8s::Node>,
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
    let mut rec = stream::Recording::default();
    let mut audit = audit::AuditLog::default();
    let mut stats = Vec::new();
    // Service and Node prints of streams: the end state once the start state is known
    let mut deferred = Vec::new();
    for f in &files {
        let mut router = Router::default();
        let s = read::read_file(f, &mut |item| {
            router.route(item, &mut snap, &mut rec, &mut audit, &mut deferred)
        })
        .map_err(|e| match e {
            read::Either::Left(e) => input_error(e.0),
            read::Either::Right(e) => input_error(e.0),
        })?;
        if let Some(p) = router.pending.take() {
            // one object alone in its file: a snapshot of one object
            snap.add(p).map_err(|e| input_error(e.0))?;
        }
        stats.push(s);
    }
    let mut start_pods = None;
    let mut start_objects = None;
    let recording = if rec.is_empty() {
        None
    } else {
        let has = |k: stream::RecKind| match k {
            stream::RecKind::Pod => !snap.pods.is_empty(),
            stream::RecKind::Service => !snap.services.is_empty(),
            stream::RecKind::Node => !snap.nodes.is_empty(),
        };
        rec.finish(
            &|kind, k| snap.rv_of(kind.name(), &k.0, &k.1).map(str::to_string),
            &has,
        );
        if snap.pods.is_empty() {
            for (k, p) in &rec.start_from_stream {
                let p = podrec::PodRec::from_pod(p.clone(), &mut snap.interner);
                snap.pods.insert(k.clone(), p);
            }
        }
        start_pods = Some(snap.pods.clone());
        let mut services = snap.services.clone();
        services.extend(rec.start_services_from_stream.clone());
        let mut nodes = snap.nodes.clone();
        nodes.extend(rec.start_nodes_from_stream.clone());
        start_objects = Some(StartObjects { services, nodes });
        apply_end_state(&mut snap, &rec);
        Some(rec)
    };
    for item in deferred {
        snap.add(item).map_err(|e| input_error(e.0))?;
    }
    let audit = if audit.events > 0 {
        audit.attribute(&|ns, name| {
            snap.slices
                .get(&(ns.to_string(), name.to_string()))
                .and_then(|s| s.service.clone())
        });
        Some(audit)
    } else {
        None
    };
    let grouping = group::group(&snap);
    Ok(Imported {
        snapshot: snap,
        grouping,
        files: stats,
        not_json,
        recording,
        start_pods,
        start_objects,
        audit,
    })
}

/// The snapshot after the recorded period: each pod as its last change left it (Services and
/// Nodes: their prints are added to the snapshot after this, in stream order).
fn apply_end_state(snap: &mut snapshot::Snapshot, rec: &stream::Recording) {
    let mut last: std::collections::BTreeMap<u32, bool> = std::collections::BTreeMap::new();
    let mut pod_events = 0;
    for e in &rec.events {
        if rec.kinds[e.key as usize] == stream::RecKind::Pod {
            last.insert(e.key, e.state.is_some());
            pod_events += 1;
        }
    }
    for (k, exists) in last {
        let key = &rec.keys[k as usize];
        if !exists {
            snap.pods.remove(key);
        } else if let Some(p) = rec.latest.get(key) {
            let p = podrec::PodRec::from_pod(p.clone(), &mut snap.interner);
            snap.pods.insert(key.clone(), p);
        }
    }
    snap.replaced += pod_events;
}

/// Sends each object of one file where it belongs, by content: audit events to the audit log;
/// watch events, and every object of a file of several top-level objects (`kubectl get -w -o
/// json` without `--output-watch-events`), to the recording (Pods, Services, Nodes; the
/// latter two also to the end state, later) or the end state (other kinds); List items and a
/// lone object to the snapshot.
#[derive(Default)]
struct Router {
    /// The file's first top-level object, until a second one shows the file is a stream.
    pending: Option<read::Item>,
    streaming: bool,
}

impl Router {
    fn route(
        &mut self,
        item: read::Item,
        snap: &mut snapshot::Snapshot,
        rec: &mut stream::Recording,
        audit: &mut audit::AuditLog,
        deferred: &mut Vec<read::Item>,
    ) -> Result<(), snapshot::FieldError> {
        if audit::is_audit(&item.value) {
            return audit.add(&item);
        }
        if item.event.is_none() && !self.streaming {
            if item.in_list {
                return snap.add(item);
            }
            match self.pending.take() {
                None => {
                    self.pending = Some(item);
                    return Ok(());
                }
                Some(first) => {
                    self.streaming = true;
                    Self::stream(first, snap, rec, deferred)?;
                }
            }
        }
        if item.event.is_some() {
            self.streaming = true;
            if let Some(first) = self.pending.take() {
                Self::stream(first, snap, rec, deferred)?;
            }
        }
        Self::stream(item, snap, rec, deferred)
    }

    fn stream(
        item: read::Item,
        snap: &mut snapshot::Snapshot,
        rec: &mut stream::Recording,
        deferred: &mut Vec<read::Item>,
    ) -> Result<(), snapshot::FieldError> {
        let kind = snapshot::kind_of(&item);
        if kind.as_deref() == Some("Pod") {
            rec.add_pod(&item)
        } else if let Some(k @ ("Service" | "Node")) = kind.as_deref() {
            rec.add_object(&item, k)?;
            deferred.push(item);
            Ok(())
        } else {
            if let Some(k) = snapshot::kind_of(&item) {
                *rec.other_kinds.entry(k).or_default() += 1;
            }
            snap.add(item)
        }
    }
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
    // What the scenario could not express is said here too, not only in a TOML comment: a
    // selector with matchExpressions is reduced to its matchLabels (Services select by labels
    // alone, so endpoint publishing is unaffected, but the workload is not the cluster's).
    let noted: Vec<String> = imp
        .grouping
        .groups
        .iter()
        .filter_map(|g| {
            let n = g.selector_note.as_ref()?;
            Some(format!("{}/{}: {n}", g.namespace, g.name))
        })
        .collect();
    const SHOWN: usize = 5;
    for line in noted.iter().take(SHOWN) {
        s.push_str(&format!("import: workload {line}\n"));
    }
    if noted.len() > SHOWN {
        s.push_str(&format!(
            "import: ... and {} more workloads with a selector note (see the scenario's comments)\n",
            noted.len() - SHOWN
        ));
    }
    s
}

/// `import: peak memory N MB` (the process's peak resident set, Linux `VmHWM`; None where
/// `/proc` is absent). Stderr only: big imports must show their memory stays bounded.
pub fn peak_memory_line() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(format!("import: peak memory {} MB", kb / 1024))
}
