//! `slicesim plan`: a capacity-planning report for one scenario.
//!
//! The planner is a client of `slicesim run`: it runs the scenario (and variants of it, as
//! `--set` overrides) into `OUT/runs/<name>/`, takes the figures from the runs' results
//! ([`results`]) and writes `OUT/report.md`. Every number in the report names the run it comes from, and the
//! report lists each run's overrides, so any figure can be reproduced with
//! `slicesim run SCENARIO --set …`.
//!
//! Studies (see README "Capacity planning"):
//! 1. baseline — the scenario as given: egress, etcd bytes, node ingress, limits, budgets;
//! 2. max-endpoints-per-slice grid — which size minimises total watch egress, at what write cost;
//! 3. batch-period grid (both controllers) — writes saved vs propagation latency added;
//! 4. rolling-update sizing — the largest rolling update of one workload within the budgets,
//!    by a doubling ladder around its replica count, then bisection (assumes cost grows with
//!    the replica count).
//!
//! Seeds: every run is made once per seed (`--seeds N`: the scenario's seed, seed + 1, …,
//! seed + N − 1, set with `--set seed=`); every figure is the median over the seeds with its
//! min–max, and a budget verdict says in how many seeds it held. Per-second budgets are judged
//! on the peak second or, with `--budget-percentile P`, on the P-th percentile of the seconds.
//!
//! Deterministic: runs are simulated (seeded), gathered by name, never by completion order,
//! and the report contains no wall-clock time and no output path.

pub mod report;
pub mod results;

use crate::chart::ChartFormat;
use crate::error::input_error;
use crate::fsio::atomic_write;
use crate::scenario::{EventKind, Nanos, Scenario, Strategy, NS_PER_SEC};
use anyhow::Context;
use rayon::prelude::*;
use results::{RunData, Series, Spread, SummaryRows, MODES};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything `slicesim plan` takes.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub scenario: PathBuf,
    pub out: PathBuf,
    /// Runs in parallel; `None`: the number of CPUs.
    pub jobs: Option<usize>,
    /// `--set path=value`, applied to every run before the planner's own overrides.
    pub overrides: Vec<String>,
    pub format: ChartFormat,
    /// Seeds per run (at least 1): the scenario's seed and the next `seeds - 1` integers.
    pub seeds: u32,
    /// Per-second budgets are judged on this percentile of the seconds (0 < P ≤ 100; 100 is
    /// the peak second).
    pub budget_percentile: f64,
}

/// Default `--seeds`: enough for a median and a spread, few enough to keep a plan quick.
pub const DEFAULT_SEEDS: u32 = 5;

/// What `plan` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOutcome {
    pub report: PathBuf,
    pub runs: usize,
}

/// Default slice sizes compared (the controller allows 1..=1000; 100 is the default).
pub const DEFAULT_SLICE_SIZES: &[u32] = &[10, 25, 50, 100, 200, 500, 1000];
/// Slice sizes for large scenarios.
pub const LARGE_SLICE_SIZES: &[u32] = &[50, 100, 500, 1000];
/// Default batch periods compared, in ms.
pub const DEFAULT_BATCH_MS: &[u64] = &[0, 500, 1000, 5000, 10000];
/// Batch periods for large scenarios, in ms.
pub const LARGE_BATCH_MS: &[u64] = &[0, 1000, 10000];
/// Above this many (pods × nodes) — the fan-out of one full round of endpoint changes — the
/// internal grids shrink so that a plan stays within a few times the baseline's cost.
pub const LARGE_FANOUT: u64 = 2_000_000;
/// When the rolling update starts in the sizing runs (initial pods are Ready at t = 0; the
/// first minute lets the initial syncs settle).
pub const ROLLING_START_S: u64 = 60;

/// The grids one plan uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grids {
    pub slice_sizes: Vec<u32>,
    pub batch_periods_ns: Vec<Nanos>,
    /// Ladder factors 2^k around the workload's replica count.
    pub ladder_exps: Vec<i32>,
    /// Extra doublings / halvings when the ladder does not bracket the answer.
    pub extend_steps: u32,
    pub bisect_steps: u32,
    /// Pods × nodes of the scenario.
    pub fanout: u64,
    pub large: bool,
}

