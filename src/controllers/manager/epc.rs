//! The Endpoints controller's arm: one `syncService` of a Service key.

use super::*;
use crate::apiserver::write_log::SharedObject;
use crate::controllers::endpoints::{PlannedWrite, SelectionSource};
use crate::wire;

impl ControllerManager<'_> {
    pub(super) fn sync_epc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let (ns, name) = (ns.to_string(), name.to_string());
        let mut row = SyncRow::start(now, ControllerKind::Endpoints, key);
        self.shared.now = format_time(now);
        let Some(service) = self.services.get(key).cloned() else {
            // Service gone: delete its Endpoints (NotFound ignored), forget trackers.
            self.epc.service_deleted(&ns, &name);
            #[cfg(test)]
            if let Some(shadow) = self
                .cross_check
                .as_mut()
                .and_then(|c| c.epc_shadow.as_mut())
            {
                shadow.service_deleted(&ns, &name);
            }
            if !self.manual.contains_key(key) {
                if let Ok((old, rv)) =
                    self.endpoints
                        .delete_versioned_shared(&mut self.shared, &ns, &name)
                {
                    row.deletes = 1;
                    row.endpoints_removed = address_set(Some(&*old)).len() as u64;
                    let w = Write {
                        now,
                        verb: Verb::Delete,
                        writer: Writer::EndpointsController,
                        old: None,
                        new: None,
                    };
                    let shares = Shares {
                        new: None,
                        old: Some(SharedObject::Endpoints(old)),
                    };
                    self.write_stored_shared(key, Counter::EpDeletes, w, shares, rv);
                }
            }
            self.finish_sync(EPC, key, row, now);
            return;
        };
        let empty = PodList::default();
        // The Endpoints informer's copy (may lag behind storage, see [`informer`]).
        self.deliver_informers(now);
        // The pods the selector matches, from the namespace's index (as the controller's own
        // filter of the lister's content would give them), and which of them changed since
        // this Service's previous sync (for the controller's incremental desired state).
        let changes = match self.pods.get_mut(&ns) {
            Some(list) => list.take_changes(&name),
            None => PodChanges::All,
        };
        let list = self.pods.get(&ns).unwrap_or(&empty);
        // Lent lazily: a steady-state sync reads (and builds the API objects of) only the
        // changed pods.
        let lookup = |pod: &str| list.selected_pod(&name, pod);
        let all = || list.selected(&name);
        let current = self.ep_informer.get_shared(key, "");
        #[cfg(test)]
        let epc_opts = self.epc.options();
        // The one Endpoints sync, shared with the conformance replay (which passes no hint).
        let planned = self.epc.plan_sync_source(
            &service,
            SelectionSource {
                changes: &changes,
                lookup: &lookup,
                all: &all,
            },
            current.as_deref(),
        );
        // A write etcd refuses as too large is reported from its shell: never built.
        let refused = match &planned {
            Ok(PlannedWrite::Create(body)) => body.shell().and_then(|(sh, t)| {
                let err = self.endpoints.precheck_create(&mut self.shared, sh, t)?;
                Some((
                    Verb::Create,
                    err,
                    wire::tails::endpoints_sizes_with_tails(sh, t).ok(),
                ))
            }),
            Ok(PlannedWrite::Update(body)) => body.shell().and_then(|(sh, t)| {
                let err = self.endpoints.precheck_update(&self.shared, sh, t)?;
                Some((
                    Verb::Update,
                    err,
                    wire::tails::endpoints_sizes_with_tails(sh, t).ok(),
                ))
            }),
            _ => None,
        };
        #[cfg(test)]
        if let Some(cc) = self.cross_check.as_mut() {
            let all: Vec<k8s::Pod> = list.values().cloned().collect();
            let shadow = cc
                .epc_shadow
                .get_or_insert_with(|| EndpointsController::new(epc_opts));
            let replayed = shadow.try_sync(&service, &all, current.as_deref());
            let planned_copy = planned.clone().map(PlannedWrite::build);
            assert_eq!(planned_copy, replayed, "{key}: Endpoints sync");
            cc.epc_syncs += 1;
        }
        let (verb, body) = match planned {
            Err(_) => {
                row.result = SyncResult::Stale;
                self.finish_sync(EPC, key, row, now);
                return;
            }
            Ok(PlannedWrite::None) => {
                self.finish_sync(EPC, key, row, now);
                return;
            }
            Ok(PlannedWrite::Create(b)) => (Verb::Create, b),
            Ok(PlannedWrite::Update(b)) => (Verb::Update, b),
        };
        if let Some((verb, err, sizes)) = refused {
            row.result = SyncResult::Error;
            let shell = body.into_shell();
            let w = Write {
                now,
                verb,
                writer: Writer::EndpointsController,
                old: match verb {
                    Verb::Update => current.as_deref().map(ObjectRef::Endpoints),
                    _ => None,
                },
                new: Some(ObjectRef::Endpoints(&shell)),
            };
            self.write_rejected_sized(key, w, &err, sizes);
            self.finish_sync(EPC, key, row, now);
            return;
        }
        // The body stays planned: a refusal reports it rebuilt (or its shell), so nothing is
        // copied in case of one.
        let stored = match verb {
            Verb::Create => self
                .endpoints
                .create_shared(&mut self.shared, body.object())
                .map(|o| (o, true)),
            _ => self
                .endpoints
                .update_shared(&mut self.shared, body.object())
                .map(|out| (out.object, out.written)),
        };
        let (stored, written) = match stored {
            Ok(ok) => {
                drop(body);
                ok
            }
            Err(err) => {
                row.result = SyncResult::Error;
                // What was sent: the shell with the body's sizes, else the body rebuilt.
                let sent = match body.shell() {
                    Some((sh, t)) => (
                        sh.clone(),
                        wire::tails::endpoints_sizes_with_tails(sh, t).ok(),
                    ),
                    None => (body.object(), None),
                };
                drop(body);
                let w = Write {
                    now,
                    verb,
                    writer: Writer::EndpointsController,
                    old: match verb {
                        Verb::Update => current.as_deref().map(ObjectRef::Endpoints),
                        _ => None,
                    },
                    new: Some(ObjectRef::Endpoints(&sent.0)),
                };
                self.write_rejected_sized(key, w, &err, sent.1);
                self.finish_sync(EPC, key, row, now);
                return;
            }
        };
        if verb == Verb::Create {
            row.creates = 1;
            row.endpoints_added = address_set(Some(&*stored)).len() as u64;
            let rv = stored_rv(&stored.metadata);
            let w = Write {
                now,
                verb: Verb::Create,
                writer: Writer::EndpointsController,
                old: None,
                new: None,
            };
            self.write_endpoints_stored(key, Counter::EpCreates, w, stored, rv);
        } else {
            if let Some(prev) = &current {
                self.epc.record_update(prev, &stored);
                #[cfg(test)]
                if let Some(shadow) = self
                    .cross_check
                    .as_mut()
                    .and_then(|c| c.epc_shadow.as_mut())
                {
                    shadow.record_update(prev, &stored);
                }
            }
            if written {
                let before = address_set(current.as_deref());
                let after = address_set(Some(&*stored));
                row.updates = 1;
                row.endpoints_added = after.difference(&before).count() as u64;
                row.endpoints_removed = before.difference(&after).count() as u64;
                drop((before, after));
                let rv = stored_rv(&stored.metadata);
                let w = Write {
                    now,
                    verb: Verb::Update,
                    writer: Writer::EndpointsController,
                    old: current.as_deref().map(ObjectRef::Endpoints),
                    new: None,
                };
                self.write_endpoints_stored(key, Counter::EpUpdates, w, stored, rv);
            }
        }
        self.finish_sync(EPC, key, row, now);
    }
}
