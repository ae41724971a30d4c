//! What the cluster pays now: per Service and in total, the snapshot's own EndpointSlices and
//! Endpoints (count, endpoints per slice, exact JSON and protobuf sizes as they are) beside what
//! slicesim's controllers produce from the same pods, what one endpoint change costs at the
//! cluster's node count in both modes, and a simulated full rolling update of each large Service.
//!
//! A real cluster's slices carry history (fragmentation from past churn, endpoints of pods that
//! have since gone): differences are listed, never smoothed over.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::snapshot::{Snapshot, LABEL_ZONE};
use super::{ImportOptions, Imported};
use crate::apiserver::{Shared, Store};
use crate::controllers::endpoints::{EndpointsController, EndpointsOptions, EndpointsWrite};
use crate::controllers::endpointslice::convert::node_info;
use crate::controllers::endpointslice::reconcile::ReconcilerOptions;
use crate::controllers::endpointslice::reconciler::{
    EndpointSliceController, NodeIndex, SyncOutcome,
};
use crate::controllers::endpointslice::trace::CLOCK_START;
use crate::k8s;
use crate::plan::report::human_bytes;
use crate::wire::{self, WireSizes};

/// Start of the simulated rolling update (the initial creation has settled by then).
pub const ROLL_AT_S: u64 = 60;

/// Sizes summed over objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bytes {
    pub json: u64,
    pub protobuf: u64,
}

impl Bytes {
    fn add(&mut self, s: &WireSizes) {
        self.json += s.json as u64;
        self.protobuf += s.protobuf as u64;
    }
}

/// One side (snapshot or slicesim) of one Service.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Side {
    pub slices: usize,
    /// Endpoints per slice, largest first.
    pub per_slice: Vec<usize>,
    pub slice_bytes: Bytes,
    /// Protobuf watch-event size of the largest slice (what one endpoint change sends).
    pub largest_slice_pb_event: u64,
    /// Endpoints object: (ready, not ready) addresses; None = no object.
    pub endpoints: Option<(usize, usize)>,
    pub endpoints_bytes: Bytes,
    pub endpoints_pb_event: u64,
    /// Objects whose size could not be measured.
    pub unmeasured: usize,
}

impl Side {
    pub fn endpoint_total(&self) -> usize {
        self.per_slice.iter().sum()
    }
}

/// One Service's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    pub namespace: String,
    pub name: String,
    pub headless: bool,
    pub snapshot: Side,
    pub slicesim: Side,
    /// Watchers that receive this Service's slices / Endpoints (kube-proxy per node unless
    /// headless, plus 2 CoreDNS: slicesim's default watchers).
    pub receivers: u64,
    /// The workload rolled for the simulation, when the Service is large.
    pub rolled: Option<String>,
    /// Simulated rolling update: (writes, watch bytes) per mode [endpointslices, endpoints].
    pub rolling: Option<[(f64, f64); 2]>,
    pub notes: Vec<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub nodes: u64,
    pub rows: Vec<ServiceRow>,
}

fn measure(obj: &k8s::EndpointSlice) -> Option<WireSizes> {
    wire::sizes(obj).ok()
}