/// Largest replica count any event or the file gives each workload.
fn peak_replicas(s: &Scenario) -> Vec<u32> {
    let mut peak: Vec<u32> = s.workloads.iter().map(|w| w.replicas).collect();
    let mut cur = peak.clone();
    for e in &s.events {
        if let EventKind::Scale { workload, target } = &e.kind {
            let r = target.apply(cur[*workload]);
            cur[*workload] = r;
            peak[*workload] = peak[*workload].max(r);
        }
    }
    peak
}

/// Choose the grids: the `[plan]` table's if given, else the defaults, reduced for large
/// scenarios (decided from the scenario alone, so the choice is deterministic).
pub fn grids(s: &Scenario) -> Grids {
    let pods: u64 = peak_replicas(s).iter().map(|&r| u64::from(r)).sum();
    let fanout = pods.saturating_mul(s.cluster.initial_node_count as u64);
    let large = fanout > LARGE_FANOUT;
    let slice_sizes = if !s.plan.max_endpoints_per_slice.is_empty() {
        s.plan.max_endpoints_per_slice.clone()
    } else if large {
        LARGE_SLICE_SIZES.to_vec()
    } else {
        DEFAULT_SLICE_SIZES.to_vec()
    };
    let batch_periods_ns = if !s.plan.batch_periods_ns.is_empty() {
        s.plan.batch_periods_ns.clone()
    } else {
        let ms = if large {
            LARGE_BATCH_MS
        } else {
            DEFAULT_BATCH_MS
        };
        ms.iter().map(|m| m * 1_000_000).collect()
    };
    let mut slice_sizes = slice_sizes;
    slice_sizes.sort_unstable();
    let mut batch_periods_ns = batch_periods_ns;
    batch_periods_ns.sort_unstable();
    Grids {
        slice_sizes,
        batch_periods_ns,
        ladder_exps: if large {
            vec![-1, 0, 1]
        } else {
            vec![-3, -2, -1, 0, 1, 2]
        },
        extend_steps: if large { 1 } else { 3 },
        bisect_steps: if large { 2 } else { 4 },
        fanout,
        large,
    }
}

/// One planned variant, run once per seed and read back.
#[derive(Debug, Clone)]
pub struct Done {
    pub name: String,
    /// Every `--set` of the run with the scenario's own seed (the user's first); the other
    /// seeds' runs add `seed=<seed>`.
    pub overrides: Vec<String>,
    /// One per seed, the scenario's own seed first.
    pub seeds: Vec<RunData>,
    /// Chart files of the first seed's run, relative to the plan directory (`/`-separated).
    pub charts: Vec<String>,
}

impl Done {
    /// `runs/<name>` (relative to the plan directory): the run with the scenario's seed.
    pub fn dir(&self) -> String {
        format!("runs/{}", self.name)
    }

    /// Directory of every seed's run, in seed order.
    pub fn seed_dirs(&self) -> Vec<String> {
        (0..self.seeds.len())
            .map(|k| format!("runs/{}", seed_dir_name(&self.name, k, self.seeds[k].seed)))
            .collect()
    }

    /// `f` over the seeds.
    pub fn spread(&self, f: impl Fn(&RunData) -> f64) -> Spread {
        let v: Vec<f64> = self.seeds.iter().map(f).collect();
        Spread::of(&v).unwrap_or(Spread {
            median: 0.0,
            min: 0.0,
            max: 0.0,
            n: 0,
        })
    }

    /// A summary value over the seeds (a missing value counts as 0, as in [`SummaryRows::num`]).
    pub fn num(&self, mode: &str, metric: &str) -> Spread {
        self.spread(|r| r.summary.num(mode, metric))
    }

    /// A summary value over the seeds that report it; `None` if none does.
    pub fn get(&self, mode: &str, metric: &str) -> Option<Spread> {
        let v: Vec<f64> = self
            .seeds
            .iter()
            .filter_map(|r| r.summary.get(mode, metric))
            .collect();
        Spread::of(&v)
    }
}

/// Directory name of seed `k` (seed value `seed`) of run `name`: the first seed's run is
/// `name` itself, the others `name.seed-<seed>`.
pub fn seed_dir_name(name: &str, k: usize, seed: u64) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}.seed-{seed}")
    }
}

/// A run to make: name and the planner's overrides.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    extra: Vec<String>,
}

