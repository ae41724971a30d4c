//! One run, composed in one place: load the scenario, build the world, the controller
//! manager, the watch hub and the output tracker, wire their seams, drive the world to the
//! end and hand back everything the exporters need as a [`RunResults`].
//!
//! * [`simulate`] / [`simulate_scenario`]: the run in memory (`sweep` and `plan` read its
//!   [`RunResults`] directly).
//! * `slicesim run` is [`simulate_scenario`] plus the files: [`crate::report::output`] writes
//!   the exporters' bytes, `run.json` last (a run knows nothing of its files).
//! * [`dispatch`]: the run's one event queue and its one dispatch point (and the event log).
//! * [`seams`]: how the watch hub and the tracker hear about writes and world changes.
//! * [`track`], [`summary`], [`workloads`]: what the run gathers while it goes (beyond the
//!   hub's totals).
//! * [`side_files`]: the `--event-log` file and the checks of the paths beside the output
//!   folder.
//!
//! With `--record-trace NAMESPACE/SERVICE=DIR`, DIR gets `input.jsonl`, `output.jsonl` and
//! `seed` (see [`crate::controllers::manager::record`]). With `--event-log FILE`, every
//! dispatched event and what the controllers and the watch side did is logged to FILE (see
//! [`dispatch`]). The progress bar (stderr,
//! only when it is a terminal) reads the wall clock for its rate display; nothing it sees or
//! computes reaches an output.

pub mod dispatch;
pub mod seams;
pub mod side_files;
pub mod summary;
pub mod track;
pub mod workloads;

use crate::apiserver::watch::{TrafficReport, WatchHub};
use crate::apiserver::write_log::Resource;
use crate::cluster::{Change, ChangeSink, CountingSink, World, WorldOptions};
use crate::controllers::manager::{
    BorrowedObserver, ControllerManager, ManagerOptions, ManagerStats, SyncRow,
};
use crate::scenario::{Nanos, Scenario, NS_PER_SEC};
use crate::sim::{EventLog, LogLine};
use dispatch::{EventLoop, Subscribers};
use seams::{HubLink, WatchSide};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::rc::Rc;
use summary::{PodEventStats, WorldSummary};
use track::Tracker;

/// Everything `slicesim run` takes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub scenario: PathBuf,
    pub out_dir: Option<PathBuf>,
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// `--set path=value`, in order.
    pub overrides: Vec<String>,
    pub event_log: Option<PathBuf>,
    /// Allow a progress bar (it is still hidden when stderr is not a terminal).
    pub progress: bool,
    /// Wall clock between the plain progress lines when stderr is not a terminal (`None`:
    /// [`PROGRESS_INTERVAL`]).
    pub progress_interval: Option<std::time::Duration>,
    /// Run the endpoint controllers (the CLI always does; false = the world alone).
    pub controllers: bool,
    /// `--record-trace NAMESPACE/SERVICE=DIR`, parsed.
    pub record_traces: Vec<(String, PathBuf)>,
    /// A recorded period to replay (`slicesim import` with a watch stream).
    pub replay: Option<std::sync::Arc<crate::cluster::world::Replay>>,
    /// The process ends right after this one run (`slicesim run`): the controllers' state is
    /// then left to the process exit instead of being freed. Freeing it visits every object and
    /// cache entry (about 1 % of the scale envelope's CPU) when its outputs are already taken.
    /// Sweeps, plans, imports and tests run several scenarios in one process and leave it false.
    pub process_ends_after: bool,
}

/// Parse `NAMESPACE/SERVICE=DIR`.
pub fn parse_record_trace(arg: &str) -> anyhow::Result<(String, PathBuf)> {
    let bad = || {
        crate::error::input_error(format!(
            "--record-trace {arg:?}: expected NAMESPACE/SERVICE=DIR"
        ))
    };
    let (svc, dir) = arg.split_once('=').ok_or_else(bad)?;
    let (ns, name) = svc.split_once('/').ok_or_else(bad)?;
    if ns.is_empty() || name.is_empty() || name.contains('/') || dir.is_empty() {
        return Err(bad());
    }
    Ok((svc.to_string(), PathBuf::from(dir)))
}

