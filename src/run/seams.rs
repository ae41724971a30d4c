//! The seams of a run: how the watch side (the watch hub and the output tracker) hears about
//! API writes and world changes. Data flows one way, and the run owns the watch side:
//!
//! * **Writes** go from the controller manager into an [`Outbox`] (its
//!   [`WriteObserver`]), a one-way queue the watch side drains ([`WatchSide::drain`]).
//! * **World changes** (node joins and departures, pod and Service changes for propagation
//!   latency) reach the watch side as a [`ChangeSink`], after the manager in the run's sink
//!   order. Every manager call that can write (a change, a wakeup) is followed by a watch-side
//!   call in the same dispatch, which drains the outbox first, so the hub sees writes and
//!   changes in exactly the order they happened.

use super::track::Tracker;
use crate::apiserver::watch::{mode_name, WatchHub};
use crate::apiserver::write_log::{
    ObjectRef, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use crate::cluster::{Change, ChangeSink, ObjChange, World};
use crate::k8s;
use crate::scenario::Nanos;
use crate::sim::LogLine;
use std::collections::VecDeque;
use std::sync::mpsc::{channel, Receiver, Sender};

/// A written object, owned: it crosses from the manager's store to the watch side.
enum Written {
    EndpointSlice(k8s::EndpointSlice),
    Endpoints(k8s::Endpoints),
}

impl Written {
    fn of(o: ObjectRef<'_>) -> Written {
        match o {
            ObjectRef::EndpointSlice(x) => Written::EndpointSlice(x.clone()),
            ObjectRef::Endpoints(x) => Written::Endpoints(x.clone()),
        }
    }

    fn as_ref(&self) -> ObjectRef<'_> {
        match self {
            Written::EndpointSlice(x) => ObjectRef::EndpointSlice(x),
            Written::Endpoints(x) => ObjectRef::Endpoints(x),
        }
    }
}

/// One queued [`WriteRecord`].
pub struct QueuedWrite {
    time_ns: u64,
    verb: Verb,
    writer: Writer,
    old: Option<Written>,
    new: Option<Written>,
    outcome: WriteOutcome,
}

impl QueuedWrite {
    fn record(&self) -> WriteRecord<'_> {
        WriteRecord {
            time_ns: self.time_ns,
            verb: self.verb,
            writer: self.writer,
            old: self.old.as_ref().map(Written::as_ref),
            new: self.new.as_ref().map(Written::as_ref),
            outcome: self.outcome.clone(),
        }
    }
}

/// The controller manager's [`WriteObserver`] in a run: queues every write, in order, for the
/// watch side ([`outbox`]).
pub struct Outbox(Sender<QueuedWrite>);

/// An outbox and the end the watch side drains.
pub fn outbox() -> (Outbox, Receiver<QueuedWrite>) {
    let (tx, rx) = channel();
    (Outbox(tx), rx)
}

impl WriteObserver for Outbox {
    fn on_write(&mut self, r: &WriteRecord<'_>) {
        // the receiver lives as long as the run; a send after it is gone has no one to tell
        let _ = self.0.send(QueuedWrite {
            time_ns: r.time_ns,
            verb: r.verb,
            writer: r.writer,
            old: r.old.map(Written::of),
            new: r.new.map(Written::of),
            outcome: r.outcome.clone(),
        });
    }
}

/// The watch hub and the output tracker, the end of the manager's [`Outbox`] and (when the
/// run logs events) one `watch-delivery` line per write.
pub struct WatchSide {
    pub hub: WatchHub,
    pub tracker: Tracker,
    inbox: Receiver<QueuedWrite>,
    deliveries: Option<VecDeque<LogLine>>,
}

impl WatchSide {
    pub fn new(hub: WatchHub, tracker: Tracker, inbox: Receiver<QueuedWrite>, log: bool) -> Self {
        WatchSide {
            hub,
            tracker,
            inbox,
            deliveries: log.then(VecDeque::new),
        }
    }

    /// The `watch-delivery` line of the oldest write not yet logged.
    pub fn next_delivery(&mut self) -> Option<LogLine> {
        self.deliveries.as_mut()?.pop_front()
    }

    /// Hand every queued write, in order, to the hub and the tracker.
    pub fn drain(&mut self) {
        while let Ok(w) = self.inbox.try_recv() {
            self.on_write(&w.record());
        }
    }

    /// The tracker's per-second sample (after the writes so far).
    pub fn sample(&mut self, s: u64, world: &World) {
        self.drain();
        self.tracker.sample(s, world);
    }

    fn on_write(&mut self, record: &WriteRecord<'_>) {
        let obj = record.new.or(record.old);
        let before = obj.map(|o| self.hub.live(o.resource()).watch);
        self.hub.on_write(record);
        let req = self.hub.last_request_bytes();
        self.tracker.on_write(record, req);
        if let (Some(d), Some(o), Some(before)) = (self.deliveries.as_mut(), obj, before) {
            let r = o.resource();
            let after = self.hub.live(r).watch;
            let meta = match o {
                ObjectRef::EndpointSlice(x) => &x.metadata,
                ObjectRef::Endpoints(x) => &x.metadata,
            };
            d.push_back(LogLine {
                time_ns: record.time_ns,
                kind: "watch-delivery",
                details: format!(
                    "{} {}/{} events={} bytes={}",
                    mode_name(r),
                    meta.namespace.as_deref().unwrap_or(""),
                    meta.name.as_deref().unwrap_or(""),
                    after.events - before.events,
                    after.bytes - before.bytes
                ),
            });
        }
    }
}

impl ChangeSink for WatchSide {
    fn advance_to(&mut self, _now_ns: Nanos, _world: &World) {
        self.drain();
    }

    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, _world: &World) {
        self.drain();
        let WatchSide { hub, tracker, .. } = self;
        match change {
            Change::Node(ObjChange::Added(n)) => tracker.node_added(now_ns, &n.name, hub),
            Change::Node(ObjChange::Deleted(n)) => tracker.node_deleted(now_ns, &n.name, hub),
            Change::Pod(c) => hub.pod_changed(now_ns, c),
            Change::Service(c) => hub.service_changed(c),
            _ => {}
        }
    }
}
