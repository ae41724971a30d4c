//! API server and etcd model: object store with resourceVersions, generation, generateName, no-op
//! update detection.
//!
//! The store behaves like the kube-apiserver for the resources the endpoint
//! controllers write, as described in the conformance README ("Storage
//! emulation"):
//!
//! - **create**: `generateName` + 5 characters from
//!   `bcdfghjklmnpqrstvwxz2456789` (base truncated to 58 characters), a v4-style
//!   UID, `creationTimestamp` = the step clock, `generation = 1` for kinds that
//!   use generation (EndpointSlice), `resourceVersion` from one global counter
//!   starting at 100000001. Randomness comes from a seeded ChaCha stream, never
//!   the OS.
//!   cite: kubernetes/apiserver :: pkg/storage/names/generate.go ::
//!   simpleNameGenerator.GenerateName; apimachinery :: pkg/util/rand/rand.go.
//! - **update**: UID and creationTimestamp are kept from the stored object;
//!   generation +1 when anything outside metadata, or the labels, changed
//!   (kubernetes :: pkg/registry/discovery/endpointslice/strategy.go ::
//!   PrepareForUpdate); an update whose result equals the stored object is a
//!   no-op: nothing is written and the resourceVersion is not bumped
//!   (apiserver :: pkg/storage/etcd3/store.go :: GuaranteedUpdate). An update
//!   carrying a non-empty resourceVersion different from the stored one is a
//!   Conflict (optimistic concurrency); an empty one is unconditional
//!   (EndpointSlice allows unconditional update).
//! - **delete** by name.
//!
//! - **managedFields** (see [`objects`]): one entry for manager
//!   `kube-controller-manager`, operation `Update`, listing the fields the
//!   object carries; its time moves to the clock on every (non-no-op) write.
//!
//! - **etcd request limit** (optional, [`Store::with_size_limit`]): a create or
//!   update whose stored encoding (protobuf, [`crate::wire::protobuf_len`]) is
//!   above etcd `--max-request-bytes` is refused with `etcdserver: request is
//!   too large` before anything is stored and without consuming a
//!   resourceVersion (etcd rejects the request before the transaction;
//!   etcd :: server/v3rpc/grpc.go MaxRequestBytes → ErrRequestTooLarge).
//! - [`Store::delete_versioned`] consumes a resourceVersion like a real etcd
//!   delete (the DELETED event carries the delete revision); plain
//!   [`Store::delete`] does not (the conformance storage emulation).
//!
//! Not modelled here: watch fan-out. Objects are kept in hash maps by namespace and name
//! (lookups only); listing returns creation order.

use std::collections::HashMap;
use std::rc::Rc;

use crate::sim::lookup_hash::ByWord;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub mod objects;
pub mod sized;
pub mod watch;
pub mod write_log;

/// Characters the apiserver's name generator draws from (apimachinery `rand.String`).
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Length of the random suffix.
pub const RANDOM_SUFFIX_LEN: usize = 5;
/// `maxGeneratedNameLength` = 63 − 5.
pub const MAX_GENERATED_BASE_LEN: usize = 58;
/// First resourceVersion handed out.
pub const FIRST_RESOURCE_VERSION: u64 = 100_000_001;

