//! Reading what kubectl prints, as a stream of objects with bounded memory.
//!
//! One file may hold: a `List` / `<Kind>List` (`kubectl get ... -o json`, `kubectl cluster-info
//! dump` files), a single object, a JSON array of objects, several documents one after another
//! (`kubectl get -w -o json` prints one pretty-printed object per change), JSON lines, or watch
//! events (`{"type": "ADDED", "object": {...}}`, `--output-watch-events`). What a file holds is
//! told from its content, never its name. The `items` array of a List is visited one element at a
//! time (serde's streaming visitor), so a 1 GB pod list never sits in memory as one value.

use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// One object read from an input, with where it came from.
#[derive(Debug, Clone)]
pub struct Item {
    /// The file as given (or found in a directory).
    pub file: String,
    /// 0-based index of the object among the file's objects.
    pub index: usize,
    /// The enclosing List's `kind` with `List` stripped (e.g. `Pod` for a `PodList`), when the
    /// List named it before its items (typed lists of `cluster-info dump` omit the items' kind).
    pub list_kind: Option<String>,
    /// The watch event type when the object came wrapped in `{"type","object"}`.
    pub event: Option<String>,
    /// An element of a List's `items` or of a top-level array (false: a document of its own,
    /// e.g. one object of `kubectl get -w -o json`).
    pub in_list: bool,
    pub value: Value,
}

/// What one file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileStats {
    pub file: String,
    pub objects: usize,
    pub lists: usize,
    pub watch_events: usize,
    pub bytes: u64,
}

/// A problem reading an input file (not JSON, truncated, YAML...). Located by line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError(pub String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Files under the inputs: a file as itself, a directory walked recursively in name order
/// (deterministic). Returns (files, files skipped because they are not JSON, e.g. `logs.txt`).
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), ReadError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in inputs {
        let meta = std::fs::metadata(p)
            .map_err(|e| ReadError(format!("{}: cannot read: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, &mut files, &mut skipped)?;
        } else {
            files.push(p.clone());
        }
    }
    Ok((files, skipped))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, skipped: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| ReadError(format!("{}: cannot read directory: {e}", dir.display())))?;
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, files, skipped)?;
        } else if first_byte(&p).is_some_and(|b| b == b'{' || b == b'[') {
            files.push(p);
        } else {
            // Pod logs (`logs.txt`), empty files: a dump folder holds them beside the JSON.
            skipped.push(p);
        }
    }
    Ok(())
}

/// First non-whitespace byte of a file (None: empty or unreadable).
fn first_byte(p: &Path) -> Option<u8> {
    let f = std::fs::File::open(p).ok()?;
    let mut r = BufReader::new(f);
    loop {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            return None;
        }
        if let Some(b) = buf.iter().find(|b| !b.is_ascii_whitespace()) {
            return Some(*b);
        }
        let n = buf.len();
        r.consume(n);
    }
}

/// Counts bytes and newlines that pass through (serde_json's reader takes them one at a time).
/// The byte count is shared with the progress display, which runs inside the List visitor.
struct Counting<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
    lines: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

/// Progress on stderr for big files (never reaches an output).
struct Progress {
    file: String,
    total: u64,
    next_pct: u64,
    enabled: bool,
}

/// Files at least this big report progress.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

impl Progress {
    fn tick(&mut self, bytes: u64, objects: usize) {
        if !self.enabled || self.total == 0 {
            return;
        }
        let pct = bytes.saturating_mul(100) / self.total;
        if pct >= self.next_pct {
            eprintln!(
                "import: {}: {pct}% ({} of {} MB, {objects} objects)",
                self.file,
                bytes >> 20,
                self.total >> 20
            );
            self.next_pct = pct + 10;
        }
    }
}

