//! Sweep files: parsing, validation and point enumeration.
//!
//! ```toml
//! name = "slice-size"            # optional, default: the file stem
//! description = "…"              # optional
//! base = "quickstart.toml"       # scenario, relative to the sweep file
//! seeds = [1, 2]                 # optional repetitions; default: the base scenario's seed
//! [grid]                         # dotted override paths (quote them) → list of values
//! "controllers.endpointslice.max_endpoints_per_slice" = [1, 100, 1000]
//! "workloads[0].replicas" = [30, 300]
//! ```
//!
//! Parameters keep the order of the file. Points are the cartesian product of the axes, last
//! axis fastest, seeds innermost; point `i` is named `p{i:04}`. Values are taken exactly as
//! written (`0.10` stays `0.10`) and become `path=value` overrides of the base scenario.

use crate::error::input_error;
use crate::scenario::diag::line_col;
use crate::scenario::sha256_hex;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One value of one axis, as written in the sweep file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisValue {
    /// Shown in `sweep.csv` (strings unquoted, numbers exactly as written).
    pub shown: String,
    /// The TOML text given to the override (`path=<repr>`).
    pub repr: String,
    pub span: Option<Range<usize>>,
}

/// One grid axis: an override path and its values in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<AxisValue>,
}

/// A parsed, checked sweep file (its points are checked by [`SweepSpec::points`]).
#[derive(Debug, Clone)]
pub struct SweepSpec {
    pub file: String,
    pub src: String,
    pub sha256: String,
    pub name: String,
    pub description: String,
    /// The base scenario, resolved relative to the sweep file.
    pub base: PathBuf,
    pub base_sha256: String,
    /// The base scenario's text (read once; every point is checked against it).
    pub base_src: String,
    pub axes: Vec<Axis>,
    /// `None`: one repetition with the base scenario's seed.
    pub seeds: Option<Vec<u64>>,
}

/// One point of the sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub index: usize,
    pub id: String,
    /// One per axis, in axis order.
    pub values: Vec<String>,
    /// `path=value`, in axis order.
    pub overrides: Vec<String>,
    /// The effective seed (from `seeds`, else the base scenario's).
    pub seed: u64,
    /// SHA-256 of the sweep file hash, base scenario hash, overrides and seed.
    pub hash: String,
}

const TOP_KEYS: &[&str] = &["version", "name", "description", "base", "seeds", "grid"];

/// The sweep file format version this slicesim reads; a file without `version` is version 1.
pub const SWEEP_FORMAT_VERSION: i64 = 1;

fn located(
    spec_file: &str,
    src: &str,
    span: Option<Range<usize>>,
    path: &str,
    msg: &str,
) -> anyhow::Error {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    };
    match span {
        Some(sp) => {
            let (line, col) = line_col(src, sp.start.min(src.len()));
            let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("");
            let pad = " ".repeat(line.to_string().len());
            input_error(format!(
                "{spec_file}:{line}:{col}: {prefix}{msg}\n{pad} |\n{line} | {text}\n{pad} | {}^",
                " ".repeat(col.saturating_sub(1))
            ))
        }
        None => input_error(format!("{spec_file}: {prefix}{msg}")),
    }
}

