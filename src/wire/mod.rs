//! Byte-exact JSON and protobuf encodings of Kubernetes objects and watch-stream framing.
//!
//! The four numbers of `tests/data/conformance/README.md` ("Definitions of the four numbers"),
//! checked against all 30 objects of `conformance/wire/sizes.jsonl` (`tests/it/wire_conformance.rs`)
//! and against the upstream sources read for this module:
//! kubernetes/apiserver :: pkg/endpoints/handlers/watch.go :: serveWatchHandler / WatchServer
//! (v0.32.13: stream serializer + framer from the negotiated media type, an embedded encoder for
//! the object), kubernetes/apiserver :: pkg/endpoints/handlers/response.go :: watchEncoder.doEncode
//! (v0.32.13: object encoded by the embedded encoder, placed as `RawExtension.Raw` in a
//! `metav1.WatchEvent`, which the stream encoder writes through the framer), and
//! kubernetes/apimachinery :: pkg/runtime/generated.pb.go :: Unknown.MarshalToSizedBuffer,
//! pkg/apis/meta/v1/generated.pb.go :: WatchEvent.MarshalToSizedBuffer (v0.32.13).
//!
//! 1. **json**: Go `json.Marshal(obj)` with `kind`/`apiVersion` set ([`json::to_vec_go`]).
//!    The apiserver's JSON response body is this plus `\n` (not counted).
//! 2. **protobuf**: magic `6b 38 73 00` (`"k8s\0"`) followed by a `runtime.Unknown` message:
//!    field 1 `typeMeta` {1: apiVersion, 2: kind}, field 2 `raw` = the object's own protobuf
//!    encoding ([`proto`]), fields 3 `contentEncoding` and 4 `contentType`, empty but always
//!    written (non-pointer strings, 2 bytes each):
//!    `4 + (1 + varint(T) + T) + (1 + varint(R) + R) + 4` with
//!    `T = 2 + len(apiVersion) + 2 + len(kind)` ([`envelope_len`]).
//! 3. **jsonWatchEvent**: `{"type":"<TYPE>","object":<json>}` + `\n` (the JSON stream serializer
//!    re-compacts the embedded object and ends with a newline; the JSON framer adds nothing):
//!    `json + len(type) + 22` ([`json_watch_event_len`]).
//! 4. **protobufWatchEvent**: 4-byte big-endian length prefix (length-delimited framer) followed by
//!    the raw (un-enveloped) `metav1.WatchEvent` {1: type, 2: `RawExtension` {1: raw}}, where raw is
//!    the complete protobuf encoding of 2. ([`protobuf_watch_event_len`]).
//!
//! Everything works on any [`WireObject`]: [`KubeObject`] or a borrowed `Service`, `Pod`, `Node`,
//! `EndpointSlice`, `Endpoints`. Size computation ([`sizes`]) never materialises the encoded
//! bytes: JSON is counted through a counting writer and protobuf through [`proto::Counter`]; for
//! slices whose endpoints' sizes are cached, [`endpoint_slice_sizes_from_parts`] adds them up.
//! [`list`] covers `<Kind>List` responses.

pub mod input;
pub mod json;
pub mod list;
pub mod proto;
pub mod tails;

use std::fmt;

use crate::k8s::KubeObject;
use proto::{varint_len, Proto, Sink};

/// The four sizes (bytes) of one object, as in `sizes.jsonl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSizes {
    pub json: usize,
    pub protobuf: usize,
    pub json_watch_event: usize,
    pub protobuf_watch_event: usize,
}

/// Wire encoding (apiserver content type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`
    Json,
    /// `application/vnd.kubernetes.protobuf`
    Protobuf,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "json" => Ok(Encoding::Json),
            "protobuf" => Ok(Encoding::Protobuf),
            o => Err(format!(
                "unknown encoding {o:?} (expected json or protobuf)"
            )),
        }
    }
}

/// Watch event type (`watch.EventType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
    Bookmark,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
            EventType::Bookmark => "BOOKMARK",
        }
    }
}

/// An object that cannot be encoded (e.g. an unparsable timestamp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WireError {}

/// Magic prefix of the Kubernetes protobuf encoding.
pub const PROTOBUF_MAGIC: [u8; 4] = *b"k8s\0";

