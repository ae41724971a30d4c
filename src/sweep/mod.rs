//! Parameter sweeps: run a grid of scenario overrides × seeds, resumably and in parallel.
//!
//! * [`spec`]: the sweep file (TOML), its validation and the deterministic point order.
//! * this module: [`run`] executes the points of one shard and writes `sweep.csv`;
//! * [`merge`]: combines shard outputs into one directory and `sweep.csv`.
//!
//! Output directory layout:
//!
//! ```text
//! OUT/sweep.json            manifest: sweep file hash, parameters, every point (id, hash, values)
//! OUT/sweep.csv             one row per point of this shard, in point order
//! OUT/points/p0007/         `slicesim run` outputs (summary.csv, timeseries.csv, …, run.json)
//! OUT/points/p0007/point.json  written last, atomically: the point is done iff it exists
//!                              and its `hash` equals the point's parameter hash
//! ```
//!
//! `sweep.csv` columns: `point`, one per grid path (file order), `seed`, then one column per
//! headline row of the points' `summary.csv` (`mode,metric,value`), named `<mode>.<metric>`:
//! the `run` rows except per-workload ones (`workload.*`), and for `endpointslices` and
//! `endpoints` the headline metrics of [`crate::report::summary::HEADLINE`] (the per-watcher
//! breakdowns stay in the points' own files). Columns are the union over all points sorted by
//! name, empty where a point lacks one.

pub mod merge;
pub mod spec;

use crate::error::input_error;
use crate::fsio::atomic_write;
use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

pub use spec::{Point, SweepSpec};

/// Version of `sweep.json` / `point.json`.
pub const FORMAT: u32 = 1;

/// `--shard K/N`: run only points whose index `i` has `i % N == K` (round-robin, so every
/// shard gets a similar mix of the grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl Shard {
    /// Parse `K/N` (K counted from 0, as Kubernetes' `JOB_COMPLETION_INDEX`).
    pub fn parse(text: &str) -> anyhow::Result<Shard> {
        let bad = || {
            input_error(format!(
                "--shard {text}: expected K/N with 0 ≤ K < N, e.g. `--shard 0/4` (K counts from 0, like JOB_COMPLETION_INDEX)"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    pub fn contains(&self, index: usize) -> bool {
        index % self.n == self.k
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// One point in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointEntry {
    pub id: String,
    pub hash: String,
    pub values: Vec<String>,
    pub seed: u64,
    pub overrides: Vec<String>,
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepManifest {
    pub format: u32,
    pub name: String,
    pub sweep_file: String,
    pub sweep_sha256: String,
    pub base: String,
    pub base_sha256: String,
    pub parameters: Vec<String>,
    /// `K/N`, or `None` for a whole (or merged) sweep.
    pub shard: Option<String>,
    pub points: Vec<PointEntry>,
}

/// `point.json`: written last in a point's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointManifest {
    pub format: u32,
    pub id: String,
    pub index: usize,
    pub hash: String,
    pub sweep_sha256: String,
    pub values: Vec<String>,
    pub seed: u64,
    pub overrides: Vec<String>,
}

impl PointManifest {
    fn new(p: &PointEntry, index: usize, sweep_sha256: &str) -> Self {
        PointManifest {
            format: FORMAT,
            id: p.id.clone(),
            index,
            hash: p.hash.clone(),
            sweep_sha256: sweep_sha256.to_string(),
            values: p.values.clone(),
            seed: p.seed,
            overrides: p.overrides.clone(),
        }
    }
}

/// Where point `id` lives under a sweep output directory.
pub fn point_dir(out: &Path, id: &str) -> PathBuf {
    out.join("points").join(id)
}

/// Is the point in `dir` complete, with parameter hash `hash`?
pub fn point_done(dir: &Path, hash: &str) -> bool {
    let Ok(bytes) = std::fs::read(dir.join("point.json")) else {
        return false;
    };
    match serde_json::from_slice::<PointManifest>(&bytes) {
        Ok(m) => m.hash == hash && dir.join("summary.csv").is_file(),
        Err(_) => false,
    }
}

/// Read a sweep output's `sweep.json`.
pub fn read_manifest(out: &Path) -> anyhow::Result<SweepManifest> {
    let p = out.join("sweep.json");
    let bytes = std::fs::read(&p)
        .map_err(|e| input_error(format!("{}: cannot read sweep manifest: {e}", p.display())))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        input_error(format!(
            "{}: not a slicesim sweep manifest: {e}",
            p.display()
        ))
    })
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(v)?;
    bytes.push(b'\n');
    atomic_write(path, &bytes)
}

/// Everything `slicesim sweep` takes.
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    pub sweep: PathBuf,
    pub out: Option<PathBuf>,
    /// Worker threads; `None`: the number of CPUs.
    pub jobs: Option<usize>,
    pub shard: Option<Shard>,
    /// Allow progress bars (still hidden when stderr is not a terminal).
    pub progress: bool,
}

/// What a sweep did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepOutcome {
    pub out: PathBuf,
    pub name: String,
    pub total_points: usize,
    /// Points of this shard.
    pub selected: usize,
    /// Already complete, not run again.
    pub skipped: usize,
    pub ran: usize,
}