/// Everything a finished run leaves for the exporters ([`crate::report`]).
pub struct RunResults {
    /// The scenario as run (seed and overrides applied; its `source` feeds `run.json`).
    pub scenario: Scenario,
    /// The world's summary rows (`scope, metric, value`).
    pub world_rows: Vec<(String, String, String)>,
    /// `workloads.csv` ([`workloads::Recorder`]).
    pub workloads_csv: Vec<u8>,
    /// The world's part of the terminal summary.
    pub world_table: String,
    /// The endpoint controllers' and the API server's side (`None`: the world alone).
    pub controllers: Option<ControllerResults>,
}

/// The controller, API server and watch side of a run.
pub struct ControllerResults {
    pub traffic: TrafficReport,
    pub stats: ManagerStats,
    pub syncs: Vec<SyncRow>,
    /// Request bytes written by each row of `syncs` (same order).
    pub sync_bytes: Vec<u64>,
    pub tracker: Tracker,
    /// The hub's per-node stream per mode at the end ([`WatchHub::node_stream`]).
    pub node_streams: [(u64, u64); 2],
    /// Whether a mode has per-node (kube-proxy) watchers.
    pub per_node: [bool; 2],
}

/// Free `state` at the end of a run, unless the process ends right after it
/// ([`RunOptions::process_ends_after`]).
fn release<T>(state: T, opts: &RunOptions) {
    if opts.process_ends_after {
        std::mem::forget(state);
    } else {
        drop(state);
    }
}

/// Load the scenario named in `opts` (overrides and `--seed` applied).
pub fn load_scenario(opts: &RunOptions) -> anyhow::Result<Scenario> {
    let mut scenario = crate::scenario::load(&opts.scenario, &opts.overrides)?;
    if let Some(seed) = opts.seed {
        scenario.seed = seed;
    }
    Ok(scenario)
}

/// Run the scenario named in `opts` in memory (no output folder; `--event-log` and
/// `--record-trace` files are still written).
pub fn simulate(opts: &RunOptions) -> anyhow::Result<RunResults> {
    side_files::check_side_paths(opts)?;
    simulate_scenario(load_scenario(opts)?, opts)
}

/// Drive `world` through `events` to the end of its scenario, calling `on_sample(s, world)`
/// for every whole second `s` in `0..=duration` with the state after all events at times ≤ `s` s.
pub fn drive<S: Subscribers>(
    events: &mut EventLoop,
    world: &mut World,
    subs: &mut S,
    mut on_sample: impl FnMut(u64, &mut World) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    events.start(world, subs)?;
    let end = world.scenario().duration_ns;
    let mut next_s: u64 = 0;
    loop {
        match events.peek_time() {
            Some(t) => {
                while next_s.saturating_mul(NS_PER_SEC) < t {
                    on_sample(next_s, world)?;
                    next_s += 1;
                }
                events.step(world, subs)?;
            }
            None => {
                while next_s.saturating_mul(NS_PER_SEC) <= end {
                    on_sample(next_s, world)?;
                    next_s += 1;
                }
                break;
            }
        }
    }
    events.finish(world, subs)
}

/// The consumers of a run's change stream, in the order they hear each change: the change
/// counter, the pod-event statistics, then (with controllers) the controller manager and the
/// watch side.
struct Sinks<'a, 'o> {
    counting: &'a mut CountingSink,
    pod_stats: &'a mut PodEventStats,
    manager: Option<&'a mut ControllerManager<'o>>,
    watch: Option<&'a mut HubLink>,
}

impl Sinks<'_, '_> {
    fn each(&mut self, mut f: impl FnMut(&mut dyn ChangeSink)) {
        f(self.counting);
        f(self.pod_stats);
        if let Some(m) = self.manager.as_deref_mut() {
            f(m);
        }
        if let Some(w) = self.watch.as_deref_mut() {
            f(w);
        }
    }
}

