//! Watch clients: kube-proxy, CoreDNS and custom watchers with their caches (kube-proxy
//! EndpointSliceCache merge/dedupe), rate-limited syncs and propagation latency.
//!
//! Scale model: a group of identical clients (same resource, selector, encoding, latency
//! distribution, sync period) is ONE [`ClientCache`] plus the latency distribution, not one cache
//! per node. Every member receives the same events in the same order; only their delivery delays
//! differ. The group's timing follows its *slowest* member ([`GroupClient`]): each event's delay
//! is the maximum of `count` independent draws from the distribution (sampled in O(1) by inverse
//! transform, [`max_of_uniform`]), and the watch stream keeps events in order, so the slowest
//! member receives event *i* at `max(recv[i-1], write_time[i] + delay[i])`. That is the moment
//! the LAST client can have the change, which is what propagation latency measures.

pub mod propagation;

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

use rand::Rng;

use crate::k8s::{EndpointSlice, Endpoints};
use crate::scenario::model::DurationDist;

/// `kubernetes.io/service-name`: the Service a slice belongs to (kube-proxy and CoreDNS key
/// their caches by it; pkg/proxy/endpointslicecache.go :: newEndpointSliceTracker callers).
pub use crate::k8s::labels::LABEL_SERVICE_NAME;

/// How a client interprets the objects it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKind {
    /// kube-proxy: EndpointSliceCache merge (pkg/proxy/endpointslicecache.go addEndpoints) / the
    /// pre-1.22 Endpoints change tracker (ready `addresses` only).
    KubeProxy,
    /// CoreDNS: ready endpoints only (coredns :: plugin/kubernetes/object/endpoint.go ::
    /// EndpointSliceToEndpoints keeps `ready == nil || ready == true`).
    CoreDns,
    /// Any other client: every endpoint with its conditions, kube-proxy-style keys.
    Raw,
}

/// Conditions of one endpoint as a client sees them (nil conditions resolved: ready nil ⇒ true,
/// serving nil ⇒ ready, terminating nil ⇒ false; discovery/v1 field docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpState {
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// Per service port name: `"ip:port"` → state.
pub type ServiceView = BTreeMap<String, BTreeMap<String, EpState>>;
/// `"namespace/service"` → its ports.
pub type View = BTreeMap<String, ServiceView>;

/// One source object's contribution: (port name, `ip:port`, state, the pod its `targetRef`
/// names), in object order.
type Entries = Vec<(String, String, EpState, Option<Arc<str>>)>;

#[derive(Debug, Clone, Default)]
struct ServiceEntry {
    /// Source object name (slice name, or the Endpoints name) → its entries.
    sources: BTreeMap<String, Entries>,
    /// `(port name, ip:port)` → number of sources carrying it (for duplicate tracking).
    refs: BTreeMap<(String, String), u32>,
    /// Keys with refs > 1.
    dups: usize,
    /// Pod name (`targetRef`) → ready entries naming it, over every source and port. Kept per
    /// apply so "is pod X ready in this view" is one lookup (propagation latency,
    /// [`propagation`]), never a scan of the Service's endpoints.
    pod_ready: BTreeMap<Arc<str>, u32>,
}

/// A pod whose readiness in a client's view changed on one apply: `"namespace/service"`, pod
/// name, ready now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    pub service: String,
    pub pod: Arc<str>,
    pub ready: bool,
}

/// A client's cache of the endpoints of every Service it watches.
#[derive(Debug, Clone)]
pub struct ClientCache {
    pub kind: ViewKind,
    services: BTreeMap<String, ServiceEntry>,
    dups: usize,
    /// Readiness flips of the applies since the last [`ClientCache::take_flips`].
    flips: Vec<Flip>,
}

fn slice_service_key(s: &EndpointSlice) -> Option<String> {
    let ns = s.metadata.namespace.clone().unwrap_or_default();
    let svc = s.metadata.labels.as_ref()?.get(LABEL_SERVICE_NAME)?;
    Some(format!("{ns}/{svc}"))
}

