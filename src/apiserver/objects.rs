//! [`super::StoredObject`] for the `crate::k8s` kinds the controllers write.
//!
//! managedFields: one `kube-controller-manager` / `Update` entry whose
//! `fieldsV1` lists the fields the stored object carries (apimachinery's field
//! manager for an Update by the only writer); its time is the clock of the
//! last write (any update that is not a no-op).
//!
//! "Identical" compares the Go JSON encoding (what the apiserver would store),
//! so `None` and an empty map/list that encode the same are the same.
//! Generation (EndpointSlice only): kubernetes :: pkg/registry/discovery/endpointslice/strategy.go ::
//! PrepareForUpdate — bump when the object outside ObjectMeta differs
//! (apiequality.Semantic.DeepEqual: nil and empty lists equal) or the labels differ.

use serde_json::{Map, Value};

use super::StoredObject;
use crate::k8s;
use crate::sim::lookup_hash::ByWord;
use crate::wire::json::{eq_go, to_vec_go};

/// The manager name the apiserver derives from kube-controller-manager's user agent.
pub const MANAGER: &str = "kube-controller-manager";

/// An object's top-level JSON fields, each kept as its raw encoding.
///
/// Parsing the whole object into a `Value` on every write (and again for the
/// previous object, just to compare) dominated `slicesim run` profiles: an
/// Endpoints/EndpointSlice's `subsets`/`endpoints` array is by far its largest
/// part but only its presence matters for managedFields. Keeping top-level
/// values raw lets us parse only `metadata` and compare the rest byte-wise,
/// falling back to a `Value` comparison only where bytes differ (so the
/// result is exactly the old whole-object `Value` equality).
type TopLevel = std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>;

fn top_level(bytes: &[u8]) -> TopLevel {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// `Value` equality of two top-level field maps (same keys, equal values),
/// without parsing values whose encodings are byte-identical.
///
/// Only `metadata` can hold raw JSON (`managedFields[].fieldsV1`, kept byte-exact), so
/// only there can different bytes still be equal `Value`s. Every other top-level field
/// is the Go encoding of typed data (fixed field order, sorted map keys, integers,
/// one string escaping), so different bytes mean different values: comparing them
/// bytewise gives the same answer as parsing both (which, for the endpoints and
/// subsets arrays, was the most expensive step of a write).
fn same_top_level(a: &TopLevel, b: &TopLevel) -> bool {
    a.len() == b.len()
        && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| {
            ka == kb
                && (va.get() == vb.get()
                    || (ka == "metadata"
                        && serde_json::from_str::<Value>(va.get()).ok()
                            == serde_json::from_str::<Value>(vb.get()).ok()))
        })
}

/// Managed field paths of an object's JSON: top-level fields except
/// kind/apiVersion/metadata/status (atomic: the whole value), and from
/// metadata `generateName`, each annotation and label key, each
/// ownerReference (keyed by uid). Only the paths are needed (no values are
/// cloned: that deep-copied every endpoint on every write).
fn managed_leaves(top: &TopLevel) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (k, v) in top {
        if matches!(k.as_str(), "kind" | "apiVersion" | "metadata" | "status")
            || v.get().trim() == "null"
        {
            continue;
        }
        out.push(vec![format!("f:{k}")]);
    }
    let meta: Value = top
        .get("metadata")
        .and_then(|m| serde_json::from_str(m.get()).ok())
        .unwrap_or(Value::Null);
    if meta.get("generateName").is_some_and(|g| !g.is_null()) {
        out.push(vec!["f:metadata".into(), "f:generateName".into()]);
    }
    for field in ["annotations", "labels"] {
        if let Some(map) = meta.get(field).and_then(Value::as_object) {
            for k in map.keys() {
                out.push(vec![
                    "f:metadata".into(),
                    format!("f:{field}"),
                    format!("f:{k}"),
                ]);
            }
        }
    }
    if let Some(refs) = meta.get("ownerReferences").and_then(Value::as_array) {
        for r in refs {
            let uid = r.get("uid").and_then(Value::as_str).unwrap_or("");
            let key = format!("k:{}", serde_json::json!({ "uid": uid }));
            out.push(vec!["f:metadata".into(), "f:ownerReferences".into(), key]);
        }
    }
    out
}

/// [`managed_leaves`] from the object's top-level fields as the Go JSON encoding shows them
/// (`top`: present and not `null`, sorted, see [`Shells::top_fields`]) and the typed metadata,
/// read as its encoding shows it: `generateName`, `labels`, `annotations` and
/// `ownerReferences` are omitted when empty (`crate::k8s::omit`), each owner reference always
/// carries its `uid`. `owner_key` replaces every owner reference's key (the cache's template).
/// Parsing the metadata's JSON (managedFields included) into a `Value` on every write was most
/// of the cost of managedFields tracking.
fn managed_leaves_typed(
    top: &[&str],
    meta: &k8s::ObjectMeta,
    owner_key: Option<&str>,
) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for k in top {
        if matches!(*k, "kind" | "apiVersion" | "metadata" | "status") {
            continue;
        }
        out.push(vec![format!("f:{k}")]);
    }
    if !k8s::omit::str(&meta.generate_name) {
        out.push(vec!["f:metadata".into(), "f:generateName".into()]);
    }
    for (field, map) in [("annotations", &meta.annotations), ("labels", &meta.labels)] {
        for k in map.iter().flatten().map(|(k, _)| k) {
            out.push(vec![
                "f:metadata".into(),
                format!("f:{field}"),
                format!("f:{k}"),
            ]);
        }
    }
    for r in meta.owner_references.iter().flatten() {
        let key = match owner_key {
            Some(k) => k.to_string(),
            None => owner_leaf(&r.uid),
        };
        out.push(vec!["f:metadata".into(), "f:ownerReferences".into(), key]);
    }
    out
}

