//! Conformance replay of reconcile traces (`slicesim reconcile`), exactly the
//! processing model of `shared/conformance/README.md`:
//!
//! For every input line `{"service", "pods", "nodes"}` (the complete state of
//! the world), in order:
//! 1. Topology cache feed ("nodeEvents"): if versus the previous line a node
//!    appeared, disappeared, changed its `Ready` status or its
//!    `topology.kubernetes.io/zone` label (on the first line every node counts
//!    as added), call `SetNodes` once with all nodes of the line; otherwise the
//!    cache keeps what it had. The node lister always holds the line's nodes.
//! 2. One EndpointSlice sync for the Service, with the stored slices labelled
//!    `kubernetes.io/service-name=<svc>` and managed by
//!    `endpointslice-controller.k8s.io`, in creation order:
//!    `EndpointSliceController::sync_service`, the function the simulator's
//!    controller manager calls.
//! 3. One Endpoints sync against the stored Endpoints object
//!    (`EndpointsController::sync_service` without a pod-change hint).
//!
//! State (store, trackers, topology cache) carries over between lines of one
//! file only. Steps are numbered from 0. The storage is `crate::apiserver`
//! with the step clock 2026-01-05T09:00:00Z + 10 s per line.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::convert::node_info;
use super::reconcile::ReconcilerOptions;
use super::reconciler::{
    is_managed_slice_of, select_pods, EndpointSliceController, NodeIndex, SliceWrite, SyncOutcome,
};
use crate::apiserver::{Shared, Store};
use crate::controllers::endpoints::{EndpointsController, EndpointsOptions, EndpointsWrite};
use crate::controllers::trigger_time::Timestamp;
use crate::error::input_error;
use crate::k8s;

/// Annotation the Endpoints controller sets when it truncated the object.
pub const ANNOTATION_OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
/// Step clock origin.
pub const CLOCK_START: &str = "2026-01-05T09:00:00Z";
/// Default seed of the streams that stand in for upstream's Go-map randomness
/// (per-map hash seeds and iteration starts behind PopAny / UnsortedList,
/// `getMost` ties and receiving zones of topology hints) and the apiserver's
/// names/UIDs.
///
/// Not special: upstream is random, so one seed is one draw from the output
/// distribution and no seed is "right". Conformance of the nondeterministic
/// outputs is judged over seeds 0..299 against upstream's 300-run distributions
/// (`slicesim reconcile --seeds 0..299 --compare DIST.json`,
/// `tests/it/conformance_distributions.rs`); with this seed the deterministic traces
/// and every trace's Endpoints fields match exactly (`tests/it/conformance_reconcile.rs`).
pub const DEFAULT_SEED: u64 = 0;
/// Seconds between lines.
pub const CLOCK_STEP_SECS: i64 = 10;
/// Trace format version: an optional first line `{"formatVersion":1}` (what `--record-trace`
/// writes); a trace without it is version 1, another version is refused.
pub const TRACE_FORMAT_VERSION: u64 = 1;

/// Is the first line `text` the format header? Refuses (located) another version.
fn format_header(line: usize, text: &str) -> anyhow::Result<bool> {
    if !text.contains("\"formatVersion\"") {
        return Ok(false);
    }
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(false);
    };
    match (m.len(), m.get("formatVersion")) {
        (1, Some(v)) if v.as_u64() == Some(TRACE_FORMAT_VERSION) => Ok(true),
        (1, Some(v)) => Err(input_error(format!(
            "line {line}: formatVersion {v}: this slicesim reads trace format version {TRACE_FORMAT_VERSION}; record the trace again with this slicesim (`slicesim run --record-trace`) or replay it with the release that wrote it"
        ))),
        _ => Ok(false),
    }
}

/// Options of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceOptions {
    /// `--max-endpoints-per-slice` (1..=1000).
    pub max_endpoints_per_slice: usize,
    /// Add the `hints` summary to each output line.
    pub hints: bool,
    /// Write the stored objects after every step into this directory.
    pub dump_dir: Option<PathBuf>,
    /// Seed of the streams standing in for upstream's Go-map randomness and
    /// the apiserver's name/UID generator.
    pub seed: u64,
}

