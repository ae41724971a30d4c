//! `../shared/conformance/wire/sizes.jsonl`: all four numbers of every object in `objects.jsonl`
//! match to the byte, through the library and through the `slicesim wire-size` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use slicesim::k8s::KubeObject;
use slicesim::wire::{self, Encoding, EventType};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel)
}

fn expected() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(shared("conformance/wire/sizes.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn objects() -> Vec<String> {
    let text = std::fs::read_to_string(shared("conformance/wire/objects.jsonl")).unwrap();
    text.lines().map(str::to_string).collect()
}

const FIELDS: [&str; 4] = ["json", "protobuf", "jsonWatchEvent", "protobufWatchEvent"];

#[test]
fn library_sizes_match_upstream() {
    let exp = expected();
    let objs = objects();
    assert_eq!(exp.len(), objs.len());
    let mut failures = Vec::new();
    for (i, (line, e)) in objs.iter().zip(&exp).enumerate() {
        assert_eq!(e["index"], i);
        let obj = KubeObject::from_json_str(line).unwrap();
        assert_eq!(e["kind"], obj.kind());
        assert_eq!(e["name"], obj.name());
        let got = serde_json::to_value(wire::sizes(&obj).unwrap()).unwrap();
        for f in FIELDS {
            if got[f] != e[f] {
                failures.push(format!(
                    "index {i} ({}): {f} = {} expected {}",
                    e["source"], got[f], e[f]
                ));
            }
        }
        // The materialised bytes agree with the computed sizes.
        let s = wire::sizes(&obj).unwrap();
        assert_eq!(
            wire::object_bytes(Encoding::Json, &obj).unwrap().len(),
            s.json
        );
        assert_eq!(
            wire::object_bytes(Encoding::Json, &obj).unwrap(),
            line.as_bytes()
        );
        assert_eq!(
            wire::object_bytes(Encoding::Protobuf, &obj).unwrap().len(),
            s.protobuf
        );
        for (enc, n) in [
            (Encoding::Json, s.json_watch_event),
            (Encoding::Protobuf, s.protobuf_watch_event),
        ] {
            let b = wire::watch_event_bytes(enc, EventType::Modified, &obj).unwrap();
            assert_eq!(b.len(), n);
            assert_eq!(
                wire::watch_event_size(enc, EventType::Modified, &obj).unwrap(),
                n
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
