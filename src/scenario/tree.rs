//! Stage 0: the scenario file as a tree of values that remember where they came from
//! (a byte span in the file, or a `--set` override), so every later error keeps its location.
//!
//! The file is parsed with `toml_edit` (which keeps spans for keys and values); `--set`
//! overrides are then applied to this tree.

use std::ops::Range;

/// Where a value (or key) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Byte range in the scenario file.
    File(Range<usize>),
    /// The `--set` override with this index.
    Override(usize),
    /// Not written anywhere (a default, or a location toml_edit does not record).
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    /// Keys in file order: (key, key origin, value).
    Table(Vec<(String, Origin, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub v: V,
    pub origin: Origin,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.v {
            V::Str(_) => "string",
            V::Int(_) => "integer",
            V::Float(_) => "float",
            V::Bool(_) => "boolean",
            V::Datetime(_) => "datetime",
            V::Array(_) => "array",
            V::Table(_) => "table",
        }
    }

    /// Short rendering of the value for messages (`"abc"`, `12`, `[...]`).
    pub fn show(&self) -> String {
        match &self.v {
            V::Str(s) => format!("{s:?}"),
            V::Int(i) => i.to_string(),
            V::Float(f) => f.to_string(),
            V::Bool(b) => b.to_string(),
            V::Datetime(d) => d.clone(),
            V::Array(a) => format!("an array of {} items", a.len()),
            V::Table(_) => "a table".to_string(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.v {
            V::Table(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, n)| n),
            _ => None,
        }
    }
}

fn origin(span: Option<Range<usize>>) -> Origin {
    span.map_or(Origin::Unknown, Origin::File)
}

/// Parse a TOML document into a tree. Errors carry toml_edit's message and span.
pub fn parse_document(src: &str) -> Result<Node, (String, Origin)> {
    let doc = toml_edit::ImDocument::parse(src).map_err(|e| {
        let msg = e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        (msg, origin(e.span()))
    })?;
    Ok(from_table(doc.as_table()))
}

fn from_table(t: &toml_edit::Table) -> Node {
    let mut entries = Vec::new();
    for (k, _) in t.iter() {
        if let Some((key, item)) = t.get_key_value(k) {
            if let Some(n) = from_item(item) {
                entries.push((k.to_string(), origin(key.span()), n));
            }
        }
    }
    Node {
        v: V::Table(entries),
        origin: origin(t.span()),
    }
}

fn from_item(item: &toml_edit::Item) -> Option<Node> {
    match item {
        toml_edit::Item::None => None,
        toml_edit::Item::Value(v) => Some(from_value(v)),
        toml_edit::Item::Table(t) => Some(from_table(t)),
        toml_edit::Item::ArrayOfTables(a) => Some(Node {
            v: V::Array(a.iter().map(from_table).collect()),
            origin: origin(a.span()),
        }),
    }
}

fn from_value(v: &toml_edit::Value) -> Node {
    use toml_edit::Value as TV;
    let o = origin(v.span());
    let v = match v {
        TV::String(s) => V::Str(s.value().clone()),
        TV::Integer(i) => V::Int(*i.value()),
        TV::Float(f) => V::Float(*f.value()),
        TV::Boolean(b) => V::Bool(*b.value()),
        TV::Datetime(d) => V::Datetime(d.value().to_string()),
        TV::Array(a) => V::Array(a.iter().map(from_value).collect()),
        TV::InlineTable(t) => {
            let mut entries = Vec::new();
            for (k, _) in t.iter() {
                if let Some((key, item)) = t.get_key_value(k) {
                    if let Some(n) = from_item(item) {
                        entries.push((k.to_string(), origin(key.span()), n));
                    }
                }
            }
            V::Table(entries)
        }
    };
    Node { v, origin: o }
}

/// Give every node of a tree the same origin (for override values).
fn set_origin(n: &mut Node, o: &Origin) {
    n.origin = o.clone();
    match &mut n.v {
        V::Array(items) => items.iter_mut().for_each(|c| set_origin(c, o)),
        V::Table(entries) => entries.iter_mut().for_each(|(_, ko, c)| {
            *ko = o.clone();
            set_origin(c, o)
        }),
        _ => {}
    }
}

/// One step of an override path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Longest override path accepted (the schema is at most 5 deep; this keeps trees shallow).
pub const MAX_PATH_SEGMENTS: usize = 16;

/// Parse `a.b[0].c` into segments.
pub fn parse_path(path: &str) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err("the path is empty".into());
    }
    let mut expect_key = true;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r
                .find(']')
                .ok_or_else(|| format!("missing `]` in path `{path}`"))?;
            let idx: usize = r[..end].trim().parse().map_err(|_| {
                format!(
                    "`[{}]` in path `{path}` is not an array index (expected e.g. `[0]`)",
                    &r[..end]
                )
            })?;
            segs.push(Seg::Index(idx));
            rest = &r[end + 1..];
            expect_key = false;
        } else if let Some(r) = rest.strip_prefix('.') {
            if expect_key {
                return Err(format!("empty key in path `{path}`"));
            }
            rest = r;
            expect_key = true;
        } else {
            if !expect_key {
                return Err(format!("expected `.` or `[` after `]` in path `{path}`"));
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = rest[..end].trim();
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!("`{key}` in path `{path}` is not a valid key"));
            }
            segs.push(Seg::Key(key.to_string()));
            rest = &rest[end..];
            expect_key = false;
        }
    }
    if expect_key {
        return Err(format!("path `{path}` ends with `.`"));
    }
    if segs.len() > MAX_PATH_SEGMENTS {
        return Err(format!(
            "path `{path}` is deeper than {MAX_PATH_SEGMENTS} steps; no scenario field is that deep"
        ));
    }
    Ok(segs)
}