impl Default for TraceOptions {
    fn default() -> Self {
        TraceOptions {
            max_endpoints_per_slice: 100,
            hints: false,
            dump_dir: None,
            seed: DEFAULT_SEED,
        }
    }
}

/// One input line.
#[derive(Debug, Clone)]
pub struct TraceLine {
    pub service: k8s::Service,
    pub pods: Vec<k8s::Pod>,
    pub nodes: Vec<k8s::Node>,
}

/// `endpointSlices` part of an output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct SliceCounts {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub slices: usize,
    pub endpoints: usize,
}

/// `endpoints` part of an output line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsSummary {
    pub action: &'static str,
    pub addresses: usize,
    pub not_ready_addresses: usize,
    pub over_capacity: bool,
}

/// One Endpoints controller sync of a step against the stored object, stored, and summarised
/// as an output line reports it (the replay's step 3; the manager's trace recorder computes its
/// Endpoints half the same way).
pub fn endpoints_step(
    epc: &mut EndpointsController,
    store: &mut Store<k8s::Endpoints>,
    shared: &mut Shared,
    svc: &k8s::Service,
    pods: &[k8s::Pod],
) -> anyhow::Result<EndpointsSummary> {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let current = store.get(&ns, &name).cloned();
    let action = match epc.sync(svc, pods, current.as_ref()) {
        EndpointsWrite::None => "none",
        EndpointsWrite::Create(e) => {
            store
                .create(shared, e)
                .context("storing created Endpoints")?;
            "create"
        }
        EndpointsWrite::Update(e) => {
            store
                .update(shared, e)
                .context("storing updated Endpoints")?;
            "update"
        }
    };
    let stored = store.get(&ns, &name);
    let (addresses, not_ready_addresses) = stored
        .map(|e| {
            e.subsets.iter().flatten().fold((0, 0), |(a, n), s| {
                (
                    a + s.addresses.as_ref().map_or(0, Vec::len),
                    n + s.not_ready_addresses.as_ref().map_or(0, Vec::len),
                )
            })
        })
        .unwrap_or((0, 0));
    let over_capacity = stored.is_some_and(|e| {
        e.metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(ANNOTATION_OVER_CAPACITY))
    });
    Ok(EndpointsSummary {
        action,
        addresses,
        not_ready_addresses,
        over_capacity,
    })
}

/// `hints` part of an output line (with `--hints`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HintSummary {
    pub endpoints_with_hints: usize,
    pub hints_by_zone: BTreeMap<String, usize>,
}

/// One output line; serializes with keys in the required order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepOutput {
    pub step: usize,
    pub endpoint_slices: SliceCounts,
    pub endpoints: EndpointsSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hints: Option<HintSummary>,
}

fn field<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
    line: usize,
    what: &str,
) -> anyhow::Result<T> {
    serde_json::from_value(v).map_err(|e| input_error(format!("line {line}: field {what}: {e}")))
}

/// Parse one input line (`line` is 1-based, for messages).
pub fn parse_line(line: usize, text: &str) -> anyhow::Result<TraceLine> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| input_error(format!("line {line}: not valid JSON: {e}")))?;
    let serde_json::Value::Object(mut m) = v else {
        return Err(input_error(format!("line {line}: expected a JSON object")));
    };
    let service = m
        .remove("service")
        .ok_or_else(|| input_error(format!("line {line}: field service: missing")))?;
    let service: k8s::Service = field(service, line, "service")?;
    let list = |m: &mut serde_json::Map<String, serde_json::Value>, name: &str| match m.remove(name)
    {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(a)) => Ok(a),
        Some(_) => Err(input_error(format!(
            "line {line}: field {name}: expected an array"
        ))),
    };
    let pods = list(&mut m, "pods")?
        .into_iter()
        .enumerate()
        .map(|(i, p)| field(p, line, &format!("pods[{i}]")))
        .collect::<anyhow::Result<Vec<k8s::Pod>>>()?;
    let nodes = list(&mut m, "nodes")?
        .into_iter()
        .enumerate()
        .map(|(i, p)| field(p, line, &format!("nodes[{i}]")))
        .collect::<anyhow::Result<Vec<k8s::Node>>>()?;
    if let Some(k) = m.keys().next() {
        return Err(input_error(format!(
            "line {line}: field {k}: unknown (expected service, pods, nodes)"
        )));
    }
    if service.metadata.name.as_deref().unwrap_or("").is_empty() {
        return Err(input_error(format!(
            "line {line}: field service.metadata.name: missing"
        )));
    }
    Ok(TraceLine {
        service,
        pods,
        nodes,
    })
}

