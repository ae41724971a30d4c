//! The recorded period replayed: the snapshot's pods, then every recorded pod change at its
//! (inferred) time, through slicesim's EndpointSlice and Endpoints controllers and the watch
//! model (one run, both modes), with the scenario's settings and, with `--set`, with others.
//! Beside it, per Service, the writes the cluster's audit log shows for the same period.
//!
//! The run: the imported cluster (nodes, Services, one workload per owner) whose workloads
//! start empty and whose pods are the recording's ([`crate::cluster::world::Replay`]): at t = 0
//! the start state (the snapshot's pods, with their nodes, IPs and readiness), at
//! [`SETTLE_S`] the period's first change, each later change at the same offset from it as
//! recorded. The controllers' first syncs (creating every object from scratch) fall in the
//! settle time and are not counted: the cost of the period is what is written and sent from
//! [`SETTLE_S`] to the end.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;

use super::audit::{AuditLog, Res};
use super::podrec::PodRec;
use super::stream::{Ms, RecKind, Recording, State};
use super::{ImportOptions, Imported};
use crate::cluster::world::{Replay, ReplayNode, ReplayPod, ReplayState, ReplayStep};
use crate::cluster::PodPhase;
use crate::controllers::manager::ControllerKind;
use crate::k8s;
use crate::plan::report::human_bytes;
use crate::scenario::{Nanos, NS_PER_MS, NS_PER_SEC};

/// Simulated time between the start state and the period's first change.
pub const SETTLE_S: u64 = 60;
/// Simulated time after the last change (the controllers' last syncs).
pub const TAIL_S: u64 = 30;

/// Writes of one Service in one mode: creates, updates, deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Writes {
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
}

impl Writes {
    pub fn total(&self) -> u64 {
        self.creates + self.updates + self.deletes
    }
    fn add_verb(&mut self, verb: &str) {
        match verb {
            "create" => self.creates += 1,
            "delete" | "deletecollection" => self.deletes += 1,
            _ => self.updates += 1,
        }
    }
    fn show(&self) -> String {
        if self.total() == 0 {
            "0".into()
        } else {
            format!(
                "{} ({}/{}/{})",
                self.total(),
                self.creates,
                self.updates,
                self.deletes
            )
        }
    }
}

/// One replay run (one set of settings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCost {
    /// `--set` overrides of this run (empty: the imported scenario's settings).
    pub settings: Vec<String>,
    /// Per Service (`namespace/name`): [EndpointSlice mode, Endpoints mode].
    pub per_service: BTreeMap<String, [Writes; 2]>,
    /// Whole period: [(API writes, watch bytes sent)] per mode.
    pub totals: [(f64, f64); 2],
}

/// The audit log's writes in the period, per Service: [EndpointSlices, Endpoints], and the
/// rejected ones (non-2xx).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditCost {
    pub per_service: BTreeMap<String, [Writes; 2]>,
    pub rejected: BTreeMap<String, [u64; 2]>,
    /// Writes per user (writer).
    pub users: BTreeMap<String, u64>,
    pub outside_period: usize,
    pub unattributed: usize,
}

/// Everything the replay section of the report shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplayReport {
    /// (first, last) change, ms since the epoch.
    pub period_ms: (Ms, Ms),
    /// Pod changes.
    pub changes: usize,
    /// Service and Node changes.
    pub object_changes: usize,
    pub start_pods: usize,
    /// Changes whose pod belongs to no workload (finished pods...), skipped.
    pub skipped: usize,
    pub runs: Vec<RunCost>,
    pub audit: Option<AuditCost>,
    /// What was inferred, one line each.
    pub notes: Vec<String>,
}

fn phase_of(p: Option<&str>, has_ip: bool) -> PodPhase {
    match p {
        Some("Pending") => PodPhase::Pending,
        Some("Running") => PodPhase::Running,
        Some("Succeeded") => PodPhase::Succeeded,
        Some("Failed") => PodPhase::Failed,
        Some(_) => PodPhase::Unknown,
        None if has_ip => PodPhase::Running,
        None => PodPhase::Pending,
    }
}

