//! What the comparison outputs need beyond the watch hub's totals, gathered while the run
//! goes: per (mode, Service) write counts and live objects, live ready endpoints, the
//! EndpointSlice fill histogram, request bytes per controller sync, each node's ingress by
//! name, per-second samples and the timeline markers of `events.csv`.
//!
//! Everything is updated from the same write stream the hub costs (so the counts agree with
//! it by construction) and read back by the exporters ([`crate::report`]). Maps are `BTreeMap`s: nothing
//! here depends on hash order or the wall clock.

use crate::controllers::endpoints::truncate::OVER_CAPACITY_ANNOTATION;
use std::collections::BTreeMap;

use crate::apiserver::watch::WatchHub;
use crate::apiserver::write_log::{ObjectRef, Resource, Verb, WriteOutcome, WriteRecord, Writer};
use crate::clients::ids::ServiceIds;
use crate::cluster::World;
use crate::controllers::endpointslice::model::{CONTROLLER_NAME, LABEL_MANAGED_BY};
use crate::scenario::model::{EventKind, NodeSelection, ScaleTarget, Scenario};
use crate::scenario::{Nanos, NS_PER_SEC};

/// The two modes, in output row order.
pub const MODES: [Resource; 2] = [Resource::EndpointSlices, Resource::Endpoints];

/// Index of a mode in [`MODES`].
pub fn mode_index(r: Resource) -> usize {
    match r {
        Resource::EndpointSlices => 0,
        Resource::Endpoints => 1,
    }
}

/// `(namespace, name)` of a Service.
pub type ServiceKey = (String, String);

/// One Service's writes and objects in one mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceLive {
    pub creates: u64,
    pub updates: u64,
    pub deletes: u64,
    pub rejected: u64,
    pub alive: u64,
    pub max: u64,
}

/// Live state of one mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModeLive {
    /// Objects stored now (EndpointSlices of any manager / Endpoints objects).
    pub objects: u64,
    /// Largest `objects` after any write.
    pub objects_max: u64,
    /// Ready endpoints over the stored objects (slice endpoints with `ready` not false /
    /// Endpoints `addresses`).
    pub ready: u64,
    /// Stored Endpoints creates/updates carrying `endpoints.kubernetes.io/over-capacity`
    /// (the controller truncated the object to `max_capacity` addresses, since 1.22).
    pub truncated_writes: u64,
    pub services: BTreeMap<ServiceKey, ServiceLive>,
}

/// Where a node's kube-proxy stood in the hub's per-node stream when it joined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Join {
    events_at: u64,
    bytes_at: u64,
    /// Its initial LIST (0 for the nodes present at t = 0).
    list: u64,
}

/// One node's ingress in one mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeTotals {
    pub events: u64,
    pub bytes: u64,
}

/// A timeline marker for `events.csv`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Marker {
    pub time_ns: Nanos,
    pub kind: &'static str,
    pub label: String,
}

/// Per-second samples: state at the end of second `s` (after every event ≤ `s` s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    pub objects: [u64; 2],
    pub ready: [u64; 2],
    /// Nodes with a kube-proxy (live nodes).
    pub nodes: u64,
}

/// The tracker (see the module docs).
#[derive(Debug)]
pub struct Tracker {
    max_per_slice: u64,
    pub modes: [ModeLive; 2],
    /// Controller-managed EndpointSlices per fill bucket (tenths of maxEndpointsPerSlice).
    fill: [u64; 10],
    /// Request bytes per (time, writer, Service id in `ids`), taken at the end of the run.
    sync_bytes: BTreeMap<(Nanos, Writer, u32), u64>,
    /// Dense ids of the Services written for (the watch side's ids, reused: lookups only).
    ids: ServiceIds,
    /// Per Service id: its key and its live counters per mode (`None`: never written in that
    /// mode). [`Tracker::finish`] moves them into `modes[m].services`, in key order; counting
    /// here spares each write a search of the 10,000 keys.
    live: Vec<(ServiceKey, [Option<ServiceLive>; 2])>,
    /// Nodes the hub currently counts.
    hub_nodes: u64,
    live_nodes: BTreeMap<String, [Join; 2]>,
    departed: BTreeMap<String, [NodeTotals; 2]>,
    /// Per mode: second → (joins' LIST bytes summed, largest).
    join_bytes: [BTreeMap<u64, (u64, u64)>; 2],
    pub samples: Vec<Sample>,
    /// `slice_fill.csv` samples: (second, counts per bucket).
    pub fill_samples: Vec<(u64, [u64; 10])>,
    fill_step: u64,
    events: EventTracker,
}