/// Replay state of one trace file.
#[derive(Debug)]
pub struct TraceRunner {
    opts: TraceOptions,
    esc: EndpointSliceController,
    /// The EndpointSlice controller's choice stream (seeded with `opts.seed`, as the
    /// simulator seeds a recorded Service's stream).
    rng: ChaCha8Rng,
    epc: EndpointsController,
    shared: Shared,
    clock_start: Timestamp,
    pub slices: Store<k8s::EndpointSlice>,
    pub endpoints: Store<k8s::Endpoints>,
    prev_nodes: Option<BTreeMap<String, (bool, Option<String>)>>,
    step: usize,
}

fn node_signature(nodes: &[k8s::Node]) -> BTreeMap<String, (bool, Option<String>)> {
    nodes
        .iter()
        .map(|n| {
            let sig = (n.is_ready(), n.zone().map(str::to_string));
            (n.metadata.name.clone().unwrap_or_default(), sig)
        })
        .collect()
}

impl TraceRunner {
    /// A fresh replay. Errors if `max_endpoints_per_slice` is outside 1..=1000.
    pub fn new(opts: TraceOptions) -> anyhow::Result<Self> {
        if !(1..=1000).contains(&opts.max_endpoints_per_slice) {
            return Err(input_error(format!(
                "--max-endpoints-per-slice must be between 1 and 1000, got {}",
                opts.max_endpoints_per_slice
            )));
        }
        let clock_start = Timestamp::parse(CLOCK_START).context("clock origin")?;
        Ok(TraceRunner {
            esc: EndpointSliceController::new(ReconcilerOptions {
                max_endpoints_per_slice: opts.max_endpoints_per_slice,
                ..ReconcilerOptions::default()
            }),
            rng: ChaCha8Rng::seed_from_u64(opts.seed),
            epc: EndpointsController::new(EndpointsOptions::default()),
            shared: Shared::new(opts.seed, CLOCK_START.to_string()),
            clock_start,
            slices: Store::new(),
            endpoints: Store::new(),
            prev_nodes: None,
            step: 0,
            opts,
        })
    }

    fn now(&self) -> String {
        Timestamp {
            secs: self.clock_start.secs + CLOCK_STEP_SECS * self.step as i64,
            nanos: 0,
        }
        .to_rfc3339_nano()
    }

