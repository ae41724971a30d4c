//! The seams of a run: how the watch side (the watch hub and the output tracker) hears about
//! API writes ([`crate::apiserver::write_log::WriteObserver`]) and world changes
//! ([`ChangeSink`]).

use super::track::Tracker;
use crate::apiserver::watch::{mode_name, WatchHub};
use crate::apiserver::write_log::{WriteObserver, WriteRecord};
use crate::cluster::{Change, ChangeSink, ObjChange, World};
use crate::scenario::Nanos;
use crate::sim::LogLine;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// The watch hub and the output tracker, and (when the run logs events) one `watch-delivery`
/// line per write.
pub struct WatchSide {
    pub hub: WatchHub,
    pub tracker: Tracker,
    deliveries: Option<VecDeque<LogLine>>,
}

impl WatchSide {
    pub fn new(hub: WatchHub, tracker: Tracker, log: bool) -> Self {
        WatchSide {
            hub,
            tracker,
            deliveries: log.then(VecDeque::new),
        }
    }

    /// The `watch-delivery` line of the oldest write not yet logged.
    pub fn next_delivery(&mut self) -> Option<LogLine> {
        self.deliveries.as_mut()?.pop_front()
    }
}

/// Connects the watch side to the run: writes from the controller manager (it owns one
/// link as its [`WriteObserver`]); node joins and departures, pod and Service changes
/// (propagation latency) from the world's change stream (the run's other link). The watch
/// side is one value with two roles called from two places — the manager's syncs and the
/// change stream — so the links share it (`Rc<RefCell>`: the run is single-threaded). Passing
/// it by `&mut` at dispatch instead would thread it through every sync arm of the manager.
pub struct HubLink(pub Rc<RefCell<WatchSide>>);

impl WriteObserver for HubLink {
    fn on_write(&mut self, record: &WriteRecord<'_>) {
        let mut side = self.0.borrow_mut();
        let side = &mut *side;
        let obj = record.new.or(record.old);
        let before = obj.map(|o| side.hub.live(o.resource()).watch);
        side.hub.on_write(record);
        let req = side.hub.last_request_bytes();
        side.tracker.on_write(record, req);
        if let (Some(d), Some(o), Some(before)) = (side.deliveries.as_mut(), obj, before) {
            let r = o.resource();
            let after = side.hub.live(r).watch;
            let meta = match o {
                crate::apiserver::write_log::ObjectRef::EndpointSlice(x) => &x.metadata,
                crate::apiserver::write_log::ObjectRef::Endpoints(x) => &x.metadata,
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

impl ChangeSink for HubLink {
    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, _world: &World) {
        let mut side = self.0.borrow_mut();
        let WatchSide { hub, tracker, .. } = &mut *side;
        match change {
            Change::Node(ObjChange::Added(n)) => tracker.node_added(now_ns, &n.name, hub),
            Change::Node(ObjChange::Deleted(n)) => tracker.node_deleted(now_ns, &n.name, hub),
            Change::Pod(c) => hub.pod_changed(now_ns, c),
            Change::Service(c) => hub.service_changed(c),
            _ => {}
        }
    }
}
