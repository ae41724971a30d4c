//! The kube-controller-manager's EndpointSlice and Endpoints informers, with lag.
//!
//! Upstream the controllers never read the API server directly: they list from informer caches
//! that a watch keeps up to date. A write the controller itself made reaches its cache only
//! when the watch event arrives (apiserver dispatch + delivery, a few milliseconds). A sync
//! that runs inside that window lists the old state; the upstream controllers detect this
//! instead of acting on it:
//! - EndpointSlice controller: `EndpointSliceTracker.StaleSlices` sees a tracked generation
//!   newer than the listed one, a created slice missing or a deleted one still listed → the sync
//!   returns a StaleInformerCache error and the Service is requeued with the rate limiter
//!   (kubernetes/kubernetes pkg/controller/endpointslice :: syncService,
//!   util/endpointslice_tracker.go StaleSlices).
//! - Endpoints controller: `staleEndpointsTracker` remembers the resourceVersion its last
//!   update replaced; listing that version again is an error and a retry (endpoints_controller.go
//!   :: syncService, PR #125675 / #127417; endpoints_tracker.go `IsStale`). An older version it did
//!   not record leads to an update with a stale resourceVersion → 409 Conflict → retry; a create it
//!   cannot see yet leads to a second create → 409 AlreadyExists → retry.
//!
//! Annotation-only slice updates do not bump the generation, so the tracker cannot see them;
//! the next update then carries the cached resourceVersion and conflicts, as upstream.
//!
//! Model: every stored write (any writer) becomes visible at `stored + lag`, lag drawn from
//! `controllers.informer_lag`; one watch stream delivers in order, so visibility times never
//! decrease. With a zero lag every write is visible at once (the behaviour before this model).
//!
//! Objects are held behind `Rc`: a written object is shared by the writer and the cache rather
//! than copied (an Endpoints object of 1,000+ addresses is rewritten on every sync).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use rand::Rng;

use crate::sim::lookup_hash::ByWord;

use crate::scenario::model::DurationDist;
use crate::scenario::Nanos;

/// One delivered watch event.
#[derive(Debug, Clone)]
pub struct Delivered<T> {
    /// When the informer received it.
    pub at: Nanos,
    pub group: String,
    pub name: String,
    pub deleted: bool,
    /// The cached state it replaced or removed.
    pub old: Option<Rc<T>>,
}

/// One informer cache: objects grouped by a key (the Service they belong to) and name.
#[derive(Debug, Clone)]
pub struct LaggedInformer<T> {
    lag: DurationDist,
    /// group → name → object as the informer holds it.
    /// Groups hashed ([`ByWord`]): one is looked up per delivery and per sync, never
    /// iterated; each group's objects stay in name order.
    objects: HashMap<String, BTreeMap<String, Rc<T>>, ByWord>,
    /// Writes not yet delivered, in delivery order: (visible at, group, name, new state).
    pending: VecDeque<(Nanos, String, String, Option<Rc<T>>)>,
    last_visible: Nanos,
}

impl<T: Clone> LaggedInformer<T> {
    pub fn new(lag: DurationDist) -> Self {
        LaggedInformer {
            lag,
            objects: HashMap::default(),
            pending: VecDeque::new(),
            last_visible: 0,
        }
    }

    /// A write stored at `now`: `obj` is the new state (`None` = deleted).
    pub fn record<R: Rng + ?Sized>(
        &mut self,
        now: Nanos,
        rng: &mut R,
        group: &str,
        name: &str,
        obj: Option<T>,
    ) {
        self.record_shared(now, rng, group, name, obj.map(Rc::new));
    }

    /// [`LaggedInformer::record`] of an object the writer keeps sharing.
    pub fn record_shared<R: Rng + ?Sized>(
        &mut self,
        now: Nanos,
        rng: &mut R,
        group: &str,
        name: &str,
        obj: Option<Rc<T>>,
    ) {
        let lag = if self.lag == DurationDist::ZERO {
            0
        } else {
            self.lag.sample(rng)
        };
        let at = (now + lag).max(self.last_visible);
        self.last_visible = at;
        self.pending
            .push_back((at, group.to_string(), name.to_string(), obj));
    }