    /// Process one line (`line_no` 1-based for messages).
    pub fn step(&mut self, line_no: usize, line: &TraceLine) -> anyhow::Result<StepOutput> {
        self.shared.now = self.now();
        let svc = &line.service;
        let ns = svc.metadata.namespace.clone().unwrap_or_default();
        let name = svc.metadata.name.clone().unwrap_or_default();

        // 1. Topology cache feed.
        let sig = node_signature(&line.nodes);
        if self.prev_nodes.as_ref() != Some(&sig) {
            let infos = line
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    node_info(n)
                        .map_err(|e| input_error(format!("line {line_no}: field nodes[{i}]: {e}")))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            self.esc.reconciler.topology.set_nodes(&infos);
        }
        self.prev_nodes = Some(sig);
        let nodes = NodeIndex::from_nodes(&line.nodes);

        // 2. EndpointSlice sync: the same `sync_service` the simulator's manager calls.
        let listed: Vec<&k8s::EndpointSlice> = self
            .slices
            .list()
            .into_iter()
            .filter(|s| is_managed_slice_of(s, &ns, &name))
            .collect();
        let pods = select_pods(svc, &line.pods);
        let outcome = self
            .esc
            .sync_service(svc, &pods, &listed, &nodes, &mut self.rng);
        drop((listed, pods));
        let mut counts = SliceCounts::default();
        let result = match outcome {
            SyncOutcome::Skipped => None,
            SyncOutcome::Reconciled(r) => Some(r),
            // The store is read synchronously, so the listing is never behind our writes.
            SyncOutcome::Stale => {
                anyhow::bail!("line {line_no}: internal error: the replay listed stale slices")
            }
        };
        if let Some(result) = result {
            for w in result.writes {
                match w {
                    SliceWrite::Create(s) => {
                        let stored = self
                            .slices
                            .create(&mut self.shared, s)
                            .context("storing a created EndpointSlice")?;
                        self.esc.observe_write(&stored);
                        counts.created += 1;
                    }
                    SliceWrite::Update(s) => {
                        let out = self
                            .slices
                            .update(&mut self.shared, s)
                            .context("storing an updated EndpointSlice")?;
                        self.esc.observe_write(&out.object);
                        counts.updated += 1;
                    }
                    SliceWrite::Delete(s) => {
                        self.slices
                            .delete(
                                s.metadata.namespace.as_deref().unwrap_or(""),
                                s.metadata.name.as_deref().unwrap_or(""),
                            )
                            .context("deleting an EndpointSlice")?;
                        self.esc.observe_delete(&s);
                        counts.deleted += 1;
                    }
                }
            }
        }
        let managed: Vec<&k8s::EndpointSlice> = self
            .slices
            .list()
            .into_iter()
            .filter(|s| is_managed_slice_of(s, &ns, &name))
            .collect();
        counts.slices = managed.len();
        counts.endpoints = managed.iter().map(|s| s.endpoint_list().len()).sum();
        let hints = self.opts.hints.then(|| hint_summary(&managed));

        // 3. Endpoints sync.
        let endpoints = endpoints_step(
            &mut self.epc,
            &mut self.endpoints,
            &mut self.shared,
            svc,
            &line.pods,
        )?;

        if let Some(dir) = &self.opts.dump_dir {
            self.dump(dir)?;
        }
        let out = StepOutput {
            step: self.step,
            endpoint_slices: counts,
            endpoints,
            hints,
        };
        self.step += 1;
        Ok(out)
    }

    /// The EndpointSlice reconciler's topology cache.
    pub fn topology_cache(&self) -> &super::topology::TopologyCache {
        &self.esc.reconciler.topology
    }

    /// All stored objects (slices, then Endpoints), creation order, with kind/apiVersion set.
    pub fn stored_objects(&self) -> Vec<k8s::KubeObject> {
        self.slices
            .list()
            .into_iter()
            .map(|s| k8s::KubeObject::EndpointSlice(s.clone()).with_type_meta())
            .chain(
                self.endpoints
                    .list()
                    .into_iter()
                    .map(|e| k8s::KubeObject::Endpoints(e.clone()).with_type_meta()),
            )
            .collect()
    }

    fn dump(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("step-{:04}.json", self.step));
        let mut out = Vec::new();
        out.extend_from_slice(br#"{"kind":"List","apiVersion":"v1","metadata":{},"items":["#);
        for (i, o) in self.stored_objects().iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            crate::wire::json::write_go(&mut out, o);
        }
        out.extend_from_slice(b"]}\n");
        std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))
    }
}

/// Hint summary over the given slices (all address types together).
pub fn hint_summary(slices: &[&k8s::EndpointSlice]) -> HintSummary {
    let mut h = HintSummary::default();
    for s in slices {
        for e in s.endpoint_list() {
            let zones = e
                .hints
                .as_ref()
                .and_then(|h| h.for_zones.as_deref())
                .unwrap_or(&[]);
            if !zones.is_empty() {
                h.endpoints_with_hints += 1;
            }
            for z in zones {
                *h.hints_by_zone.entry(z.name.clone()).or_insert(0) += 1;
            }
        }
    }
    h
}

/// Replay a whole trace; calls `emit` with each output line as it is produced.
pub fn run_trace(
    input: impl BufRead,
    opts: TraceOptions,
    mut emit: impl FnMut(&StepOutput) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<StepOutput>> {
    let mut runner = TraceRunner::new(opts)?;
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let Some(line) = read_trace_line(i + 1, line)? else {
            continue;
        };
        if out.is_empty() && format_header(i + 1, &line)? {
            continue;
        }
        let parsed = parse_line(i + 1, &line)?;
        let o = runner.step(i + 1, &parsed)?;
        emit(&o)?;
        out.push(o);
    }
    if out.is_empty() {
        return Err(empty_trace());
    }
    Ok(out)
}

