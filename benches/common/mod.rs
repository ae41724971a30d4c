//! Shared by the benches: the bare-queue baseline every bench reports its ratio against.

use rand::{Rng, SeedableRng};
use slicesim::sim::queue::EventQueue;
use std::time::Instant;

/// Baseline: the bare queue handling `events` events spread over `horizon_ns`, keeping about
/// `pending` of them in flight (the steady state of a 150k-pod world), with no work per event.
pub fn queue_baseline(events: u64, horizon_ns: u64, pending: u64) -> std::time::Duration {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut q: EventQueue<u64> = EventQueue::new();
    let step = (horizon_ns / events.max(1)).max(1);
    for i in 0..pending {
        q.schedule_in(rng.gen_range(0..horizon_ns), i);
    }
    let t = Instant::now();
    let mut done = 0u64;
    while let Some(ev) = q.pop() {
        done += 1;
        if done + pending <= events {
            q.schedule_in(rng.gen_range(1..=2 * step * pending.max(1)), ev.event);
        }
    }
    std::hint::black_box(done);
    t.elapsed()
}
