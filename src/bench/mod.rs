//! `slicesim bench`: a fixed set of timed workloads with a table of time per op, CPU
//! seconds, peak RSS and a ratio to a baseline measured in the same run.
//!
//! Wall-clock time is read here on purpose: bench output is a measurement of this
//! process on this machine, never a simulation output (nothing here feeds a run's files,
//! and no simulation reads these clocks). Compare ratios across machines, not seconds.
//!
//! The EndpointSlice workloads drive [`EndpointSliceController::sync_service`] (the one
//! sync path of the controller manager and of `slicesim reconcile`) on a 10,000-endpoint
//! Service (100 endpoints per slice), once with the incremental reconcile and once with
//! the full recomputation ([`Reconciler::full_recompute`]) as the in-run baseline.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::apiserver::{Shared, Store};
use crate::controllers::endpoints::PodView;
use crate::controllers::endpointslice::reconciler::{select_pods, PodSource, SyncOutcome};
use crate::controllers::endpointslice::{
    EndpointSliceController, NodeIndex, ReconcilerOptions, SliceWrite,
};
use crate::controllers::manager::pods::{Consumer, PodList};
use crate::k8s;

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct BenchOptions {
    /// Run only workloads whose name contains one of these (empty = all).
    pub only: Vec<String>,
    /// Skip the whole-scenario runs.
    pub quick: bool,
    /// Folder holding the bundled scenarios.
    pub scenario_dir: PathBuf,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    /// Operations timed.
    pub ops: usize,
    /// Wall time per operation.
    pub per_op: Duration,
    /// Process CPU seconds (user + system, getrusage) spent in the workload.
    pub cpu_s: f64,
    /// Operations per second (None where not meaningful).
    pub per_s: Option<f64>,
    /// Peak resident set of the process after the workload (VmHWM, kB; monotone).
    pub peak_rss_kb: Option<u64>,
    /// `per_op / baseline per_op` and the baseline's name.
    pub ratio: Option<(f64, String)>,
}

/// Process CPU time (user + system) so far.
pub fn cpu_seconds() -> f64 {
    crate::sim::allocator::process_usage().map_or(0.0, |u| (u.user_ns + u.sys_ns) as f64 * 1e-9)
}

/// Peak resident set size of this process (`VmHWM` of /proc/self/status), kB.
pub fn peak_rss_kb() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The bench Service: `n` pods on `nodes` nodes in 3 zones, numeric targetPort, IPv4.
pub struct BigService {
    pub service: k8s::Service,
    pub pods: Vec<k8s::Pod>,
    pub nodes: NodeIndex,
}

/// One bench pod (ready or not; the Ready transition time moves with the flip).
pub fn bench_pod(i: usize, nodes: usize, ready: bool) -> k8s::Pod {
    let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
    serde_json::from_value(json!({
        "metadata": {"name": format!("big-{i:05}"), "namespace": "default",
                     "uid": format!("uid-{i}"), "resourceVersion": "1", "labels": {"app": "big"}},
        "spec": {"nodeName": format!("node-{}", i % nodes), "containers": [{"name": "c",
                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                                   "lastTransitionTime": if ready {"2026-01-05T08:56:00Z"} else {"2026-01-05T08:57:00Z"}}]}
    }))
    .expect("bench pod is valid")
}

impl BigService {
    pub fn new(n: usize, nodes: usize) -> Self {
        let service: k8s::Service = serde_json::from_value(json!({
            "metadata": {"name": "big", "namespace": "default", "uid": "svc-uid",
                         "creationTimestamp": "2026-01-05T08:55:00Z"},
            "spec": {"selector": {"app": "big"}, "clusterIP": "10.96.0.10", "ipFamilies": ["IPv4"],
                     "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]}
        }))
        .expect("bench service is valid");
        let pods = (0..n).map(|i| bench_pod(i, nodes, true)).collect();
        let mut idx = NodeIndex::default();
        for k in 0..nodes {
            idx.insert(format!("node-{k}"), Some(format!("zone-{}", k % 3)));
        }
        BigService {
            service,
            pods,
            nodes: idx,
        }
    }
}

/// A controller with the Service's slices in an emulated store (writes applied and
/// observed as the controller manager does).
pub struct SyncHarness {
    pub ctl: EndpointSliceController,
    pub store: Store<k8s::EndpointSlice>,
    shared: Shared,
    pub rng: ChaCha8Rng,
}

impl SyncHarness {
    pub fn new(full_recompute: bool) -> Self {
        let mut ctl = EndpointSliceController::new(ReconcilerOptions::default());
        ctl.reconciler.full_recompute = full_recompute;
        SyncHarness {
            ctl,
            store: Store::new(),
            shared: Shared::new(1, "2026-01-05T09:00:00Z".into()),
            rng: ChaCha8Rng::seed_from_u64(1),
        }
    }

