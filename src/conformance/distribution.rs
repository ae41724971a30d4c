//! Per-step value distributions of a reconcile trace (the format of
//! `tests/data/conformance/distributions/*.json`, see its README) and their
//! comparison with upstream's.
//!
//! Checks, per (step, field) — thresholds in [`Thresholds`]:
//! - (a) every value slicesim produces in ≥ 3 % of its runs was produced upstream;
//! - (b) every value upstream produced in ≥ 5 % of its runs is produced by slicesim;
//! - (c) chi-square test of homogeneity (2×k, values seen in fewer than 10 runs of
//!   both samples together pooled into one column) gives p ≥ 1e-4;
//!
//! and per trace (d): each total (created / updated / deleted summed over the
//! steps of a run) has |mean_s − mean_u| ≤ 4·√(sd_u²/n_u + sd_s²/n_s).
//! The total variation distance (TVD) of each (step, field) is reported; the
//! trace's headline figure is the mean over its (step, field) pairs, next to
//! the worst one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::stats::{self, chi_square_homogeneity, pooled_table, ChiSquare, Counts};
use crate::controllers::endpointslice::trace::StepOutput;
use crate::error::input_error;

/// The three per-run totals, in file order.
pub const TOTAL_FIELDS: [&str; 3] = [
    "endpointSlices.created",
    "endpointSlices.updated",
    "endpointSlices.deleted",
];

/// Mean and sample standard deviation of a per-run total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Total {
    pub mean: f64,
    pub sd: f64,
}

/// `totals` of a distribution file (keys in the file's order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    #[serde(rename = "endpointSlices.created")]
    pub created: Total,
    #[serde(rename = "endpointSlices.updated")]
    pub updated: Total,
    #[serde(rename = "endpointSlices.deleted")]
    pub deleted: Total,
}

impl Totals {
    fn get(&self, field: &str) -> Total {
        match field {
            "endpointSlices.created" => self.created,
            "endpointSlices.updated" => self.updated,
            _ => self.deleted,
        }
    }
}

/// Value counts of one field at one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldCounts {
    pub step: usize,
    pub field: String,
    /// value → number of runs (JSON: an object with the value as a string key).
    pub counts: Counts,
}

/// One distribution file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Distribution {
    pub name: String,
    pub input: String,
    pub max_endpoints_per_slice: usize,
    pub hints: bool,
    pub runs: u64,
    pub totals: Totals,
    /// Sorted by step, then field name.
    pub fields: Vec<FieldCounts>,
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The fields of one output line as (name, value).
fn line_fields(o: &StepOutput, hints: bool) -> Vec<(String, i64)> {
    let c = &o.endpoint_slices;
    let mut v = vec![
        ("endpointSlices.created".to_string(), c.created as i64),
        ("endpointSlices.updated".to_string(), c.updated as i64),
        ("endpointSlices.deleted".to_string(), c.deleted as i64),
        ("endpointSlices.slices".to_string(), c.slices as i64),
        ("endpointSlices.endpoints".to_string(), c.endpoints as i64),
    ];
    if hints {
        let h = o.hints.clone().unwrap_or_default();
        v.push((
            "hints.endpointsWithHints".to_string(),
            h.endpoints_with_hints as i64,
        ));
        for (z, n) in h.hints_by_zone {
            v.push((format!("hints.hintsByZone.{z}"), n as i64));
        }
    }
    v
}

/// A zone's hint count: a run without that zone counts as 0.
fn is_zone_field(field: &str) -> bool {
    field.starts_with("hints.hintsByZone.")
}

