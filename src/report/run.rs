//! `slicesim run`: load a scenario, drive the world, write the results.
//!
//! Output directory (default `results/<scenario name>`), every file written atomically; the
//! files and their columns are listed in README "Output files" and built by
//! [`super::outputs`] (comparison files) and [`super::timeseries`] (`workloads.csv`, written
//! while the run goes). `run.json` ([`super::manifest`]) is written last, once, and lists them
//! all; a run first removes the previous one's manifest, outputs and charts
//! ([`prepare_out_dir`]), so a folder is either one finished run or visibly unfinished.
//!
//! With `--record-trace NAMESPACE/SERVICE=DIR`, DIR gets `input.jsonl`, `output.jsonl` and
//! `seed` (see [`crate::controllers::manager::record`]).
//!
//! With `--trace-events FILE`, every processed event is logged to FILE (see
//! [`crate::sim::trace`]). The progress bar (stderr, only when it is a terminal) reads the
//! wall clock for its rate display; nothing it sees or computes reaches an output.

use super::atomic::{atomic_write, AtomicFile};
use super::manifest::{describe_file, Manifest};
use super::summary::{PodEventStats, Summary};
use super::timeseries;
use crate::cluster::{ChangeSink, CountingSink, Tee, World, WorldOptions};
use crate::scenario::{Nanos, Scenario, NS_PER_SEC};
use crate::sim::TraceLog;
use anyhow::Context;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::outputs;
use super::track::Tracker;
use crate::apiserver::watch::WatchHub;
use crate::apiserver::write_log::Resource;

/// Everything `slicesim run` takes.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub scenario: PathBuf,
    pub out_dir: Option<PathBuf>,
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// `--set path=value`, in order.
    pub overrides: Vec<String>,
    pub trace_events: Option<PathBuf>,
    /// Allow a progress bar (it is still hidden when stderr is not a terminal).
    pub progress: bool,
    /// Run the endpoint controllers (the CLI always does; false = the world alone).
    pub controllers: bool,
    /// `--record-trace NAMESPACE/SERVICE=DIR`, parsed.
    pub record_traces: Vec<(String, PathBuf)>,
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

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub out_dir: PathBuf,
    pub manifest: Manifest,
    /// The short summary printed to the terminal.
    pub terminal_summary: String,
}

