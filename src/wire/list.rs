//! Sizes and bytes of typed list responses (`EndpointSliceList`, `EndpointsList`, `PodList`, …) as a
//! LIST request returns them, e.g. a client-go reflector's initial or re-list.
//!
//! Upstream shape (k8s.io/api v0.32.13, e.g. `discovery/v1.EndpointSliceList`):
//! `{TypeMeta inline; ListMeta metadata (protobuf 1); Items []T "items" (protobuf 2)}`. The
//! apiserver clears the items' own `kind`/`apiVersion` in list responses (they are only on the
//! list), so items are encoded without them here whatever the objects carry. `items` has no
//! `omitempty`; the apiserver always returns a non-nil list, so an empty list is `"items":[]`.
//! The protobuf response has the same `k8s\0` + `runtime.Unknown` envelope as a single object,
//! with the list's kind.

use super::proto::{message, varint_len, Counter, Proto, Sink, Writer};
use super::{envelope_len, json, WireError, PROTOBUF_MAGIC};
use crate::k8s::{KubeObject, ListMeta};

impl Proto for ListMeta {
    fn encode<S: Sink>(&self, s: &mut S) {
        // Non-pointer strings: always written.
        fn v(o: &Option<String>) -> &[u8] {
            o.as_deref().unwrap_or("").as_bytes()
        }
        super::proto::bytes(s, 1, v(&self.self_link));
        super::proto::bytes(s, 2, v(&self.resource_version));
        super::proto::bytes(s, 3, v(&self.continue_));
        // *int64 (tag says bytes, the generated code writes a varint, key 0x20).
        if let Some(n) = self.remaining_item_count {
            super::proto::varint(s, 4 << 3);
            super::proto::varint(s, n as u64);
        }
    }
}

/// JSON length of `obj` without `kind`/`apiVersion` (as a list item).
fn item_json_len(obj: &KubeObject) -> usize {
    let full = json::len_go(obj);
    let (k, v) = type_meta_fields(obj);
    let mut n = full;
    if let Some(k) = k.filter(|s| !s.is_empty()) {
        n -= r#""kind":"","#.len() + json::len_go(k) - 2;
    }
    if let Some(v) = v.filter(|s| !s.is_empty()) {
        n -= r#""apiVersion":"","#.len() + json::len_go(v) - 2;
    }
    n
}

fn type_meta_fields(obj: &KubeObject) -> (Option<&str>, Option<&str>) {
    let (k, v) = match obj {
        KubeObject::Service(o) => (&o.kind, &o.api_version),
        KubeObject::Pod(o) => (&o.kind, &o.api_version),
        KubeObject::Node(o) => (&o.kind, &o.api_version),
        KubeObject::EndpointSlice(o) => (&o.kind, &o.api_version),
        KubeObject::Endpoints(o) => (&o.kind, &o.api_version),
    };
    (k.as_deref(), v.as_deref())
}

fn list_kind(items_kind: &str) -> String {
    format!("{items_kind}List")
}

fn check_kinds(items_kind: &str, items: &[KubeObject]) -> Result<(), WireError> {
    match items.iter().find(|o| o.kind() != items_kind) {
        Some(o) => Err(WireError(format!(
            "a {}List cannot hold a {}",
            items_kind,
            o.kind()
        ))),
        None => Ok(()),
    }
}

/// `(json, protobuf)` byte counts of the list response holding `items` (all of kind
/// `items_kind`, e.g. `"EndpointSlice"`) with API version `api_version`.
pub fn list_sizes(
    items_kind: &str,
    api_version: &str,
    meta: &ListMeta,
    items: &[KubeObject],
) -> Result<(usize, usize), WireError> {
    check_kinds(items_kind, items)?;
    let kind = list_kind(items_kind);
    // {"kind":"..","apiVersion":"..","metadata":{..},"items":[a,b]}
    let mut js = r#"{"kind":"","apiVersion":"","metadata":,"items":[]}"#.len()
        + json::len_go(kind.as_str())
        - 2
        + json::len_go(api_version)
        - 2
        + json::len_go(meta);
    js += items.iter().map(item_json_len).sum::<usize>() + items.len().saturating_sub(1);
    let mut raw = {
        let mut c = Counter::default();
        message(&mut c, 1, meta);
        c.len
    };
    for it in items {
        let p = it.proto_len().map_err(WireError)?;
        raw += 1 + varint_len(p as u64) + p;
    }
    Ok((js, envelope_len(api_version, &kind, raw)))
}