fn ts_ms(t: Option<&str>) -> Option<Ms> {
    let t = crate::k8s::time::Timestamp::parse(t?)?;
    Some(t.secs * 1000 + i64::from(t.nanos / 1_000_000))
}

/// Recorded time → simulated time (clamped at 0: before the run).
fn sim_ns(at: Ms, origin: Ms) -> Nanos {
    let off = at - origin;
    let base = (SETTLE_S * NS_PER_SEC) as i128;
    (base + i128::from(off) * i128::from(NS_PER_MS)).max(0) as Nanos
}

/// What the run needs from the import: the scenario (as text) and each pod's workload.
struct Plan {
    text: String,
    /// (namespace, pod name) → (namespace, workload name).
    workload_of: BTreeMap<(String, String), (String, String)>,
    /// Node name → node index; names of no Node object go round-robin.
    nodes: BTreeMap<String, usize>,
    node_count: usize,
    /// Nodes of the start state (they are `nodes` 0..start_nodes; later ones are added by the
    /// recording).
    start_nodes: usize,
    /// Services of the start state; the scenario's others are the recording's (created at
    /// their time).
    start_services: BTreeSet<(String, String)>,
    /// Every Node object of the period (start state, else its first print): zones and CPU.
    node_objects: BTreeMap<String, k8s::Node>,
    /// Whether the recording has Node changes (then the start nodes get their own zones,
    /// readiness and CPU rather than the scenario's spread).
    node_events: bool,
}

fn plan(imp: &mut Imported, opts: &ImportOptions) -> anyhow::Result<Plan> {
    let rec = imp.recording.as_ref().expect("replay without recording");
    let start = imp.start_pods.clone().unwrap_or_default();
    // Every pod the period shows gets a workload: the start pods and every pod of the
    // streams (a terminal phase is ignored here: the last print of a deleted pod often has one).
    let mut union = start;
    for (k, p) in &rec.latest {
        if !union.contains_key(k) {
            let mut p = p.clone();
            p.status.phase = None;
            let p = PodRec::from_pod(p, &mut imp.snapshot.interner);
            union.insert(k.clone(), p);
        }
    }
    // Services and Nodes: the start state's, plus each one the recording adds (as first seen)
    let starts = imp.start_objects.clone().unwrap_or_default();
    let start_services: BTreeSet<(String, String)> = starts.services.keys().cloned().collect();
    let mut services = starts.services.clone();
    let mut node_objects = starts.nodes.clone();
    let mut added_nodes: Vec<String> = Vec::new();
    let mut node_events = false;
    for e in &rec.events {
        let k = &rec.keys[e.key as usize];
        match &e.state {
            Some(State::Service(svc)) => {
                services.entry(k.clone()).or_insert_with(|| (**svc).clone());
            }
            Some(State::Node(n)) if !node_objects.contains_key(&k.1) => {
                node_objects.insert(k.1.clone(), (**n).clone());
                added_nodes.push(k.1.clone());
            }
            _ => {}
        }
        node_events |= rec.kinds[e.key as usize] == RecKind::Node;
    }
    let saved = std::mem::replace(&mut imp.snapshot.pods, union);
    let saved_services = std::mem::replace(&mut imp.snapshot.services, services);
    let saved_nodes = std::mem::replace(&mut imp.snapshot.nodes, node_objects.clone());
    let grouping = super::group::group(&imp.snapshot);
    let text = super::write::render(
        &imp.snapshot,
        &grouping,
        &super::write::WriteOptions {
            name: format!("{}-replay", opts.name),
            duration: "1m".into(),
            inputs: opts
                .inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        },
    );
    // the start nodes in name order, then the ones the recording adds
    let mut names: Vec<String> = starts.nodes.keys().cloned().collect();
    if names.is_empty() && added_nodes.is_empty() {
        let pods: BTreeSet<String> = imp
            .snapshot
            .pods
            .values()
            .filter_map(|p| p.node_name.as_deref().map(str::to_string))
            .collect();
        names = pods.into_iter().collect();
    }
    let start_nodes = names.len();
    names.extend(added_nodes);
    imp.snapshot.pods = saved;
    imp.snapshot.services = saved_services;
    imp.snapshot.nodes = saved_nodes;
    let mut workload_of = BTreeMap::new();
    for g in &grouping.groups {
        for k in &g.pods {
            workload_of.insert(k.clone(), (g.namespace.clone(), g.name.clone()));
        }
    }
    let node_count = names.len().max(1);
    Ok(Plan {
        text,
        workload_of,
        nodes: names.into_iter().enumerate().map(|(i, n)| (n, i)).collect(),
        node_count,
        start_nodes,
        start_services,
        node_objects,
        node_events,
    })
}

