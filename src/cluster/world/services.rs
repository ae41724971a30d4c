//! Services: ClusterIP allocation, create, update, delete.

use super::*;

impl World {
    pub(super) fn allocate_cluster_ips(&mut self, i: usize) -> Vec<IpAddr> {
        let s = &self.scenario.services[i];
        if s.headless || s.service_type == scenario::ServiceType::ExternalName {
            return Vec::new();
        }
        let mut out = Vec::new();
        for fam in s.ip_families.clone() {
            let Some(cidr) = self
                .scenario
                .cluster
                .service_cidrs
                .iter()
                .find(|c| c.family() == fam)
                .copied()
            else {
                continue;
            };
            let size = cidr.size().min(1 << 24);
            if size < 4 {
                continue;
            }
            // the apiserver's bitmap allocator picks a random free offset
            for _ in 0..64 {
                let off = self.rng_identity.gen_range(1..size - 1);
                if let Some(ip) = cidr.nth(off) {
                    if self.used_cluster_ips.insert(ip) {
                        out.push(ip);
                        break;
                    }
                }
            }
        }
        out
    }

    pub(super) fn create_service(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        if self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        let ips = self.allocate_cluster_ips(i);
        let uid = ids::uid_v4(&mut self.rng_identity);
        let rv = write_rv(&mut self.resource_version);
        let spec = self.scenario.services[i].clone();
        let s = &mut self.services[i];
        s.spec = spec;
        s.uid = uid;
        s.creation_ns = now;
        s.cluster_ips = ips;
        s.resource_version = rv;
        s.exists = true;
        sink.on_change(
            now,
            &Change::Service(ObjChange::Added(&self.services[i])),
            self,
        );
    }

    pub(super) fn update_service(
        &mut self,
        i: usize,
        ch: &scenario::ServiceChange,
        sink: &mut dyn ChangeSink,
    ) {
        if !self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        let old = self.services[i].clone();
        let s = &mut self.services[i].spec;
        if let Some(p) = &ch.ports {
            s.ports = p.clone();
        }
        if let Some(sel) = &ch.selector {
            s.selector = sel.clone();
        }
        if let Some(b) = ch.publish_not_ready_addresses {
            s.publish_not_ready_addresses = b;
        }
        if let Some(l) = &ch.labels {
            s.labels = l.clone();
        }
        if let Some(a) = &ch.annotations {
            s.annotations = a.clone();
        }
        if let Some(t) = &ch.traffic_distribution {
            s.traffic_distribution = t.clone();
        }
        self.publish_service_update(i, old, now, sink);
    }

    pub(super) fn delete_service(&mut self, i: usize, sink: &mut dyn ChangeSink) {
        if !self.services[i].exists {
            return;
        }
        let now = self.queue.now();
        self.services[i].exists = false;
        for ip in self.services[i].cluster_ips.clone() {
            self.used_cluster_ips.remove(&ip);
        }
        let mut last = self.services[i].clone();
        last.resource_version = write_rv(&mut self.resource_version);
        sink.on_change(now, &Change::Service(ObjChange::Deleted(&last)), self);
    }
}

impl World {
    /// A Service update the API server would publish: nothing when the object is unchanged
    /// (a no-op write is not stored), else a new resourceVersion and an Updated change. Shared
    /// by scenario events and imported-stream replay so both follow the same rule.
    pub(super) fn publish_service_update(
        &mut self,
        i: usize,
        old: ServiceObj,
        now: Nanos,
        sink: &mut dyn ChangeSink,
    ) {
        if self.services[i] == old {
            return;
        }
        self.services[i].resource_version = write_rv(&mut self.resource_version);
        sink.on_change(
            now,
            &Change::Service(ObjChange::Updated {
                old: &old,
                new: &self.services[i],
            }),
            self,
        );
    }
}
