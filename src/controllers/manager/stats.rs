//! What the controller manager counts: per-Service write and sync totals, and one row per sync.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::sim::lookup_hash::ByWord;

use crate::scenario::{Nanos, NS_PER_SEC};

/// Which controller ran a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ControllerKind {
    EndpointSlice,
    Endpoints,
    Mirroring,
}

impl ControllerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ControllerKind::EndpointSlice => "endpointslice",
            ControllerKind::Endpoints => "endpoints",
            ControllerKind::Mirroring => "mirroring",
        }
    }

    /// The API writer this controller's writes are attributed to.
    pub fn writer(self) -> crate::apiserver::write_log::Writer {
        use crate::apiserver::write_log::Writer;
        match self {
            ControllerKind::EndpointSlice => Writer::EndpointSliceController,
            ControllerKind::Endpoints => Writer::EndpointsController,
            ControllerKind::Mirroring => Writer::MirroringController,
        }
    }
}

/// How a sync ended (the `syncs` metric label of upstream's `endpointslices_sync_total`
/// style: success / stale / error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SyncResult {
    Success,
    /// Refused because the informer cache is behind the controller's own writes.
    Stale,
    /// An API error or a non-fatal reconcile error (e.g. node not found): retried.
    Error,
}

impl SyncResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncResult::Success => "success",
            SyncResult::Stale => "stale",
            SyncResult::Error => "error",
        }
    }
}

/// One controller sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRow {
    pub time_ns: Nanos,
    pub controller: ControllerKind,
    /// The Service key, shared by its rows (one copy for 200,000 rows of 10,000 Services:
    /// [`ManagerStats::svc_shared`]).
    pub service: Arc<str>,
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
    pub endpoints_added: u64,
    pub endpoints_removed: u64,
    pub result: SyncResult,
}

/// Seconds with nanosecond precision, exact (no floating point).
pub fn format_seconds(t: Nanos) -> String {
    format!("{}.{:09}", t / NS_PER_SEC, t % NS_PER_SEC)
}

impl SyncRow {
    /// A sync of `service` by `controller` at `now` that has written nothing yet.
    pub fn start(now: Nanos, controller: ControllerKind, service: &str) -> Self {
        SyncRow {
            time_ns: now,
            controller,
            service: Arc::from(service),
            creates: 0,
            updates: 0,
            deletes: 0,
            endpoints_added: 0,
            endpoints_removed: 0,
            result: SyncResult::Success,
        }
    }

    pub fn record(&self) -> [String; 9] {
        [
            format_seconds(self.time_ns),
            self.controller.as_str().to_string(),
            self.service.to_string(),
            self.creates.to_string(),
            self.updates.to_string(),
            self.deletes.to_string(),
            self.endpoints_added.to_string(),
            self.endpoints_removed.to_string(),
            self.result.as_str().to_string(),
        ]
    }
}

/// Totals of one Service (or of all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceStats {
    /// EndpointSlice controller writes stored.
    pub es_creates: u64,
    pub es_updates: u64,
    /// No-op updates (the apiserver stored nothing): counted apart from `es_updates`.
    pub es_noop_updates: u64,
    pub es_deletes: u64,
    /// Slices deleted by the garbage collector after the Service was deleted.
    pub es_gc_deletes: u64,
    pub ep_creates: u64,
    pub ep_updates: u64,
    pub ep_deletes: u64,
    /// Mirroring controller writes (create + update + delete).
    pub mirroring_writes: u64,
    /// Writes refused by the apiserver (etcd request too large, conflict, ...).
    pub rejected_writes: u64,
    pub slices_alive: u64,
    pub slices_max: u64,
    /// Indexed by controller kind, then result.
    pub syncs: [[u64; 3]; 3],
    /// The EndpointSlice controller's last computed `desired_endpoint_slices` contribution:
    /// Σ over port mappings of ⌈endpoints / maxEndpointsPerSlice⌉ (0 once the Service is gone).
    /// cite: kubernetes/endpointslice :: metrics/cache.go :: numDesiredSlices (v0.32)
    pub desired_slices: u64,
    /// Its last `endpoints_desired` contribution.
    pub endpoints_desired: u64,
}

impl ServiceStats {
    pub fn add_sync(&mut self, c: ControllerKind, r: SyncResult) {
        self.syncs[c as usize][r as usize] += 1;
    }

    /// API writes stored (all controllers).
    pub fn writes(&self) -> u64 {
        self.es_creates
            + self.es_updates
            + self.es_deletes
            + self.ep_creates
            + self.ep_updates
            + self.ep_deletes
            + self.mirroring_writes
    }

    pub fn merge(&mut self, o: &ServiceStats) {
        self.es_creates += o.es_creates;
        self.es_updates += o.es_updates;
        self.es_noop_updates += o.es_noop_updates;
        self.es_deletes += o.es_deletes;
        self.es_gc_deletes += o.es_gc_deletes;
        self.ep_creates += o.ep_creates;
        self.ep_updates += o.ep_updates;
        self.ep_deletes += o.ep_deletes;
        self.mirroring_writes += o.mirroring_writes;
        self.rejected_writes += o.rejected_writes;
        self.slices_alive += o.slices_alive;
        self.slices_max += o.slices_max;
        self.desired_slices += o.desired_slices;
        self.endpoints_desired += o.endpoints_desired;
        for c in 0..3 {
            for r in 0..3 {
                self.syncs[c][r] += o.syncs[c][r];
            }
        }
    }

