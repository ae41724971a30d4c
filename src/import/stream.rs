//! The recorded period: pod watch streams (`kubectl get pods -A -w -o json
//! [--output-watch-events]`) turned into a timeline of pod states that the replay runs
//! ([`super::replay`]).
//!
//! A watch stream is told from a snapshot by its content: watch events (`{"type","object"}`), or
//! several top-level objects one after another (what `kubectl get -w -o json` prints without
//! `--output-watch-events`); a List or a single object is a snapshot. Streams are read in the
//! order given, each in file order (the API server sends a watch in resourceVersion order).
//!
//! kubectl prints no time of its own, so each change's time is inferred from the object: the
//! latest of `metadata.creationTimestamp`, the conditions' `lastTransitionTime`, the
//! containers' `startedAt`/`finishedAt` and `deletionTimestamp − deletionGracePeriodSeconds`
//! (when the delete was requested), never earlier than the change before it. Timestamps have
//! whole seconds, so changes sharing a second are spread evenly over it in stream order (the
//! EndpointSlice controller syncs a Service within milliseconds of a pod change, so changes a
//! second apart are not one sync; which of them really were is unknown).
//!
//! Without event types: an object not seen before is ADDED, one with a deletionTimestamp and
//! `deletionGracePeriodSeconds: 0` is the DELETED print (the kubelet's final delete), any
//! other is MODIFIED. `kubectl get -w` first prints every existing pod; with a snapshot those
//! prints are no-ops when their resourceVersion is the snapshot's (a pod that changed between
//! the snapshot and the watch is replayed as a change); without a snapshot, the leading prints
//! in (namespace, name) order (the order of a List) are the start state.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;

use super::read::Item;
use super::snapshot::{parse_object, parse_pod, FieldError, Key, Parsed};
use crate::k8s;
use crate::k8s::time::Timestamp;

/// Milliseconds since the Unix epoch.
pub type Ms = i64;

/// A pod's state as far as the endpoint controllers care (compact: one per recorded change).
#[derive(Debug, Clone, PartialEq)]
pub struct PodState {
    pub uid: String,
    /// Index into [`Recording::node_names`].
    pub node: Option<u32>,
    pub phase: Option<String>,
    pub ips: Vec<IpAddr>,
    pub ready: Option<bool>,
    pub creation_ms: Option<Ms>,
    pub deletion_ms: Option<Ms>,
    pub deletion_grace_s: Option<u64>,
    pub grace_s: Option<i64>,
}

/// Which timestamp gave a change its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    Created,
    Condition,
    Container,
    DeleteRequested,
    /// A pod the watch's initial listing shows changed since the snapshot: the start of the
    /// recorded period (its own timestamps may be older than the snapshot).
    Listing,
    /// No newer timestamp in the object: the time of the change before it.
    Previous,
    /// `metadata.managedFields[].time`: when a field manager last changed the object.
    ManagedFields,
}

impl Rule {
    pub fn describe(self) -> &'static str {
        match self {
            Rule::Created => "metadata.creationTimestamp",
            Rule::Condition => "a condition's lastTransitionTime",
            Rule::Container => "a container's startedAt/finishedAt",
            Rule::DeleteRequested => "deletionTimestamp − deletionGracePeriodSeconds",
            Rule::Listing => {
                "changed since the snapshot (watch's initial listing): the period's start"
            }
            Rule::Previous => "no newer timestamp: the previous change's time (in its stream)",
            Rule::ManagedFields => "the newest metadata.managedFields[].time (the last write)",
        }
    }
}

/// What a recorded change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecKind {
    Pod,
    Service,
    Node,
}

impl RecKind {
    pub fn name(self) -> &'static str {
        match self {
            RecKind::Pod => "Pod",
            RecKind::Service => "Service",
            RecKind::Node => "Node",
        }
    }
}

/// A recorded object state: a pod compactly, a Service or Node as the import reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Pod(PodState),
    Service(Box<k8s::Service>),
    Node(Box<k8s::Node>),
}