impl Distribution {
    /// Summarise `runs` (one output-line list per seed) in the file format.
    pub fn from_runs(
        name: &str,
        input: &str,
        max_endpoints_per_slice: usize,
        hints: bool,
        runs: &[Vec<StepOutput>],
    ) -> Self {
        let n = runs.len() as u64;
        let mut by_key: BTreeMap<(usize, String), Counts> = BTreeMap::new();
        for run in runs {
            for o in run {
                for (f, v) in line_fields(o, hints) {
                    *by_key.entry((o.step, f)).or_default().entry(v).or_insert(0) += 1;
                }
            }
        }
        // Zone fields: runs without the zone at that step count as 0.
        for ((_, f), c) in by_key.iter_mut() {
            let seen = stats::total(c);
            if is_zone_field(f) && seen < n {
                *c.entry(0).or_insert(0) += n - seen;
            }
        }
        let total = |field: &str| {
            let xs: Vec<f64> = runs
                .iter()
                .map(|run| {
                    run.iter()
                        .map(|o| {
                            let c = &o.endpoint_slices;
                            match field {
                                "endpointSlices.created" => c.created,
                                "endpointSlices.updated" => c.updated,
                                _ => c.deleted,
                            }
                        })
                        .sum::<usize>() as f64
                })
                .collect();
            let (mean, sd) = stats::mean_sd(&xs);
            Total {
                mean: round4(mean),
                sd: round4(sd),
            }
        };
        Distribution {
            name: name.to_string(),
            input: input.to_string(),
            max_endpoints_per_slice,
            hints,
            runs: n,
            totals: Totals {
                created: total(TOTAL_FIELDS[0]),
                updated: total(TOTAL_FIELDS[1]),
                deleted: total(TOTAL_FIELDS[2]),
            },
            fields: by_key
                .into_iter()
                .map(|((step, field), counts)| FieldCounts {
                    step,
                    field,
                    counts,
                })
                .collect(),
        }
    }

    /// Parse a distribution file; `what` names it in error messages.
    pub fn from_json(text: &str, what: &str) -> anyhow::Result<Self> {
        let d: Distribution = serde_json::from_str(text)
            .map_err(|e| input_error(format!("{what}: not a distribution file: {e}")))?;
        if d.runs == 0 {
            return Err(input_error(format!(
                "{what}: field runs: 0 (at least 1 run expected)"
            )));
        }
        for f in &d.fields {
            let n = stats::total(&f.counts);
            if n != d.runs {
                return Err(input_error(format!(
                    "{what}: step {} field {}: counts sum to {n}, expected runs = {}",
                    f.step, f.field, d.runs
                )));
            }
        }
        Ok(d)
    }

    /// The file's JSON text (one line, keys in file order).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    fn counts_by_key(&self) -> BTreeMap<(usize, &str), &Counts> {
        self.fields
            .iter()
            .map(|f| ((f.step, f.field.as_str()), &f.counts))
            .collect()
    }
}

/// Thresholds of checks (a)–(d).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// (a): a slicesim value this frequent (share of its runs) must have been seen upstream.
    pub slicesim_share: f64,
    /// (b): an upstream value this frequent must be produced by slicesim at least once.
    pub upstream_share: f64,
    /// (c): values seen in fewer runs than this (both samples together) are pooled.
    pub pool_below: u64,
    /// (c): minimum p-value.
    pub min_p: f64,
    /// (d): allowed distance of the total means, in standard errors.
    pub totals_se: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            slicesim_share: 0.03,
            upstream_share: 0.05,
            pool_below: 10,
            min_p: 1e-4,
            totals_se: 4.0,
        }
    }
}

/// The verdict on one (step, field).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldVerdict {
    pub step: usize,
    pub field: String,
    pub upstream: Counts,
    pub slicesim: Counts,
    pub tvd: f64,
    pub chi: ChiSquare,
    /// Failed checks, e.g. "(a) value 18 in 150 of 300 slicesim runs, never upstream".
    pub failures: Vec<String>,
}

/// The verdict on one per-run total.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalVerdict {
    pub field: &'static str,
    pub upstream: Total,
    pub slicesim: Total,
    /// Allowed |mean_s − mean_u|.
    pub bound: f64,
    pub ok: bool,
}

/// The comparison of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub fields: Vec<FieldVerdict>,
    pub totals: Vec<TotalVerdict>,
    /// Structural problems (a field or step missing on one side).
    pub problems: Vec<String>,
}

fn fmt_counts(c: &Counts) -> String {
    let parts: Vec<String> = c.iter().map(|(v, n)| format!("{v}: {n}")).collect();
    format!("{{{}}}", parts.join(", "))
}