/// What the store needs to read and write on an object. Implemented for the
/// `crate::k8s` kinds in [`objects`].
pub trait StoredObject: Clone + PartialEq {
    fn namespace(&self) -> &str;
    fn name(&self) -> &str;
    fn set_name(&mut self, name: String);
    fn generate_name(&self) -> &str;
    fn uid(&self) -> &str;
    fn set_uid(&mut self, uid: String);
    fn creation_timestamp(&self) -> Option<&str>;
    fn set_creation_timestamp(&mut self, ts: Option<String>);
    fn resource_version(&self) -> &str;
    fn set_resource_version(&mut self, rv: String);
    /// `metadata.generation`, if the kind uses it.
    fn generation(&self) -> Option<i64>;
    fn set_generation(&mut self, g: Option<i64>);
    /// Whether the kind's strategy maintains `metadata.generation`.
    fn uses_generation() -> bool;
    /// True when `self` and `other` are equal outside metadata and have equal
    /// labels (no generation bump).
    fn same_generation_content(&self, other: &Self) -> bool;
    /// The update would store exactly the stored object (etcd compares the
    /// encoded bytes). Default: structural equality.
    fn identical(&self, other: &Self) -> bool {
        self == other
    }
    /// The registry strategy's `Canonicalize` (applied to every create and
    /// update body before storage). Default: nothing.
    fn canonicalize(&mut self) {}
    /// Copy `metadata.managedFields` from `from` (the apiserver keeps the live
    /// object's managedFields when a request carries none). Default: nothing.
    fn inherit_managed_fields(&mut self, _from: &Self) {}
    /// Recompute `metadata.managedFields` after a write by the controller
    /// manager at time `now`; `previous` is the stored object before an update.
    /// Default: nothing.
    fn track_managed_fields(&mut self, _previous: Option<&Self>, _now: &str) {}
    /// [`StoredObject::identical`] and the change test of managedFields tracking, found without
    /// encoding either whole object (see [`EncodedDiff`]); the store uses it on every update.
    /// Default: none (the store falls back to `identical` and `track_managed_fields`).
    fn encoded_diff(&self, _stored: &Self) -> Option<EncodedDiff> {
        None
    }
    /// [`StoredObject::track_managed_fields`] given the [`EncodedDiff`] against `previous`
    /// (the same result without encoding the whole objects). Default: ignores the diff.
    fn track_managed_fields_diff(&mut self, previous: Option<(&Self, EncodedDiff)>, now: &str) {
        self.track_managed_fields(previous.map(|p| p.0), now)
    }
    /// The fields a create or update writes into a body (name, uid, creationTimestamp,
    /// generation, resourceVersion, managedFields), copied before the store touches them, so a
    /// refused body can be handed back as sent ([`Store::update_shared_or_back`]) and the
    /// caller keeps no copy of its own. Default: nothing (the kind's refused bodies come back
    /// with what the store wrote into them).
    fn sent_fields(&self) -> Option<crate::k8s::ObjectMeta> {
        None
    }
    /// [`StoredObject::sent_fields`] before an update, which overwrites uid, creationTimestamp
    /// and resourceVersion next: those may be moved out instead of copied (a copy per write
    /// showed in profiles). Default: `sent_fields`.
    fn take_sent_fields(&mut self) -> Option<crate::k8s::ObjectMeta> {
        self.sent_fields()
    }
    /// Put [`StoredObject::sent_fields`] back. Default: nothing.
    fn restore_sent_fields(&mut self, _sent: crate::k8s::ObjectMeta) {}
}

/// A create or update the store refused, with the body handed back: as sent for the k8s kinds
/// (the metadata the store wrote is restored; an Endpoints body stays canonicalised, which
/// changes nothing for the controllers' canonical bodies).
#[derive(Debug, Clone, PartialEq)]
pub struct Refused<T> {
    pub error: ApiError,
    pub body: T,
}

/// How an update body compares with the stored object in the canonical (Go JSON) encoding that
/// etcd compares (apiserver :: pkg/storage/etcd3/store.go :: GuaranteedUpdate skips a write whose
/// bytes equal the stored ones). Encoding both whole objects on every update dominated profiles
/// (a 20,000-address Endpoints object is ~2 MB); the kinds compute this from structural equality
/// and encode only the small parts (metadata, a first array element) and elements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedDiff {
    /// `metadata` encodes to the same bytes (false, not compared, when `rest_same` is false).
    pub metadata_same: bool,
    /// Their `metadata` encodings parse to equal JSON values (true when `metadata_same`; false,
    /// not compared, when `rest_same` is false).
    pub metadata_equal_value: bool,
    /// Every other top-level field is present in both and encodes to the same bytes.
    pub rest_same: bool,
}

impl EncodedDiff {
    /// The whole encodings are byte-identical (a no-op update).
    pub fn identical(&self) -> bool {
        self.metadata_same && self.rest_same
    }
    /// The objects differ as JSON values field by field (managedFields' time moves).
    pub fn changed(&self) -> bool {
        !(self.rest_same && self.metadata_equal_value)
    }
}

