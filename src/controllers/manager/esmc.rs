//! The EndpointSlice mirroring controller's arm: one `syncEndpoints` of an Endpoints key.

use super::*;

impl ControllerManager<'_> {
    pub(super) fn sync_esmc(&mut self, key: &str, now: Nanos) {
        let (ns, name) = split_key(key);
        let (ns, name) = (ns.to_string(), name.to_string());
        self.shared.now = format_time(now);
        let before: Vec<k8s::EndpointSlice> = mirrored_slices(&self.slices, &ns, &name)
            .into_iter()
            .cloned()
            .collect();
        let service = self.services.get(key).map(|s| k8s::Service::clone(s));
        let ep = self.endpoints.get(&ns, &name).cloned();
        let out = self.esmc.sync(
            &ns,
            &name,
            service.as_ref(),
            ep.as_ref(),
            &mut self.slices,
            &mut self.shared,
        );
        let after: Vec<k8s::EndpointSlice> = mirrored_slices(&self.slices, &ns, &name)
            .into_iter()
            .cloned()
            .collect();
        #[cfg(test)]
        if let Some(cc) = self.cross_check.as_mut() {
            use crate::controllers::mirroring::replay::{MirrorCounts, MirrorInputLine};
            cc.mirror.entry(key.to_string()).or_default().push((
                MirrorInputLine {
                    service: service.clone(),
                    endpoints: ep.clone(),
                },
                MirrorCounts {
                    created: out.created,
                    updated: out.updated,
                    deleted: out.deleted,
                    slices: after.len(),
                    endpoints: after.iter().map(|s| s.endpoint_list().len()).sum(),
                },
            ));
        }
        // Report what changed in storage (the mirroring controller writes the store directly).
        let by_name = |v: &[k8s::EndpointSlice]| -> BTreeMap<String, k8s::EndpointSlice> {
            v.iter()
                .map(|e| (s(&e.metadata.name).to_string(), e.clone()))
                .collect()
        };
        let (b, a) = (by_name(&before), by_name(&after));
        let mut writes = 0u64;
        for (n, new) in &a {
            match b.get(n) {
                None => {
                    writes += 1;
                    let w = Write {
                        now,
                        verb: Verb::Create,
                        writer: Writer::MirroringController,
                        old: None,
                        new: Some(ObjectRef::EndpointSlice(new)),
                    };
                    self.write_stored(key, Counter::None, w, stored_rv(&new.metadata));
                }
                Some(old) if old.metadata.resource_version != new.metadata.resource_version => {
                    writes += 1;
                    let w = Write {
                        now,
                        verb: Verb::Update,
                        writer: Writer::MirroringController,
                        old: Some(ObjectRef::EndpointSlice(old)),
                        new: Some(ObjectRef::EndpointSlice(new)),
                    };
                    self.write_stored(key, Counter::None, w, stored_rv(&new.metadata));
                }
                Some(_) => {}
            }
        }
        for (n, old) in &b {
            if !a.contains_key(n) {
                writes += 1;
                let rv = self.shared.peek_resource_version();
                let w = Write {
                    now,
                    verb: Verb::Delete,
                    writer: Writer::MirroringController,
                    old: Some(ObjectRef::EndpointSlice(old)),
                    new: None,
                };
                self.write_stored(key, Counter::None, w, rv);
            }
        }
        let eps = |v: &[k8s::EndpointSlice]| -> BTreeSet<String> {
            v.iter()
                .flat_map(|e| {
                    e.endpoint_list()
                        .iter()
                        .flat_map(|x| x.address_list().to_vec())
                })
                .collect()
        };
        let (eb, ea) = (eps(&before), eps(&after));
        let st = self.stats.svc(key);
        st.mirroring_writes += writes;
        st.slices_max = st.slices_max.max(after.len() as u64);
        let mut row = SyncRow {
            time_ns: now,
            controller: ControllerKind::Mirroring,
            service: key.into(),
            creates: out.created as u64,
            updates: out.updated as u64,
            deletes: out.deleted as u64,
            endpoints_added: ea.difference(&eb).count() as u64,
            endpoints_removed: eb.difference(&ea).count() as u64,
            result: SyncResult::Success,
        };
        if let Some(e) = &out.error {
            row.result = SyncResult::Error;
            let w = Write {
                now,
                verb: Verb::Update,
                writer: Writer::MirroringController,
                old: None,
                new: None,
            };
            self.write_rejected(key, w, e);
        }
        self.finish_sync(ESMC, key, row, now);
    }
}
