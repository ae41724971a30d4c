//! Typed access to the spanned tree: every getter checks the type, reports problems with
//! location + field path + bad value + what is allowed, and records which keys a table
//! knows so that unknown keys can be reported (with a "did you mean") by [`Tbl::finish`].
//!
//! Every key ever asked for is also recorded as a generic schema path (`events[].at`) in
//! [`Cx::schema`]; the README test uses that to check the scenario reference is complete.

use super::diag::{suggest, Diags};
use super::model::{DurationDist, IntOrPercent, Nanos, StringMap};
use super::tree::{Node, Origin, V};
use super::values;
use crate::sim::lookup_hash::ByWord;
use std::collections::{BTreeSet, HashMap};

/// Decoding context: collected problems and the schema paths seen.
#[derive(Default)]
pub struct Cx {
    pub diags: Diags,
    pub schema: BTreeSet<String>,
    /// Problems that do not stop the run (e.g. a Service that selects no pods).
    pub warnings: Diags,
    /// `kubernetes_version`'s minor release once read (values valid only in some releases
    /// are checked against it).
    pub kubernetes_minor: Option<u32>,
    /// The keys already in `schema`, by generic table path: `get` runs for every key of every
    /// table (20,000 tables in the scale envelope), and this spares the formatted path and
    /// the tree insert for a key already recorded. Lookup only (never iterated).
    schema_seen: HashMap<String, Vec<&'static str>, ByWord>,
}

impl Cx {
    pub fn err(&mut self, origin: &Origin, path: &str, msg: impl Into<String>) {
        self.diags.push(origin, path, msg);
    }

    pub fn warn(&mut self, origin: &Origin, path: &str, msg: impl Into<String>) {
        self.warnings.push(origin, path, msg);
    }

    /// Record the schema path `gpath.key` (see `schema_seen`).
    fn record_schema(&mut self, gpath: &str, key: &'static str) {
        if let Some(keys) = self.schema_seen.get_mut(gpath) {
            if keys.contains(&key) {
                return;
            }
            keys.push(key);
        } else {
            self.schema_seen.insert(gpath.to_string(), vec![key]);
        }
        self.schema.insert(join(gpath, key));
    }
}

/// A value with where it came from.
#[derive(Debug, Clone)]
pub struct S<T> {
    pub v: T,
    pub origin: Origin,
    pub path: String,
}

/// A table being decoded.
pub struct Tbl<'a> {
    pub node: &'a Node,
    pub path: String,
    /// Generic path for the schema (`events[]`).
    pub gpath: String,
    known: Vec<&'static str>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub fn type_error(cx: &mut Cx, n: &Node, path: &str, expected: &str) {
    cx.err(
        &n.origin,
        path,
        format!("expected {expected}, found {} {}", n.type_name(), n.show()),
    );
}