    /// When the next write becomes visible.
    pub fn next_due(&self) -> Option<Nanos> {
        self.pending.front().map(|p| p.0)
    }

    /// Deliver the next write visible at or before `t`: the cache is updated and the event
    /// returned for the informer's handlers (the new state is in the cache under
    /// `group`/`name`; a delete carries the state it removed).
    pub fn pop_due(&mut self, t: Nanos) -> Option<Delivered<T>> {
        if !matches!(self.pending.front(), Some(p) if p.0 <= t) {
            return None;
        }
        let (at, group, name, obj) = self.pending.pop_front()?;
        let deleted = obj.is_none();
        // One hash of the group per delivery (its key copied only when the group is new).
        let old = match obj {
            Some(o) => match self.objects.get_mut(&group) {
                Some(m) => match m.get_mut(&name) {
                    Some(slot) => Some(std::mem::replace(slot, o)),
                    None => m.insert(name.clone(), o),
                },
                None => {
                    let mut m = BTreeMap::new();
                    m.insert(name.clone(), o);
                    self.objects.insert(group.clone(), m);
                    None
                }
            },
            None => match self.objects.get_mut(&group) {
                Some(m) => {
                    let old = m.remove(&name);
                    if m.is_empty() {
                        self.objects.remove(&group);
                    }
                    old
                }
                None => None,
            },
        };
        Some(Delivered {
            at,
            group,
            name,
            deleted,
            old,
        })
    }

    /// Deliver everything visible at or before `t`, for an informer without handlers.
    pub fn catch_up(&mut self, t: Nanos) {
        while self.pop_due(t).is_some() {}
    }

    pub fn get(&self, group: &str, name: &str) -> Option<&T> {
        self.objects.get(group)?.get(name).map(|o| &**o)
    }

    /// [`LaggedInformer::get`], shared (no copy of the object).
    pub fn get_shared(&self, group: &str, name: &str) -> Option<Rc<T>> {
        self.objects.get(group)?.get(name).cloned()
    }

    /// The group's objects, by name.
    pub fn group(&self, group: &str) -> impl Iterator<Item = (&String, &T)> {
        self.objects
            .get(group)
            .into_iter()
            .flatten()
            .map(|(n, o)| (n, &**o))
    }

    /// Writes not yet visible.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn zero_lag_is_immediate() {
        let mut i = LaggedInformer::new(DurationDist::ZERO);
        let mut r = ChaCha8Rng::seed_from_u64(1);
        i.record(10, &mut r, "ns/a", "x", Some(1u32));
        assert_eq!(i.next_due(), Some(10));
        let d = i.pop_due(10).expect("due at the write instant");
        assert!(!d.deleted && d.old.is_none());
        assert_eq!(i.get("ns/a", "x"), Some(&1));
        i.record(11, &mut r, "ns/a", "x", None);
        let d = i.pop_due(11).expect("due");
        assert!(d.deleted);
        assert_eq!(
            d.old.as_deref(),
            Some(&1),
            "a delete hands its last state to the handlers"
        );
        assert_eq!(i.get("ns/a", "x"), None);
        assert_eq!(i.pending(), 0);
    }

    /// A write is invisible until its lag has passed; deliveries keep the write order even when
    /// a later write draws a shorter lag (one watch stream).
    #[test]
    fn lagged_writes_arrive_in_order() {
        let mut i = LaggedInformer::new(DurationDist::uniform(1_000, 9_000));
        let mut r = ChaCha8Rng::seed_from_u64(7);
        for k in 0..50u32 {
            i.record(100 + k as u64, &mut r, "g", "o", Some(k));
        }
        i.catch_up(100);
        assert_eq!(
            i.get("g", "o"),
            None,
            "nothing visible before the minimum lag"
        );
        let mut last = None;
        for t in (1_000..20_000).step_by(50) {
            i.catch_up(t);
            let now = i.get("g", "o").copied();
            assert!(now >= last, "versions only move forward");
            last = now;
        }
        assert_eq!(last, Some(49));
        assert_eq!(i.pending(), 0);
    }
}
