//! The run's one event queue and its one dispatch point.
//!
//! **One queue.** Everything that happens in a run is an [`Event`] in one
//! [`EventQueue`], ordered by `(time, class, seq)` ([`crate::sim::queue`]):
//!
//! | class | event | what it is |
//! |---|---|---|
//! | [`CONTROLLERS`] = 0 | [`Event::Controllers`] | the change stream's consumers are due: the controller manager's informer deliveries, topology update and syncs due at that instant, run in the manager's fixed order (informers, topology, EndpointSlice, Endpoints, mirroring controller), and the writes they make; the time is the consumers' [`ChangeSink::next_wakeup`] |
//! | [`WORLD`] = 1 | [`Event::World`] | one [`WorldEvent`], scheduled by the world while it handled an earlier one |
//!
//! **Tie-break.** At one instant the controllers' work goes before the world's events (the
//! [`ChangeSink`] time contract: a consumer's timers due at `t` run before the world's events
//! at `t`); events of one class due at one instant go in the order they were scheduled. Work
//! the world's events at `t` cause is due at `t + 1 ns` or later (the workqueue's pick-up
//! delay), so this is exactly the order the world's own queue merged with the manager's
//! wakeups gave before the two were one queue: outputs did not change.
//!
//! A consumer's wakeup is re-read after every dispatch and queued when it is earlier than the
//! one queued; a queued wakeup that is no longer the consumer's next one when it comes up is
//! dropped (not dispatched, not logged).
//!
//! **One dispatch point.** [`EventLoop::step`] takes the next event, dispatches it and logs
//! it, and what the subscribers did while handling it, to the event log (`--event-log`,
//! format in [`crate::sim::event_log`]):
//!
//! | kind | details |
//! |---|---|
//! | a [`WorldEvent::kind`] (`timeline`, `pod-ready`, …) | [`World::describe`] |
//! | `informer-delivery` | a stored write reaching the controller manager's informer: `EndpointSlice NAMESPACE/SERVICE NAME added\|updated\|deleted` or `Endpoints NAMESPACE/NAME …` |
//! | `topology-update` | the EndpointSlice controller's topology cache got the node list: `N nodes, M overloaded Services` |
//! | `controller-sync` | one sync: `endpointslice\|endpoints\|mirroring NAMESPACE/NAME result=success\|stale\|error\|… creates=C updates=U deletes=D` (its writes follow) |
//! | `api-write` | one write: `Create\|Update\|Delete RESOURCE NAMESPACE/NAME by WRITER rv=N` or `… rejected: REASON` |
//! | `watch-delivery` | the watch events that write fanned out: `RESOURCE NAMESPACE/NAME events=N bytes=B` (right after its `api-write`) |
//!
//! The lines of one dispatched event carry its time and `seq`; a subscriber's lines carry the
//! time of what they describe. Lines written while the world is set up at t = 0 and when the
//! run ends (no queued event) carry `-` as their `seq`.

use crate::cluster::{ChangeSink, World, WorldEvent};
use crate::scenario::Nanos;
use crate::sim::{Class, EventLog, EventQueue, LogLine};

/// The controllers' class: their work at an instant goes before the world's events then.
pub const CONTROLLERS: Class = 0;
/// The world's class.
pub const WORLD: Class = 1;

/// What the run's queue carries (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The change stream's consumers are due.
    Controllers,
    World(WorldEvent),
}

/// What the event loop drives besides the world: the change stream's consumers and, for the
/// event log, what they did while an event was dispatched.
pub trait Subscribers {
    /// The consumers of the world's change stream (their timers are [`Event::Controllers`]).
    fn sink(&mut self) -> &mut dyn ChangeSink;
    /// Move the log lines gathered since the last call to `out` (in the order they happened).
    fn take_log(&mut self, _out: &mut Vec<LogLine>) {}
}

/// Any change sink alone: nothing to log besides the world's events.
impl<S: ChangeSink> Subscribers for S {
    fn sink(&mut self) -> &mut dyn ChangeSink {
        self
    }
}

/// The run's one queue, the subscribers' queued wakeup and the event log.
pub struct EventLoop {
    queue: EventQueue<Event>,
    /// Time of the queued [`Event::Controllers`] that is still current.
    controllers_at: Option<Nanos>,
    end_ns: Nanos,
    log: EventLog,
    lines: Vec<LogLine>,
}

impl EventLoop {
    /// A loop for `world`'s scenario, logging to `log` ([`EventLog::disabled`] for none).
    pub fn new(world: &World, log: EventLog) -> EventLoop {
        EventLoop {
            queue: EventQueue::new(),
            controllers_at: None,
            end_ns: world.scenario().duration_ns,
            log,
            lines: Vec::new(),
        }
    }

    /// Set the world up (t = 0 state, the timeline queued).
    pub fn start<S: Subscribers>(&mut self, world: &mut World, subs: &mut S) -> anyhow::Result<()> {
        world.start(subs.sink())?;
        self.after_dispatch(world, subs, None)
    }