/// The pod an endpoint's `targetRef` names (None for other kinds, e.g. mirrored endpoints of
/// selectorless Services without a pod behind them).
fn target_name(r: Option<&crate::k8s::ObjectReference>) -> Option<&str> {
    let r = r?;
    if r.kind.as_deref().is_some_and(|k| k != "Pod") {
        return None;
    }
    r.name.as_deref()
}

/// Whether `key` is `"{addr}:{port}"`, without formatting it.
fn key_is(key: &str, addr: &str, port: i32) -> bool {
    let Some(rest) = key.strip_prefix(addr).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let mut buf = [0u8; 12];
    rest == fmt_i32(&mut buf, port)
}

/// `port` in decimal, written into `buf`.
fn fmt_i32(buf: &mut [u8; 12], port: i32) -> &str {
    use std::io::Write;
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cur, "{port}");
    let n = usize::try_from(cur.position()).unwrap_or(0);
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// Builds a source's new entry list, moving over entries the old list already has.
///
/// Entries come in object order, and an update usually inserts, removes or changes a few of
/// them: each new entry is compared with the old entry at a cursor (and the one after it, which
/// skips one removed entry); a match is moved over, anything else is built fresh. Old entries
/// never moved over were removed.
struct EntryBuilder {
    old: Vec<Option<Entry>>,
    cursor: usize,
    out: Entries,
    /// Indices into `out` of freshly built entries.
    fresh: Vec<usize>,
}

type Entry = (String, String, EpState, Option<Arc<str>>);

fn entry_is(e: &Entry, name: &str, addr: &str, port: i32, st: EpState, pod: Option<&str>) -> bool {
    e.2 == st && e.0 == name && e.3.as_deref() == pod && key_is(&e.1, addr, port)
}

impl EntryBuilder {
    fn new(old: Entries) -> Self {
        EntryBuilder {
            old: old.into_iter().map(Some).collect(),
            cursor: 0,
            out: Vec::new(),
            fresh: Vec::new(),
        }
    }

    fn push(&mut self, name: &str, addr: &str, port: i32, st: EpState, pod: Option<&str>) {
        for skip in 0..2 {
            let i = self.cursor + skip;
            if self
                .old
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(|e| entry_is(e, name, addr, port, st, pod))
            {
                if let Some(e) = self.old[i].take() {
                    self.out.push(e);
                }
                self.cursor = i + 1;
                return;
            }
        }
        self.fresh.push(self.out.len());
        self.out.push((
            name.to_string(),
            format!("{addr}:{port}"),
            st,
            pod.map(Arc::from),
        ));
    }
}

impl ClientCache {
    pub fn new(kind: ViewKind) -> Self {
        ClientCache {
            kind,
            services: BTreeMap::new(),
            dups: 0,
            flips: Vec::new(),
        }
    }

    /// Whether pod `pod` has a ready endpoint in Service `service` (`"namespace/name"`) of
    /// this view: any port, any address family, any source object. O(log n).
    pub fn pod_ready(&self, service: &str, pod: &str) -> bool {
        self.services
            .get(service)
            .and_then(|se| se.pod_ready.get(pod))
            .is_some_and(|&n| n > 0)
    }

    /// The readiness flips since the last call, in apply order.
    pub fn take_flips(&mut self) -> Vec<Flip> {
        std::mem::take(&mut self.flips)
    }

    /// Entries of a slice as `kind` reads them, emitted into `b`. kube-proxy: each port with a
    /// name and a non-zero port, each endpoint with ≥ 1 address, key = first address only
    /// (pkg/proxy/endpointslicecache.go :: addEndpoints).
    fn slice_entries(kind: ViewKind, s: &EndpointSlice, b: &mut EntryBuilder) {
        for p in s.ports.iter().flatten() {
            let (Some(name), Some(port)) = (p.name.as_ref(), p.port) else {
                continue;
            };
            if port == 0 {
                continue;
            }
            for e in s.endpoints.iter().flatten() {
                let Some(addr) = e.address_list().first() else {
                    continue;
                };
                let ready = e.conditions.ready.unwrap_or(true);
                let pod = target_name(e.target_ref.as_ref());
                let st = EpState {
                    ready,
                    serving: e.conditions.serving.unwrap_or(ready),
                    terminating: e.conditions.terminating.unwrap_or(false),
                };
                match kind {
                    ViewKind::CoreDns => {
                        if !ready {
                            continue;
                        }
                        // CoreDNS keeps every address of a ready endpoint.
                        for a in e.address_list() {
                            b.push(name, a, port, st, pod);
                        }
                    }
                    ViewKind::KubeProxy | ViewKind::Raw => b.push(name, addr, port, st, pod),
                }
            }
        }
    }

