//! Last-change trigger time tracker shared by the EndpointSlice and Endpoints controllers (k8s.io/endpointslice util/trigger_time_tracker.go).
//!
//! Upstream: `k8s.io/endpointslice :: util/trigger_time_tracker.go ::
//! TriggerTimeTracker.ComputeEndpointLastChangeTriggerTime (v0.32)`, used by
//! `pkg/controller/endpoint/endpoints_controller.go :: syncService` and by the EndpointSlice
//! controller. Rules reproduced here:
//! - state per Service key (namespace, name): the service trigger time (= its creationTimestamp)
//!   and a map pod *name* -> pod trigger time (= lastTransitionTime of the pod's `Ready`
//!   condition; pods without that condition, or with a zero time, are not recorded);
//! - the returned time is the minimum over pods whose trigger time is strictly after the
//!   remembered one (a pod never seen counts as "after" the zero time) and the service time if
//!   it is after the remembered one; zero (`None`) if nothing changed;
//! - the state is replaced by what this call saw (pods absent now are forgotten), even when the
//!   caller ends up writing nothing;
//! - the very first call for a key returns the Service's creationTimestamp (which may be zero).
//!
//! The annotation value is `time.UTC().Format(time.RFC3339Nano)`: see [`Timestamp::to_rfc3339_nano`].

use std::collections::HashMap;

use crate::k8s;
use crate::sim::lookup_hash::ByWord;

/// Annotation key `endpoints.kubernetes.io/last-change-trigger-time` (core/v1 EndpointsLastChangeTriggerTime).
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

pub use crate::k8s::time::Timestamp;

/// Parses an optional API timestamp; absent, empty or unparsable values are Go's zero time
/// (`None`). (Unparsable values cannot reach upstream: decoding would fail first.)
pub fn parse_opt(s: Option<&str>) -> Option<Timestamp> {
    s.and_then(Timestamp::parse)
}

#[derive(Debug, Clone, Default)]
struct ServiceState {
    last_service_trigger_time: Option<Timestamp>,
    /// Pod name → its last trigger time.
    last_pod_trigger_times: PodTimes,
    /// Flipped by every call of [`TriggerTimeTracker::compute_raw`]. Between calls every entry
    /// carries the current value (a call drops the entries it did not stamp, and
    /// [`TriggerTimeTracker::compute_changed`] stamps what it writes), so one bit tells the
    /// entries a call has seen from those it has not.
    epoch: bool,
}

/// Services with at most this many timed pods keep them in a sorted vector.
const SMALL: usize = 32;

/// Pod names up to this many bytes are held inline (a generated name,
/// `<workload>-<pod-template-hash>-<5 chars>`, of a workload named up to ~13 bytes).
const INLINE: usize = 30;

/// A pod name, inline when it fits: 150,000 entries held a boxed name each (16 bytes plus a
/// 32-byte allocation) in each of the two controllers' trackers. Compared, ordered and hashed
/// as the name's bytes (byte order is `str` order).
#[derive(Clone)]
enum PodKey {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl PodKey {
    fn new(name: &str) -> Self {
        let b = name.as_bytes();
        if b.len() <= INLINE {
            let mut a = [0u8; INLINE];
            a[..b.len()].copy_from_slice(b);
            PodKey::Inline(b.len() as u8, a)
        } else {
            PodKey::Heap(b.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            PodKey::Inline(n, a) => &a[..usize::from(*n)],
            PodKey::Heap(b) => b,
        }
    }
}

impl std::fmt::Debug for PodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.bytes()))
    }
}

impl PartialEq for PodKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for PodKey {}

impl std::hash::Hash for PodKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // As `[u8]` hashes, so that a map of keys is looked up by `&[u8]`.
        self.bytes().hash(h);
    }
}

impl std::borrow::Borrow<[u8]> for PodKey {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

/// An entry of the small form: 56 bytes, no allocation of its own for the usual name.
const _: () = assert!(std::mem::size_of::<(PodKey, PodTime)>() == 56);

/// Pod name → entry. Only looked up, never iterated into a result. A Service of a few pods
/// keeps a sorted vector (a hash table of 15 entries spends 32 slots, and 10,000 such
/// Services held 3 KB each); past [`SMALL`] entries a hash map, whose order never shows.
#[derive(Debug, Clone)]
enum PodTimes {
    Small(Vec<(PodKey, PodTime)>),
    Large(HashMap<PodKey, PodTime, ByWord>),
}

impl Default for PodTimes {
    fn default() -> Self {
        PodTimes::Small(Vec::new())
    }
}

impl PodTimes {
    fn len(&self) -> usize {
        match self {
            PodTimes::Small(v) => v.len(),
            PodTimes::Large(m) => m.len(),
        }
    }

