//! The contract between the controller side of the simulator and the traffic
//! side: every API write that reaches storage is reported, once, to a
//! [`WriteObserver`].
//!
//! Controllers (driven by `controllers::manager`) issue creates, updates and
//! deletes against the [`super::Store`]. For each call that changed what is
//! stored (a no-op update is not reported: the apiserver short-circuits it, so
//! no etcd write and no watch event happen — apiserver ::
//! pkg/storage/etcd3/store.go :: GuaranteedUpdate) the caller hands a
//! [`WriteRecord`] to the observer. A rejected write (conflict, etcd request too
//! large) is reported with [`WriteOutcome::Rejected`] so it can be counted, but
//! it produces no watch event.
//!
//! The watch layer (`apiserver::watch`) implements [`WriteObserver`]: it fans
//! each record out to the watchers whose resource and label selector match the
//! old and/or new object (ADDED / MODIFIED / DELETED per the cacher rules) and
//! costs each event once per (object version, encoding).

use std::rc::Rc;

use crate::k8s;

/// Which resource a write touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    EndpointSlices,
    Endpoints,
}

/// A borrowed object of one of the written resources.
#[derive(Debug, Clone, Copy)]
pub enum ObjectRef<'a> {
    EndpointSlice(&'a k8s::EndpointSlice),
    Endpoints(&'a k8s::Endpoints),
}

impl ObjectRef<'_> {
    pub fn resource(&self) -> Resource {
        match self {
            ObjectRef::EndpointSlice(_) => Resource::EndpointSlices,
            ObjectRef::Endpoints(_) => Resource::Endpoints,
        }
    }
}

/// An object of one of the written resources held by reference count: the stored allocation
/// itself ([`super::Store::create_shared`] / [`super::Store::update_shared`]), shared by storage,
/// the informers, the watch hub's relist state and the client caches' pending changes — one
/// object per stored write instead of a copy per consumer.
#[derive(Debug, Clone)]
pub enum SharedObject {
    EndpointSlice(Rc<k8s::EndpointSlice>),
    Endpoints(Rc<k8s::Endpoints>),
}

impl SharedObject {
    pub fn as_ref(&self) -> ObjectRef<'_> {
        match self {
            SharedObject::EndpointSlice(s) => ObjectRef::EndpointSlice(s),
            SharedObject::Endpoints(e) => ObjectRef::Endpoints(e),
        }
    }

    /// An owned object shared from now on (moved, not copied).
    pub fn owned(o: ObjectRef<'_>) -> Self {
        match o {
            ObjectRef::EndpointSlice(s) => SharedObject::EndpointSlice(Rc::new(s.clone())),
            ObjectRef::Endpoints(e) => SharedObject::Endpoints(Rc::new(e.clone())),
        }
    }
}

/// The API verb of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Create,
    Update,
    Delete,
}

/// Which controller issued the write (the field manager / user agent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Writer {
    EndpointSliceController,
    EndpointsController,
    MirroringController,
    /// A user or another component (e.g. manually managed Endpoints, GC).
    Other,
}

/// Whether storage accepted the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Stored; `resource_version` is the new RV (for a delete: the RV of the deletion).
    Stored { resource_version: u64 },
    /// Refused by the apiserver/etcd; `reason` is the error a real cluster returns
    /// (e.g. `etcdserver: request is too large`, a 409 Conflict). `sizes`: the encoded sizes of
    /// the request body when the record's `new` object is only a shell of it (address lists cut
    /// to their first element, see [`crate::wire::tails`]) — a refused 2 MB Endpoints object is
    /// never built; `None`: `new` is the body as sent.
    Rejected {
        reason: String,
        sizes: Option<crate::wire::WireSizes>,
    },
}

/// One write as seen by the apiserver.
#[derive(Debug, Clone)]
pub struct WriteRecord<'a> {
    /// Simulated time in nanoseconds at which the write was stored.
    pub time_ns: u64,
    pub verb: Verb,
    pub writer: Writer,
    /// Stored object before the write (None for a create).
    pub old: Option<ObjectRef<'a>>,
    /// Stored object after the write (None for a delete; for a rejected write,
    /// the object that was sent).
    pub new: Option<ObjectRef<'a>>,
    pub outcome: WriteOutcome,
    /// `new` and `old` themselves when the writer holds them shared (`Some` only for the same
    /// object as the borrowed field): an observer that keeps the object shares it instead of
    /// copying it. `None`: an observer that keeps it copies it.
    pub new_shared: Option<SharedObject>,
    pub old_shared: Option<SharedObject>,
    /// The protobuf size of `new` when the writer knows it (the store measured it for etcd's
    /// limit): observers take it instead of encoding the object again. `None`: unknown.
    pub new_protobuf: Option<usize>,
}

impl WriteRecord<'_> {
    /// `new` as a shared object: the writer's when it gave one, else a copy.
    pub fn new_owned(&self) -> Option<SharedObject> {
        self.new_shared
            .clone()
            .or_else(|| self.new.map(SharedObject::owned))
    }

    /// `old` as a shared object: the writer's when it gave one, else a copy.
    pub fn old_owned(&self) -> Option<SharedObject> {
        self.old_shared
            .clone()
            .or_else(|| self.old.map(SharedObject::owned))
    }
}

/// Receives every write that reached (or was refused by) storage, in the order
/// the simulation issued them.
pub trait WriteObserver {
    fn on_write(&mut self, record: &WriteRecord<'_>);
}

/// Discards every record.
#[derive(Debug, Default)]
pub struct NullObserver;

impl WriteObserver for NullObserver {
    fn on_write(&mut self, _record: &WriteRecord<'_>) {}
}
