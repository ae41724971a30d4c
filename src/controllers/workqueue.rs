//! A client-go workqueue in simulated time (client-go `util/workqueue`), with the worker pool that
//! drains it.
//!
//! Rules (client-go `util/workqueue`, queue.go / delaying_queue.go / default_rate_limiters.go):
//! - `Add`: a key already *dirty* (queued, not yet picked up) is not queued twice; a key being
//!   *processed* is only marked dirty and re-queued when the worker calls `Done`.
//! - `AddAfter(d)`: `d <= 0` is `Add`; otherwise the key waits in a heap until `readyAt`; a second
//!   `AddAfter` for a waiting key only ever moves `readyAt` earlier
//!   (delaying_queue.go `waitingLoop`: "if the entry is already in the queue, update the time
//!   only if it would cause the item to be queued sooner"). Waiting entries are independent of
//!   the dirty/processing sets: the key may be queued or processed meanwhile and is `Add`ed
//!   again when its time comes.
//! - `AddRateLimited`: `AddAfter(base·2^n)` capped at `max`, `n` = failures so far of the key
//!   (`ItemExponentialFailureRateLimiter`); `Forget` resets `n`; `NumRequeues` reads it. All
//!   three controllers combine it (`MaxOfRateLimiter`) with one token bucket over all keys,
//!   10 qps, burst 100 (`BucketRateLimiter{rate.NewLimiter(10, 100)}`; the ESC and ESMC build
//!   it themselves, the EPC through `DefaultTypedControllerRateLimiter`): every
//!   `AddRateLimited` takes a token, and the delay is the larger of the two. The bucket only
//!   shows when more than 100 retries pile up within seconds (e.g. stale informer caches
//!   across many Services).
//! - Workers: `N` goroutines each `Get` → sync → `Done`. A sync here takes a simulated duration
//!   drawn from the scenario's distribution; the key stays in *processing* until it ends.
//!
//! Time is only the simulated clock passed in. Ties are broken by insertion sequence, so the
//! order is deterministic.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::scenario::{DurationDist, Nanos};

/// The shared token bucket: one token per 100 ms (10 qps) ...
pub const BUCKET_INTERVAL_NS: Nanos = 100_000_000;
/// ... holding at most 100 (burst); it starts full (x/time/rate fills an unused limiter).
pub const BUCKET_BURST: u64 = 100;

/// Exponential per-item backoff and the retry budget of one controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub base_ns: Nanos,
    pub max_ns: Nanos,
    /// The controller drops a key after this many requeues (`maxRetries`, 15 for all three).
    pub max_retries: u32,
}

impl RateLimit {
    /// EndpointSlice controller: `defaultSyncBackOff` 1 s, `maxSyncBackOff` 1000 s.
    pub const ENDPOINTSLICE: RateLimit = RateLimit {
        base_ns: 1_000_000_000,
        max_ns: 1_000_000_000_000,
        max_retries: 15,
    };
    /// Endpoints controller: `DefaultControllerRateLimiter` 5 ms, 1000 s.
    pub const ENDPOINTS: RateLimit = RateLimit {
        base_ns: 5_000_000,
        max_ns: 1_000_000_000_000,
        max_retries: 15,
    };
    /// Mirroring controller: 1 s, 100 s.
    pub const MIRRORING: RateLimit = RateLimit {
        base_ns: 1_000_000_000,
        max_ns: 100_000_000_000,
        max_retries: 15,
    };

    /// Delay of the `n`-th failure (0-based): base·2^n capped at max.
    pub fn delay(&self, failures: u32) -> Nanos {
        if failures >= 63 {
            return self.max_ns;
        }
        self.base_ns
            .checked_mul(1u64 << failures)
            .map_or(self.max_ns, |d| d.min(self.max_ns))
    }
}

