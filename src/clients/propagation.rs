//! Endpoint propagation latency, one sample per pod change that matters to endpoints (issue 5):
//! from the pod's readiness change (or the start of its termination, or its deletion) to the
//! moment the last client group watching that mode has APPLIED a view reflecting it.
//!
//! What a pod "should be" in a Service's endpoints follows the controllers
//! (kubernetes/endpointslice :: utils.go :: podToEndpoint, endpoints_controller.go ::
//! addEndpointSubset): listed ready iff it has an IP, is not Succeeded/Failed and is Ready and
//! not terminating — or the Service sets `publishNotReadyAddresses`. A pod change matters when
//! that answer flips for some Service selecting the pod; the change's targets are the answers
//! for every Service selecting it. Both modes get the same change at the same time, so their
//! samples compare exactly.
//!
//! A pending change resolves when, for every target Service and every client group that saw
//! that Service's latest stored object in the mode (selector match at write time), the group's
//! applied view lists the pod as ready (target ready) or no longer does (target not ready: gone,
//! or a terminating endpoint with `ready=false`, or moved out of Endpoints `addresses`).
//! Resolution is checked when a group's view of that pod flips ([`super::Flip`]), so the cost
//! per change is O(Services × groups × log n), never a scan of a Service's endpoints.
//!
//! - Superseded: a later change of the same pod while one is pending replaces it and the
//!   earlier one takes no sample (`propagation_superseded`). Resolving it when the later state
//!   is applied would time a state the clients never got to see, and a pod flapping faster
//!   than the sync period would report the flap's length, not the propagation delay.
//! - Unresolved: still pending at the end of the run (`propagation_unresolved`): pods beyond
//!   the 1,000 addresses of a truncated Endpoints object, Services whose objects no client
//!   group watches (e.g. only kube-proxy and a headless Service), changes too late to arrive.
//! - Nothing to propagate: a change whose targets every seeing group's view already shows (a
//!   pod ready and unready again before any write) takes no sample and counts nowhere.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use super::ServiceKey;
use crate::metrics::Samples;
use crate::scenario::model::StringMap;
use crate::sim::lookup_hash::ByWord;

/// What of a pod decides its endpoint (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PodState {
    /// `Ready` condition True.
    pub ready: bool,
    /// `deletionTimestamp` set.
    pub terminating: bool,
    /// Has at least one pod IP.
    pub has_ip: bool,
    /// Phase Succeeded or Failed.
    pub terminal: bool,
}

impl PodState {
    /// Listed as a ready endpoint of a Service with `publish_not_ready` (None = no pod).
    pub fn listed_ready(this: Option<PodState>, publish_not_ready: bool) -> bool {
        this.is_some_and(|p| {
            p.has_ip && !p.terminal && (publish_not_ready || (p.ready && !p.terminating))
        })
    }

    pub fn of(p: &crate::cluster::model::Pod) -> PodState {
        PodState {
            ready: p.is_ready(),
            terminating: p.is_terminating(),
            has_ip: !p.ips.is_empty(),
            terminal: p.phase.is_terminal(),
        }
    }
}

#[derive(Debug, Clone)]
struct Selecting {
    selector: StringMap,
    publish_not_ready: bool,
    /// The Service's key, shared by every pending change that targets it.
    key: ServiceKey,
}

/// Services with a selector, per namespace, indexed by their selector's first pair (a pod can
/// only match a Service whose first pair is among its labels) so a pod change looks at a few
/// candidates, not every Service. Nested by namespace, key and value so a pod's labels are
/// looked up as they are (no key built per label); the index holds the selectors themselves
/// (shared), so a candidate is not looked up again by name. The namespace, key and value maps
/// are lookup-only hash maps (10,000 values of one key at the scale envelope); every order
/// that reaches a result is the name order of the `BTreeMap`s.
#[derive(Debug, Clone, Default)]
pub struct ServiceIndex {
    /// Namespace → name → selector.
    services: HashMap<String, BTreeMap<String, Rc<Selecting>>, ByWord>,
    /// Namespace → first selector key → its value → Service names → selector.
    by_first_pair: HashMap<String, FirstPairs, ByWord>,
    match_all: BTreeMap<String, BTreeSet<String>>,
}