/// Build the comparison (no simulation yet).
pub fn compare(snap: &Snapshot, nodes: u64, max_per_slice: usize, seed: u64) -> Report {
    let node_objs: Vec<k8s::Node> = snap.nodes.values().cloned().collect();
    let index = NodeIndex::from_nodes(&node_objs);
    let infos: Vec<_> = node_objs.iter().filter_map(|n| node_info(n).ok()).collect();
    // The full pods of one namespace at a time (Services come in namespace order): the
    // controllers take `k8s::Pod`s, the snapshot keeps compact records.
    let mut ns_pods: Option<(&str, Vec<k8s::Pod>)> = None;
    let mut esc = EndpointSliceController::new(ReconcilerOptions {
        max_endpoints_per_slice: max_per_slice,
        ..ReconcilerOptions::default()
    });
    esc.reconciler.topology.set_nodes(&infos);
    let mut epc = EndpointsController::new(EndpointsOptions::default());
    // Derived like every other stream (sim::Streams), so `--seed` is the one input.
    let mut rng = crate::sim::Streams::new(seed).derived_stream("import", "compare");
    let mut shared = Shared::new(seed, CLOCK_START.to_string());
    let mut slice_store: Store<k8s::EndpointSlice> = Store::new();
    let mut ep_store: Store<k8s::Endpoints> = Store::new();
    let mut rows = Vec::new();
    for ((ns, name), svc) in &snap.services {
        if svc.spec.type_.as_deref() == Some("ExternalName") {
            continue;
        }
        let headless = svc.spec.cluster_ip.as_deref() == Some("None");
        let mut row = ServiceRow {
            namespace: ns.clone(),
            name: name.clone(),
            headless,
            snapshot: Side::default(),
            slicesim: Side::default(),
            receivers: if headless { 2 } else { nodes + 2 },
            rolled: None,
            rolling: None,
            notes: Vec::new(),
        };
        // The snapshot's own objects.
        let mut managers: BTreeMap<String, usize> = BTreeMap::new();
        for s in snap
            .slices
            .values()
            .filter(|s| &s.namespace == ns && s.service.as_deref() == Some(name))
        {
            row.snapshot.slices += 1;
            row.snapshot.per_slice.push(s.endpoints);
            *managers
                .entry(s.managed_by.clone().unwrap_or_else(|| "(none)".into()))
                .or_default() += 1;
            match &s.sizes {
                Ok(z) => {
                    row.snapshot.slice_bytes.add(z);
                    row.snapshot.largest_slice_pb_event = row
                        .snapshot
                        .largest_slice_pb_event
                        .max(z.protobuf_watch_event as u64);
                }
                Err(_) => row.snapshot.unmeasured += 1,
            }
        }
        if managers.len() > 1
            || managers
                .keys()
                .any(|m| m != "endpointslice-controller.k8s.io")
        {
            let m: Vec<String> = managers
                .iter()
                .map(|(k, n)| format!("{n} by {k}"))
                .collect();
            row.notes
                .push(format!("snapshot slices managed: {}", m.join(", ")));
        }
        if let Some(ep) = snap.endpoints.get(&(ns.clone(), name.clone())) {
            row.snapshot.endpoints = Some(ep.counts());
            match &ep.sizes {
                Ok(z) => {
                    row.snapshot.endpoints_bytes.add(z);
                    row.snapshot.endpoints_pb_event = z.protobuf_watch_event as u64;
                }
                Err(_) => row.snapshot.unmeasured += 1,
            }
        }
        // What slicesim's controllers write for the same pods, stored as the apiserver would.
        if ns_pods.as_ref().map(|(n, _)| *n) != Some(ns.as_str()) {
            let pods = snap
                .pods
                .range((ns.clone(), String::new())..)
                .take_while(|((pns, _), _)| pns == ns)
                .map(|(_, p)| p.to_pod())
                .collect();
            ns_pods = Some((ns.as_str(), pods));
        }
        let pods = ns_pods.as_ref().map_or(&[][..], |(_, p)| p.as_slice());
        if svc.spec.selector.is_some() {
            if let SyncOutcome::Reconciled(r) = esc.sync(svc, pods, &[], &index, &mut rng) {
                for c in r.creates() {
                    if let Ok(stored) = slice_store.create(&mut shared, c.clone()) {
                        row.slicesim.slices += 1;
                        row.slicesim.per_slice.push(stored.endpoint_list().len());
                        match measure(&stored) {
                            Some(z) => {
                                row.slicesim.slice_bytes.add(&z);
                                row.slicesim.largest_slice_pb_event = row
                                    .slicesim
                                    .largest_slice_pb_event
                                    .max(z.protobuf_watch_event as u64);
                            }
                            None => row.slicesim.unmeasured += 1,
                        }
                    }
                }
                for e in &r.errors {
                    row.notes.push(format!("slicesim: {e}"));
                }
            }
            let write = epc.sync(svc, pods, None);
            if let EndpointsWrite::Create(e) | EndpointsWrite::Update(e) = write {
                if let Ok(stored) = ep_store.create(&mut shared, e) {
                    let mut counts = (0, 0);
                    for s in stored.subsets.as_deref().unwrap_or(&[]) {
                        counts.0 += s.addresses.as_ref().map_or(0, Vec::len);
                        counts.1 += s.not_ready_addresses.as_ref().map_or(0, Vec::len);
                    }
                    row.slicesim.endpoints = Some(counts);
                    if let Ok(z) = wire::sizes(&stored) {
                        row.slicesim.endpoints_bytes.add(&z);
                        row.slicesim.endpoints_pb_event = z.protobuf_watch_event as u64;
                    }
                }
            }
        } else {
            row.notes.push(
                "no selector: its slices come from the mirroring controller (or their owner), not compared"
                    .into(),
            );
        }
        row.snapshot.per_slice.sort_unstable_by(|a, b| b.cmp(a));
        row.slicesim.per_slice.sort_unstable_by(|a, b| b.cmp(a));
        if svc.spec.selector.is_some() {
            diff_notes(&mut row);
        }
        rows.push(row);
    }
    // Slices whose Service is not in the input: listed as they are, nothing to compare with.
    let mut orphans: BTreeMap<(String, String), Side> = BTreeMap::new();
    for s in snap.slices.values() {
        let svc = s.service.clone().unwrap_or_else(|| {
            format!(
                "(slice {} without {})",
                s.name,
                super::snapshot::LABEL_SERVICE_NAME
            )
        });
        if snap
            .services
            .contains_key(&(s.namespace.clone(), svc.clone()))
        {
            continue;
        }
        let side = orphans.entry((s.namespace.clone(), svc)).or_default();
        side.slices += 1;
        side.per_slice.push(s.endpoints);
        match &s.sizes {
            Ok(z) => {
                side.slice_bytes.add(z);
                side.largest_slice_pb_event = side
                    .largest_slice_pb_event
                    .max(z.protobuf_watch_event as u64);
            }
            Err(_) => side.unmeasured += 1,
        }
    }
    for ((ns, name), mut side) in orphans {
        side.per_slice.sort_unstable_by(|a, b| b.cmp(a));
        rows.push(ServiceRow {
            namespace: ns,
            name,
            headless: false,
            snapshot: side,
            slicesim: Side::default(),
            receivers: nodes + 2,
            rolled: None,
            rolling: None,
            notes: vec![
                "no Service object in the input: the snapshot's slices are listed, not compared"
                    .into(),
            ],
        });
    }
    Report { nodes, rows }
}