    /// One sync; returns its wall time (the sync only, not the writes) and the write count.
    pub fn sync(&mut self, big: &BigService) -> (Duration, usize) {
        let listed: Vec<&k8s::EndpointSlice> = self.store.list();
        let pods = select_pods(&big.service, &big.pods);
        let t = Instant::now();
        let out = self
            .ctl
            .sync_service(&big.service, &pods, &listed, &big.nodes, &mut self.rng);
        let took = t.elapsed();
        drop(listed);
        (took, self.apply(out))
    }

    /// One sync as the controller manager runs it: the pods from its index (`index`, the
    /// Service indexed as `big`), told which changed since the previous sync. The time
    /// includes taking the changes.
    pub fn sync_indexed(&mut self, big: &BigService, index: &mut PodList) -> (Duration, usize) {
        let listed: Vec<&k8s::EndpointSlice> = self.store.list();
        let t = Instant::now();
        let changes = index.take_changes_for("big", Consumer::EndpointSlice);
        let l: &PodList = index;
        let lookup = |p: &str| {
            l.selected_pod_at("big", p)
                .map(|(i, p, t)| (i, (PodView::Api(p), t)))
        };
        let all = || {
            l.selected_at("big")
                .into_iter()
                .map(|(i, p, t)| (i, (PodView::Api(p), t)))
                .collect()
        };
        let src = PodSource {
            changes: &changes,
            lookup: &lookup,
            all: &all,
        };
        let out =
            self.ctl
                .sync_service_changed(&big.service, &src, &listed, &big.nodes, &mut self.rng);
        let took = t.elapsed();
        drop(listed);
        (took, self.apply(out))
    }