/// A Node as the replay sets it: its zone (an index into `zones`, a zone the scenario lacks
/// is added), readiness and allocatable CPU.
fn replay_node(n: &k8s::Node, zones: &mut Vec<crate::scenario::Zone>) -> ReplayNode {
    let label = n
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(super::snapshot::LABEL_ZONE))
        .map(String::as_str);
    let name = label.unwrap_or("no-zone");
    let zone = match zones.iter().position(|z| z.name == name) {
        Some(i) => i,
        // no zone label and no "no-zone" zone: the scenario has one zone for every node
        None if label.is_none() => 0,
        None => {
            zones.push(crate::scenario::Zone {
                name: name.to_string(),
                weight: 1,
            });
            zones.len() - 1
        }
    };
    ReplayNode {
        zone,
        ready: n.is_ready(),
        allocatable_cpu_milli: n
            .status
            .allocatable
            .as_ref()
            .and_then(|a| a.get("cpu"))
            .and_then(|q| crate::controllers::endpointslice::convert::quantity_milli_value(&q.0))
            .map_or(0, |m| m.max(0) as u64),
    }
}

/// A recorded Service version as the scenario models it: `base` (the scenario's resolved
/// Service) with every field the endpoint controllers read taken from the print.
fn service_spec(base: &crate::scenario::Service, svc: &k8s::Service) -> crate::scenario::Service {
    use crate::scenario::{Protocol, ServicePort, ServiceType, TargetPort};
    let mut out = base.clone();
    out.selector = svc.spec.selector.clone().filter(|s| !s.is_empty());
    out.ports = svc
        .spec
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let port = p.port.clamp(0, 65535) as u16;
            ServicePort {
                name: p.name.clone().filter(|n| !n.is_empty()),
                port,
                target_port: match &p.target_port {
                    k8s::IntOrString::Int(0) => TargetPort::Number(port),
                    k8s::IntOrString::Int(t) => TargetPort::Number((*t).clamp(0, 65535) as u16),
                    k8s::IntOrString::String(n) => TargetPort::Name(n.clone()),
                },
                protocol: match p.protocol.as_deref() {
                    Some("UDP") => Protocol::UDP,
                    Some("SCTP") => Protocol::SCTP,
                    _ => Protocol::TCP,
                },
                app_protocol: p.app_protocol.clone(),
            }
        })
        .collect();
    out.headless = svc.spec.cluster_ip.as_deref() == Some("None");
    out.publish_not_ready_addresses = svc.spec.publish_not_ready_addresses == Some(true);
    out.labels = svc.metadata.labels.clone().unwrap_or_default();
    out.annotations = svc.metadata.annotations.clone().unwrap_or_default();
    out.traffic_distribution = svc
        .spec
        .traffic_distribution
        .clone()
        .filter(|t| !t.is_empty());
    out.service_type = match svc.spec.type_.as_deref() {
        Some("NodePort") => ServiceType::NodePort,
        Some("LoadBalancer") => ServiceType::LoadBalancer,
        Some("ExternalName") => ServiceType::ExternalName,
        _ => ServiceType::ClusterIP,
    };
    out
}

