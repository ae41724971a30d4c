//! The event queue: one total order for everything that happens in a run.
//!
//! **Order.** Events are delivered by ascending `(time_ns, class, seq)`. `class` is the
//! [`Class`] of the subsystem that scheduled the event (a run gives the controller manager a
//! lower class than the world, so controllers' timers due at an instant run before the world's
//! events at that instant — see `crate::run::dispatch`). `seq` is a counter assigned when the
//! event is *scheduled* (strictly increasing over the whole run), so events of one class due at
//! the same instant are delivered first-in-first-out in the order they were scheduled. Nothing
//! else (no hash, no address, no thread) takes part in the ordering, so one scenario and one
//! seed always yield one sequence of events.
//!
//! Scheduling an event in the past is clamped to "now" (the time of the event being
//! processed): simulated time never goes backwards, which [`EventQueue::pop`] re-checks.

use super::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The tie-break between subsystems at one instant: lower classes are delivered first.
pub type Class = u8;

/// An event taken off the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled<E> {
    pub time_ns: Nanos,
    pub class: Class,
    pub seq: u64,
    pub event: E,
}

struct Entry<E> {
    time_ns: Nanos,
    class: Class,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (Nanos, Class, u64) {
        (self.time_ns, self.class, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed so the std max-heap pops the smallest `(time, class, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Priority queue of events keyed by `(time_ns, class, seq)`; see the module docs for the order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
    now_ns: Nanos,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
            now_ns: 0,
        }
    }

    /// Current simulated time: the time of the last event popped (0 before the first).
    pub fn now(&self) -> Nanos {
        self.now_ns
    }

    /// Schedule `event` at absolute time `at_ns` (clamped to now) in class 0. Returns its
    /// sequence number.
    pub fn schedule_at(&mut self, at_ns: Nanos, event: E) -> u64 {
        self.schedule_class(at_ns, 0, event)
    }

    /// Schedule `event` at absolute time `at_ns` (clamped to now) in `class`. Returns its
    /// sequence number.
    pub fn schedule_class(&mut self, at_ns: Nanos, class: Class, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            time_ns: at_ns.max(self.now_ns),
            class,
            seq,
            event,
        });
        seq
    }

    /// Schedule `event` `delay_ns` after now (saturating).
    pub fn schedule_in(&mut self, delay_ns: Nanos, event: E) -> u64 {
        self.schedule_at(self.now_ns.saturating_add(delay_ns), event)
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|e| e.time_ns)
    }

    /// Take the next event and advance the clock to its time.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        let e = self.heap.pop()?;
        debug_assert!(e.time_ns >= self.now_ns, "event queue went back in time");
        self.now_ns = e.time_ns;
        Some(Scheduled {
            time_ns: e.time_ns,
            class: e.class,
            seq: e.seq,
            event: e.event,
        })
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The queued events, in no particular order (for inspection in tests and tools).
    pub fn events(&self) -> impl Iterator<Item = &E> {
        self.heap.iter().map(|e| &e.event)
    }

    /// Total number of events ever scheduled.
    pub fn scheduled_count(&self) -> u64 {
        self.next_seq
    }
}

/// Where a subsystem schedules its events while it handles one: `(time, event)` pairs in
/// scheduling order, moved into the run's one [`EventQueue`] after every dispatch (in that
/// order, so their `seq`s keep it). Same clamping as the queue: nothing is due before [`now`].
///
/// [`now`]: Outbox::now
#[derive(Debug)]
pub struct Outbox<E> {
    now_ns: Nanos,
    items: Vec<(Nanos, E)>,
}

impl<E> Default for Outbox<E> {
    fn default() -> Self {
        Outbox {
            now_ns: 0,
            items: Vec::new(),
        }
    }
}

impl<E> Outbox<E> {
    /// The time of the event being handled (0 before the first).
    pub fn now(&self) -> Nanos {
        self.now_ns
    }

    /// Move the clock to the event about to be handled (never backwards).
    pub fn set_now(&mut self, t: Nanos) {
        debug_assert!(t >= self.now_ns, "outbox clock went back in time");
        self.now_ns = self.now_ns.max(t);
    }

    /// Schedule `event` at absolute time `at_ns` (clamped to now).
    pub fn schedule_at(&mut self, at_ns: Nanos, event: E) {
        self.items.push((at_ns.max(self.now_ns), event));
    }

    /// Schedule `event` `delay_ns` after now (saturating).
    pub fn schedule_in(&mut self, delay_ns: Nanos, event: E) {
        self.schedule_at(self.now_ns.saturating_add(delay_ns), event);
    }

    /// Take everything scheduled since the last call, in scheduling order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (Nanos, E)> {
        self.items.drain(..)
    }

    /// Scheduled and not yet drained, in scheduling order.
    pub fn events(&self) -> impl Iterator<Item = &E> {
        self.items.iter().map(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule_at(5, "c");
        q.schedule_at(1, "a");
        q.schedule_at(5, "d");
        q.schedule_at(3, "b");
        q.schedule_at(5, "e");
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).map(|s| s.event).collect();
        assert_eq!(got, vec!["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn simultaneous_events_are_fifo_even_when_scheduled_while_processing() {
        let mut q = EventQueue::new();
        q.schedule_at(10, 1);
        q.schedule_at(10, 2);
        let first = q.pop().unwrap();
        assert_eq!(first.event, 1);
        // scheduled "now" while processing event 1: runs after the already queued event 2
        q.schedule_in(0, 3);
        assert_eq!(q.pop().unwrap().event, 2);
        assert_eq!(q.pop().unwrap().event, 3);
    }

    #[test]
    fn lower_classes_go_first_at_one_instant_and_each_class_is_fifo() {
        let mut q = EventQueue::new();
        q.schedule_class(5, 1, "w1");
        q.schedule_class(5, 0, "c1");
        q.schedule_class(3, 1, "early");
        q.schedule_class(5, 1, "w2");
        q.schedule_class(5, 0, "c2");
        let got: Vec<_> = std::iter::from_fn(|| q.pop()).map(|s| s.event).collect();
        assert_eq!(got, vec!["early", "c1", "c2", "w1", "w2"]);
    }

    #[test]
    fn scheduling_in_the_past_is_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule_at(100, "x");
        q.pop();
        q.schedule_at(50, "late");
        let s = q.pop().unwrap();
        assert_eq!(s.time_ns, 100);
        assert_eq!(q.now(), 100);
    }
}
