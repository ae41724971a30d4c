//! `tests/data/conformance/wire/sizes.jsonl`: all four numbers of every object in `objects.jsonl`
//! match to the byte, through the library and through the `slicesim wire-size` binary.

use std::path::{Path, PathBuf};

use slicesim::k8s::KubeObject;
use slicesim::wire::{self, Encoding, EventType};

fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
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

use crate::support::bin;

#[test]
fn binary_sizes_match_upstream() {
    let out = bin()
        .arg("wire-size")
        .arg(shared("conformance/wire/objects.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let got: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exp = expected();
    assert_eq!(got.len(), exp.len());
    // Textually identical to sizes.jsonl without its trailing "source" (same key order).
    let sizes_text = std::fs::read_to_string(shared("conformance/wire/sizes.jsonl")).unwrap();
    for (out_line, exp_line) in stdout.lines().zip(sizes_text.lines()) {
        let cut = exp_line.find(r#","source":"#).unwrap();
        assert_eq!(out_line, format!("{}}}", &exp_line[..cut]));
    }
    for (g, e) in got.iter().zip(&exp) {
        for f in ["index", "kind", "name"].iter().chain(FIELDS.iter()) {
            assert_eq!(g[*f], e[*f], "{f} of index {}", e["index"]);
        }
    }
}

#[test]
fn binary_writes_encoded_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let objs = objects();
    let exp = expected();
    // One object per file so that the output is exactly that object's encoding.
    let input = dir.path().join("one.json");
    std::fs::write(&input, &objs[14]).unwrap();
    for (enc, event, field) in [
        ("json", None, "json"),
        ("protobuf", None, "protobuf"),
        ("json", Some("MODIFIED"), "jsonWatchEvent"),
        ("protobuf", Some("MODIFIED"), "protobufWatchEvent"),
    ] {
        let out_path = dir.path().join(format!("out-{enc}-{}", event.is_some()));
        let mut cmd = bin();
        cmd.arg("wire-size")
            .arg(&input)
            .args(["--encode", enc, "--out"])
            .arg(&out_path);
        if let Some(ev) = event {
            cmd.args(["--event", ev]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&out_path).unwrap();
        let extra = usize::from(enc == "json" && event.is_none()); // trailing newline
        assert_eq!(
            bytes.len(),
            exp[14][field].as_u64().unwrap() as usize + extra,
            "{field}"
        );
        if enc == "protobuf" {
            let start = if event.is_some() { 4 } else { 0 };
            if event.is_none() {
                assert_eq!(&bytes[start..start + 4], b"k8s\0");
            }
        } else if event.is_none() {
            assert_eq!(bytes, format!("{}\n", objs[14]).into_bytes());
        }
    }
}

#[test]
fn binary_bad_input_is_exit_2_with_location() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.jsonl");
    std::fs::write(
        &input,
        "{\"kind\":\"Pod\",\"metadata\":{}}\n{\"kind\":\"Pod\",\"metadata\":{\"creationTimestamp\":\"yesterday\"}}\n",
    )
    .unwrap();
    let out = bin().arg("wire-size").arg(&input).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:2:") && err.contains("yesterday"),
        "{err}"
    );

    std::fs::write(
        &input,
        "{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"c\",\"frobnicate\":true}]}}\n",
    )
    .unwrap();
    let out = bin().arg("wire-size").arg(&input).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("frobnicate"));

    let out = bin()
        .arg("wire-size")
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let out = bin()
        .args(["wire-size", "--encode", "xml", "--out"])
        .arg(dir.path().join("o"))
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