/// One line as read: `None` for a blank line; a line that is not UTF-8 is bad input
/// (exit 2, like any other malformed line), not an I/O failure.
fn read_trace_line(
    line_no: usize,
    read: std::io::Result<String>,
) -> anyhow::Result<Option<String>> {
    match read {
        Ok(l) if l.trim().is_empty() => Ok(None),
        Ok(l) => Ok(Some(l)),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(input_error(format!(
            "line {line_no}: not valid UTF-8 (a trace is JSON lines)"
        ))),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading line {line_no}"))),
    }
}

/// A trace without a single state: nothing to replay, which is never what was meant.
fn empty_trace() -> anyhow::Error {
    input_error(
        "the trace holds no lines: expected one {\"service\",\"pods\",\"nodes\"} JSON object per line",
    )
}

/// Parse a whole trace once (1-based line numbers kept for messages; blank lines skipped).
pub fn parse_trace(input: impl BufRead) -> anyhow::Result<Vec<(usize, TraceLine)>> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let Some(line) = read_trace_line(i + 1, line)? else {
            continue;
        };
        if out.is_empty() && format_header(i + 1, &line)? {
            continue;
        }
        out.push((i + 1, parse_line(i + 1, &line)?));
    }
    if out.is_empty() {
        return Err(empty_trace());
    }
    Ok(out)
}

/// Replay parsed `lines` once per seed (`opts.seed` is replaced; `opts.dump_dir` must be
/// unset), in parallel; the result is in `seeds` order and independent of the thread count
/// (every run owns its state and streams).
pub fn run_trace_seeds(
    lines: &[(usize, TraceLine)],
    opts: &TraceOptions,
    seeds: &[u64],
) -> anyhow::Result<Vec<Vec<StepOutput>>> {
    use rayon::prelude::*;
    if opts.dump_dir.is_some() {
        return Err(input_error("--dump cannot be combined with several seeds"));
    }
    seeds
        .par_iter()
        .map(|&seed| {
            let mut runner = TraceRunner::new(TraceOptions {
                seed,
                ..opts.clone()
            })?;
            lines
                .iter()
                .map(|(no, l)| runner.step(*no, l))
                .collect::<anyhow::Result<Vec<_>>>()
                .with_context(|| format!("seed {seed}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cpu_a: &str, ready_b: bool) -> TraceLine {
        let v = serde_json::json!({
            "service": {"metadata": {"name": "s", "namespace": "d", "uid": "u"},
                        "spec": {"selector": {"app": "s"}, "clusterIP": "10.0.0.1", "ipFamilies": ["IPv4"]}},
            "pods": [],
            "nodes": [
                {"metadata": {"name": "a", "labels": {"topology.kubernetes.io/zone": "za"}},
                 "status": {"allocatable": {"cpu": cpu_a}, "conditions": [{"type": "Ready", "status": "True"}]}},
                {"metadata": {"name": "b", "labels": {"topology.kubernetes.io/zone": "zb"}},
                 "status": {"allocatable": {"cpu": "1"},
                            "conditions": [{"type": "Ready", "status": if ready_b {"True"} else {"False"}}]}}
            ]
        });
        parse_line(1, &v.to_string()).expect("line")
    }

    /// Topology cache feed "nodeEvents": SetNodes on the first line and when a node's Ready
    /// status or zone changes; an allocatable-CPU-only change is invisible until then.
    #[test]
    fn topology_cache_fed_only_on_node_events() {
        let mut r = TraceRunner::new(TraceOptions::default()).expect("runner");
        r.step(1, &line("1", true)).expect("step");
        assert_eq!(r.topology_cache().cpu_ratios().map(|m| m["za"]), Some(0.5));
        r.step(2, &line("3", true)).expect("step");
        assert_eq!(r.topology_cache().cpu_ratios().map(|m| m["za"]), Some(0.5));
        r.step(3, &line("3", false)).expect("step");
        assert!(r.topology_cache().cpu_ratios().is_none(), "one zone left");
        r.step(4, &line("3", true)).expect("step");
        assert_eq!(r.topology_cache().cpu_ratios().map(|m| m["za"]), Some(0.75));
    }

    /// Steps are numbered from 0 and the step clock advances 10 s per line.
    #[test]
    fn steps_from_zero_and_clock() {
        let mut r = TraceRunner::new(TraceOptions::default()).expect("runner");
        let o = r.step(1, &line("1", true)).expect("step");
        assert_eq!(o.step, 0);
        assert_eq!(
            r.slices.list()[0].metadata.creation_timestamp.as_deref(),
            Some("2026-01-05T09:00:00Z")
        );
        let o = r.step(2, &line("1", true)).expect("step");
        assert_eq!(o.step, 1);
        assert_eq!(r.now(), "2026-01-05T09:00:20Z");
    }
}

/// One field of a `reconcile` output line next to its expected value, as the conformance
/// check compares them: main-line fields flattened to dotted paths (`endpointSlices.updated`),
/// hint-summary fields as the hint sidecar names them (`endpointsWithHints`,
/// `hintsByZone.<zone>`, an absent zone counting as 0). Shared by the conformance test and the
/// seed-scan example so both judge a line the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPair {
    pub field: String,
    /// True for a hint-summary field (judged against the hints sidecar).
    pub hint: bool,
    pub expected: serde_json::Value,
    pub got: serde_json::Value,
}

/// Flatten nested JSON objects into dotted paths (`endpointSlices.updated` → value).
pub fn flatten_fields(
    prefix: &str,
    v: &serde_json::Value,
    out: &mut BTreeMap<String, serde_json::Value>,
) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_fields(&p, x, out);
            }
        }
        _ => {
            out.insert(prefix.to_string(), v.clone());
        }
    }
}

