//! The EndpointSlice controller's arm: one `syncService` of a Service key.

use super::pods::{Consumer, Held};
use super::*;
use crate::apiserver::write_log::SharedObject;
use crate::controllers::endpoints::PodView;
use crate::controllers::endpointslice::listed::LISTING_SCAN;
use crate::controllers::endpointslice::reconciler::PodSource;
use crate::sim::lookup_hash::ByWord;
use std::collections::HashMap;

impl ControllerManager<'_> {
    pub(super) fn sync_esc(&mut self, key: &str, now: Nanos) {
        // Borrowed from `key` (no copies per sync).
        let (ns, name) = split_key(key);
        let mut row = SyncRow::start(now, ControllerKind::EndpointSlice, key);
        let Some(service) = self.services.get(key).cloned() else {
            let st = self.stats.svc(key);
            st.desired_slices = 0;
            st.endpoints_desired = 0;
            self.esc.delete_service(ns, name);
            self.esc_rngs.remove(key);
            self.name_rngs.remove(key);
            self.finish_sync(ESC, key, row, now);
            return;
        };
        // The predicate `sync_service` starts with, asked first so that a Service it skips
        // lists nothing (and delivers no informer event) here.
        if !manages_slices(&service) {
            self.finish_sync(ESC, key, row, now);
            return;
        }
        // The informer's listing, borrowed (a sync of a big Service must not deep-copy every
        // slice): the Service's slices in creation order (the store's index), then any the
        // informer still holds that storage no longer has (deleted by us, not yet seen
        // deleted). With a lagging informer some may be older versions or missing.
        self.deliver_informers(now);
        let index: &[String] = self.slice_index.get(key).map_or(&[], |v| v.as_slice());
        // A Service has one or two slices: a scan of the index, a sorted copy only for many.
        let sorted: Vec<&str> = if index.len() > LISTING_SCAN {
            let mut v: Vec<&str> = index.iter().map(String::as_str).collect();
            v.sort_unstable();
            v
        } else {
            Vec::new()
        };
        let indexed = |n: &str| {
            if sorted.is_empty() {
                index.iter().any(|i| i == n)
            } else {
                sorted.binary_search(&n).is_ok()
            }
        };
        // Shared, not copied: the listing outlives this borrow of the informer (the
        // before/after endpoint comparison below).
        let listed_rc: Vec<Rc<k8s::EndpointSlice>> = index
            .iter()
            .filter_map(|n| self.slice_informer.get_shared(key, n))
            .chain(
                self.slice_informer
                    .group(key)
                    .filter(|(n, _)| !indexed(n))
                    .filter_map(|(n, _)| self.slice_informer.get_shared(key, n)),
            )
            .filter(|s| is_managed_slice_of(s, ns, name))
            .collect();
        let listed: Vec<&k8s::EndpointSlice> = listed_rc.iter().map(|s| &**s).collect();
        let empty = PodList::default();
        // Which of the Service's pods changed since its previous sync (the pod index collects
        // them for this controller): the sync reads only those.
        let changes = match self.pods.get_mut(ns) {
            Some(list) => list.take_changes_for(name, Consumer::EndpointSlice),
            None => PodChanges::All,
        };
        let ns_pods = self.pods.get(ns).unwrap_or(&empty);
        // The selector index gives exactly the pods a filtered list would (same order), with
        // their parsed Ready transition times; world pods are read in place.
        let lookup = |pod: &str| {
            ns_pods
                .selected_held_at(name, pod)
                .map(|(i, h, t)| (i, (view_of(h), t)))
        };
        let all = || {
            ns_pods
                .selected_held_all_at(name)
                .into_iter()
                .map(|(i, h, t)| (i, (view_of(h), t)))
                .collect()
        };
        let source = PodSource {
            changes: &changes,
            lookup: &lookup,
            all: &all,
        };
        // The key is copied (and the seed derived) only for a Service's first sync.
        let scenario_seed = self.scenario_seed;
        let seed = || service_choice_seed(scenario_seed, key);
        if !self.esc_rngs.contains_key(key) {
            self.esc_rngs
                .insert(key.to_string(), ChaCha8Rng::seed_from_u64(seed()));
        }
        let rng = self.esc_rngs.get_mut(key).expect("inserted above");
        #[cfg(test)]
        let replayed = self.cross_check.as_ref().map(|_| {
            let all: Vec<k8s::Pod> = ns_pods.values().cloned().collect();
            let owned: Vec<k8s::EndpointSlice> = listed.iter().map(|s| (*s).clone()).collect();
            let (mut esc, mut rng) = (self.esc.clone(), rng.clone());
            let out = esc.sync(&service, &all, &owned, &self.node_index, &mut rng);
            (out, esc, rng)
        });
        // The one EndpointSlice sync, shared with the conformance replay.
        let outcome =
            self.esc
                .sync_service_changed(&service, &source, &listed, &self.node_index, rng);
        #[cfg(test)]
        if let (Some((out, esc, replay_rng)), Some(cc)) = (replayed, self.cross_check.as_mut()) {
            assert_eq!(outcome, out, "{key}: EndpointSlice sync outcome");
            assert!(*rng == replay_rng, "{key}: choice stream position");
            assert!(
                self.esc.trigger_times == esc.trigger_times,
                "{key}: trigger-time state"
            );
            // The tracker is BTreeMaps only: its Debug text is canonical.
            assert_eq!(
                format!("{:?}", self.esc.tracker),
                format!("{:?}", esc.tracker),
                "{key}: tracker state"
            );
            cc.esc_syncs += 1;
        }
        let result = match outcome {
            SyncOutcome::Reconciled(r) => r,
            SyncOutcome::Skipped => {
                self.finish_sync(ESC, key, row, now);
                return;
            }
            SyncOutcome::Stale => {
                // Nothing was applied: the next sync takes these changes again.
                drop(listed);
                if let Some(list) = self.pods.get_mut(ns) {
                    list.restore_changes(name, Consumer::EndpointSlice, changes);
                }
                row.result = SyncResult::Stale;
                self.finish_sync(ESC, key, row, now);
                return;
            }
        };
        {
            let st = self.stats.svc(key);
            st.desired_slices = result.metrics.desired_slices as u64;
            st.endpoints_desired = result.metrics.endpoints_desired as u64;
        }
        // Endpoint changes as storage sees them (before vs after the sync's writes), keyed by
        // address; upstream's endpoints_added/removed metrics skip some placeholder paths.
        // The listing before (without slices pending deletion), kept to compare after.
        drop(listed);
        let before: Vec<Rc<k8s::EndpointSlice>> = listed_rc
            .into_iter()
            .filter(|s| s.metadata.deletion_timestamp.is_none())
            .collect();

        // The recorded input line: what the listers held at this sync.
        let record_input = if self.recorders.contains_key(key) {
            let all: Vec<k8s::Pod> = ns_pods.values().cloned().collect();
            Some(all)
        } else {
            None
        };

        // Read by updates only (most syncs write one update or nothing); a Service with few
        // slices is scanned instead (no table built per sync).
        let listed_by_name: HashMap<&str, &Rc<k8s::EndpointSlice>, ByWord> = if before.len()
            > LISTING_SCAN
            && result
                .writes
                .iter()
                .any(|w| matches!(w, SliceWrite::Update(_)))
        {
            before.iter().map(|l| (s(&l.metadata.name), l)).collect()
        } else {
            HashMap::default()
        };
        let mut calls = SliceCounts::default();
        let mut failed = false;
        // Syncs of the same second share the text: copied into the clock's buffer (no
        // allocation), formatted once per second.
        let second = now / NS_PER_SEC;
        if self.esc_now.0 != Some(second) {
            self.esc_now = (Some(second), format_time(now));
        }
        self.shared.now.clone_from(&self.esc_now.1);
        // Swapped with the apiserver's stream in place and back (no move of the map entry).
        let first_sync = match self.name_rngs.get_mut(key) {
            Some(r) => {
                self.shared.swap_rng(r);
                false
            }
            None => {
                let mut r = ChaCha8Rng::seed_from_u64(seed());
                self.shared.swap_rng(&mut r);
                self.name_rngs.insert(key.to_string(), r);
                true
            }
        };
        for w in result.writes {
            match w {
                SliceWrite::Create(body) => {
                    calls.created += 1;
                    match self.slices.create_shared_or_back(&mut self.shared, body) {
                        Ok(stored) => {
                            self.esc.observe_write_of(key, &stored);
                            self.slice_index
                                .entry(key.to_string())
                                .or_default()
                                .push(s(&stored.metadata.name).to_string());
                            row.creates += 1;
                            let rv = stored_rv(&stored.metadata);
                            let w = Write {
                                now,
                                verb: Verb::Create,
                                writer: Writer::EndpointSliceController,
                                old: None,
                                new: None,
                            };
                            self.write_slice_stored(key, Counter::EsCreates, w, stored, rv);
                        }
                        Err(r) => {
                            let w = Write {
                                now,
                                verb: Verb::Create,
                                writer: Writer::EndpointSliceController,
                                old: None,
                                new: Some(ObjectRef::EndpointSlice(&r.body)),
                            };
                            self.write_rejected(key, w, &r.error);
                            failed = true;
                        }
                    }
                }
                SliceWrite::Update(body) => {
                    calls.updated += 1;
                    let old = stored_before(
                        &self.slices,
                        &before,
                        &listed_by_name,
                        ns,
                        s(&body.metadata.name),
                    );
                    match self.slices.update_shared_or_back(&mut self.shared, body) {
                        Ok(out) => {
                            self.esc.observe_write_of(key, &out.object);
                            if out.written {
                                row.updates += 1;
                                let rv = stored_rv(&out.object.metadata);
                                let w = Write {
                                    now,
                                    verb: Verb::Update,
                                    writer: Writer::EndpointSliceController,
                                    old: old.as_deref().map(ObjectRef::EndpointSlice),
                                    new: None,
                                };
                                self.write_slice_stored(key, Counter::EsUpdates, w, out.object, rv);
                            } else {
                                self.stats.svc(key).es_noop_updates += 1;
                            }
                        }
                        Err(r) => {
                            let w = Write {
                                now,
                                verb: Verb::Update,
                                writer: Writer::EndpointSliceController,
                                old: old.as_deref().map(ObjectRef::EndpointSlice),
                                new: Some(ObjectRef::EndpointSlice(&r.body)),
                            };
                            self.write_rejected(key, w, &r.error);
                            failed = true;
                        }
                    }
                }
                SliceWrite::Delete(body) => {
                    calls.deleted += 1;
                    match self.slices.delete_versioned_shared(
                        &mut self.shared,
                        ns,
                        s(&body.metadata.name),
                    ) {
                        Ok((old, rv)) => {
                            self.esc.observe_delete(&old);
                            if let Some(v) = self.slice_index.get_mut(key) {
                                v.retain(|n| Some(n.as_str()) != old.metadata.name.as_deref());
                            }
                            row.deletes += 1;
                            let w = Write {
                                now,
                                verb: Verb::Delete,
                                writer: Writer::EndpointSliceController,
                                old: None,
                                new: None,
                            };
                            let shares = Shares {
                                new: None,
                                old: Some(SharedObject::EndpointSlice(old)),
                            };
                            self.write_stored_shared(key, Counter::EsDeletes, w, shares, rv);
                        }
                        Err(e) => {
                            let w = Write {
                                now,
                                verb: Verb::Delete,
                                writer: Writer::EndpointSliceController,
                                old: Some(ObjectRef::EndpointSlice(&body)),
                                new: None,
                            };
                            self.write_rejected(key, w, &e);
                            failed = true;
                        }
                    }
                }
            }
            if failed {
                break;
            }
        }
        if first_sync {
            // The replay's Endpoints create after the first line draws a UID here.
            self.shared.draw_uid();
        }
        if let Some(r) = self.name_rngs.get_mut(key) {
            self.shared.swap_rng(r);
        }
        // Shared with storage: the address accounting holds this listing until the next sync.
        let alive: Vec<Rc<k8s::EndpointSlice>> = self
            .slice_index
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|n| self.slices.get_shared(ns, n).cloned())
            .collect();
        calls.slices = alive.len();
        calls.endpoints = alive.iter().map(|s| s.endpoint_list().len()).sum();
        (row.endpoints_added, row.endpoints_removed) =
            self.esc.listed_addresses.changes(key, &before, alive);
        let st = self.stats.svc(key);
        st.slices_max = st.slices_max.max(calls.slices as u64);
        if failed || !result.errors.is_empty() {
            row.result = SyncResult::Error;
        }
        if let Some(all) = record_input {
            let pods: Vec<&k8s::Pod> = all.iter().collect();
            // Kept whenever a recorder exists (`ListedNode::object`).
            let nodes: Vec<&k8s::Node> = self
                .nodes
                .values()
                .filter_map(|n| n.object.as_deref())
                .collect();
            if let Some(r) = self.recorders.get_mut(key) {
                if let Err(e) = r.record(&service, &pods, &nodes, calls) {
                    self.record_error.get_or_insert(e.to_string());
                }
            }
        }
        self.finish_sync(ESC, key, row, now);
    }
}