impl ChangeSink for Sinks<'_, '_> {
    fn advance_to(&mut self, now_ns: Nanos, world: &World) {
        self.each(|s| s.advance_to(now_ns, world));
    }
    fn next_wakeup(&self) -> Option<Nanos> {
        let parts: [Option<&dyn ChangeSink>; 4] = [
            Some(&*self.counting),
            Some(&*self.pod_stats),
            self.manager.as_deref().map(|m| m as &dyn ChangeSink),
            self.watch.as_deref().map(|w| w as &dyn ChangeSink),
        ];
        parts
            .into_iter()
            .flatten()
            .filter_map(|s| s.next_wakeup())
            .min()
    }
    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, world: &World) {
        self.each(|s| s.on_change(now_ns, change, world));
    }
}

/// The run's [`Subscribers`]: the sinks, and for the event log the manager's lines with each
/// `api-write` followed by the watch side's `watch-delivery` of that write.
struct Wiring<'a, 'o> {
    sinks: Sinks<'a, 'o>,
    watch_side: Option<Rc<RefCell<WatchSide>>>,
}

impl Subscribers for Wiring<'_, '_> {
    fn sink(&mut self) -> &mut dyn ChangeSink {
        &mut self.sinks
    }
    fn take_log(&mut self, out: &mut Vec<LogLine>) {
        let Some(m) = self.sinks.manager.as_deref_mut() else {
            return;
        };
        let mut lines = Vec::new();
        m.take_steps(&mut lines);
        for l in lines {
            let write = l.kind == "api-write";
            out.push(l);
            if write {
                if let Some(d) = self
                    .watch_side
                    .as_ref()
                    .and_then(|w| w.borrow_mut().next_delivery())
                {
                    out.push(d);
                }
            }
        }
    }
}

/// Every `--record-trace` Service must exist.
fn check_record_traces(scenario: &Scenario, opts: &RunOptions) -> anyhow::Result<()> {
    for (svc, _) in &opts.record_traces {
        let known = scenario
            .services
            .iter()
            .any(|s| format!("{}/{}", s.namespace, s.name) == *svc);
        if !known {
            return Err(crate::error::input_error(format!(
                "--record-trace: no Service {svc} in scenario {}",
                scenario.name
            )));
        }
    }
    Ok(())
}

/// What the world side of a run gathers at every per-second sample.
struct Samplers {
    workloads: workloads::Recorder,
    summary: WorldSummary,
    progress: Progress,
}

impl Samplers {
    fn sample(&mut self, s: u64, w: &mut World) -> anyhow::Result<()> {
        self.workloads.sample(s, w)?;
        self.summary.observe(w);
        self.progress.tick(s, w.events_processed());
        Ok(())
    }
}

