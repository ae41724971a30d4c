//! Live-byte accounting for memory measurements (cargo feature `alloc-stats`).
//!
//! Heap profilers that interpose `malloc` (heaptrack, massif) do not see mimalloc, the
//! binary's allocator. With `--features alloc-stats` the binary wraps it in [`Counting`],
//! which keeps the bytes live and their peak; the run then prints them per simulated phase
//! and, with `SLICESIM_MEM_CENSUS=1`, a census at the end of the run: each part of the run's
//! state is dropped in turn and the bytes its drop freed are reported (what it alone holds;
//! an `Rc` shared by several parts counts for the last one dropped). A census ends the
//! process after printing. Nothing here reaches an output file.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// A global allocator that counts the bytes `A` hands out and gets back.
pub struct Counting<A>(pub A);

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `A` unchanged; only counters are updated beside it.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc_zeroed(layout);
        if !p.is_null() {
            INSTALLED.store(true, Ordering::Relaxed);
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.0.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.0.realloc(ptr, layout, new_size);
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

/// Bytes live now, if the counting allocator is the global one.
pub fn live() -> Option<usize> {
    INSTALLED
        .load(Ordering::Relaxed)
        .then(|| LIVE.load(Ordering::Relaxed))
}

/// The most bytes live at once so far.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// `n` bytes in MB (10^6), one decimal.
pub fn mb(n: usize) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

/// Is a census asked for (`SLICESIM_MEM_CENSUS` set and the allocator counting)?
pub fn census_wanted() -> bool {
    live().is_some() && std::env::var_os("SLICESIM_MEM_CENSUS").is_some()
}

/// The bytes freed by dropping each part of a state in turn (see module docs).
#[derive(Debug, Default)]
pub struct Census {
    rows: Vec<(String, usize)>,
}

impl Census {
    /// Drop `part`, recording the bytes that freed under `name`.
    pub fn drop_part<T>(&mut self, name: &str, part: T) {
        let before = live().unwrap_or(0);
        drop(part);
        let after = live().unwrap_or(0);
        self.rows
            .push((name.to_string(), before.saturating_sub(after)));
    }

    /// The rows so far, one per line, with the live total before the census.
    pub fn report(&self, title: &str, live_before: usize) -> String {
        let mut out = format!(
            "alloc-stats census ({title}): live {} (peak {})\n",
            mb(live_before),
            mb(peak())
        );
        let mut sum = 0;
        for (name, n) in &self.rows {
            sum += n;
            out.push_str(&format!("  {name:<40} {:>12}\n", mb(*n)));
        }
        out.push_str(&format!(
            "  {:<40} {:>12}\n",
            "(not freed by the parts above)",
            mb(live_before.saturating_sub(sum))
        ));
        out
    }
}