/// The workload whose rolling update is sized, and how its replica count is set.
#[derive(Debug, Clone)]
pub struct Sized {
    pub index: usize,
    /// `namespace/name`.
    pub reference: String,
    /// `workload_label` spelling used in summary rows.
    pub label: String,
    pub base_replicas: u32,
    /// The most replicas the workload has in the scenario (may be 0; the ladder then
    /// starts from [`Sized::base_replicas`] = 1).
    pub peak_replicas: u32,
    /// Largest replica count that fits the initial nodes with its rolling-update surge.
    pub cap: u32,
    /// File index of `[[workloads]]` usable in `workloads[i].replicas=` (no `copies` before it).
    file_index: Option<usize>,
    /// Seconds from pod creation to Ready (worst case of the readiness ranges, + 1 s).
    ready_s: u64,
    /// Seconds from deletion to removal of an old pod (worst case).
    exit_s: u64,
    strategy: Strategy,
}

impl Sized {
    /// Simulated seconds after the start of the rolling update that a run of `r` replicas
    /// covers: twice an estimate of the rollout (waves of maxSurge + maxUnavailable pods, each
    /// waiting for readiness), at least 5 minutes. Completion is checked afterwards.
    pub fn window_s(&self, r: u32) -> u64 {
        let waves = match self.strategy {
            Strategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => {
                let step = u64::from(max_surge.resolve(r, true))
                    + u64::from(max_unavailable.resolve(r, false));
                u64::from(r).div_ceil(step.max(1)) + 1
            }
            Strategy::Recreate => 2,
        };
        (2 * (waves * self.ready_s + self.exit_s) + 60).max(300)
    }
}

/// Everything the report needs.
pub struct Plan<'a> {
    pub scenario: &'a Scenario,
    pub opts: &'a PlanOptions,
    pub grids: Grids,
    /// Runs by name.
    pub runs: BTreeMap<String, Done>,
    /// Run names in the order they were planned.
    pub order: Vec<String>,
    pub slice_runs: Vec<(u32, String)>,
    pub batch_runs: Vec<(Nanos, String)>,
    pub sized: Option<Sized>,
    /// Rolling-update runs by replica count.
    pub rolling: BTreeMap<u32, String>,
    /// Per mode: the search result.
    pub answers: BTreeMap<&'static str, Answer>,
    /// Charts of the grid studies (relative paths).
    pub study_charts: BTreeMap<&'static str, Vec<String>>,
    /// Seeds of every run: the scenario's seed first.
    pub seeds: Vec<u64>,
    pool: rayon::ThreadPool,
}

/// Outcome of the rolling-update search for one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No budget in `[plan]`: only the cost curve is reported.
    NoBudget,
    /// Largest passing replica count and the smallest failing one (if any was tried).
    Found {
        ok: u32,
        fail: Option<u32>,
        capped: bool,
    },
    /// Even the smallest replica count tried exceeds a budget.
    NoneFits { smallest: u32 },
}

/// Run the whole plan and write `OUT/report.md`.
pub fn plan(opts: &PlanOptions) -> anyhow::Result<PlanOutcome> {
    if opts.jobs == Some(0) {
        return Err(input_error("-j 0: the number of jobs must be at least 1"));
    }
    if opts.seeds == 0 {
        return Err(input_error(
            "--seeds 0: the number of seeds must be at least 1",
        ));
    }
    if !(opts.budget_percentile > 0.0 && opts.budget_percentile <= 100.0) {
        return Err(input_error(format!(
            "--budget-percentile {}: allowed: a percentile above 0 and at most 100 (100: the peak second)",
            opts.budget_percentile
        )));
    }
    let scenario = crate::scenario::load(&opts.scenario, &opts.overrides)?;
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("starting worker threads")?;
    std::fs::create_dir_all(opts.out.join("runs"))
        .with_context(|| format!("creating output directory {}", opts.out.display()))?;
    let src = std::fs::read_to_string(&opts.scenario)
        .with_context(|| format!("reading {}", opts.scenario.display()))?;
    let mut p = Plan {
        grids: grids(&scenario),
        scenario: &scenario,
        opts,
        runs: BTreeMap::new(),
        order: Vec::new(),
        slice_runs: Vec::new(),
        batch_runs: Vec::new(),
        sized: sized_workload(&scenario, &src),
        rolling: BTreeMap::new(),
        answers: BTreeMap::new(),
        study_charts: BTreeMap::new(),
        seeds: (0..u64::from(opts.seeds))
            .map(|k| scenario.seed.wrapping_add(k))
            .collect(),
        pool,
    };
    // Phase A: everything that does not depend on a result, in parallel.
    let mut specs = vec![Spec {
        name: "baseline".into(),
        extra: vec![],
    }];
    specs.extend(p.slice_specs());
    specs.extend(p.batch_specs());
    let ladder = p.ladder();
    for &r in &ladder {
        specs.push(p.rolling_spec(r));
    }
    p.run_all(specs)?;
    // Phase B: the rolling-update search per mode (a few sequential runs).
    p.search(&ladder)?;
    p.study_charts()?;
    let text = report::render(&p);
    let path = opts.out.join("report.md");
    atomic_write(&path, text.as_bytes())?;
    Ok(PlanOutcome {
        report: path,
        runs: p.runs.len(),
    })
}