/// The managed-field key of an owner reference: `k:{"uid":...}`.
fn owner_leaf(uid: &str) -> String {
    format!("k:{}", serde_json::json!({ "uid": uid }))
}

/// `quoted(&owner_leaf(uid))` appended to `out`: written directly when the uid needs no
/// escaping at either level (every apiserver-made uid: hex digits and dashes), else built as
/// before. Formatting a `json!` value per write showed in profiles.
fn push_quoted_owner_leaf(out: &mut String, uid: &str) {
    if uid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        out.push_str("\"k:{\\\"uid\\\":\\\"");
        out.push_str(uid);
        out.push_str("\\\"}\"");
    } else {
        out.push_str(&serde_json::to_string(&owner_leaf(uid)).expect("a string encodes"));
    }
}

/// The owner key standing for the one owner's in a cached text (see [`fields_v1_text`]).
const TEMPLATE_KEY: &str = "k:{\"uid\":\"slicesim-owner-uid\"}";

/// A cached `fieldsV1` text: whole, or split around the one owner's (template) key.
enum CachedText {
    Whole(String),
    Split(String, String),
}

thread_local! {
    /// `fieldsV1` text by what the leaves are built from ([`leaf_signature`]): objects of a
    /// kind carry a handful of field sets, so building and encoding the `Value` once per set is
    /// enough (a cache only: same text either way). Lookup-only, so hashed word-wise
    /// ([`ByWord`]): every write looks its signature up, and SipHash over it showed.
    static FIELDS_V1: std::cell::RefCell<std::collections::HashMap<Vec<u8>, CachedText, ByWord>> =
        std::cell::RefCell::new(std::collections::HashMap::default());
    /// Scratch buffer of the signature.
    static SIGNATURE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn put_part(out: &mut Vec<u8>, tag: u8, s: &str) {
    out.push(tag);
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Everything [`managed_leaves_typed`] reads, tagged and length-prefixed (so equal signatures
/// mean equal leaves), with one owner's uid left out (`templated`: the text is cached with
/// [`TEMPLATE_KEY`] in its place).
fn leaf_signature(top: &[&str], meta: &k8s::ObjectMeta, templated: bool, out: &mut Vec<u8>) {
    out.clear();
    for k in top {
        put_part(out, b'T', k);
    }
    out.push(u8::from(!k8s::omit::str(&meta.generate_name)));
    for (tag, map) in [(b'A', &meta.annotations), (b'L', &meta.labels)] {
        for k in map.iter().flatten().map(|(k, _)| k) {
            put_part(out, tag, k);
        }
    }
    if templated {
        out.push(b'O');
    } else {
        for r in meta.owner_references.iter().flatten() {
            put_part(out, b'U', &r.uid);
        }
    }
}

/// `fields_v1(&managed_leaves_typed(top, meta, None)).to_string()`, cached by what the leaves
/// are built from. Objects owned by one owner reference (every EndpointSlice: its Service)
/// differ only in that owner's uid, so they share one cached text with the key put in: keyed
/// by uid the cache would hold one entry per Service and miss at 10,000 Services. The key's
/// position cannot move: under `f:ownerReferences` it sits beside only `"."`, which sorts
/// first whatever the uid.
fn fields_v1_text(top: &[&str], meta: &k8s::ObjectMeta) -> String {
    let owners = meta.owner_references.as_ref().map_or(0, Vec::len);
    let templated = owners == 1;
    let quoted = |k: &str| serde_json::to_string(k).expect("a string encodes");
    SIGNATURE.with(|sig| {
        let mut sig = sig.borrow_mut();
        leaf_signature(top, meta, templated, &mut sig);
        FIELDS_V1.with(|c| {
            let mut c = c.borrow_mut();
            if !c.contains_key(sig.as_slice()) {
                let owner_key = templated.then_some(TEMPLATE_KEY);
                let text = fields_v1(&managed_leaves_typed(top, meta, owner_key)).to_string();
                let cached = match templated
                    .then(|| text.find(&quoted(TEMPLATE_KEY)))
                    .flatten()
                {
                    Some(at) => {
                        let rest = &text[at + quoted(TEMPLATE_KEY).len()..];
                        CachedText::Split(text[..at].to_string(), rest.to_string())
                    }
                    None => CachedText::Whole(text),
                };
                if c.len() >= 256 {
                    c.clear();
                }
                c.insert(sig.clone(), cached);
            }
            match &c[sig.as_slice()] {
                CachedText::Whole(t) => t.clone(),
                CachedText::Split(before, after) => {
                    let uid = meta
                        .owner_references
                        .iter()
                        .flatten()
                        .next()
                        .map_or("", |r| r.uid.as_str());
                    let mut t = String::with_capacity(before.len() + uid.len() + 20 + after.len());
                    t.push_str(before);
                    push_quoted_owner_leaf(&mut t, uid);
                    t.push_str(after);
                    t
                }
            }
        })
    })
}

/// `fieldsV1` of the leaves: nested maps, `"."` marking a map/list that is
/// itself owned (annotations, labels, ownerReferences).
fn fields_v1(leaves: &[Vec<String>]) -> Value {
    let mut root = Map::new();
    for path in leaves {
        let mut cur = &mut root;
        for (i, seg) in path.iter().enumerate() {
            let entry = cur
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(next) = entry else { break };
            if i == 1 && path.len() == 3 {
                next.entry(".".to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
            }
            cur = next;
        }
    }
    Value::Object(root)
}

/// Recompute the controller manager's managedFields entry from full encodings (the reference
/// the store's [`super::EncodedDiff`] path must match; see `tests/it/store_diff.rs`).
fn track(
    new_bytes: &[u8],
    prev_bytes: Option<&[u8]>,
    api_version: &str,
    now: &str,
    previous_entry: Option<&k8s::ManagedFieldsEntry>,
) -> Option<Vec<k8s::ManagedFieldsEntry>> {
    let new = top_level(new_bytes);
    // Any write (no-op updates never get here) restamps the entry: the
    // conformance data shows a removal-only update (trigger-time annotation
    // dropped from an over-capacity Endpoints) moving the time.
    let changed = match prev_bytes {
        None => true,
        Some(p) => p != new_bytes && !same_top_level(&top_level(p), &new),
    };
    let leaves = managed_leaves(&new);
    entry(
        &fields_v1(&leaves).to_string(),
        changed,
        api_version,
        now,
        previous_entry,
    )
}

/// The managedFields entry with `fieldsV1` text `fields` (from the object's managed leaves:
/// only which top-level fields are present and non-null, and `metadata`, matter — a shell with
/// its large arrays cut to one element gives the same entry), restamped to `now` when `changed`.
fn entry(
    fields: &str,
    changed: bool,
    api_version: &str,
    now: &str,
    previous_entry: Option<&k8s::ManagedFieldsEntry>,
) -> Option<Vec<k8s::ManagedFieldsEntry>> {
    let raw = k8s::ManagedFieldsEntry::raw_fields(fields).ok()?;
    Some(own_entry_of(
        api_version,
        stamp(changed, now, previous_entry),
        raw,
    ))
}

/// [`entry`] from the object's own entry, borrowed: its `fieldsV1` is taken over when the text
/// is the same (a copy, without validating the JSON again; `RawValue` keeps the text as given).
fn entry_reusing(
    fields: &str,
    changed: bool,
    api_version: &str,
    now: &str,
    previous_entry: Option<&k8s::ManagedFieldsEntry>,
) -> Option<Vec<k8s::ManagedFieldsEntry>> {
    let raw = match previous_entry.and_then(|e| e.fields_v1.as_ref()) {
        Some(r) if r.get() == fields => r.clone(),
        _ => k8s::ManagedFieldsEntry::raw_fields(fields).ok()?,
    };
    Some(own_entry_of(
        api_version,
        stamp(changed, now, previous_entry),
        raw,
    ))
}

/// [`entry_reusing`] in place when the object already carries exactly that one entry but for
/// its time (an update inheriting the stored managedFields, the usual write): only the time
/// moves, nothing is rebuilt. False (nothing touched) otherwise.
fn restamp_own_entry(
    mf: &mut Option<Vec<k8s::ManagedFieldsEntry>>,
    fields: &str,
    changed: bool,
    api_version: &str,
    now: &str,
) -> bool {
    let Some([e]) = mf.as_deref_mut() else {
        return false;
    };
    let same = e.manager.as_deref() == Some(MANAGER)
        && e.operation.as_deref() == Some("Update")
        && e.api_version.as_deref() == Some(api_version)
        && e.fields_type.as_deref() == Some("FieldsV1")
        && e.subresource.is_none()
        && e.fields_v1.as_ref().is_some_and(|r| r.get() == fields);
    if !same {
        return false;
    }
    // As `stamp` with this entry as the previous one: `now` on a change, else kept.
    if changed {
        match &mut e.time {
            Some(t) if t == now => {}
            Some(t) => {
                t.clear();
                t.push_str(now);
            }
            None => e.time = Some(now.to_string()),
        }
    }
    true
}

/// The entry's time: `now` on a change (or a first write), else the previous entry's.
fn stamp(
    changed: bool,
    now: &str,
    previous_entry: Option<&k8s::ManagedFieldsEntry>,
) -> Option<String> {
    if changed || previous_entry.is_none() {
        Some(now.to_string())
    } else {
        previous_entry.and_then(|e| e.time.clone())
    }
}

/// The controller manager's single `Update` entry.
fn own_entry_of(
    api_version: &str,
    time: Option<String>,
    raw: std::sync::Arc<serde_json::value::RawValue>,
) -> Vec<k8s::ManagedFieldsEntry> {
    vec![k8s::ManagedFieldsEntry {
        manager: Some(constant(MANAGER)),
        operation: Some(constant("Update")),
        api_version: Some(constant(api_version)),
        time,
        fields_type: Some(constant("FieldsV1")),
        fields_v1: Some(raw),
        subresource: None,
    }]
}

thread_local! {
    /// The few constant texts of the controller manager's entry (manager, operation, field
    /// type, each kind's API version), shared by every entry. Lookup-only, never iterated.
    static CONSTANTS: std::cell::RefCell<Vec<std::sync::Arc<str>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The shared copy of the constant text `s` (see [`CONSTANTS`]).
fn constant(s: &str) -> std::sync::Arc<str> {
    CONSTANTS.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(t) = c.iter().find(|t| &***t == s) {
            return t.clone();
        }
        let t: std::sync::Arc<str> = s.into();
        if c.len() < 16 {
            c.push(t.clone());
        }
        t
    })
}

/// Top-level fields of an object's Go JSON encoding that are present and not `null`, sorted,
/// `kind`, `apiVersion` and `metadata` aside: what [`top_level`] of the encoding lists
/// (`objects::tests::top_fields_are_the_encoded_ones` holds the two together).
struct TopFields {
    names: [&'static str; 3],
    len: usize,
}

impl TopFields {
    fn of(fields: &[(&'static str, bool)]) -> Self {
        let mut t = TopFields {
            names: [""; 3],
            len: 0,
        };
        for &(name, present) in fields {
            if present {
                t.names[t.len] = name;
                t.len += 1;
            }
        }
        t
    }
}

impl std::ops::Deref for TopFields {
    type Target = [&'static str];
    fn deref(&self) -> &[&'static str] {
        &self.names[..self.len]
    }
}

/// Go-JSON equality of two lists element by element: equal lengths, and each pair structurally
/// equal (same value, same encoding) or encoding to the same bytes. A JSON array is its elements
/// joined by commas, so this is exactly "the arrays encode to the same bytes".
///
/// Structurally unequal elements are encoded only when [`SurelyDiffers`] cannot tell.
fn same_list<T: serde::Serialize + PartialEq + SurelyDiffers>(
    a: Option<&Vec<T>>,
    b: Option<&Vec<T>>,
) -> bool {
    let (a, b) = (
        a.map_or(&[][..], Vec::as_slice),
        b.map_or(&[][..], Vec::as_slice),
    );
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (!x.surely_differs(y) && eq_go(x, y)))
}

/// A cheap sufficient test that two values encode to different bytes: a field whose encoding
/// is injective (its value, and whether it is written at all) differs. Equal bytes parse to
/// equal JSON objects (same keys, same values), so such a difference rules them out; false
/// says nothing. Saves encoding the changed elements of a list (a pod's endpoint turning
/// ready, a replaced address) just to find them different.
trait SurelyDiffers {
    fn surely_differs(&self, other: &Self) -> bool;
}

/// `addresses` is always written (`null` or an array of strings), `conditions` always as an
/// object of optional booleans; `hostname`, `nodeName` and `zone` are written iff `Some`.
/// (`targetRef`, `deprecatedTopology` and `hints` omit empty parts: not injective.)
impl SurelyDiffers for k8s::Endpoint {
    fn surely_differs(&self, o: &Self) -> bool {
        self.addresses != o.addresses
            || self.conditions != o.conditions
            || self.hostname != o.hostname
            || self.node_name != o.node_name
            || self.zone != o.zone
    }
}

/// `ip` is always written, `nodeName` iff `Some` (`hostname` omits `""`: not injective).
impl SurelyDiffers for k8s::EndpointAddress {
    fn surely_differs(&self, o: &Self) -> bool {
        self.ip != o.ip || self.node_name != o.node_name
    }
}

impl<T: SurelyDiffers> SurelyDiffers for k8s::SharedValue<T> {
    fn surely_differs(&self, o: &Self) -> bool {
        (**self).surely_differs(o)
    }
}

/// The first elements of two lists that are both written (as arrays) surely encode
/// differently: one list is empty and the other not, or both first elements surely differ.
fn first_surely_differs<T: SurelyDiffers>(a: &[T], b: &[T]) -> bool {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) => x.surely_differs(y),
        (None, None) => false,
        _ => true,
    }
}

/// `first(a) == first(b)` without copying the elements.
fn same_first<T: PartialEq>(a: &Option<Vec<T>>, b: &Option<Vec<T>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.first() == b.first(),
        _ => false,
    }
}

/// A list cut to its first element: encodes `null`/absent, `[]` or a non-empty array exactly
/// when the full list does, so shells compare presence and the small fields around the list.
fn first<T: Clone>(v: &Option<Vec<T>>) -> Option<Vec<T>> {
    v.as_ref().map(|v| v.iter().take(1).cloned().collect())
}

/// The parts of a kind [`super::EncodedDiff`] is computed from.
trait Shells: Sized + serde::Serialize {
    /// The object with metadata emptied (if `keep_metadata` is false) and large lists cut to
    /// their first element (see [`first`]).
    fn shell(&self, keep_metadata: bool) -> Self;
    /// `shell(false)` of both is structurally equal (so encodes to the same bytes), found
    /// without building either shell.
    fn same_shell(&self, other: &Self) -> bool;
    /// `shell(false)` of both surely encodes to different bytes (see [`SurelyDiffers`]);
    /// false says nothing.
    fn shell_surely_differs(&self, other: &Self) -> bool;
    /// The large lists encode identically (given equal shells).
    fn same_lists(&self, other: &Self) -> bool;
    fn meta(&self) -> &k8s::ObjectMeta;
    /// See [`TopFields`].
    fn top_fields(&self) -> TopFields;
    /// The controller manager's managedFields entry, borrowed.
    fn own(&self) -> Option<&k8s::ManagedFieldsEntry> {
        self.meta()
            .managed_fields
            .as_ref()
            .and_then(|m| m.iter().find(|e| e.manager.as_deref() == Some(MANAGER)))
    }
}

impl Shells for k8s::EndpointSlice {
    fn shell(&self, keep_metadata: bool) -> Self {
        k8s::EndpointSlice {
            kind: self.kind.clone(),
            api_version: self.api_version.clone(),
            metadata: if keep_metadata {
                self.metadata.clone()
            } else {
                k8s::ObjectMeta::default()
            },
            address_type: self.address_type.clone(),
            endpoints: first(&self.endpoints),
            ports: self.ports.clone(),
        }
    }
    fn same_shell(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.api_version == o.api_version
            && self.address_type == o.address_type
            && same_first(&self.endpoints, &o.endpoints)
            && self.ports == o.ports
    }
    /// `addressType` is always written, and so is `endpoints` (`null` or an array).
    fn shell_surely_differs(&self, o: &Self) -> bool {
        self.address_type != o.address_type
            || match (&self.endpoints, &o.endpoints) {
                (None, None) => false,
                (Some(a), Some(b)) => first_surely_differs(a, b),
                _ => true,
            }
    }
    fn same_lists(&self, other: &Self) -> bool {
        same_list(self.endpoints.as_ref(), other.endpoints.as_ref())
    }
    fn meta(&self) -> &k8s::ObjectMeta {
        &self.metadata
    }
    /// `addressType` is always written; the lists are `null` when nil.
    fn top_fields(&self) -> TopFields {
        TopFields::of(&[
            ("addressType", true),
            ("endpoints", self.endpoints.is_some()),
            ("ports", self.ports.is_some()),
        ])
    }
}

/// `subset_shell(a)` and `subset_shell(b)` surely encode differently: `addresses` and
/// `notReadyAddresses` are written iff non-empty.
fn subset_shell_surely_differs(a: &k8s::EndpointSubset, b: &k8s::EndpointSubset) -> bool {
    type Addresses = Option<Vec<k8s::SharedValue<k8s::EndpointAddress>>>;
    let differ = |x: &Addresses, y: &Addresses| {
        first_surely_differs(x.as_deref().unwrap_or(&[]), y.as_deref().unwrap_or(&[]))
    };
    differ(&a.addresses, &b.addresses) || differ(&a.not_ready_addresses, &b.not_ready_addresses)
}

/// `subset_shell(a) == subset_shell(b)` without building either.
fn same_subset_shell(a: &k8s::EndpointSubset, b: &k8s::EndpointSubset) -> bool {
    same_first(&a.addresses, &b.addresses)
        && same_first(&a.not_ready_addresses, &b.not_ready_addresses)
        && a.ports == b.ports
}

fn subset_shell(s: &k8s::EndpointSubset) -> k8s::EndpointSubset {
    k8s::EndpointSubset {
        addresses: first(&s.addresses),
        not_ready_addresses: first(&s.not_ready_addresses),
        ports: s.ports.clone(),
    }
}

impl Shells for k8s::Endpoints {
    fn shell(&self, keep_metadata: bool) -> Self {
        k8s::Endpoints {
            kind: self.kind.clone(),
            api_version: self.api_version.clone(),
            metadata: if keep_metadata {
                self.metadata.clone()
            } else {
                k8s::ObjectMeta::default()
            },
            subsets: self
                .subsets
                .as_ref()
                .map(|v| v.iter().take(1).map(subset_shell).collect()),
        }
    }
    fn same_lists(&self, other: &Self) -> bool {
        let (a, b) = (
            self.subsets.as_deref().unwrap_or(&[]),
            other.subsets.as_deref().unwrap_or(&[]),
        );
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x == y
                    || ((same_subset_shell(x, y)
                        || (!subset_shell_surely_differs(x, y)
                            && eq_go(&subset_shell(x), &subset_shell(y))))
                        && same_list(x.addresses.as_ref(), y.addresses.as_ref())
                        && same_list(
                            x.not_ready_addresses.as_ref(),
                            y.not_ready_addresses.as_ref(),
                        ))
            })
    }
    fn same_shell(&self, o: &Self) -> bool {
        self.kind == o.kind
            && self.api_version == o.api_version
            && match (&self.subsets, &o.subsets) {
                (None, None) => true,
                (Some(a), Some(b)) => match (a.first(), b.first()) {
                    (None, None) => true,
                    (Some(x), Some(y)) => same_subset_shell(x, y),
                    _ => false,
                },
                _ => false,
            }
    }
    /// `subsets` is written iff non-empty.
    fn shell_surely_differs(&self, o: &Self) -> bool {
        let (a, b) = (
            self.subsets.as_deref().unwrap_or(&[]),
            o.subsets.as_deref().unwrap_or(&[]),
        );
        match (a.first(), b.first()) {
            (Some(x), Some(y)) => subset_shell_surely_differs(x, y),
            (None, None) => false,
            _ => true,
        }
    }
    fn meta(&self) -> &k8s::ObjectMeta {
        &self.metadata
    }
    /// `subsets` is omitted when nil or empty.
    fn top_fields(&self) -> TopFields {
        TopFields::of(&[("subsets", !k8s::omit::vec(&self.subsets))])
    }
}

/// [`super::EncodedDiff`] of `a` against `b` from shells and list elements. The metadata is
/// compared only when the rest is the same (otherwise the update is neither a no-op nor
/// unchanged, whatever the metadata: [`super::EncodedDiff::identical`] and
/// [`super::EncodedDiff::changed`] read it only then), and structurally equal metadata is the
/// same bytes without encoding either (the encoding is a function of the value). Encoding both
/// metadata on every write cost as much as the rest of the test (kep752-20k-endpoints).
///
/// Structurally equal shells encode alike, so shells are encoded only when they differ (the
/// usual write changes list elements past the first, or metadata only).
fn encoded_diff<T: Shells>(a: &T, b: &T) -> super::EncodedDiff {
    let rest_same = (a.same_shell(b)
        || (!a.shell_surely_differs(b) && eq_go(&a.shell(false), &b.shell(false))))
        && a.same_lists(b);
    if !rest_same {
        return super::EncodedDiff {
            metadata_same: false,
            metadata_equal_value: false,
            rest_same,
        };
    }
    if a.meta() == b.meta() {
        return super::EncodedDiff {
            metadata_same: true,
            metadata_equal_value: true,
            rest_same,
        };
    }
    let metadata_same = eq_go(a.meta(), b.meta());
    // Only raw JSON (`managedFields[].fieldsV1`) lets different metadata bytes be equal values.
    let metadata_equal_value = metadata_same || {
        let (ma, mb) = (to_vec_go(a.meta()), to_vec_go(b.meta()));
        serde_json::from_slice::<Value>(&ma).ok() == serde_json::from_slice::<Value>(&mb).ok()
    };
    super::EncodedDiff {
        metadata_same,
        metadata_equal_value,
        rest_same,
    }
}

macro_rules! meta_accessors {
    () => {
        fn namespace(&self) -> &str {
            self.metadata.namespace.as_deref().unwrap_or("")
        }
        fn name(&self) -> &str {
            self.metadata.name.as_deref().unwrap_or("")
        }
        fn set_name(&mut self, name: String) {
            self.metadata.name = Some(name);
        }
        fn generate_name(&self) -> &str {
            self.metadata.generate_name.as_deref().unwrap_or("")
        }
        fn uid(&self) -> &str {
            self.metadata.uid.as_deref().unwrap_or("")
        }
        fn set_uid(&mut self, uid: String) {
            self.metadata.uid = Some(uid).filter(|u| !u.is_empty());
        }
        fn creation_timestamp(&self) -> Option<&str> {
            self.metadata.creation_timestamp.as_deref()
        }
        fn set_creation_timestamp(&mut self, ts: Option<String>) {
            self.metadata.creation_timestamp = ts;
        }
        fn resource_version(&self) -> &str {
            self.metadata.resource_version.as_deref().unwrap_or("")
        }
        fn set_resource_version(&mut self, rv: String) {
            self.metadata.resource_version = Some(rv).filter(|r| !r.is_empty());
        }
        fn generation(&self) -> Option<i64> {
            self.metadata.generation
        }
        fn set_generation(&mut self, g: Option<i64>) {
            self.metadata.generation = g;
        }
        fn identical(&self, other: &Self) -> bool {
            to_vec_go(self) == to_vec_go(other)
        }
        fn sent_fields(&self) -> Option<k8s::ObjectMeta> {
            let m = &self.metadata;
            Some(k8s::ObjectMeta {
                name: m.name.clone(),
                uid: m.uid.clone(),
                creation_timestamp: m.creation_timestamp.clone(),
                resource_version: m.resource_version.clone(),
                generation: m.generation,
                managed_fields: m.managed_fields.clone(),
                ..Default::default()
            })
        }
        fn take_sent_fields(&mut self) -> Option<k8s::ObjectMeta> {
            let m = &mut self.metadata;
            Some(k8s::ObjectMeta {
                name: m.name.clone(),
                uid: m.uid.take(),
                creation_timestamp: m.creation_timestamp.take(),
                resource_version: m.resource_version.take(),
                generation: m.generation,
                managed_fields: m.managed_fields.clone(),
                ..Default::default()
            })
        }
        fn restore_sent_fields(&mut self, sent: k8s::ObjectMeta) {
            let m = &mut self.metadata;
            m.name = sent.name;
            m.uid = sent.uid;
            m.creation_timestamp = sent.creation_timestamp;
            m.resource_version = sent.resource_version;
            m.generation = sent.generation;
            m.managed_fields = sent.managed_fields;
        }
        fn inherit_managed_fields(&mut self, from: &Self) {
            if self
                .metadata
                .managed_fields
                .as_ref()
                .map_or(true, Vec::is_empty)
            {
                self.metadata.managed_fields = from.metadata.managed_fields.clone();
            }
        }
        fn encoded_diff(&self, stored: &Self) -> Option<super::EncodedDiff> {
            Some(encoded_diff(self, stored))
        }
        fn track_managed_fields_diff(
            &mut self,
            previous: Option<(&Self, super::EncodedDiff)>,
            now: &str,
        ) {
            let changed = previous.map_or(true, |(_, d)| d.changed());
            let fields = fields_v1_text(&self.top_fields(), &self.metadata);
            let api = Self::API_VERSION;
            if restamp_own_entry(
                &mut self.metadata.managed_fields,
                &fields,
                changed,
                api,
                now,
            ) {
                return;
            }
            let mf = entry_reusing(&fields, changed, Self::API_VERSION, now, self.own());
            self.metadata.managed_fields = mf;
        }
        /// The reference: managedFields from the two full encodings.
        fn track_managed_fields(&mut self, previous: Option<&Self>, now: &str) {
            let prev_bytes = previous.map(to_vec_go);
            let self_bytes = to_vec_go(self);
            let mf = track(
                &self_bytes,
                prev_bytes.as_deref(),
                Self::API_VERSION,
                now,
                self.own_entry().as_ref(),
            );
            self.metadata.managed_fields = mf;
        }
    };
}

/// The controller manager's current managedFields entry of an object.
trait OwnEntry {
    fn own_entry(&self) -> Option<k8s::ManagedFieldsEntry>;
}

impl<T: Shells> OwnEntry for T {
    fn own_entry(&self) -> Option<k8s::ManagedFieldsEntry> {
        self.own().cloned()
    }
}

trait ApiVersion {
    const API_VERSION: &'static str;
}
impl ApiVersion for k8s::EndpointSlice {
    const API_VERSION: &'static str = "discovery.k8s.io/v1";
}
impl ApiVersion for k8s::Endpoints {
    const API_VERSION: &'static str = "v1";
}

impl StoredObject for k8s::EndpointSlice {
    meta_accessors!();
    fn uses_generation() -> bool {
        true
    }
    fn same_generation_content(&self, other: &Self) -> bool {
        self.address_type == other.address_type
            && self.endpoint_list() == other.endpoint_list()
            && self.port_list() == other.port_list()
            && labels_or_empty(&self.metadata) == labels_or_empty(&other.metadata)
    }
}

/// An object's labels, none read as no labels (Semantic.DeepEqual's nil = empty map), borrowed:
/// every slice update compares them.
fn labels_or_empty(meta: &k8s::ObjectMeta) -> &std::collections::BTreeMap<String, String> {
    static EMPTY: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    meta.labels.as_ref().unwrap_or(&EMPTY)
}

impl StoredObject for k8s::Endpoints {
    meta_accessors!();
    /// kubernetes :: pkg/registry/core/endpoint/strategy.go :: endpointsStrategy.Canonicalize
    /// (subsets = RepackSubsets(subsets)).
    fn canonicalize(&mut self) {
        crate::k8s::repack::canonicalize_endpoints(self);
    }
    fn uses_generation() -> bool {
        false
    }
    fn same_generation_content(&self, _other: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn meta(owners: &[&str], labels: &[&str], annotations: &[&str], gen: bool) -> k8s::ObjectMeta {
        let map = |keys: &[&str]| {
            (!keys.is_empty()).then(|| {
                keys.iter()
                    .map(|k| (k.to_string(), "v".to_string()))
                    .collect::<BTreeMap<_, _>>()
            })
        };
        k8s::ObjectMeta {
            generate_name: gen.then(|| "app-".to_string()),
            labels: map(labels),
            annotations: map(annotations),
            owner_references: (!owners.is_empty()).then(|| {
                owners
                    .iter()
                    .map(|u| k8s::OwnerReference {
                        uid: u.to_string(),
                        ..Default::default()
                    })
                    .collect()
            }),
            ..Default::default()
        }
    }

    /// The cached text (with one owner's uid put in a shared template) is the text built from
    /// the leaves themselves, for any uid, one owner or several, any labels and annotations,
    /// in any order of calls.
    #[test]
    fn cached_text_is_the_built_text() {
        let uids = [
            "6b2518b1-9359-4df3-a021-97d77a6a90b1",
            "",
            "a\"quoted\\uid",
            "slicesim-owner-uid",
            "!",
            "~~~",
            "ünï",
        ];
        let tops: [&[&str]; 3] = [&["addressType", "endpoints"], &["subsets"], &[]];
        let label_sets: [&[&str]; 3] = [
            &["kubernetes.io/service-name"],
            &[
                "endpointslice.kubernetes.io/managed-by",
                "kubernetes.io/service-name",
            ],
            &[],
        ];
        let annotation_sets: [&[&str]; 2] =
            [&["endpoints.kubernetes.io/last-change-trigger-time"], &[]];
        for round in 0..2 {
            for top in tops {
                for labels in label_sets {
                    for annotations in annotation_sets {
                        let mut owner_sets: Vec<Vec<&str>> =
                            uids.iter().map(|u| vec![*u]).collect();
                        owner_sets.push(vec![uids[0], uids[4]]);
                        owner_sets.push(vec![uids[5], uids[0]]);
                        owner_sets.push(vec![]);
                        for owners in owner_sets {
                            for gen in [false, true] {
                                let m = meta(&owners, labels, annotations, gen);
                                let built =
                                    fields_v1(&managed_leaves_typed(top, &m, None)).to_string();
                                assert_eq!(
                                    fields_v1_text(top, &m),
                                    built,
                                    "round {round} top {top:?} owners {owners:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn small_str() -> impl proptest::strategy::Strategy<Value = Option<String>> {
        use proptest::prelude::*;
        prop::option::of(prop::sample::select(vec!["", "a", "b<", "Pod"]).prop_map(String::from))
    }

    fn endpoint() -> impl proptest::strategy::Strategy<Value = k8s::Endpoint> {
        use proptest::prelude::*;
        let b = || prop::option::of(any::<bool>());
        (
            prop::option::of(prop::collection::vec(
                prop::sample::select(vec!["10.0.0.1", "10.0.0.2", ""]).prop_map(String::from),
                0..3,
            )),
            (b(), b(), b()),
            (small_str(), small_str(), small_str()),
            prop::option::of((small_str(), small_str())),
        )
            .prop_map(
                |(addresses, (ready, serving, terminating), (h, n, z), tr)| k8s::Endpoint {
                    addresses,
                    conditions: k8s::EndpointConditions {
                        ready,
                        serving,
                        terminating,
                    },
                    hostname: h,
                    node_name: n.map(Into::into),
                    zone: z.map(Into::into),
                    target_ref: tr.map(|(kind, name)| k8s::ObjectReference {
                        kind: kind.map(Into::into),
                        name: name.map(Into::into),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
    }

    fn address() -> impl proptest::strategy::Strategy<Value = k8s::EndpointAddress> {
        use proptest::prelude::*;
        (
            prop::sample::select(vec!["10.0.0.1", "10.0.0.2", ""]).prop_map(String::from),
            small_str(),
            small_str(),
            prop::option::of(small_str()),
        )
            .prop_map(|(ip, hostname, node_name, tr)| k8s::EndpointAddress {
                ip,
                hostname,
                node_name: node_name.map(Into::into),
                target_ref: tr.map(|name| k8s::ObjectReference {
                    name: name.map(Into::into),
                    ..Default::default()
                }),
            })
    }

    proptest::proptest! {
        /// `surely_differs` only answers true for values whose encodings differ.
        #[test]
        fn surely_differs_means_encodings_differ(
            a in endpoint(), b in endpoint(), x in address(), y in address()
        ) {
            if a.surely_differs(&b) {
                proptest::prop_assert_ne!(to_vec_go(&a), to_vec_go(&b));
            }
            if x.surely_differs(&y) {
                proptest::prop_assert_ne!(to_vec_go(&x), to_vec_go(&y));
            }
        }

        /// `same_shell` only answers true for shells that encode alike; `eq_go` is the byte
        /// comparison.
        #[test]
        fn same_shell_means_same_shell_bytes(
            a in proptest::option::of(proptest::collection::vec(endpoint(), 0..2)),
            b in proptest::option::of(proptest::collection::vec(endpoint(), 0..2)),
            x in proptest::option::of(proptest::collection::vec(address(), 0..2)),
            y in proptest::option::of(proptest::collection::vec(address(), 0..2)),
        ) {
            let slice = |e: Option<Vec<k8s::Endpoint>>| k8s::EndpointSlice {
                address_type: "IPv4".into(),
                endpoints: e.map(k8s::SharedValue::all),
                ..Default::default()
            };
            let (sa, sb) = (slice(a), slice(b));
            if sa.same_shell(&sb) {
                proptest::prop_assert_eq!(to_vec_go(&sa.shell(false)), to_vec_go(&sb.shell(false)));
            }
            if sa.shell_surely_differs(&sb) {
                proptest::prop_assert_ne!(to_vec_go(&sa.shell(false)), to_vec_go(&sb.shell(false)));
            }
            let ep = |v: Option<Vec<k8s::EndpointAddress>>| k8s::Endpoints {
                subsets: Some(vec![k8s::EndpointSubset {
                    addresses: v.map(k8s::SharedValue::all),
                    ..Default::default()
                }]),
                ..Default::default()
            };
            let (ea, eb) = (ep(x), ep(y));
            if ea.same_shell(&eb) {
                proptest::prop_assert_eq!(to_vec_go(&ea.shell(false)), to_vec_go(&eb.shell(false)));
            }
            if ea.shell_surely_differs(&eb) {
                proptest::prop_assert_ne!(to_vec_go(&ea.shell(false)), to_vec_go(&eb.shell(false)));
            }
            proptest::prop_assert_eq!(eq_go(&sa, &sb), to_vec_go(&sa) == to_vec_go(&sb));
            proptest::prop_assert_eq!(eq_go(&ea, &eb), to_vec_go(&ea) == to_vec_go(&eb));
        }
    }

    /// The typed top-level fields are those of the encoding (present, not null), for nil,
    /// empty and non-empty lists of both kinds.
    #[test]
    fn top_fields_are_the_encoded_ones() {
        fn encoded<T: Shells>(o: &T) -> Vec<String> {
            top_level(&to_vec_go(&o.shell(false)))
                .into_iter()
                .filter(|(k, v)| {
                    !matches!(k.as_str(), "kind" | "apiVersion" | "metadata")
                        && v.get().trim() != "null"
                })
                .map(|(k, _)| k)
                .collect()
        }
        fn lists<T: Clone + Default>(n: Option<usize>) -> Option<Vec<T>> {
            n.map(|n| vec![T::default(); n])
        }
        for e in [None, Some(0), Some(2)] {
            for p in [None, Some(0), Some(1)] {
                for at in ["", "IPv4"] {
                    let s = k8s::EndpointSlice {
                        kind: Some("EndpointSlice".into()),
                        api_version: Some("discovery.k8s.io/v1".into()),
                        address_type: at.into(),
                        endpoints: lists(e),
                        ports: lists(p),
                        ..Default::default()
                    };
                    assert_eq!(s.top_fields().to_vec(), encoded(&s), "{e:?} {p:?} {at:?}");
                }
            }
            let ep = k8s::Endpoints {
                subsets: lists(e),
                ..Default::default()
            };
            assert_eq!(ep.top_fields().to_vec(), encoded(&ep), "{e:?}");
        }
    }
}