impl Proto for KubeObject {
    fn encode<S: Sink>(&self, s: &mut S) {
        match self {
            KubeObject::Service(o) => o.encode(s),
            KubeObject::Pod(o) => o.encode(s),
            KubeObject::Node(o) => o.encode(s),
            KubeObject::EndpointSlice(o) => o.encode(s),
            KubeObject::Endpoints(o) => o.encode(s),
        }
    }
}

/// A top-level object the serializers can encode: Go-JSON via serde, protobuf via [`Proto`], and
/// the type meta (`kind`/`apiVersion`) the serializers put on it. Implemented by [`KubeObject`] and
/// by each kind's struct, so hot paths can measure a borrowed `EndpointSlice` without wrapping it.
pub trait WireObject: serde::Serialize + Proto {
    /// The Go kind (`"EndpointSlice"`, …) used when the object's `kind` is empty.
    fn default_kind(&self) -> &'static str;
    /// The API version (`"discovery.k8s.io/v1"`, `"v1"`) used when `apiVersion` is empty.
    fn default_api_version(&self) -> &'static str;
    /// The object's own `kind` and `apiVersion` fields.
    fn type_meta_fields(&self) -> (&Option<String>, &Option<String>);
}

impl WireObject for KubeObject {
    fn default_kind(&self) -> &'static str {
        self.kind()
    }
    fn default_api_version(&self) -> &'static str {
        self.api_version()
    }
    fn type_meta_fields(&self) -> (&Option<String>, &Option<String>) {
        match self {
            KubeObject::Service(o) => o.type_meta_fields(),
            KubeObject::Pod(o) => o.type_meta_fields(),
            KubeObject::Node(o) => o.type_meta_fields(),
            KubeObject::EndpointSlice(o) => o.type_meta_fields(),
            KubeObject::Endpoints(o) => o.type_meta_fields(),
        }
    }
}

macro_rules! wire_object {
    ($t:ty, $kind:literal, $api:literal) => {
        impl WireObject for $t {
            fn default_kind(&self) -> &'static str {
                $kind
            }
            fn default_api_version(&self) -> &'static str {
                $api
            }
            fn type_meta_fields(&self) -> (&Option<String>, &Option<String>) {
                (&self.kind, &self.api_version)
            }
        }
    };
}

wire_object!(crate::k8s::Service, "Service", "v1");
wire_object!(crate::k8s::Pod, "Pod", "v1");
wire_object!(crate::k8s::Node, "Node", "v1");
wire_object!(crate::k8s::Endpoints, "Endpoints", "v1");
wire_object!(
    crate::k8s::EndpointSlice,
    "EndpointSlice",
    "discovery.k8s.io/v1"
);

/// `(kind, apiVersion)` as the serializers see them: the object's own values, or the kind's
/// defaults when empty (the apiserver always sets both before encoding); plus whether each was set.
fn type_meta<T: WireObject + ?Sized>(obj: &T) -> (&str, &str, bool, bool) {
    let (k, v) = obj.type_meta_fields();
    resolve_type_meta(k, v, obj.default_kind(), obj.default_api_version())
}

fn resolve_type_meta<'a>(
    kind: &'a Option<String>,
    api: &'a Option<String>,
    default_kind: &'a str,
    default_api: &'a str,
) -> (&'a str, &'a str, bool, bool) {
    let k = kind.as_deref().filter(|s| !s.is_empty());
    let v = api.as_deref().filter(|s| !s.is_empty());
    (
        k.unwrap_or(default_kind),
        v.unwrap_or(default_api),
        k.is_some(),
        v.is_some(),
    )
}

/// JSON bytes Go adds for a missing `kind`/`apiVersion` (written before `"metadata"`, which is
/// always present, hence the trailing comma).
fn missing_type_meta_json_len(kind: &str, api: &str, k_set: bool, v_set: bool) -> usize {
    let mut n = 0;
    if !k_set {
        n += r#""kind":"","#.len() + kind.len();
    }
    if !v_set {
        n += r#""apiVersion":"","#.len() + api.len();
    }
    n
}