    fn find(v: &[(PodKey, PodTime)], name: &str) -> Result<usize, usize> {
        v.binary_search_by(|(k, _)| k.bytes().cmp(name.as_bytes()))
    }

    #[cfg(test)]
    fn get(&self, name: &str) -> Option<&PodTime> {
        match self {
            PodTimes::Small(v) => Self::find(v, name).ok().map(|i| &v[i].1),
            PodTimes::Large(m) => m.get(name.as_bytes()),
        }
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut PodTime> {
        match self {
            PodTimes::Small(v) => Self::find(v, name).ok().map(|i| &mut v[i].1),
            PodTimes::Large(m) => m.get_mut(name.as_bytes()),
        }
    }

    /// Set `name`'s entry (replacing any).
    fn insert(&mut self, name: &str, t: PodTime) {
        match self {
            PodTimes::Small(v) => match Self::find(v, name) {
                Ok(i) => v[i].1 = t,
                Err(i) => {
                    v.insert(i, (PodKey::new(name), t));
                    if v.len() > SMALL {
                        *self = PodTimes::Large(std::mem::take(v).into_iter().collect());
                    }
                }
            },
            PodTimes::Large(m) => {
                if let Some(e) = m.get_mut(name.as_bytes()) {
                    *e = t;
                } else {
                    m.insert(PodKey::new(name), t);
                }
            }
        }
    }

    fn remove(&mut self, name: &str) {
        match self {
            PodTimes::Small(v) => {
                if let Ok(i) = Self::find(v, name) {
                    v.remove(i);
                }
            }
            PodTimes::Large(m) => {
                m.remove(name.as_bytes());
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(&PodTime) -> bool) {
        match self {
            PodTimes::Small(v) => v.retain(|(_, t)| keep(t)),
            PodTimes::Large(m) => m.retain(|_, t| keep(t)),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &PodTime)> + '_> {
        match self {
            PodTimes::Small(v) => Box::new(v.iter().map(|(k, t)| (k.bytes(), t))),
            PodTimes::Large(m) => Box::new(m.iter().map(|(k, t)| (k.bytes(), t))),
        }
    }

    fn get_bytes(&self, name: &[u8]) -> Option<&PodTime> {
        match self {
            PodTimes::Small(v) => v
                .binary_search_by(|(k, _)| k.bytes().cmp(name))
                .ok()
                .map(|i| &v[i].1),
            PodTimes::Large(m) => m.get(name),
        }
    }
}

/// Upstream's state: the service time and the pod times (the epochs and `before` values
/// only serve one call, so a state reached by [`TriggerTimeTracker::compute_changed`]
/// equals the one [`TriggerTimeTracker::compute_raw`] reaches).
impl PartialEq for ServiceState {
    fn eq(&self, other: &Self) -> bool {
        self.last_service_trigger_time == other.last_service_trigger_time
            && self.last_pod_trigger_times.len() == other.last_pod_trigger_times.len()
            && self.last_pod_trigger_times.iter().all(|(k, v)| {
                other.last_pod_trigger_times.get_bytes(k).map(PodTime::time) == Some(v.time())
            })
    }
}

/// One pod's entry: updated in place during a call (one lookup per pod, no per-call map or
/// list proportional to the Service), keeping the value the call started from. 24 bytes:
/// the times are held as their parts (an `Option<Timestamp>` takes 24 alone).
#[derive(Debug, Clone, Copy)]
struct PodTime {
    secs: i64,
    /// `time` as it was before the call that last saw the pod (what that call compares
    /// against).
    before_secs: i64,
    nanos: u32,
    /// Low 31 bits: `before`'s nanoseconds, [`NO_TIME`] for none; top bit ([`EPOCH_BIT`]):
    /// the `epoch` of the call that last saw the pod.
    before_nanos_epoch: u32,
}

/// Nanoseconds of an entry with no previous time (real ones are below 10^9).
const NO_TIME: u32 = 0x7FFF_FFFF;
const EPOCH_BIT: u32 = 1 << 31;

impl PodTime {
    fn new(time: Timestamp, epoch: bool, before: Option<Timestamp>) -> Self {
        let (before_secs, before_nanos) = before.map_or((0, NO_TIME), |b| (b.secs, b.nanos));
        debug_assert!(time.nanos < NO_TIME && before_nanos <= NO_TIME);
        PodTime {
            secs: time.secs,
            before_secs,
            nanos: time.nanos,
            before_nanos_epoch: before_nanos | if epoch { EPOCH_BIT } else { 0 },
        }
    }

    fn time(&self) -> Timestamp {
        Timestamp {
            secs: self.secs,
            nanos: self.nanos,
        }
    }

    fn set_time(&mut self, t: Timestamp) {
        debug_assert!(t.nanos < NO_TIME);
        self.secs = t.secs;
        self.nanos = t.nanos;
    }

    fn epoch(&self) -> bool {
        self.before_nanos_epoch & EPOCH_BIT != 0
    }

    fn before(&self) -> Option<Timestamp> {
        let nanos = self.before_nanos_epoch & !EPOCH_BIT;
        (nanos != NO_TIME).then_some(Timestamp {
            secs: self.before_secs,
            nanos,
        })
    }
}

/// Per-Service state keyed by (namespace, name), looked up by borrowed names: a sync of one of
/// 10,000 Services neither copies its key nor compares it against a dozen others (the
/// controllers' former `BTreeMap<(String, String), _>` did both on every sync). Lookups only:
/// nothing iterates it, so its order never shows (hence [`ByWord`]: a sync looks it up several
/// times, and SipHash of two names was a visible share of a small Service's sync).
#[derive(Debug, Clone)]
pub struct ServiceMap<V> {
    by_ns: HashMap<Box<str>, HashMap<Box<str>, V, ByWord>, ByWord>,
}

impl<V> Default for ServiceMap<V> {
    fn default() -> Self {
        ServiceMap {
            by_ns: HashMap::default(),
        }
    }
}

impl<V: PartialEq> PartialEq for ServiceMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.by_ns == other.by_ns
    }
}

impl<V> ServiceMap<V> {
    pub fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.by_ns.get(namespace)?.get(name)
    }