fn meta(o: ObjectRef<'_>) -> &crate::k8s::ObjectMeta {
    match o {
        ObjectRef::EndpointSlice(s) => &s.metadata,
        ObjectRef::Endpoints(e) => &e.metadata,
    }
}

/// The Service an object publishes: the `kubernetes.io/service-name` label of a slice (its
/// own name when unlabelled), the name of an Endpoints object.
pub fn service_of(o: ObjectRef<'_>) -> ServiceKey {
    let (ns, name) = service_of_ref(o);
    (ns.to_string(), name.to_string())
}

/// [`service_of`], borrowed.
fn service_of_ref(o: ObjectRef<'_>) -> (&str, &str) {
    let m = meta(o);
    let ns = m.namespace.as_deref().unwrap_or_default();
    let own = m.name.as_deref().unwrap_or_default();
    match o {
        ObjectRef::EndpointSlice(_) => {
            let svc = m
                .labels
                .as_ref()
                .and_then(|l| l.get(crate::clients::LABEL_SERVICE_NAME))
                .map_or(own, String::as_str);
            (ns, svc)
        }
        ObjectRef::Endpoints(_) => (ns, own),
    }
}

/// What one stored object adds to the live counters.
struct Contribution {
    ready: u64,
    /// Fill bucket of a controller-managed slice.
    fill: Option<usize>,
}

/// Fill bucket `k` holds slices with endpoints/max in [k/10, (k+1)/10), the last one [0.9, 1.0].
pub fn fill_bucket(endpoints: u64, max: u64) -> usize {
    if max == 0 {
        return 9;
    }
    usize::try_from((endpoints.saturating_mul(10) / max).min(9)).unwrap_or(9)
}

impl Tracker {
    pub fn new(scenario: &Scenario) -> Self {
        let duration_s = scenario.duration_ns / NS_PER_SEC;
        Tracker {
            max_per_slice: u64::from(scenario.controllers.endpointslice.max_endpoints_per_slice),
            modes: Default::default(),
            fill: [0; 10],
            sync_bytes: BTreeMap::new(),
            ids: ServiceIds::default(),
            live: Vec::new(),
            hub_nodes: scenario.cluster.initial_node_count as u64,
            live_nodes: BTreeMap::new(),
            departed: BTreeMap::new(),
            join_bytes: Default::default(),
            samples: Vec::new(),
            fill_samples: Vec::new(),
            fill_step: fill_step(duration_s),
            events: EventTracker::new(scenario),
        }
    }