/// Length of `json.Marshal(obj)` with `kind`/`apiVersion` set. When the object lacks them they
/// are accounted for as Go would write them (`"kind":"..","apiVersion":"..",` before
/// `"metadata"`, which is always present).
pub fn json_len<T: WireObject + ?Sized>(obj: &T) -> usize {
    let (kind, api, k_set, v_set) = type_meta(obj);
    json::len_go(obj) + missing_type_meta_json_len(kind, api, k_set, v_set)
}

/// JSON bytes of `obj` (with `kind`/`apiVersion` filled in when missing: both come first in the
/// Go field order, so they are spliced in after `{` or after the `"kind"` member).
pub fn json_bytes<T: WireObject + ?Sized>(obj: &T) -> Vec<u8> {
    let (kind, api, k_set, v_set) = type_meta(obj);
    let body = json::to_vec_go(obj);
    if k_set && v_set {
        return body;
    }
    let mut out = Vec::with_capacity(body.len() + 64);
    let rest = if k_set {
        // `{"kind":<kind>,` stays in front.
        let head = br#"{"kind":"#.len() + json::len_go(kind) + 1;
        out.extend_from_slice(&body[..head]);
        &body[head..]
    } else {
        out.extend_from_slice(br#"{"kind":"#);
        json::write_go(&mut out, kind);
        out.push(b',');
        &body[1..]
    };
    if !v_set {
        out.extend_from_slice(br#""apiVersion":"#);
        json::write_go(&mut out, api);
        out.push(b',');
    }
    out.extend_from_slice(rest);
    out
}

/// Total length of the protobuf envelope (magic + `runtime.Unknown`) around a raw object of
/// `raw_len` bytes with the given type meta.
pub fn envelope_len(api_version: &str, kind: &str, raw_len: usize) -> usize {
    let t = 1
        + varint_len(api_version.len() as u64)
        + api_version.len()
        + 1
        + varint_len(kind.len() as u64)
        + kind.len();
    4 + (1 + varint_len(t as u64) + t) + (1 + varint_len(raw_len as u64) + raw_len) + 2 + 2
}

/// Length of the complete protobuf encoding (magic + envelope + object).
pub fn protobuf_len<T: WireObject + ?Sized>(obj: &T) -> Result<usize, WireError> {
    let (kind, api, _, _) = type_meta(obj);
    let raw = obj.proto_len().map_err(WireError)?;
    Ok(envelope_len(api, kind, raw))
}

struct TypeMetaMsg<'a>(&'a str, &'a str);

impl Proto for TypeMetaMsg<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        proto::bytes(s, 1, self.0.as_bytes());
        proto::bytes(s, 2, self.1.as_bytes());
    }
}

/// Complete protobuf encoding: magic + `runtime.Unknown{typeMeta, raw, "", ""}`.
pub fn protobuf_bytes<T: WireObject + ?Sized>(obj: &T) -> Result<Vec<u8>, WireError> {
    let (kind, api, _, _) = type_meta(obj);
    let raw = obj.proto_bytes().map_err(WireError)?;
    let mut w = proto::Writer {
        buf: Vec::with_capacity(raw.len() + 64),
        err: None,
    };
    w.put(&PROTOBUF_MAGIC);
    proto::message(&mut w, 1, &TypeMetaMsg(api, kind));
    proto::bytes(&mut w, 2, &raw);
    proto::bytes(&mut w, 3, b"");
    proto::bytes(&mut w, 4, b"");
    Ok(w.buf)
}

/// Length of one JSON watch event line for an object whose JSON is `json` bytes long.
pub fn json_watch_event_len(event: EventType, json: usize) -> usize {
    r#"{"type":"","object":}"#.len() + event.as_str().len() + json + 1
}

/// Length of one protobuf watch frame for an object whose protobuf encoding is `protobuf` bytes.
pub fn protobuf_watch_event_len(event: EventType, protobuf: usize) -> usize {
    let e = 1 + varint_len(protobuf as u64) + protobuf; // RawExtension{1: raw}
    let t = event.as_str().len();
    4 + (1 + varint_len(t as u64) + t) + (1 + varint_len(e as u64) + e)
}

/// The four numbers for `obj` (watch events of type `MODIFIED`).
pub fn sizes<T: WireObject + ?Sized>(obj: &T) -> Result<WireSizes, WireError> {
    let json = json_len(obj);
    let protobuf = protobuf_len(obj)?;
    Ok(WireSizes {
        json,
        protobuf,
        json_watch_event: json_watch_event_len(EventType::Modified, json),
        protobuf_watch_event: protobuf_watch_event_len(EventType::Modified, protobuf),
    })
}

