//! One run as the planner sees it: the summary rows and the per-second traffic series.
//!
//! Built from the run's [`RunResults`] with the same exporters that write `summary.csv` and
//! `timeseries.csv` ([`SummaryRows::of`], [`Series::of`]), so every number in a report can be
//! checked against the run directory it names; [`SummaryRows::read`] and [`Series::read`] read
//! such a directory back. All lookups of summary values go through [`SummaryRows::get`].

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::Path;

use crate::run::RunResults;

/// Files holding `(mode, metric, value)` rows (`summary.csv`), read in order; missing files
/// are skipped.
pub const SUMMARY_FILES: &[&str] = &["summary.csv"];

/// Per-second traffic series (`time_s,mode,…,bytes_per_node_max`), first existing file wins.
/// Columns are found by header name.
pub const SERIES_FILES: &[&str] = &["timeseries.csv"];

/// The two modes, in report order.
pub const MODES: [&str; 2] = ["endpointslices", "endpoints"];

/// The `summary.csv` rows of one run, by `(mode, metric)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryRows {
    rows: BTreeMap<(String, String), String>,
}

impl SummaryRows {
    /// Read every file of [`SUMMARY_FILES`] present in `dir`.
    pub fn read(dir: &Path) -> anyhow::Result<SummaryRows> {
        let mut rows = BTreeMap::new();
        let mut found = false;
        for f in SUMMARY_FILES {
            let path = dir.join(f);
            if !path.is_file() {
                continue;
            }
            found = true;
            let mut rdr = csv::Reader::from_path(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            for rec in rdr.records() {
                let rec = rec.with_context(|| format!("reading {}", path.display()))?;
                if let (Some(a), Some(b), Some(c)) = (rec.get(0), rec.get(1), rec.get(2)) {
                    rows.insert((a.to_string(), b.to_string()), c.to_string());
                }
            }
        }
        if !found {
            anyhow::bail!(
                "{}: no summary.csv (not a slicesim run directory)",
                dir.display()
            );
        }
        Ok(SummaryRows { rows })
    }

    /// The rows of `summary.csv` of `r`, as that file holds them.
    pub fn of(r: &RunResults) -> SummaryRows {
        SummaryRows {
            rows: crate::report::summary::summary_rows(r)
                .into_iter()
                .map(|row| ((row.mode.to_string(), row.metric), row.value.render()))
                .collect(),
        }
    }

    /// The rows a sweep point reports in `sweep.csv` ([`crate::sweep::headline_of`]).
    pub fn headline(&self) -> BTreeMap<String, String> {
        crate::sweep::headline_of(
            self.rows
                .iter()
                .map(|((mode, metric), v)| (mode.as_str(), metric.as_str(), v.clone())),
        )
    }

    /// Build from rows (tests).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Self {
        SummaryRows {
            rows: rows
                .into_iter()
                .map(|(a, b, c)| ((a.to_string(), b.to_string()), c.to_string()))
                .collect(),
        }
    }

    /// The accessor: value of `metric` in `mode` (`endpointslices`, `endpoints`, `run`).
    pub fn get(&self, mode: &str, metric: &str) -> Option<f64> {
        self.rows
            .get(&(mode.to_string(), metric.to_string()))
            .and_then(|v| v.trim().parse::<f64>().ok())
    }

    /// [`SummaryRows::get`] or 0 (a metric a run does not report counts as nothing happened).
    pub fn num(&self, mode: &str, metric: &str) -> f64 {
        self.get(mode, metric).unwrap_or(0.0)
    }
}

/// One second of one mode's traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Second {
    pub t: u64,
    pub writes: f64,
    pub bytes_out: f64,
    /// Bytes the most loaded node's kube-proxy received in this second.
    pub node_bytes: f64,
}

/// Per-mode traffic series (seconds ascending; sparse or dense).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    pub modes: BTreeMap<String, Vec<Second>>,
}

/// Peak of a series over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Peak {
    pub value: f64,
    /// First second at which the peak occurs.
    pub at: u64,
}

