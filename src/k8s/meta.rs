//! apimachinery `meta/v1` types: ObjectMeta, OwnerReference, ManagedFieldsEntry, ListMeta, Condition.
//!
//! Field order, JSON names and omitempty follow
//! `kubernetes/apimachinery :: pkg/apis/meta/v1/types.go (v0.32.13)`.
//! Convention used across `crate::k8s` (see the module docs): Go value fields with `omitempty` and
//! Go pointers are `Option<T>`; Go value fields without `omitempty` are plain `T`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::omit;

/// `metav1.ObjectMeta`.
///
/// `creation_timestamp` is a non-pointer `metav1.Time`: Go's `omitempty` never omits a struct, and a
/// zero `Time` marshals as JSON `null`, so it is always written (`None` = `null`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub generate_name: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub self_link: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub resource_version: Option<String>,
    #[serde(default, skip_serializing_if = "omit::i64")]
    pub generation: Option<i64>,
    /// RFC 3339 string as given; `None` is Go's zero `Time` (`null`).
    #[serde(default)]
    pub creation_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "omit::map")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub owner_references: Option<Vec<OwnerReference>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub finalizers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "omit::vec")]
    pub managed_fields: Option<Vec<ManagedFieldsEntry>>,
}

impl ObjectMeta {
    /// A copy but for its labels (`None`), for writers that replace the labels anyway (the
    /// Endpoints and EndpointSlice controllers): every field is listed, so a new one is not
    /// silently dropped.
    pub fn without_labels(&self) -> ObjectMeta {
        let ObjectMeta {
            name,
            generate_name,
            namespace,
            self_link,
            uid,
            resource_version,
            generation,
            creation_timestamp,
            deletion_timestamp,
            deletion_grace_period_seconds,
            labels: _,
            annotations,
            owner_references,
            finalizers,
            managed_fields,
        } = self;
        ObjectMeta {
            name: name.clone(),
            generate_name: generate_name.clone(),
            namespace: namespace.clone(),
            self_link: self_link.clone(),
            uid: uid.clone(),
            resource_version: resource_version.clone(),
            generation: *generation,
            creation_timestamp: creation_timestamp.clone(),
            deletion_timestamp: deletion_timestamp.clone(),
            deletion_grace_period_seconds: *deletion_grace_period_seconds,
            labels: None,
            annotations: annotations.clone(),
            owner_references: owner_references.clone(),
            finalizers: finalizers.clone(),
            managed_fields: managed_fields.clone(),
        }
    }
}

/// `metav1.OwnerReference` (apiVersion, kind, name, uid are always written).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerReference {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

/// `metav1.ManagedFieldsEntry`. `fields_v1` keeps the raw JSON text of `FieldsV1` so that it
/// round-trips byte for byte (Go stores it as `Raw []byte` and writes it back verbatim, re-compacted).
///
/// Everything but the time is shared (`Arc`: metadata also sits in objects handed to worker
/// threads): every version of an object carries the same entry but for its time, and the
/// controllers copy the stored metadata into each body they send, so a copy costs one string
/// (the time), not seven.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedFieldsEntry {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub manager: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub operation: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<Arc<str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub fields_type: Option<Arc<str>>,
    #[serde(default, rename = "fieldsV1", skip_serializing_if = "Option::is_none")]
    pub fields_v1: Option<Arc<RawValue>>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub subresource: Option<Arc<str>>,
}

impl PartialEq for ManagedFieldsEntry {
    fn eq(&self, other: &Self) -> bool {
        self.manager == other.manager
            && self.operation == other.operation
            && self.api_version == other.api_version
            && self.time == other.time
            && self.fields_type == other.fields_type
            && self.fields_v1.as_ref().map(|r| r.get()) == other.fields_v1.as_ref().map(|r| r.get())
            && self.subresource == other.subresource
    }
}

impl ManagedFieldsEntry {
    /// Builds the `fieldsV1` raw value from a JSON text (must be valid JSON).
    pub fn raw_fields(json: &str) -> Result<Arc<RawValue>, serde_json::Error> {
        RawValue::from_string(json.to_string()).map(Arc::from)
    }
}

/// `metav1.ListMeta`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListMeta {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub self_link: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub resource_version: Option<String>,
    #[serde(default, rename = "continue", skip_serializing_if = "omit::str")]
    pub continue_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_item_count: Option<i64>,
}

/// `metav1.Condition` (used by `ServiceStatus.conditions`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "omit::i64")]
    pub observed_generation: Option<i64>,
    /// Non-pointer `metav1.Time`, always written (`None` = `null`).
    #[serde(default)]
    pub last_transition_time: Option<String>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

/// A generic `List` (`kind: List` or `<Kind>List`): `{"kind","apiVersion","metadata","items"}`.
/// `items` has no `omitempty` in any of them (e.g. `discovery/v1.EndpointSliceList`,
/// `json:"items"`): `None` = nil = `null`, `Some(vec![])` = `[]` (what the apiserver returns for an
/// empty LIST, see `crate::wire::list`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct List<T> {
    #[serde(default, skip_serializing_if = "omit::str")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "omit::str")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub metadata: ListMeta,
    #[serde(default)]
    pub items: Option<Vec<T>>,
}

impl<T> List<T> {
    /// The items as a slice (nil reads as empty).
    pub fn item_list(&self) -> &[T] {
        self.items.as_deref().unwrap_or(&[])
    }
}

/// The 36-character text form of a UUID (`8-4-4-4-12`, lower-case hex), as `types.UID`
/// values are written; callers set the version / variant bits they model. Written straight
/// into a string of exactly 36 bytes (every pod and object of a run has a uid: a formatted
/// string per byte showed in profiles).
pub fn uuid_text(b: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, &x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct writer gives the formatted text (hex pairs grouped 8-4-4-4-12), in a
    /// string of exactly 36 bytes.
    #[test]
    fn uuid_text_is_the_formatted_text() {
        let mut r = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
        for _ in 0..1000 {
            let b: [u8; 16] = rand::Rng::gen(&mut r);
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            let want = format!(
                "{}-{}-{}-{}-{}",
                &h[0..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..32]
            );
            let s = uuid_text(&b);
            assert_eq!(s, want);
            assert_eq!(s.capacity(), 36);
        }
    }
}
