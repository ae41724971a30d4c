//! The Endpoints controller's arm: one `syncService` of a Service key.

use super::*;
use crate::apiserver::write_log::SharedObject;
use crate::controllers::endpoints::PlannedWrite;
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
        let selected = list.selected(&name);
        let lookup = |pod: &str| list.selected_pod(&name, pod);
        let current = self.ep_informer.get_shared(key, "");
        // The one Endpoints sync, shared with the conformance replay (which passes no hint).
        let planned = self.epc.plan_sync(
            &service,
            &selected,
            Some(PodChangeHint {
                changes: &changes,
                lookup: &lookup,
            }),
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
        let planned_copy = planned.clone().map(PlannedWrite::build);
        // What a refused write reports as sent: the shell and its tails of a cache-backed body
        // (so the built object goes to the store without a copy), else a copy of the body.
        let mut sent_shell = None;
        let (decision, shell) = match (planned, refused.is_some()) {
            (Ok(PlannedWrite::Create(b) | PlannedWrite::Update(b)), true) => {
                (Ok(EndpointsWrite::None), Some(b.into_shell()))
            }
            (p, _) => {
                if let Ok(PlannedWrite::Create(b) | PlannedWrite::Update(b)) = &p {
                    sent_shell = b.shell().map(|(sh, t)| (sh.clone(), t.to_vec()));
                }
                (p.map(PlannedWrite::build), None)
            }
        };
        #[cfg(test)]
        if let Some(cc) = self.cross_check.as_mut() {
            let all: Vec<k8s::Pod> = list.values().cloned().collect();
            let shadow = cc
                .epc_shadow
                .get_or_insert_with(|| EndpointsController::new(self.epc.options()));
            let replayed = shadow.try_sync(&service, &all, current.as_deref());
            assert_eq!(planned_copy, replayed, "{key}: Endpoints sync");
            cc.epc_syncs += 1;
        }
        drop(selected);
        if let (Some((verb, err, sizes)), Some(shell)) = (refused, shell) {
            row.result = SyncResult::Error;
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
        match decision {
            Err(_) => row.result = SyncResult::Stale,
            Ok(EndpointsWrite::None) => {}
            Ok(EndpointsWrite::Create(e)) => {
                let (body, sent) = sent_of(e, sent_shell);
                match self.endpoints.create_shared(&mut self.shared, body) {
                    Ok(stored) => {
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
                    }
                    Err(err) => {
                        row.result = SyncResult::Error;
                        let w = Write {
                            now,
                            verb: Verb::Create,
                            writer: Writer::EndpointsController,
                            old: None,
                            new: Some(ObjectRef::Endpoints(&sent.0)),
                        };
                        self.write_rejected_sized(key, w, &err, sent.1);
                    }
                }
            }
            Ok(EndpointsWrite::Update(e)) => {
                let (body, sent) = sent_of(e, sent_shell);
                match self.endpoints.update_shared(&mut self.shared, body) {
                    Ok(out) => {
                        if let Some(prev) = &current {
                            self.epc.record_update(prev, &out.object);
                            #[cfg(test)]
                            if let Some(shadow) = self
                                .cross_check
                                .as_mut()
                                .and_then(|c| c.epc_shadow.as_mut())
                            {
                                shadow.record_update(prev, &out.object);
                            }
                        }
                        if out.written {
                            let before = address_set(current.as_deref());
                            let after = address_set(Some(&*out.object));
                            row.updates = 1;
                            row.endpoints_added = after.difference(&before).count() as u64;
                            row.endpoints_removed = before.difference(&after).count() as u64;
                            drop((before, after));
                            let rv = stored_rv(&out.object.metadata);
                            let w = Write {
                                now,
                                verb: Verb::Update,
                                writer: Writer::EndpointsController,
                                old: current.as_deref().map(ObjectRef::Endpoints),
                                new: None,
                            };
                            self.write_endpoints_stored(key, Counter::EpUpdates, w, out.object, rv);
                        }
                    }
                    Err(err) => {
                        row.result = SyncResult::Error;
                        let w = Write {
                            now,
                            verb: Verb::Update,
                            writer: Writer::EndpointsController,
                            old: current.as_deref().map(ObjectRef::Endpoints),
                            new: Some(ObjectRef::Endpoints(&sent.0)),
                        };
                        self.write_rejected_sized(key, w, &err, sent.1);
                    }
                }
            }
        }
        self.finish_sync(EPC, key, row, now);
    }
}

/// The body for the store and what a refusal reports as sent: the shell with the body's sizes
/// when there is one (no copy of the body), else a copy of the body.
fn sent_of(
    e: k8s::Endpoints,
    shell: Option<(k8s::Endpoints, Vec<wire::tails::SubsetTail>)>,
) -> (k8s::Endpoints, (k8s::Endpoints, Option<wire::WireSizes>)) {
    match shell {
        Some((sh, t)) => {
            let sizes = wire::tails::endpoints_sizes_with_tails(&sh, &t).ok();
            (e, (sh, sizes))
        }
        None => {
            let copy = e.clone();
            (e, (copy, None))
        }
    }
}