/// Bytes of the object in the given encoding (JSON without a trailing newline).
pub fn object_bytes<T: WireObject + ?Sized>(
    encoding: Encoding,
    obj: &T,
) -> Result<Vec<u8>, WireError> {
    match encoding {
        Encoding::Json => Ok(json_bytes(obj)),
        Encoding::Protobuf => protobuf_bytes(obj),
    }
}

/// Size of one watch event of `event` type for `obj` on a stream of the given encoding.
pub fn watch_event_size<T: WireObject + ?Sized>(
    encoding: Encoding,
    event: EventType,
    obj: &T,
) -> Result<usize, WireError> {
    match encoding {
        Encoding::Json => Ok(json_watch_event_len(event, json_len(obj))),
        Encoding::Protobuf => Ok(protobuf_watch_event_len(event, protobuf_len(obj)?)),
    }
}

/// Encoded sizes of one EndpointSlice endpoint, for callers that cache them per endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ItemSizes {
    /// Length of the endpoint's JSON object.
    pub json: usize,
    /// Length of the endpoint's protobuf message body (without tag and length prefix).
    pub protobuf: usize,
}

/// Sizes of one `discovery/v1.Endpoint` (see [`endpoint_slice_sizes_from_parts`]).
pub fn endpoint_item_sizes(e: &crate::k8s::Endpoint) -> ItemSizes {
    ItemSizes {
        json: json::len_go(e),
        // An Endpoint holds no timestamps, so encoding cannot fail.
        protobuf: e.proto_len().unwrap_or_default(),
    }
}

/// The four numbers of an EndpointSlice composed from `base` (the slice with
/// `endpoints: Some(vec![])`, i.e. `"endpoints":[]`) and the cached sizes of its endpoints, in
/// O(number of endpoints) additions instead of re-encoding them:
/// JSON adds each endpoint plus a comma between neighbours; protobuf adds, per endpoint, a field
/// 2 entry `1 + varint(len) + len`.
pub fn endpoint_slice_sizes_from_parts(
    base: &crate::k8s::EndpointSlice,
    items: &[ItemSizes],
) -> Result<WireSizes, WireError> {
    if base.endpoints.as_ref().map_or(true, |e| !e.is_empty()) {
        return Err(WireError(
            "endpoint_slice_sizes_from_parts: base must have `endpoints: Some(vec![])`".into(),
        ));
    }
    let (kind, api, k_set, v_set) = type_meta(base);
    let mut json = json::len_go(base) + missing_type_meta_json_len(kind, api, k_set, v_set);
    let mut raw = base.proto_len().map_err(WireError)?;
    for it in items {
        json += it.json;
        raw += 1 + varint_len(it.protobuf as u64) + it.protobuf;
    }
    json += items.len().saturating_sub(1);
    let protobuf = envelope_len(api, kind, raw);
    Ok(WireSizes {
        json,
        protobuf,
        json_watch_event: json_watch_event_len(EventType::Modified, json),
        protobuf_watch_event: protobuf_watch_event_len(EventType::Modified, protobuf),
    })
}

struct RawExtension<'a>(&'a [u8]);

impl Proto for RawExtension<'_> {
    fn encode<S: Sink>(&self, s: &mut S) {
        proto::bytes(s, 1, self.0);
    }
}