impl State {
    pub fn as_pod(&self) -> Option<&PodState> {
        match self {
            State::Pod(p) => Some(p),
            _ => None,
        }
    }
}

/// One recorded change of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct RecEvent {
    pub at_ms: Ms,
    /// Index into [`Recording::keys`] (and [`Recording::kinds`]).
    pub key: u32,
    /// None: the object is gone.
    pub state: Option<State>,
    pub rule: Rule,
}

/// One print of a stream, before the recording is finished.
#[derive(Debug)]
struct Raw {
    key: u32,
    /// Which stream (input file) printed it: the timing rules hold within one stream.
    stream: u32,
    rv: String,
    /// ADDED / MODIFIED / DELETED as typed or inferred.
    deleted: bool,
    state: State,
    time: Option<(Ms, Rule)>,
    /// Part of the initial listing of its kind's first stream (see [`Recording::finish`]).
    listing: bool,
}

/// The initial listing of one kind's first stream, while it lasts.
#[derive(Debug)]
struct Listing {
    stream: u32,
    last: Option<u32>,
    done: bool,
}

/// The recorded period.
#[derive(Debug, Default)]
pub struct Recording {
    /// (namespace, name) of every object the streams show (Nodes: empty namespace).
    pub keys: Vec<Key>,
    /// The kind of each of [`Recording::keys`].
    pub kinds: Vec<RecKind>,
    index: BTreeMap<(RecKind, Key), u32>,
    pub node_names: Vec<String>,
    node_index: BTreeMap<String, u32>,
    streams: BTreeMap<String, u32>,
    raw: Vec<Raw>,
    /// The changes, in time order (after [`Recording::finish`]).
    pub events: Vec<RecEvent>,
    /// The newest full state of every pod the streams show (deleted ones included): the end
    /// state, and the workloads of pods the snapshot does not have.
    pub latest: BTreeMap<Key, k8s::Pod>,
    /// Pods of the start state taken from the stream's leading prints (no snapshot pods).
    pub start_from_stream: BTreeMap<Key, k8s::Pod>,
    /// Services and Nodes of the start state taken from their stream's leading prints (when
    /// the snapshot has none of that kind).
    pub start_services_from_stream: BTreeMap<Key, k8s::Service>,
    pub start_nodes_from_stream: BTreeMap<String, k8s::Node>,
    /// Prints of the stream, typed (watch events) and untyped.
    pub typed: usize,
    pub untyped: usize,
    /// Service and Node prints (counted in `typed`/`untyped` too), per kind.
    pub object_prints: BTreeMap<RecKind, usize>,
    /// Untyped Service/Node prints: a deletion cannot be told from them.
    pub untyped_objects: usize,
    /// Node prints equal, in everything the replay reads (zone and labels, readiness,
    /// allocatable, pod CIDRs), to their stream's previous print of the node: heartbeats,
    /// dropped as they are read so a long Node watch is not held in memory.
    pub repeated_node_prints: usize,
    /// Per (stream, Node key): the index in `raw` of its last kept print.
    last_node_print: BTreeMap<(u32, u32), usize>,
    /// Prints that repeat the state the replay already has (the initial listing).
    pub unchanged: usize,
    /// Prints older than the snapshot's version of the object.
    pub older: usize,
    /// Changes per time rule.
    pub rules: BTreeMap<Rule, usize>,
    /// Watch events of other kinds (applied to the end state, not replayed), per kind.
    pub other_kinds: BTreeMap<String, usize>,
    /// BOOKMARK / ERROR events.
    pub control_events: usize,
    /// The pods of the leading prints of the first pod stream in (namespace, name) order,
    /// ADDED or untyped: kubectl's initial listing, the start state when no snapshot has pods.
    listing: Vec<(u32, k8s::Pod)>,
    listings: BTreeMap<RecKind, Listing>,
}

fn ts(v: Option<&Value>) -> Option<Ms> {
    let t = Timestamp::parse(v?.as_str()?)?;
    Some(t.secs * 1000 + i64::from(t.nanos / 1_000_000))
}

