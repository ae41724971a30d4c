//! The stream of object changes the world emits, and the consumer interface.
//!
//! Every write the simulated cluster makes to a Pod, Node or Service is delivered once, in
//! event order, to a [`ChangeSink`] with the object's old and new state (borrowed: nothing is
//! cloned for the sink, and the "old" state is one clone of the single changed object).
//! Endpoint controllers plug in here; they also get [`ChangeSink::advance_to`] before the world
//! processes anything at a new time, so they can run their own timers first.

use super::model::{Node, Pod, ServiceObj};
use super::World;
use crate::scenario::Nanos;

/// Added / updated / deleted, with the states involved.
#[derive(Debug)]
pub enum ObjChange<'a, T> {
    Added(&'a T),
    Updated {
        old: &'a T,
        new: &'a T,
    },
    /// The last state before deletion.
    Deleted(&'a T),
}

impl<'a, T> ObjChange<'a, T> {
    pub fn verb(&self) -> &'static str {
        match self {
            ObjChange::Added(_) => "added",
            ObjChange::Updated { .. } => "updated",
            ObjChange::Deleted(_) => "deleted",
        }
    }

    /// The new state, or the last one for a deletion.
    pub fn latest(&self) -> &'a T {
        match *self {
            ObjChange::Added(n) => n,
            ObjChange::Updated { new, .. } => new,
            ObjChange::Deleted(o) => o,
        }
    }
}

/// One object change.
#[derive(Debug)]
pub enum Change<'a> {
    Pod(ObjChange<'a, Pod>),
    Node(ObjChange<'a, Node>),
    Service(ObjChange<'a, ServiceObj>),
}

impl Change<'_> {
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Pod(_) => "Pod",
            Change::Node(_) => "Node",
            Change::Service(_) => "Service",
        }
    }

    pub fn verb(&self) -> &'static str {
        match self {
            Change::Pod(c) => c.verb(),
            Change::Node(c) => c.verb(),
            Change::Service(c) => c.verb(),
        }
    }
}

/// Consumer of the change stream.
///
/// Time contract: `advance_to` is called with non-decreasing times — before the world
/// processes its events at a new time, at every time the sink asked for through
/// [`next_wakeup`](ChangeSink::next_wakeup) (when that is earlier than the next world event),
/// and once at the end of the run. A sink's own timers due at `t` therefore run before the
/// world's events at `t`; changes the world makes at `t` arrive after `advance_to(t)`.
pub trait ChangeSink {
    /// Move the sink's clock to `now_ns` (run its own timers due by then). Default: nothing.
    fn advance_to(&mut self, _now_ns: Nanos, _world: &World) {}

    /// The next time the sink wants `advance_to` called even if the world has nothing to do
    /// then (e.g. a controller's batch timer). Must move past a time once it was advanced to
    /// (a wakeup at or before the last one delivered is ignored). Default: none.
    fn next_wakeup(&self) -> Option<Nanos> {
        None
    }

    /// One change at `now_ns`; `world` is the state right after it.
    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, world: &World);
}

/// A sink that ignores everything.
#[derive(Debug, Default)]
pub struct NullSink;

impl ChangeSink for NullSink {
    fn on_change(&mut self, _: Nanos, _: &Change<'_>, _: &World) {}
}

/// Counts changes by (kind, verb) — used for the run summary and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CountingSink {
    /// Indexed `[kind][verb]`: kind Pod 0 / Node 1 / Service 2; verb added 0 / updated 1 / deleted 2.
    pub counts: [[u64; 3]; 3],
}

impl CountingSink {
    pub fn record(&mut self, change: &Change<'_>) {
        let k = match change {
            Change::Pod(_) => 0,
            Change::Node(_) => 1,
            Change::Service(_) => 2,
        };
        let v = match change.verb() {
            "added" => 0,
            "updated" => 1,
            _ => 2,
        };
        self.counts[k][v] += 1;
    }

    /// `(kind, verb, count)` rows in a fixed order.
    pub fn rows(&self) -> Vec<(&'static str, &'static str, u64)> {
        let mut out = Vec::new();
        for (k, kind) in ["Pod", "Node", "Service"].iter().enumerate() {
            for (v, verb) in ["added", "updated", "deleted"].iter().enumerate() {
                out.push((*kind, *verb, self.counts[k][v]));
            }
        }
        out
    }
}

impl ChangeSink for CountingSink {
    fn on_change(&mut self, _: Nanos, change: &Change<'_>, _: &World) {
        self.record(change);
    }
}

/// Fans one change stream out to two sinks (e.g. the controllers and a counter).
pub struct Tee<'a, A: ChangeSink + ?Sized, B: ChangeSink + ?Sized>(pub &'a mut A, pub &'a mut B);

impl<A: ChangeSink + ?Sized, B: ChangeSink + ?Sized> ChangeSink for Tee<'_, A, B> {
    fn advance_to(&mut self, now_ns: Nanos, world: &World) {
        self.0.advance_to(now_ns, world);
        self.1.advance_to(now_ns, world);
    }
    fn next_wakeup(&self) -> Option<Nanos> {
        match (self.0.next_wakeup(), self.1.next_wakeup()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, world: &World) {
        self.0.on_change(now_ns, change, world);
        self.1.on_change(now_ns, change, world);
    }
}