impl Series {
    /// The per-mode rows of `timeseries.csv` of `r` (empty for a run without controllers).
    pub fn of(r: &RunResults) -> Series {
        let mut out = Series::default();
        if let Some(inp) = crate::report::Inputs::of(r) {
            for row in crate::report::series::series_rows(&inp) {
                let mode = crate::report::mode_name(row.mode).to_string();
                out.modes.entry(mode).or_default().push(Second {
                    t: row.time_s,
                    writes: row.writes as f64,
                    bytes_out: row.bytes_out as f64,
                    node_bytes: row.bytes_per_node_max as f64,
                });
            }
        }
        for v in out.modes.values_mut() {
            v.sort_by_key(|s| s.t);
        }
        out
    }

    /// Read the first existing file of [`SERIES_FILES`] in `dir`.
    pub fn read(dir: &Path) -> anyhow::Result<Series> {
        for f in SERIES_FILES {
            let path = dir.join(f);
            if !path.is_file() {
                continue;
            }
            let mut rdr = csv::Reader::from_path(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let header = rdr.headers()?.clone();
            let col = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| header.iter().position(|h| h == *n))
            };
            let (Some(t), Some(mode)) = (col(&["time_s"]), col(&["mode"])) else {
                continue;
            };
            let writes = col(&["writes"]);
            let bytes = col(&["bytes_out"]);
            let node = col(&["bytes_per_node_max"]);
            let mut out = Series::default();
            for rec in rdr.records() {
                let rec = rec.with_context(|| format!("reading {}", path.display()))?;
                let num = |c: Option<usize>| {
                    c.and_then(|c| rec.get(c))
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .unwrap_or(0.0)
                };
                let secs = num(Some(t));
                let m = rec.get(mode).unwrap_or_default().to_string();
                out.modes.entry(m).or_default().push(Second {
                    t: secs.max(0.0) as u64,
                    writes: num(writes),
                    bytes_out: num(bytes),
                    node_bytes: num(node),
                });
            }
            for v in out.modes.values_mut() {
                v.sort_by_key(|s| s.t);
            }
            return Ok(out);
        }
        anyhow::bail!(
            "{}: no per-mode traffic time series ({})",
            dir.display(),
            SERIES_FILES.join(" or ")
        )
    }

    fn window(&self, mode: &str, from: u64) -> impl Iterator<Item = &Second> {
        self.modes
            .get(mode)
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(move |s| s.t >= from)
    }

    fn peak_of(&self, mode: &str, from: u64, f: impl Fn(&Second) -> f64) -> Peak {
        let mut best = Peak::default();
        for s in self.window(mode, from) {
            if f(s) > best.value {
                best = Peak {
                    value: f(s),
                    at: s.t,
                };
            }
        }
        best
    }

    /// Highest API server egress in one second at or after `from`.
    pub fn peak_bytes(&self, mode: &str, from: u64) -> Peak {
        self.peak_of(mode, from, |s| s.bytes_out)
    }

    /// Highest one-node ingress in one second at or after `from`.
    pub fn peak_node_bytes(&self, mode: &str, from: u64) -> Peak {
        self.peak_of(mode, from, |s| s.node_bytes)
    }

    /// Sum of egress bytes over the seconds at or after `from`.
    pub fn total_bytes(&self, mode: &str, from: u64) -> f64 {
        self.window(mode, from).map(|s| s.bytes_out).sum()
    }

    /// Sum of API writes over the seconds at or after `from`.
    pub fn total_writes(&self, mode: &str, from: u64) -> f64 {
        self.window(mode, from).map(|s| s.writes).sum()
    }

    /// Seconds at or after `from` whose value exceeds `limit`: (count, first second).
    pub fn seconds_over(
        &self,
        mode: &str,
        from: u64,
        limit: f64,
        node: bool,
    ) -> (usize, Option<u64>) {
        let over: Vec<u64> = self
            .window(mode, from)
            .filter(|s| if node { s.node_bytes } else { s.bytes_out } > limit)
            .map(|s| s.t)
            .collect();
        (over.len(), over.first().copied())
    }

    /// Nearest-rank percentile `p` of the per-second egress (`node`: one-node ingress) over the
    /// seconds at or after `from` (the series is dense: quiet seconds count as 0).
    pub fn percentile_of(&self, mode: &str, from: u64, p: f64, node: bool) -> f64 {
        let v: Vec<f64> = self
            .window(mode, from)
            .map(|s| if node { s.node_bytes } else { s.bytes_out })
            .collect();
        percentile(&v, p)
    }
}

