//! Reading Kubernetes JSON input: one object, a `List`/`<Kind>List` with `items`, or JSON lines.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::k8s::KubeObject;

/// 1-based line number of byte offset `off` in `text`.
fn line_of(text: &str, off: usize) -> usize {
    text.as_bytes()[..off.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Byte offset of `part` (a sub-slice of `text`) within `text`.
fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// Parses `text` into objects, each with the 1-based line it starts on. Errors are
/// `"<line>: <problem>"` (the caller prefixes the file name).
pub fn parse_objects(text: &str) -> Result<Vec<(usize, KubeObject)>, String> {
    #[derive(Deserialize)]
    struct Probe<'a> {
        kind: Option<String>,
        /// Raw so that `"items":null` (Go's nil list, `json:"items"` has no omitempty) is told
        /// apart from an absent `items` (a single object).
        #[serde(default, borrow, deserialize_with = "present")]
        items: Option<&'a RawValue>,
    }
    // A single JSON document (object or List), possibly spread over many lines.
    let whole = serde_json::from_str::<&RawValue>(text);
    if let Ok(doc) = whole {
        let start = line_of(text, offset_in(text, doc.get()).max(first_non_ws(text)));
        let probe: Probe = serde_json::from_str(doc.get())
            .map_err(|e| format!("{start}: not a Kubernetes object: {e}"))?;
        let Some(items) = probe.items else {
            let obj = KubeObject::from_json_str(doc.get()).map_err(|e| format!("{start}: {e}"))?;
            return Ok(vec![(start, obj)]);
        };
        let items: Vec<&RawValue> = if items.get() == "null" {
            Vec::new()
        } else {
            serde_json::from_str(items.get())
                .map_err(|e| format!("{start}: \"items\" is not a list of objects: {e}"))?
        };
        let default_kind = probe
            .kind
            .as_deref()
            .and_then(|k| k.strip_suffix("List"))
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let line = line_of(text, offset_in(text, item.get()));
            if !item.get().starts_with('{') {
                return Err(format!(
                    "{line}: items[{i}]: expected a Kubernetes object ({{\"kind\": ..., \"metadata\": ...}}), got {}",
                    item.get()
                ));
            }
            let obj = match &default_kind {
                Some(k) if !has_kind(item.get()) => KubeObject::from_json_str_as(k, item.get()),
                _ => KubeObject::from_json_str(item.get()),
            }
            .map_err(|e| format!("{line}: items[{i}]: {e}"))?;
            out.push((line, obj));
        }
        return Ok(out);
    }
    // JSON lines.
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let obj = match KubeObject::from_json_str(l) {
            Ok(o) => o,
            // A first line that is not a complete JSON value means the file is one (broken)
            // multi-line document: report the document's own syntax error and position.
            Err(_) if out.is_empty() && serde_json::from_str::<&RawValue>(l).is_err() => {
                let e = whole.err().map(|e| (e.line(), e.column(), e.to_string()));
                let (line, col, msg) = e.unwrap_or((i + 1, 0, "invalid JSON".into()));
                return Err(format!("{line}:{col}: invalid JSON: {msg}"));
            }
            Err(e) => return Err(format!("{}: {e}", i + 1)),
        };
        out.push((i + 1, obj));
    }
    if out.is_empty() {
        return Err("1: no Kubernetes object found (empty input)".into());
    }
    Ok(out)
}

/// `Some` whenever the field is present, `null` included (a plain `Option` reads `null` as `None`).
fn present<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<&'a RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

fn first_non_ws(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

fn has_kind(json: &str) -> bool {
    #[derive(Deserialize)]
    struct K {
        kind: Option<String>,
    }
    serde_json::from_str::<K>(json)
        .ok()
        .and_then(|k| k.kind)
        .is_some_and(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_list_and_lines() {
        let one = "{\n \"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}\n";
        let v = parse_objects(one).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].1.name(), "a");

        let list = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[\n{\"metadata\":{\"name\":\"a\"}},\n{\"kind\":\"Service\",\"metadata\":{\"name\":\"b\"}}]}";
        let v = parse_objects(list).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].0, v[0].1.kind()), (2, "Pod"));
        assert_eq!((v[1].0, v[1].1.kind()), (3, "Service"));

        // A nil list (`"items":null`) holds no objects, like an empty one.
        for items in ["null", "[]"] {
            let l = format!("{{\"kind\":\"PodList\",\"metadata\":{{}},\"items\":{items}}}");
            assert!(parse_objects(&l).unwrap().is_empty());
        }

        let lines = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}\n\n{\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"}}\n";
        let v = parse_objects(lines).unwrap();
        assert_eq!((v[1].0, v[1].1.kind()), (3, "Node"));
    }

    #[test]
    fn errors_name_the_line() {
        let bad =
            "{\"kind\":\"Pod\",\"metadata\":{}}\n{\"kind\":\"Pod\",\"metadata\":{},\"bogus\":1}\n";
        let e = parse_objects(bad).unwrap_err();
        assert!(e.starts_with("2: ") && e.contains("bogus"), "{e}");
        let e = parse_objects("{\"kind\":\"ConfigMap\",\"metadata\":{}}").unwrap_err();
        assert!(e.starts_with("1: unsupported kind"), "{e}");
        assert!(parse_objects("").is_err());
        assert!(parse_objects("{\"kind\":\"Pod\"")
            .unwrap_err()
            .starts_with("1:"));
        // A broken pretty-printed document reports the document's error position.
        let e = parse_objects("{\n  \"kind\": \"Pod\",\n  \"metadata\": {,\n}\n").unwrap_err();
        assert!(e.starts_with("3:"), "{e}");
        let e = parse_objects("{\"kind\":\"PodList\",\"items\":{}}").unwrap_err();
        assert!(e.starts_with("1: \"items\" is not a list"), "{e}");
        let e = parse_objects("{\"kind\":\"List\",\"items\":[{\"metadata\":{}}]}").unwrap_err();
        assert!(e.contains("items[0]") && e.contains("no \"kind\""), "{e}");
    }
}