fn diff_notes(row: &mut ServiceRow) {
    let (a, b) = (&row.snapshot, &row.slicesim);
    if a.slices != b.slices {
        row.notes.push(format!(
            "slice count differs: cluster {} vs slicesim {} (a real cluster's slices carry past churn; slicesim packs from scratch)",
            a.slices, b.slices
        ));
    }
    if a.endpoint_total() != b.endpoint_total() {
        row.notes.push(format!(
            "endpoints differ: cluster {} vs slicesim {} (pods changed since the slices were written, or terminating pods)",
            a.endpoint_total(),
            b.endpoint_total()
        ));
    }
    let (x, y) = (a.slice_bytes.protobuf, b.slice_bytes.protobuf);
    if x > 0 && y > 0 && x.abs_diff(y) * 20 > x {
        row.notes.push(format!(
            "slice protobuf bytes differ by more than 5%: cluster {x} vs slicesim {y} (managedFields as the cluster's apiserver recorded them, names, label sets, address lengths)"
        ));
    }
    if a.endpoints != b.endpoints {
        row.notes.push(format!(
            "Endpoints addresses differ: cluster {:?} vs slicesim {:?} (ready, not ready)",
            a.endpoints, b.endpoints
        ));
    }
}

/// The rolling-update simulations: one baseline run and one run per large Service, each the
/// imported scenario with a `rolling_update` of the Service's main workload at [`ROLL_AT_S`].
fn simulate_rollouts(
    imp: &Imported,
    opts: &ImportOptions,
    scenario: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    use crate::plan::results::Series;
    let large: Vec<usize> = report
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.slicesim.endpoint_total().max(r.snapshot.endpoint_total()) >= opts.large)
        .map(|(i, _)| i)
        .collect();
    if large.is_empty() {
        return Ok(());
    }
    let run = |text: &str| -> anyhow::Result<Series> {
        // `--seed` seeds these runs too, not only the static comparison.
        let sc = crate::scenario::parse_str(
            text,
            "import-report.toml",
            &[format!("seed={}", opts.seed)],
        )?;
        let ro = crate::run::RunOptions {
            controllers: true,
            ..Default::default()
        };
        let res = crate::run::simulate_scenario(sc, &ro)?;
        Ok(Series::of(&res))
    };
    let duration = "15m";
    let base_text = with_duration(scenario, duration);
    let base = run(&base_text)?;
    let window = |s: &Series, mode: &str| {
        (
            s.total_writes(mode, ROLL_AT_S),
            s.total_bytes(mode, ROLL_AT_S),
        )
    };
    let b = [window(&base, "endpointslices"), window(&base, "endpoints")];
    for i in large {
        let row = &report.rows[i];
        let Some(wl) = main_workload(imp, &row.namespace, &row.name) else {
            continue;
        };
        let text = format!(
            "{base_text}\n[[events]]\n# import report: one full rolling update\nat = \"{ROLL_AT_S}s\"\ntype = \"rolling_update\"\nworkload = {}\n",
            super::write::q(&format!("{}/{}", row.namespace, wl))
        );
        let s = run(&text)?;
        let w = [window(&s, "endpointslices"), window(&s, "endpoints")];
        let row = &mut report.rows[i];
        row.rolled = Some(wl);
        row.rolling = Some([
            (w[0].0 - b[0].0, w[0].1 - b[0].1),
            (w[1].0 - b[1].0, w[1].1 - b[1].1),
        ]);
    }
    Ok(())
}