/// Find the workload to size and how to set its replica count.
fn sized_workload(s: &Scenario, src: &str) -> Option<Sized> {
    let peaks = peak_replicas(s);
    let index = match s.plan.workload {
        Some(i) => i,
        None => (0..s.workloads.len()).max_by_key(|&i| (peaks[i], std::cmp::Reverse(i)))?,
    };
    let w = &s.workloads[index];
    // `workloads[i]` in an override counts entries as written: usable only if no entry up to
    // this one uses `copies`.
    let file_index = toml::from_str::<toml::Table>(src).ok().and_then(|t| {
        let arr = t.get("workloads")?.as_array()?;
        for (i, e) in arr.iter().enumerate() {
            let e = e.as_table()?;
            if e.contains_key("copies") {
                return None;
            }
            let ns = e
                .get("namespace")
                .and_then(|v| v.as_str())
                .unwrap_or("default");
            if e.get("name").and_then(|v| v.as_str()) == Some(&w.name) && ns == w.namespace {
                return Some(i);
            }
        }
        None
    });
    let surge = |r: u32, w: &crate::scenario::Workload| match w.strategy {
        Strategy::RollingUpdate { max_surge, .. } => u64::from(max_surge.resolve(r, true)),
        Strategy::Recreate => 0,
    };
    // Room on the initial nodes the workload may use (its zones), in pods (kubelet maxPods)
    // and in CPU (the scheduler's request fit); other workloads keep their pods plus surge.
    let usable: Vec<&crate::scenario::Node> = s.cluster.nodes[..s.cluster.initial_node_count]
        .iter()
        .filter(|n| w.zones.is_empty() || w.zones.contains(&n.zone))
        .collect();
    let others: Vec<(u64, u64)> = s
        .workloads
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, o)| {
            (
                u64::from(o.replicas) + surge(o.replicas, o),
                o.cpu_request_milli,
            )
        })
        .collect();
    let pods_room = (usable.len() as u64 * u64::from(s.cluster.max_pods_per_node))
        .saturating_sub(others.iter().map(|(n, _)| n).sum());
    let room = if w.cpu_request_milli == 0 {
        pods_room
    } else {
        // per node: whole pods that fit its CPU and its pod limit
        let per_node: u64 = usable
            .iter()
            .map(|n| {
                (n.allocatable_cpu_milli / w.cpu_request_milli)
                    .min(u64::from(s.cluster.max_pods_per_node))
            })
            .sum();
        let taken: u64 = others
            .iter()
            .map(|(n, cpu)| n * cpu.div_ceil(w.cpu_request_milli))
            .sum();
        pods_room.min(per_node.saturating_sub(taken))
    };
    // largest r with r + surge(r) ≤ room: surge is monotone, so bisect
    let (mut lo, mut hi) = (0u64, room.min(u64::from(u32::MAX)));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if mid + surge(mid as u32, w) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let cap = lo as u32;
    let rd = w.readiness;
    let ready_s =
        (rd.schedule_delay.max_ns + rd.ip_delay.max_ns + rd.ready_delay.max_ns + w.min_ready_ns)
            .div_ceil(NS_PER_SEC)
            + 1;
    let exit_s = w.termination.exit_after.max_ns.div_ceil(NS_PER_SEC);
    Some(Sized {
        index,
        reference: format!("{}/{}", w.namespace, w.name),
        label: crate::run::workloads::workload_label(&w.namespace, &w.name),
        base_replicas: peaks[index].max(1),
        peak_replicas: peaks[index],
        cap,
        file_index,
        ready_s,
        exit_s,
        strategy: w.strategy,
    })
}