/// Reads one file, calling `sink` for every object in file order. `sink` errors stop the read
/// and are returned as they are (`Err(Right)`); read errors are `Err(Left)`.
pub fn read_file<E>(
    path: &Path,
    sink: &mut dyn FnMut(Item) -> Result<(), E>,
) -> Result<FileStats, Either<ReadError, E>> {
    let shown = path.display().to_string();
    let f = std::fs::File::open(path)
        .map_err(|e| Either::Left(ReadError(format!("{shown}: cannot read: {e}"))))?;
    let total = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bytes = Rc::new(Cell::new(0u64));
    let mut r = Counting {
        inner: BufReader::with_capacity(1 << 16, f),
        bytes: bytes.clone(),
        lines: 0,
    };
    let mut stats = FileStats {
        file: shown.clone(),
        ..Default::default()
    };
    let mut progress = Progress {
        file: shown.clone(),
        total,
        next_pct: 10,
        enabled: total >= PROGRESS_MIN_BYTES,
    };
    let mut index = 0usize;
    loop {
        // Skip whitespace between documents; stop at the end.
        let first = loop {
            let buf = r
                .inner
                .fill_buf()
                .map_err(|e| Either::Left(ReadError(format!("{shown}: cannot read: {e}"))))?;
            if buf.is_empty() {
                break None;
            }
            let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let nl = buf[..ws].iter().filter(|&&b| b == b'\n').count() as u64;
            let more = ws < buf.len();
            let first = buf.get(ws).copied();
            r.inner.consume(ws);
            r.bytes.set(r.bytes.get() + ws as u64);
            r.lines += nl;
            if more {
                break first;
            }
        };
        let Some(first) = first else { break };
        let doc_line = r.lines + 1;
        if first != b'{' && first != b'[' {
            let hint = if first.is_ascii_alphabetic() || first == b'-' {
                " (this looks like YAML or text: re-run kubectl with `-o json`)"
            } else {
                ""
            };
            return Err(Either::Left(ReadError(format!(
                "{shown}:{doc_line}: expected a JSON object or array, found {:?}{hint}",
                first as char
            ))));
        }
        let mut failure: Option<E> = None;
        let mut ctx = DocCtx {
            file: &shown,
            index: &mut index,
            sink,
            failure: &mut failure,
            stats: &mut stats,
            progress: &mut progress,
            bytes: &bytes,
        };
        let mut de = serde_json::Deserializer::from_reader(&mut r);
        let res = DocSeed { ctx: &mut ctx }.deserialize(&mut de);
        drop(de);
        if let Some(e) = failure {
            return Err(Either::Right(e));
        }
        if let Err(e) = res {
            let line = doc_line + e.line().saturating_sub(1) as u64;
            let col = e.column();
            let what = if e.is_eof() {
                "the JSON ends early (truncated file?)".to_string()
            } else {
                format!("invalid JSON: {e}")
            };
            return Err(Either::Left(ReadError(format!(
                "{shown}:{line}:{col}: {what}"
            ))));
        }
        progress.tick(bytes.get(), index);
    }
    stats.objects = index;
    stats.bytes = bytes.get();
    if index == 0 && stats.lists == 0 {
        return Err(Either::Left(ReadError(format!(
            "{shown}: no Kubernetes object found (empty input)"
        ))));
    }
    Ok(stats)
}

/// Either of two error types (read vs. sink).
#[derive(Debug)]
pub enum Either<L, R> {
    Left(L),
    Right(R),
}

struct DocCtx<'a, 'b, E> {
    file: &'a str,
    index: &'a mut usize,
    sink: &'a mut dyn FnMut(Item) -> Result<(), E>,
    failure: &'a mut Option<E>,
    stats: &'b mut FileStats,
    progress: &'a mut Progress,
    bytes: &'a Cell<u64>,
}

impl<E> DocCtx<'_, '_, E> {
    /// Hand one top-level or list element to the sink; false = stop (error stored).
    fn emit(&mut self, value: Value, list_kind: Option<String>, in_list: bool) -> bool {
        let (event, value) = unwrap_watch_event(value);
        if event.is_some() {
            self.stats.watch_events += 1;
        }
        let item = Item {
            file: self.file.to_string(),
            index: *self.index,
            list_kind,
            event,
            in_list,
            value,
        };
        *self.index += 1;
        self.progress.tick(self.bytes.get(), *self.index);
        match (self.sink)(item) {
            Ok(()) => true,
            Err(e) => {
                *self.failure = Some(e);
                false
            }
        }
    }
}

/// `{"type": T, "object": O}` (exactly those keys) → (Some(T), O).
fn unwrap_watch_event(v: Value) -> (Option<String>, Value) {
    if let Value::Object(m) = &v {
        if m.len() == 2 && m.contains_key("object") {
            if let (Some(Value::String(t)), Some(Value::Object(_))) =
                (m.get("type"), m.get("object"))
            {
                let t = t.clone();
                if let Value::Object(mut m) = v {
                    return (Some(t), m.remove("object").unwrap_or(Value::Null));
                }
            }
        }
    }
    (None, v)
}