/// The exact bytes one watch event occupies on the stream.
pub fn watch_event_bytes<T: WireObject + ?Sized>(
    encoding: Encoding,
    event: EventType,
    obj: &T,
) -> Result<Vec<u8>, WireError> {
    match encoding {
        Encoding::Json => {
            let body = json_bytes(obj);
            let mut out = Vec::with_capacity(body.len() + 32);
            out.extend_from_slice(br#"{"type":""#);
            out.extend_from_slice(event.as_str().as_bytes());
            out.extend_from_slice(br#"","object":"#);
            out.extend_from_slice(&body);
            out.extend_from_slice(b"}\n");
            Ok(out)
        }
        Encoding::Protobuf => {
            let raw = protobuf_bytes(obj)?;
            let mut w = proto::Writer::default();
            proto::bytes(&mut w, 1, event.as_str().as_bytes());
            proto::message(&mut w, 2, &RawExtension(&raw));
            let len = u32::try_from(w.buf.len())
                .map_err(|_| WireError("watch event larger than 4 GiB".into()))?;
            let mut out = Vec::with_capacity(w.buf.len() + 4);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&w.buf);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::{EndpointSlice, Pod};

    /// README formula: protobuf = 4 + (1 + varint(T) + T) + (1 + varint(R) + R) + 4 with
    /// T = 2 + len(apiVersion) + 2 + len(kind); matches the bytes we build.
    #[test]
    fn envelope_arithmetic() {
        assert_eq!(envelope_len("v1", "Pod", 0), 4 + (1 + 1 + 9) + (1 + 1) + 4);
        assert_eq!(
            envelope_len("discovery.k8s.io/v1", "EndpointSlice", 200),
            4 + 38 + 203 + 4
        );
        let obj = KubeObject::Pod(Pod::default());
        let b = protobuf_bytes(&obj).unwrap();
        assert_eq!(b.len(), protobuf_len(&obj).unwrap());
        assert_eq!(&b[..4], b"k8s\0");
        assert_eq!(&b[4..16], b"\x0a\x09\x0a\x02v1\x12\x03Pod\x12");
        assert_eq!(&b[b.len() - 4..], [0x1a, 0, 0x22, 0]);
    }

    /// JSON watch line = json + len(type) + 22; protobuf frame = 4-byte BE length + WatchEvent.
    #[test]
    fn watch_event_framing() {
        assert_eq!(json_watch_event_len(EventType::Modified, 100), 130);
        assert_eq!(json_watch_event_len(EventType::Added, 100), 127);
        assert_eq!(json_watch_event_len(EventType::Deleted, 100), 129);
        // P = 100: E = 1 + 1 + 100 = 102; 4 + (2 + 8) + (1 + 1 + 102) = 118.
        assert_eq!(protobuf_watch_event_len(EventType::Modified, 100), 118);
        // P = 200 needs a 2-byte varint: E = 1 + 2 + 200 = 203; 4 + 10 + (1 + 2 + 203) = 220.
        assert_eq!(protobuf_watch_event_len(EventType::Modified, 200), 220);
        let obj = KubeObject::EndpointSlice(EndpointSlice {
            kind: Some("EndpointSlice".into()),
            api_version: Some("discovery.k8s.io/v1".into()),
            address_type: "IPv4".into(),
            ..Default::default()
        });
        for ev in [
            EventType::Added,
            EventType::Modified,
            EventType::Deleted,
            EventType::Bookmark,
        ] {
            let j = watch_event_bytes(Encoding::Json, ev, &obj).unwrap();
            assert_eq!(j.len(), watch_event_size(Encoding::Json, ev, &obj).unwrap());
            assert!(j.ends_with(b"}\n"));
            let p = watch_event_bytes(Encoding::Protobuf, ev, &obj).unwrap();
            assert_eq!(
                p.len(),
                watch_event_size(Encoding::Protobuf, ev, &obj).unwrap()
            );
            assert_eq!(
                u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize,
                p.len() - 4
            );
        }
    }

    /// Objects without kind/apiVersion are measured as the apiserver sends them (both set).
    #[test]
    fn missing_type_meta_is_filled_in() {
        let bare = KubeObject::Pod(Pod::default());
        let full = bare.clone().with_type_meta();
        assert_eq!(json_len(&bare), json::to_vec_go(&full).len());
        assert_eq!(json_bytes(&bare), json::to_vec_go(&full));
        assert_eq!(sizes(&bare).unwrap(), sizes(&full).unwrap());
        // Only one of the two missing, and the typed struct without the enum wrapper.
        for (k, v) in [(Some("Pod"), None), (None, Some("v1"))] {
            let p = Pod {
                kind: k.map(String::from),
                api_version: v.map(String::from),
                ..Default::default()
            };
            assert_eq!(json_bytes(&p), json::to_vec_go(&full));
            assert_eq!(json_len(&p), json::to_vec_go(&full).len());
            assert_eq!(sizes(&p).unwrap(), sizes(&full).unwrap());
        }
    }
}