/// The scenario text with another `duration`.
fn with_duration(scenario: &str, d: &str) -> String {
    let mut out = String::with_capacity(scenario.len());
    for line in scenario.lines() {
        if line.starts_with("duration = ") {
            out.push_str(&format!("duration = \"{d}\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The workload with the most pods the Service selects.
fn main_workload(imp: &Imported, ns: &str, name: &str) -> Option<String> {
    let svc = imp
        .snapshot
        .services
        .get(&(ns.to_string(), name.to_string()))?;
    let sel = svc.spec.selector.as_ref().filter(|s| !s.is_empty())?;
    let mut best: Option<(usize, &str)> = None;
    for g in imp.grouping.groups.iter().filter(|g| g.namespace == ns) {
        let n = g
            .pods
            .iter()
            .filter(|k| {
                imp.snapshot
                    .pods
                    .get(*k)
                    .is_some_and(|p| sel.iter().all(|(k, v)| p.label(k) == Some(v.as_str())))
            })
            .count();
        if n > 0 && best.map_or(true, |(b, _)| n > b) {
            best = Some((n, &g.name));
        }
    }
    best.map(|(_, n)| n.to_string())
}

fn per_slice(v: &[usize]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    let shown: Vec<String> = v.iter().take(12).map(usize::to_string).collect();
    let more = if v.len() > 12 {
        format!(" … ({} slices)", v.len())
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(" "))
}

/// `services.csv`: one row per Service and side.
pub fn csv(r: &Report) -> String {
    let mut s = String::from(
        "namespace,service,source,slices,endpoints,slice_json_bytes,slice_protobuf_bytes,endpoints_ready,endpoints_not_ready,endpoints_json_bytes,endpoints_protobuf_bytes,one_change_slices_bytes,one_change_endpoints_bytes,rolling_writes_slices,rolling_bytes_slices,rolling_writes_endpoints,rolling_bytes_endpoints\n",
    );
    for row in &r.rows {
        for (src, side) in [("cluster", &row.snapshot), ("slicesim", &row.slicesim)] {
            let (er, enr) = side.endpoints.unwrap_or((0, 0));
            let roll = match (src, row.rolling) {
                ("slicesim", Some(x)) => format!("{},{},{},{}", x[0].0, x[0].1, x[1].0, x[1].1),
                _ => ",,,".into(),
            };
            let _ = writeln!(
                s,
                "{},{},{src},{},{},{},{},{er},{enr},{},{},{},{},{roll}",
                row.namespace,
                row.name,
                side.slices,
                side.endpoint_total(),
                side.slice_bytes.json,
                side.slice_bytes.protobuf,
                side.endpoints_bytes.json,
                side.endpoints_bytes.protobuf,
                side.largest_slice_pb_event * row.receivers,
                side.endpoints_pb_event * row.receivers,
            );
        }
    }
    s
}

/// `report.md`.
pub fn markdown(r: &Report, imp: &Imported) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# What this cluster pays for endpoint publishing\n");
    let _ = writeln!(
        s,
        "From {} pods, {} Services, {} EndpointSlices and {} Endpoints objects; {} nodes (receivers of one change: a kube-proxy per node unless headless, plus 2 CoreDNS). Sizes are exact encodings of the objects as stored (protobuf as kube-proxy and CoreDNS watch them; watch-event framing included for the per-change figures).\n",
        imp.snapshot.pods.len(),
        imp.snapshot.services.len(),
        imp.snapshot.slices.len(),
        imp.snapshot.endpoints.len(),
        r.nodes
    );
    // Totals.
    let mut tot = [Side::default(), Side::default()];
    for row in &r.rows {
        for (t, side) in tot.iter_mut().zip([&row.snapshot, &row.slicesim]) {
            t.slices += side.slices;
            t.per_slice.extend(&side.per_slice);
            t.slice_bytes.json += side.slice_bytes.json;
            t.slice_bytes.protobuf += side.slice_bytes.protobuf;
            t.endpoints_bytes.json += side.endpoints_bytes.json;
            t.endpoints_bytes.protobuf += side.endpoints_bytes.protobuf;
            t.unmeasured += side.unmeasured;
        }
    }
    let _ = writeln!(s, "## Totals\n");
    let _ = writeln!(s, "| | cluster (snapshot) | slicesim (same pods) |");
    let _ = writeln!(s, "|---|---:|---:|");
    let _ = writeln!(
        s,
        "| EndpointSlices | {} | {} |",
        tot[0].slices, tot[1].slices
    );
    let _ = writeln!(
        s,
        "| endpoints in slices | {} | {} |",
        tot[0].endpoint_total(),
        tot[1].endpoint_total()
    );
    let fill = |t: &Side| {
        if t.slices == 0 {
            "-".to_string()
        } else {
            format!("{:.1}", t.endpoint_total() as f64 / t.slices as f64)
        }
    };
    let _ = writeln!(
        s,
        "| mean endpoints per slice | {} | {} |",
        fill(&tot[0]),
        fill(&tot[1])
    );
    let (c, m) = (&tot[0], &tot[1]);
    for (what, a, b) in [
        ("slices, JSON bytes", c.slice_bytes.json, m.slice_bytes.json),
        (
            "slices, protobuf bytes",
            c.slice_bytes.protobuf,
            m.slice_bytes.protobuf,
        ),
        (
            "Endpoints, JSON bytes",
            c.endpoints_bytes.json,
            m.endpoints_bytes.json,
        ),
        (
            "Endpoints, protobuf bytes",
            c.endpoints_bytes.protobuf,
            m.endpoints_bytes.protobuf,
        ),
    ] {
        let _ = writeln!(s, "| {what} | {a} | {b} |");
    }
    if !imp.snapshot.unmeasured.is_empty() {
        let _ = writeln!(
            s,
            "\nSnapshot objects that could not be measured exactly (a field slicesim does not model; left out of the byte totals):"
        );
        for u in &imp.snapshot.unmeasured {
            let _ = writeln!(s, "- {u}");
        }
    }
    let _ = writeln!(s, "\n## Per Service\n");
    let _ = writeln!(s, "One endpoint change = one MODIFIED watch event of the Service's largest slice (EndpointSlice mode) or of its whole Endpoints object (Endpoints mode), sent to every receiver.\n");
    let _ = writeln!(s, "| Service | source | slices | endpoints per slice | slices pb bytes | Endpoints (ready/not) | Endpoints pb bytes | one change, slices | one change, Endpoints |");
    let _ = writeln!(s, "|---|---|---:|---|---:|---|---:|---:|---:|");
    for row in &r.rows {
        for (src, side) in [("cluster", &row.snapshot), ("slicesim", &row.slicesim)] {
            let ep = side
                .endpoints
                .map_or("-".to_string(), |(a, b)| format!("{a}/{b}"));
            let _ = writeln!(
                s,
                "| {}/{}{} | {src} | {} | {} | {} | {ep} | {} | {} | {} |",
                row.namespace,
                row.name,
                if row.headless { " (headless)" } else { "" },
                side.slices,
                per_slice(&side.per_slice),
                side.slice_bytes.protobuf,
                side.endpoints_bytes.protobuf,
                human_bytes((side.largest_slice_pb_event * row.receivers) as f64),
                human_bytes((side.endpoints_pb_event * row.receivers) as f64),
            );
        }
    }
    let rolled: Vec<&ServiceRow> = r.rows.iter().filter(|r| r.rolling.is_some()).collect();
    let _ = writeln!(
        s,
        "\n## One full rolling update of each large Service (simulated)\n"
    );
    if rolled.is_empty() {
        let _ = writeln!(
            s,
            "No Service reaches the `--large` threshold of endpoints."
        );
    } else {
        let _ = writeln!(s, "slicesim runs the imported scenario with a `rolling_update` of the Service's workload at {ROLL_AT_S}s and subtracts a run without it (same seed): API writes and watch bytes sent from then to the end, per mode.\n");
        let _ = writeln!(s, "| Service | workload | writes, slices | watch bytes, slices | writes, Endpoints | watch bytes, Endpoints | Endpoints / slices bytes |");
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
        for row in rolled {
            let x = row.rolling.unwrap_or_default();
            let ratio = if x[0].1 > 0.0 {
                format!("{:.2}", x[1].1 / x[0].1)
            } else {
                "-".into()
            };
            let _ = writeln!(
                s,
                "| {}/{} | {} | {} | {} | {} | {} | {ratio} |",
                row.namespace,
                row.name,
                row.rolled.as_deref().unwrap_or("-"),
                x[0].0,
                human_bytes(x[0].1),
                x[1].0,
                human_bytes(x[1].1)
            );
        }
    }
    let _ = writeln!(s, "\n## Differences\n");
    let mut any = false;
    for row in &r.rows {
        for n in &row.notes {
            any = true;
            let _ = writeln!(s, "- {}/{}: {n}", row.namespace, row.name);
        }
    }
    if !any {
        let _ = writeln!(s, "None: slicesim's controllers write the same slice and address counts as the cluster holds.");
    }
    let zones = imp
        .snapshot
        .nodes
        .values()
        .filter_map(|n| n.metadata.labels.as_ref()?.get(LABEL_ZONE))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(s, "\nNodes: {} in {zones} zones. The imported scenario is `scenario.toml` beside this report.", r.nodes);
    s
}

/// Write `DIR/scenario.toml`, `DIR/services.csv` and `DIR/report.md` (last). Returns the
/// report's path.
pub fn write_report(
    imp: &mut Imported,
    opts: &ImportOptions,
    scenario: &str,
    dir: &Path,
) -> anyhow::Result<PathBuf> {
    let sc = crate::scenario::parse_str(scenario, "imported.toml", &[])?;
    let nodes = sc.cluster.nodes.len() as u64;
    let max = sc.controllers.endpointslice.max_endpoints_per_slice;
    let mut report = compare(&imp.snapshot, nodes, max as usize, opts.seed);
    simulate_rollouts(imp, opts, scenario, &mut report)?;
    let replayed = super::replay::replay(imp, opts)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    crate::fsio::atomic_write(&dir.join("scenario.toml"), scenario.as_bytes())?;
    crate::fsio::atomic_write(&dir.join("services.csv"), csv(&report).as_bytes())?;
    let mut text = markdown(&report, imp);
    if let Some(r) = &replayed {
        crate::fsio::atomic_write(&dir.join("replay.csv"), super::replay::csv(r).as_bytes())?;
        text.push_str(&super::replay::markdown(r));
    }
    let md = dir.join("report.md");
    crate::fsio::atomic_write(&md, text.as_bytes())?;
    Ok(md)
}