/// The queue plus its workers.
#[derive(Debug, Clone)]
pub struct WorkQueue<K: Ord + Clone> {
    queue: VecDeque<K>,
    dirty: BTreeSet<K>,
    processing: BTreeSet<K>,
    /// key → readyAt of its waiting entry.
    waiting: BTreeMap<K, Nanos>,
    /// (readyAt, seq, key) ordered heap of the waiting entries.
    waiting_heap: BTreeSet<(Nanos, u64, K)>,
    waiting_seq: BTreeMap<K, u64>,
    failures: BTreeMap<K, u32>,
    /// Running syncs: (end time, seq, key).
    running: BTreeSet<(Nanos, u64, K)>,
    seq: u64,
    workers: usize,
    rate: RateLimit,
    /// A key added at `t` is picked up at `t + pickup_delay_ns` at the earliest.
    pickup_delay_ns: Nanos,
    /// Earliest time queued keys may be started.
    ready_at: Nanos,
    /// Token bucket as a theoretical arrival time (GCRA form of a token bucket: a reservation
    /// at `now` waits `max(0, max(tat, now) + interval − now − burst·interval)`).
    bucket_tat: Nanos,
}

impl<K: Ord + Clone> WorkQueue<K> {
    /// `workers` is clamped to at least 1.
    pub fn new(workers: usize, rate: RateLimit, pickup_delay_ns: Nanos) -> Self {
        WorkQueue {
            queue: VecDeque::new(),
            dirty: BTreeSet::new(),
            processing: BTreeSet::new(),
            waiting: BTreeMap::new(),
            waiting_heap: BTreeSet::new(),
            waiting_seq: BTreeMap::new(),
            failures: BTreeMap::new(),
            running: BTreeSet::new(),
            seq: 0,
            workers: workers.max(1),
            rate,
            pickup_delay_ns,
            ready_at: 0,
            bucket_tat: 0,
        }
    }

    /// `Add` at `now`.
    pub fn add(&mut self, key: K, now: Nanos) {
        if self.dirty.contains(&key) {
            return;
        }
        self.dirty.insert(key.clone());
        if self.processing.contains(&key) {
            return;
        }
        if self.queue.is_empty() {
            self.ready_at = now.saturating_add(self.pickup_delay_ns);
        }
        self.queue.push_back(key);
    }

    /// `AddAfter(key, delay)` at `now`.
    pub fn add_after(&mut self, key: K, delay: Nanos, now: Nanos) {
        if delay == 0 {
            self.add(key, now);
            return;
        }
        let at = now.saturating_add(delay);
        if let Some(&cur) = self.waiting.get(&key) {
            if at >= cur {
                return;
            }
            let s = self.waiting_seq[&key];
            self.waiting_heap.remove(&(cur, s, key.clone()));
        }
        self.seq += 1;
        self.waiting.insert(key.clone(), at);
        self.waiting_seq.insert(key.clone(), self.seq);
        self.waiting_heap.insert((at, self.seq, key));
    }

    /// `AddRateLimited`: returns the delay used.
    pub fn add_rate_limited(&mut self, key: K, now: Nanos) -> Nanos {
        let n = self.failures.entry(key.clone()).or_insert(0);
        let item = self.rate.delay(*n);
        *n += 1;
        let tat = self.bucket_tat.max(now) + BUCKET_INTERVAL_NS;
        self.bucket_tat = tat;
        let bucket = (tat - now).saturating_sub(BUCKET_BURST * BUCKET_INTERVAL_NS);
        let d = item.max(bucket);
        self.add_after(key, d, now);
        d
    }

    pub fn forget(&mut self, key: &K) {
        self.failures.remove(key);
    }

    pub fn num_requeues(&self, key: &K) -> u32 {
        self.failures.get(key).copied().unwrap_or(0)
    }

    pub fn rate_limit(&self) -> RateLimit {
        self.rate
    }

    /// `Done`: the key is no longer processed; if it was added meanwhile it is queued again.
    pub fn done(&mut self, key: &K, now: Nanos) {
        self.processing.remove(key);
        if self.dirty.contains(key) {
            if self.queue.is_empty() {
                self.ready_at = now.saturating_add(self.pickup_delay_ns);
            }
            self.queue.push_back(key.clone());
        }
    }

    /// Move waiting entries due by `now` into the queue.
    pub fn release_waiting(&mut self, now: Nanos) {
        while let Some((at, s, k)) = self.waiting_heap.first().cloned() {
            if at > now {
                break;
            }
            self.waiting_heap.remove(&(at, s, k.clone()));
            self.waiting.remove(&k);
            self.waiting_seq.remove(&k);
            self.add(k, at);
        }
    }