/// Marker message for "the sink failed" (its error is in `DocCtx::failure`).
const SINK_FAILED: &str = "\u{0}slicesim-import-sink-failed";

struct DocSeed<'c, 'a, 'b, E> {
    ctx: &'c mut DocCtx<'a, 'b, E>,
}

impl<'de, E> DeserializeSeed<'de> for DocSeed<'_, '_, '_, E> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E> Visitor<'de> for DocSeed<'_, '_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object, a List, or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if !self.ctx.emit(v, None, true) {
                return Err(A::Error::custom(SINK_FAILED));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut had_items = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                had_items = true;
                let list_kind = rest
                    .get("kind")
                    .and_then(Value::as_str)
                    .and_then(|k| k.strip_suffix("List"))
                    .filter(|k| !k.is_empty())
                    .map(str::to_string);
                map.next_value_seed(ItemsSeed {
                    ctx: &mut *self.ctx,
                    list_kind,
                })?;
            } else {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
            }
        }
        if had_items {
            self.ctx.stats.lists += 1;
            return Ok(());
        }
        if !self.ctx.emit(Value::Object(rest), None, false) {
            return Err(A::Error::custom(SINK_FAILED));
        }
        Ok(())
    }
}

struct ItemsSeed<'c, 'a, 'b, E> {
    ctx: &'c mut DocCtx<'a, 'b, E>,
    list_kind: Option<String>,
}

impl<'de, E> DeserializeSeed<'de> for ItemsSeed<'_, '_, '_, E> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E> Visitor<'de> for ItemsSeed<'_, '_, '_, E> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("\"items\": a list of objects (or null)")
    }
    fn visit_unit<Er: serde::de::Error>(self) -> Result<(), Er> {
        Ok(()) // Go's nil list
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if !self.ctx.emit(v, self.list_kind.clone(), true) {
                return Err(A::Error::custom(SINK_FAILED));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<Vec<Item>, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.json");
        std::fs::write(&p, text).unwrap();
        let mut out = Vec::new();
        read_file::<()>(&p, &mut |i| {
            out.push(i);
            Ok(())
        })
        .map_err(|e| match e {
            Either::Left(e) => e.0,
            Either::Right(()) => "sink".into(),
        })?;
        Ok(out)
    }

    #[test]
    fn lists_documents_arrays_and_events() {
        let v = read_str(
            "{\"apiVersion\":\"v1\",\"items\":[{\"kind\":\"Pod\"},{\"kind\":\"Node\"}],\"kind\":\"List\"}",
        )
        .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].index, 1);
        let v = read_str("{\"kind\":\"PodList\",\"items\":[{\"metadata\":{}}]}").unwrap();
        assert_eq!(v[0].list_kind.as_deref(), Some("Pod"));
        let v = read_str("{\"kind\":\"Pod\"}\n{\n \"kind\": \"Pod\"\n}\n[{\"kind\":\"Node\"}]")
            .unwrap();
        assert_eq!(v.len(), 3);
        let v = read_str("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\"}}").unwrap();
        assert_eq!(v[0].event.as_deref(), Some("MODIFIED"));
        assert_eq!(v[0].value["kind"], "Pod");
        let v = read_str("{\"kind\":\"PodList\",\"items\":null}").unwrap();
        assert!(v.is_empty());
    }

    #[test]
    fn errors_are_located() {
        let e = read_str("{\"kind\":\"List\",\"items\":[\n{\"kind\":\"Pod\"},\n{\"kind\":}]}")
            .unwrap_err();
        assert!(e.contains("in.json:3:"), "{e}");
        let e = read_str("{\"kind\":\"List\",\"items\":[\n{\"kind\":\"Pod\"}").unwrap_err();
        assert!(e.contains("truncated"), "{e}");
        let e = read_str("\n\napiVersion: v1\nkind: Pod\n").unwrap_err();
        assert!(e.contains("in.json:3:") && e.contains("YAML"), "{e}");
        assert!(read_str("  \n").unwrap_err().contains("empty"));
    }
}