    fn contribution(&self, o: ObjectRef<'_>) -> Contribution {
        match o {
            ObjectRef::EndpointSlice(s) => {
                let eps = s.endpoint_list();
                let managed = s
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(LABEL_MANAGED_BY))
                    .is_some_and(|v| v == CONTROLLER_NAME);
                Contribution {
                    // EndpointConditions.ready: nil means ready (discovery/v1 types.go).
                    ready: eps
                        .iter()
                        .filter(|e| e.conditions.ready != Some(false))
                        .count() as u64,
                    fill: managed.then(|| fill_bucket(eps.len() as u64, self.max_per_slice)),
                }
            }
            ObjectRef::Endpoints(e) => Contribution {
                ready: e
                    .subsets
                    .iter()
                    .flatten()
                    .map(|s| s.addresses.as_ref().map_or(0, Vec::len) as u64)
                    .sum(),
                fill: None,
            },
        }
    }

    /// One write as the hub saw it; `request_bytes` is what the hub charged for it.
    pub fn on_write(&mut self, rec: &WriteRecord<'_>, request_bytes: u64) {
        let Some(obj) = rec.new.or(rec.old) else {
            return;
        };
        let m = mode_index(obj.resource());
        let (ns, name) = service_of_ref(obj);
        let id = self.ids.intern_parts(ns, name).id;
        if id as usize == self.live.len() {
            self.live
                .push(((ns.to_string(), name.to_string()), [None, None]));
        }
        if rec.writer != Writer::Other {
            *self
                .sync_bytes
                .entry((rec.time_ns, rec.writer, id))
                .or_default() += request_bytes;
        }
        if let WriteOutcome::Rejected { .. } = rec.outcome {
            self.live[id as usize].1[m]
                .get_or_insert_with(Default::default)
                .rejected += 1;
            return;
        }
        let old = match rec.verb {
            Verb::Create => None,
            _ => rec.old.map(|o| self.contribution(o)),
        };
        let new = match rec.verb {
            Verb::Delete => None,
            _ => rec.new.map(|o| self.contribution(o)),
        };
        let mode = &mut self.modes[m];
        if let (Verb::Create | Verb::Update, Some(ObjectRef::Endpoints(e))) = (rec.verb, rec.new) {
            let annotated = e
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(OVER_CAPACITY_ANNOTATION));
            mode.truncated_writes += u64::from(annotated);
        }
        let st = self.live[id as usize].1[m].get_or_insert_with(Default::default);
        match rec.verb {
            Verb::Create => st.creates += 1,
            Verb::Update => st.updates += 1,
            Verb::Delete => st.deletes += 1,
        }
        if let Some(c) = old {
            st.alive = st.alive.saturating_sub(1);
            mode.objects = mode.objects.saturating_sub(1);
            mode.ready = mode.ready.saturating_sub(c.ready);
            if let Some(b) = c.fill {
                self.fill[b] = self.fill[b].saturating_sub(1);
            }
        }
        if let Some(c) = new {
            st.alive += 1;
            st.max = st.max.max(st.alive);
            mode.objects += 1;
            mode.objects_max = mode.objects_max.max(mode.objects);
            mode.ready += c.ready;
            if let Some(b) = c.fill {
                self.fill[b] += 1;
            }
        }
    }

    /// Request bytes of the writes `writer` made at `time_ns` for Service `service`
    /// (`ns/name`); taken once, so a second sync at the same instant reads 0.
    pub fn take_sync_bytes(&mut self, time_ns: Nanos, writer: Writer, service: &str) -> u64 {
        let Some(id) = self.ids.get(service).map(|k| k.id) else {
            return 0;
        };
        self.sync_bytes.remove(&(time_ns, writer, id)).unwrap_or(0)
    }

    /// Put the per-Service live counters into `modes[m].services` (the exporters read them
    /// there; call before, and again after further writes).
    pub fn finish(&mut self) {
        for (key, per_mode) in &self.live {
            for (m, live) in per_mode.iter().enumerate() {
                if let Some(l) = live {
                    self.modes[m].services.insert(key.clone(), *l);
                }
            }
        }
    }

    /// Controller-managed EndpointSlices stored now.
    pub fn managed_slices(&self) -> u64 {
        self.fill.iter().sum()
    }

    /// Live nodes (the kube-proxy DaemonSet's pods).
    pub fn node_count(&self) -> u64 {
        self.live_nodes.len() as u64
    }

    /// A node joined at `now`: the hub follows the count (a node beyond the initial ones LISTs).
    pub fn node_added(&mut self, now: Nanos, name: &str, hub: &mut WatchHub) {
        if self.live_nodes.contains_key(name) {
            return;
        }
        self.live_nodes
            .insert(name.to_string(), [Join::default(); 2]);
        let count = self.node_count();
        let grew = count > self.hub_nodes;
        if grew {
            self.hub_nodes = count;
            hub.set_node_count(now, count);
        }
        let mut joins = [Join::default(); 2];
        for (m, r) in MODES.iter().enumerate() {
            let (events_at, bytes_at) = hub.node_stream(*r);
            let list = if grew {
                hub.groups()
                    .filter(|g| g.per_node && g.resource == *r)
                    .map(|g| hub.list_size(g.resource, &g.selector, g.encoding))
                    .sum()
            } else {
                0
            };
            joins[m] = Join {
                events_at,
                bytes_at,
                list,
            };
            let e = self.join_bytes[m].entry(now / NS_PER_SEC).or_default();
            e.0 += list;
            e.1 = e.1.max(list);
        }
        self.live_nodes.insert(name.to_string(), joins);
    }

    /// A node left at `now`: its totals are closed.
    pub fn node_deleted(&mut self, now: Nanos, name: &str, hub: &mut WatchHub) {
        let Some(joins) = self.live_nodes.remove(name) else {
            return;
        };
        let count = self.node_count();
        if count < self.hub_nodes {
            self.hub_nodes = count;
            hub.set_node_count(now, count);
        }
        let done = self.departed.entry(name.to_string()).or_default();
        for (m, r) in MODES.iter().enumerate() {
            let t = node_totals(joins[m], hub.node_stream(*r));
            done[m].events += t.events;
            done[m].bytes += t.bytes;
        }
    }

    /// Every node's ingress per mode at the end of the run (`streams` = the hub's
    /// [`WatchHub::node_stream`] per mode then), in node name order.
    pub fn node_rows(&self, streams: [(u64, u64); 2]) -> Vec<(String, [NodeTotals; 2])> {
        let mut out: BTreeMap<String, [NodeTotals; 2]> = self.departed.clone();
        for (name, joins) in &self.live_nodes {
            let e = out.entry(name.clone()).or_default();
            for m in 0..2 {
                let t = node_totals(joins[m], streams[m]);
                e[m].events += t.events;
                e[m].bytes += t.bytes;
            }
        }
        out.into_iter().collect()
    }

    /// Initial-LIST bytes of nodes that joined in second `s`: (sum, largest).
    pub fn join_bytes(&self, m: usize, s: u64) -> (u64, u64) {
        self.join_bytes[m].get(&s).copied().unwrap_or((0, 0))
    }

    /// The per-second sample `s` (state after every event ≤ `s` s).
    pub fn sample(&mut self, s: u64, world: &World) {
        self.samples.push(Sample {
            objects: [self.modes[0].objects, self.modes[1].objects],
            ready: [self.modes[0].ready, self.modes[1].ready],
            nodes: self.node_count(),
        });
        if s % self.fill_step == 0 {
            self.fill_samples.push((s, self.fill));
        }
        self.events.sample(s, world);
    }

    /// The timeline markers, sorted by time then kind.
    pub fn markers(&self) -> Vec<Marker> {
        let mut v = self.events.markers.clone();
        v.sort();
        v
    }
}

