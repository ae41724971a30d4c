//! Sizes of an Endpoints object from a *shell* (each address list cut to its first element) and
//! the encoded sizes of the addresses cut off, without materialising or encoding the full object.
//!
//! A 20,000-address Endpoints object is about 2 MB; when etcd refuses it (pre-1.22 clusters,
//! `--max-request-bytes`) every sync would build, encode and drop it only to learn its size. The
//! encodings are sums: in Go JSON each further element of an array adds `,` and its own bytes; in
//! protobuf each further element of a repeated field adds its tag (1 byte for fields 1–15), the
//! varint of its length and its body, and the enclosing message's length prefix grows from
//! `varint(shell length)` to `varint(full length)`. Checked against real encodes by
//! `tests/it/endpoints_sized.rs`.

use super::proto::{varint_len, Proto};
use super::{envelope_len, missing_type_meta_json_len, type_meta, ItemSizes, WireError, WireSizes};
use crate::k8s::{EndpointAddress, Endpoints};

/// The elements of one list after its first (which the shell keeps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tail {
    /// Number of elements cut off.
    pub count: usize,
    /// Their JSON bytes, each with the comma before it.
    pub json: usize,
    /// Their protobuf bytes as repeated-field entries (tag + varint length + body).
    pub protobuf: usize,
}

impl Tail {
    /// One more element of the given sizes.
    pub fn add(&mut self, item: ItemSizes) {
        self.count += 1;
        self.json += 1 + item.json;
        self.protobuf += entry_len(item.protobuf);
    }
}

/// What one subset of the shell lacks: its `addresses` and `notReadyAddresses` tails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubsetTail {
    pub addresses: Tail,
    pub not_ready_addresses: Tail,
}

/// A repeated message entry with a one-byte tag: `1 + varint(len) + len`.
pub fn entry_len(body: usize) -> usize {
    1 + varint_len(body as u64) + body
}

/// Encoded sizes of one `core/v1.EndpointAddress` (JSON object, protobuf body).
pub fn address_sizes(a: &EndpointAddress) -> ItemSizes {
    ItemSizes {
        json: super::json::len_go(a),
        // An address holds no timestamps, so encoding cannot fail.
        protobuf: a.proto_len().unwrap_or_default(),
    }
}

/// The four numbers of the full object `shell` stands for: `tails[i]` are the addresses cut from
/// subset `i` of the shell. A tail needs its list present and non-empty in the shell (the element
/// kept is the one the commas follow); anything else is an error, as are more tails than subsets.
pub fn endpoints_sizes_with_tails(
    shell: &Endpoints,
    tails: &[SubsetTail],
) -> Result<WireSizes, WireError> {
    let subsets = shell.subsets.as_deref().unwrap_or(&[]);
    if tails.len() > subsets.len() {
        return Err(WireError(format!(
            "endpoints_sizes_with_tails: {} tails for {} subsets",
            tails.len(),
            subsets.len()
        )));
    }
    let (kind, api, k_set, v_set) = type_meta(shell);
    let mut json = super::json::len_go(shell) + missing_type_meta_json_len(kind, api, k_set, v_set);
    let mut raw = shell.proto_len().map_err(WireError)?;
    for (sub, t) in subsets.iter().zip(tails) {
        for (list, tail, field) in [
            (&sub.addresses, &t.addresses, "addresses"),
            (
                &sub.not_ready_addresses,
                &t.not_ready_addresses,
                "notReadyAddresses",
            ),
        ] {
            if tail.count > 0 && list.as_ref().map_or(true, Vec::is_empty) {
                return Err(WireError(format!(
                    "endpoints_sizes_with_tails: a tail of {} {field} but the shell's list is empty",
                    tail.count
                )));
            }
        }
        let extra = t.addresses.protobuf + t.not_ready_addresses.protobuf;
        if extra > 0 {
            let body = sub.proto_len().map_err(WireError)?;
            raw = raw - entry_len(body) + entry_len(body + extra);
        }
        json += t.addresses.json + t.not_ready_addresses.json;
    }
    let protobuf = envelope_len(api, kind, raw);
    Ok(WireSizes {
        json,
        protobuf,
        json_watch_event: super::json_watch_event_len(super::EventType::Modified, json),
        protobuf_watch_event: super::protobuf_watch_event_len(super::EventType::Modified, protobuf),
    })
}

/// Cut every address list of `full` to its first element: the shell and its tails (the reference
/// the differential tests use; the Endpoints controller builds shells directly).
pub fn split_endpoints(full: &Endpoints) -> (Endpoints, Vec<SubsetTail>) {
    let mut shell = full.clone();
    let mut tails = Vec::new();
    for sub in shell.subsets.iter_mut().flatten() {
        let mut t = SubsetTail::default();
        for (list, tail) in [
            (&mut sub.addresses, &mut t.addresses),
            (&mut sub.not_ready_addresses, &mut t.not_ready_addresses),
        ] {
            if let Some(v) = list.as_mut() {
                for a in v.iter().skip(1) {
                    tail.add(address_sizes(a));
                }
                v.truncate(1);
            }
        }
        tails.push(t);
    }
    (shell, tails)
}