    /// Start syncs on free workers at `now` (each `Get` moves a key from dirty to processing);
    /// each takes a duration drawn from `dist`.
    pub fn start_workers<R: rand::Rng + ?Sized>(
        &mut self,
        now: Nanos,
        dist: &DurationDist,
        rng: &mut R,
    ) {
        if now < self.ready_at {
            return;
        }
        while self.running.len() < self.workers {
            let Some(k) = self.queue.pop_front() else {
                break;
            };
            self.dirty.remove(&k);
            self.processing.insert(k.clone());
            self.seq += 1;
            let end = now.saturating_add(dist.sample(rng));
            self.running.insert((end, self.seq, k));
        }
    }

    /// The earliest running sync ending at or before `now` (removed from the running set; the
    /// caller runs the sync and then calls [`WorkQueue::done`]).
    pub fn pop_finished(&mut self, now: Nanos) -> Option<(Nanos, K)> {
        let first = self.running.first()?.clone();
        if first.0 > now {
            return None;
        }
        self.running.remove(&first);
        Some((first.0, first.2))
    }

    /// The next time something happens: a waiting entry becomes due, a sync ends, or queued
    /// keys can be started on a free worker.
    pub fn next_event(&self) -> Option<Nanos> {
        let mut t = self.waiting_heap.first().map(|e| e.0);
        let mut upd = |x: Nanos| t = Some(t.map_or(x, |y: Nanos| y.min(x)));
        if let Some(r) = self.running.first() {
            upd(r.0);
        }
        if !self.queue.is_empty() && self.running.len() < self.workers {
            upd(self.ready_at);
        }
        t
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Nothing queued, waiting or running.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.waiting.is_empty() && self.running.is_empty()
    }

    pub fn is_processing(&self, key: &K) -> bool {
        self.processing.contains(key)
    }