/// Compare slicesim's distribution with upstream's (checks (a)–(d)).
pub fn compare(upstream: &Distribution, slicesim: &Distribution, t: &Thresholds) -> Comparison {
    let (nu, ns) = (upstream.runs, slicesim.runs);
    let (cu, cs) = (upstream.counts_by_key(), slicesim.counts_by_key());
    let keys: BTreeSet<(usize, &str)> = cu.keys().chain(cs.keys()).copied().collect();
    let mut problems = Vec::new();
    let mut fields = Vec::new();
    for (step, field) in keys {
        let side = |m: &BTreeMap<(usize, &str), &Counts>, n: u64| match m.get(&(step, field)) {
            Some(c) => Some((*c).clone()),
            None if is_zone_field(field) => Some(Counts::from([(0, n)])),
            None => None,
        };
        let (u, s) = match (side(&cu, nu), side(&cs, ns)) {
            (Some(u), Some(s)) => (u, s),
            (u, _) => {
                let who = if u.is_none() { "upstream" } else { "slicesim" };
                problems.push(format!("step {step} field {field}: missing in {who}"));
                continue;
            }
        };
        let mut failures = Vec::new();
        for (v, &n) in &s {
            if n as f64 >= t.slicesim_share * ns as f64 && !u.contains_key(v) {
                failures.push(format!(
                    "(a) value {v} in {n} of {ns} slicesim runs, never upstream"
                ));
            }
        }
        for (v, &n) in &u {
            if n as f64 >= t.upstream_share * nu as f64 && s.get(v).copied().unwrap_or(0) == 0 {
                failures.push(format!(
                    "(b) value {v} in {n} of {nu} upstream runs, never in slicesim"
                ));
            }
        }
        let chi = chi_square_homogeneity(&pooled_table(&u, &s, t.pool_below));
        if chi.p_value < t.min_p {
            failures.push(format!(
                "(c) chi-square {:.2} (df {}) p = {:.2e} < {:e}",
                chi.statistic, chi.df, chi.p_value, t.min_p
            ));
        }
        fields.push(FieldVerdict {
            step,
            field: field.to_string(),
            tvd: stats::tvd(&u, &s),
            upstream: u,
            slicesim: s,
            chi,
            failures,
        });
    }
    let totals = TOTAL_FIELDS
        .iter()
        .map(|&f| {
            let (u, s) = (upstream.totals.get(f), slicesim.totals.get(f));
            let bound =
                t.totals_se * (u.sd * u.sd / nu as f64 + s.sd * s.sd / ns.max(1) as f64).sqrt();
            TotalVerdict {
                field: f,
                upstream: u,
                slicesim: s,
                bound,
                // A small epsilon: the file rounds means to 4 decimals.
                ok: (s.mean - u.mean).abs() <= bound + 1e-4,
            }
        })
        .collect();
    Comparison {
        name: upstream.name.clone(),
        fields,
        totals,
        problems,
    }
}

