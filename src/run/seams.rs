//! The seams of a run: how the watch hub and the output tracker hear about API writes
//! ([`crate::apiserver::write_log::WriteObserver`]) and world changes ([`ChangeSink`]; the
//! run fans the change stream out with [`crate::cluster::Tee`]).

use super::track::Tracker;
use crate::apiserver::watch::WatchHub;
use crate::cluster::{Change, ChangeSink, ObjChange, World};
use crate::scenario::Nanos;
use std::cell::RefCell;
use std::rc::Rc;

/// Connects the watch hub and the output tracker to the run: writes from the controller
/// manager; node joins and departures, pod and Service changes (propagation latency) from the
/// world's change stream. Both roles share the hub and the tracker (the run is
/// single-threaded, so `Rc<RefCell>` is enough).
pub struct HubLink {
    pub hub: Rc<RefCell<WatchHub>>,
    pub tracker: Rc<RefCell<Tracker>>,
}

impl crate::apiserver::write_log::WriteObserver for HubLink {
    fn on_write(&mut self, record: &crate::apiserver::write_log::WriteRecord<'_>) {
        let mut hub = self.hub.borrow_mut();
        hub.on_write(record);
        let req = hub.last_request_bytes();
        self.tracker.borrow_mut().on_write(record, req);
    }
}

impl ChangeSink for HubLink {
    fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, _world: &World) {
        let mut hub = self.hub.borrow_mut();
        let mut tr = self.tracker.borrow_mut();
        match change {
            Change::Node(ObjChange::Added(n)) => tr.node_added(now_ns, &n.name, &mut hub),
            Change::Node(ObjChange::Deleted(n)) => tr.node_deleted(now_ns, &n.name, &mut hub),
            Change::Pod(c) => hub.pod_changed(now_ns, c),
            Change::Service(c) => hub.service_changed(c),
            _ => {}
        }
    }
}