/// The time a print shows (see the module docs), with the rule that gave it.
fn print_time(v: &Value) -> Option<(Ms, Rule)> {
    let mut best: Option<(Ms, Rule)> = None;
    let mut consider = |t: Option<Ms>, r: Rule| {
        if let Some(t) = t {
            if best.map_or(true, |(b, _)| t > b) {
                best = Some((t, r));
            }
        }
    };
    let meta = v.get("metadata");
    consider(
        ts(meta.and_then(|m| m.get("creationTimestamp"))),
        Rule::Created,
    );
    let status = v.get("status");
    for c in status
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        consider(ts(c.get("lastTransitionTime")), Rule::Condition);
    }
    for key in ["initContainerStatuses", "containerStatuses"] {
        for c in status
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let st = c.get("state");
            consider(
                ts(st
                    .and_then(|s| s.get("running"))
                    .and_then(|r| r.get("startedAt"))),
                Rule::Container,
            );
            consider(
                ts(st
                    .and_then(|s| s.get("terminated"))
                    .and_then(|r| r.get("finishedAt"))),
                Rule::Container,
            );
        }
    }
    let del = ts(meta.and_then(|m| m.get("deletionTimestamp")));
    let grace = meta
        .and_then(|m| m.get("deletionGracePeriodSeconds"))
        .and_then(Value::as_i64);
    match (del, grace) {
        (Some(d), Some(g)) => consider(Some(d - g.max(0) * 1000), Rule::DeleteRequested),
        // no grace period (a Service or Node with finalizers): the delete request itself
        (Some(d), None) => consider(Some(d), Rule::DeleteRequested),
        _ => {}
    }
    // the API server stamps a manager's entry whenever that manager changes a field it owns
    // (apimachinery fieldmanager): the newest stamp is the object's last change. Considered
    // last, so a tie keeps the rule above.
    for m in meta
        .and_then(|m| m.get("managedFields"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        consider(ts(m.get("time")), Rule::ManagedFields);
    }
    best
}

fn parse_ips(p: &k8s::Pod) -> Vec<IpAddr> {
    p.status
        .pod_ips
        .iter()
        .flatten()
        .filter_map(|i| i.ip.parse().ok())
        .collect()
}

/// A watch event's type, checked: `Ok(None)` for BOOKMARK/ERROR (not a change).
fn event_type(item: &Item) -> Result<Option<Option<&str>>, FieldError> {
    match item.event.as_deref() {
        Some("BOOKMARK") | Some("ERROR") => Ok(None),
        t @ (Some("ADDED") | Some("MODIFIED") | Some("DELETED") | None) => Ok(Some(t)),
        Some(o) => Err(FieldError(format!(
            "{}: object {} (watch event): field type: {o:?}: expected ADDED, MODIFIED, DELETED, BOOKMARK or ERROR",
            item.file, item.index
        ))),
    }
}