/// Build the replay for a resolved scenario.
fn build(
    imp: &Imported,
    plan: &Plan,
    sc: &mut crate::scenario::Scenario,
    notes: &mut Vec<String>,
) -> (Replay, usize, usize) {
    let rec = imp.recording.as_ref().expect("replay without recording");
    let wl_index: BTreeMap<(&str, &str), usize> = sc
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| ((w.namespace.as_str(), w.name.as_str()), i))
        .collect();
    let svc_index: BTreeMap<(String, String), usize> = sc
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.namespace.clone(), s.name.clone()), i))
        .collect();
    let services = sc.services.clone();
    let mut zones = sc.cluster.zones.clone();
    let mut extra_nodes: BTreeMap<String, usize> = BTreeMap::new();
    let mut node_of = |name: &str| -> usize {
        if let Some(&i) = plan.nodes.get(name) {
            return i;
        }
        let n = extra_nodes.len();
        *extra_nodes
            .entry(name.to_string())
            .or_insert(n % plan.node_count)
    };
    let origin = rec.events.first().map_or(0, |e| e.at_ms);
    let workload = |k: &(String, String)| -> Option<usize> {
        let (ns, w) = plan.workload_of.get(k)?;
        wl_index.get(&(ns.as_str(), w.as_str())).copied()
    };
    let mut steps = Vec::new();
    let mut skipped = 0;
    let start = imp.start_pods.as_ref();
    for (k, p) in start.into_iter().flatten() {
        let Some(w) = workload(k) else {
            skipped += 1;
            continue;
        };
        let ips: Vec<IpAddr> = p.pod_ips.iter().filter_map(|i| i.parse().ok()).collect();
        let ready = p.ready_status();
        let grace = p.termination_grace_period_seconds.unwrap_or(30).max(0) as u64;
        steps.push(ReplayStep {
            at_ns: 0,
            namespace: k.0.clone(),
            name: k.1.clone(),
            state: ReplayState::Pod(Some(ReplayPod {
                workload: w,
                uid: p.uid.as_deref().unwrap_or_default().to_string(),
                node: p.node_name.as_deref().map(&mut node_of),
                phase: phase_of(p.phase.as_deref(), !ips.is_empty()),
                ips,
                ready,
                creation_ns: 0,
                deletion_timestamp_ns: ts_ms(p.deletion_timestamp.as_deref())
                    .map(|d| sim_ns(d, origin)),
                deletion_grace_period_s: p.deletion_timestamp.as_ref().map(|_| grace),
                termination_grace_ns: grace * NS_PER_SEC,
            })),
        });
    }
    let start_pods = steps.len();
    // with Node changes recorded, the start nodes are as the snapshot shows them (zone,
    // readiness, CPU): a not-Ready one is set so at t = 0
    if plan.node_events {
        for (name, &i) in &plan.nodes {
            let Some(n) = plan.node_objects.get(name) else {
                continue;
            };
            let st = replay_node(n, &mut zones);
            if let Some(node) = sc.cluster.nodes.get_mut(i) {
                node.zone = st.zone;
                node.allocatable_cpu_milli = st.allocatable_cpu_milli;
            }
            if i < plan.start_nodes && !st.ready {
                steps.push(ReplayStep {
                    at_ns: 0,
                    namespace: String::new(),
                    name: name.clone(),
                    state: ReplayState::Node {
                        index: i,
                        state: Some(st),
                    },
                });
            }
        }
    }
    let start_steps = steps.len();
    for e in &rec.events {
        let k = &rec.keys[e.key as usize];
        let at_ns = sim_ns(e.at_ms, origin);
        match (rec.kinds[e.key as usize], &e.state) {
            (RecKind::Pod, _) => {}
            (RecKind::Service, st) => {
                let Some(&i) = svc_index.get(k) else { continue };
                let spec = match st {
                    Some(State::Service(svc)) => Some(Box::new(service_spec(&services[i], svc))),
                    _ => None,
                };
                steps.push(ReplayStep {
                    at_ns,
                    namespace: k.0.clone(),
                    name: k.1.clone(),
                    state: ReplayState::Service { index: i, spec },
                });
                continue;
            }
            (RecKind::Node, st) => {
                let Some(&i) = plan.nodes.get(&k.1) else {
                    continue;
                };
                let state = match st {
                    Some(State::Node(n)) => Some(replay_node(n, &mut zones)),
                    _ => None,
                };
                steps.push(ReplayStep {
                    at_ns,
                    namespace: String::new(),
                    name: k.1.clone(),
                    state: ReplayState::Node { index: i, state },
                });
                continue;
            }
        }
        let Some(w) = workload(k) else {
            skipped += 1;
            continue;
        };
        let state = e.state.as_ref().and_then(State::as_pod).map(|st| {
            let grace = st.grace_s.unwrap_or(30).max(0) as u64;
            ReplayPod {
                workload: w,
                uid: st.uid.clone(),
                node: st.node.map(|n| node_of(&rec.node_names[n as usize])),
                phase: phase_of(st.phase.as_deref(), !st.ips.is_empty()),
                ips: st.ips.clone(),
                ready: st.ready,
                creation_ns: st.creation_ms.map_or(at_ns, |c| sim_ns(c, origin)),
                deletion_timestamp_ns: st.deletion_ms.map(|d| sim_ns(d, origin)),
                deletion_grace_period_s: st
                    .deletion_ms
                    .map(|_| st.deletion_grace_s.unwrap_or(grace)),
                termination_grace_ns: grace * NS_PER_SEC,
            }
        });
        steps.push(ReplayStep {
            at_ns,
            namespace: k.0.clone(),
            name: k.1.clone(),
            state: ReplayState::Pod(state),
        });
    }
    sc.cluster.zones = zones;
    if !extra_nodes.is_empty() {
        notes.push(format!(
            "{} node names of pods are not among the Node objects: spread over the scenario's nodes",
            extra_nodes.len()
        ));
    }
    let _ = start_steps;
    (
        Replay {
            workloads: (0..sc.workloads.len()).collect(),
            steps,
        },
        start_pods,
        skipped,
    )
}