/// First selector key → its value → Services by name.
type FirstPairs = HashMap<String, HashMap<String, BTreeMap<String, Rc<Selecting>>, ByWord>, ByWord>;

impl ServiceIndex {
    /// Add or replace Service `namespace/name` (its key `key`); `selector` None (selectorless)
    /// removes it.
    pub fn upsert(
        &mut self,
        key: &ServiceKey,
        namespace: &str,
        name: &str,
        selector: Option<&StringMap>,
        publish_not_ready: bool,
    ) {
        self.remove(namespace, name);
        let Some(sel) = selector else {
            return;
        };
        let (ns, n) = (namespace.to_string(), name.to_string());
        let selecting = Rc::new(Selecting {
            selector: sel.clone(),
            publish_not_ready,
            key: key.clone(),
        });
        match sel.iter().next() {
            Some((k, v)) => {
                self.by_first_pair
                    .entry(ns.clone())
                    .or_default()
                    .entry(k.clone())
                    .or_default()
                    .entry(v.clone())
                    .or_default()
                    .insert(n.clone(), Rc::clone(&selecting));
            }
            None => {
                self.match_all
                    .entry(ns.clone())
                    .or_default()
                    .insert(n.clone());
            }
        }
        self.services.entry(ns).or_default().insert(n, selecting);
    }

    pub fn remove(&mut self, namespace: &str, name: &str) {
        let Some(old) = self
            .services
            .get_mut(namespace)
            .and_then(|m| m.remove(name))
        else {
            return;
        };
        if self.services.get(namespace).is_some_and(BTreeMap::is_empty) {
            self.services.remove(namespace);
        }
        match old.selector.iter().next() {
            Some((k, v)) => {
                let Some(keys) = self.by_first_pair.get_mut(namespace) else {
                    return;
                };
                if let Some(values) = keys.get_mut(k) {
                    if let Some(set) = values.get_mut(v) {
                        set.remove(name);
                        if set.is_empty() {
                            values.remove(v);
                        }
                    }
                    if values.is_empty() {
                        keys.remove(k);
                    }
                }
                if keys.is_empty() {
                    self.by_first_pair.remove(namespace);
                }
            }
            None => {
                if let Some(set) = self.match_all.get_mut(namespace) {
                    set.remove(name);
                }
            }
        }
    }

    /// `(key, publishNotReadyAddresses)` of the Services selecting a pod, by name.
    pub fn selecting(&self, namespace: &str, labels: &StringMap) -> Vec<(ServiceKey, bool)> {
        let Some(services) = self.services.get(namespace) else {
            return Vec::new();
        };
        // A vector sorted by name afterwards, not a map: a pod is selected by one or two
        // Services (a map's node allocation per call showed in profiles). A Service is found
        // once (its first pair is one label of the pod), but dedup anyway as the map did.
        let mut names: Vec<(&str, &Selecting)> = self
            .match_all
            .get(namespace)
            .into_iter()
            .flatten()
            .filter_map(|n| Some((n.as_str(), &**services.get(n)?)))
            .collect();
        if let Some(keys) = self.by_first_pair.get(namespace) {
            for (k, v) in labels {
                let Some(set) = keys.get(k.as_str()).and_then(|vs| vs.get(v.as_str())) else {
                    continue;
                };
                for (n, s) in set {
                    if s.selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                        names.push((n, s));
                    }
                }
            }
        }
        if names.len() > 1 {
            names.sort_by(|a, b| a.0.cmp(b.0));
            names.dedup_by(|a, b| a.0 == b.0);
        }
        names
            .into_iter()
            .map(|(_, s)| (s.key.clone(), s.publish_not_ready))
            .collect()
    }
}

