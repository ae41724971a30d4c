//! The informer event handlers: what a Pod, Node, Service or Endpoints change enqueues
//! (upstream's `addPod` / `updatePod` / `onServiceUpdate` / `onEndpointSliceUpdate` …), and
//! the garbage collection of a deleted Service's slices.

use super::*;
use crate::apiserver::write_log::SharedObject;
use pods::Consumer;

/// The world's own allocation of the changed pod `p` (a copy if the change does not point
/// into the world, as a test's may not).
fn shared_pod(
    p: &crate::cluster::model::Pod,
    world: &World,
) -> std::sync::Arc<crate::cluster::model::Pod> {
    match world.pod_shared(p.id) {
        Some(a) if std::ptr::eq(&**a, p) => std::sync::Arc::clone(a),
        _ => std::sync::Arc::new(p.clone()),
    }
}

impl ControllerManager<'_> {
    /// All keys of Services that select pods with `labels` in `ns` (key order), found
    /// through the namespace's selector index (see [`pods`]).
    ///
    /// The index holds exactly the cached Services' selectors (`index_service` and
    /// `on_service`'s removal keep them in step), so the Services with a non-empty selector
    /// it matches are the answer: no key is looked up again (an empty selector selects
    /// nothing here, `selector_matches`).
    pub(super) fn services_for_labels(
        &self,
        ns: &str,
        labels: Option<&BTreeMap<String, String>>,
    ) -> Vec<String> {
        let Some(list) = self.pods.get(ns) else {
            return Vec::new();
        };
        let keys: Vec<String> = list
            .selecting_nonempty(labels)
            .into_iter()
            .map(|name| {
                let mut k = String::with_capacity(ns.len() + 1 + name.len());
                k.push_str(ns);
                k.push('/');
                k.push_str(name);
                k
            })
            .collect();
        #[cfg(test)]
        {
            let looked_up: Vec<String> = list
                .selecting(labels)
                .into_iter()
                .map(|name| format!("{ns}/{name}"))
                .filter(|k| {
                    self.services
                        .get(k)
                        .is_some_and(|svc| selector_matches(svc.spec.selector.as_ref(), labels))
                })
                .collect();
            assert_eq!(
                keys, looked_up,
                "selector index in step with the Service cache"
            );
        }
        keys
    }

    /// [`Self::services_for_labels`] of the pod `name` the namespace's list holds, from the
    /// pod's memberships ([`PodList::member_services`]: no selector index query).
    #[cfg(test)]
    pub(super) fn services_of_held(&self, ns: &str, name: &str) -> Vec<String> {
        let Some(list) = self.pods.get(ns) else {
            return Vec::new();
        };
        let keys: Vec<String> = list
            .member_services(name)
            .into_iter()
            .map(|svc| {
                let mut k = String::with_capacity(ns.len() + 1 + svc.len());
                k.push_str(ns);
                k.push('/');
                k.push_str(svc);
                k
            })
            .collect();
        #[cfg(test)]
        assert_eq!(
            keys,
            self.services_for_labels(ns, list.held(name).and_then(|h| h.labels()))
        );
        keys
    }

    /// [`Self::enqueue_pod_services`] of [`Self::services_of_held`] of the pod at position `i`
    /// of the namespace's list (the position the list just reported: the name is not looked
    /// up again), by the queue ids the pod's Service rows keep (no key string is made or
    /// looked up per pod event).
    pub(super) fn enqueue_held_pod_services_at(&mut self, ns: &str, i: usize, now: Nanos) {
        let Some(list) = self.pods.get(ns) else {
            return;
        };
        #[cfg(test)]
        {
            let name = list.held_at(i).map(|h| h.name().to_string()).expect("held");
            let expected = self.services_of_held(ns, &name);
            assert!(list
                .member_rows_at(i)
                .map(|m| format!("{ns}/{}", m.name()))
                .eq(expected));
        }
        let (b0, b1) = (self.ctl[ESC].batch_ns, self.ctl[EPC].batch_ns);
        for m in list.member_rows_at(i) {
            self.ctl[ESC].add_member_after(ns, m, Consumer::EndpointSlice, b0, now);
            self.ctl[EPC].add_member_after(ns, m, Consumer::Endpoints, b1, now);
        }
    }

    pub(super) fn enqueue_pod_services(
        &mut self,
        keys: impl IntoIterator<Item = String>,
        now: Nanos,
    ) {
        for k in keys {
            let (b0, b1) = (self.ctl[ESC].batch_ns, self.ctl[EPC].batch_ns);
            self.ctl[ESC].add_after(&k, b0, now);
            self.ctl[EPC].add_after(&k, b1, now);
        }
    }

    pub(super) fn on_pod(
        &mut self,
        now: Nanos,
        change: &ObjChange<'_, crate::cluster::model::Pod>,
        world: &World,
    ) {
        match change {
            ObjChange::Added(p) => {
                // `pod_to_k8s` writes the template's labels as they are; the Services
                // selecting them are the new row's memberships.
                let i = self.ns_pods(&p.namespace).insert_row_reusing(
                    shared_pod(p, world),
                    pod_owner(p, world),
                    None,
                );
                self.enqueue_held_pod_services_at(&p.namespace, i, now);
            }
            ObjChange::Updated { new, .. } => {
                let ns = &*new.namespace;
                // The keys depend on the Services only, not on the pods held: the list is
                // updated first.
                let (old, at) = self
                    .ns_pods(ns)
                    .update_row(shared_pod(new, world), pod_owner(new, world));
                let keys: Vec<String> = match old {
                    // Same template: same labels, hostname and subdomain, so the Services
                    // selecting the old and the new pod are the same and
                    // `services_to_update_on_pod_change_compact` gives them (in key order)
                    // when the pod's state changed, none otherwise.
                    Some(o)
                        if o.world_pod()
                            .is_some_and(|op| Arc::ptr_eq(&op.template, &new.template)) =>
                    {
                        let op = o.world_pod().expect("a world pod");
                        if let Some((_, true)) = pod_change_kind_compact(op, new) {
                            self.enqueue_held_pod_services_at(ns, at, now);
                        }
                        return;
                    }
                    Some(o) => {
                        // Only Services selecting the old or the new labels can be in the
                        // answer; the filter is applied to them in key order.
                        let mut cands: BTreeSet<String> = self
                            .services_for_labels(ns, o.labels())
                            .into_iter()
                            .collect();
                        cands.extend(self.services_for_labels(ns, Some(new.labels())));
                        let svcs: Vec<(&String, &k8s::Service)> = cands
                            .iter()
                            .filter_map(|c| self.services.get_key_value(c).map(|(k, v)| (k, &**v)))
                            .collect();
                        let keys = match o.world_pod() {
                            Some(op) => {
                                services_to_update_on_pod_change_compact(svcs.into_iter(), op, new)
                            }
                            None => services_to_update_on_pod_change(
                                svcs.into_iter(),
                                &o.into_api(),
                                &pod_to_k8s(new, world),
                            ),
                        };
                        keys.into_iter().collect()
                    }
                    None => self.services_for_labels(ns, Some(new.labels())),
                };
                self.enqueue_pod_services(keys, now);
            }
            ObjChange::Deleted(p) => {
                // The pod's Services as its row held them (`services_for_labels` of its labels,
                // checked under test): enqueued by their queue ids, no key string made.
                let ns = &*p.namespace;
                let Some((_old, rows)) = self
                    .pods
                    .get_mut(ns)
                    .and_then(|m| m.remove_held_rows(&p.name))
                else {
                    return;
                };
                #[cfg(test)]
                assert!(rows
                    .iter()
                    .map(|m| format!("{ns}/{}", m.name()))
                    .eq(self.services_for_labels(ns, _old.labels())));
                let (b0, b1) = (self.ctl[ESC].batch_ns, self.ctl[EPC].batch_ns);
                for m in &rows {
                    self.ctl[ESC].add_member_after(ns, m, Consumer::EndpointSlice, b0, now);
                    self.ctl[EPC].add_member_after(ns, m, Consumer::Endpoints, b1, now);
                }
            }
        }
    }

    pub(super) fn on_node(
        &mut self,
        now: Nanos,
        change: &ObjChange<'_, crate::cluster::model::Node>,
    ) {
        let n = node_to_k8s(change.latest());
        let name = s(&n.metadata.name).to_string();
        let n = ListedNode::of(n, !self.recorders.is_empty());
        let topology_change = match change {
            ObjChange::Added(_) => {
                self.node_index.insert(name.clone(), n.sig.1.clone());
                self.nodes.insert(name, n);
                true
            }
            ObjChange::Updated { .. } => {
                self.node_index.insert(name.clone(), n.sig.1.clone());
                let changed = self.nodes.get(&name).map_or(true, |o| o.sig != n.sig);
                self.nodes.insert(name, n);
                changed
            }
            ObjChange::Deleted(_) => {
                self.node_index.remove(&name);
                self.nodes.remove(&name);
                true
            }
        };
        if topology_change && self.ctl[ESC].enabled && self.topology_dirty.is_none() {
            self.topology_dirty = Some(now + PICKUP_DELAY_NS);
        }
    }

    /// The topology queue's single item: `SetNodes` with the node lister's content, then
    /// `Add` every overloaded Service (checkNodeTopologyDistribution).
    pub(super) fn run_topology(&mut self, now: Nanos) {
        self.topology_dirty = None;
        let infos: Vec<_> = self
            .nodes
            .values()
            .filter_map(|n| n.info.clone().ok())
            .collect();
        self.esc.reconciler.topology.set_nodes(&infos);
        let overloaded = self.esc.reconciler.topology.overloaded_services();
        if self.logging() {
            let details = format!(
                "{} nodes, {} overloaded Services",
                infos.len(),
                overloaded.len()
            );
            self.log_step(now, "topology-update", details);
        }
        for k in overloaded {
            self.ctl[ESC].add(&k, now);
        }
    }

    pub(super) fn on_service(
        &mut self,
        now: Nanos,
        change: &ObjChange<'_, crate::cluster::model::ServiceObj>,
    ) {
        let svc = service_to_k8s(change.latest());
        let key = key_of(&svc.metadata);
        let selectorless =
            |sv: &k8s::Service| sv.spec.selector.as_ref().map_or(true, |m| m.is_empty());
        self.ctl[ESC].add(&key, now);
        self.ctl[EPC].add(&key, now);
        match change {
            ObjChange::Added(o) => {
                if selectorless(&svc) {
                    self.ctl[ESMC].add(&key, now);
                    if let Some(m) = &o.spec.manual_endpoints {
                        let ep = manual_endpoints(&svc, m);
                        self.manual.insert(key.clone(), ep.clone());
                        self.user_create_endpoints(now, ep);
                    }
                }
                self.index_service(&key, &svc);
                self.services.insert(key, Rc::new(svc));
            }
            ObjChange::Updated { .. } => {
                let flipped = self
                    .services
                    .get(&key)
                    .map_or(true, |o| selectorless(o) != selectorless(&svc));
                if flipped {
                    self.ctl[ESMC].add(&key, now);
                }
                self.index_service(&key, &svc);
                self.services.insert(key, Rc::new(svc));
            }
            ObjChange::Deleted(_) => {
                if selectorless(&svc) {
                    self.ctl[ESMC].add(&key, now);
                }
                self.services.remove(&key);
                let (ns, name) = split_key(&key);
                if let Some(list) = self.pods.get_mut(ns) {
                    list.remove_service(name);
                }
                self.garbage_collect(now, &key);
            }
        }
    }

    /// Keep the namespace's selector index in step with the Service cache.
    pub(super) fn index_service(&mut self, key: &str, svc: &k8s::Service) {
        let (ns, name) = split_key(key);
        self.ns_pods(ns)
            .set_service(name, svc.spec.selector.as_ref());
    }

    /// The namespace's pod cache, created on first use; it collects changed pods per Service
    /// for each controller that runs to take them.
    pub(super) fn ns_pods(&mut self, ns: &str) -> &mut PodList {
        // Looked up by `&str` first: the key is copied only for a new namespace, not on
        // every pod event.
        if !self.pods.contains_key(ns) {
            let tracked = (self.ctl[EPC].enabled, self.ctl[ESC].enabled);
            self.pods
                .insert(ns.to_string(), PodList::tracking(tracked.0, tracked.1));
        }
        self.pods.get_mut(ns).expect("inserted above")
    }

    pub(super) fn user_create_endpoints(&mut self, now: Nanos, ep: k8s::Endpoints) {
        self.shared.now = format_time(now);
        let key = key_of(&ep.metadata);
        match self.endpoints.create(&mut self.shared, ep.clone()) {
            Ok(stored) => {
                let w = Write {
                    now,
                    verb: Verb::Create,
                    writer: Writer::Other,
                    old: None,
                    new: Some(ObjectRef::Endpoints(&stored)),
                };
                self.write_stored(&key, Counter::None, w, stored_rv(&stored.metadata));
                self.on_endpoints_event(now, &key);
            }
            Err(e) => {
                let w = Write {
                    now,
                    verb: Verb::Create,
                    writer: Writer::Other,
                    old: None,
                    new: Some(ObjectRef::Endpoints(&ep)),
                };
                self.write_rejected(&key, w, &e);
            }
        }
    }

    /// Endpoints informer event: ESMC mirrors selectorless Services' Endpoints.
    pub(super) fn on_endpoints_event(&mut self, now: Nanos, key: &str) {
        let mirror = self.services.get(key).map_or(true, |s| {
            s.spec.selector.as_ref().map_or(true, |m| m.is_empty())
        });
        if mirror {
            self.ctl[ESMC].add(key, now);
        }
    }

    /// The garbage collector deletes the slices owned by a deleted Service.
    pub(super) fn garbage_collect(&mut self, now: Nanos, key: &str) {
        let names = self.slice_index.remove(key).unwrap_or_default();
        let (ns, _) = split_key(key);
        let ns = ns.to_string();
        for n in names {
            match self
                .slices
                .delete_versioned_shared(&mut self.shared, &ns, &n)
            {
                Ok((old, rv)) => {
                    let w = Write {
                        now,
                        verb: Verb::Delete,
                        writer: Writer::Other,
                        old: None,
                        new: None,
                    };
                    let shares = Shares {
                        new: None,
                        old: Some(SharedObject::EndpointSlice(old)),
                    };
                    self.write_stored_shared(key, Counter::EsGcDeletes, w, shares, rv);
                }
                Err(_) => continue,
            }
        }
    }
}