/// API errors the controllers can see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict on {0}: the object has been modified")]
    Conflict(String),
    #[error("invalid object: {0}")]
    Invalid(String),
    /// etcd refused the request (object encoding above `--max-request-bytes`).
    #[error("etcdserver: request is too large")]
    RequestTooLarge { size: usize, limit: u64 },
}

/// The error text etcd returns for an oversized request.
pub const ETCD_TOO_LARGE: &str = "etcdserver: request is too large";

/// etcd `--max-request-bytes` as applied to one kind: `size` gives the stored
/// encoding length of an object.
#[derive(Debug, Clone, Copy)]
pub struct SizeLimit<T> {
    pub max_bytes: u64,
    pub size: fn(&T) -> usize,
}

/// State shared by all kinds: the resourceVersion counter, the seeded random
/// stream for names and UIDs, and the clock.
#[derive(Debug, Clone)]
pub struct Shared {
    next_rv: u64,
    rng: ChaCha8Rng,
    /// `creationTimestamp` given to objects created now (RFC 3339).
    pub now: String,
}

impl Shared {
    pub fn new(seed: u64, now: String) -> Self {
        Shared {
            next_rv: FIRST_RESOURCE_VERSION,
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
        }
    }

    fn bump_rv(&mut self) -> String {
        let rv = self.next_rv;
        self.next_rv += 1;
        rv.to_string()
    }

    /// Exchange the name/UID stream with `other` (e.g. a per-Service stream; see
    /// `controllers::manager`).
    pub fn swap_rng(&mut self, other: &mut ChaCha8Rng) {
        std::mem::swap(&mut self.rng, other);
    }

    /// Draw a UID as a create does (advances the stream by the same amount).
    pub fn draw_uid(&mut self) -> String {
        self.random_uid()
    }

    /// The resourceVersion the next write will get.
    pub fn peek_resource_version(&self) -> u64 {
        self.next_rv
    }

    fn random_suffix(&mut self) -> String {
        (0..RANDOM_SUFFIX_LEN)
            .map(|_| NAME_ALPHABET[self.rng.gen_range(0..NAME_ALPHABET.len())] as char)
            .collect()
    }

    /// A random v4-style UID (8-4-4-4-12 lowercase hex, version and variant bits set).
    fn random_uid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill(&mut b);
        // Version nibble 4; the variant bits stay random, like the UIDs in the
        // conformance data (e.g. `4068cc1a-2780-4ede-c237-...`).
        b[6] = (b[6] & 0x0f) | 0x40;
        crate::k8s::meta::uuid_text(&b)
    }
}

#[derive(Debug, Clone)]
struct Entry<T> {
    seq: u64,
    /// Shared with whoever wrote it: the `*_shared` calls hand this same allocation to the
    /// writer (and through it to the informers, the watch hub and the client caches), so a
    /// stored write is one object, never copied on the way (an Endpoints object of 1,000+
    /// addresses is rewritten on every sync).
    obj: Rc<T>,
    /// JSON length of the object without `metadata`, computed on first use ([`sized`]).
    rest_json_len: std::cell::OnceCell<usize>,
}

/// Entries by namespace, then name: looked up by the borrowed names (a `(String, String)` key
/// cost two string copies per lookup, and every write looks up twice). Lookup-only hash maps:
/// nothing iterates them in an order that reaches an output ([`Store::list`] sorts by creation).
#[derive(Debug, Clone)]
struct Objects<T> {
    by_ns: HashMap<String, HashMap<String, Entry<T>, ByWord>, ByWord>,
    len: usize,
}

impl<T> Default for Objects<T> {
    fn default() -> Self {
        Objects {
            by_ns: HashMap::default(),
            len: 0,
        }
    }
}

impl<T> Objects<T> {
    fn get(&self, namespace: &str, name: &str) -> Option<&Entry<T>> {
        self.by_ns.get(namespace)?.get(name)
    }

    fn get_mut(&mut self, namespace: &str, name: &str) -> Option<&mut Entry<T>> {
        self.by_ns.get_mut(namespace)?.get_mut(name)
    }

    fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }

    /// Insert under a name not in use.
    fn insert_new(&mut self, namespace: &str, name: &str, e: Entry<T>) {
        let names = match self.by_ns.get_mut(namespace) {
            Some(m) => m,
            None => self.by_ns.entry(namespace.to_string()).or_default(),
        };
        if names.insert(name.to_string(), e).is_none() {
            self.len += 1;
        }
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<Entry<T>> {
        let names = self.by_ns.get_mut(namespace)?;
        let e = names.remove(name)?;
        if names.is_empty() {
            self.by_ns.remove(namespace);
        }
        self.len -= 1;
        Some(e)
    }

    fn values(&self) -> impl Iterator<Item = &Entry<T>> {
        self.by_ns.values().flat_map(HashMap::values)
    }
}

/// Objects of one kind, keyed by (namespace, name).
#[derive(Debug, Clone)]
pub struct Store<T> {
    objects: Objects<T>,
    next_seq: u64,
    limit: Option<SizeLimit<T>>,
    /// The object the last create or update stored (its address) and its size as the limit
    /// measured it: the writer hands the size on ([`Store::take_checked_size`]) so the watch
    /// side does not encode the object again.
    last_checked: Option<(usize, usize)>,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store {
            objects: Objects::default(),
            next_seq: 0,
            limit: None,
            last_checked: None,
        }
    }
}

impl<T> Store<T> {
    /// A store that refuses objects above `limit` (see module docs).
    pub fn with_size_limit(limit: SizeLimit<T>) -> Self {
        Store {
            limit: Some(limit),
            ..Store::default()
        }
    }

    /// Change the limit (objects already stored stay; tests use it to store one first).
    pub fn set_size_limit(&mut self, limit: SizeLimit<T>) {
        self.limit = Some(limit);
    }

    /// The limit's verdict on `obj`: its size when measured and within the limit.
    fn check_size(&self, obj: &T) -> Result<Option<usize>, ApiError> {
        if let Some(l) = &self.limit {
            let size = (l.size)(obj);
            if size as u64 > l.max_bytes {
                return Err(ApiError::RequestTooLarge {
                    size,
                    limit: l.max_bytes,
                });
            }
            return Ok(Some(size));
        }
        Ok(None)
    }

    /// The size the limit measured for `obj` when it is what the last create or update stored
    /// (taken: asked once). The stored object is the measured one with the same
    /// resourceVersion text, so the size is its size.
    pub fn take_checked_size(&mut self, obj: &Rc<T>) -> Option<usize> {
        let (at, size) = self.last_checked.take()?;
        (at == Rc::as_ptr(obj) as *const () as usize).then_some(size)
    }
}

/// Outcome of an update.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome<T> {
    /// The stored object after the call.
    pub object: T,
    /// False for a no-op update (identical object; no write, no RV bump, no watch event).
    pub written: bool,
}