impl Recording {
    fn key_index(&mut self, kind: RecKind, k: &Key) -> u32 {
        if let Some(&i) = self.index.get(&(kind, k.clone())) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k.clone());
        self.kinds.push(kind);
        self.index.insert((kind, k.clone()), i);
        i
    }

    fn node_index(&mut self, n: &str) -> u32 {
        if let Some(&i) = self.node_index.get(n) {
            return i;
        }
        let i = self.node_names.len() as u32;
        self.node_names.push(n.to_string());
        self.node_index.insert(n.to_string(), i);
        i
    }

    fn stream_index(&mut self, file: &str) -> u32 {
        let n = self.streams.len() as u32;
        *self.streams.entry(file.to_string()).or_insert(n)
    }

    /// The index of a pod's key, if the streams show it.
    pub fn key_of(&self, k: &Key) -> Option<u32> {
        self.index.get(&(RecKind::Pod, k.clone())).copied()
    }

    /// Whether this print continues its kind's initial listing: the leading prints of the
    /// kind's first stream, ADDED or untyped, in (namespace, name) order (a List's order).
    fn in_listing(&mut self, kind: RecKind, stream: u32, k: u32, listable: bool) -> bool {
        let l = self.listings.entry(kind).or_insert(Listing {
            stream,
            last: None,
            done: false,
        });
        if l.done {
            return false;
        }
        let ordered = l.stream == stream
            && l.last.map_or(true, |last| {
                self.keys[last as usize] < self.keys[k as usize]
            });
        if ordered && listable {
            l.last = Some(k);
            true
        } else {
            l.done = true;
            false
        }
    }

    /// Take one Pod print of a stream (`kind` as the item says; other kinds are the caller's).
    pub fn add_pod(&mut self, item: &Item) -> Result<(), FieldError> {
        let Some(typ) = event_type(item)? else {
            self.control_events += 1;
            return Ok(());
        };
        let (key, rv, pod) = parse_pod(item)?;
        let v = &item.value;
        let meta = v.get("metadata");
        let deletion_grace_s = meta
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_u64);
        let deletion_ms = ts(meta.and_then(|m| m.get("deletionTimestamp")));
        let k = self.key_index(RecKind::Pod, &key);
        let deleted = match typ {
            Some(t) => t == "DELETED",
            // the kubelet's final delete (grace 0) is the print of the DELETED event
            None => deletion_ms.is_some() && deletion_grace_s == Some(0),
        };
        let node = pod
            .spec
            .node_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(|n| self.node_index(n));
        let state = PodState {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            node,
            phase: pod.status.phase.clone(),
            ips: parse_ips(&pod),
            ready: pod
                .status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == "Ready")
                .map(|c| c.status == "True"),
            creation_ms: ts(meta.and_then(|m| m.get("creationTimestamp"))),
            deletion_ms,
            deletion_grace_s,
            grace_s: pod.spec.termination_grace_period_seconds,
        };
        let listing = self.push(item, RecKind::Pod, k, typ, rv, deleted, State::Pod(state));
        if listing {
            self.listing.push((k, pod.clone()));
        }
        self.latest.insert(key, pod);
        Ok(())
    }

    /// Take one Service or Node print of a stream (`kind`: "Service" or "Node"). An untyped
    /// print is never a deletion: kubectl prints a deleted Service or Node as it last was.
    pub fn add_object(&mut self, item: &Item, kind: &str) -> Result<(), FieldError> {
        let Some(typ) = event_type(item)? else {
            self.control_events += 1;
            return Ok(());
        };
        let (key, rv, obj) = parse_object(item, kind)?;
        let (rk, state) = match obj {
            Parsed::Service(s) => (RecKind::Service, State::Service(s)),
            Parsed::Node(n) => (RecKind::Node, State::Node(n)),
        };
        let k = self.key_index(rk, &key);
        *self.object_prints.entry(rk).or_default() += 1;
        if typ.is_none() {
            self.untyped_objects += 1;
        }
        let deleted = typ == Some("DELETED");
        if rk == RecKind::Node {
            let stream = self.stream_index(&item.file);
            let repeat = !deleted
                && self
                    .last_node_print
                    .get(&(stream, k))
                    .and_then(|&i| self.raw.get(i))
                    .is_some_and(|r| !r.deleted && !r.listing && r.state == state);
            // the listing state moves as it would for a kept print (a repeated key ends it)
            let listable = typ.map_or(true, |t| t == "ADDED");
            if repeat && !self.in_listing(rk, stream, k, listable) {
                if typ.is_some() {
                    self.typed += 1;
                } else {
                    self.untyped += 1;
                }
                self.repeated_node_prints += 1;
                return Ok(());
            }
            self.push(item, rk, k, typ, rv, deleted, state);
            self.last_node_print.insert((stream, k), self.raw.len() - 1);
            return Ok(());
        }
        self.push(item, rk, k, typ, rv, deleted, state);
        Ok(())
    }

    /// Record one print; whether it belongs to its kind's initial listing.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        item: &Item,
        kind: RecKind,
        k: u32,
        typ: Option<&str>,
        rv: String,
        deleted: bool,
        state: State,
    ) -> bool {
        if typ.is_some() {
            self.typed += 1;
        } else {
            self.untyped += 1;
        }
        let stream = self.stream_index(&item.file);
        let listable = !deleted && typ.map_or(true, |t| t == "ADDED");
        let listing = self.in_listing(kind, stream, k, listable);
        self.raw.push(Raw {
            key: k,
            stream,
            rv,
            deleted,
            state,
            time: print_time(&item.value),
            listing,
        });
        listing
    }

    /// Whether any print was read.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty() && self.events.is_empty()
    }

    /// Changes of pods / of Services and Nodes (after [`Recording::finish`]).
    pub fn counts(&self) -> (usize, usize) {
        let pods = self
            .events
            .iter()
            .filter(|e| self.kinds[e.key as usize] == RecKind::Pod)
            .count();
        (pods, self.events.len() - pods)
    }

    /// Turn the prints into changes against the start state: `snapshot_rv(kind, key)` is the
    /// resourceVersion of the snapshot's object (None: the snapshot has no such object);
    /// `snapshot_has(kind)`: whether a snapshot gave the start state of that kind (if not,
    /// the kind's initial listing is the start state).
    ///
    /// Timing holds within each stream (each input file: a watch is ordered); the streams'
    /// changes are then merged by time (ties in input order).
    pub fn finish(
        &mut self,
        snapshot_rv: &dyn Fn(RecKind, &Key) -> Option<String>,
        snapshot_has: &dyn Fn(RecKind) -> bool,
    ) {
        let raw = std::mem::take(&mut self.raw);
        self.last_node_print.clear();
        let is_start =
            |r: &Raw, kinds: &[RecKind]| r.listing && !snapshot_has(kinds[r.key as usize]);
        // what the replay holds for each object: Some(rv) = exists
        let mut known: BTreeMap<u32, Option<String>> = BTreeMap::new();
        let mut listed_rv: BTreeMap<u32, String> = BTreeMap::new();
        for r in raw.iter().filter(|r| is_start(r, &self.kinds)) {
            listed_rv.insert(r.key, r.rv.clone());
        }
        let mut events: Vec<(u32, RecEvent)> = Vec::with_capacity(raw.len());
        let mut prev: BTreeMap<u32, Ms> = BTreeMap::new();
        for r in raw {
            if is_start(&r, &self.kinds) {
                match &r.state {
                    State::Service(s) => {
                        self.start_services_from_stream
                            .insert(self.keys[r.key as usize].clone(), (**s).clone());
                    }
                    State::Node(n) => {
                        self.start_nodes_from_stream
                            .insert(self.keys[r.key as usize].1.clone(), (**n).clone());
                    }
                    State::Pod(_) => {}
                }
                continue;
            }
            let kind = self.kinds[r.key as usize];
            let key = &self.keys[r.key as usize];
            let have = known.entry(r.key).or_insert_with(|| {
                snapshot_rv(kind, key)
                    .or_else(|| listed_rv.get(&r.key).cloned())
                    .map(Some)
                    .unwrap_or(None)
            });
            if let Some(old) = have.as_deref() {
                if !r.deleted && old == r.rv && !r.rv.is_empty() {
                    self.unchanged += 1;
                    continue;
                }
                if let (Ok(a), Ok(b)) = (r.rv.parse::<u64>(), old.parse::<u64>()) {
                    if a < b {
                        self.older += 1;
                        continue;
                    }
                }
            } else if r.deleted {
                // never existed in the replay: nothing to delete
                self.unchanged += 1;
                continue;
            }
            *have = if r.deleted { None } else { Some(r.rv.clone()) };
            let time = if r.listing { None } else { r.time };
            let p = prev.get(&r.stream).copied();
            let (mut at, mut rule) = match time {
                Some(t) => t,
                None if r.listing => (0, Rule::Listing),
                None => (p.unwrap_or(0), Rule::Previous),
            };
            if let Some(p) = p {
                if at < p {
                    at = p;
                    if rule != Rule::Listing {
                        rule = Rule::Previous;
                    }
                }
            }
            if rule != Rule::Listing {
                prev.insert(r.stream, at);
            }
            *self.rules.entry(rule).or_default() += 1;
            events.push((
                r.stream,
                RecEvent {
                    at_ms: at,
                    key: r.key,
                    state: (!r.deleted).then_some(r.state),
                    rule,
                },
            ));
        }
        // per stream, listing changes and changes before the first timed one take its time;
        // a stream with no timed change at all takes the first timed change of any stream
        let untimed = |e: &RecEvent| matches!(e.rule, Rule::Previous | Rule::Listing);
        let first_any = events
            .iter()
            .find(|(_, e)| !untimed(e))
            .map(|(_, e)| e.at_ms);
        let streams: std::collections::BTreeSet<u32> = events.iter().map(|(s, _)| *s).collect();
        for s in streams {
            let first = events
                .iter()
                .find(|(x, e)| *x == s && !untimed(e))
                .map(|(_, e)| e.at_ms);
            let Some(t) = first.or(first_any) else {
                continue;
            };
            let whole = first.is_none();
            for (_, e) in events
                .iter_mut()
                .filter(|(x, _)| *x == s)
                .take_while(|(_, e)| whole || untimed(e))
            {
                e.at_ms = t;
            }
        }
        let mut events: Vec<RecEvent> = events.into_iter().map(|(_, e)| e).collect();
        // a stable sort: one stream's changes keep their order, ties keep input order
        events.sort_by_key(|e| e.at_ms);
        spread_ties(&mut events);
        self.events = events;
        let listing = std::mem::take(&mut self.listing);
        if !snapshot_has(RecKind::Pod) {
            for (k, pod) in listing {
                self.start_from_stream
                    .insert(self.keys[k as usize].clone(), pod);
            }
        }
    }
}

