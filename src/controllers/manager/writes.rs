//! Where a controller's writes are accounted — one path for every verb and writer:
//! [`ControllerManager::write_stored`] / [`ControllerManager::write_rejected`] (the Service's
//! counter, the lagged informers, the event log, the `WriteObserver`) — and the end of a sync
//! (`finish_sync`).

use super::*;
use crate::apiserver::write_log::SharedObject;

/// One API write as the manager accounts it.
#[derive(Clone, Copy)]
pub(super) struct Write<'a> {
    pub now: Nanos,
    pub verb: Verb,
    pub writer: Writer,
    /// Stored object before the write (None for a create).
    pub old: Option<ObjectRef<'a>>,
    /// Stored object after it (None for a delete); for a rejected write, what was sent.
    pub new: Option<ObjectRef<'a>>,
}

/// The objects of a stored write its writer holds shared (see
/// [`ControllerManager::write_stored_shared`]).
#[derive(Default)]
pub(super) struct Shares {
    pub new: Option<SharedObject>,
    pub old: Option<SharedObject>,
}

/// The per-Service counter a stored write adds to ([`ServiceStats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counter {
    EsCreates,
    EsUpdates,
    EsDeletes,
    EsGcDeletes,
    EpCreates,
    EpUpdates,
    EpDeletes,
    /// Counted elsewhere (mirroring writes per sync) or not at all (a user's writes).
    None,
}

impl Counter {
    fn of(self, st: &mut ServiceStats) -> Option<&mut u64> {
        Some(match self {
            Counter::EsCreates => &mut st.es_creates,
            Counter::EsUpdates => &mut st.es_updates,
            Counter::EsDeletes => &mut st.es_deletes,
            Counter::EsGcDeletes => &mut st.es_gc_deletes,
            Counter::EpCreates => &mut st.ep_creates,
            Counter::EpUpdates => &mut st.ep_updates,
            Counter::EpDeletes => &mut st.ep_deletes,
            Counter::None => return None,
        })
    }
}