    /// Time of the next event within the run, if any.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.queue.peek_time().filter(|&t| t <= self.end_ns)
    }

    /// Dispatch the next event within the run (see the module docs). Returns its time.
    pub fn step<S: Subscribers>(
        &mut self,
        world: &mut World,
        subs: &mut S,
    ) -> anyhow::Result<Option<Nanos>> {
        if self.peek_time().is_none() {
            return Ok(None);
        }
        let Some(e) = self.queue.pop() else {
            return Ok(None);
        };
        let t = e.time_ns;
        match e.event {
            Event::Controllers => {
                if self.controllers_at == Some(t) {
                    self.controllers_at = None;
                }
                if world.sink_wakeup(subs.sink()) == Some(t) {
                    world.advance_sink(t, subs.sink());
                }
            }
            Event::World(ev) => {
                if self.log.enabled() {
                    let details = world.describe(&ev);
                    self.log.log(t, e.seq, ev.kind(), || details)?;
                }
                world.dispatch(t, ev, subs.sink())?;
            }
        }
        self.after_dispatch(world, subs, Some(e.seq))?;
        Ok(Some(t))
    }

    /// Every event of the run, then [`EventLoop::finish`].
    pub fn run<S: Subscribers>(&mut self, world: &mut World, subs: &mut S) -> anyhow::Result<()> {
        self.start(world, subs)?;
        while self.step(world, subs)?.is_some() {}
        self.finish(world, subs)
    }

    /// The end of the run: the subscribers are advanced to the scenario's end and the log is
    /// flushed.
    pub fn finish<S: Subscribers>(
        &mut self,
        world: &mut World,
        subs: &mut S,
    ) -> anyhow::Result<()> {
        world.finish(subs.sink());
        self.log_subscribers(subs, None)?;
        self.log.flush()?;
        Ok(())
    }

    /// The event log (e.g. to drop its writer before the file is renamed).
    pub fn into_log(self) -> EventLog {
        self.log
    }

    /// Log what the subscribers did, move the world's newly scheduled events into the queue
    /// (in scheduling order) and queue the subscribers' wakeup if it is now earlier.
    fn after_dispatch<S: Subscribers>(
        &mut self,
        world: &mut World,
        subs: &mut S,
        seq: Option<u64>,
    ) -> anyhow::Result<()> {
        self.log_subscribers(subs, seq)?;
        for (t, ev) in world.take_scheduled() {
            self.queue.schedule_class(t, WORLD, Event::World(ev));
        }
        if let Some(t) = world.sink_wakeup(subs.sink()) {
            if self.controllers_at.map_or(true, |c| t < c) {
                self.queue
                    .schedule_class(t, CONTROLLERS, Event::Controllers);
                self.controllers_at = Some(t);
            }
        }
        Ok(())
    }

    fn log_subscribers<S: Subscribers>(
        &mut self,
        subs: &mut S,
        seq: Option<u64>,
    ) -> anyhow::Result<()> {
        if !self.log.enabled() {
            return Ok(());
        }
        subs.take_log(&mut self.lines);
        for l in self.lines.drain(..) {
            self.log.log_line(l.time_ns, seq, l.kind, &l.details)?;
        }
        Ok(())
    }
}

/// Run `world` from its start to its end with `subs` and no event log (tests, benches, tools
/// that need no samples).
pub fn run_to_end<S: Subscribers>(world: &mut World, subs: &mut S) -> anyhow::Result<()> {
    EventLoop::new(world, EventLog::disabled()).run(world, subs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Change;
    use crate::scenario::NS_PER_SEC;

    /// A consumer with one timer at `wake`, recording what it hears in order.
    struct Timer {
        wake: Option<Nanos>,
        heard: Vec<(Nanos, String)>,
    }

    impl ChangeSink for Timer {
        fn advance_to(&mut self, now_ns: Nanos, _world: &World) {
            if self.wake.is_some_and(|w| w <= now_ns) {
                self.wake = None;
                self.heard.push((now_ns, "timer".into()));
            }
        }
        fn next_wakeup(&self) -> Option<Nanos> {
            self.wake
        }
        fn on_change(&mut self, now_ns: Nanos, change: &Change<'_>, _world: &World) {
            if now_ns > 0 {
                self.heard
                    .push((now_ns, format!("{} {}", change.kind(), change.verb())));
            }
        }
    }

    fn world() -> World {
        let src = r#"
name = "tie"
duration = "1m"
[cluster]
nodes = 1
[[workloads]]
name = "web"
replicas = 1
[[events]]
at = "5s"
type = "restart_pods"
workload = "web"
count = 1
"#;
        crate::testutil::world(src)
    }

    #[test]
    fn a_consumer_timer_due_with_a_world_event_runs_first() {
        // the restart at 5 s deletes a pod gracefully (a Pod update at 5 s); the timer is due
        // at 5 s too
        let mut w = world();
        let mut timer = Timer {
            wake: Some(5 * NS_PER_SEC),
            heard: Vec::new(),
        };
        run_to_end(&mut w, &mut timer).unwrap();
        let at5: Vec<&str> = timer
            .heard
            .iter()
            .filter(|(t, _)| *t == 5 * NS_PER_SEC)
            .map(|(_, h)| h.as_str())
            .collect();
        assert_eq!(at5.first(), Some(&"timer"), "{at5:?}");
        assert!(at5.contains(&"Pod updated"), "{at5:?}");
    }

    #[test]
    fn a_consumer_timer_between_world_events_runs_at_its_time() {
        let mut w = world();
        let mut timer = Timer {
            wake: Some(3 * NS_PER_SEC),
            heard: Vec::new(),
        };
        run_to_end(&mut w, &mut timer).unwrap();
        assert_eq!(timer.heard.first(), Some(&(3 * NS_PER_SEC, "timer".into())));
    }
}