/// One simulated run (one seed) of a planned variant: the input of the aggregation over seeds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunData {
    /// The scenario seed of this run.
    pub seed: u64,
    pub summary: SummaryRows,
    pub series: Series,
}

/// A figure over seeds: median with min and max. The median of an even count is the mean of
/// the two middle values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Seeds that gave a value.
    pub n: usize,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.to_vec();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// Every seed gave the same value.
    pub fn exact(&self) -> bool {
        self.min == self.max
    }
}

/// Nearest-rank percentile `p` (0 < p ≤ 100) of `values`: the smallest value with at least
/// p % of the values at or below it; 100 is the maximum. 0 for no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

/// Consecutive grid points (ascending `x`) where the value falls although `x` grows: the
/// pairs `(x_before, x_after)` that break the assumption "cost grows with x".
pub fn non_monotonic(points: &[(u32, f64)]) -> Vec<(u32, u32)> {
    let mut p: Vec<(u32, f64)> = points.to_vec();
    p.sort_by_key(|&(x, _)| x);
    p.windows(2)
        .filter(|w| w[1].1 < w[0].1)
        .map(|w| (w[0].0, w[1].0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessor_reads_summary_rows() {
        let new = SummaryRows::from_rows([
            ("run", "workload.shop/web.pods_deleted", "7"),
            ("endpointslices", "objects_alive_max", "2"),
        ]);
        assert_eq!(new.get("run", "workload.shop/web.pods_deleted"), Some(7.0));
        assert_eq!(new.get("endpointslices", "objects_alive_max"), Some(2.0));
        assert_eq!(new.get("endpoints", "missing"), None);
        assert_eq!(new.num("endpoints", "missing"), 0.0);
    }

    #[test]
    fn series_from_timeseries_csv() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("timeseries.csv"),
            "time_s,mode,writes,watch_events,bytes_out,bytes_per_node_mean,bytes_per_node_max,objects_alive,endpoints_ready\n\
             0,endpointslices,1,4,100,10,20,1,3\n0,endpoints,1,4,90,9,18,1,3\n\
             1,endpointslices,2,8,300,30,60,1,3\n1,endpoints,0,0,0,0,0,1,3\n\
             2,endpointslices,1,4,300,30,61,1,3\n2,endpoints,1,4,50,5,7,1,3\n",
        )
        .unwrap();
        let s = Series::read(d.path()).unwrap();
        assert_eq!(
            s.peak_bytes("endpointslices", 0),
            Peak {
                value: 300.0,
                at: 1
            }
        );
        assert_eq!(s.peak_node_bytes("endpointslices", 0).value, 61.0);
        assert_eq!(s.total_bytes("endpointslices", 1), 600.0);
        assert_eq!(s.total_writes("endpoints", 0), 2.0);
        assert_eq!(
            s.seconds_over("endpointslices", 0, 150.0, false),
            (2, Some(1))
        );
        assert_eq!(s.seconds_over("endpoints", 0, 10.0, true), (1, Some(0)));
        assert_eq!(s.peak_node_bytes("endpoints", 3), Peak::default());
    }
    #[test]
    fn spread_median_min_max() {
        assert_eq!(Spread::of(&[]), None);
        let s = Spread::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (3.0, 1.0, 5.0, 3));
        assert!(!s.exact());
        let s = Spread::of(&[4.0, 1.0, 3.0, 10.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (3.5, 1.0, 10.0));
        assert!(Spread::of(&[2.0, 2.0]).unwrap().exact());
    }

    #[test]
    fn nearest_rank_percentile() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 0.5), 1.0);
        assert_eq!(percentile(&[7.0, 0.0, 0.0, 0.0], 75.0), 0.0);
        assert_eq!(percentile(&[7.0, 0.0, 0.0, 0.0], 76.0), 7.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }

    #[test]
    fn monotonicity_flag() {
        assert!(non_monotonic(&[(1, 1.0), (2, 2.0), (4, 2.0)]).is_empty());
        assert_eq!(
            non_monotonic(&[(8, 3.0), (2, 2.0), (4, 5.0), (16, 4.0)]),
            vec![(4, 8)]
        );
    }
}