    /// Entries of an Endpoints object: ready `addresses` (both kube-proxy's old change tracker
    /// and CoreDNS read only these); [`ViewKind::Raw`] also lists `notReadyAddresses` as not ready.
    fn endpoints_entries(kind: ViewKind, ep: &Endpoints, b: &mut EntryBuilder) {
        for ss in ep.subsets.iter().flatten() {
            for p in ss.ports.iter().flatten() {
                let name = p.name.as_deref().unwrap_or("");
                let ready = EpState {
                    ready: true,
                    serving: true,
                    terminating: false,
                };
                for a in ss.addresses.iter().flatten() {
                    b.push(
                        name,
                        &a.ip,
                        p.port,
                        ready,
                        target_name(a.target_ref.as_ref()),
                    );
                }
                if kind == ViewKind::Raw {
                    let nr = EpState {
                        ready: false,
                        serving: false,
                        terminating: false,
                    };
                    for a in ss.not_ready_addresses.iter().flatten() {
                        b.push(name, &a.ip, p.port, nr, target_name(a.target_ref.as_ref()));
                    }
                }
            }
        }
    }

    /// Replace the entries of `source` in `svc` by what `fill` emits (None: the source is gone),
    /// applying only the difference: entries the new object repeats from the old one are moved
    /// over (no allocation, no change to `refs` or `pod_ready`), the rest are removed and added
    /// as [`ClientCache::replace_whole`] would. Same resulting state and flips as replacing the
    /// whole entry list (`tests/it/client_cache_delta.rs`).
    fn apply(&mut self, svc: String, source: String, fill: Option<&dyn Fn(&mut EntryBuilder)>) {
        let Some(fill) = fill else {
            self.replace_whole(svc, source, None);
            return;
        };
        let old = self
            .services
            .get_mut(&svc)
            .and_then(|se| se.sources.remove(&source))
            .unwrap_or_default();
        let mut b = EntryBuilder::new(old);
        fill(&mut b);
        let EntryBuilder {
            old, out, fresh, ..
        } = b;
        let removed: Entries = old.into_iter().flatten().collect();
        let added: Vec<&Entry> = fresh.iter().map(|&i| &out[i]).collect();
        self.apply_diff(&svc, &removed, &added);
        let se = self.services.entry(svc.clone()).or_default();
        se.sources.insert(source, out);
    }

    /// Remove `removed` and add `added` (entries of one source) to the Service's counters.
    fn apply_diff(&mut self, svc: &str, removed: &[Entry], added: &[&Entry]) {
        let se = self.services.entry(svc.to_string()).or_default();
        let before = se.dups;
        // Net change of ready entries per pod, in pod-name order (the flip order).
        let mut delta: BTreeMap<Arc<str>, i64> = BTreeMap::new();
        for (sign, (_, _, st, pod)) in removed
            .iter()
            .map(|e| (-1, e))
            .chain(added.iter().map(|e| (1, *e)))
        {
            if let (true, Some(pod)) = (st.ready, pod) {
                *delta.entry(Arc::clone(pod)).or_default() += sign;
            }
        }
        for (pod, d) in delta {
            if d == 0 {
                continue;
            }
            let cur = se.pod_ready.get(&pod).copied().unwrap_or(0);
            let next = u32::try_from((i64::from(cur) + d).max(0)).unwrap_or(u32::MAX);
            if next == 0 {
                se.pod_ready.remove(&pod);
            } else {
                se.pod_ready.insert(Arc::clone(&pod), next);
            }
            if (cur > 0) != (next > 0) {
                self.flips.push(Flip {
                    service: svc.to_string(),
                    pod,
                    ready: next > 0,
                });
            }
        }
        for (p, k, _, _) in removed {
            let key = (p.clone(), k.clone());
            if let Some(c) = se.refs.get_mut(&key) {
                *c -= 1;
                if *c == 1 {
                    se.dups -= 1;
                }
                if *c == 0 {
                    se.refs.remove(&key);
                }
            }
        }
        for &(p, k, _, _) in added {
            let c = se.refs.entry((p.clone(), k.clone())).or_insert(0);
            *c += 1;
            if *c == 2 {
                se.dups += 1;
            }
        }
        let after = se.dups;
        self.dups = self.dups + after - before;
    }