/// Run the replay once with `settings` (`--set` overrides).
fn run_once(
    imp: &Imported,
    plan: &Plan,
    opts: &ImportOptions,
    settings: &[String],
    notes: &mut Vec<String>,
) -> anyhow::Result<(RunCost, usize, usize)> {
    let mut overrides = vec![format!("seed={}", opts.seed)];
    overrides.extend(settings.iter().cloned());
    let mut sc = crate::scenario::parse_str(&plan.text, "import-replay.toml", &overrides)?;
    let rec = imp.recording.as_ref().expect("replay without recording");
    let span_ms = match (rec.events.first(), rec.events.last()) {
        (Some(a), Some(b)) => (b.at_ms - a.at_ms).max(0) as u64,
        _ => 0,
    };
    sc.duration_ns = (SETTLE_S + TAIL_S) * NS_PER_SEC + span_ms * NS_PER_MS;
    // the replay owns every workload: they start empty and only the recording moves them
    for w in &mut sc.workloads {
        w.replicas = 0;
    }
    // Services and Nodes the recording adds are absent at the start
    for s in &mut sc.services {
        if !plan
            .start_services
            .contains(&(s.namespace.clone(), s.name.clone()))
        {
            s.present_at_start = false;
        }
    }
    if plan.start_nodes < sc.cluster.nodes.len() {
        for (i, n) in sc.cluster.nodes.iter_mut().enumerate() {
            n.initial = i < plan.start_nodes;
        }
        sc.cluster.initial_node_count = plan.start_nodes;
    }
    let (replay, start_pods, skipped) = build(imp, plan, &mut sc, notes);
    let (pod_changes, object_changes) = rec.counts();
    eprintln!(
        "import: replaying {} pod changes{} over {:.0} simulated seconds{}",
        pod_changes,
        if object_changes > 0 {
            format!(" and {object_changes} Service/Node changes")
        } else {
            String::new()
        },
        sc.duration_ns as f64 / 1e9,
        if settings.is_empty() {
            String::new()
        } else {
            format!(" with --set {}", settings.join(" --set "))
        }
    );
    let ro = crate::run::RunOptions {
        controllers: true,
        // a long period takes a while: the run's progress lines (stderr only)
        progress: true,
        replay: Some(Arc::new(replay)),
        ..Default::default()
    };
    let res = crate::run::simulate_scenario(sc, &ro)?;
    let series = crate::plan::results::Series::of(&res);
    let mut cost = RunCost {
        settings: settings.to_vec(),
        ..Default::default()
    };
    for (i, mode) in ["endpointslices", "endpoints"].iter().enumerate() {
        cost.totals[i] = (
            series.total_writes(mode, SETTLE_S),
            series.total_bytes(mode, SETTLE_S),
        );
    }
    if let Some(c) = &res.controllers {
        for row in c
            .syncs
            .iter()
            .filter(|r| r.time_ns >= SETTLE_S * NS_PER_SEC)
        {
            let m = match row.controller {
                ControllerKind::EndpointSlice | ControllerKind::Mirroring => 0,
                ControllerKind::Endpoints => 1,
            };
            let w = &mut cost.per_service.entry(row.service.to_string()).or_default()[m];
            w.creates += row.creates;
            w.updates += row.updates;
            w.deletes += row.deletes;
        }
    }
    Ok((cost, start_pods, skipped))
}

