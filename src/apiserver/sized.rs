//! etcd's verdict on an Endpoints write decided from a shell of the object (address lists cut
//! to their first element) and the encoded sizes of the rest ([`crate::wire::tails`]).
//!
//! A pre-1.22 cluster (no truncation) keeps syncing a Service whose Endpoints object is above
//! `--max-request-bytes`; every sync's write is refused (etcd :: server/v3rpc/grpc.go
//! MaxRequestBytes → ErrRequestTooLarge). [`Store::precheck_update`] and
//! [`Store::precheck_create`] run the same steps as [`Store::update`] / [`Store::create`] up to the
//! size check on the shell, and answer `Some(error)` only when the full call would return exactly
//! that error, with exactly the same effect on [`Shared`] (a create draws its UID before the
//! check). `None` means "not known to be refused": the caller builds the object and makes the
//! real call. Differential test: `tests/it/endpoints_sized.rs`.

use super::{ApiError, EncodedDiff, Shared, Store, StoredObject};
use crate::k8s::Endpoints;
use crate::wire::json::len_go;
use crate::wire::proto::Proto;
use crate::wire::tails::{endpoints_sizes_with_tails, SubsetTail};

/// JSON bytes of everything but `metadata` (the part [`EncodedDiff::rest_same`] compares).
fn rest_json_len(obj: &Endpoints, tails: &[SubsetTail]) -> usize {
    let tail: usize = tails
        .iter()
        .map(|t| t.addresses.json + t.not_ready_addresses.json)
        .sum();
    len_go(obj) + tail - len_go(&obj.metadata)
}

/// An upper bound of the protobuf size of what [`Store::update`] of the full object `shell` +
/// `tails` stands for would store over `stored`, from three small encodings (the shell, both
/// metadata): the full body (shell + tails, each subset's length prefix growing by at most 9
/// bytes) with `metadata` replaced by the stored metadata's uid, creationTimestamp, generation
/// and resourceVersion (at most `stored.metadata`, plus a longer resourceVersion) and one
/// managedFields entry, whose `fieldsV1` lists the body's label, annotation and owner keys (at
/// most twice their encoding) plus fixed fields (in the 512-byte margin). None when the shell
/// does not encode.
pub fn update_size_bound(
    stored: &Endpoints,
    shell: &Endpoints,
    tails: &[SubsetTail],
) -> Option<usize> {
    let body_and_tails = full_body_len(shell, tails)?;
    let stored_meta = stored.metadata.proto_len().ok()?;
    let own_meta = shell.metadata.proto_len().ok()?;
    // 9 + 9: the object's and the metadata's length prefixes growing.
    Some(body_and_tails + stored_meta + 2 * own_meta + 512 + 18)
}

/// The protobuf length of the shell plus every tail's addresses (each tail at most one
/// subset field: 9 bytes of tag and length prefix). None when the shell does not encode.
fn full_body_len(shell: &Endpoints, tails: &[SubsetTail]) -> Option<usize> {
    let body = crate::wire::protobuf_len(shell).ok()?;
    let tails: usize = tails
        .iter()
        .map(|t| t.addresses.protobuf + t.not_ready_addresses.protobuf + 9)
        .sum();
    Some(body + tails)
}

/// An upper bound of the protobuf size of what [`Store::create`] of the full object `shell` +
/// `tails` stands for would store: the full body (as in [`update_size_bound`]) plus what the
/// store adds — uid, creationTimestamp, resourceVersion and the controller manager's
/// managedFields entry (it replaces any entry the body carries). That entry's `fieldsV1` lists
/// the body's label, annotation and owner keys; escaped twice at worst (an owner uid inside
/// `k:{"uid":…}` inside a JSON key) a byte of metadata becomes at most 7 bytes, hence
/// `7 × metadata`; the fixed fields, the new metadata fields and the length prefixes stay
/// within the 2,048-byte margin. None when the shell does not encode.
pub fn create_size_bound(shell: &Endpoints, tails: &[SubsetTail]) -> Option<usize> {
    let body_and_tails = full_body_len(shell, tails)?;
    let own_meta = shell.metadata.proto_len().ok()?;
    Some(body_and_tails + 7 * own_meta + 2048)
}

impl Store<Endpoints> {
    /// The etcd size verdict of the shell after the store's own steps, if the limit is
    /// measured as the protobuf encoding (checked on the shell) and the object is above it.
    fn oversize(&self, obj: &Endpoints, tails: &[SubsetTail]) -> Option<ApiError> {
        let l = self.limit.as_ref()?;
        let shell_size = endpoints_sizes_with_tails(obj, &[]).ok()?.protobuf;
        if (l.size)(obj) != shell_size {
            return None;
        }
        let size = endpoints_sizes_with_tails(obj, tails).ok()?.protobuf;
        (size as u64 > l.max_bytes).then_some(ApiError::RequestTooLarge {
            size,
            limit: l.max_bytes,
        })
    }