    /// The straightforward replacement: remove every old entry of `source`, add every new one.
    /// Kept as the reference [`ClientCache::apply`] is tested against.
    fn replace_whole(&mut self, svc: String, source: String, entries: Option<Entries>) {
        let old = self
            .services
            .get_mut(&svc)
            .and_then(|se| se.sources.remove(&source))
            .unwrap_or_default();
        let added: Vec<&Entry> = entries.iter().flatten().collect();
        self.apply_diff(&svc, &old, &added);
        let se = self.services.entry(svc.clone()).or_default();
        if let Some(new) = entries {
            se.sources.insert(source, new);
        }
        if se.sources.is_empty() {
            self.services.remove(&svc);
        }
    }

    /// Apply one watch event for a slice (`removed` for DELETED). Slices without the
    /// service-name label are ignored, as kube-proxy does.
    pub fn apply_slice(&mut self, s: &EndpointSlice, removed: bool) {
        let Some(svc) = slice_service_key(s) else {
            return;
        };
        let name = s.metadata.name.clone().unwrap_or_default();
        let kind = self.kind;
        let fill = |b: &mut EntryBuilder| Self::slice_entries(kind, s, b);
        self.apply(
            svc,
            name,
            (!removed).then_some(&fill as &dyn Fn(&mut EntryBuilder)),
        );
    }

    /// Apply one watch event for an Endpoints object.
    pub fn apply_endpoints(&mut self, ep: &Endpoints, removed: bool) {
        let ns = ep.metadata.namespace.clone().unwrap_or_default();
        let name = ep.metadata.name.clone().unwrap_or_default();
        let kind = self.kind;
        let fill = |b: &mut EntryBuilder| Self::endpoints_entries(kind, ep, b);
        self.apply(
            format!("{ns}/{name}"),
            name,
            (!removed).then_some(&fill as &dyn Fn(&mut EntryBuilder)),
        );
    }

    /// [`ClientCache::apply_slice`] by replacing the whole entry list (the reference).
    pub fn apply_slice_whole(&mut self, s: &EndpointSlice, removed: bool) {
        let Some(svc) = slice_service_key(s) else {
            return;
        };
        let name = s.metadata.name.clone().unwrap_or_default();
        let entries = (!removed).then(|| {
            let mut b = EntryBuilder::new(Vec::new());
            Self::slice_entries(self.kind, s, &mut b);
            b.out
        });
        self.replace_whole(svc, name, entries);
    }

    /// [`ClientCache::apply_endpoints`] by replacing the whole entry list (the reference).
    pub fn apply_endpoints_whole(&mut self, ep: &Endpoints, removed: bool) {
        let ns = ep.metadata.namespace.clone().unwrap_or_default();
        let name = ep.metadata.name.clone().unwrap_or_default();
        let entries = (!removed).then(|| {
            let mut b = EntryBuilder::new(Vec::new());
            Self::endpoints_entries(self.kind, ep, &mut b);
            b.out
        });
        self.replace_whole(format!("{ns}/{name}"), name, entries);
    }

    /// Number of `(port, ip:port)` keys currently present in more than one source object.
    pub fn duplicate_keys(&self) -> usize {
        self.dups
    }