fn node_totals(j: Join, stream: (u64, u64)) -> NodeTotals {
    NodeTotals {
        events: stream.0.saturating_sub(j.events_at),
        bytes: stream.1.saturating_sub(j.bytes_at) + j.list,
    }
}

/// `slice_fill.csv` sampling step: max(1, ⌈duration / 200⌉) seconds (at most ~200 samples).
pub fn fill_step(duration_s: u64) -> u64 {
    duration_s.div_ceil(200).max(1)
}

/// Builds `events.csv` markers: the scenario's events with labels, churn windows, and the
/// end of each rolling update (first sample at which the only scaled-up ReplicaSet of the
/// Deployment is one created since the update began, with `replicas` pods, all available, none
/// terminating — the state `kubectl rollout status` waits for).
#[derive(Debug, Clone)]
struct EventTracker {
    /// (at, index into the scenario's events), by time.
    pending: Vec<(Nanos, usize)>,
    next: usize,
    kinds: Vec<EventKind>,
    workload_names: Vec<String>,
    service_names: Vec<String>,
    node_names: Vec<String>,
    zone_names: Vec<String>,
    watcher_names: Vec<String>,
    prev_replicas: Vec<u32>,
    /// Rolling updates not finished yet: (workload, version, start).
    rollouts: Vec<(usize, u32, Nanos)>,
    markers: Vec<Marker>,
}

