//! The Endpoints controller's arm: one `syncService` of a Service key.

use super::*;
use crate::apiserver::write_log::SharedObject;
use crate::controllers::endpoints::{PlannedWrite, PodView, SelectionSource};
use crate::controllers::manager::pods::Held;
use crate::wire;

impl ControllerManager<'_> {
    pub(super) fn sync_epc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let mut row = SyncRow::start(now, ControllerKind::Endpoints, key);
        self.shared.now = format_time(now);
        let Some(service) = self.services.get(key).cloned() else {
            // Service gone: delete its Endpoints (NotFound ignored), forget trackers.
            self.epc.service_deleted(ns, name);
            #[cfg(test)]
            if let Some(shadow) = self
                .cross_check
                .as_mut()
                .and_then(|c| c.epc_shadow.as_mut())
            {
                shadow.service_deleted(ns, name);
            }
            if !self.manual.contains_key(key) {
                if let Ok((old, rv)) =
                    self.endpoints
                        .delete_versioned_shared(&mut self.shared, ns, name)
                {
                    row.deletes = 1;
                    row.endpoints_removed = distinct_ips(Some(&*old)).len() as u64;
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
        let changes = match self.pods.get_mut(ns) {
            Some(list) => list.take_changes(name),
            None => PodChanges::All,
        };
        let list = self.pods.get(ns).unwrap_or(&empty);
        // Lent lazily: a steady-state sync reads only the changed pods, each as held (a world
        // pod's record read in place: no API object built).
        let lookup = |pod: &str| list.selected_held(name, pod).map(|(h, t)| (view_of(h), t));
        let all = || {
            list.selected_held_all(name)
                .into_iter()
                .map(|(h, t)| (view_of(h), t))
                .collect()
        };
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
            row.endpoints_added = distinct_ips(Some(&*stored)).len() as u64;
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
                let before = distinct_ips(current.as_deref());
                let after = distinct_ips(Some(&*stored));
                row.updates = 1;
                row.endpoints_added = count_missing(&after, &before) as u64;
                row.endpoints_removed = count_missing(&before, &after) as u64;
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

/// A held pod as the Endpoints controller reads it.
fn view_of(h: &Held) -> PodView<'_> {
    match h {
        Held::Row { pod, .. } => PodView::Row(pod),
        Held::Api(p, _) => PodView::Api(p),
    }
}

/// The distinct ready and not-ready IPs of an Endpoints object, sorted (the manager's
/// `address_set` as a vector). The controller writes each address list in IP-byte order, so
/// the sort only merges a few sorted runs: no tree of 1,000 nodes per write.
fn distinct_ips(ep: Option<&k8s::Endpoints>) -> Vec<&str> {
    let subsets = || ep.into_iter().flat_map(|e| e.subsets.iter().flatten());
    // Sized up front: the flattened iterator gives no size hint, and growing the vector
    // address by address reallocated it several times per write.
    let n = subsets()
        .map(|s| {
            s.addresses.as_ref().map_or(0, Vec::len)
                + s.not_ready_addresses.as_ref().map_or(0, Vec::len)
        })
        .sum();
    let mut ips: Vec<&str> = Vec::with_capacity(n);
    for s in subsets() {
        let lists = [&s.addresses, &s.not_ready_addresses];
        ips.extend(lists.into_iter().flatten().flatten().map(|a| a.ip.as_str()));
    }
    ips.sort();
    ips.dedup();
    ips
}

/// How many of `a` are not in `b` (both sorted and distinct): `a.difference(b).count()`.
fn count_missing(a: &[&str], b: &[&str]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() {
        match b.get(j).map(|y| a[i].cmp(y)) {
            Some(std::cmp::Ordering::Greater) => j += 1,
            Some(std::cmp::Ordering::Equal) => {
                i += 1;
                j += 1;
            }
            _ => {
                n += 1;
                i += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn endpoints(ready: &[u8], not_ready: &[u8]) -> k8s::Endpoints {
        let list = |v: &[u8]| {
            Some(k8s::SharedValue::all(v.iter().map(|i| {
                k8s::EndpointAddress {
                    ip: format!("10.0.0.{i}"),
                    ..Default::default()
                }
            })))
        };
        k8s::Endpoints {
            subsets: Some(vec![k8s::EndpointSubset {
                addresses: list(ready),
                not_ready_addresses: list(not_ready),
                ports: None,
            }]),
            ..Default::default()
        }
    }

    proptest! {
        /// The sorted-vector counts equal the `BTreeSet` ones they replace, on unsorted lists
        /// with duplicates and IPs both ready and not ready.
        #[test]
        fn ip_counts_equal_set_differences(
            a in prop::collection::vec(0u8..40, 0..30), b in prop::collection::vec(0u8..40, 0..10),
            c in prop::collection::vec(0u8..40, 0..30), d in prop::collection::vec(0u8..40, 0..10),
        ) {
            let (x, y) = (endpoints(&a, &b), endpoints(&c, &d));
            let (sx, sy) = (address_set(Some(&x)), address_set(Some(&y)));
            let (vx, vy) = (distinct_ips(Some(&x)), distinct_ips(Some(&y)));
            prop_assert_eq!(vx.len(), sx.len());
            prop_assert_eq!(count_missing(&vx, &vy), sx.difference(&sy).count());
            prop_assert_eq!(count_missing(&vy, &vx), sy.difference(&sx).count());
            prop_assert_eq!(distinct_ips(None).len(), 0);
        }
    }
}