fn audit_cost(audit: &AuditLog, period: Option<(Ms, Ms)>) -> AuditCost {
    let mut out = AuditCost::default();
    for w in &audit.writes {
        if let Some((a, b)) = period {
            // the controllers write within a second of a change: a second of slack after
            if w.at_ms < a || w.at_ms > b + 1000 {
                out.outside_period += 1;
                continue;
            }
        }
        let Some(svc) = &w.service else {
            out.unattributed += 1;
            continue;
        };
        let key = format!("{}/{svc}", w.namespace);
        let m = match w.res {
            Res::Slices => 0,
            Res::Endpoints => 1,
        };
        if w.ok() {
            out.per_service.entry(key).or_default()[m].add_verb(&w.verb);
            *out.users.entry(w.user.clone()).or_default() += 1;
        } else {
            out.rejected.entry(key).or_default()[m] += 1;
        }
    }
    out
}

/// Replay the recorded period (when the inputs hold one) and put the audit log beside it.
pub fn replay(imp: &mut Imported, opts: &ImportOptions) -> anyhow::Result<Option<ReplayReport>> {
    let has_rec = imp.recording.as_ref().is_some_and(|r| !r.events.is_empty());
    if !has_rec && imp.audit.is_none() {
        return Ok(None);
    }
    let mut rep = ReplayReport::default();
    let mut period = None;
    if has_rec {
        let plan = plan(imp, opts)?;
        let rec = imp.recording.as_ref().expect("checked");
        (rep.changes, rep.object_changes) = rec.counts();
        rep.period_ms = (
            rec.events.first().map_or(0, |e| e.at_ms),
            rec.events.last().map_or(0, |e| e.at_ms),
        );
        period = Some(rep.period_ms);
        rep.notes.extend(recording_notes(rec));
        if imp.snapshot.services.is_empty() {
            rep.notes.push(
                "the inputs have no Services: nothing selects the replayed pods (add the snapshot the stream started from)"
                    .into(),
            );
        }
        let mut notes = Vec::new();
        let (base, start, skipped) = run_once(imp, &plan, opts, &[], &mut notes)?;
        rep.start_pods = start;
        rep.skipped = skipped;
        rep.runs.push(base);
        if !opts.settings.is_empty() {
            let (other, _, _) = run_once(imp, &plan, opts, &opts.settings, &mut Vec::new())?;
            rep.runs.push(other);
        }
        rep.notes.extend(notes);
    }
    if let Some(a) = &imp.audit {
        rep.audit = Some(audit_cost(a, period));
        for (how, n) in a.attributions() {
            rep.notes.push(format!(
                "audit: the Service of {n} writes from {}",
                how.describe()
            ));
        }
    }
    Ok(Some(rep))
}