/// One pod change: pod `namespace/name` with `labels` went from `old` to `new` (None = no pod:
/// before creation / after deletion).
#[derive(Debug, Clone, Copy)]
pub struct PodChange<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub labels: &'a StringMap,
    pub old: Option<PodState>,
    pub new: Option<PodState>,
}

/// Answers "is pod X ready in group G's applied view of Service S" (the watch hub's clients).
pub trait ViewProbe {
    fn pod_ready(&self, group: usize, service: &ServiceKey, pod: &str) -> bool;
}

#[derive(Debug, Clone)]
struct Pending {
    start_ns: u64,
    /// (Service, should be listed ready); one list for both modes.
    targets: Rc<[(ServiceKey, bool)]>,
}

/// Every (target Service, group that sees it in mode `m`, per `visible`) shows the target, and
/// there is at least one. Takes the tracker's `visible` lists alone, so a caller can hold a
/// pending entry open meanwhile.
fn resolved_in(
    visible: &[Vec<Vec<usize>>; 2],
    m: usize,
    p: &Pending,
    pod: &str,
    probe: &dyn ViewProbe,
) -> bool {
    let mut pairs = 0usize;
    for (svc, want) in p.targets.iter() {
        for &g in visible[m].get(svc.index()).into_iter().flatten() {
            if probe.pod_ready(g, svc, pod) != *want {
                return false;
            }
            pairs += 1;
        }
    }
    pairs > 0
}

/// Per-mode totals.
#[derive(Debug, Clone, Default)]
pub struct ModeLatency {
    pub samples: Samples,
    pub superseded: u64,
    pub unresolved: u64,
}

/// The tracker (see the module docs). Modes are indices 0 and 1.
#[derive(Debug, Clone, Default)]
pub struct Propagation {
    pub services: ServiceIndex,
    /// Per mode, per Service id: client groups that saw its latest stored object.
    visible: [Vec<Vec<usize>>; 2],
    /// Namespace → pod name → its pending change per mode (looked up by the borrowed names:
    /// no key is built per view flip; one key for both modes, which get every change
    /// together). Ordered maps, not hash maps: 150,000 pods turn ready at once when the scale
    /// envelope starts, and a hash table's growth cost more time and peak memory than the
    /// lookups it saves.
    pending: BTreeMap<String, BTreeMap<Box<str>, [Option<Pending>; 2]>>,
    pub modes: [ModeLatency; 2],
}

impl Propagation {
    /// A stored write of Service `service`'s object in mode `m`, seen by client `groups`.
    pub fn object_written(&mut self, m: usize, service: &ServiceKey, groups: &[usize]) {
        let visible = &mut self.visible[m];
        let i = service.index();
        if visible.len() <= i {
            visible.resize_with(i + 1, Vec::new);
        }
        if visible[i] != groups {
            visible[i].clear();
            visible[i].extend_from_slice(groups);
        }
    }