    /// `(metric, value)` rows in a fixed order.
    pub fn rows(&self) -> Vec<(String, u64)> {
        let mut v = vec![
            ("es_creates".to_string(), self.es_creates),
            ("es_updates".to_string(), self.es_updates),
            ("es_noop_updates".to_string(), self.es_noop_updates),
            ("es_deletes".to_string(), self.es_deletes),
            ("es_gc_deletes".to_string(), self.es_gc_deletes),
            ("ep_creates".to_string(), self.ep_creates),
            ("ep_updates".to_string(), self.ep_updates),
            ("ep_deletes".to_string(), self.ep_deletes),
            ("mirroring_writes".to_string(), self.mirroring_writes),
            ("rejected_writes".to_string(), self.rejected_writes),
            ("slices_alive".to_string(), self.slices_alive),
            ("slices_max".to_string(), self.slices_max),
        ];
        for c in [
            ControllerKind::EndpointSlice,
            ControllerKind::Endpoints,
            ControllerKind::Mirroring,
        ] {
            for r in [SyncResult::Success, SyncResult::Stale, SyncResult::Error] {
                v.push((
                    format!("syncs_{}_{}", c.as_str(), r.as_str()),
                    self.syncs[c as usize][r as usize],
                ));
            }
        }
        v
    }
}

/// Per-Service stats keyed `namespace/name`, and their total.
///
/// Every write and sync counts into its Service's row ([`ManagerStats::svc`], several times a
/// sync): the row is found through a hash index (lookups only) rather than a search of the
/// 10,000 `ns/name` keys sharing long prefixes; the key order the reports read is kept apart
/// and changes only when a Service is first counted.
#[derive(Debug, Clone, Default)]
pub struct ManagerStats {
    rows: Vec<ServiceStats>,
    /// Key → row (lookups only, never iterated), the key shared with the sync rows.
    index: HashMap<Arc<str>, usize, ByWord>,
    /// Key → row, in key order.
    order: BTreeMap<Arc<str>, usize>,
}

impl ManagerStats {
    pub fn svc(&mut self, key: &str) -> &mut ServiceStats {
        self.svc_shared(key).0
    }

    /// [`ManagerStats::svc`] with the key as kept (for the sync rows to share).
    pub fn svc_shared(&mut self, key: &str) -> (&mut ServiceStats, Arc<str>) {
        let (i, k) = match self.index.get_key_value(key) {
            Some((k, &i)) => (i, Arc::clone(k)),
            None => {
                let i = self.rows.len();
                let k: Arc<str> = Arc::from(key);
                self.rows.push(ServiceStats::default());
                self.index.insert(Arc::clone(&k), i);
                self.order.insert(Arc::clone(&k), i);
                (i, k)
            }
        };
        (&mut self.rows[i], k)
    }

    /// The stats of Service `key`, if it was counted.
    pub fn get(&self, key: &str) -> Option<&ServiceStats> {
        self.index.get(key).map(|&i| &self.rows[i])
    }

    /// Services counted.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Every Service's stats, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ServiceStats)> + '_ {
        self.order.iter().map(|(k, &i)| (&**k, &self.rows[i]))
    }

    /// Every Service's stats, in no particular order.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut ServiceStats> + '_ {
        self.rows.iter_mut()
    }

    pub fn total(&self) -> ServiceStats {
        let mut t = ServiceStats::default();
        for (_, s) in self.iter() {
            t.merge(s);
        }
        t
    }

    /// The `n` Services with the most writes (ties by key).
    pub fn top_by_writes(&self, n: usize) -> Vec<(&str, &ServiceStats)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|a, b| b.1.writes().cmp(&a.1.writes()).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

impl std::ops::Index<&str> for ManagerStats {
    type Output = ServiceStats;

    fn index(&self, key: &str) -> &ServiceStats {
        self.get(key).expect("a Service counted")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_exact() {
        assert_eq!(format_seconds(1_500_000_001), "1.500000001");
        assert_eq!(format_seconds(0), "0.000000000");
    }

    #[test]
    fn totals_and_top() {
        let mut m = ManagerStats::default();
        m.svc("a/x").es_creates = 2;
        m.svc("a/y").ep_updates = 5;
        m.svc("a/y")
            .add_sync(ControllerKind::Endpoints, SyncResult::Error);
        let t = m.total();
        assert_eq!(t.writes(), 7);
        assert_eq!(t.syncs[1][2], 1);
        assert_eq!(m.top_by_writes(1)[0].0, "a/y");
        m.svc("a/a").es_updates = 1;
        let keys: Vec<&str> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a/a", "a/x", "a/y"]);
        assert_eq!((m.len(), m.get("a/y").map(|s| s.ep_updates)), (3, Some(5)));
        let rows = t.rows();
        assert!(rows.contains(&("syncs_endpoints_error".to_string(), 1)));
    }
}