/// A held pod as the controller reads it: a world pod's record in place, or the API object.
fn view_of(h: &Held) -> PodView<'_> {
    match h {
        Held::Row { pod, .. } => PodView::Row(pod),
        Held::Api(p, _) => PodView::Api(p),
    }
}

/// The stored slice `name` before a write, shared from the sync's listing when the listing
/// holds the stored version (same resourceVersion, hence the same object), copied from storage
/// otherwise (a lagging informer).
///
/// `by_name` indexes `listed` when it has more than [`LISTING_SCAN`] slices; a shorter listing
/// is scanned (last of a name, as the map's collect keeps).
fn stored_before(
    store: &Store<k8s::EndpointSlice>,
    listed: &[Rc<k8s::EndpointSlice>],
    by_name: &HashMap<&str, &Rc<k8s::EndpointSlice>, ByWord>,
    ns: &str,
    name: &str,
) -> Option<Rc<k8s::EndpointSlice>> {
    let stored = store.get(ns, name)?;
    let rv = stored.metadata.resource_version.as_deref();
    let found = if listed.len() > LISTING_SCAN {
        by_name.get(name).copied()
    } else {
        listed.iter().rfind(|l| s(&l.metadata.name) == name)
    };
    let shared = found.filter(|l| l.metadata.resource_version.as_deref() == rv);
    Some(match shared {
        Some(l) => Rc::clone(l),
        None => Rc::new(stored.clone()),
    })
}