fn recording_notes(rec: &Recording) -> Vec<String> {
    let mut v = Vec::new();
    let objects: usize = rec.object_prints.values().sum();
    let typed_objects = objects - rec.untyped_objects;
    v.push(format!(
        "{} pod prints read ({} watch events, {} without event type); {} repeat the start state, {} are older than the snapshot",
        rec.typed + rec.untyped - objects,
        rec.typed - typed_objects,
        rec.untyped - rec.untyped_objects,
        rec.unchanged,
        rec.older
    ));
    if objects > 0 {
        let k: Vec<String> = rec
            .object_prints
            .iter()
            .map(|(k, n)| format!("{n} {}", k.name()))
            .collect();
        v.push(format!(
            "{} prints read ({} without event type), replayed at their times: a Service's spec as recorded (one update per change), a Node's zone, readiness and allocatable CPU; Services and Nodes the streams add are absent until then (the counts of repeats and older prints above include them)",
            k.join(", "),
            rec.untyped_objects
        ));
        if rec.repeated_node_prints > 0 {
            v.push(format!(
                "Node prints repeating that Node's previous watch print in everything the replay reads (status heartbeats): {}, dropped as read; they change nothing",
                rec.repeated_node_prints
            ));
        }
        if rec.untyped_objects > 0 {
            v.push("Service/Node prints without event type: a deletion cannot be told from them (kubectl prints the deleted object as it last was), so none is replayed".into());
        }
    }
    if !rec.start_from_stream.is_empty() {
        v.push(format!(
            "no snapshot pods: the stream's first {} prints (kubectl's initial listing, in List order) are the start state",
            rec.start_from_stream.len()
        ));
    }
    for (rule, n) in &rec.rules {
        v.push(format!("time of {n} changes: {}", rule.describe()));
    }
    if !rec.other_kinds.is_empty() {
        let k: Vec<String> = rec
            .other_kinds
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        v.push(format!(
            "watch events of other kinds applied to the end state, not replayed: {}",
            k.join(", ")
        ));
    }
    if rec.control_events > 0 {
        v.push(format!(
            "{} BOOKMARK/ERROR events ignored",
            rec.control_events
        ));
    }
    v
}

fn rfc3339(ms: Ms) -> String {
    let t = k8s::time::Timestamp {
        secs: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as u32,
    };
    t.to_rfc3339_nano()
}

/// `replay.csv`: one row per Service and source.
pub fn csv(r: &ReplayReport) -> String {
    let mut s = String::from("service,source,settings,slice_creates,slice_updates,slice_deletes,endpoints_creates,endpoints_updates,endpoints_deletes\n");
    let mut services: BTreeSet<&String> = BTreeSet::new();
    for run in &r.runs {
        services.extend(run.per_service.keys());
    }
    if let Some(a) = &r.audit {
        services.extend(a.per_service.keys());
    }
    let row = |s: &mut String, svc: &str, src: &str, set: &str, w: [Writes; 2]| {
        let _ = writeln!(
            s,
            "{svc},{src},{set},{},{},{},{},{},{}",
            w[0].creates, w[0].updates, w[0].deletes, w[1].creates, w[1].updates, w[1].deletes
        );
    };
    for svc in services {
        if let Some(a) = &r.audit {
            row(
                &mut s,
                svc,
                "audit",
                "",
                a.per_service.get(svc).copied().unwrap_or_default(),
            );
        }
        for run in &r.runs {
            let set = run.settings.join(" ");
            let set = if set.contains(',') || set.contains('"') {
                format!("\"{}\"", set.replace('"', "\"\""))
            } else {
                set
            };
            row(
                &mut s,
                svc,
                "slicesim",
                &set,
                run.per_service.get(svc).copied().unwrap_or_default(),
            );
        }
    }
    s
}