    /// `Some(error)` iff [`Store::update`] of the full object `shell` + `tails` stands for is
    /// refused as too large (see module docs). Reads only.
    ///
    /// Precondition: that full object is canonical (subsets repacked, no address twice), as
    /// the Endpoints controller's bodies are: the shell alone cannot show a duplicate the
    /// store's canonicalisation would drop, and sizes are computed from the tails as given.
    pub fn precheck_update(
        &self,
        shared: &Shared,
        shell: &Endpoints,
        tails: &[SubsetTail],
    ) -> Option<ApiError> {
        let l = self.limit.as_ref()?;
        let entry = self.objects.get(shell.namespace(), shell.name())?;
        // Far below the limit (almost every write): not refused, whatever the store's steps
        // give; sizing the prepared object twice cost more than the rest of a small write.
        if update_size_bound(&entry.obj, shell, tails).is_some_and(|b| b as u64 <= l.max_bytes) {
            return None;
        }
        self.precheck_update_exact(shared, shell, tails)
    }

    /// [`Store::precheck_update`] without its size-bound shortcut (the reference it is tested
    /// against, `tests/it/precheck_bound.rs`).
    pub fn precheck_update_exact(
        &self,
        shared: &Shared,
        shell: &Endpoints,
        tails: &[SubsetTail],
    ) -> Option<ApiError> {
        self.limit.as_ref()?;
        let entry = self.objects.get(shell.namespace(), shell.name())?;
        let stored = &*entry.obj;
        if !shell.resource_version().is_empty()
            && shell.resource_version() != stored.resource_version()
        {
            return None;
        }
        let mut obj = shell.clone();
        obj.canonicalize();
        if obj != *shell {
            return None;
        }
        obj.set_uid(stored.uid().to_string());
        obj.set_creation_timestamp(stored.creation_timestamp().map(str::to_string));
        obj.set_generation(stored.generation());
        obj.set_resource_version(stored.resource_version().to_string());
        obj.inherit_managed_fields(stored);
        // The size does not depend on the identity test except through managedFields' time
        // (kept or moved to now): when neither variant is above the limit the call is not
        // refused, whatever the stored object (no need to measure it).
        let sized = |changed: bool| {
            let mut o = obj.clone();
            // `changed()` is false only when both the rest and the metadata value are the same.
            let d = EncodedDiff {
                metadata_same: !changed,
                metadata_equal_value: !changed,
                rest_same: !changed,
            };
            o.track_managed_fields_diff(Some((stored, d)), &shared.now);
            o.set_resource_version(shared.next_rv.to_string());
            o
        };
        if self.oversize(&sized(true), tails).is_none()
            && self.oversize(&sized(false), tails).is_none()
        {
            return None;
        }
        // Different lengths of the non-metadata JSON: not identical, and `rest_same` is false,
        // which is all `track_managed_fields_diff` reads. Equal lengths: leave it to the full
        // call.
        let stored_rest = *entry
            .rest_json_len
            .get_or_init(|| len_go(stored) - len_go(&stored.metadata));
        if rest_json_len(&obj, tails) == stored_rest {
            return None;
        }
        self.oversize(&sized(true), tails)
    }

    /// `Some(error)` iff [`Store::create`] of the full object is refused as too large; then
    /// `shared` has advanced exactly as that call would advance it (the UID drawn). On `None`
    /// `shared` is untouched. Same precondition as [`Store::precheck_update`]: a canonical
    /// full object.
    pub fn precheck_create(
        &self,
        shared: &mut Shared,
        shell: &Endpoints,
        tails: &[SubsetTail],
    ) -> Option<ApiError> {
        let l = self.limit.as_ref()?;
        // Far below the limit (every create of a usual Service): not refused, and `shared`
        // untouched, as the exact steps would leave it (a trial object, a uid drawn and a
        // managedFields entry built per create showed in profiles).
        if create_size_bound(shell, tails).is_some_and(|b| b as u64 <= l.max_bytes) {
            return None;
        }
        self.precheck_create_exact(shared, shell, tails)
    }

    /// [`Store::precheck_create`] without its size-bound shortcut (the reference it is tested
    /// against, `tests/it/precheck_bound.rs`).
    pub fn precheck_create_exact(
        &self,
        shared: &mut Shared,
        shell: &Endpoints,
        tails: &[SubsetTail],
    ) -> Option<ApiError> {
        self.limit.as_ref()?;
        if shell.name().is_empty() {
            return None;
        }
        if self.objects.contains(shell.namespace(), shell.name()) {
            return None;
        }
        let mut obj = shell.clone();
        obj.canonicalize();
        if obj != *shell {
            return None;
        }
        let mut trial = shared.clone();
        obj.set_uid(trial.random_uid());
        obj.set_creation_timestamp(Some(trial.now.clone()));
        obj.set_generation(None);
        obj.track_managed_fields_diff(None, &trial.now);
        obj.set_resource_version(trial.next_rv.to_string());
        let err = self.oversize(&obj, tails)?;
        *shared = trial;
        Some(err)
    }
}