impl Plan<'_> {
    fn slice_specs(&mut self) -> Vec<Spec> {
        let current = self
            .scenario
            .controllers
            .endpointslice
            .max_endpoints_per_slice;
        let mut out = Vec::new();
        for &size in &self.grids.slice_sizes.clone() {
            let name = if size == current {
                "baseline".to_string()
            } else {
                let name = format!("slice-{size}");
                out.push(Spec {
                    name: name.clone(),
                    extra: vec![format!(
                        "controllers.endpointslice.max_endpoints_per_slice={size}"
                    )],
                });
                name
            };
            self.slice_runs.push((size, name));
        }
        out
    }

    fn batch_specs(&mut self) -> Vec<Spec> {
        let c = &self.scenario.controllers;
        let (es, ep) = (c.endpointslice.batch_period_ns, c.endpoints.batch_period_ns);
        let mut out = Vec::new();
        for &p in &self.grids.batch_periods_ns.clone() {
            let text = crate::scenario::values::format_duration(p);
            let name = if p == es && p == ep {
                "baseline".to_string()
            } else {
                let name = format!("batch-{text}");
                out.push(Spec {
                    name: name.clone(),
                    extra: vec![
                        format!("controllers.endpointslice.batch_period=\"{text}\""),
                        format!("controllers.endpoints.batch_period=\"{text}\""),
                    ],
                });
                name
            };
            self.batch_runs.push((p, name));
        }
        out
    }

    /// Replica counts of the first round: base × 2^k, within 1..=cap.
    fn ladder(&self) -> Vec<u32> {
        let Some(sz) = &self.sized else {
            return vec![];
        };
        let mut v: Vec<u32> = self
            .grids
            .ladder_exps
            .iter()
            .map(|&k| {
                let b = f64::from(sz.base_replicas) * 2f64.powi(k);
                (b.round() as u64).clamp(1, u64::from(sz.cap.max(1))) as u32
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    fn rolling_spec(&self, r: u32) -> Spec {
        let sz = self.sized.as_ref().expect("rolling runs need a workload");
        let start = ROLLING_START_S;
        let dur = start + sz.window_s(r);
        let mut extra = Vec::new();
        let roll = format!(
            "{{ at = \"{start}s\", type = \"rolling_update\", workload = \"{}\" }}",
            sz.reference
        );
        match sz.file_index {
            Some(i) => {
                extra.push(format!("workloads[{i}].replicas={r}"));
                extra.push(format!("events=[{roll}]"));
            }
            None => {
                // replicas set by a scale event at t = 0 (the new pods are Ready long before the update)
                extra.push(format!(
                    "events=[{{ at = \"0s\", type = \"scale\", workload = \"{}\", replicas = {r} }}, {roll}]",
                    sz.reference
                ));
            }
        }
        extra.push(format!("duration=\"{dur}s\""));
        Spec {
            name: format!("rolling-{r}"),
            extra,
        }
    }

    /// Run every spec not yet run, in parallel; results are stored by name.
    fn run_all(&mut self, specs: Vec<Spec>) -> anyhow::Result<()> {
        let mut todo: Vec<Spec> = Vec::new();
        for s in specs {
            if !self.runs.contains_key(&s.name) && !todo.iter().any(|t| t.name == s.name) {
                todo.push(s);
            }
        }
        let (opts, out) = (self.opts, self.opts.out.clone());
        let jobs: Vec<(usize, usize, u64)> = (0..todo.len())
            .flat_map(|i| self.seeds.iter().enumerate().map(move |(k, &s)| (i, k, s)))
            .collect();
        let results: Vec<anyhow::Result<(RunData, Vec<String>)>> = self.pool.install(|| {
            jobs.par_iter()
                .map(|&(i, k, seed)| run_one(opts, &out, &todo[i], k, seed))
                .collect()
        });
        let mut by_spec: Vec<Vec<(RunData, Vec<String>)>> =
            todo.iter().map(|_| Vec::new()).collect();
        for (&(i, k, _), r) in jobs.iter().zip(results) {
            let r = r.with_context(|| format!("plan run {} (seed #{k})", todo[i].name))?;
            by_spec[i].push(r);
        }
        for (s, runs) in todo.iter().zip(by_spec) {
            let mut overrides = opts.overrides.clone();
            overrides.extend(s.extra.iter().cloned());
            let charts = runs.first().map(|r| r.1.clone()).unwrap_or_default();
            let d = Done {
                name: s.name.clone(),
                overrides,
                seeds: runs.into_iter().map(|r| r.0).collect(),
                charts,
            };
            self.order.push(s.name.clone());
            if s.name.starts_with("rolling-") {
                if let Ok(r) = s.name["rolling-".len()..].parse::<u32>() {
                    self.rolling.insert(r, s.name.clone());
                }
            }
            self.runs.insert(s.name.clone(), d);
        }
        Ok(())
    }

    /// The run of a name planned earlier.
    pub fn run(&self, name: &str) -> &Done {
        &self.runs[name]
    }

    /// Rolling-update figures of one run and mode, one per seed.
    pub fn rolling_figures(&self, r: u32, mode: &str) -> Option<Vec<RollingFigures>> {
        let d = self.runs.get(self.rolling.get(&r)?)?;
        let t0 = ROLLING_START_S;
        let sz = self.sized.as_ref()?;
        let pct = self.opts.budget_percentile;
        Some(
            d.seeds
                .iter()
                .map(|run| {
                    let deleted = run
                        .summary
                        .num("run", &format!("workload.{}.pods_deleted", sz.label));
                    let ready = run
                        .summary
                        .num("run", &format!("workload.{}.pods_ready_final", sz.label));
                    RollingFigures {
                        total: run.series.total_bytes(mode, t0),
                        peak: run.series.peak_bytes(mode, t0).value,
                        peak_node: run.series.peak_node_bytes(mode, t0).value,
                        judged: run.series.percentile_of(mode, t0, pct, false),
                        judged_node: run.series.percentile_of(mode, t0, pct, true),
                        writes: run.series.total_writes(mode, t0),
                        complete: deleted >= f64::from(r) && ready >= f64::from(r),
                    }
                })
                .collect(),
        )
    }

    /// In how many seeds does the rolling update of `r` replicas stay within every budget in
    /// `mode`: `(held, seeds)`. `None` without budgets. An incomplete rollout counts as a
    /// failure (its cost is unknown).
    pub fn within_budget(&self, r: u32, mode: &str) -> Option<(usize, usize)> {
        let b = &self.scenario.plan;
        if b.egress_budget_bytes_per_second.is_none()
            && b.node_ingress_budget_bytes_per_second.is_none()
            && b.rolling_update_egress_budget_bytes.is_none()
        {
            return None;
        }
        let figures = self.rolling_figures(r, mode)?;
        let le = |v: f64, limit: Option<u64>| limit.map_or(true, |l| v <= l as f64);
        let held = figures
            .iter()
            .filter(|f| {
                f.complete
                    && le(f.judged, b.egress_budget_bytes_per_second)
                    && le(f.judged_node, b.node_ingress_budget_bytes_per_second)
                    && le(f.total, b.rolling_update_egress_budget_bytes)
            })
            .count();
        Some((held, figures.len()))
    }

    /// The search's verdict: within budget in every seed.
    pub fn holds(&self, r: u32, mode: &str) -> bool {
        matches!(self.within_budget(r, mode), Some((h, n)) if h == n && n > 0)
    }

    /// Phase B: per mode, extend the ladder until it brackets the answer, then bisect.
    fn search(&mut self, ladder: &[u32]) -> anyhow::Result<()> {
        let Some(cap) = self.sized.as_ref().map(|s| s.cap.max(1)) else {
            return Ok(());
        };
        for mode in MODES {
            if ladder.is_empty() || self.within_budget(ladder[0], mode).is_none() {
                self.answers.insert(mode, Answer::NoBudget);
                continue;
            }
            let verdict = |p: &Plan, r: u32| p.holds(r, mode);
            let mut tried: Vec<u32> = self.rolling.keys().copied().collect();
            // bracket: largest passing lo below the smallest failing hi
            let bracket = |p: &Plan, tried: &[u32]| {
                let fail = tried.iter().copied().find(|&r| !verdict(p, r));
                let ok = tried
                    .iter()
                    .copied()
                    .filter(|&r| fail.map_or(true, |f| r < f) && verdict(p, r))
                    .max();
                (ok, fail)
            };
            let (mut ok, mut fail) = bracket(self, &tried);
            let mut steps = 0;
            while fail.is_none() && steps < self.grids.extend_steps {
                let top = *tried.last().unwrap_or(&1);
                if top >= cap {
                    break;
                }
                let r = top.saturating_mul(2).min(cap);
                self.run_all(vec![self.rolling_spec(r)])?;
                tried = self.rolling.keys().copied().collect();
                (ok, fail) = bracket(self, &tried);
                steps += 1;
            }
            steps = 0;
            while ok.is_none() && steps < self.grids.extend_steps {
                let bottom = tried[0];
                if bottom <= 1 {
                    break;
                }
                self.run_all(vec![self.rolling_spec(bottom / 2)])?;
                tried = self.rolling.keys().copied().collect();
                (ok, fail) = bracket(self, &tried);
                steps += 1;
            }
            steps = 0;
            while let (Some(lo), Some(hi)) = (ok, fail) {
                if hi - lo <= 1 || steps >= self.grids.bisect_steps {
                    break;
                }
                let mid = lo + (hi - lo) / 2;
                self.run_all(vec![self.rolling_spec(mid)])?;
                tried = self.rolling.keys().copied().collect();
                (ok, fail) = bracket(self, &tried);
                steps += 1;
            }
        }
        // Answers from every run made (the other mode's search may have refined the bracket).
        let tried: Vec<u32> = self.rolling.keys().copied().collect();
        for mode in MODES {
            if self.answers.contains_key(mode) {
                continue; // no budget
            }
            let verdict = |r: u32| self.holds(r, mode);
            let fail = tried.iter().copied().find(|&r| !verdict(r));
            let ok = tried
                .iter()
                .copied()
                .filter(|&r| fail.map_or(true, |f| r < f) && verdict(r))
                .max();
            let answer = match ok {
                Some(ok) => Answer::Found {
                    ok,
                    fail,
                    capped: fail.is_none() && ok >= cap,
                },
                None => Answer::NoneFits {
                    smallest: tried.first().copied().unwrap_or(1),
                },
            };
            self.answers.insert(mode, answer);
        }
        Ok(())
    }

    /// `studies/<study>/sweep.csv` (the layout of `slicesim sweep`) and its charts.
    fn study_charts(&mut self) -> anyhow::Result<()> {
        let slice: Vec<(String, String)> = self
            .slice_runs
            .iter()
            .map(|(v, n)| (v.to_string(), n.clone()))
            .collect();
        let batch: Vec<(String, String)> = self
            .batch_runs
            .iter()
            .map(|(v, n)| (format_secs(*v), n.clone()))
            .collect();
        for (study, param, points) in [
            (
                "slice-size",
                "controllers.endpointslice.max_endpoints_per_slice",
                slice,
            ),
            ("batch-period", "batch_period_s", batch),
        ] {
            if points.is_empty() {
                continue;
            }
            let dir = self.opts.out.join("studies").join(study);
            // the scenario's own seed's figures, from its RunResults (no file read back)
            let rows: Vec<(crate::sweep::PointEntry, BTreeMap<String, String>)> = points
                .iter()
                .enumerate()
                .map(|(i, (v, name))| {
                    let run = self.run(name);
                    (
                        crate::sweep::PointEntry {
                            id: crate::sweep::spec::point_id(i, points.len()),
                            hash: String::new(),
                            values: vec![v.clone()],
                            seed: self.scenario.seed,
                            overrides: run.overrides.clone(),
                        },
                        run.seeds
                            .first()
                            .map(|d| d.summary.headline())
                            .unwrap_or_default(),
                    )
                })
                .collect();
            let csv = crate::sweep::sweep_csv_of(&[param.to_string()], &rows)?;
            atomic_write(&dir.join("sweep.csv"), &csv)?;
            let charts = crate::chart::render_sweep(&dir, self.opts.format)
                .with_context(|| format!("rendering charts of {}", dir.display()))?;
            self.study_charts
                .insert(study, relative_all(&self.opts.out, &charts));
        }
        Ok(())
    }
}

/// Rolling-update cost of one run in one mode, from the start of the update to the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollingFigures {
    pub total: f64,
    pub peak: f64,
    pub peak_node: f64,
    /// The per-second egress / node ingress the budgets are judged on (`--budget-percentile`
    /// of the seconds; the peak at 100).
    pub judged: f64,
    pub judged_node: f64,
    pub writes: f64,
    /// Every old pod deleted and every new one Ready by the end of the run.
    pub complete: bool,
}

/// Seconds as the shortest decimal (`0.5`, `10`).
pub fn format_secs(ns: Nanos) -> String {
    let s = ns as f64 / NS_PER_SEC as f64;
    format!("{s}")
}

fn relative_all(base: &Path, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(base).unwrap_or(p);
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// Make seed `k` (value `seed`) of one run (clearing any earlier output of the same name),
/// render its charts (first seed only), read it.
fn run_one(
    opts: &PlanOptions,
    out: &Path,
    s: &Spec,
    k: usize,
    seed: u64,
) -> anyhow::Result<(RunData, Vec<String>)> {
    let dir = out.join("runs").join(seed_dir_name(&s.name, k, seed));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("clearing earlier run {}", dir.display()))?;
    }
    let mut overrides = opts.overrides.clone();
    overrides.extend(s.extra.iter().cloned());
    if k > 0 {
        // quoted: TOML integers stop at 2^63 - 1, the seed range does not
        overrides.push(format!("seed=\"{seed}\""));
    }
    let ro = crate::run::RunOptions {
        scenario: opts.scenario.clone(),
        out_dir: Some(dir.clone()),
        overrides: overrides.clone(),
        progress: false,
        controllers: true,
        ..Default::default()
    };
    let outcome = crate::report::output::run(&ro)?;
    let charts = if k == 0 {
        let c = crate::chart::render_run(&dir, opts.format)
            .with_context(|| format!("rendering charts of {}", dir.display()))?;
        relative_all(out, &c)
    } else {
        Vec::new()
    };
    Ok((
        RunData {
            seed,
            summary: SummaryRows::of(&outcome.results),
            series: Series::of(&outcome.results),
        },
        charts,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(extra: &str) -> Scenario {
        let src = format!(
            "name = \"t\"\nduration = \"10m\"\n[cluster]\nnodes = 4\n[[workloads]]\nname = \"web\"\nreplicas = 30\nports = [{{ name = \"http\", container_port = 8080 }}]\n[[workloads]]\nname = \"db\"\nreplicas = 3\n{extra}"
        );
        crate::testutil::scenario(&src)
    }

    #[test]
    fn grids_default_reduced_and_from_the_plan_table() {
        let g = grids(&scenario(""));
        assert_eq!(g.slice_sizes, DEFAULT_SLICE_SIZES);
        assert!(!g.large);
        assert_eq!(g.fanout, 33 * 4);
        let g = grids(&scenario(
            "[plan]\nmax_endpoints_per_slice = [500, 20]\nbatch_periods = [\"2s\", \"0s\"]\n",
        ));
        assert_eq!(g.slice_sizes, vec![20, 500]);
        assert_eq!(g.batch_periods_ns, vec![0, 2 * NS_PER_SEC]);
        let mut big = scenario("");
        big.cluster.initial_node_count = 100_000;
        let g = grids(&big);
        assert!(g.large);
        assert_eq!(g.slice_sizes, LARGE_SLICE_SIZES);
        assert!(g.ladder_exps.len() < grids(&scenario("")).ladder_exps.len());
    }

    #[test]
    fn sized_workload_is_the_largest_and_fits_with_surge() {
        let s = scenario("");
        let src = "[[workloads]]\nname = \"web\"\n[[workloads]]\nname = \"db\"\n";
        let z = sized_workload(&s, src).unwrap();
        assert_eq!((z.index, z.reference.as_str()), (0, "default/web"));
        assert_eq!(z.file_index, Some(0));
        // the same limit the scheduler applies: web's pods fit by CPU and pod count
        assert!(z.cap > 30 && z.cap < 440, "{}", z.cap);
        // percentages: the same number of waves at any size; one pod at a time: grows with R
        assert!(z.window_s(10) >= 300);
        let mut one = z.clone();
        one.strategy = Strategy::RollingUpdate {
            max_surge: crate::scenario::IntOrPercent::Int(1),
            max_unavailable: crate::scenario::IntOrPercent::Int(0),
        };
        assert!(one.window_s(1000) > one.window_s(10) && one.window_s(1000) > 1000);
        let copies = "[[workloads]]\nname = \"x\"\ncopies = 2\n[[workloads]]\nname = \"web\"\n";
        assert_eq!(sized_workload(&s, copies).unwrap().file_index, None);
        let s = scenario("[plan]\nworkload = \"db\"\n");
        assert_eq!(sized_workload(&s, src).unwrap().index, 1);
    }
}