/// Read and check a sweep file (not yet its points).
pub fn load(path: &Path) -> anyhow::Result<SweepSpec> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| input_error(format!("{shown}: cannot read sweep file: {e}")))?;
    let src = String::from_utf8(bytes).map_err(|e| {
        input_error(format!(
            "{shown}: the sweep file is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sweep".into());
    parse(&src, &shown, &dir, &stem)
}

/// Parse sweep text; `dir` is where a relative `base` is looked up.
pub fn parse(src: &str, file: &str, dir: &Path, default_name: &str) -> anyhow::Result<SweepSpec> {
    let err =
        |span: Option<Range<usize>>, path: &str, msg: &str| located(file, src, span, path, msg);
    let doc = toml_edit::ImDocument::parse(src).map_err(|e| {
        let msg = e.message();
        let advice = crate::scenario::decode::toml_syntax_advice(msg);
        err(e.span(), "", &format!("invalid TOML: {msg}{advice}"))
    })?;
    let top = doc.as_table();
    for (k, item) in top.iter() {
        if !TOP_KEYS.contains(&k) {
            let span = top
                .key(k)
                .and_then(|key| key.span())
                .or_else(|| item.span());
            let hint = crate::scenario::diag::suggest(k, TOP_KEYS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(err(
                span,
                k,
                &format!("unknown field{hint}; allowed: {}", TOP_KEYS.join(", ")),
            ));
        }
    }
    if let Some(item) = top.get("version") {
        if item.as_integer() != Some(SWEEP_FORMAT_VERSION) {
            return Err(err(
                item.span(),
                "version",
                &format!(
                    "{} is not a sweep format this slicesim reads: this slicesim reads version {SWEEP_FORMAT_VERSION}; write `version = {SWEEP_FORMAT_VERSION}` (the fields are in README \"Sweeps\") or run the file with the slicesim release it was written for",
                    item.to_string().trim()
                ),
            ));
        }
    }
    let string_field = |key: &str| -> anyhow::Result<Option<(String, Option<Range<usize>>)>> {
        match top.get(key) {
            None => Ok(None),
            Some(item) => match item.as_str() {
                Some(s) => Ok(Some((s.to_string(), item.span()))),
                None => Err(err(
                    item.span(),
                    key,
                    &format!("expected a string, found {}", item.type_name()),
                )),
            },
        }
    };
    let name = match string_field("name")? {
        Some((n, span)) => {
            // the name is the default output directory `results/<name>`
            if n.is_empty() || n == "." || n == ".." || n.contains(['/', '\\']) {
                return Err(err(
                    span,
                    "name",
                    &format!(
                        "`{n}` cannot be a directory name; allowed: a non-empty name without `/`"
                    ),
                ));
            }
            n
        }
        None => default_name.to_string(),
    };
    let description = string_field("description")?
        .map(|d| d.0)
        .unwrap_or_default();
    let (base_rel, base_span) = string_field("base")?.ok_or_else(|| {
        err(
            None,
            "base",
            "missing required field (the base scenario file, relative to the sweep file)",
        )
    })?;
    let base = dir.join(&base_rel);
    let base_bytes = std::fs::read(&base).map_err(|e| {
        err(
            base_span.clone(),
            "base",
            &format!("cannot read base scenario `{}`: {e}", base.display()),
        )
    })?;
    let base_sha256 = sha256_hex(&base_bytes);
    let base_src = String::from_utf8(base_bytes).map_err(|e| {
        err(
            base_span.clone(),
            "base",
            &format!(
                "base scenario `{}` is not valid UTF-8 (byte {})",
                base.display(),
                e.utf8_error().valid_up_to()
            ),
        )
    })?;

    let seeds = match top.get("seeds") {
        None => None,
        Some(item) => {
            let arr = item.as_array().ok_or_else(|| {
                err(
                    item.span(),
                    "seeds",
                    &format!(
                        "expected an array of seeds, e.g. `seeds = [1, 2]`, found {}",
                        item.type_name()
                    ),
                )
            })?;
            if arr.is_empty() {
                return Err(err(
                    item.span(),
                    "seeds",
                    "must not be empty (omit it to use the base scenario's seed)",
                ));
            }
            let mut out: Vec<u64> = Vec::new();
            for (i, v) in arr.iter().enumerate() {
                let path = format!("seeds[{i}]");
                let s = v
                    .as_integer()
                    .and_then(|n| u64::try_from(n).ok())
                    .or_else(|| v.as_str().and_then(crate::scenario::decode::parse_seed))
                    .ok_or_else(|| {
                        err(
                            v.span(),
                            &path,
                            &format!(
                                "`{}` is not a seed; allowed: {}",
                                v.to_string().trim(),
                                crate::scenario::decode::SEED_ALLOWED
                            ),
                        )
                    })?;
                if out.contains(&s) {
                    return Err(err(v.span(), &path, &format!("seed {s} is listed twice")));
                }
                out.push(s);
            }
            Some(out)
        }
    };

    let mut axes: Vec<Axis> = Vec::new();
    match top.get("grid") {
        None => {}
        Some(item) => {
            let t = item.as_table_like().ok_or_else(|| {
                err(
                    item.span(),
                    "grid",
                    &format!(
                        "expected a table of `\"path\" = [values]`, found {}",
                        item.type_name()
                    ),
                )
            })?;
            collect_axes(src, t, "", &mut axes, &err)?;
        }
    }
    if axes.is_empty() && seeds.is_none() {
        return Err(err(
            None,
            "grid",
            "nothing to sweep: give a `[grid]` of `\"path\" = [values]` and/or `seeds = [...]`",
        ));
    }
    Ok(SweepSpec {
        file: file.to_string(),
        src: src.to_string(),
        sha256: sha256_hex(src.as_bytes()),
        name,
        description,
        base,
        base_sha256,
        base_src,
        axes,
        seeds,
    })
}

type ErrFn<'a> = dyn Fn(Option<Range<usize>>, &str, &str) -> anyhow::Error + 'a;

fn collect_axes(
    src: &str,
    t: &dyn toml_edit::TableLike,
    prefix: &str,
    axes: &mut Vec<Axis>,
    err: &ErrFn<'_>,
) -> anyhow::Result<()> {
    for (k, item) in t.iter() {
        let path = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        let shown_path = format!("grid.\"{path}\"");
        let key_span = t.key(k).and_then(|key| key.span()).or_else(|| item.span());
        if let Some(sub) = item.as_table_like() {
            // an unquoted dotted key (`a.b = [...]`) arrives as nested tables
            collect_axes(src, sub, &path, axes, err)?;
            continue;
        }
        if let Err(e) = crate::scenario::tree::parse_path(&path) {
            return Err(err(
                key_span,
                &shown_path,
                &format!("not an override path: {e}"),
            ));
        }
        if path == "seed" {
            return Err(err(
                key_span,
                &shown_path,
                "use the top-level `seeds = [...]` for seeds",
            ));
        }
        if axes.iter().any(|a| a.path == path) {
            return Err(err(key_span, &shown_path, "this path is already an axis"));
        }
        let arr = item.as_array().ok_or_else(|| {
            err(
                item.span(),
                &shown_path,
                &format!(
                    "expected an array of values, e.g. `[1, 10, 100]`, found {}",
                    item.type_name()
                ),
            )
        })?;
        if arr.is_empty() {
            return Err(err(item.span(), &shown_path, "needs at least one value"));
        }
        let mut values: Vec<AxisValue> = Vec::new();
        for (i, v) in arr.iter().enumerate() {
            let vpath = format!("{shown_path}[{i}]");
            // the exact source text of a number (`0.10` stays `0.10`)
            let raw = |f: Option<&toml_edit::Repr>| {
                v.span()
                    .and_then(|sp| src.get(sp))
                    .map(|t| t.trim().to_string())
                    .or_else(|| f.and_then(|r| r.as_raw().as_str().map(str::to_string)))
                    .unwrap_or_else(|| v.to_string().trim().to_string())
            };
            let (shown, repr) = match v {
                toml_edit::Value::String(s) => {
                    let quoted = toml_edit::Value::from(s.value().as_str()).to_string();
                    (s.value().clone(), quoted.trim().to_string())
                }
                toml_edit::Value::Integer(f) => {
                    let r = raw(f.as_repr());
                    (r.clone(), r)
                }
                toml_edit::Value::Float(f) => {
                    let r = raw(f.as_repr());
                    (r.clone(), r)
                }
                toml_edit::Value::Boolean(b) => {
                    let r = b.value().to_string();
                    (r.clone(), r)
                }
                other => {
                    return Err(err(
                        other.span(),
                        &vpath,
                        &format!(
                        "`{}` is not allowed here; allowed: strings, integers, floats, booleans",
                        other.to_string().trim()
                    ),
                    ))
                }
            };
            if values.iter().any(|x| x.repr == repr) {
                return Err(err(
                    v.span(),
                    &vpath,
                    &format!("value {repr} is listed twice"),
                ));
            }
            values.push(AxisValue {
                shown,
                repr,
                span: v.span(),
            });
        }
        axes.push(Axis { path, values });
    }
    Ok(())
}

/// `p0007`-style id; at least 4 digits, more when the sweep has ≥ 10,000 points.
pub fn point_id(index: usize, total: usize) -> String {
    let width = total.saturating_sub(1).to_string().len().max(4);
    format!("p{index:0width$}")
}

/// The point's parameter hash: SHA-256 over a canonical text of the sweep file hash, the
/// base scenario hash, the override list and the seed.
pub fn point_hash(sweep_sha: &str, base_sha: &str, overrides: &[String], seed: u64) -> String {
    let mut text = format!("slicesim-sweep-point v1\nsweep {sweep_sha}\nbase {base_sha}\n");
    for o in overrides {
        text.push_str("set ");
        text.push_str(o);
        text.push('\n');
    }
    text.push_str(&format!("seed {seed}\n"));
    sha256_hex(text.as_bytes())
}

impl SweepSpec {
    /// Warnings for swept values that a later event of the base scenario overrides in every
    /// point, so the sweep would not vary what it claims: a swept `workloads[i].replicas`
    /// with an absolute `scale` event (`replicas = N`) of the same workload. One line each,
    /// naming the sweep file, the path, the event and what to sweep instead.
    pub fn override_warnings(&self) -> Vec<String> {
        let Ok(base) = self.base_src.parse::<toml::Table>() else {
            return Vec::new();
        };
        let empty = Vec::new();
        let arr = |k: &str| base.get(k).and_then(|v| v.as_array()).unwrap_or(&empty);
        let (workloads, events) = (arr("workloads"), arr("events"));
        let mut out = Vec::new();
        for axis in &self.axes {
            let Some(i) = axis
                .path
                .strip_prefix("workloads[")
                .and_then(|r| r.strip_suffix("].replicas"))
                .and_then(|n| n.parse::<usize>().ok())
            else {
                continue;
            };
            let Some(w) = workloads.get(i) else { continue };
            let name = w.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let ns = w
                .get("namespace")
                .and_then(|v| v.as_str())
                .unwrap_or("default");
            for (j, e) in events.iter().enumerate() {
                let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("");
                let target = field("workload");
                let same = target == name || target == format!("{ns}/{name}");
                let swept_too = self
                    .axes
                    .iter()
                    .any(|a| a.path == format!("events[{j}].replicas"));
                if field("type") != "scale" || !same || swept_too {
                    continue;
                }
                let Some(n) = e.get("replicas").and_then(|v| v.as_integer()) else {
                    continue;
                };
                out.push(format!(
                    "warning: {}: grid `{}` is overridden by the base scenario's events[{j}] \
                     (scale at {}: workload `{name}` to {n} replicas) in every point, so the \
                     points do not differ in it after that; sweep `events[{j}].replicas` \
                     instead, or remove the event ({})",
                    self.file,
                    axis.path,
                    field("at"),
                    self.base.display()
                ));
            }
        }
        out
    }

    /// Number of points (product of axis lengths × seeds).
    pub fn point_count(&self) -> usize {
        let seeds = self.seeds.as_ref().map_or(1, Vec::len);
        self.axes
            .iter()
            .fold(seeds, |n, a| n.saturating_mul(a.values.len()))
    }

    /// Parameter (column) names in file order.
    pub fn parameters(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.path.clone()).collect()
    }

    /// Axis value indices of point `index` (last axis fastest, seeds innermost) and its seed index.
    fn coords(&self, index: usize) -> (Vec<usize>, usize) {
        let nseeds = self.seeds.as_ref().map_or(1, Vec::len);
        let mut rest = index / nseeds;
        let seed_i = index % nseeds;
        let mut c = vec![0; self.axes.len()];
        for (i, a) in self.axes.iter().enumerate().rev() {
            c[i] = rest % a.values.len();
            rest /= a.values.len();
        }
        (c, seed_i)
    }

    /// Enumerate every point, checking each one's scenario (`scenario::load(base, overrides)`)
    /// up front; the first bad point is reported with the locations of its values.
    pub fn points(&self) -> anyhow::Result<Vec<Point>> {
        const MAX_POINTS: usize = 1_000_000;
        let total = self.point_count();
        if total > MAX_POINTS {
            return Err(located(
                &self.file,
                &self.src,
                None,
                "grid",
                &format!("{total} points is more than the {MAX_POINTS} allowed"),
            ));
        }
        // checked in parallel (loading a big base scenario can take a noticeable fraction of a
        // second); gathered in point order, so the first bad point reported is the lowest index
        use rayon::prelude::*;
        let checked: Vec<anyhow::Result<Point>> = (0..total)
            .into_par_iter()
            .map(|i| self.point(i, total))
            .collect();
        checked.into_iter().collect()
    }

    /// Build and check point `index` of `total`.
    fn point(&self, index: usize, total: usize) -> anyhow::Result<Point> {
        let (c, seed_i) = self.coords(index);
        let mut overrides = Vec::with_capacity(c.len());
        let mut values = Vec::with_capacity(c.len());
        for (a, &vi) in self.axes.iter().zip(&c) {
            let v = &a.values[vi];
            overrides.push(format!("{}={}", a.path, v.repr));
            values.push(v.shown.clone());
        }
        let id = point_id(index, total);
        let scenario = crate::scenario::parse_str(
            &self.base_src,
            &self.base.display().to_string(),
            &overrides,
        )
        .map_err(|e| {
            let mut where_ = Vec::new();
            for (a, &vi) in self.axes.iter().zip(&c) {
                let v = &a.values[vi];
                let loc = v
                    .span
                    .as_ref()
                    .map(|s| {
                        let (l, col) = line_col(&self.src, s.start);
                        format!("{}:{l}:{col}", self.file)
                    })
                    .unwrap_or_else(|| self.file.clone());
                where_.push(format!("  {} = {} ({loc})", a.path, v.repr));
            }
            input_error(format!(
                "{}: point {id} is not a valid override of base scenario {}:\n{}\n{e:#}",
                self.file,
                self.base.display(),
                where_.join("\n")
            ))
        })?;
        let seed = match &self.seeds {
            Some(s) => s[seed_i],
            None => scenario.seed,
        };
        let hash = point_hash(&self.sha256, &self.base_sha256, &overrides, seed);
        Ok(Point {
            index,
            id,
            values,
            overrides,
            seed,
            hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
    }

    fn p(src: &str) -> anyhow::Result<SweepSpec> {
        parse(src, "s.toml", &base_dir(), "s")
    }

    /// The message of a sweep file that must be refused.
    fn err(src: &str) -> String {
        p(src).unwrap_err().to_string()
    }

    #[test]
    fn enumerates_last_axis_fastest_seeds_innermost_with_exact_values() {
        let s = p("base = \"quickstart.toml\"\nseeds = [7, 8]\n[grid]\n\"workloads[0].replicas\" = [10, 20]\n\"controllers.endpointslice.max_endpoints_per_slice\" = [1, 100]\n")
            .unwrap();
        assert_eq!(s.point_count(), 8);
        let pts = s.points().unwrap();
        let got: Vec<(String, Vec<String>, u64)> = pts
            .iter()
            .map(|p| (p.id.clone(), p.values.clone(), p.seed))
            .collect();
        assert_eq!(got[0], ("p0000".into(), vec!["10".into(), "1".into()], 7));
        assert_eq!(got[1], ("p0001".into(), vec!["10".into(), "1".into()], 8));
        assert_eq!(got[2], ("p0002".into(), vec!["10".into(), "100".into()], 7));
        assert_eq!(got[7], ("p0007".into(), vec!["20".into(), "100".into()], 8));
        assert_eq!(
            pts[2].overrides[1],
            "controllers.endpointslice.max_endpoints_per_slice=100"
        );
        // distinct hashes, stable across parses
        let again = p(&s.src).unwrap().points().unwrap();
        assert_eq!(pts, again);
        let mut h: Vec<_> = pts.iter().map(|p| p.hash.clone()).collect();
        h.sort();
        h.dedup();
        assert_eq!(h.len(), 8);
    }

    #[test]
    fn values_are_kept_as_written_and_strings_quoted() {
        let s = p("base = \"quickstart.toml\"\n[grid]\nduration = [\"6m\", \"10m\"]\n").unwrap();
        assert_eq!(s.axes[0].values[0].shown, "6m");
        assert_eq!(s.axes[0].values[0].repr, "\"6m\"");
        let pts = s.points().unwrap();
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].seed, 42, "base seed when no seeds are listed");
        let s = p("base = \"quickstart.toml\"\n[grid]\n\"x.y\" = [0.10, 1e3]\n").unwrap();
        assert_eq!(s.axes[0].values[0].shown, "0.10");
        assert_eq!(s.axes[0].values[1].repr, "1e3");
    }

    #[test]
    fn unquoted_dotted_keys_keep_file_order() {
        let s =
            p("base = \"quickstart.toml\"\n[grid]\ncluster.nodes = [2, 3]\nduration = [\"5m\"]\n")
                .unwrap();
        assert_eq!(s.parameters(), vec!["cluster.nodes", "duration"]);
    }

    #[test]
    fn errors_are_located() {
        let e = err("base = \"quickstart.toml\"\nseedz = [1]\n");
        assert!(
            e.starts_with("s.toml:2:1: seedz: unknown field (did you mean `seeds`?)"),
            "{e}"
        );
        let e = err("base = \"quickstart.toml\"\nseeds = [1, -2]\n");
        assert!(
            e.starts_with("s.toml:2:13: seeds[1]: `-2` is not a seed"),
            "{e}"
        );
        let e = err("base = \"quickstart.toml\"\n[grid]\n\"a..b\" = [1]\n");
        assert!(
            e.starts_with("s.toml:3:1: grid.\"a..b\": not an override path"),
            "{e}"
        );
        let e = err("base = \"quickstart.toml\"\n[grid]\n\"a\" = [1, 1]\n");
        assert!(
            e.starts_with("s.toml:3:11: grid.\"a\"[1]: value 1 is listed twice"),
            "{e}"
        );
        let e = err("base = \"nope.toml\"\nseeds=[1]\n");
        assert!(
            e.starts_with("s.toml:1:8: base: cannot read base scenario"),
            "{e}"
        );
        let e = err("name = \"a/b\"\nbase = \"quickstart.toml\"\nseeds = [1]\n");
        assert!(
            e.starts_with("s.toml:1:8: name: `a/b` cannot be a directory name"),
            "{e}"
        );
        let e = err("base = \"quickstart.toml\"\n");
        assert!(e.contains("nothing to sweep"), "{e}");
        let e =
            p("base = \"quickstart.toml\"\n[grid]\n\"workloads[0].replicas\" = [10, \"many\", \"lots\", -1]\n")
                .unwrap()
                .points()
                .unwrap_err()
                .to_string();
        assert!(
            e.starts_with("s.toml: point p0001 is not a valid override"),
            "{e}"
        );
        assert!(
            e.contains("workloads[0].replicas = \"many\" (s.toml:3:32)"),
            "{e}"
        );
    }

    #[test]
    fn ids_widen_for_big_sweeps() {
        assert_eq!(point_id(7, 18), "p0007");
        assert_eq!(point_id(7, 10_001), "p00007");
    }
}