    pub fn is_waiting(&self, key: &K) -> Option<Nanos> {
        self.waiting.get(key).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn q(workers: usize) -> WorkQueue<&'static str> {
        WorkQueue::new(workers, RateLimit::ENDPOINTSLICE, 0)
    }

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(1)
    }

    #[test]
    fn add_dedupes_while_dirty() {
        let mut w = q(1);
        w.add("a", 0);
        w.add("a", 0);
        w.add("b", 0);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn add_while_processing_requeues_at_done() {
        let mut w = q(1);
        w.add("a", 0);
        w.start_workers(0, &DurationDist::fixed(10), &mut rng());
        assert!(w.is_processing(&"a"));
        w.add("a", 5);
        assert_eq!(w.len(), 0, "processing key is only marked dirty");
        assert_eq!(w.pop_finished(9), None);
        assert_eq!(w.pop_finished(10), Some((10, "a")));
        w.done(&"a", 10);
        assert_eq!(w.len(), 1, "dirty key re-queued at Done");
        w.done(&"a", 10);
    }

    #[test]
    fn done_without_add_does_not_requeue() {
        let mut w = q(1);
        w.add("a", 0);
        w.start_workers(0, &DurationDist::ZERO, &mut rng());
        let (_, k) = w.pop_finished(0).unwrap();
        w.done(&k, 0);
        assert!(w.is_idle());
    }

    #[test]
    fn add_after_only_moves_earlier() {
        let mut w = q(1);
        w.add_after("a", 100, 0);
        w.add_after("a", 200, 0);
        assert_eq!(w.is_waiting(&"a"), Some(100));
        w.add_after("a", 50, 0);
        assert_eq!(w.is_waiting(&"a"), Some(50));
        assert_eq!(w.next_event(), Some(50));
        w.release_waiting(49);
        assert!(w.is_empty());
        w.release_waiting(50);
        assert_eq!(w.len(), 1);
        assert_eq!(w.is_waiting(&"a"), None);
    }

    #[test]
    fn waiting_independent_of_dirty() {
        let mut w = q(1);
        w.add_after("a", 100, 0);
        w.add("a", 0);
        assert_eq!(w.len(), 1);
        assert_eq!(w.is_waiting(&"a"), Some(100), "queued key still waits");
        w.start_workers(0, &DurationDist::ZERO, &mut rng());
        let (_, k) = w.pop_finished(0).unwrap();
        w.done(&k, 0);
        w.release_waiting(100);
        assert_eq!(w.len(), 1, "waiting entry added again when due");
    }

    #[test]
    fn add_after_zero_is_add() {
        let mut w = q(1);
        w.add_after("a", 0, 7);
        assert_eq!(w.len(), 1);
        assert_eq!(w.is_waiting(&"a"), None);
    }

    /// The shared bucket (10 qps, burst 100, starts full): 100 retries of distinct keys at one
    /// instant pass with the item delay (5 ms for the EPC); the 101st waits one token interval
    /// (100 ms), the 102nd two; after 10 s of quiet the bucket is full again.
    #[test]
    fn bucket_limits_bursts_of_retries() {
        let mut w: WorkQueue<u32> = WorkQueue::new(1, RateLimit::ENDPOINTS, 0);
        for k in 0..100 {
            assert_eq!(w.add_rate_limited(k, 1_000), 5_000_000, "key {k}");
        }
        assert_eq!(w.add_rate_limited(100, 1_000), 100_000_000);
        assert_eq!(w.add_rate_limited(101, 1_000), 200_000_000);
        let later = 1_000 + 10_300_000_000;
        for k in 200..300 {
            assert_eq!(
                w.add_rate_limited(k, later),
                5_000_000,
                "key {k} after refill"
            );
        }
        assert_eq!(w.add_rate_limited(300, later), 100_000_000);
    }

    #[test]
    fn rate_limited_backoff_and_forget() {
        let mut w = q(1);
        assert_eq!(w.add_rate_limited("a", 0), 1_000_000_000);
        assert_eq!(w.add_rate_limited("a", 0), 2_000_000_000);
        assert_eq!(
            w.is_waiting(&"a"),
            Some(1_000_000_000),
            "waiting keeps earlier"
        );
        assert_eq!(w.num_requeues(&"a"), 2);
        assert_eq!(w.add_rate_limited("a", 0), 4_000_000_000);
        w.forget(&"a");
        assert_eq!(w.num_requeues(&"a"), 0);
        assert_eq!(RateLimit::ENDPOINTSLICE.delay(9), 512_000_000_000);
        assert_eq!(RateLimit::ENDPOINTSLICE.delay(10), 1_000_000_000_000);
        assert_eq!(RateLimit::ENDPOINTSLICE.delay(200), 1_000_000_000_000);
        assert_eq!(RateLimit::ENDPOINTS.delay(0), 5_000_000);
        assert_eq!(RateLimit::ENDPOINTS.delay(3), 40_000_000);
        assert_eq!(RateLimit::MIRRORING.delay(6), 64_000_000_000);
        assert_eq!(RateLimit::MIRRORING.delay(7), 100_000_000_000);
    }

    #[test]
    fn workers_limit_concurrency_and_durations() {
        let mut w = q(2);
        for k in ["a", "b", "c"] {
            w.add(k, 0);
        }
        w.start_workers(0, &DurationDist::fixed(10), &mut rng());
        assert_eq!(w.len(), 1, "two workers busy, one key left");
        assert_eq!(w.next_event(), Some(10));
        assert_eq!(w.pop_finished(10), Some((10, "a")));
        w.done(&"a", 10);
        w.start_workers(10, &DurationDist::fixed(10), &mut rng());
        assert_eq!(w.pop_finished(10), Some((10, "b")));
        assert_eq!(w.pop_finished(10), None);
        assert_eq!(w.next_event(), Some(20));
    }

    #[test]
    fn pickup_delay() {
        let mut w: WorkQueue<&str> = WorkQueue::new(1, RateLimit::ENDPOINTS, 1);
        w.add("a", 5);
        assert_eq!(w.next_event(), Some(6));
        w.start_workers(5, &DurationDist::ZERO, &mut rng());
        assert_eq!(w.len(), 1);
        w.start_workers(6, &DurationDist::ZERO, &mut rng());
        assert!(w.is_empty());
    }
}