    pub fn get_mut(&mut self, namespace: &str, name: &str) -> Option<&mut V> {
        self.by_ns.get_mut(namespace)?.get_mut(name)
    }

    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }

    /// The entry, created with `V::default()` if absent (keys copied only then).
    pub fn get_or_default(&mut self, namespace: &str, name: &str) -> &mut V
    where
        V: Default,
    {
        if !self.by_ns.contains_key(namespace) {
            self.by_ns.insert(namespace.into(), HashMap::default());
        }
        let m = self.by_ns.get_mut(namespace).expect("inserted above");
        if !m.contains_key(name) {
            m.insert(name.into(), V::default());
        }
        m.get_mut(name).expect("inserted above")
    }

    pub fn insert(&mut self, namespace: &str, name: &str, v: V) {
        match self.by_ns.get_mut(namespace) {
            Some(m) => {
                if let Some(e) = m.get_mut(name) {
                    *e = v;
                } else {
                    m.insert(name.into(), v);
                }
            }
            None => {
                let mut m = HashMap::default();
                m.insert(name.into(), v);
                self.by_ns.insert(namespace.into(), m);
            }
        }
    }

    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<V> {
        let m = self.by_ns.get_mut(namespace)?;
        let v = m.remove(name);
        if m.is_empty() {
            self.by_ns.remove(namespace);
        }
        v
    }

    /// How many entries (tests).
    pub fn len(&self) -> usize {
        self.by_ns.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_ns.is_empty()
    }
}

/// `TriggerTimeTracker`: one per controller, persists across syncs.
/// `PartialEq` compares the state as a whole (map order aside); the manager's cross-check
/// test uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerTimeTracker {
    states: ServiceMap<ServiceState>,
}