/// Parse the value of an override: a TOML value if it parses as one, else the raw text as a
/// string (so `--set duration=10m` works without quoting).
pub fn parse_override_value(text: &str) -> Node {
    let src = format!("v = {text}");
    if let Ok(doc) = toml_edit::ImDocument::parse(src.as_str()) {
        if let Some(item) = doc.as_table().get("v") {
            if let Some(n) = from_item(item) {
                return n;
            }
        }
    }
    Node {
        v: V::Str(text.to_string()),
        origin: Origin::Unknown,
    }
}

/// Apply override number `idx` (`path=value`) to the tree.
pub fn apply_override(root: &mut Node, idx: usize, spec: &str) -> Result<(), String> {
    let (path, value) = spec
        .split_once('=')
        .ok_or_else(|| "expected `path=value`, e.g. `workloads[0].replicas=50`".to_string())?;
    let segs = parse_path(path)?;
    let raw = value.trim();
    let mut value = parse_override_value(raw);
    if path.trim() == "kubernetes_version" && !matches!(value.v, V::Str(_)) {
        // `--set kubernetes_version=1.30`: a release, not the float 1.3.
        value.v = V::Str(raw.to_string());
    }
    let o = Origin::Override(idx);
    set_origin(&mut value, &o);
    let mut cur = root;
    let mut shown = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match seg {
            Seg::Key(k) => {
                let here = if shown.is_empty() {
                    "the top level".to_string()
                } else {
                    format!("`{shown}`")
                };
                let V::Table(entries) = &mut cur.v else {
                    return Err(format!("{here} is not a table, so it has no field `{k}`"));
                };
                let pos = match entries.iter().position(|(ek, _, _)| ek == k) {
                    Some(p) => p,
                    None => {
                        let fresh = if last {
                            value.clone()
                        } else {
                            Node {
                                v: match segs.get(i + 1) {
                                    Some(Seg::Index(_)) => V::Array(Vec::new()),
                                    _ => V::Table(Vec::new()),
                                },
                                origin: o.clone(),
                            }
                        };
                        entries.push((k.clone(), o.clone(), fresh));
                        entries.len() - 1
                    }
                };
                if !shown.is_empty() {
                    shown.push('.');
                }
                shown.push_str(k);
                let slot = &mut entries[pos].2;
                if last {
                    *slot = value;
                    return Ok(());
                }
                cur = slot;
            }
            Seg::Index(n) => {
                let V::Array(items) = &mut cur.v else {
                    return Err(format!(
                        "`{shown}` is not an array, so `[{n}]` does not exist"
                    ));
                };
                let len = items.len();
                let Some(slot) = items.get_mut(*n) else {
                    return Err(format!(
                        "`{shown}[{n}]` does not exist: `{shown}` has {len} item(s)"
                    ));
                };
                shown.push_str(&format!("[{n}]"));
                if last {
                    *slot = value;
                    return Ok(());
                }
                cur = slot;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parsing() {
        assert_eq!(
            parse_path("workloads[0].replicas").unwrap(),
            vec![
                Seg::Key("workloads".into()),
                Seg::Index(0),
                Seg::Key("replicas".into())
            ]
        );
        assert!(parse_path("a..b").is_err());
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a.").is_err());
        assert!(parse_path("").is_err());
        assert!(parse_path("a[0]b").is_err());
        assert!(parse_path("a.".repeat(100_000).trim_end_matches('.')).is_err());
    }

    #[test]
    fn spans_point_at_values() {
        let src = "a = 1\n[t]\nb = \"x\"\n";
        let n = parse_document(src).unwrap();
        let b = n.get("t").unwrap().get("b").unwrap();
        let Origin::File(r) = &b.origin else { panic!() };
        assert_eq!(&src[r.clone()], "\"x\"");
    }

    #[test]
    fn override_sets_and_creates() {
        let mut n = parse_document("[[w]]\nr = 1\n").unwrap();
        apply_override(&mut n, 0, "w[0].r=5").unwrap();
        apply_override(&mut n, 1, "x.y=10m").unwrap();
        assert!(n.get("w").is_some());
        let V::Array(items) = &n.get("w").unwrap().v else {
            panic!()
        };
        assert_eq!(items[0].get("r").unwrap().v, V::Int(5));
        assert_eq!(items[0].get("r").unwrap().origin, Origin::Override(0));
        assert_eq!(
            n.get("x").unwrap().get("y").unwrap().v,
            V::Str("10m".into())
        );
        assert!(apply_override(&mut n, 2, "w[3].r=1").is_err());
        assert!(apply_override(&mut n, 2, "noequals").is_err());
    }
}
