//! Scenario files: TOML parsing with spans, defaults, validation into the resolved model.
//!
//! Two stages (like ripgrep's low-level → high-level args):
//! 1. [`tree`]: the TOML text → a tree of values that each remember their byte span (or the
//!    `--set` override they came from); overrides are applied to this tree.
//! 2. [`resolve`]: typed reading of that tree ([`decode`]) → the resolved [`model::Scenario`],
//!    with Kubernetes defaults, cross-references resolved to indices, and every problem
//!    collected as a [`diag::Diag`] that keeps its location.
//!
//! The schema is documented in README.md ("Scenario reference"); a test checks that every
//! field the decoder reads appears there.

pub mod decode;
pub mod diag;
pub mod model;
pub mod resolve;
pub mod tree;
pub mod values;

pub use model::*;

use sha2::{Digest, Sha256};
use std::path::Path;

/// Lower-case hex SHA-256 of `bytes` (recorded in the run manifest as the scenario's identity).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Read, parse and validate a scenario file, applying `--set path=value` overrides.
/// Every problem with the input is an [`crate::error::InputError`] whose message lists all
/// errors found (file:line:col, field path, bad value, what is allowed, source line).
pub fn load(path: &Path, overrides: &[String]) -> anyhow::Result<Scenario> {
    load_with_warnings(path, overrides).map(|(s, _)| s)
}

/// Like [`load`], also returning warnings (rendered like errors, without the `warning: `
/// prefix): things that are legal but probably not what the author meant, e.g. a Service
/// that selects no pods.
pub fn load_with_warnings(
    path: &Path,
    overrides: &[String],
) -> anyhow::Result<(Scenario, Vec<String>)> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        crate::error::input_error(format!("{shown}: cannot read scenario file: {e}"))
    })?;
    let src = String::from_utf8(bytes).map_err(|e| {
        crate::error::input_error(format!(
            "{shown}: the scenario file is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if is_sweep_text(&src) {
        return Err(crate::error::input_error(format!(
            "{shown}: this is a sweep file (it has `base` / `[grid]`), not a scenario; run it with `slicesim sweep {shown}`"
        )));
    }
    let checked = check_str(&src, &shown, overrides);
    checked.result.map(|s| (s, checked.warnings))
}

/// True if `src` is a sweep file rather than a scenario: a top-level `base` key or `grid`
/// table (no scenario field has either name). Sweep files live beside the scenarios in
/// `scenarios/`, so everything that walks that directory asks this first.
pub fn is_sweep_text(src: &str) -> bool {
    match src.parse::<toml::Table>() {
        Ok(t) => t.contains_key("base") || t.contains_key("grid"),
        Err(_) => false,
    }
}

/// [`is_sweep_text`] of a file's contents (false if it cannot be read).
pub fn is_sweep_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| is_sweep_text(&s))
}

/// Parse and validate scenario text. `file_name` is used in messages and in [`Source::file`].
pub fn parse_str(src: &str, file_name: &str, overrides: &[String]) -> anyhow::Result<Scenario> {
    check_str(src, file_name, overrides).result
}

/// Like [`parse_str`], also returning the generic schema paths the decoder asked for
/// (`workloads[].replicas`, …) — used to check the README's scenario reference.
pub fn parse_with_schema(
    src: &str,
    file_name: &str,
    overrides: &[String],
) -> (anyhow::Result<Scenario>, std::collections::BTreeSet<String>) {
    let c = check_str(src, file_name, overrides);
    (c.result, c.schema)
}

/// Everything one check of a scenario produces.
pub struct Checked {
    /// The resolved scenario, or an [`crate::error::InputError`] listing every error.
    pub result: anyhow::Result<Scenario>,
    /// Rendered warnings (only computed for otherwise valid scenarios).
    pub warnings: Vec<String>,
    /// Generic schema paths the decoder asked for.
    pub schema: std::collections::BTreeSet<String>,
}

/// Parse, override, expand and resolve; collect errors, warnings and schema paths.
pub fn check_str(src: &str, file_name: &str, overrides: &[String]) -> Checked {
    let mut cx = decode::Cx::default();
    let fail = |diags: &[diag::Diag]| {
        crate::error::input_error(diag::render(diags, file_name, src, overrides))
    };
    let done = |result: anyhow::Result<Scenario>, cx: decode::Cx, warnings: Vec<String>| Checked {
        result,
        warnings,
        schema: cx.schema,
    };
    let mut root = match tree::parse_document(src) {
        Ok(r) => r,
        Err((msg, origin)) => {
            let d = diag::Diag {
                origin,
                path: String::new(),
                msg: format!("invalid TOML: {msg}{}", decode::toml_syntax_advice(&msg)),
            };
            return done(Err(fail(&[d])), cx, Vec::new());
        }
    };
    for (i, spec) in overrides.iter().enumerate() {
        if let Err(msg) = tree::apply_override(&mut root, i, spec) {
            cx.err(&tree::Origin::Override(i), "", msg);
        }
    }
    if !cx.diags.is_empty() {
        let e = fail(&cx.diags.list);
        return done(Err(e), cx, Vec::new());
    }
    resolve::expand_copies(&mut root, &mut cx);
    if !cx.diags.is_empty() {
        let e = fail(&cx.diags.list);
        return done(Err(e), cx, Vec::new());
    }
    let source = Source {
        file: file_name.to_string(),
        sha256: sha256_hex(src.as_bytes()),
        overrides: overrides.to_vec(),
    };
    let scenario = resolve::resolve(&root, &mut cx, source);
    let by_position = |d: &diag::Diag| match &d.origin {
        tree::Origin::File(r) => (0, r.start),
        tree::Origin::Override(i) => (1, *i),
        tree::Origin::Unknown => (2, 0),
    };
    match scenario {
        Some(s) if cx.diags.is_empty() => {
            let mut ws = cx.warnings.list.clone();
            ws.sort_by_key(by_position);
            let warnings = ws
                .iter()
                .map(|w| diag::render(std::slice::from_ref(w), file_name, src, overrides))
                .collect();
            done(Ok(s), cx, warnings)
        }
        _ => {
            let mut list = cx.diags.list.clone();
            // File order (then overrides) reads best; stable for equal positions.
            list.sort_by_key(by_position);
            let e = fail(&list);
            done(Err(e), cx, Vec::new())
        }
    }
}

/// The bundled `scenarios/` directory: `./scenarios` if it exists, else the one next to the
/// crate this binary was built from.
pub fn bundled_dir() -> Option<std::path::PathBuf> {
    let here = std::path::PathBuf::from("scenarios");
    if here.is_dir() {
        return Some(here);
    }
    let krate = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    krate.is_dir().then_some(krate)
}