/// `a.After(b)` where `None` is Go's zero time (earlier than any real instant we parse).
fn after(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn min_time(cur: Option<Timestamp>, new: Timestamp) -> Option<Timestamp> {
    match cur {
        Some(c) if c <= new => Some(c),
        _ => Some(new),
    }
}

impl TriggerTimeTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Core of `ComputeEndpointLastChangeTriggerTime` on plain values: `pods` yields
    /// (pod name, Ready condition lastTransitionTime) for every pod the controller listed
    /// (selector match only; no eligibility filter, as upstream).
    pub fn compute_raw<'a>(
        &mut self,
        namespace: &str,
        service_name: &str,
        service_creation: Option<Timestamp>,
        pods: impl IntoIterator<Item = (&'a str, Option<Timestamp>)>,
    ) -> Option<Timestamp> {
        let was_known = self.states.contains(namespace, service_name);
        let state = self.states.get_or_default(namespace, service_name);
        let mut min_changed: Option<Timestamp> = None;
        // The state is updated in place: entries seen now are stamped with this call's
        // epoch (comparisons use the value from before the call, so a repeated name compares
        // like the first), later duplicates win, and entries not seen are forgotten.
        state.epoch = !state.epoch;
        let epoch = state.epoch;
        let mut seen = 0usize;
        for (name, t) in pods {
            let Some(t) = t else { continue };
            let prev = match state.last_pod_trigger_times.get_mut(name) {
                Some(e) => {
                    if e.epoch() != epoch {
                        *e = PodTime::new(e.time(), epoch, Some(e.time()));
                        seen += 1;
                    }
                    e.set_time(t);
                    e.before()
                }
                None => {
                    state
                        .last_pod_trigger_times
                        .insert(name, PodTime::new(t, epoch, None));
                    seen += 1;
                    None
                }
            };
            if after(Some(t), prev) {
                min_changed = min_time(min_changed, t);
            }
        }
        if seen != state.last_pod_trigger_times.len() {
            state.last_pod_trigger_times.retain(|e| e.epoch() == epoch);
        }
        if after(service_creation, state.last_service_trigger_time) {
            if let Some(t) = service_creation {
                min_changed = min_time(min_changed, t);
            }
        }
        state.last_service_trigger_time = service_creation;
        if !was_known {
            return service_creation;
        }
        min_changed
    }

    /// [`TriggerTimeTracker::compute_raw`] when the caller knows which pods changed since its
    /// previous call for this Service (`changed`: pod name → its Ready transition time now,
    /// `None` if the pod is gone, unselected or has none). Pods not listed kept their time, so
    /// they can neither be "changed" nor drop out of the state: the answer and the new state are
    /// those of the full computation, at a cost proportional to the changes. Falls back to the
    /// full computation over `all` when the Service is not known yet.
    pub fn compute_changed<'a>(
        &mut self,
        namespace: &str,
        service_name: &str,
        service_creation: Option<Timestamp>,
        changed: Option<&mut dyn Iterator<Item = (&'a str, Option<Timestamp>)>>,
        all: impl IntoIterator<Item = (&'a str, Option<Timestamp>)>,
    ) -> Option<Timestamp> {
        let (Some(changed), Some(state)) = (changed, self.states.get_mut(namespace, service_name))
        else {
            return self.compute_raw(namespace, service_name, service_creation, all);
        };
        let mut min_changed: Option<Timestamp> = None;
        let epoch = state.epoch;
        for (name, t) in changed {
            match t {
                Some(t) => {
                    // One lookup; the name is copied only for a pod new to the state.
                    let prev = match state.last_pod_trigger_times.get_mut(name) {
                        Some(e) => {
                            let prev = e.time();
                            *e = PodTime::new(t, epoch, Some(prev));
                            Some(prev)
                        }
                        None => {
                            state
                                .last_pod_trigger_times
                                .insert(name, PodTime::new(t, epoch, None));
                            None
                        }
                    };
                    if after(Some(t), prev) {
                        min_changed = min_time(min_changed, t);
                    }
                }
                None => {
                    state.last_pod_trigger_times.remove(name);
                }
            }
        }
        if after(service_creation, state.last_service_trigger_time) {
            if let Some(t) = service_creation {
                min_changed = min_time(min_changed, t);
            }
        }
        state.last_service_trigger_time = service_creation;
        min_changed
    }

    /// `ComputeEndpointLastChangeTriggerTime(namespace, service, pods)`: `pods` are the pods the
    /// controller listed by selector (before any eligibility filter).
    pub fn compute(
        &mut self,
        namespace: &str,
        service: &k8s::Service,
        pods: &[&k8s::Pod],
    ) -> Option<Timestamp> {
        let creation = parse_opt(service.metadata.creation_timestamp.as_deref());
        let name = service.metadata.name.as_deref().unwrap_or("");
        self.compute_raw(
            namespace,
            name,
            creation,
            pods.iter().map(|p| {
                (
                    p.metadata.name.as_deref().unwrap_or(""),
                    pod_trigger_time(p),
                )
            }),
        )
    }

    /// `DeleteService`: forget the Service (called when the Service is gone).
    pub fn delete_service(&mut self, namespace: &str, name: &str) {
        self.states.remove(namespace, name);
    }
}

/// `getPodTriggerTime`: lastTransitionTime of the pod's first `Ready` condition (zero if none).
pub fn pod_trigger_time(pod: &k8s::Pod) -> Option<Timestamp> {
    let cond = pod
        .status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    parse_opt(cond.last_transition_time.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).expect("valid")
    }

    /// `compute_changed` with the names of the pods that changed gives, call after call, the
    /// answer `compute_raw` gives over every pod (random pods appearing, changing their Ready
    /// time, losing it and disappearing).
    #[test]
    fn changed_pods_only_equals_full_computation() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        // 8 names stay in the small (sorted vector) form; 90 cross `SMALL` both ways.
        for round in 0..300 {
            let names = if round % 3 == 0 { 90 } else { 8 };
            let (mut full, mut inc) = (TriggerTimeTracker::new(), TriggerTimeTracker::new());
            let mut pods: BTreeMap<String, Option<Timestamp>> = BTreeMap::new();
            let created = Some(Timestamp { secs: 5, nanos: 0 });
            for step in 0..30 {
                let mut changed = BTreeSet::new();
                for _ in 0..rng.gen_range(0..names / 2) {
                    let name = format!("p{}", rng.gen_range(0..names));
                    match rng.gen_range(0..4) {
                        0 => {
                            pods.remove(&name);
                        }
                        1 => {
                            pods.insert(name.clone(), None);
                        }
                        _ => {
                            let t = Timestamp {
                                secs: rng.gen_range(0..20),
                                nanos: 0,
                            };
                            pods.insert(name.clone(), Some(t));
                        }
                    }
                    changed.insert(name);
                }
                let all = || pods.iter().map(|(n, t)| (n.as_str(), *t));
                let want = full.compute_raw("ns", "svc", created, all());
                let mut it = changed
                    .iter()
                    .map(|n| (n.as_str(), pods.get(n).copied().flatten()));
                let arg = (step > 0).then_some(&mut it as &mut dyn Iterator<Item = _>);
                let got = inc.compute_changed("ns", "svc", created, arg, all());
                assert_eq!(got, want, "step {step}");
                assert_eq!(inc, full, "state after step {step}");
            }
        }
    }

    /// `compute_raw` (entries updated in place, small and large forms) against upstream's
    /// `ComputeEndpointLastChangeTriggerTime` written out plainly (a fresh map per call,
    /// compared with the previous one), on random listings that may repeat a name.
    #[test]
    fn in_place_state_equals_fresh_map_per_call() {
        use rand::{Rng, SeedableRng};
        use std::collections::HashMap;
        type State = (Option<Timestamp>, HashMap<String, Timestamp>);
        fn reference(
            state: &mut Option<State>,
            created: Option<Timestamp>,
            pods: &[(String, Option<Timestamp>)],
        ) -> Option<Timestamp> {
            let was_known = state.is_some();
            let (old_svc, old) = state.take().unwrap_or_default();
            let mut new = HashMap::new();
            let mut min_changed = None;
            for (name, t) in pods {
                let Some(t) = *t else { continue };
                new.insert(name.clone(), t);
                if after(Some(t), old.get(name).copied()) {
                    min_changed = min_time(min_changed, t);
                }
            }
            if after(created, old_svc) {
                if let Some(c) = created {
                    min_changed = min_time(min_changed, c);
                }
            }
            *state = Some((created, new));
            if was_known {
                min_changed
            } else {
                created
            }
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for round in 0..200 {
            let names = [4, 20, 60][round % 3];
            let mut tracker = TriggerTimeTracker::new();
            let mut want_state: Option<State> = None;
            for call in 0..25 {
                let created = (rng.gen_range(0..5) > 0).then_some(Timestamp {
                    secs: rng.gen_range(0..3),
                    nanos: 0,
                });
                let pods: Vec<(String, Option<Timestamp>)> = (0..rng.gen_range(0..names * 2))
                    .map(|_| {
                        let t = (rng.gen_range(0..6) > 0).then_some(Timestamp {
                            secs: rng.gen_range(0..10),
                            nanos: rng.gen_range(0..3),
                        });
                        (format!("p{}", rng.gen_range(0..names)), t)
                    })
                    .collect();
                let want = reference(&mut want_state, created, &pods);
                let got = tracker.compute_raw(
                    "ns",
                    "svc",
                    created,
                    pods.iter().map(|(n, t)| (n.as_str(), *t)),
                );
                assert_eq!(got, want, "round {round} call {call}");
                let (svc_t, map) = want_state.as_ref().expect("state");
                let st = tracker.states.get("ns", "svc").expect("known");
                assert_eq!(st.last_service_trigger_time, *svc_t);
                assert_eq!(st.last_pod_trigger_times.len(), map.len());
                for (k, v) in map {
                    assert_eq!(st.last_pod_trigger_times.get(k).map(|e| e.time()), Some(*v));
                }
            }
        }
    }

    /// metav1.Time JSON and RFC3339Nano formatting round-trip (Go time.Format(RFC3339Nano) trims zeros).
    #[test]
    fn parse_and_format() {
        assert_eq!(ts("1970-01-01T00:00:00Z"), Timestamp { secs: 0, nanos: 0 });
        assert_eq!(
            ts("2026-01-05T09:00:00Z").to_rfc3339_nano(),
            "2026-01-05T09:00:00Z"
        );
        assert_eq!(
            ts("2026-01-05T09:00:00.500Z").to_rfc3339_nano(),
            "2026-01-05T09:00:00.5Z"
        );
        assert_eq!(
            ts("2026-01-05T10:00:00+01:00").to_rfc3339_nano(),
            "2026-01-05T09:00:00Z"
        );
        assert_eq!(
            ts("2024-02-29T23:59:59-00:30").to_rfc3339_nano(),
            "2024-03-01T00:29:59Z"
        );
        assert_eq!(ts("2026-01-05T09:00:00Z").secs, 1767603600);
        assert!(Timestamp::parse("2026-01-05 09:00:00Z").is_none());
        assert!(Timestamp::parse("").is_none());
        assert!(Timestamp::parse("2026-13-05T09:00:00Z").is_none());
    }

    /// ComputeEndpointLastChangeTriggerTime: first sync returns the service creationTimestamp;
    /// later syncs return min over changed pods; unchanged -> zero.
    #[test]
    fn tracker_rules() {
        let mut t = TriggerTimeTracker::new();
        let svc = Some(ts("2026-01-05T08:55:00Z"));
        let a1 = Some(ts("2026-01-05T09:00:10Z"));
        let b1 = Some(ts("2026-01-05T09:00:20Z"));
        // first time: service creation, even though pods are new
        assert_eq!(t.compute_raw("ns", "s", svc, [("a", a1)]), svc);
        // nothing changed -> zero
        assert_eq!(t.compute_raw("ns", "s", svc, [("a", a1)]), None);
        // new pod b -> its time; pods without Ready condition are ignored
        assert_eq!(
            t.compute_raw("ns", "s", svc, [("a", a1), ("b", b1), ("c", None)]),
            b1
        );
        // a transitions later, b earlier than a's new time -> min over changed = a's new time only
        let a2 = Some(ts("2026-01-05T09:01:00Z"));
        assert_eq!(t.compute_raw("ns", "s", svc, [("a", a2), ("b", b1)]), a2);
        // a transition back in time is not "after" -> unchanged
        assert_eq!(t.compute_raw("ns", "s", svc, [("a", a1), ("b", b1)]), None);
        // a pod forgotten and seen again counts as changed
        assert_eq!(t.compute_raw("ns", "s", svc, [("b", b1)]), None);
        assert_eq!(t.compute_raw("ns", "s", svc, [("a", a1), ("b", b1)]), a1);
        // service recreated later -> its new creation time competes
        let svc2 = Some(ts("2026-01-05T09:00:05Z"));
        assert_eq!(t.compute_raw("ns", "s", svc2, [("a", a1), ("b", b1)]), svc2);
        // DeleteService -> first-time rule again
        t.delete_service("ns", "s");
        assert_eq!(t.compute_raw("ns", "s", None, [("a", a1)]), None);
        assert_eq!(t.compute_raw("ns", "s", None, [("a", a1), ("b", b1)]), b1);
    }
}
