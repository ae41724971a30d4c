//! `slicesim wire-size FILE...`: exact JSON / protobuf / watch-event sizes of Kubernetes objects.
//!
//! Thin front-end over [`crate::wire::input`] (parsing) and [`crate::wire::sizes`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::error::input_error;
use crate::wire::{self, input, Encoding, EventType};

/// Arguments of `slicesim wire-size`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Input: one JSON object, a List (`items`), or JSON lines (one object per line).\n\
Output: one JSON line per object: {\"index\",\"kind\",\"name\",\"json\",\"protobuf\",\"jsonWatchEvent\",\"protobufWatchEvent\"}\n\
(index counts objects over all files; watch-event sizes are for MODIFIED events).\n\
With --encode/--out the encoded bytes are written too: JSON objects one per line (as the apiserver\n\
sends a GET response body), protobuf objects concatenated; with --event, the exact watch-stream\n\
bytes of one event per object instead.\n\n\
Examples:\n  slicesim wire-size tests/data/conformance/wire/objects.jsonl\n  \
slicesim wire-size slice.json --encode protobuf --out slice.pb"
)]
pub struct Args {
    /// Input files (Kubernetes JSON).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Also write the encoded bytes in this encoding (json or protobuf) to --out.
    #[arg(long, value_name = "ENCODING", requires = "out")]
    pub encode: Option<String>,
    /// File that receives the bytes for --encode.
    #[arg(long, value_name = "FILE", requires = "encode")]
    pub out: Option<PathBuf>,
    /// With --encode: write watch events of this type (ADDED, MODIFIED, DELETED, BOOKMARK)
    /// framed as on the watch stream, instead of bare objects.
    #[arg(long, value_name = "TYPE", requires = "encode")]
    pub event: Option<String>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let encoding = match &args.encode {
        None => None,
        Some(e) => Some(
            e.parse::<Encoding>()
                .map_err(|m| input_error(format!("--encode: {m}")))?,
        ),
    };
    let event = match &args.event {
        None => None,
        Some(e) => Some(parse_event(e)?),
    };
    let mut encoded = Vec::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut index = 0usize;
    for file in &args.files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| input_error(format!("{shown}: cannot read: {e}")))?;
        for item in input::parse_objects(&text).map_err(|e| input_error(format!("{shown}:{e}")))? {
            let (line, obj) = item;
            let sizes =
                wire::sizes(&obj).map_err(|e| input_error(format!("{shown}:{line}: {e}")))?;
            let row = Row {
                index,
                kind: obj.kind(),
                name: obj.name(),
                sizes,
            };
            writeln!(out, "{}", serde_json::to_string(&row)?)?;
            if let Some(enc) = encoding {
                let bytes = match event {
                    Some(ev) => wire::watch_event_bytes(enc, ev, &obj),
                    None => wire::object_bytes(enc, &obj),
                }
                .map_err(|e| input_error(format!("{shown}:{line}: {e}")))?;
                encoded.extend_from_slice(&bytes);
                if enc == Encoding::Json && event.is_none() {
                    encoded.push(b'\n');
                }
            }
            index += 1;
        }
    }
    out.flush()?;
    if let Some(path) = &args.out {
        std::fs::write(path, &encoded).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// One output line; field order as in `sizes.jsonl`.
#[derive(serde::Serialize)]
struct Row<'a> {
    index: usize,
    kind: &'a str,
    name: &'a str,
    #[serde(flatten)]
    sizes: wire::WireSizes,
}

fn parse_event(s: &str) -> anyhow::Result<EventType> {
    Ok(match s {
        "ADDED" => EventType::Added,
        "MODIFIED" => EventType::Modified,
        "DELETED" => EventType::Deleted,
        "BOOKMARK" => EventType::Bookmark,
        o => {
            return Err(input_error(format!(
                "--event: unknown event type {o:?} (expected ADDED, MODIFIED, DELETED or BOOKMARK)"
            )))
        }
    })
}
