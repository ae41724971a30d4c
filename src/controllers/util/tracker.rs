//! EndpointSliceTracker: remembers the generation of every slice a controller
//! wrote, so a sync can tell whether its informer cache has caught up.
//!
//! cite: kubernetes/endpointslice :: util/endpointslice_tracker.go (v0.32.13);
//! origin kubernetes/kubernetes PR #99345 (wait for the cache to catch up with own writes).
//!
//! Generic: slices are described by plain values (service key = namespace +
//! `kubernetes.io/service-name` label, slice UID, generation), so both the
//! EndpointSlice controller and the mirroring controller can use it.

use std::collections::{BTreeMap, HashMap};

use crate::sim::lookup_hash::ByWord;

/// Generation value meaning "we deleted this slice and expect it to disappear".
pub const DELETION_EXPECTED: i64 = -1;

/// A slice as the tracker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedSlice<'a> {
    /// `namespace/service-name` (from the slice's `kubernetes.io/service-name` label).
    pub service_key: &'a str,
    pub uid: &'a str,
    pub generation: i64,
}

/// Per service: slice UID → expected generation (or [`DELETION_EXPECTED`]).
/// The Services are hashed (lookup only, never iterated): every sync looks its Service up,
/// and a tree of 10,000 keys compared ~14 strings a lookup.
#[derive(Debug, Clone, Default)]
pub struct EndpointSliceTracker {
    generations_by_service: HashMap<String, BTreeMap<String, i64>, ByWord>,
}

impl EndpointSliceTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Has`: the tracker knows this slice UID for its service.
    pub fn has(&self, s: &TrackedSlice<'_>) -> bool {
        self.generations_by_service
            .get(s.service_key)
            .is_some_and(|g| g.contains_key(s.uid))
    }

    /// `ShouldSync`: true if the service or slice is unknown or the slice's
    /// generation is newer than the one we recorded (someone else wrote it).
    pub fn should_sync(&self, s: &TrackedSlice<'_>) -> bool {
        match self
            .generations_by_service
            .get(s.service_key)
            .and_then(|g| g.get(s.uid))
        {
            None => true,
            Some(&g) => s.generation > g,
        }
    }

    /// `StaleSlices`: true if the listed slices are behind our own writes — a
    /// slice we deleted is still listed, a listed slice is older than what we
    /// wrote, or a slice we created/updated is missing from the listing.
    pub fn stale_slices(&self, service_key: &str, listed: &[TrackedSlice<'_>]) -> bool {
        let Some(gens) = self.generations_by_service.get(service_key) else {
            return false;
        };
        for s in listed {
            if let Some(&g) = gens.get(s.uid) {
                if g == DELETION_EXPECTED || g > s.generation {
                    return true;
                }
            }
        }
        // A Service has one or two slices: scanning the listing beats building a set of it.
        if listed.len() <= 8 {
            return gens
                .iter()
                .any(|(uid, &g)| g != DELETION_EXPECTED && !listed.iter().any(|s| s.uid == uid));
        }
        let seen: std::collections::BTreeSet<&str> = listed.iter().map(|s| s.uid).collect();
        gens.iter()
            .any(|(uid, &g)| g != DELETION_EXPECTED && !seen.contains(uid.as_str()))
    }

    /// `Update`: record the generation returned by our own create/update.
    pub fn update(&mut self, s: &TrackedSlice<'_>) {
        self.set(s.service_key, s.uid, s.generation);
    }

    /// `ExpectDeletion`: we deleted this slice.
    pub fn expect_deletion(&mut self, s: &TrackedSlice<'_>) {
        self.set(s.service_key, s.uid, DELETION_EXPECTED);
    }

    /// Record `generation` for slice `uid` of `service_key`; the key strings are copied only
    /// for a new entry (every own write of a known slice updates one in place).
    fn set(&mut self, service_key: &str, uid: &str, generation: i64) {
        if !self.generations_by_service.contains_key(service_key) {
            self.generations_by_service
                .insert(service_key.to_string(), BTreeMap::new());
        }
        let gens = self
            .generations_by_service
            .get_mut(service_key)
            .expect("inserted above");
        match gens.get_mut(uid) {
            Some(g) => *g = generation,
            None => {
                gens.insert(uid.to_string(), generation);
            }
        }
    }

    /// `HandleDeletion`: the informer saw the slice go. Returns false (the
    /// service must be resynced) only if we tracked it with a real generation,
    /// i.e. someone else deleted our slice.
    pub fn handle_deletion(&mut self, s: &TrackedSlice<'_>) -> bool {
        if let Some(gens) = self.generations_by_service.get_mut(s.service_key) {
            if let Some(g) = gens.remove(s.uid) {
                return g == DELETION_EXPECTED;
            }
        }
        true
    }

    /// `DeleteService`: forget everything about a service.
    pub fn delete_service(&mut self, service_key: &str) {
        self.generations_by_service.remove(service_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s<'a>(uid: &'a str, g: i64) -> TrackedSlice<'a> {
        TrackedSlice {
            service_key: "ns/svc",
            uid,
            generation: g,
        }
    }

    /// StaleSlices: our own write not yet in the cache (older generation listed, or missing).
    #[test]
    fn stale_slices_detects_cache_behind_own_writes() {
        let mut t = EndpointSliceTracker::new();
        assert!(!t.stale_slices("ns/svc", &[s("a", 1)]));
        t.update(&s("a", 2));
        assert!(t.stale_slices("ns/svc", &[s("a", 1)]));
        assert!(!t.stale_slices("ns/svc", &[s("a", 2)]));
        assert!(t.stale_slices("ns/svc", &[]));
        t.expect_deletion(&s("a", 2));
        assert!(t.stale_slices("ns/svc", &[s("a", 2)]));
        assert!(!t.stale_slices("ns/svc", &[]));
    }

    /// ShouldSync: unknown slice or newer generation than ours.
    #[test]
    fn should_sync_unknown_or_newer() {
        let mut t = EndpointSliceTracker::new();
        assert!(t.should_sync(&s("a", 1)));
        t.update(&s("a", 3));
        assert!(!t.should_sync(&s("a", 3)));
        assert!(t.should_sync(&s("a", 4)));
    }

    /// HandleDeletion returns false only when someone else deleted a slice we track.
    #[test]
    fn handle_deletion_reports_foreign_delete() {
        let mut t = EndpointSliceTracker::new();
        t.update(&s("a", 1));
        t.expect_deletion(&s("b", 1));
        assert!(!t.handle_deletion(&s("a", 1)));
        assert!(t.handle_deletion(&s("b", 1)));
        assert!(!t.has(&s("b", 1)));
    }
}