    /// A pod changed at `now`.
    pub fn pod_changed(&mut self, now: u64, c: &PodChange<'_>, probe: &dyn ViewProbe) {
        let (namespace, name) = (c.namespace, c.name);
        let (old, new) = (c.old, c.new);
        // The answer flips for no Service, whatever its publishNotReadyAddresses: nothing to
        // look up (most pod events: scheduling, IP assignment of a not-ready pod, ...).
        if [false, true]
            .iter()
            .all(|&p| PodState::listed_ready(old, p) == PodState::listed_ready(new, p))
        {
            return;
        }
        let mut flipped = false;
        // publishNotReadyAddresses replaced by the target answer in place (no second vector).
        let mut targets = self.services.selecting(namespace, c.labels);
        for (_, publish_then_want) in &mut targets {
            let publish = *publish_then_want;
            let want = PodState::listed_ready(new, publish);
            flipped |= PodState::listed_ready(old, publish) != want;
            *publish_then_want = want;
        }
        if !flipped {
            return;
        }
        let targets: Rc<[(ServiceKey, bool)]> = targets.into();
        // Per mode: the new change, unless already shown (`resolved` reads no pending state,
        // so both are judged before the old ones are replaced).
        let mut slots: [Option<Pending>; 2] = [None, None];
        for (m, slot) in slots.iter_mut().enumerate() {
            let p = Pending {
                start_ns: now,
                targets: Rc::clone(&targets),
            };
            if !resolved_in(&self.visible, m, &p, name, probe) {
                *slot = Some(p);
            }
        }
        let any = slots.iter().any(Option::is_some);
        match self.pending.get_mut(namespace) {
            Some(by_pod) => match by_pod.get_mut(name) {
                Some(cur) => {
                    // A change still pending is superseded.
                    for (m, c) in cur.iter().enumerate() {
                        if c.is_some() {
                            self.modes[m].superseded += 1;
                        }
                    }
                    if any {
                        *cur = slots;
                    } else {
                        by_pod.remove(name);
                    }
                }
                None => {
                    if any {
                        by_pod.insert(name.into(), slots);
                    }
                }
            },
            None => {
                if any {
                    let by_pod = BTreeMap::from([(Box::from(name), slots)]);
                    self.pending.insert(namespace.to_string(), by_pod);
                }
            }
        }
    }

    /// Changes pending in mode `m`.
    pub fn pending_len(&self, m: usize) -> usize {
        self.pending
            .values()
            .flat_map(BTreeMap::values)
            .filter(|s| s[m].is_some())
            .count()
    }

    /// Group `group` of mode `m` changed its applied view of `pod` in `service` at `at`.
    pub fn view_flipped(
        &mut self,
        m: usize,
        at: u64,
        service: &ServiceKey,
        pod: &str,
        probe: &dyn ViewProbe,
    ) {
        // One search of the pod's entry, kept for the update (the tree holds every pod with a
        // change pending: 150,000 when the scale envelope starts).
        let Some(by_pod) = self.pending.get_mut(service.namespace()) else {
            return;
        };
        let Some(slots) = by_pod.get_mut(pod) else {
            return;
        };
        let Some(p) = slots[m].as_ref() else {
            return;
        };
        if resolved_in(&self.visible, m, p, pod, probe) {
            let start = p.start_ns;
            slots[m] = None;
            if slots.iter().all(Option::is_none) {
                by_pod.remove(pod);
            }
            self.modes[m].samples.push(at.saturating_sub(start));
        }
    }

