//! Where a controller's writes are accounted: stats, the `WriteObserver`, the lagged
//! informers, and the end of a sync (`finish_sync`).

use super::*;

impl ControllerManager<'_> {
    pub(super) fn report(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        rv: u64,
    ) {
        // Every stored write reaches the KCM informers after their lag.
        match (new, old) {
            (Some(ObjectRef::EndpointSlice(o)), _) => {
                let g = slice_service_key(o);
                self.slice_informer.record(
                    now,
                    &mut self.lag_rng,
                    &g,
                    s(&o.metadata.name),
                    Some(o.clone()),
                );
            }
            (None, Some(ObjectRef::EndpointSlice(o))) => {
                let g = slice_service_key(o);
                self.slice_informer
                    .record(now, &mut self.lag_rng, &g, s(&o.metadata.name), None);
            }
            (Some(ObjectRef::Endpoints(o)), _) => {
                let g = key_of(&o.metadata);
                self.ep_informer
                    .record(now, &mut self.ep_lag_rng, &g, "", Some(o.clone()));
            }
            (None, Some(ObjectRef::Endpoints(o))) => {
                let g = key_of(&o.metadata);
                self.ep_informer
                    .record(now, &mut self.ep_lag_rng, &g, "", None);
            }
            (None, None) => {}
        }
        self.observe(now, verb, writer, old, new, rv);
    }

    /// The observer's part of [`ControllerManager::report`].
    pub(super) fn observe(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        rv: u64,
    ) {
        let record = WriteRecord {
            time_ns: now,
            verb,
            writer,
            old,
            new,
            outcome: WriteOutcome::Stored {
                resource_version: rv,
            },
        };
        self.log_write(&record);
        self.observer.on_write(&record);
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
            WriteOutcome::Rejected { reason } => format!("rejected: {reason}"),
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

    /// [`ControllerManager::report`] of an Endpoints create/update the informer shares rather
    /// than copies.
    pub(super) fn report_endpoints(
        &mut self,
        now: Nanos,
        verb: Verb,
        old: Option<&k8s::Endpoints>,
        new: Rc<k8s::Endpoints>,
        rv: u64,
    ) {
        let g = key_of(&new.metadata);
        self.ep_informer
            .record_shared(now, &mut self.ep_lag_rng, &g, "", Some(Rc::clone(&new)));
        self.observe(
            now,
            verb,
            Writer::EndpointsController,
            old.map(ObjectRef::Endpoints),
            Some(ObjectRef::Endpoints(&new)),
            rv,
        );
    }

    pub(super) fn report_rejected(
        &mut self,
        now: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<ObjectRef<'_>>,
        new: Option<ObjectRef<'_>>,
        err: &ApiError,
    ) {
        let record = WriteRecord {
            time_ns: now,
            verb,
            writer,
            old,
            new,
            outcome: WriteOutcome::Rejected {
                reason: err.to_string(),
            },
        };
        self.log_write(&record);
        self.observer.on_write(&record);
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
        self.stats.svc(key).add_sync(kind, result);
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