/// The report's section on the recorded period.
pub fn markdown(r: &ReplayReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## The recorded period, replayed\n");
    if r.runs.is_empty() {
        let _ = writeln!(
            s,
            "No pod watch stream in the inputs: the audit log's writes are listed alone.\n"
        );
    } else {
        let secs = (r.period_ms.1 - r.period_ms.0) as f64 / 1000.0;
        let objects = if r.object_changes > 0 {
            format!(" and {} Service/Node changes", r.object_changes)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{} pod changes{objects} from {} to {} ({secs:.1} s), replayed from a start state of {} pods through slicesim's EndpointSlice and Endpoints controllers and the watch model (one run, both modes). Counted: what was written and sent from the first change to the end (the controllers' first syncs, which create every object from scratch, are not). {} changes of pods of no workload were skipped.\n",
            r.changes,
            rfc3339(r.period_ms.0),
            rfc3339(r.period_ms.1),
            r.start_pods,
            r.skipped
        );
        let _ = writeln!(s, "| settings | EndpointSlice writes | EndpointSlice watch bytes | Endpoints writes | Endpoints watch bytes | Endpoints / slices bytes |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        for run in &r.runs {
            let set = if run.settings.is_empty() {
                "as imported".to_string()
            } else {
                format!("`--set {}`", run.settings.join(" --set "))
            };
            let ratio = if run.totals[0].1 > 0.0 {
                format!("{:.2}", run.totals[1].1 / run.totals[0].1)
            } else {
                "-".into()
            };
            let _ = writeln!(
                s,
                "| {set} | {} | {} | {} | {} | {ratio} |",
                run.totals[0].0,
                human_bytes(run.totals[0].1),
                run.totals[1].0,
                human_bytes(run.totals[1].1)
            );
        }
    }
    let mut services: BTreeSet<&String> = BTreeSet::new();
    for run in &r.runs {
        services.extend(
            run.per_service
                .iter()
                .filter(|(_, w)| w[0].total() + w[1].total() > 0)
                .map(|(k, _)| k),
        );
    }
    if let Some(a) = &r.audit {
        services.extend(a.per_service.keys());
    }
    let _ = writeln!(s, "\n### Writes per Service\n");
    let _ = writeln!(s, "Total (creates/updates/deletes). `cluster` is the audit log's successful writes in the same period{}.\n", if r.runs.is_empty() { " (all of them: no recorded period to bound them)" } else { " (plus one second)" });
    let mut head = String::from("| Service |");
    let mut rule = String::from("|---|");
    if r.audit.is_some() {
        head.push_str(" cluster: EndpointSlices | cluster: Endpoints |");
        rule.push_str("---:|---:|");
    }
    for (i, _) in r.runs.iter().enumerate() {
        let tag = if i == 0 {
            "slicesim"
        } else {
            "slicesim with --set"
        };
        let _ = write!(head, " {tag}: EndpointSlices | {tag}: Endpoints |");
        rule.push_str("---:|---:|");
    }
    let _ = writeln!(s, "{head}\n{rule}");
    if services.is_empty() {
        let _ = writeln!(s, "\nNo Service had endpoint writes in the period.");
    }
    for svc in services {
        let mut line = format!("| {svc} |");
        if let Some(a) = &r.audit {
            let w = a.per_service.get(svc).copied().unwrap_or_default();
            let _ = write!(line, " {} | {} |", w[0].show(), w[1].show());
        }
        for run in &r.runs {
            let w = run.per_service.get(svc).copied().unwrap_or_default();
            let _ = write!(line, " {} | {} |", w[0].show(), w[1].show());
        }
        let _ = writeln!(s, "{line}");
    }
    if let Some(a) = &r.audit {
        let _ = writeln!(s);
        if !a.rejected.is_empty() {
            let parts: Vec<String> = a
                .rejected
                .iter()
                .map(|(k, v)| format!("{k}: {} slices, {} Endpoints", v[0], v[1]))
                .collect();
            let _ = writeln!(
                s,
                "Rejected writes in the audit log (non-2xx, e.g. 409 Conflict): {}.\n",
                parts.join("; ")
            );
        }
        if !a.users.is_empty() {
            let parts: Vec<String> = a.users.iter().map(|(u, n)| format!("{u} ({n})")).collect();
            let _ = writeln!(s, "Writers in the audit log: {}.\n", parts.join(", "));
        }
        if a.outside_period > 0 {
            let _ = writeln!(
                s,
                "{} audit writes fall outside the recorded period and are not counted.\n",
                a.outside_period
            );
        }
        if a.unattributed > 0 {
            let _ = writeln!(
                s,
                "{} audit writes could not be tied to a Service.\n",
                a.unattributed
            );
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(s, "\n### What was inferred\n");
        for n in &r.notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    s
}