impl ControllerManager<'_> {
    /// A write storage accepted (new resourceVersion `rv`), for Service `key`: its counter,
    /// then the informers (they get it after their lag), the event log and the observer.
    /// Everyone who keeps the object copies it; [`Self::write_stored_shared`] shares it.
    pub(super) fn write_stored(&mut self, key: &str, counter: Counter, w: Write<'_>, rv: u64) {
        self.write_stored_shared(key, counter, w, Shares::default(), rv);
    }

    /// [`Self::write_stored`] of objects the writer holds shared (the store's own allocations,
    /// [`crate::apiserver::Store::create_shared`] and friends): `shares.new` / `shares.old`
    /// stand for `w.new` / `w.old` (they replace them), and the informers, the watch hub and
    /// the client caches keep that one object instead of a copy each. When `shares.new` is
    /// what its store just stored, the size the store's limit measured (the protobuf encoding:
    /// `slice_size`, `endpoints_size`) goes with it, so the watch side does not encode the
    /// object again.
    pub(super) fn write_stored_shared(
        &mut self,
        key: &str,
        counter: Counter,
        w: Write<'_>,
        shares: Shares,
        rv: u64,
    ) {
        let new_protobuf = match &shares.new {
            Some(SharedObject::EndpointSlice(o)) => self.slices.take_checked_size(o),
            Some(SharedObject::Endpoints(o)) => self.endpoints.take_checked_size(o),
            None => None,
        }
        .filter(|&n| n != usize::MAX);
        if let Some(c) = counter.of(self.stats.svc(key)) {
            *c += 1;
        }
        let w = Write {
            new: shares.new.as_ref().map(SharedObject::as_ref).or(w.new),
            old: shares.old.as_ref().map(SharedObject::as_ref).or(w.old),
            ..w
        };
        self.inform(w, shares.new.as_ref());
        self.notify(
            w,
            WriteOutcome::Stored {
                resource_version: rv,
            },
            &shares,
            new_protobuf,
        );
    }

    /// A write storage refused, for Service `key`: its rejected-write count, the event log and
    /// the observer (the informers see nothing).
    pub(super) fn write_rejected(&mut self, key: &str, w: Write<'_>, err: &ApiError) {
        self.write_rejected_sized(key, w, err, None);
    }

    /// [`Self::write_rejected`]; `sizes`: the body's encoded sizes when `w.new` is only its
    /// shell (see [`WriteOutcome::Rejected`]).
    pub(super) fn write_rejected_sized(
        &mut self,
        key: &str,
        w: Write<'_>,
        err: &ApiError,
        sizes: Option<crate::wire::WireSizes>,
    ) {
        self.stats.svc(key).rejected_writes += 1;
        self.notify(
            w,
            WriteOutcome::Rejected {
                reason: err.to_string(),
                sizes,
            },
            &Shares::default(),
            None,
        );
    }

    /// Every stored write reaches the KCM informers after their lag; `shared` is `w.new` held
    /// shared (kept without a copy).
    fn inform(&mut self, w: Write<'_>, shared: Option<&SharedObject>) {
        let now = w.now;
        match (w.new, w.old) {
            (Some(ObjectRef::EndpointSlice(o)), _) => {
                let g = slice_service_key(o);
                let obj = match shared {
                    Some(SharedObject::EndpointSlice(rc)) => Rc::clone(rc),
                    _ => Rc::new(o.clone()),
                };
                self.slice_informer.record_shared(
                    now,
                    &mut self.lag_rng,
                    &g,
                    s(&o.metadata.name),
                    Some(obj),
                );
            }
            (None, Some(ObjectRef::EndpointSlice(o))) => {
                let g = slice_service_key(o);
                self.slice_informer
                    .record(now, &mut self.lag_rng, &g, s(&o.metadata.name), None);
            }
            (Some(ObjectRef::Endpoints(o)), _) => {
                let g = key_of(&o.metadata);
                let obj = match shared {
                    Some(SharedObject::Endpoints(rc)) => Rc::clone(rc),
                    _ => Rc::new(o.clone()),
                };
                self.ep_informer
                    .record_shared(now, &mut self.ep_lag_rng, &g, "", Some(obj));
            }
            (None, Some(ObjectRef::Endpoints(o))) => {
                let g = key_of(&o.metadata);
                self.ep_informer
                    .record(now, &mut self.ep_lag_rng, &g, "", None);
            }
            (None, None) => {}
        }
    }

    /// The event log's `api-write` line and the observer.
    fn notify(
        &mut self,
        w: Write<'_>,
        outcome: WriteOutcome,
        shares: &Shares,
        new_protobuf: Option<usize>,
    ) {
        let record = WriteRecord {
            time_ns: w.now,
            verb: w.verb,
            writer: w.writer,
            old: w.old,
            new: w.new,
            outcome,
            new_shared: shares.new.clone(),
            old_shared: shares.old.clone(),
            new_protobuf,
        };
        self.log_write(&record);
        self.observer.on_write(&record);
    }

    /// [`Self::write_stored_shared`] of an Endpoints create/update (`w.new` is `shared`).
    pub(super) fn write_endpoints_stored(
        &mut self,
        key: &str,
        counter: Counter,
        w: Write<'_>,
        shared: Rc<k8s::Endpoints>,
        rv: u64,
    ) {
        let shares = Shares {
            new: Some(SharedObject::Endpoints(shared)),
            old: None,
        };
        self.write_stored_shared(key, counter, w, shares, rv);
    }

    /// [`Self::write_stored_shared`] of an EndpointSlice create/update (`w.new` is `shared`).
    pub(super) fn write_slice_stored(
        &mut self,
        key: &str,
        counter: Counter,
        w: Write<'_>,
        shared: Rc<k8s::EndpointSlice>,
        rv: u64,
    ) {
        let shares = Shares {
            new: Some(SharedObject::EndpointSlice(shared)),
            old: None,
        };
        self.write_stored_shared(key, counter, w, shares, rv);
    }

    /// The `api-write` log line of a write (see `crate::run::dispatch`).
    fn log_write(&mut self, r: &WriteRecord<'_>) {
        if !self.logging() {
            return;
        }
        let Some(obj) = r.new.or(r.old) else {
            return;
        };
        let meta = match obj {
            ObjectRef::EndpointSlice(o) => &o.metadata,
            ObjectRef::Endpoints(o) => &o.metadata,
        };
        let outcome = match &r.outcome {
            WriteOutcome::Stored { resource_version } => format!("rv={resource_version}"),
            WriteOutcome::Rejected { reason, .. } => format!("rejected: {reason}"),
        };
        let details = format!(
            "{:?} {} {} by {:?} {outcome}",
            r.verb,
            crate::apiserver::watch::mode_name(obj.resource()),
            key_of(meta),
            r.writer,
        );
        self.log_step(r.time_ns, "api-write", details);
    }

    /// Deliver the informer events due by `t` and run the ESC's slice-informer handlers at
    /// their delivery time (endpointslice_controller.go onEndpointSliceAdd/Update/Delete):
    /// add/update → requeue if `ShouldSync` (someone else changed a slice we track), delete →
    /// `HandleDeletion` (requeue if someone else deleted our slice).
    pub(super) fn deliver_informers(&mut self, t: Nanos) {
        while let Some(d) = self.slice_informer.pop_due(t) {
            if self.logging() {
                let what = match (d.deleted, &d.old) {
                    (true, _) => "deleted",
                    (false, Some(_)) => "updated",
                    (false, None) => "added",
                };
                let details = format!("EndpointSlice {} {} {what}", d.group, d.name);
                self.log_step(d.at, "informer-delivery", details);
            }
            let requeue = if d.deleted {
                match &d.old {
                    Some(old) if is_esc_managed(old) => {
                        let tr = tracked(old, &d.group);
                        self.esc.tracker.has(&tr) && !self.esc.tracker.handle_deletion(&tr)
                    }
                    _ => false,
                }
            } else {
                match self.slice_informer.get(&d.group, &d.name) {
                    Some(es) if is_esc_managed(es) => {
                        self.esc.tracker.should_sync(&tracked(es, &d.group))
                    }
                    _ => false,
                }
            };
            if requeue {
                let delay = ES_CHANGE_MIN_SYNC_DELAY_NS.max(self.ctl[ESC].batch_ns);
                self.ctl[ESC].add_after(&d.group, delay, d.at);
            }
        }
        // the Endpoints informer has no handlers: its deliveries only update the cache
        while let Some(d) = self.ep_informer.pop_due(t) {
            if self.logging() {
                let what = match (d.deleted, &d.old) {
                    (true, _) => "deleted",
                    (false, Some(_)) => "updated",
                    (false, None) => "added",
                };
                let details = format!("Endpoints {} {what}", d.group);
                self.log_step(d.at, "informer-delivery", details);
            }
        }
    }

    pub(super) fn finish_sync(&mut self, c: usize, key: &str, row: SyncRow, now: Nanos) {
        let kind = row.controller;
        let result = row.result;
        if let (Some(i), Some(v)) = (self.open_sync.take(), self.steps.as_mut()) {
            if let Some(l) = v.get_mut(i) {
                l.details.push_str(&format!(
                    " result={} creates={} updates={} deletes={}",
                    result.as_str(),
                    row.creates,
                    row.updates,
                    row.deletes
                ));
            }
        }
        let (st, shared) = self.stats.svc_shared(key);
        st.add_sync(kind, result);
        let mut row = row;
        row.service = shared;
        self.syncs.push(row);
        let q = &mut self.ctl[c].queue;
        match result {
            SyncResult::Success => q.forget(&key.to_string()),
            _ => {
                let k = key.to_string();
                if q.num_requeues(&k) < q.rate_limit().max_retries {
                    q.add_rate_limited(k, now);
                } else {
                    q.forget(&k);
                }
            }
        }
    }
}