impl SweepOutcome {
    /// One line for the terminal.
    pub fn line(&self) -> String {
        format!(
            "sweep {}: {} points, {} in this run, {} already complete (skipped), {} run; results in {}",
            self.name,
            self.total_points,
            self.selected,
            self.skipped,
            self.ran,
            self.out.join("sweep.csv").display()
        )
    }
}

fn entries(points: &[Point]) -> Vec<PointEntry> {
    points
        .iter()
        .map(|p| PointEntry {
            id: p.id.clone(),
            hash: p.hash.clone(),
            values: p.values.clone(),
            seed: p.seed,
            overrides: p.overrides.clone(),
        })
        .collect()
}

/// Validate the sweep file and every point, then run the points of the shard that are not
/// already complete, and write `sweep.csv`.
pub fn run(opts: &SweepOptions) -> anyhow::Result<SweepOutcome> {
    if opts.jobs == Some(0) {
        return Err(input_error("-j 0: the number of jobs must be at least 1"));
    }
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("starting worker threads")?;
    let spec = spec::load(&opts.sweep)?;
    for w in spec.override_warnings() {
        eprintln!("{w}");
    }
    let points = pool.install(|| spec.points())?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&spec.name));
    let manifest = SweepManifest {
        format: FORMAT,
        name: spec.name.clone(),
        sweep_file: spec.file.clone(),
        sweep_sha256: spec.sha256.clone(),
        base: spec.base.display().to_string(),
        base_sha256: spec.base_sha256.clone(),
        parameters: spec.parameters(),
        shard: opts.shard.map(|s| s.to_string()),
        points: entries(&points),
    };
    if out.join("sweep.json").exists() {
        if let Ok(old) = read_manifest(&out) {
            if old.sweep_sha256 != manifest.sweep_sha256 || old.shard != manifest.shard {
                return Err(input_error(format!(
                    "{} holds results of a different sweep (file {}, shard {}); use another --out or remove it",
                    out.display(),
                    old.sweep_file,
                    old.shard.as_deref().unwrap_or("none")
                )));
            }
        }
    }
    std::fs::create_dir_all(&out)
        .with_context(|| format!("creating output directory {}", out.display()))?;
    write_json(&out.join("sweep.json"), &manifest)?;

    let selected: Vec<usize> = (0..points.len())
        .filter(|&i| match opts.shard {
            Some(s) => s.contains(i),
            None => true,
        })
        .collect();
    let todo: Vec<usize> = selected
        .iter()
        .copied()
        .filter(|&i| !point_done(&point_dir(&out, &points[i].id), &points[i].hash))
        .collect();

    // the size of the job, up front (also without a terminal, where no bar is drawn)
    eprintln!(
        "sweep {}: {} points{}, {} already complete, {} to run with -j {jobs}",
        spec.name,
        points.len(),
        match opts.shard {
            Some(s) => format!(" ({} in shard {s})", selected.len()),
            None => String::new(),
        },
        selected.len() - todo.len(),
        todo.len()
    );
    let show = opts.progress && std::io::stderr().is_terminal();
    let mp = if show {
        indicatif::MultiProgress::new()
    } else {
        indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
    };
    let main_bar = mp.add(indicatif::ProgressBar::new(todo.len() as u64));
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "points {pos}/{len} [{bar:30}] elapsed {elapsed}, ETA {eta} {msg}",
    ) {
        main_bar.set_style(style.progress_chars("=> "));
    }
    main_bar.set_message(format!(
        "({} already complete)",
        selected.len() - todo.len()
    ));

    // results are collected in point order (par_iter + collect keeps the input order)
    let results: Vec<anyhow::Result<BTreeMap<String, String>>> = pool.install(|| {
        todo.par_iter()
            .map(|&i| {
                let p = &points[i];
                let line = mp.insert_before(&main_bar, indicatif::ProgressBar::new_spinner());
                line.set_message(format!("{} {}", p.id, p.overrides.join(" ")));
                let r = run_point(&spec, &out, &manifest.points[i], i);
                line.finish_and_clear();
                mp.remove(&line);
                main_bar.inc(1);
                r.with_context(|| format!("sweep point {} ({})", p.id, p.overrides.join(" ")))
            })
            .collect()
    });
    main_bar.finish_and_clear();
    // the points run now give their metrics from their results; the ones finished by an
    // earlier (resumed) sweep from their summary.csv
    let mut fresh: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (&i, r) in todo.iter().zip(results) {
        fresh.insert(i, r?);
    }
    let rows = selected
        .iter()
        .map(|&i| {
            let m = match fresh.remove(&i) {
                Some(m) => m,
                None => headline_metrics(&point_dir(&out, &points[i].id))?,
            };
            Ok((manifest.points[i].clone(), m))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let csv = sweep_csv_of(&manifest.parameters, &rows)?;
    atomic_write(&out.join("sweep.csv"), &csv)?;
    Ok(SweepOutcome {
        out,
        name: spec.name.clone(),
        total_points: points.len(),
        selected: selected.len(),
        skipped: selected.len() - todo.len(),
        ran: todo.len(),
    })
}

/// Run one point from scratch: clear its directory, run the scenario, write `point.json` last.
/// Returns the point's headline metrics, read from the run's results.
fn run_point(
    spec: &SweepSpec,
    out: &Path,
    p: &PointEntry,
    index: usize,
) -> anyhow::Result<BTreeMap<String, String>> {
    let dir = point_dir(out, &p.id);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("clearing incomplete point {}", dir.display()))?;
    }
    let opts = crate::run::RunOptions {
        scenario: spec.base.clone(),
        out_dir: Some(dir.clone()),
        seed: Some(p.seed),
        overrides: p.overrides.clone(),
        progress: false,
        controllers: true,
        ..Default::default()
    };
    let outcome = crate::report::output::run(&opts)?;
    write_json(
        &dir.join("point.json"),
        &PointManifest::new(p, index, &spec.sha256),
    )?;
    let rows = crate::report::summary::summary_rows(&outcome.results);
    Ok(headline_of(
        rows.iter()
            .map(|r| (r.mode, r.metric.as_str(), r.value.render())),
    ))
}