impl EventTracker {
    fn new(sc: &Scenario) -> Self {
        let mut pending: Vec<(Nanos, usize)> = sc
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.at_ns, i))
            .collect();
        pending.sort();
        let mut markers = Vec::new();
        for e in &sc.events {
            if let EventKind::Churn {
                workload,
                mean_interval_ns,
                duration_ns,
            } = &e.kind
            {
                let who = workload
                    .and_then(|w| sc.workloads.get(w))
                    .map_or_else(|| "all workloads".to_string(), |w| w.name.clone());
                markers.push(Marker {
                    time_ns: e.at_ns,
                    kind: "churn_start",
                    label: format!(
                        "{who} one pod per {}s for {}s",
                        secs(*mean_interval_ns),
                        secs(*duration_ns)
                    ),
                });
                markers.push(Marker {
                    time_ns: e.at_ns.saturating_add(*duration_ns).min(sc.duration_ns),
                    kind: "churn_end",
                    label: who,
                });
            }
        }
        EventTracker {
            pending,
            next: 0,
            kinds: sc.events.iter().map(|e| e.kind.clone()).collect(),
            workload_names: sc.workloads.iter().map(|w| w.name.clone()).collect(),
            service_names: sc.services.iter().map(|s| s.name.clone()).collect(),
            node_names: sc.cluster.nodes.iter().map(|n| n.name.clone()).collect(),
            zone_names: sc.cluster.zones.iter().map(|z| z.name.clone()).collect(),
            watcher_names: sc.watchers.iter().map(|w| w.name.clone()).collect(),
            prev_replicas: Vec::new(),
            rollouts: Vec::new(),
            markers,
        }
    }

    fn nodes_label(&self, sel: &NodeSelection) -> String {
        match sel {
            NodeSelection::Nodes(v) => v
                .iter()
                .map(|&i| self.node_names.get(i).cloned().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" "),
            NodeSelection::Random { count, zone } => match zone {
                Some(z) => format!(
                    "{count} nodes in {}",
                    self.zone_names.get(*z).cloned().unwrap_or_default()
                ),
                None => format!("{count} nodes"),
            },
            NodeSelection::Zone(z) => self.zone_names.get(*z).cloned().unwrap_or_default(),
        }
    }

    fn sample(&mut self, s: u64, world: &World) {
        let deps = world.deployments();
        let replicas_now = |w: usize| deps.get(w).map_or(0, |d| d.replicas);
        if self.prev_replicas.is_empty() {
            self.prev_replicas = deps.iter().map(|d| d.replicas).collect();
        }
        let wl = |w: usize| self.workload_names.get(w).cloned().unwrap_or_default();
        while let Some(&(at, i)) = self.pending.get(self.next) {
            if at > s.saturating_mul(NS_PER_SEC) {
                break;
            }
            self.next += 1;
            let from = |w: usize| self.prev_replicas.get(w).copied().unwrap_or(0);
            let (kind, label) = match &self.kinds[i] {
                EventKind::Scale { workload, target } => {
                    let to = match target {
                        ScaleTarget::To(n) => *n,
                        ScaleTarget::By(_) => replicas_now(*workload),
                    };
                    (
                        "scale",
                        format!("{} {}→{}", wl(*workload), from(*workload), to),
                    )
                }
                EventKind::RollingUpdate {
                    workload, version, ..
                } => {
                    self.rollouts.push((*workload, *version, at));
                    (
                        "rolling_update_start",
                        format!(
                            "{} {}→{} v{}",
                            wl(*workload),
                            from(*workload),
                            replicas_now(*workload),
                            version
                        ),
                    )
                }
                EventKind::Churn { .. } => continue,
                EventKind::RestartPods { workload, count } => {
                    ("restart_pods", format!("{} {count} pods", wl(*workload)))
                }
                EventKind::NodeFailure { nodes, .. } => ("node_failure", self.nodes_label(nodes)),
                EventKind::NodeRecovery { nodes } => ("node_recovery", self.nodes_label(nodes)),
                EventKind::ZoneFailure { zone, .. } => (
                    "zone_failure",
                    self.zone_names.get(*zone).cloned().unwrap_or_default(),
                ),
                EventKind::ZoneRecovery { zone } => (
                    "zone_recovery",
                    self.zone_names.get(*zone).cloned().unwrap_or_default(),
                ),
                EventKind::AddNodes { nodes } => (
                    "add_nodes",
                    self.nodes_label(&NodeSelection::Nodes(nodes.clone())),
                ),
                EventKind::RemoveNodes { nodes, drain } => (
                    "remove_nodes",
                    format!(
                        "{}{}",
                        self.nodes_label(nodes),
                        if *drain { " (drain)" } else { "" }
                    ),
                ),
                EventKind::PodIpChange { workload, count } => {
                    ("pod_ip_change", format!("{} {count} pods", wl(*workload)))
                }
                EventKind::ServiceUpdate { service, .. } => (
                    "service_update",
                    self.service_names
                        .get(*service)
                        .cloned()
                        .unwrap_or_default(),
                ),
                EventKind::ServiceDelete { service } => (
                    "service_delete",
                    self.service_names
                        .get(*service)
                        .cloned()
                        .unwrap_or_default(),
                ),
                EventKind::ServiceCreate { service } => (
                    "service_create",
                    self.service_names
                        .get(*service)
                        .cloned()
                        .unwrap_or_default(),
                ),
                EventKind::WatchRestart { watcher } => (
                    "watch_restart",
                    watcher
                        .and_then(|w| self.watcher_names.get(w).cloned())
                        .unwrap_or_else(|| "all watchers".into()),
                ),
            };
            self.markers.push(Marker {
                time_ns: at,
                kind,
                label,
            });
        }
        let rs = world.replica_sets();
        let mut done = Vec::new();
        self.rollouts.retain(|&(w, version, start)| {
            let Some(d) = deps.get(w) else {
                return false;
            };
            let active: Vec<_> = d
                .replica_sets
                .iter()
                .filter_map(|&r| rs.get(r).filter(|x| x.info.replicas > 0))
                .collect();
            let st = &d.stats;
            let r = u64::from(d.replicas);
            // Only a ReplicaSet created by this rollout may be left scaled up.
            let finished = active.len() <= 1
                && active.iter().all(|x| x.info.created_ns >= start)
                && st.pods_terminating == 0
                && st.pods_total == r
                && st.pods_available >= r;
            if finished {
                done.push((w, version));
            }
            !finished
        });
        for (w, version) in done {
            self.markers.push(Marker {
                time_ns: s * NS_PER_SEC,
                kind: "rolling_update_end",
                label: format!("{} v{}", wl(w), version),
            });
        }
        if !self.pending[self.next..].is_empty() {
            self.prev_replicas.clear();
            self.prev_replicas.extend(deps.iter().map(|d| d.replicas));
        }
    }
}