/// Every field of `got` and `expected` (union of keys, missing = null), plus the hint fields
/// when `expected_hints` (a hint sidecar line) is given.
pub fn field_pairs(
    got: &serde_json::Value,
    expected: &serde_json::Value,
    expected_hints: Option<&serde_json::Value>,
) -> Vec<FieldPair> {
    use serde_json::Value;
    let mut g_main = got.clone();
    if let Value::Object(m) = &mut g_main {
        m.remove("hints");
    }
    let (mut ge, mut ee) = (BTreeMap::new(), BTreeMap::new());
    flatten_fields("", &g_main, &mut ge);
    flatten_fields("", expected, &mut ee);
    let keys: std::collections::BTreeSet<&String> = ge.keys().chain(ee.keys()).collect();
    let mut out: Vec<FieldPair> = keys
        .into_iter()
        .map(|k| FieldPair {
            field: k.clone(),
            hint: false,
            expected: ee.get(k).cloned().unwrap_or(Value::Null),
            got: ge.get(k).cloned().unwrap_or(Value::Null),
        })
        .collect();
    if let Some(h) = expected_hints {
        let gh = &got["hints"];
        out.push(FieldPair {
            field: "endpointsWithHints".into(),
            hint: true,
            expected: h["endpointsWithHints"].clone(),
            got: gh["endpointsWithHints"].clone(),
        });
        let zones: std::collections::BTreeSet<&String> = h["hintsByZone"]
            .as_object()
            .into_iter()
            .flatten()
            .chain(gh["hintsByZone"].as_object().into_iter().flatten())
            .map(|(z, _)| z)
            .collect();
        for z in zones {
            out.push(FieldPair {
                field: format!("hintsByZone.{z}"),
                hint: true,
                expected: h["hintsByZone"].get(z).cloned().unwrap_or(Value::from(0)),
                got: gh["hintsByZone"].get(z).cloned().unwrap_or(Value::from(0)),
            });
        }
    }
    out
}

#[cfg(test)]
mod field_pair_tests {
    use super::field_pairs;
    use serde_json::json;

    #[test]
    fn differences_and_absent_zones_are_reported() {
        let got = json!({"step":0,"endpointSlices":{"updated":2},"hints":{"endpointsWithHints":3,"hintsByZone":{"a":3}}});
        let exp = json!({"step":0,"endpointSlices":{"updated":1}});
        let hints = json!({"endpointsWithHints":3,"hintsByZone":{"b":3}});
        let diffs: Vec<_> = field_pairs(&got, &exp, Some(&hints))
            .into_iter()
            .filter(|p| p.got != p.expected)
            .map(|p| (p.field, p.hint))
            .collect();
        assert_eq!(
            diffs,
            [
                ("endpointSlices.updated".to_string(), false),
                ("hintsByZone.a".to_string(), true),
                ("hintsByZone.b".to_string(), true)
            ]
        );
    }
}