/// Run a resolved scenario in memory: the composition root of a run.
pub fn simulate_scenario(scenario: Scenario, opts: &RunOptions) -> anyhow::Result<RunResults> {
    if opts.controllers {
        check_record_traces(&scenario, opts)?;
    }
    let (log_file, log) = match &opts.event_log {
        Some(p) => {
            let (f, log) = side_files::EventLogFile::create(p)?;
            (Some(f), log)
        }
        None => (None, EventLog::disabled()),
    };
    let logging = log.enabled();
    let end_ns = scenario.duration_ns;
    // One copy of the scenario, shared by the world and the results.
    let scenario = std::sync::Arc::new(scenario);
    let mut world = World::new_shared(std::sync::Arc::clone(&scenario), WorldOptions::default())?;
    if let Some(r) = &opts.replay {
        world.set_replay(r.clone());
    }
    let mut events = EventLoop::new(&world, log);
    let mut samplers = Samplers {
        workloads: workloads::Recorder::new(&scenario)?,
        summary: WorldSummary::default(),
        progress: Progress::new(
            opts.progress,
            opts.progress_interval.unwrap_or(PROGRESS_INTERVAL),
            end_ns,
        ),
    };
    let mut counting = CountingSink::default();
    let mut pod_stats = PodEventStats::default();

    let (controllers, (world_rows, world_table)) = if opts.controllers {
        let nodes = scenario.cluster.initial_node_count as u64;
        let side = Rc::new(RefCell::new(WatchSide::new(
            WatchHub::new(&scenario, nodes),
            Tracker::new(&scenario),
            logging,
        )));
        let (mut link_w, mut link_n) = (HubLink(Rc::clone(&side)), HubLink(Rc::clone(&side)));
        let mopts = ManagerOptions {
            record: opts.record_traces.clone(),
        };
        let mut mgr = ControllerManager::with_observer(
            &scenario,
            &mopts,
            Box::new(BorrowedObserver(&mut link_w)),
        );
        if logging {
            mgr.log_steps();
        }
        {
            let mut wiring = Wiring {
                sinks: Sinks {
                    counting: &mut counting,
                    pod_stats: &mut pod_stats,
                    manager: Some(&mut mgr),
                    watch: Some(&mut link_n),
                },
                watch_side: Some(Rc::clone(&side)),
            };
            drive(&mut events, &mut world, &mut wiring, |s, w| {
                alloc_phase(s);
                samplers.sample(s, w)?;
                side.borrow_mut().tracker.sample(s, w);
                Ok(())
            })?;
        }
        finish_log(events, &mut samplers, log_file)?;
        if crate::sim::alloc_stats::census_wanted() {
            census_and_exit(&scenario, nodes, mgr, &side, world, samplers);
        }
        let world_out = world_results(world, &samplers, &counting, &pod_stats);
        mgr.write_traces()?;
        let stats = mgr.final_stats();
        let syncs = std::mem::take(&mut mgr.syncs);
        release(mgr, opts);
        drop((link_w, link_n));
        let WatchSide {
            mut hub,
            mut tracker,
            ..
        } = Rc::try_unwrap(side)
            .map_err(|_| anyhow::anyhow!("watch side still shared at the end of the run"))?
            .into_inner();
        tracker.finish();
        hub.advance_to(end_ns);
        let node_streams = [
            hub.node_stream(Resource::EndpointSlices),
            hub.node_stream(Resource::Endpoints),
        ];
        let per_node = [Resource::EndpointSlices, Resource::Endpoints]
            .map(|r| hub.groups().any(|g| g.per_node && g.resource == r));
        let traffic = hub.finish(end_ns);
        // each sync's bytes are taken once, in row order (a second sync of the same Service
        // at the same instant reads 0)
        let sync_bytes = syncs
            .iter()
            .map(|r| {
                let writer = r.controller.writer();
                tracker.take_sync_bytes(r.time_ns, writer, &r.service)
            })
            .collect();
        let controllers = ControllerResults {
            traffic,
            stats,
            syncs,
            sync_bytes,
            tracker,
            node_streams,
            per_node,
        };
        (Some(controllers), world_out)
    } else {
        let mut wiring = Wiring {
            sinks: Sinks {
                counting: &mut counting,
                pod_stats: &mut pod_stats,
                manager: None,
                watch: None,
            },
            watch_side: None,
        };
        drive(&mut events, &mut world, &mut wiring, |s, w| {
            samplers.sample(s, w)
        })?;
        finish_log(events, &mut samplers, log_file)?;
        (None, world_results(world, &samplers, &counting, &pod_stats))
    };
    Ok(RunResults {
        scenario: std::sync::Arc::unwrap_or_clone(scenario),
        world_rows,
        workloads_csv: samplers.workloads.finish()?,
        world_table,
        controllers,
    })
}

/// The world's summary rows and terminal table, then the world freed: before the
/// controllers' results are gathered, so that what those allocate reuses the world's memory
/// (the controllers' own state is not freed after a CLI run, see
/// [`RunOptions::process_ends_after`]). The
/// world shares the scenario with the results, so it is always freed (else the scenario
/// would be copied).
fn world_results(
    world: World,
    samplers: &Samplers,
    counting: &CountingSink,
    pod_stats: &PodEventStats,
) -> (Vec<(String, String, String)>, String) {
    let mut rows = samplers.summary.rows(&world, counting);
    rows.extend(pod_stats.rows(&world));
    let table = samplers.summary.terminal_table(&world, counting);
    drop(world);
    (rows, table)
}