fn secs(ns: Nanos) -> String {
    crate::metrics::fmt_f64(ns as f64 / NS_PER_SEC as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_buckets_cover_zero_to_full() {
        assert_eq!(fill_bucket(0, 100), 0);
        assert_eq!(fill_bucket(9, 100), 0);
        assert_eq!(fill_bucket(10, 100), 1);
        assert_eq!(fill_bucket(89, 100), 8);
        assert_eq!(fill_bucket(90, 100), 9);
        assert_eq!(fill_bucket(100, 100), 9);
        assert_eq!(fill_bucket(1, 3), 3);
    }

    fn slice(name: &str, svc: &str, ready: &[bool], managed: bool) -> crate::k8s::EndpointSlice {
        use crate::k8s::{Endpoint, EndpointConditions, EndpointSlice, ObjectMeta};
        let mut labels = std::collections::BTreeMap::new();
        labels.insert(
            crate::clients::LABEL_SERVICE_NAME.to_string(),
            svc.to_string(),
        );
        if managed {
            labels.insert(LABEL_MANAGED_BY.to_string(), CONTROLLER_NAME.to_string());
        }
        EndpointSlice {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                labels: Some(labels),
                ..Default::default()
            },
            endpoints: Some(
                ready
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| Endpoint {
                        addresses: Some(vec![format!("10.0.0.{i}")]),
                        conditions: EndpointConditions {
                            ready: Some(r),
                            ..Default::default()
                        },
                        ..Default::default()
                    })
                    .map(crate::k8s::SharedValue::new)
                    .collect(),
            ),
            ..Default::default()
        }
    }

    fn rec<'a>(
        t: Nanos,
        verb: Verb,
        writer: Writer,
        old: Option<&'a crate::k8s::EndpointSlice>,
        new: Option<&'a crate::k8s::EndpointSlice>,
        stored: bool,
    ) -> WriteRecord<'a> {
        WriteRecord {
            new_shared: None,
            old_shared: None,
            new_protobuf: None,
            time_ns: t,
            verb,
            writer,
            old: old.map(ObjectRef::EndpointSlice),
            new: new.map(ObjectRef::EndpointSlice),
            outcome: if stored {
                WriteOutcome::Stored {
                    resource_version: t,
                }
            } else {
                WriteOutcome::Rejected {
                    reason: "etcdserver: request is too large".into(),
                    sizes: None,
                }
            },
        }
    }

    /// Live counters follow creates, updates, deletes; rejected writes change nothing stored
    /// but are counted and their request bytes attributed to the sync.
    #[test]
    fn writes_move_the_live_counters() {
        let sc = crate::testutil::scenario(
            "name = \"t\"\nduration = \"1m\"\n[controllers.endpointslice]\nmax_endpoints_per_slice = 4\n",
        );
        let mut t = Tracker::new(&sc);
        let esc = Writer::EndpointSliceController;
        let a1 = slice("a-1", "a", &[true, true, false], true);
        let a1b = slice("a-1", "a", &[true, true, true, true], true);
        let m1 = slice("m-1", "m", &[true], false);
        t.on_write(&rec(5, Verb::Create, esc, None, Some(&a1), true), 100);
        t.on_write(
            &rec(
                5,
                Verb::Create,
                Writer::MirroringController,
                None,
                Some(&m1),
                true,
            ),
            7,
        );
        let es = &t.modes[0];
        assert_eq!((es.objects, es.ready), (2, 3));
        assert_eq!(t.fill, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]); // 3/4 = 0.75
        assert_eq!(t.managed_slices(), 1);
        t.on_write(&rec(9, Verb::Update, esc, Some(&a1), Some(&a1b), true), 120);
        t.on_write(&rec(9, Verb::Update, esc, Some(&a1b), Some(&a1), false), 50);
        t.finish();
        let es = &t.modes[0];
        assert_eq!((es.objects, es.ready, es.objects_max), (2, 5, 2));
        assert_eq!(t.fill[9], 1, "4/4 is the last bucket");
        let key = ("ns".to_string(), "a".to_string());
        let a = es.services[&key];
        assert_eq!((a.creates, a.updates, a.deletes, a.rejected), (1, 1, 0, 1));
        t.on_write(&rec(12, Verb::Delete, esc, Some(&a1b), None, true), 0);
        t.finish();
        let es = &t.modes[0];
        assert_eq!((es.objects, es.ready), (1, 1));
        assert_eq!(t.managed_slices(), 0);
        assert_eq!(es.services[&key].alive, 0);
        assert_eq!(es.services[&key].max, 1);
        assert_eq!(t.take_sync_bytes(5, esc, "ns/a"), 100);
        assert_eq!(t.take_sync_bytes(5, esc, "ns/a"), 0, "taken once");
        assert_eq!(t.take_sync_bytes(9, esc, "ns/a"), 170);
        assert_eq!(t.take_sync_bytes(5, Writer::MirroringController, "ns/m"), 7);
        assert_eq!(t.modes[1], ModeLive::default(), "no Endpoints writes");
    }

    /// Endpoints writes that carry the over-capacity annotation are counted as truncated; an
    /// update that drops it again is not.
    #[test]
    fn truncated_endpoints_writes_are_counted() {
        let sc = crate::testutil::scenario("name = \"t\"\nduration = \"1m\"\n");
        let mut t = Tracker::new(&sc);
        let ep = |truncated: bool| crate::k8s::Endpoints {
            kind: None,
            api_version: None,
            metadata: crate::k8s::ObjectMeta {
                name: Some("a".into()),
                namespace: Some("ns".into()),
                annotations: truncated.then(|| {
                    [(
                        OVER_CAPACITY_ANNOTATION.to_string(),
                        "truncated".to_string(),
                    )]
                    .into()
                }),
                ..Default::default()
            },
            subsets: None,
        };
        let (a, b) = (ep(true), ep(false));
        fn w<'a>(
            verb: Verb,
            old: Option<&'a crate::k8s::Endpoints>,
            new: Option<&'a crate::k8s::Endpoints>,
        ) -> WriteRecord<'a> {
            WriteRecord {
                new_shared: None,
                old_shared: None,
                new_protobuf: None,
                time_ns: 1,
                verb,
                writer: Writer::EndpointsController,
                old: old.map(ObjectRef::Endpoints),
                new: new.map(ObjectRef::Endpoints),
                outcome: WriteOutcome::Stored {
                    resource_version: 1,
                },
            }
        }
        t.on_write(&w(Verb::Create, None, Some(&a)), 10);
        t.on_write(&w(Verb::Update, Some(&a), Some(&a)), 10);
        t.on_write(&w(Verb::Update, Some(&a), Some(&b)), 10);
        t.on_write(&w(Verb::Delete, Some(&b), None), 0);
        assert_eq!(t.modes[1].truncated_writes, 2);
        assert_eq!(t.modes[0].truncated_writes, 0);
    }

    #[test]
    fn fill_step_keeps_about_200_samples() {
        assert_eq!(fill_step(0), 1);
        assert_eq!(fill_step(200), 1);
        assert_eq!(fill_step(201), 2);
        assert_eq!(fill_step(3600), 18);
    }
}