    /// Store the sync's writes as the controller manager does; returns how many it issued.
    fn apply(&mut self, out: SyncOutcome) -> usize {
        let writes = match out {
            SyncOutcome::Reconciled(r) => r.writes,
            _ => Vec::new(),
        };
        let n = writes.len();
        for w in writes {
            match w {
                SliceWrite::Create(s) => {
                    if let Ok(stored) = self.store.create(&mut self.shared, s) {
                        self.ctl.observe_write(&stored);
                    }
                }
                SliceWrite::Update(s) => {
                    if let Ok(stored) = self.store.update(&mut self.shared, s) {
                        self.ctl.observe_write(&stored.object);
                    }
                }
                SliceWrite::Delete(s) => {
                    let name = s.metadata.name.as_deref().unwrap_or("");
                    if let Ok(gone) = self.store.delete("default", name) {
                        self.ctl.observe_delete(&gone);
                    }
                }
            }
        }
        n
    }
}

fn flip(big: &mut BigService, i: usize, nodes: usize, index: &mut PodList) {
    let ready = crate::controllers::endpointslice::convert::is_pod_ready(&big.pods[i]);
    let mut p = bench_pod(i, nodes, !ready);
    p.metadata.resource_version = Some(format!("{}", i + 2));
    index.insert(p.metadata.name.clone().unwrap_or_default(), p.clone());
    big.pods[i] = p;
}

/// The controller manager's pod index over the bench Service's pods.
fn pod_index(big: &BigService) -> PodList {
    let mut index = PodList::tracking(false, true);
    for p in &big.pods {
        index.insert(p.metadata.name.clone().unwrap_or_default(), p.clone());
    }
    index.set_service("big", big.service.spec.selector.as_ref());
    index
}

const ENDPOINTS: usize = 10_000;
const NODES: usize = 1_000;

/// Per-sync time of: a sync from empty, a sync after one pod's readiness flipped, a sync
/// with nothing changed. `full` selects the full recomputation over the whole pod list (the
/// conformance replay's input); otherwise the sync reads the pod index's change report, as
/// in the controller manager.
fn esc_workload(kind: &str, full: bool, reps: usize) -> (Duration, usize) {
    let mut big = BigService::new(ENDPOINTS, NODES);
    let mut index = pod_index(&big);
    let mut total = Duration::ZERO;
    let sync = |h: &mut SyncHarness, big: &BigService, index: &mut PodList| {
        if full {
            h.sync(big).0
        } else {
            h.sync_indexed(big, index).0
        }
    };
    match kind {
        "from-empty" => {
            for _ in 0..reps {
                let mut h = SyncHarness::new(full);
                total += sync(&mut h, &big, &mut index);
            }
        }
        "one-change" => {
            let mut h = SyncHarness::new(full);
            sync(&mut h, &big, &mut index);
            for r in 0..reps {
                flip(&mut big, (r * 7919 + 13) % ENDPOINTS, NODES, &mut index);
                total += sync(&mut h, &big, &mut index);
            }
        }
        _ => {
            let mut h = SyncHarness::new(full);
            sync(&mut h, &big, &mut index);
            sync(&mut h, &big, &mut index);
            for _ in 0..reps {
                total += sync(&mut h, &big, &mut index);
            }
        }
    }
    (total / reps.max(1) as u32, reps)
}

type Workload = Box<dyn Fn() -> anyhow::Result<(Duration, usize)>>;

/// One whole scenario run in-process (the `slicesim run` path), output into a temp folder.
fn scenario_run(path: PathBuf) -> anyhow::Result<(Duration, usize)> {
    let dir = std::env::temp_dir().join(format!("slicesim-bench-{}", std::process::id()));
    let opts = crate::run::RunOptions {
        scenario: path,
        out_dir: Some(dir.clone()),
        controllers: true,
        ..crate::run::RunOptions::default()
    };
    let t = Instant::now();
    crate::report::output::run(&opts)?;
    let took = t.elapsed();
    std::fs::remove_dir_all(&dir).ok();
    Ok((took, 1))
}

/// A 100-endpoint EndpointSlice and a 10,000-address Endpoints, as the controllers write them.
fn wire_objects() -> (k8s::EndpointSlice, k8s::Endpoints) {
    let mut h = SyncHarness::new(true);
    let big = BigService::new(100, 10);
    h.sync(&big);
    let slice = h.store.list()[0].clone();
    let addresses: Vec<serde_json::Value> = (0..ENDPOINTS)
        .map(|i| {
            json!({"ip": format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                   "nodeName": format!("node-{}", i % NODES),
                   "targetRef": {"kind": "Pod", "namespace": "default", "name": format!("big-{i:05}"),
                                 "uid": format!("uid-{i}")}})
        })
        .collect();
    let ep: k8s::Endpoints = serde_json::from_value(json!({
        "metadata": {"name": "big", "namespace": "default", "uid": "ep-uid", "resourceVersion": "7",
                     "creationTimestamp": "2026-01-05T08:55:00Z"},
        "subsets": [{"addresses": addresses, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]
    }))
    .expect("bench endpoints are valid");
    (slice, ep)
}

fn encode_both<T: crate::wire::WireObject>(obj: &T) -> anyhow::Result<usize> {
    let j = crate::wire::json_bytes(obj).len();
    let p = crate::wire::protobuf_bytes(obj)?.len();
    Ok(j + p)
}

/// The workloads, in table order: (name, baseline name, what it runs).
fn workloads(opts: &BenchOptions) -> Vec<(String, Option<String>, Workload)> {
    let mut v: Vec<(String, Option<String>, Workload)> = Vec::new();
    for (kind, reps) in [("from-empty", 5), ("one-change", 50), ("no-change", 200)] {
        let full = format!("esc-10k-{kind}-full");
        v.push((
            full.clone(),
            None,
            Box::new(move || Ok(esc_workload(kind, true, reps))),
        ));
        v.push((
            format!("esc-10k-{kind}"),
            Some(full),
            Box::new(move || Ok(esc_workload(kind, false, reps))),
        ));
    }
    v.push((
        "wire-encode-slice-100".into(),
        None,
        Box::new(|| {
            let (slice, _) = wire_objects();
            let reps = 2_000;
            let t = Instant::now();
            let mut n = 0;
            for _ in 0..reps {
                n += encode_both(&slice)?;
            }
            std::hint::black_box(n);
            Ok((t.elapsed() / reps, reps as usize))
        }),
    ));
    v.push((
        "wire-encode-endpoints-10k".into(),
        None,
        Box::new(|| {
            let (_, ep) = wire_objects();
            let reps = 20;
            let t = Instant::now();
            let mut n = 0;
            for _ in 0..reps {
                n += encode_both(&ep)?;
            }
            std::hint::black_box(n);
            Ok((t.elapsed() / reps, reps as usize))
        }),
    ));
    if !opts.quick {
        for (name, file) in [
            ("run-rolling-update-1000", "rolling-update-1000.toml"),
            ("run-scalability-envelope", "scalability-envelope.toml"),
            ("run-kep752-20k-endpoints", "kep752-20k-endpoints.toml"),
        ] {
            let path = opts.scenario_dir.join(file);
            v.push((
                name.into(),
                None,
                Box::new(move || scenario_run(path.clone())),
            ));
        }
    }
    v
}

/// The names of every workload (for `--only` validation and the help text).
pub fn workload_names() -> Vec<String> {
    workloads(&BenchOptions::default())
        .into_iter()
        .map(|(n, _, _)| n)
        .collect()
}

/// Run the selected workloads, calling `on_row` after each.
pub fn run(opts: &BenchOptions, mut on_row: impl FnMut(&Row)) -> anyhow::Result<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    for (name, base, work) in workloads(opts) {
        if !opts.only.is_empty() && !opts.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        let cpu0 = cpu_seconds();
        let (per_op, ops) = work()?;
        let cpu_s = cpu_seconds() - cpu0;
        let ratio = base.and_then(|b| {
            rows.iter().find(|r| r.name == b).map(|r| {
                (
                    per_op.as_secs_f64() / r.per_op.as_secs_f64().max(1e-12),
                    b.clone(),
                )
            })
        });
        let per_s = (!name.starts_with("run-")).then(|| 1.0 / per_op.as_secs_f64().max(1e-12));
        let row = Row {
            name,
            ops,
            per_op,
            cpu_s,
            per_s,
            peak_rss_kb: peak_rss_kb(),
            ratio,
        };
        on_row(&row);
        rows.push(row);
    }
    Ok(rows)
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

/// Header of the table.
pub fn header() -> String {
    format!(
        "| {:<30} | {:>5} | {:>12} | {:>10} | {:>11} | {:>9} | {:<34} |\n|{}|{}|{}|{}|{}|{}|{}|",
        "workload",
        "ops",
        "time/op",
        "CPU s",
        "ops/s",
        "peak MB",
        "ratio to baseline",
        "-".repeat(32),
        "-".repeat(7),
        "-".repeat(14),
        "-".repeat(12),
        "-".repeat(13),
        "-".repeat(11),
        "-".repeat(36)
    )
}

/// One table line (Markdown, so BENCHMARKS.md can quote it as printed).
pub fn format_row(r: &Row) -> String {
    format!(
        "| {:<30} | {:>5} | {:>12} | {:>10.3} | {:>11} | {:>9} | {:<34} |",
        r.name,
        r.ops,
        human(r.per_op),
        r.cpu_s,
        r.per_s.map_or("–".to_string(), |v| format!("{v:.0}")),
        r.peak_rss_kb
            .map_or("–".to_string(), |k| format!("{:.0}", k as f64 / 1024.0)),
        r.ratio
            .as_ref()
            .map_or("–".to_string(), |(x, b)| format!("{x:.3} × {b}"))
    )
}