impl<'a> Tbl<'a> {
    /// View `node` as a table; reports a type error and returns `None` otherwise.
    pub fn new(cx: &mut Cx, node: &'a Node, path: &str, gpath: &str) -> Option<Tbl<'a>> {
        match node.v {
            V::Table(_) => Some(Tbl {
                node,
                path: path.to_string(),
                gpath: gpath.to_string(),
                known: Vec::new(),
            }),
            _ => {
                type_error(cx, node, path, "a table");
                None
            }
        }
    }

    /// A table view of an (empty) node that is known to be a table.
    pub fn empty(node: &'a Node, path: &str) -> Tbl<'a> {
        Tbl {
            node,
            path: path.to_string(),
            gpath: path.to_string(),
            known: Vec::new(),
        }
    }

    pub fn origin(&self) -> &Origin {
        &self.node.origin
    }

    pub fn path_of(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Declare a key (so it is not reported unknown) and get its value if present.
    pub fn get(&mut self, cx: &mut Cx, key: &'static str) -> Option<&'a Node> {
        if !self.known.contains(&key) {
            self.known.push(key);
        }
        cx.record_schema(&self.gpath, key);
        self.node.get(key)
    }

    /// Accept these keys without reading them (so `finish` does not report them).
    pub fn declare(&mut self, keys: &[&'static str]) {
        for k in keys {
            if !self.known.contains(k) {
                self.known.push(k);
            }
        }
    }

    /// True if the key is present (does not declare it).
    pub fn has(&self, key: &str) -> bool {
        self.node.get(key).is_some()
    }

    /// Report a missing required key.
    pub fn missing(&self, cx: &mut Cx, key: &str, what: &str) {
        // The root table's span is the whole file: no useful location to show.
        let o = if self.path.is_empty() {
            Origin::Unknown
        } else {
            self.origin().clone()
        };
        cx.err(
            &o,
            &self.path_of(key),
            format!("missing required field `{key}` ({what})"),
        );
    }

    /// Report keys that no getter asked for. `elsewhere` lists keys valid in other variants
    /// of this table (e.g. other event types) for a more helpful message.
    pub fn finish_with(self, cx: &mut Cx, context: &str, elsewhere: &[&str]) {
        let V::Table(entries) = &self.node.v else {
            return;
        };
        for (k, ko, _) in entries {
            if self.known.contains(&k.as_str()) {
                continue;
            }
            let path = join(&self.path, k);
            let msg = if elsewhere.contains(&k.as_str()) {
                format!(
                    "field `{k}` is not allowed {context}; allowed fields: {}",
                    self.known.join(", ")
                )
            } else if let Some(s) = suggest(k, self.known.iter().copied()) {
                format!("unknown field `{k}`; did you mean `{s}`?")
            } else {
                format!(
                    "unknown field `{k}`; allowed fields{}: {}",
                    if context.is_empty() {
                        String::new()
                    } else {
                        format!(" {context}")
                    },
                    self.known.join(", ")
                )
            };
            let o = if *ko == Origin::Unknown {
                self.origin().clone()
            } else {
                ko.clone()
            };
            cx.err(&o, &path, msg);
        }
    }

    pub fn finish(self, cx: &mut Cx) {
        self.finish_with(cx, "", &[]);
    }

    // ----- typed getters -------------------------------------------------------------------

    pub fn str(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<String>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        match &n.v {
            V::Str(s) => Some(S {
                v: s.clone(),
                origin: n.origin.clone(),
                path,
            }),
            _ => {
                type_error(cx, n, &path, "a string");
                None
            }
        }
    }

    /// A string that must be one of `allowed` (exact spelling).
    pub fn one_of(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        allowed: &[&'static str],
    ) -> Option<S<&'static str>> {
        let s = self.str(cx, key)?;
        match allowed.iter().find(|a| **a == s.v) {
            Some(a) => Some(S {
                v: a,
                origin: s.origin,
                path: s.path,
            }),
            None => {
                let hint = suggest(&s.v, allowed.iter().copied())
                    .map(|x| format!(" (did you mean {x:?}?)"))
                    .unwrap_or_default();
                cx.err(
                    &s.origin,
                    &s.path,
                    format!(
                        "{:?} is not allowed; allowed: {}{hint}",
                        s.v,
                        allowed
                            .iter()
                            .map(|a| format!("{a:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                None
            }
        }
    }

    /// A number (integer or float) in `(0, 1]`.
    pub fn fraction(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<f64>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let v = match &n.v {
            V::Int(i) => *i as f64,
            V::Float(f) => *f,
            _ => {
                type_error(cx, n, &path, "a number in (0, 1]");
                return None;
            }
        };
        if !(v > 0.0 && v <= 1.0) {
            cx.err(
                &n.origin,
                &path,
                format!(
                    "{} is out of range (allowed: greater than 0, at most 1)",
                    n.show()
                ),
            );
            return None;
        }
        Some(S {
            v,
            origin: n.origin.clone(),
            path,
        })
    }

    pub fn bool(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<bool>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        match &n.v {
            V::Bool(b) => Some(S {
                v: *b,
                origin: n.origin.clone(),
                path,
            }),
            _ => {
                type_error(cx, n, &path, "true or false");
                None
            }
        }
    }

    /// An integer within `min..=max`.
    pub fn int(&mut self, cx: &mut Cx, key: &'static str, min: i64, max: i64) -> Option<S<i64>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        int_node(cx, n, &path, min, max)
    }

    pub fn uint(&mut self, cx: &mut Cx, key: &'static str, min: u64, max: u64) -> Option<S<u64>> {
        let min_i = i64::try_from(min).unwrap_or(i64::MAX);
        let max_i = i64::try_from(max).unwrap_or(i64::MAX);
        self.int(cx, key, min_i, max_i).map(|s| S {
            v: s.v.max(0) as u64,
            origin: s.origin,
            path: s.path,
        })
    }

    /// A seed: any u64. TOML integers stop at 2^63−1, so the full range is also accepted as
    /// a string of decimal digits (`seed = "18446744073709551615"`), the form a recorded
    /// seed above 2^63−1 is written back in ([`SEED_ALLOWED`]).
    pub fn seed(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<u64>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let v = match &n.v {
            V::Int(i) => u64::try_from(*i).ok(),
            V::Str(t) => parse_seed(t),
            _ => None,
        };
        match v {
            Some(v) => Some(S {
                v,
                origin: n.origin.clone(),
                path,
            }),
            None => {
                let shown = match &n.v {
                    V::Str(t) => format!("{t:?}"),
                    V::Int(i) => i.to_string(),
                    _ => "this value".to_string(),
                };
                cx.err(
                    &n.origin,
                    &path,
                    format!("{shown} is not a seed; allowed: {SEED_ALLOWED}"),
                );
                None
            }
        }
    }

    pub fn u32(&mut self, cx: &mut Cx, key: &'static str, min: u32, max: u32) -> Option<S<u32>> {
        self.int(cx, key, i64::from(min), i64::from(max))
            .map(|s| S {
                v: u32::try_from(s.v).unwrap_or(0),
                origin: s.origin,
                path: s.path,
            })
    }

    pub fn duration(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<Nanos>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        duration_node(cx, n, &path)
    }

    pub fn dist(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<DurationDist>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        match &n.v {
            V::Str(s) => match values::parse_duration_dist(s) {
                Ok(d) => Some(S {
                    v: d,
                    origin: n.origin.clone(),
                    path,
                }),
                Err(e) => {
                    cx.err(&n.origin, &path, e);
                    None
                }
            },
            _ => {
                type_error(cx, n, &path, values::RANGE_HELP);
                None
            }
        }
    }

    /// Count (integer ≥ 0) or whole percent string ("25%").
    pub fn int_or_percent(&mut self, cx: &mut Cx, key: &'static str) -> Option<S<IntOrPercent>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let v = match &n.v {
            V::Int(i) => match u32::try_from(*i) {
                Ok(i) => Some(IntOrPercent::Int(i)),
                Err(_) => {
                    cx.err(
                        &n.origin,
                        &path,
                        format!("{i} is out of range (allowed: a count 0..={} or a percentage like \"25%\")", u32::MAX),
                    );
                    None
                }
            },
            V::Str(s) => match values::parse_percent(s) {
                Ok(p) => Some(p),
                Err(e) => {
                    cx.err(&n.origin, &path, e);
                    None
                }
            },
            _ => {
                type_error(cx, n, &path, "a count like 3 or a percentage like \"25%\"");
                None
            }
        }?;
        Some(S {
            v,
            origin: n.origin.clone(),
            path,
        })
    }

    /// Table of string → string, keys and values checked as Kubernetes label key/value
    /// (`labels = true`) or only as annotation keys (`labels = false`).
    pub fn string_map(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        labels: bool,
    ) -> Option<S<StringMap>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let V::Table(entries) = &n.v else {
            type_error(cx, n, &path, "a table of strings, e.g. { app = \"web\" }");
            return None;
        };
        let mut out = StringMap::new();
        let mut ok = true;
        for (k, ko, v) in entries {
            let p = format!("{path}.{k}");
            if let Err(e) = values::check_label_key(k) {
                cx.err(ko, &p, e);
                ok = false;
            }
            match &v.v {
                V::Str(s) => {
                    if labels {
                        if let Err(e) = values::check_label_value(s) {
                            cx.err(&v.origin, &p, e);
                            ok = false;
                        }
                    }
                    out.insert(k.clone(), s.clone());
                }
                _ => {
                    type_error(cx, v, &p, "a string");
                    ok = false;
                }
            }
        }
        ok.then_some(S {
            v: out,
            origin: n.origin.clone(),
            path,
        })
    }

    /// Array of strings.
    pub fn str_list(&mut self, cx: &mut Cx, key: &'static str) -> Option<Vec<S<String>>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let V::Array(items) = &n.v else {
            type_error(cx, n, &path, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        for (i, it) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            match &it.v {
                V::Str(s) => out.push(S {
                    v: s.clone(),
                    origin: it.origin.clone(),
                    path: p,
                }),
                _ => type_error(cx, it, &p, "a string"),
            }
        }
        Some(out)
    }

    /// Raw array items with their paths.
    pub fn array(&mut self, cx: &mut Cx, key: &'static str) -> Option<Vec<(String, &'a Node)>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let V::Array(items) = &n.v else {
            type_error(cx, n, &path, "an array");
            return None;
        };
        Some(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| (format!("{path}[{i}]"), it))
                .collect(),
        )
    }

    /// Like [`Tbl::array`], for lists whose absence means "the defaults": an empty list is
    /// refused (it would otherwise silently fall back to the defaults), naming `defaults`.
    pub fn nonempty_array(
        &mut self,
        cx: &mut Cx,
        key: &'static str,
        defaults: &str,
    ) -> Option<Vec<(String, &'a Node)>> {
        let origin = self.get(cx, key)?.origin.clone();
        let items = self.array(cx, key)?;
        if items.is_empty() {
            cx.err(
                &origin,
                &self.path_of(key),
                format!(
                    "an empty list is not allowed: list at least one value, or leave the key out \
                     for the defaults ({defaults})"
                ),
            );
            return None;
        }
        Some(items)
    }

    /// Sub-table (e.g. `[cluster]`); `None` if absent or not a table.
    pub fn table(&mut self, cx: &mut Cx, key: &'static str) -> Option<Tbl<'a>> {
        let n = self.get(cx, key)?;
        let path = self.path_of(key);
        let gpath = join(&self.gpath, key);
        Tbl::new(cx, n, &path, &gpath)
    }

    /// Array of tables (e.g. `[[services]]`).
    pub fn tables(&mut self, cx: &mut Cx, key: &'static str) -> Vec<Tbl<'a>> {
        let gpath = format!("{}[]", join(&self.gpath, key));
        let Some(items) = self.array(cx, key) else {
            return Vec::new();
        };
        items
            .into_iter()
            .filter_map(|(p, n)| Tbl::new(cx, n, &p, &gpath))
            .collect()
    }
}

/// What a seed may be, everywhere (scenario `seed`, `--set seed=`, `--seed`, sweep `seeds`).
pub const SEED_ALLOWED: &str = "0..=18446744073709551615 (2^64−1), as an integer up to \
     9223372036854775807 (the largest TOML integer) or as a string of digits for the full \
     range, e.g. seed = \"18446744073709551615\"";

/// Advice for a TOML syntax error: a number beyond TOML's 64-bit signed integers (a recorded
/// seed above 2^63−1 written bare) fails in the TOML parser itself, before any field is read,
/// so the message would not say that the seed has a form that works.
pub fn toml_syntax_advice(msg: &str) -> &'static str {
    if msg.contains("number too large") {
        "; TOML integers stop at 9223372036854775807: write a larger seed as a string of \
         digits, e.g. seed = \"18446744073709551615\""
    } else {
        ""
    }
}

/// A seed written as a string of decimal digits (no sign, no spaces).
pub fn parse_seed(t: &str) -> Option<u64> {
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

pub fn int_node(cx: &mut Cx, n: &Node, path: &str, min: i64, max: i64) -> Option<S<i64>> {
    match &n.v {
        V::Int(i) if (min..=max).contains(i) => Some(S {
            v: *i,
            origin: n.origin.clone(),
            path: path.to_string(),
        }),
        V::Int(i) => {
            cx.err(
                &n.origin,
                path,
                format!("{i} is out of range (allowed: {min}..={max})"),
            );
            None
        }
        _ => {
            type_error(cx, n, path, &format!("an integer in {min}..={max}"));
            None
        }
    }
}

pub fn duration_node(cx: &mut Cx, n: &Node, path: &str) -> Option<S<Nanos>> {
    match &n.v {
        V::Str(s) => match values::parse_duration(s) {
            Ok(d) => Some(S {
                v: d,
                origin: n.origin.clone(),
                path: path.to_string(),
            }),
            Err(e) => {
                cx.err(&n.origin, path, e);
                None
            }
        },
        V::Int(0) => Some(S {
            v: 0,
            origin: n.origin.clone(),
            path: path.to_string(),
        }),
        _ => {
            type_error(cx, n, path, values::DURATION_HELP);
            None
        }
    }
}