/// The list response bytes in the given encoding (JSON without trailing newline).
pub fn list_bytes(
    encoding: super::Encoding,
    items_kind: &str,
    api_version: &str,
    meta: &ListMeta,
    items: &[KubeObject],
) -> Result<Vec<u8>, WireError> {
    check_kinds(items_kind, items)?;
    let kind = list_kind(items_kind);
    match encoding {
        super::Encoding::Json => {
            let mut out = Vec::new();
            out.extend_from_slice(br#"{"kind":"#);
            json::write_go(&mut out, kind.as_str());
            out.extend_from_slice(br#","apiVersion":"#);
            json::write_go(&mut out, api_version);
            out.extend_from_slice(br#","metadata":"#);
            json::write_go(&mut out, meta);
            out.extend_from_slice(br#","items":["#);
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json::write_go(&mut out, &strip_type_meta(it));
            }
            out.extend_from_slice(b"]}");
            Ok(out)
        }
        super::Encoding::Protobuf => {
            let mut w = Writer::default();
            message(&mut w, 1, meta);
            for it in items {
                let b = it.proto_bytes().map_err(WireError)?;
                super::proto::bytes(&mut w, 2, &b);
            }
            let raw = w.buf;
            let mut out = Writer::default();
            out.put(&PROTOBUF_MAGIC);
            message(&mut out, 1, &super::TypeMetaMsg(api_version, &kind));
            super::proto::bytes(&mut out, 2, &raw);
            super::proto::bytes(&mut out, 3, b"");
            super::proto::bytes(&mut out, 4, b"");
            Ok(out.buf)
        }
    }
}

fn strip_type_meta(obj: &KubeObject) -> KubeObject {
    let mut o = obj.clone();
    let (k, v) = match &mut o {
        KubeObject::Service(o) => (&mut o.kind, &mut o.api_version),
        KubeObject::Pod(o) => (&mut o.kind, &mut o.api_version),
        KubeObject::Node(o) => (&mut o.kind, &mut o.api_version),
        KubeObject::EndpointSlice(o) => (&mut o.kind, &mut o.api_version),
        KubeObject::Endpoints(o) => (&mut o.kind, &mut o.api_version),
    };
    *k = None;
    *v = None;
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::{EndpointSlice, ObjectMeta};
    use crate::wire::Encoding;

    fn es(name: &str, with_tm: bool) -> KubeObject {
        KubeObject::EndpointSlice(EndpointSlice {
            kind: with_tm.then(|| "EndpointSlice".into()),
            api_version: with_tm.then(|| "discovery.k8s.io/v1".into()),
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints: Some(vec![]),
            ports: Some(vec![]),
        })
    }

    /// Sizes agree with the bytes; items lose their kind/apiVersion; empty list is `"items":[]`.
    #[test]
    fn list_sizes_match_bytes() {
        let meta = ListMeta {
            resource_version: Some("100000042".into()),
            ..Default::default()
        };
        for items in [
            vec![],
            vec![es("a", true)],
            vec![es("a", true), es("b<", false)],
        ] {
            let (j, p) = list_sizes("EndpointSlice", "discovery.k8s.io/v1", &meta, &items).unwrap();
            let jb = list_bytes(
                Encoding::Json,
                "EndpointSlice",
                "discovery.k8s.io/v1",
                &meta,
                &items,
            )
            .unwrap();
            let pb = list_bytes(
                Encoding::Protobuf,
                "EndpointSlice",
                "discovery.k8s.io/v1",
                &meta,
                &items,
            )
            .unwrap();
            assert_eq!(j, jb.len());
            assert_eq!(p, pb.len());
            let text = String::from_utf8(jb).unwrap();
            assert!(!text.contains(r#""kind":"EndpointSlice""#), "{text}");
            if items.is_empty() {
                assert_eq!(
                    text,
                    r#"{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"100000042"},"items":[]}"#
                );
            }
        }
        assert!(list_sizes("Pod", "v1", &meta, &[es("a", true)]).is_err());
    }
}