    /// Close the run: what is still pending is unresolved.
    pub fn finish(&mut self) {
        for m in 0..2 {
            self.modes[m].unresolved += self.pending_len(m) as u64;
        }
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Views by hand: (group, service, pod) listed ready.
    #[derive(Default)]
    struct Views(RefCell<BTreeSet<(usize, String, String)>>);

    impl Views {
        fn set(&self, g: usize, svc: &str, pod: &str, ready: bool) {
            let k = (g, svc.to_string(), pod.to_string());
            if ready {
                self.0.borrow_mut().insert(k);
            } else {
                self.0.borrow_mut().remove(&k);
            }
        }
    }

    impl ViewProbe for Views {
        fn pod_ready(&self, g: usize, svc: &ServiceKey, pod: &str) -> bool {
            self.0
                .borrow()
                .contains(&(g, svc.name.to_string(), pod.to_string()))
        }
    }

    /// The key of `"namespace/name"` (tests name at most two Services: ids by hand).
    fn key(name: &str) -> ServiceKey {
        ServiceKey {
            id: u32::from(name.ends_with("manual")),
            name: Rc::from(name),
        }
    }

    fn labels() -> StringMap {
        [("app".to_string(), "web".to_string())].into()
    }

    const READY: Option<PodState> = Some(PodState {
        ready: true,
        terminating: false,
        has_ip: true,
        terminal: false,
    });
    const UNREADY: Option<PodState> = Some(PodState {
        ready: false,
        terminating: false,
        has_ip: true,
        terminal: false,
    });

    fn change<'a>(
        ns: &'a str,
        name: &'a str,
        labels: &'a StringMap,
        old: Option<PodState>,
        new: Option<PodState>,
    ) -> PodChange<'a> {
        PodChange {
            namespace: ns,
            name,
            labels,
            old,
            new,
        }
    }

    fn tracker() -> Propagation {
        let mut p = Propagation::default();
        p.services
            .upsert(&key("ns/web"), "ns", "web", Some(&labels()), false);
        p
    }

    /// Pod ready at t, object written at t+a (seen by groups 0 and 1), group 0 applies at
    /// t+b0, group 1 at t+b → one sample of b (the slowest group), not a or b0.
    #[test]
    fn sample_is_pod_change_to_slowest_group_applied() {
        let v = Views::default();
        let mut p = tracker();
        let t = 10;
        p.pod_changed(t, &change("ns", "p1", &labels(), UNREADY, READY), &v);
        p.object_written(0, &key("ns/web"), &[0, 1]);
        v.set(0, "ns/web", "p1", true);
        p.view_flipped(0, t + 7, &key("ns/web"), "p1", &v);
        assert!(p.modes[0].samples.is_empty(), "group 1 has not applied yet");
        v.set(1, "ns/web", "p1", true);
        p.view_flipped(0, t + 30, &key("ns/web"), "p1", &v);
        assert_eq!(p.modes[0].samples.clone().sorted_values(), &[30]);
        // The other mode never saw an object: unresolved at the end.
        p.finish();
        assert_eq!((p.modes[1].unresolved, p.modes[0].unresolved), (1, 0));
    }

    /// A second change before the first resolved supersedes it; deleting a pod already out of
    /// every view after it became unready is not a change (nothing flips).
    #[test]
    fn superseded_and_non_changes() {
        let v = Views::default();
        let mut p = tracker();
        p.object_written(0, &key("ns/web"), &[0]);
        p.pod_changed(1, &change("ns", "p1", &labels(), None, READY), &v);
        p.pod_changed(2, &change("ns", "p1", &labels(), READY, UNREADY), &v);
        assert_eq!(p.modes[0].superseded, 1);
        // Group 0 never listed it: the unready change has nothing to propagate.
        assert_eq!(p.pending_len(0), 0);
        p.pod_changed(3, &change("ns", "p1", &labels(), UNREADY, None), &v);
        p.finish();
        assert_eq!(p.modes[0].samples.len(), 0);
        assert_eq!(p.modes[0].unresolved, 0);
        assert_eq!(p.modes[1].superseded, 1);
    }

    /// publishNotReadyAddresses: readiness does not matter, deletion does; unselected pods
    /// and selectorless Services take no sample.
    #[test]
    fn publish_not_ready_and_selection() {
        let v = Views::default();
        let mut p = Propagation::default();
        p.services
            .upsert(&key("ns/web"), "ns", "web", Some(&labels()), true);
        p.services
            .upsert(&key("ns/manual"), "ns", "manual", None, false);
        p.object_written(1, &key("ns/web"), &[2]);
        v.set(2, "ns/web", "p1", true);
        p.pod_changed(5, &change("ns", "p1", &labels(), READY, UNREADY), &v);
        let other: StringMap = [("app".to_string(), "db".to_string())].into();
        p.pod_changed(5, &change("ns", "p2", &other, READY, None), &v);
        assert_eq!(p.pending_len(1), 0);
        p.pod_changed(6, &change("ns", "p1", &labels(), UNREADY, None), &v);
        assert_eq!(p.pending_len(1), 1);
        v.set(2, "ns/web", "p1", false);
        p.view_flipped(1, 9, &key("ns/web"), "p1", &v);
        assert_eq!(p.modes[1].samples.clone().sorted_values(), &[3]);
        assert_eq!(
            p.services.selecting("ns", &labels()),
            vec![(key("ns/web"), true)]
        );
        p.services.remove("ns", "web");
        assert!(p.services.selecting("ns", &labels()).is_empty());
    }

    /// The hand-made timeline with real client caches: pod ready at t, its slice written at
    /// t+a, kube-proxy (minSyncPeriod 1 s, synced at t−0.5 s) receives it after d and syncs at
    /// t+b = t−0.5 s+1 s; CoreDNS applies on receipt at t+a+d. One sample: b.
    #[test]
    fn timeline_with_group_clients() {
        use crate::clients::{Change, GroupClient, ViewKind};
        use crate::k8s::ObjectReference;

        struct Groups(Vec<GroupClient>);
        impl ViewProbe for Groups {
            fn pod_ready(&self, g: usize, svc: &ServiceKey, pod: &str) -> bool {
                // Each group has its own memo (and ids): asked by name.
                self.0[g].cache.pod_ready(&svc.name, pod)
            }
        }
        // The client tests' slice, its endpoint naming pod p1.
        let slice = |ready: bool| {
            let mut s = crate::clients::tests::slice("web-abc", &[("10.0.0.1", Some(ready), None)]);
            for e in s.endpoints.iter_mut().flatten() {
                e.target_ref = Some(ObjectReference {
                    kind: Some("Pod".into()),
                    name: Some("p1".into()),
                    ..Default::default()
                });
            }
            s
        };
        const MS: u64 = 1_000_000;
        let t = 10_000 * MS;
        let mut gs = Groups(vec![
            GroupClient::new(ViewKind::KubeProxy, 1000 * MS),
            GroupClient::new(ViewKind::CoreDns, 0),
        ]);
        let mut p = Propagation::default();
        p.services.upsert(
            &key("default/web"),
            "default",
            "web",
            Some(&labels()),
            false,
        );
        // Before: the pod listed not ready, kube-proxy's last sync at t − 0.5 s.
        let w0 = t - 600 * MS;
        for g in &mut gs.0 {
            g.schedule(
                w0,
                100 * MS,
                Change::Slice(std::rc::Rc::new(slice(false)), false),
            );
            g.advance(t);
            g.take_flips();
        }
        p.object_written(0, &key("default/web"), &[0, 1]);
        p.pod_changed(t, &change("default", "p1", &labels(), UNREADY, READY), &gs);
        let (a, d) = (200 * MS, 50 * MS);
        let applied: Vec<u64> =
            gs.0.iter_mut()
                .map(|g| {
                    g.schedule(
                        t + a,
                        d,
                        Change::Slice(std::rc::Rc::new(slice(true)), false),
                    )
                })
                .collect();
        let b = 500 * MS;
        assert_eq!(
            applied,
            [t + b, t + a + d],
            "kube-proxy waits for its next sync"
        );
        // As the watch hub does: step through the apply times, judge each flip then.
        let mut flips = 0;
        for step in [t + a + d, t + b] {
            for g in &mut gs.0 {
                g.advance(step);
            }
            let now: Vec<(u64, super::super::Flip)> =
                gs.0.iter_mut().flat_map(GroupClient::take_flips).collect();
            for (at, f) in now {
                assert_eq!(at, step);
                p.view_flipped(0, at, &f.service, &f.pod, &gs);
                flips += 1;
            }
            if step == t + a + d {
                assert!(
                    p.modes[0].samples.is_empty(),
                    "kube-proxy has not synced yet"
                );
            }
        }
        assert_eq!(flips, 2);
        assert_eq!(p.modes[0].samples.clone().sorted_values(), &[b]);
    }
}