/// Changes sharing a whole-second time are spread evenly over that second (or up to the next
/// change, if sooner), in stream order.
fn spread_ties(events: &mut [RecEvent]) {
    let mut i = 0;
    while i < events.len() {
        let t = events[i].at_ms;
        let mut j = i + 1;
        while j < events.len() && events[j].at_ms == t {
            j += 1;
        }
        let n = (j - i) as i64;
        if n > 1 && t % 1000 == 0 {
            let next = events.get(j).map_or(t + 1000, |e| e.at_ms.min(t + 1000));
            let span = (next - t).max(1);
            for (k, e) in events[i..j].iter_mut().enumerate() {
                e.at_ms = t + span * k as i64 / n;
            }
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(at_ms: Ms) -> RecEvent {
        RecEvent {
            at_ms,
            key: 0,
            state: None,
            rule: Rule::Condition,
        }
    }

    #[test]
    fn ties_spread_over_their_second() {
        let mut v = vec![
            ev(1000),
            ev(1000),
            ev(1000),
            ev(1000),
            ev(1500),
            ev(3000),
            ev(3000),
        ];
        spread_ties(&mut v);
        let at: Vec<Ms> = v.iter().map(|e| e.at_ms).collect();
        // four in [1000, 1500): the next change comes sooner than the second's end
        assert_eq!(at, vec![1000, 1125, 1250, 1375, 1500, 3000, 3500]);
    }

    #[test]
    fn print_time_is_the_latest_timestamp() {
        let pod = json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z",
            "deletionTimestamp": "2026-01-01T00:01:00Z", "deletionGracePeriodSeconds": 30},
            "status": {"conditions": [{"type": "Ready", "lastTransitionTime": "2026-01-01T00:00:20Z"}],
                "containerStatuses": [{"state": {"running": {"startedAt": "2026-01-01T00:00:10Z"}}}]}});
        let base = Timestamp::parse("2026-01-01T00:00:00Z").unwrap().secs * 1000;
        assert_eq!(
            print_time(&pod),
            Some((base + 30_000, Rule::DeleteRequested))
        );
        let mut p = pod.clone();
        p["metadata"]["deletionTimestamp"] = Value::Null;
        assert_eq!(print_time(&p), Some((base + 20_000, Rule::Condition)));
        assert_eq!(print_time(&json!({"metadata": {}})), None);
    }

    fn print(name: &str, rv: &str, event: Option<&str>, ready: &str, t: &str) -> Item {
        Item {
            file: "w.json".into(),
            index: 0,
            list_kind: None,
            event: event.map(str::to_string),
            in_list: false,
            value: json!({"kind": "Pod", "metadata": {"name": name, "namespace": "ns",
                "resourceVersion": rv, "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {"nodeName": "n1", "containers": []},
                "status": {"podIP": "10.0.0.1", "conditions": [{"type": "Ready", "status": ready,
                    "lastTransitionTime": t}]}}),
        }
    }

    #[test]
    fn listing_is_the_start_state_without_a_snapshot_and_a_no_op_with_one() {
        let build = || {
            let mut r = Recording::default();
            for (n, rv) in [("a", "5"), ("b", "6")] {
                r.add_pod(&print(n, rv, Some("ADDED"), "True", "2026-01-01T00:00:00Z"))
                    .unwrap();
            }
            r.add_pod(&print(
                "a",
                "9",
                Some("MODIFIED"),
                "False",
                "2026-01-01T00:00:30Z",
            ))
            .unwrap();
            r
        };
        let mut r = build();
        r.finish(&|_, _| None, &|_| false);
        assert_eq!(r.start_from_stream.len(), 2);
        assert_eq!(r.events.len(), 1);
        let st = r.events[0].state.as_ref().and_then(State::as_pod);
        assert_eq!(st.unwrap().ready, Some(false));
        assert_eq!(r.events[0].rule, Rule::Condition);
        // with a snapshot holding the listed versions, the listing changes nothing
        let mut r = build();
        r.finish(
            &|_, k| Some(if k.1 == "a" { "5" } else { "6" }.to_string()),
            &|_| true,
        );
        assert!(r.start_from_stream.is_empty());
        assert_eq!((r.events.len(), r.unchanged), (1, 2));
        // a snapshot newer than the stream: its prints are older, skipped
        let mut r = build();
        r.finish(&|_, _| Some("100".to_string()), &|_| true);
        assert_eq!((r.events.len(), r.older), (0, 3));
    }

    fn node_print(rv: &str, event: &str, ready: &str, heartbeat: &str) -> Item {
        Item {
            file: "nodes.json".into(),
            index: 0,
            list_kind: None,
            event: Some(event.into()),
            in_list: false,
            value: json!({"kind": "Node", "metadata": {"name": "n1", "resourceVersion": rv,
                    "creationTimestamp": "2026-01-01T00:00:00Z",
                    "labels": {"topology.kubernetes.io/zone": "a"}},
                "spec": {"podCIDRs": ["10.0.0.0/24"]},
                "status": {"allocatable": {"cpu": "4", "pods": "110"},
                    "conditions": [{"type": "Ready", "status": ready,
                        "lastHeartbeatTime": heartbeat,
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}),
        }
    }

    /// A long Node watch is mostly heartbeats (status updates that change nothing the replay
    /// reads): they are dropped as they are read, not held until the end; the changes between
    /// them, and what the replay gets, are as before.
    #[test]
    fn node_heartbeat_prints_are_not_held_until_the_end() {
        let mut r = Recording::default();
        r.add_object(
            &node_print("1", "ADDED", "True", "2026-01-01T00:00:00Z"),
            "Node",
        )
        .unwrap();
        for i in 0..200 {
            let hb = format!(
                "2026-01-01T00:{:02}:{:02}Z",
                (i + 1) * 10 / 60,
                (i + 1) * 10 % 60
            );
            r.add_object(
                &node_print(&(10 + i).to_string(), "MODIFIED", "True", &hb),
                "Node",
            )
            .unwrap();
        }
        r.add_object(
            &node_print("900", "MODIFIED", "Unknown", "2026-01-01T00:40:00Z"),
            "Node",
        )
        .unwrap();
        r.add_object(
            &node_print("901", "MODIFIED", "Unknown", "2026-01-01T00:40:10Z"),
            "Node",
        )
        .unwrap();
        r.add_object(
            &node_print("902", "DELETED", "Unknown", "2026-01-01T00:40:10Z"),
            "Node",
        )
        .unwrap();
        // kept: the listing, the first heartbeat after it, the NotReady change, the deletion
        assert_eq!(r.raw.len(), 4);
        assert_eq!(r.repeated_node_prints, 200);
        assert_eq!(r.typed, 204);
        assert_eq!(r.object_prints[&RecKind::Node], 204);
        r.finish(&|_, _| None, &|_| false);
        assert_eq!(r.start_nodes_from_stream.len(), 1);
        let ready: Vec<Option<String>> = r
            .events
            .iter()
            .map(|e| match &e.state {
                Some(State::Node(n)) => {
                    Some(n.status.conditions.as_ref().unwrap()[0].status.clone())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            ready,
            vec![Some("True".into()), Some("Unknown".into()), None]
        );
    }

    fn service_print(file: &str, rv: &str, event: &str, selector: &str, meta: Value) -> Item {
        let mut m = json!({"name": "web", "namespace": "ns", "resourceVersion": rv,
            "creationTimestamp": "2026-01-01T00:00:10Z"});
        for (k, v) in meta.as_object().unwrap() {
            m[k] = v.clone();
        }
        Item {
            file: file.into(),
            index: 0,
            list_kind: None,
            event: Some(event.into()),
            in_list: false,
            value: json!({"kind": "Service", "metadata": m,
                "spec": {"selector": {"app": selector}, "ports": [{"port": 80}]}}),
        }
    }

    /// Timing holds within a stream: a Service change is never moved later by the pod stream
    /// read before it (only by its own stream's previous change); the streams merge by time. A
    /// managedFields time dates a change that has no newer timestamp.
    #[test]
    fn each_stream_keeps_its_own_times_and_streams_merge_by_time() {
        let mut r = Recording::default();
        // the pod stream first (input order), its change at 30 s
        let mut p = print("a", "9", Some("MODIFIED"), "False", "2026-01-01T00:00:30Z");
        p.file = "pods.json".into();
        r.add_pod(&p).unwrap();
        let none = json!({});
        r.add_object(
            &service_print("svc.json", "20", "ADDED", "web", none.clone()),
            "Service",
        )
        .unwrap();
        r.add_object(
            &service_print("svc.json", "21", "MODIFIED", "db", none),
            "Service",
        )
        .unwrap();
        let stamped = json!({"managedFields": [{"manager": "kubectl", "operation": "Update",
            "time": "2026-01-01T00:00:50Z"}]});
        r.add_object(
            &service_print("svc.json", "22", "MODIFIED", "api", stamped),
            "Service",
        )
        .unwrap();
        r.finish(&|_, _| None, &|_| true);
        let base = Timestamp::parse("2026-01-01T00:00:00Z").unwrap().secs * 1000;
        let got: Vec<(Ms, RecKind, Rule)> = r
            .events
            .iter()
            .map(|e| (e.at_ms - base, r.kinds[e.key as usize], e.rule))
            .collect();
        assert_eq!(
            got,
            vec![
                // kubectl's initial listing (the snapshot lacks it): the stream's first time
                (10_000, RecKind::Service, Rule::Listing),
                // its own stream's 10 s, not the pod stream's 30 s before it in input order
                (10_500, RecKind::Service, Rule::Created),
                (30_000, RecKind::Pod, Rule::Condition),
                (50_000, RecKind::Service, Rule::ManagedFields),
            ]
        );
        assert_eq!(r.counts(), (1, 3));
        match &r.events[1].state {
            Some(State::Service(s)) => {
                assert_eq!(s.spec.selector.as_ref().unwrap()["app"], "db");
            }
            o => panic!("{o:?}"),
        }
    }
}