    /// The merged view. kube-proxy's merge: a later copy replaces an earlier one unless the later
    /// copy is terminating, so a non-terminating copy always wins over a terminating one
    /// (pkg/proxy/endpointslicecache.go :: addEndpoints). Upstream visits slices in Go map
    /// order (random); here in name order, so between two non-terminating copies the slice
    /// with the greater name wins — deterministic, same rule.
    pub fn view(&self) -> View {
        let mut out = View::new();
        for (svc, se) in &self.services {
            let mut sv = ServiceView::new();
            for entries in se.sources.values() {
                for (p, k, st, _) in entries {
                    let m = sv.entry(p.clone()).or_default();
                    match m.get(k) {
                        Some(_) if st.terminating => {}
                        _ => {
                            m.insert(k.clone(), *st);
                        }
                    }
                }
            }
            if !sv.is_empty() {
                out.insert(svc.clone(), sv);
            }
        }
        out
    }
}

/// An object a client will apply later: the stored object itself, shared (see
/// [`crate::apiserver::write_log::SharedObject`]).
#[derive(Debug, Clone)]
pub enum Change {
    Slice(Rc<EndpointSlice>, bool),
    Endpoints(Rc<Endpoints>, bool),
}

#[derive(Debug, Clone)]
struct Pending {
    apply_at: u64,
    change: Change,
}