/// The headline rows of `(mode, metric, value)` rows (see the module docs), keyed
/// `<mode>.<metric>`.
pub fn headline_of<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, String)>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (mode, metric, value) in rows {
        let keep = match mode {
            "run" => !metric.starts_with("workload."),
            _ => crate::report::summary::HEADLINE.contains(&metric),
        };
        if keep {
            out.insert(format!("{mode}.{metric}"), value);
        }
    }
    out
}

/// Headline rows of a finished point's `summary.csv` (a point done by an earlier, resumed
/// or merged sweep), keyed `<mode>.<metric>`.
pub fn headline_metrics(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let path = dir.join("summary.csv");
    let mut rdr =
        csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.with_context(|| format!("reading {}", path.display()))?;
        if let (Some(mode), Some(metric), Some(value)) = (rec.get(0), rec.get(1), rec.get(2)) {
            rows.push((mode.to_string(), metric.to_string(), value.to_string()));
        }
    }
    Ok(headline_of(
        rows.iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), c.clone())),
    ))
}

/// The bytes of `sweep.csv` for `rows` (in the order given).
pub fn sweep_csv(parameters: &[String], rows: &[(PointEntry, PathBuf)]) -> anyhow::Result<Vec<u8>> {
    let rows = rows
        .iter()
        .map(|(p, dir)| Ok((p.clone(), headline_metrics(dir)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    sweep_csv_of(parameters, &rows)
}

/// The bytes of `sweep.csv` for points with their headline metrics (in the order given).
pub fn sweep_csv_of(
    parameters: &[String],
    rows: &[(PointEntry, BTreeMap<String, String>)],
) -> anyhow::Result<Vec<u8>> {
    let metrics: Vec<&BTreeMap<String, String>> = rows.iter().map(|(_, m)| m).collect();
    let mut columns = BTreeSet::new();
    for m in &metrics {
        columns.extend(m.keys().cloned());
    }
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        let mut header = vec!["point".to_string()];
        header.extend(parameters.iter().cloned());
        header.push("seed".into());
        header.extend(columns.iter().cloned());
        w.write_record(&header)?;
        for ((p, _), m) in rows.iter().zip(&metrics) {
            let mut rec = vec![p.id.clone()];
            rec.extend(p.values.iter().cloned());
            rec.push(p.seed.to_string());
            for c in &columns {
                rec.push(m.get(c).cloned().unwrap_or_default());
            }
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_parsing_and_partition() {
        assert_eq!(Shard::parse("2/5").unwrap(), Shard { k: 2, n: 5 });
        for bad in ["5/5", "1/0", "x/2", "3", "-1/2"] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(
                e.downcast_ref::<crate::error::InputError>().is_some(),
                "{bad}"
            );
        }
        let shards: Vec<Shard> = (0..3).map(|k| Shard { k, n: 3 }).collect();
        for i in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.contains(i)).count(), 1);
        }
    }

    #[test]
    fn csv_takes_headline_rows_union_sorted_empty_where_absent() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a");
        let b = d.path().join("b");
        atomic_write(
            &a.join("summary.csv"),
            b"mode,metric,value\nrun,seed,1\nrun,workload.web.pods_created,5\nrun,changes.Pod_added,3\n",
        )
        .unwrap();
        atomic_write(
            &b.join("summary.csv"),
            b"mode,metric,value\nrun,seed,2\nendpoints,writes_update,9\nendpoints,watch_events_kube_proxy,4\n",
        )
        .unwrap();
        let e = |id: &str, v: &str, seed| PointEntry {
            id: id.into(),
            hash: String::new(),
            values: vec![v.into()],
            seed,
            overrides: vec![],
        };
        let csv = sweep_csv(
            &["workloads[0].replicas".into()],
            &[(e("p0000", "10", 1), a), (e("p0001", "20", 2), b)],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "point,workloads[0].replicas,seed,endpoints.writes_update,run.changes.Pod_added,run.seed\n\
             p0000,10,1,,3,1\np0001,20,2,9,,2\n"
        );
    }

    #[test]
    fn a_point_is_done_only_with_a_matching_point_json() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        assert!(!point_done(dir, "h"));
        atomic_write(&dir.join("summary.csv"), b"scope,metric,value\n").unwrap();
        assert!(!point_done(dir, "h"));
        let p = PointEntry {
            id: "p0000".into(),
            hash: "h".into(),
            values: vec![],
            seed: 1,
            overrides: vec![],
        };
        write_json(&dir.join("point.json"), &PointManifest::new(&p, 0, "s")).unwrap();
        assert!(point_done(dir, "h"));
        assert!(!point_done(dir, "other"));
        atomic_write(&dir.join("point.json"), b"{trunc").unwrap();
        assert!(!point_done(dir, "h"));
    }
}