/// `--features alloc-stats`: the bytes live every simulated minute (and at 1 s, after the
/// start-up), on stderr.
fn alloc_phase(s: u64) {
    use crate::sim::alloc_stats::{live, mb, peak};
    if let Some(l) = live() {
        if s == 1 || s % 60 == 0 {
            eprintln!("alloc-stats: t={s}s live {} peak {}", mb(l), mb(peak()));
        }
    }
}

/// `SLICESIM_MEM_CENSUS` (feature `alloc-stats`): drop the run's state part by part, print
/// what each part alone held, and end the process.
fn census_and_exit(
    scenario: &Scenario,
    nodes: u64,
    mgr: ControllerManager<'_>,
    side: &Rc<RefCell<WatchSide>>,
    world: World,
    samplers: Samplers,
) -> ! {
    use crate::sim::alloc_stats::{live, Census};
    let live0 = live().unwrap_or(0);
    let mut c = Census::default();
    c.drop_part(
        "watch hub (client caches, relist state)",
        std::mem::replace(&mut side.borrow_mut().hub, WatchHub::new(scenario, nodes)),
    );
    c.drop_part(
        "watch tracker",
        std::mem::replace(&mut side.borrow_mut().tracker, Tracker::new(scenario)),
    );
    mgr.census(&mut c);
    world.census(&mut c);
    c.drop_part("samplers", samplers);
    eprint!("{}", c.report("end of run", live0));
    std::process::exit(0)
}

/// The end of the event loop: clear the progress bar, close the event log (its writer is
/// dropped before the file is renamed).
fn finish_log(
    events: EventLoop,
    samplers: &mut Samplers,
    log_file: Option<side_files::EventLogFile>,
) -> anyhow::Result<()> {
    samplers.progress.finish();
    let mut log = events.into_log();
    log.flush()?;
    drop(log);
    if let Some(f) = log_file {
        f.finish()?;
    }
    Ok(())
}

/// Default wall clock between the plain progress lines (stderr not a terminal).
pub const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// The progress display (stderr only; never an output).
struct Progress {
    pb: indicatif::ProgressBar,
    /// Without a terminal (CI logs, `2> file`): a plain line every `interval` of wall clock
    /// instead of the bar.
    plain: bool,
    interval: std::time::Duration,
    duration_ns: Nanos,
    started: std::time::Instant,
    last_line: std::time::Instant,
    last_events: u64,
}

impl Progress {
    fn new(enabled: bool, interval: std::time::Duration, duration_ns: Nanos) -> Progress {
        let started = std::time::Instant::now();
        Progress {
            pb: progress_bar(enabled, duration_ns),
            plain: enabled && !std::io::stderr().is_terminal(),
            interval,
            duration_ns,
            started,
            last_line: started,
            last_events: 0,
        }
    }

    fn tick(&mut self, s: u64, ev: u64) {
        self.pb.set_position(s);
        if self.plain && self.last_line.elapsed() >= self.interval {
            self.last_line = std::time::Instant::now();
            eprintln!(
                "progress: simulated {s}/{} s, {ev} events, {:.0} s elapsed",
                self.duration_ns / NS_PER_SEC,
                self.started.elapsed().as_secs_f64()
            );
        }
        if ev - self.last_events >= 10_000 || s % 60 == 0 {
            // wall-clock rate for the display only
            let secs = self.pb.elapsed().as_secs_f64().max(1e-3);
            self.pb
                .set_message(format!("{ev} events, {:.0} events/s", ev as f64 / secs));
            self.last_events = ev;
        }
    }

    fn finish(&self) {
        self.pb.finish_and_clear();
    }
}

fn progress_bar(enabled: bool, duration_ns: Nanos) -> indicatif::ProgressBar {
    let total = duration_ns / NS_PER_SEC;
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} simulated {pos}/{len} s [{bar:30}] {msg} ({elapsed})",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}