/// Bit-exact `exp` from IEEE `+ - * /` only (see `sim::rng::det_ln` for why): halve until
/// |x| < 2^-8, Taylor to 12 terms, square back.
pub fn det_exp(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < -745.0 {
        return 0.0;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    let mut k = 0;
    let mut y = x;
    while y.abs() > 1.0 / 256.0 {
        y /= 2.0;
        k += 1;
    }
    let mut sum = 1.0;
    let mut term = 1.0;
    for i in 1..=12 {
        term *= y / f64::from(i);
        sum += term;
    }
    for _ in 0..k {
        sum *= sum;
    }
    sum
}

/// The maximum of `n` independent uniform draws from `dist`, in O(1): `min + (max−min)·U^(1/n)`
/// (the CDF of the maximum is `x^n`).
pub fn max_of_uniform<R: Rng + ?Sized>(rng: &mut R, dist: &DurationDist, n: u64) -> u64 {
    if dist.max_ns <= dist.min_ns || n == 0 {
        return dist.min_ns;
    }
    if n == 1 {
        return dist.sample(rng);
    }
    // U in (0, 1]
    let u = 1.0 - rng.gen::<f64>();
    let f = det_exp(crate::sim::rng::det_ln(u) / n as f64);
    let span = (dist.max_ns - dist.min_ns) as f64;
    dist.min_ns + ((span * f) as u64).min(dist.max_ns - dist.min_ns)
}

/// One group of identical clients: the shared cache, the slowest member's delivery and sync
/// timeline, and the inconsistency integrals.
#[derive(Debug, Clone)]
pub struct GroupClient {
    pub cache: ClientCache,
    /// kube-proxy `minSyncPeriod` (BoundedFrequencyRunner minInterval); 0 = apply on receipt.
    pub min_sync_period_ns: u64,
    last_recv: u64,
    last_sync: Option<u64>,
    pending: VecDeque<Pending>,
    /// End of the current "stale" interval (some stored change not yet applied).
    stale_until: u64,
    stale_start: u64,
    /// Total time some stored change was not yet applied by the slowest member.
    pub stale_ns: u64,
    /// Total time the cache held a duplicate key (an endpoint in two source objects).
    pub duplicate_ns: u64,
    /// Time the last duplicate accounting happened.
    clock: u64,
    pub syncs: u64,
    pub applied_changes: u64,
    /// Pod readiness flips of the slowest member's view with their apply time, oldest first,
    /// until [`GroupClient::take_flips`].
    flips: Vec<(u64, Flip)>,
}

impl GroupClient {
    pub fn new(kind: ViewKind, min_sync_period_ns: u64) -> Self {
        GroupClient {
            cache: ClientCache::new(kind),
            min_sync_period_ns,
            last_recv: 0,
            last_sync: None,
            pending: VecDeque::new(),
            stale_until: 0,
            stale_start: 0,
            stale_ns: 0,
            duplicate_ns: 0,
            clock: 0,
            syncs: 0,
            applied_changes: 0,
            flips: Vec::new(),
        }
    }

    /// Schedule a change written at `write_ns` whose slowest-member delivery delay is
    /// `delay_ns`. Returns the time the slowest member applies it:
    /// receipt `r = max(previous receipt, write + delay)` (watch streams are ordered), then the
    /// BoundedFrequencyRunner: a sync runs at `max(r, last_sync + minSyncPeriod)` and picks up
    /// everything pending (kubernetes/kubernetes :: pkg/util/async/bounded_frequency_runner.go ::
    /// tryRun; kube-proxy minSyncPeriod default 1 s).
    pub fn schedule(&mut self, write_ns: u64, delay_ns: u64, change: Change) -> u64 {
        self.advance(write_ns);
        let recv = self.last_recv.max(write_ns.saturating_add(delay_ns));
        self.last_recv = recv;
        let apply_at = if self.min_sync_period_ns == 0 {
            recv
        } else {
            match self.last_sync {
                // A sync already planned at or after the receipt picks this change up.
                Some(s) if s >= recv => s,
                Some(s) => recv.max(s.saturating_add(self.min_sync_period_ns)),
                None => recv,
            }
        };
        if self.min_sync_period_ns > 0 && self.last_sync != Some(apply_at) {
            self.syncs += 1;
            self.last_sync = Some(apply_at);
        }
        // Stale interval union: [write, apply].
        if write_ns > self.stale_until {
            self.stale_ns += self.stale_until - self.stale_start;
            self.stale_start = write_ns;
            self.stale_until = apply_at;
        } else {
            self.stale_until = self.stale_until.max(apply_at);
        }
        self.pending.push_back(Pending { apply_at, change });
        apply_at
    }

    /// Apply every pending change due at or before `now`.
    pub fn advance(&mut self, now: u64) {
        while let Some(p) = self.pending.front() {
            if p.apply_at > now {
                break;
            }
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.tick(p.apply_at);
            match &p.change {
                Change::Slice(s, removed) => self.cache.apply_slice(s, *removed),
                Change::Endpoints(e, removed) => self.cache.apply_endpoints(e, *removed),
            }
            let at = p.apply_at;
            self.flips
                .extend(self.cache.take_flips().into_iter().map(|f| (at, f)));
            self.applied_changes += 1;
        }
        self.tick(now);
    }

    fn tick(&mut self, t: u64) {
        if t > self.clock {
            if self.cache.duplicate_keys() > 0 {
                self.duplicate_ns += t - self.clock;
            }
            self.clock = t;
        }
    }

    /// Apply everything and close the stale interval.
    pub fn finish(&mut self, end_ns: u64) {
        let last = self
            .pending
            .back()
            .map_or(end_ns, |p| p.apply_at.max(end_ns));
        self.advance(last);
        self.stale_ns += self.stale_until - self.stale_start;
        self.stale_start = self.stale_until;
    }

    /// When the next stored change is applied (None when nothing is pending).
    pub fn next_apply(&self) -> Option<u64> {
        self.pending.front().map(|p| p.apply_at)
    }

    /// The readiness flips applied since the last call: `(apply time, flip)`, in apply order.
    pub fn take_flips(&mut self) -> Vec<(u64, Flip)> {
        std::mem::take(&mut self.flips)
    }

    pub fn is_quiescent(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::k8s::discovery::EndpointPort;
    use crate::k8s::{Endpoint, EndpointConditions, ObjectMeta};
    use rand::SeedableRng;

    pub(crate) fn slice(name: &str, eps: &[(&str, Option<bool>, Option<bool>)]) -> EndpointSlice {
        EndpointSlice {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                labels: Some(
                    [(LABEL_SERVICE_NAME.to_string(), "web".to_string())]
                        .into_iter()
                        .collect(),
                ),
                ..Default::default()
            },
            address_type: "IPv4".into(),
            endpoints: Some(
                eps.iter()
                    .map(|(ip, ready, term)| Endpoint {
                        addresses: Some(vec![ip.to_string()]),
                        conditions: EndpointConditions {
                            ready: *ready,
                            serving: *ready,
                            terminating: *term,
                        },
                        ..Default::default()
                    })
                    .collect(),
            ),
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: Some(80),
                protocol: Some("TCP".into()),
                app_protocol: None,
            }]),
            ..Default::default()
        }
    }

    /// endpointslicecache.go addEndpoints: the same IP in two slices is one endpoint; the
    /// non-terminating copy wins whatever the visiting order; the duplicate is counted while it
    /// exists.
    #[test]
    fn dedupe_prefers_non_terminating() {
        for (a, b) in [("a", "b"), ("b", "a")] {
            let mut c = ClientCache::new(ViewKind::KubeProxy);
            c.apply_slice(&slice(a, &[("10.0.0.1", Some(true), None)]), false);
            c.apply_slice(&slice(b, &[("10.0.0.1", Some(false), Some(true))]), false);
            assert_eq!(c.duplicate_keys(), 1);
            let v = c.view();
            let st = v["default/web"]["http"]["10.0.0.1:80"];
            assert!(!st.terminating && st.ready, "{a}/{b}: {st:?}");
            c.apply_slice(&slice(a, &[]), true);
            assert_eq!(c.duplicate_keys(), 0);
            assert!(c.view()["default/web"]["http"]["10.0.0.1:80"].terminating);
        }
    }

    #[test]
    fn coredns_keeps_ready_only() {
        let mut c = ClientCache::new(ViewKind::CoreDns);
        c.apply_slice(
            &slice(
                "a",
                &[
                    ("10.0.0.1", Some(true), None),
                    ("10.0.0.2", Some(false), None),
                ],
            ),
            false,
        );
        let v = c.view();
        assert_eq!(v["default/web"]["http"].len(), 1);
        assert!(v["default/web"]["http"].contains_key("10.0.0.1:80"));
    }

    /// BoundedFrequencyRunner: bursts within minSyncPeriod share one sync one period after the
    /// previous sync; an event after a quiet period syncs on receipt.
    #[test]
    fn min_sync_period_batches() {
        let s = NS(1);
        let mut g = GroupClient::new(ViewKind::KubeProxy, s);
        let ch = || Change::Slice(Rc::new(slice("a", &[])), false);
        assert_eq!(g.schedule(0, 5, ch()), 5);
        assert_eq!(g.schedule(10, 5, ch()), s + 5);
        assert_eq!(g.schedule(20, 5, ch()), s + 5);
        assert_eq!(g.schedule(10 * s, 5, ch()), 10 * s + 5);
        assert_eq!(g.syncs, 3);
        // Ordered delivery: a shorter delay cannot overtake.
        let mut d = GroupClient::new(ViewKind::CoreDns, 0);
        assert_eq!(d.schedule(0, 100, ch()), 100);
        assert_eq!(d.schedule(1, 1, ch()), 100);
        d.finish(200);
        assert!(d.is_quiescent());
        assert_eq!(d.stale_ns, 100);
    }

    #[allow(non_snake_case)]
    fn NS(s: u64) -> u64 {
        s * 1_000_000_000
    }

    #[test]
    fn max_of_uniform_tends_to_max() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let d = DurationDist::uniform(1_000_000, 10_000_000);
        let mut lo = u64::MAX;
        for _ in 0..1000 {
            let v = max_of_uniform(&mut rng, &d, 5000);
            assert!(v <= d.max_ns && v >= d.min_ns);
            lo = lo.min(v);
        }
        // P(max of 5000 < 99.9% of the span) = 0.999^5000 ≈ 0.7%; over 1000 draws the
        // minimum stays far above the midpoint.
        assert!(lo > 9_000_000, "{lo}");
        assert!((det_exp(1.0) - std::f64::consts::E).abs() < 1e-12);
        assert!((det_exp(-3.5) - (-3.5f64).exp()).abs() < 1e-12);
        assert_eq!(max_of_uniform(&mut rng, &DurationDist::fixed(7), 5000), 7);
    }
}