impl<T: StoredObject> Store<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&T> {
        self.get_shared(namespace, name).map(|o| &**o)
    }

    /// [`Store::get`], the stored allocation itself (share it with `Rc::clone`, no copy).
    pub fn get_shared(&self, namespace: &str, name: &str) -> Option<&Rc<T>> {
        self.objects.get(namespace, name).map(|e| &e.obj)
    }

    /// All objects in creation order.
    pub fn list(&self) -> Vec<&T> {
        let mut v: Vec<&Entry<T>> = self.objects.values().collect();
        v.sort_by_key(|e| e.seq);
        v.into_iter().map(|e| &*e.obj).collect()
    }

    pub fn len(&self) -> usize {
        self.objects.len
    }

    pub fn is_empty(&self) -> bool {
        self.objects.len == 0
    }

    /// Create. A name already in use is AlreadyExists; with only generateName a
    /// suffix is drawn (drawn again on the rare collision — the real apiserver
    /// would return AlreadyExists, practically never seen).
    pub fn create(&mut self, shared: &mut Shared, obj: T) -> Result<T, ApiError> {
        self.create_shared(shared, obj).map(unshare)
    }

    /// [`Store::create`] returning the stored allocation itself (no copy of the object).
    pub fn create_shared(&mut self, shared: &mut Shared, obj: T) -> Result<Rc<T>, ApiError> {
        self.create_shared_or_back(shared, obj).map_err(|r| r.error)
    }

    /// [`Store::create_shared`] handing a refused body back (see [`Refused`]): the caller
    /// sends its body without keeping a copy for the rare refusal.
    pub fn create_shared_or_back(
        &mut self,
        shared: &mut Shared,
        mut obj: T,
    ) -> Result<Rc<T>, Refused<T>> {
        self.last_checked = None;
        let refuse = |error, body| Err(Refused { error, body });
        // Only the size check refuses a body the store has written into.
        let sent = self.limit.as_ref().and_then(|_| obj.sent_fields());
        if obj.name().is_empty() {
            let base = obj.generate_name();
            if base.is_empty() {
                return refuse(
                    ApiError::Invalid("name or generateName is required".into()),
                    obj,
                );
            }
            let base: String = base.chars().take(MAX_GENERATED_BASE_LEN).collect();
            loop {
                let candidate = format!("{base}{}", shared.random_suffix());
                if !self.objects.contains(obj.namespace(), &candidate) {
                    obj.set_name(candidate);
                    break;
                }
            }
        }
        if self.objects.contains(obj.namespace(), obj.name()) {
            let name = obj.name().to_string();
            return refuse(ApiError::AlreadyExists(name), obj);
        }
        obj.canonicalize();
        let uid = shared.random_uid();
        obj.set_uid(uid);
        obj.set_creation_timestamp(Some(shared.now.clone()));
        obj.set_generation(if T::uses_generation() { Some(1) } else { None });
        obj.track_managed_fields_diff(None, &shared.now);
        obj.set_resource_version(shared.next_rv.to_string());
        let size = match self.check_size(&obj) {
            Ok(size) => size,
            Err(e) => {
                if let Some(m) = sent {
                    obj.restore_sent_fields(m);
                }
                return refuse(e, obj);
            }
        };
        obj.set_resource_version(shared.bump_rv());
        let seq = self.next_seq;
        self.next_seq += 1;
        let obj = Rc::new(obj);
        self.last_checked = size.map(|n| (Rc::as_ptr(&obj) as *const () as usize, n));
        self.objects.insert_new(
            obj.namespace(),
            obj.name(),
            Entry {
                seq,
                obj: Rc::clone(&obj),
                rest_json_len: std::cell::OnceCell::new(),
            },
        );
        Ok(obj)
    }

    /// Update by name (see module docs for generation and no-op rules).
    pub fn update(&mut self, shared: &mut Shared, obj: T) -> Result<UpdateOutcome<T>, ApiError> {
        self.update_shared(shared, obj).map(|o| UpdateOutcome {
            object: unshare(o.object),
            written: o.written,
        })
    }

    /// [`Store::update`] returning the stored allocation itself when written (no copy of the
    /// object); for a no-op update, the prepared body (what `update` returns) in its own `Rc`.
    pub fn update_shared(
        &mut self,
        shared: &mut Shared,
        obj: T,
    ) -> Result<UpdateOutcome<Rc<T>>, ApiError> {
        self.update_shared_or_back(shared, obj).map_err(|r| r.error)
    }

    /// [`Store::update_shared`] handing a refused body back (see [`Refused`]).
    pub fn update_shared_or_back(
        &mut self,
        shared: &mut Shared,
        mut obj: T,
    ) -> Result<UpdateOutcome<Rc<T>>, Refused<T>> {
        self.last_checked = None;
        let Some(entry) = self.objects.get(obj.namespace(), obj.name()) else {
            return Err(Refused {
                error: ApiError::NotFound(obj.name().to_string()),
                body: obj,
            });
        };
        let stored = &*entry.obj;
        if !obj.resource_version().is_empty() && obj.resource_version() != stored.resource_version()
        {
            return Err(Refused {
                error: ApiError::Conflict(obj.name().to_string()),
                body: obj,
            });
        }
        let sent = match self.limit {
            Some(_) => obj.take_sent_fields(),
            None => None,
        };
        obj.canonicalize();
        // A body built from the stored object usually carries its uid and creationTimestamp
        // already: kept, not copied again (a non-empty equal text sets the same field).
        if obj.uid().is_empty() || obj.uid() != stored.uid() {
            obj.set_uid(stored.uid().to_string());
        }
        if obj.creation_timestamp().map_or(true, str::is_empty)
            || obj.creation_timestamp() != stored.creation_timestamp()
        {
            obj.set_creation_timestamp(stored.creation_timestamp().map(str::to_string));
        }
        if T::uses_generation() {
            let g = stored.generation().unwrap_or(0);
            let same = obj.same_generation_content(stored);
            obj.set_generation(Some(if same { g } else { g + 1 }));
        } else {
            obj.set_generation(stored.generation());
        }
        obj.set_resource_version(stored.resource_version().to_string());
        obj.inherit_managed_fields(stored);
        match obj.encoded_diff(stored) {
            Some(d) => {
                if d.identical() {
                    return Ok(UpdateOutcome {
                        object: Rc::new(obj),
                        written: false,
                    });
                }
                obj.track_managed_fields_diff(Some((stored, d)), &shared.now);
            }
            None => {
                if obj.identical(stored) {
                    return Ok(UpdateOutcome {
                        object: Rc::new(obj),
                        written: false,
                    });
                }
                obj.track_managed_fields(Some(stored), &shared.now);
            }
        }
        obj.set_resource_version(shared.next_rv.to_string());
        let mut checked = None;
        if let Some(l) = &self.limit {
            let size = (l.size)(&obj);
            checked = Some(size);
            if size as u64 > l.max_bytes {
                if let Some(m) = sent {
                    obj.restore_sent_fields(m);
                }
                return Err(Refused {
                    error: ApiError::RequestTooLarge {
                        size,
                        limit: l.max_bytes,
                    },
                    body: obj,
                });
            }
        }
        // The resourceVersion set above is the one handed out now: consumed, not re-made.
        shared.next_rv += 1;
        let Some(entry) = self.objects.get_mut(obj.namespace(), obj.name()) else {
            return Err(Refused {
                error: ApiError::NotFound(obj.name().to_string()),
                body: obj,
            });
        };
        let obj = Rc::new(obj);
        entry.obj = Rc::clone(&obj);
        entry.rest_json_len = std::cell::OnceCell::new();
        self.last_checked = checked.map(|n| (Rc::as_ptr(&obj) as *const () as usize, n));
        Ok(UpdateOutcome {
            object: obj,
            written: true,
        })
    }

    /// Delete by name, consuming a resourceVersion (returned with the object).
    pub fn delete_versioned(
        &mut self,
        shared: &mut Shared,
        namespace: &str,
        name: &str,
    ) -> Result<(T, u64), ApiError> {
        self.delete_versioned_shared(shared, namespace, name)
            .map(|(o, rv)| (unshare(o), rv))
    }

    /// [`Store::delete_versioned`] returning the stored allocation itself (no copy).
    pub fn delete_versioned_shared(
        &mut self,
        shared: &mut Shared,
        namespace: &str,
        name: &str,
    ) -> Result<(Rc<T>, u64), ApiError> {
        let obj = self.delete_shared(namespace, name)?;
        let rv = shared.next_rv;
        shared.bump_rv();
        Ok((obj, rv))
    }

    /// Delete by name; returns the deleted object.
    pub fn delete(&mut self, namespace: &str, name: &str) -> Result<T, ApiError> {
        self.delete_shared(namespace, name).map(unshare)
    }

    /// [`Store::delete`] returning the stored allocation itself (no copy).
    pub fn delete_shared(&mut self, namespace: &str, name: &str) -> Result<Rc<T>, ApiError> {
        self.last_checked = None;
        self.objects
            .remove(namespace, name)
            .map(|e| e.obj)
            .ok_or_else(|| ApiError::NotFound(name.to_string()))
    }
}

/// The object out of its `Rc`: moved when nobody else holds it, else copied (the owned-value
/// API of the store, kept for callers that want to mutate what they get back).
fn unshare<T: Clone>(o: Rc<T>) -> T {
    Rc::try_unwrap(o).unwrap_or_else(|o| (*o).clone())
}

#[cfg(test)]
mod tests;