/// Drive `world` to the end of its scenario, calling `on_sample(s, world)` for every whole
/// second `s` in `0..=duration` with the state after all events at times ≤ `s` s.
pub fn drive(
    world: &mut World,
    sink: &mut dyn ChangeSink,
    mut on_sample: impl FnMut(u64, &World) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    world.start(sink)?;
    let end = world.scenario().duration_ns;
    let mut next_s: u64 = 0;
    loop {
        match world.peek_time_with(sink) {
            Some(t) => {
                while next_s.saturating_mul(NS_PER_SEC) < t {
                    on_sample(next_s, world)?;
                    next_s += 1;
                }
                world.step_all(sink)?;
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
    world.finish(sink);
    Ok(())
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

/// Load the scenario named in `opts`, run it, write the results and last `run.json`. Bad
/// input is an [`crate::error::InputError`].
pub fn run(opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let outcome = run_outputs(opts)?;
    write_manifest(&outcome)?;
    Ok(outcome)
}

/// Write `run.json`, the manifest of a finished run: call it once, after every other file
/// (the CLI draws the charts first). A folder without it is an unfinished run.
pub fn write_manifest(outcome: &RunOutcome) -> anyhow::Result<()> {
    atomic_write(
        &outcome.out_dir.join(MANIFEST),
        &outcome.manifest.to_json()?,
    )
}

/// The manifest's file name.
pub const MANIFEST: &str = "run.json";

/// Every file of a run folder that a run writes (besides `run.json` and the charts).
fn owned_files() -> Vec<&'static str> {
    let mut v = vec![timeseries::FILE];
    v.extend(outputs::FILES);
    v
}

/// Check every output path before anything runs, so a bad one fails in a second rather than
/// after the whole run: the output directory and the `--record-trace` directories must be
/// directories (or not exist yet), the `--trace-events` file must not be a directory.
pub fn check_output_paths(out_dir: &Path, opts: &RunOptions) -> anyhow::Result<()> {
    let not_dir = |what: &str, p: &Path| -> anyhow::Result<()> {
        if p.exists() && !p.is_dir() {
            return Err(crate::error::input_error(format!(
                "{what} {}: exists and is not a directory",
                p.display()
            )));
        }
        Ok(())
    };
    not_dir("output directory", out_dir)?;
    for f in owned_files().into_iter().chain([MANIFEST]) {
        let p = out_dir.join(f);
        if p.is_dir() {
            return Err(crate::error::input_error(format!(
                "{}: is a directory; a run writes a file there (remove it or pick another --out)",
                p.display()
            )));
        }
    }
    for (svc, dir) in &opts.record_traces {
        not_dir(&format!("--record-trace {svc}="), dir)?;
    }
    if let Some(t) = &opts.trace_events {
        if t.is_dir() || t.as_os_str().to_string_lossy().ends_with('/') {
            return Err(crate::error::input_error(format!(
                "--trace-events {}: is a directory; give a file path (e.g. {})",
                t.display(),
                t.join("events.trace").display()
            )));
        }
        if let Some(parent) = t.parent().filter(|x| !x.as_os_str().is_empty()) {
            not_dir("--trace-events: parent", parent)?;
        }
    }
    Ok(())
}

/// Make `out_dir` ready for a new run: `run.json` goes first (so a run killed from here on
/// leaves a folder without a manifest, never one that verifies), then every file this run
/// will write (outputs and charts of either format, so nothing from an earlier run stays
/// looking current), then temporaries of killed writers ([`super::atomic::remove_stale_temps`]).
/// Files the run does not own are left alone.
pub fn prepare_out_dir(out_dir: &Path) -> anyhow::Result<()> {
    let remove = |p: &Path| -> anyhow::Result<()> {
        match std::fs::remove_file(p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("removing the earlier run's {}", p.display()))
            }
            _ => Ok(()),
        }
    };
    remove(&out_dir.join(MANIFEST))?;
    for f in owned_files() {
        remove(&out_dir.join(f))?;
    }
    let charts = out_dir.join("charts");
    for stem in crate::chart::RUN_CHART_STEMS {
        for ext in ["svg", "png"] {
            remove(&charts.join(format!("{stem}.{ext}")))?;
        }
    }
    super::atomic::remove_stale_temps(out_dir);
    super::atomic::remove_stale_temps(&charts);
    Ok(())
}

/// [`run`] without `run.json`: the caller writes it with [`write_manifest`] when everything
/// else (e.g. the charts) is written.
pub fn run_outputs(opts: &RunOptions) -> anyhow::Result<RunOutcome> {
    let mut scenario = crate::scenario::load(&opts.scenario, &opts.overrides)?;
    if let Some(seed) = opts.seed {
        scenario.seed = seed;
    }
    let out_dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    check_output_paths(&out_dir, opts)?;
    prepare_out_dir(&out_dir)?;
    if let Some(t) = &opts.trace_events {
        if let Some(parent) = t.parent() {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            super::atomic::remove_stale_temps(parent);
        }
    }
    let mut counting = CountingSink::default();
    if !opts.controllers {
        return run_scenario(
            scenario,
            &out_dir,
            opts.trace_events.as_deref(),
            opts.progress,
            &mut counting,
            None,
        );
    }
    // The watch layer sees every write (WriteObserver) and every node change (ChangeSink), so
    // it is shared between the two roles; the run is single-threaded, so Rc<RefCell> is enough.
    let nodes = initial_node_count(&scenario);
    let end_ns = scenario.duration_ns;
    let sc = scenario.clone();
    let hub = Rc::new(RefCell::new(WatchHub::new(&scenario, nodes)));
    let tracker = Rc::new(RefCell::new(Tracker::new(&scenario)));
    let link = || HubLink {
        hub: Rc::clone(&hub),
        tracker: Rc::clone(&tracker),
    };
    let (mut link_w, mut link_n) = (link(), link());
    let sampler_tracker = Rc::clone(&tracker);
    let mut sampler = move |s: u64, w: &World| sampler_tracker.borrow_mut().sample(s, w);
    let ctl = run_with_controllers(
        opts,
        scenario,
        &out_dir,
        &mut counting,
        &mut link_w,
        &mut link_n,
        &mut sampler,
    )?;
    drop((link_w, link_n, sampler));
    let mut hub = Rc::try_unwrap(hub)
        .map_err(|_| anyhow::anyhow!("watch hub still shared at the end of the run"))?
        .into_inner();
    let mut tracker = Rc::try_unwrap(tracker)
        .map_err(|_| anyhow::anyhow!("output tracker still shared at the end of the run"))?
        .into_inner();
    hub.advance_to(end_ns);
    let node_streams = [
        hub.node_stream(Resource::EndpointSlices),
        hub.node_stream(Resource::Endpoints),
    ];
    let per_node = [Resource::EndpointSlices, Resource::Endpoints]
        .map(|r| hub.groups().any(|g| g.per_node && g.resource == r));
    let traffic = hub.finish(end_ns);
    let mut outcome = ctl.outcome;
    let table = outputs::write_all(
        &out_dir,
        &mut outputs::Inputs {
            scenario: &sc,
            world_rows: &ctl.world_rows,
            traffic: &traffic,
            stats: &ctl.stats,
            syncs: &ctl.syncs,
            tracker: &mut tracker,
            node_streams,
            per_node,
        },
    )?;
    outcome.terminal_summary.push_str(&table);
    let mut files = vec![describe_file(&out_dir, timeseries::FILE)?];
    for f in outputs::FILES {
        files.push(describe_file(&out_dir, f)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    outcome.manifest.files = files;
    Ok(outcome)
}

/// The controller manager, followed by an optional second consumer of the change stream.
struct MaybeTee<'a, 'b>(&'a mut dyn ChangeSink, Option<&'b mut dyn ChangeSink>);

impl ChangeSink for MaybeTee<'_, '_> {
    fn advance_to(&mut self, now_ns: Nanos, world: &World) {
        self.0.advance_to(now_ns, world);
        if let Some(b) = &mut self.1 {
            b.advance_to(now_ns, world);
        }
    }
    fn next_wakeup(&self) -> Option<Nanos> {
        let a = self.0.next_wakeup();
        match (a, self.1.as_ref().and_then(|b| b.next_wakeup())) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
    fn on_change(&mut self, now_ns: Nanos, change: &crate::cluster::Change<'_>, world: &World) {
        self.0.on_change(now_ns, change, world);
        if let Some(b) = &mut self.1 {
            b.on_change(now_ns, change, world);
        }
    }
}

/// Nodes that exist when the run starts (kube-proxy runs one watcher per node).
fn initial_node_count(scenario: &Scenario) -> u64 {
    scenario.cluster.initial_node_count as u64
}

/// Connects the watch hub and the output tracker to the run: writes from the controller
/// manager; node joins and departures, pod and Service changes (propagation latency) from the
/// world's change stream.
struct HubLink {
    hub: Rc<RefCell<WatchHub>>,
    tracker: Rc<RefCell<Tracker>>,
}

impl crate::apiserver::write_log::WriteObserver for HubLink {
    fn on_write(&mut self, record: &crate::apiserver::write_log::WriteRecord<'_>) {
        let mut hub = self.hub.borrow_mut();
        hub.on_write(record);
        let req = hub.last_request_bytes();
        self.tracker.borrow_mut().on_write(record, req);
    }
}

impl crate::cluster::ChangeSink for HubLink {
    fn on_change(&mut self, now_ns: Nanos, change: &crate::cluster::Change<'_>, _world: &World) {
        use crate::cluster::{Change, ObjChange};
        let mut hub = self.hub.borrow_mut();
        let mut tr = self.tracker.borrow_mut();
        match change {
            Change::Node(ObjChange::Added(n)) => tr.node_added(now_ns, &n.name, &mut hub),
            Change::Node(ObjChange::Deleted(n)) => tr.node_deleted(now_ns, &n.name, &mut hub),
            Change::Pod(c) => hub.pod_changed(now_ns, c),
            Change::Service(c) => hub.service_changed(c),
            _ => {}
        }
    }
}

/// What the controller part of a run leaves for the output writers.
struct ControllerRun {
    outcome: RunOutcome,
    world_rows: Vec<WorldRow>,
    stats: crate::controllers::manager::ManagerStats,
    syncs: Vec<crate::controllers::manager::SyncRow>,
}

/// Run with the controller manager; every API write is reported to `observer`, every world
/// change also to `extra`, every per-second sample to `sampler`.
fn run_with_controllers(
    opts: &RunOptions,
    scenario: Scenario,
    out_dir: &Path,
    counting: &mut CountingSink,
    observer: &mut dyn crate::apiserver::write_log::WriteObserver,
    extra: &mut dyn ChangeSink,
    sampler: &mut Sampler<'_>,
) -> anyhow::Result<ControllerRun> {
    use crate::controllers::manager::{ControllerManager, ManagerOptions};
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
    let mopts = ManagerOptions {
        record: opts.record_traces.clone(),
    };
    let mut mgr = ControllerManager::with_observer(
        &scenario,
        &mopts,
        Box::new(crate::controllers::manager::BorrowedObserver(observer)),
    );
    let (mut outcome, world_rows) = run_scenario_sampled(
        scenario,
        out_dir,
        opts.trace_events.as_deref(),
        opts.progress,
        counting,
        Some(&mut MaybeTee(&mut mgr, Some(extra))),
        Some(sampler),
    )?;
    mgr.write_traces()?;
    let stats = mgr.final_stats();
    outcome.terminal_summary.push_str(&controller_table(&stats));
    let syncs = std::mem::take(&mut mgr.syncs);
    Ok(ControllerRun {
        outcome,
        world_rows,
        stats,
        syncs,
    })
}

/// Terminal rows of the controllers: totals, then every Service (at most 10; beyond that the
/// top 5 by writes).
pub fn controller_table(stats: &crate::controllers::manager::ManagerStats) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9} {:>8}",
        "controllers: service",
        "ES crt",
        "ES upd",
        "ES del",
        "EP crt",
        "EP upd",
        "mirror",
        "slices",
        "max",
        "syncs",
        "rejected"
    );
    let line = |s: &mut String, name: &str, st: &crate::controllers::manager::ServiceStats| {
        let syncs: u64 = st.syncs.iter().flatten().sum();
        let _ = writeln!(
            s,
            "{:<32} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9} {:>8}",
            name,
            st.es_creates,
            st.es_updates,
            st.es_deletes + st.es_gc_deletes,
            st.ep_creates,
            st.ep_updates,
            st.mirroring_writes,
            st.slices_alive,
            st.slices_max,
            syncs,
            st.rejected_writes
        );
    };
    line(&mut s, "TOTAL", &stats.total());
    let n = stats.services.len();
    if n <= 10 {
        for (k, st) in &stats.services {
            line(&mut s, k, st);
        }
    } else {
        let _ = writeln!(s, "({n} Services; top 5 by writes)");
        for (k, st) in stats.top_by_writes(5) {
            line(&mut s, k, st);
        }
    }
    s
}

/// Run a resolved scenario and write its results into `out_dir`. `extra_sink` receives the
/// change stream too (the endpoint controllers at integration time).
pub fn run_scenario(
    scenario: Scenario,
    out_dir: &Path,
    trace_events: Option<&Path>,
    progress: bool,
    counting: &mut CountingSink,
    extra_sink: Option<&mut dyn ChangeSink>,
) -> anyhow::Result<RunOutcome> {
    run_scenario_sampled(
        scenario,
        out_dir,
        trace_events,
        progress,
        counting,
        extra_sink,
        None,
    )
    .map(|(o, _)| o)
}

/// Called with every per-second sample `(s, world)`.
type Sampler<'a> = dyn FnMut(u64, &World) + 'a;
/// A world summary row: (scope, metric, value).
type WorldRow = (String, String, String);

/// [`run_scenario`], also calling `sampler(s, world)` at every per-second sample, and
/// returning the world's summary rows (`scope, metric, value`).
fn run_scenario_sampled(
    scenario: Scenario,
    out_dir: &Path,
    trace_events: Option<&Path>,
    progress: bool,
    counting: &mut CountingSink,
    extra_sink: Option<&mut dyn ChangeSink>,
    mut sampler: Option<&mut Sampler<'_>>,
) -> anyhow::Result<(RunOutcome, Vec<WorldRow>)> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("creating output directory {}", out_dir.display()))?;
    // trace: temp file next to the destination, renamed at the end
    let trace_tmp = match trace_events {
        Some(p) => {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "trace".into());
            let tmp = p.with_file_name(format!(".{name}{}", super::atomic::temp_suffix()));
            if let Some(parent) = tmp.parent().filter(|x| !x.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            let f = std::fs::File::create(&tmp)
                .with_context(|| format!("creating trace file {}", tmp.display()))?;
            Some((TempGuard(Some(tmp)), p.to_path_buf(), f))
        }
        None => None,
    };
    let trace = trace_tmp
        .as_ref()
        .map(|(_, _, f)| -> anyhow::Result<TraceLog> {
            Ok(TraceLog::to_writer(Box::new(std::io::BufWriter::new(
                f.try_clone()?,
            ))))
        })
        .transpose()?;
    let source = scenario.source.clone();
    let name = scenario.name.clone();
    let seed = scenario.seed;
    let duration_ns = scenario.duration_ns;
    let mut world = World::new(scenario, WorldOptions { trace })?;

    let ts_path = out_dir.join(timeseries::FILE);
    let mut ts_file = AtomicFile::create(&ts_path)?;
    let mut summary = Summary::default();
    let mut pod_stats = PodEventStats::default();
    let pb = progress_bar(progress, duration_ns);
    // without a terminal (CI logs, `2> file`) a plain line every 10 s of wall clock instead
    // of the bar; stderr only, never an output
    let plain = progress && !std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut last_line = started;
    {
        let mut csv = csv::Writer::from_writer(&mut ts_file);
        csv.write_record(timeseries::HEADER)?;
        let mut null = crate::cluster::NullSink;
        let extra: &mut dyn ChangeSink = match extra_sink {
            Some(s) => s,
            None => &mut null,
        };
        let mut inner = Tee(&mut pod_stats, extra);
        let mut tee = Tee(counting, &mut inner);
        let mut last_events = 0u64;
        let listed = timeseries::listed_workloads(world.scenario());
        drive(&mut world, &mut tee, |s, w| {
            for row in timeseries::sample_rows(s, w, &listed) {
                csv.write_record(&row)?;
            }
            summary.observe(w);
            if let Some(f) = sampler.as_mut() {
                f(s, w);
            }
            pb.set_position(s);
            let ev = w.events_processed();
            if plain && last_line.elapsed().as_secs() >= 10 {
                last_line = std::time::Instant::now();
                eprintln!(
                    "progress: simulated {s}/{} s, {ev} events, {:.0} s elapsed",
                    duration_ns / NS_PER_SEC,
                    started.elapsed().as_secs_f64()
                );
            }
            if ev - last_events >= 10_000 || s % 60 == 0 {
                // wall-clock rate for the display only
                let secs = pb.elapsed().as_secs_f64().max(1e-3);
                pb.set_message(format!("{ev} events, {:.0} events/s", ev as f64 / secs));
                last_events = ev;
            }
            Ok(())
        })?;
        csv.flush()?;
    }
    pb.finish_and_clear();
    ts_file.commit()?;
    world.trace_mut().flush()?;
    *world.trace_mut() = TraceLog::disabled();
    if let Some((mut guard, dest, f)) = trace_tmp {
        f.sync_all().ok();
        drop(f);
        if let Some(tmp) = guard.0.as_ref() {
            std::fs::rename(tmp, &dest)
                .with_context(|| format!("renaming {} to {}", tmp.display(), dest.display()))?;
        }
        guard.0 = None;
    }

    let mut rows = summary.rows(&world, counting);
    rows.extend(pod_stats.rows(&world));
    let buf = super::outputs::summary_csv(&super::outputs::run_rows(&rows))?;
    atomic_write(&out_dir.join("summary.csv"), &buf)?;

    let mut files = vec![
        describe_file(out_dir, "summary.csv")?,
        describe_file(out_dir, timeseries::FILE)?,
    ];
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        scenario: name,
        scenario_file: source.file,
        scenario_sha256: source.sha256,
        seed,
        slicesim_version: env!("CARGO_PKG_VERSION").to_string(),
        overrides: source.overrides,
        duration_s: duration_ns / NS_PER_SEC,
        files,
    };
    let terminal_summary = summary.terminal_table(&world, counting);
    Ok((
        RunOutcome {
            out_dir: out_dir.to_path_buf(),
            manifest,
            terminal_summary,
        },
        rows,
    ))
}

/// Removes its temporary file when dropped before it was renamed (an error anywhere in the
/// run), so a failed run leaves no `.tmp-PID` file.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Print the outcome (used by the CLI).
pub fn print_outcome(out: &RunOutcome, w: &mut dyn Write) -> std::io::Result<()> {
    write!(w, "{}", out.terminal_summary)?;
    writeln!(w, "results written to {}", out.out_dir.display())
}