impl Comparison {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
            && self.fields.iter().all(|f| f.failures.is_empty())
            && self.totals.iter().all(|t| t.ok)
    }

    /// Mean TVD over all (step, field) pairs (the headline figure).
    pub fn mean_tvd(&self) -> f64 {
        if self.fields.is_empty() {
            return 0.0;
        }
        self.fields.iter().map(|f| f.tvd).sum::<f64>() / self.fields.len() as f64
    }

    /// The (step, field) with the largest TVD (first on ties).
    pub fn worst(&self) -> Option<&FieldVerdict> {
        self.fields
            .iter()
            .fold(None, |best: Option<&FieldVerdict>, f| match best {
                Some(b) if b.tvd >= f.tvd => Some(b),
                _ => Some(f),
            })
    }

    /// One message per failed check, each with both distributions.
    pub fn failures(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .problems
            .iter()
            .map(|p| format!("{}: {p}", self.name))
            .collect();
        for f in &self.fields {
            for why in &f.failures {
                out.push(format!(
                    "{}: step {} field {}: {why}; upstream {}, slicesim {}",
                    self.name,
                    f.step,
                    f.field,
                    fmt_counts(&f.upstream),
                    fmt_counts(&f.slicesim)
                ));
            }
        }
        for t in &self.totals {
            if !t.ok {
                out.push(format!(
                    "{}: (d) total {}: slicesim mean {} (sd {}), upstream {} (sd {}), allowed distance {:.4}",
                    self.name, t.field, t.slicesim.mean, t.slicesim.sd, t.upstream.mean, t.upstream.sd, t.bound
                ));
            }
        }
        out
    }

    /// Human-readable report: every (step, field) whose value varies on either side, the
    /// totals, failures and the TVD summary.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "trace {}", self.name);
        for f in &self.fields {
            if f.upstream.len() < 2 && f.slicesim.len() < 2 && f.failures.is_empty() {
                continue;
            }
            let verdict = if f.failures.is_empty() { "ok" } else { "FAIL" };
            let _ = writeln!(
                s,
                "  step {:>3} {:<32} {verdict:<4} tvd {:.3} p {:.3e}  upstream {}  slicesim {}",
                f.step,
                f.field,
                f.tvd,
                f.chi.p_value,
                fmt_counts(&f.upstream),
                fmt_counts(&f.slicesim)
            );
        }
        for t in &self.totals {
            let _ = writeln!(
                s,
                "  total {:<24} {:<4} upstream {:.4} (sd {:.4})  slicesim {:.4} (sd {:.4})  allowed ±{:.4}",
                t.field,
                if t.ok { "ok" } else { "FAIL" },
                t.upstream.mean,
                t.upstream.sd,
                t.slicesim.mean,
                t.slicesim.sd,
                t.bound
            );
        }
        for f in self.failures() {
            let _ = writeln!(s, "  FAIL {f}");
        }
        let (ws, wf, wt) = self
            .worst()
            .map_or((0, "-", 0.0), |w| (w.step, w.field.as_str(), w.tvd));
        let _ = writeln!(
            s,
            "  TVD mean {:.4} worst {:.4} (step {ws} {wf}): {}",
            self.mean_tvd(),
            wt,
            if self.passed() { "PASS" } else { "FAIL" }
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::endpointslice::trace::{
        EndpointsSummary, HintSummary, SliceCounts, StepOutput,
    };

    fn out(step: usize, updated: usize, zone_b: Option<usize>) -> StepOutput {
        StepOutput {
            step,
            endpoint_slices: SliceCounts {
                created: 1,
                updated,
                deleted: 0,
                slices: 1,
                endpoints: 3,
            },
            endpoints: EndpointsSummary {
                action: "none",
                addresses: 3,
                not_ready_addresses: 0,
                over_capacity: false,
            },
            hints: Some(HintSummary {
                endpoints_with_hints: 3,
                hints_by_zone: zone_b.map(|n| ("b".to_string(), n)).into_iter().collect(),
            }),
        }
    }

    /// Runs → counts; an absent zone counts as 0; totals; the JSON keeps the file's key order.
    #[test]
    fn from_runs_counts_and_format() {
        let runs = vec![
            vec![out(0, 0, Some(3)), out(1, 2, None)],
            vec![out(0, 0, Some(3)), out(1, 1, Some(1))],
        ];
        let d = Distribution::from_runs("t", "t.jsonl", 8, true, &runs);
        let get = |step, f: &str| {
            d.fields
                .iter()
                .find(|x| x.step == step && x.field == f)
                .map(|x| x.counts.clone())
        };
        assert_eq!(
            get(1, "endpointSlices.updated"),
            Some(Counts::from([(1, 1), (2, 1)]))
        );
        assert_eq!(
            get(1, "hints.hintsByZone.b"),
            Some(Counts::from([(0, 1), (1, 1)]))
        );
        assert_eq!(d.totals.updated.mean, 1.5);
        // sd of {2, 1} is √½, rounded to 4 decimals as the files are
        assert_eq!(d.totals.updated.sd, (0.5f64.sqrt() * 1e4).round() / 1e4);
        let json = d.to_json();
        assert!(json.starts_with(r#"{"name":"t","input":"t.jsonl","maxEndpointsPerSlice":8,"hints":true,"runs":2,"totals":{"endpointSlices.created":{"mean":2.0,"sd":0.0},"endpointSlices.updated""#), "{json}");
        assert!(json.contains(r#"{"step":0,"field":"endpointSlices.created","counts":{"1":2}}"#));
        let back = Distribution::from_json(&json, "x").expect("round trip");
        assert_eq!(back, d);
        // fields sorted by step, then field
        let keys: Vec<(usize, &str)> = d
            .fields
            .iter()
            .map(|f| (f.step, f.field.as_str()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    /// (step, field, value counts).
    type FieldSpec<'a> = (usize, &'a str, &'a [(i64, u64)]);

    fn dist(counts: &[FieldSpec<'_>], updated: Total) -> Distribution {
        let runs = counts.first().map_or(0, |c| c.2.iter().map(|x| x.1).sum());
        Distribution {
            name: "t".into(),
            input: "t".into(),
            max_endpoints_per_slice: 8,
            hints: false,
            runs,
            totals: Totals {
                created: Total { mean: 1.0, sd: 0.0 },
                updated,
                deleted: Total { mean: 0.0, sd: 0.0 },
            },
            fields: counts
                .iter()
                .map(|(s, f, c)| FieldCounts {
                    step: *s,
                    field: f.to_string(),
                    counts: c.iter().copied().collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn each_check_can_fail() {
        let t = Thresholds::default();
        let tot = Total {
            mean: 10.0,
            sd: 1.0,
        };
        let up = dist(&[(0, "f", &[(17, 89), (18, 211)])], tot);
        // identical: pass, TVD 0
        let c = compare(&up, &up, &t);
        assert!(c.passed(), "{:?}", c.failures());
        assert_eq!(c.mean_tvd(), 0.0);
        // (a): a frequent value upstream never showed
        let a = dist(&[(0, "f", &[(17, 89), (18, 200), (19, 11)])], tot);
        let fa = compare(&up, &a, &t).failures();
        assert!(fa.iter().any(|f| f.contains("(a) value 19")), "{fa:?}");
        // (b): a frequent upstream value missing
        let b = dist(&[(0, "f", &[(18, 300)])], tot);
        let fb = compare(&up, &b, &t).failures();
        assert!(fb.iter().any(|f| f.contains("(b) value 17")), "{fb:?}");
        // (c): same support, wrong proportions (150/150 vs 89/211)
        let cc = dist(&[(0, "f", &[(17, 150), (18, 150)])], tot);
        let r = compare(&up, &cc, &t);
        let fc = r.failures();
        assert!(fc.iter().any(|f| f.contains("(c) chi-square")), "{fc:?}");
        assert!(fc[0].contains("upstream {17: 89, 18: 211}, slicesim {17: 150, 18: 150}"));
        assert!((r.mean_tvd() - 61.0 / 300.0).abs() < 1e-12);
        // (d): totals 10 ± 1 vs 11 ± 1 with 300 runs: 1 > 4·√(2/300) ≈ 0.33
        let d = dist(
            &[(0, "f", &[(17, 89), (18, 211)])],
            Total {
                mean: 11.0,
                sd: 1.0,
            },
        );
        let fd = compare(&up, &d, &t).failures();
        assert!(
            fd.iter()
                .any(|f| f.contains("(d) total endpointSlices.updated")),
            "{fd:?}"
        );
        // a missing non-zone field is a problem; a missing zone field means all zeros
        let missing = dist(&[(0, "g", &[(17, 89), (18, 211)])], tot);
        assert!(!compare(&up, &missing, &t).passed());
        let zu = dist(&[(0, "hints.hintsByZone.z", &[(0, 300)])], tot);
        let zs = dist(&[(0, "other", &[(0, 300)])], tot);
        let zc = compare(&zu, &zs, &t);
        assert!(
            zc.problems.iter().all(|p| !p.contains("hintsByZone")),
            "{:?}",
            zc.problems
        );
    }

    #[test]
    fn bad_files_are_input_errors() {
        assert!(Distribution::from_json("{}", "f.json").is_err());
        let d = dist(&[(0, "f", &[(1, 2)])], Total { mean: 0.0, sd: 0.0 });
        let mut bad = d.clone();
        bad.runs = 3;
        let err = Distribution::from_json(&bad.to_json(), "f.json").unwrap_err();
        assert!(format!("{err}").contains("f.json: step 0 field f"), "{err}");
    }
}
