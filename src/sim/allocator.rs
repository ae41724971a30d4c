//! The `slicesim` binary's allocator ([`Mimalloc`], see `src/main.rs`) and its settings.
//!
//! A run builds its world once and then churns: pods, slices and watch frames are freed and
//! allocated all the time. mimalloc by default hands pages that stay free for a while back to
//! the OS (`purge_delay`), and the next allocation faults them in again and the kernel zeroes
//! them: on the scale envelope that was 1–2.5 s of system time per run for no gain, since the
//! process ends soon after and its peak is what it is. Keeping freed pages lowers system time
//! without moving the peak RSS. Allocation never reaches an output, so this is pure speed.
//!
//! `Cargo.toml` selects mimalloc v2 (the `v2` feature) rather than the crate's default v3: on the
//! scale envelope v2 took about 0.87x the CPU and 28 MiB less peak RSS in alternating pairs
//! (BENCHMARKS.md, "Allocator: mimalloc v2"); its segment allocator suits a heap that is built
//! once and then churns in place.
//!
//! Huge pages: mimalloc asks for transparent huge pages (THP, `madvise`) on its segments, which
//! saves TLB misses over a heap of hundreds of MiB (4 KiB pages cost the scale envelope 2–3 s
//! more user time in some measurements, none beyond the run-to-run spread in others). On some virtual machines, though, the first touch of each 2 MiB page
//! is slow (the host backs guest memory lazily: ~20 ms per page instead of ~0.1 ms), and an
//! 850 MiB heap then costs 7–9 s of system time. [`watch_huge_pages`] turns THP off for the
//! process when the heap's growth shows that (`SLICESIM_HUGE_PAGES=on|off|auto` overrides). BENCHMARKS.md, "Huge pages", has the figures.

// mimalloc's C library is linked through the `mimalloc` crate (used below).

use std::alloc::{GlobalAlloc, Layout};
use std::os::raw::{c_int, c_long, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
    fn mi_malloc(size: usize) -> *mut c_void;
    fn mi_zalloc(size: usize) -> *mut c_void;
    fn mi_realloc(p: *mut c_void, newsize: usize) -> *mut c_void;
}

/// The binary's global allocator: mimalloc, entered through its plain `mi_malloc` when the
/// alignment asked is one every block of that size has anyway.
///
/// `mimalloc::MiMalloc` passes every request to `mi_malloc_aligned`, whose fast path is a
/// call more and an alignment test on top of `mi_malloc`'s (2.2 % of the scale envelope's
/// instructions went to `mi_heap_malloc_aligned_at`, 0.6 % more to `mi_malloc_aligned`). Every mimalloc block is a multiple of a
/// machine word in size, carved from a word-aligned page start, so any alignment up to 8 is
/// met by `mi_malloc` (16 is not: the 24- and 40-byte size classes sit 8 bytes off every
/// other block). Anything else still goes to `MiMalloc`'s aligned calls; every block is freed
/// by `mi_free` either way.
pub struct Mimalloc;

/// The alignment every mimalloc block has (`MI_INTPTR_SIZE` on 64-bit targets: blocks are
/// whole words).
const MI_WORD: usize = std::mem::size_of::<usize>();

impl Mimalloc {
    #[inline]
    /// `mi_malloc` meets the layout's alignment whatever its size.
    fn plain(layout: Layout) -> bool {
        layout.align() <= MI_WORD
    }
}

// SAFETY: every block comes from mimalloc (`mi_malloc`/`mi_zalloc`/`mi_realloc` or
// `MiMalloc`'s aligned calls) and is released by `mi_free` (`MiMalloc::dealloc`), which takes
// blocks of either kind; the plain calls are used only where their blocks meet the layout's
// alignment (see the type's docs).
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if Self::plain(layout) {
            mi_malloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc(layout)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if Self::plain(layout) {
            mi_zalloc(layout.size()).cast()
        } else {
            mimalloc::MiMalloc.alloc_zeroed(layout)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The new block keeps the layout's alignment.
        if Self::plain(layout) {
            mi_realloc(ptr.cast(), new_size).cast()
        } else {
            mimalloc::MiMalloc.realloc(ptr, layout, new_size)
        }
    }
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (include/mimalloc.h of the version
/// `libmimalloc-sys` bundles; the test below checks the index against the documented default).
const MI_OPTION_PURGE_DELAY: c_int = 15;

/// Never return freed pages to the OS (mimalloc's `purge_delay = -1`).
pub fn keep_freed_memory() {
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table; any option index
    // below `_mi_option_last` is valid and 15 is checked by the test below.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The current purge delay in milliseconds (-1: never).
// `c_long` is `i64` on Linux but `i32` on some targets: the conversion is not useless there.
#[allow(clippy::useless_conversion)]
pub fn purge_delay() -> i64 {
    // SAFETY: reads an integer from mimalloc's option table (index checked by the test below).
    i64::from(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) })
}

/// This process's resource use so far, from `getrusage` (also `slicesim bench`'s CPU seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub user_ns: u64,
    pub sys_ns: u64,
    /// Peak resident set, KiB (monotone).
    pub max_rss_kib: u64,
}

/// See [`Usage`]; None if the call failed.
pub fn process_usage() -> Option<Usage> {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a `struct rusage` into the pointer, a zeroed local of this frame.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: getrusage returned 0, so the struct is initialised (it was zeroed anyway).
    let ru = unsafe { ru.assume_init() };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    Some(Usage {
        user_ns: ns(ru.ru_utime),
        sys_ns: ns(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss as u64,
    })
}

/// Resident growth a verdict needs (8 huge pages): enough to average out the other system
/// work of the same interval (file reads, mmap calls).
const WINDOW_KIB: u64 = 16 * 1024;

/// System time per MiB of new resident memory above which 4 KiB pages are cheaper: 4 KiB
/// pages cost the scale envelope up to ~3 s more user time (TLB misses over ~850 MiB), i.e.
/// up to ~3.5 ms per MiB of heap; a normal huge-page first touch costs ~0.1 ms per MiB, the slow kind
/// ~10 ms.
const SLOW_NS_PER_MIB: u64 = 4_000_000;

/// Resident size (KiB) at which THP was turned off, 0 while it is on.
static DISABLED_AT_KIB: AtomicU64 = AtomicU64::new(0);
/// System time per MiB (ns) of the window that decided, 0 before.
static DECIDING_RATE: AtomicU64 = AtomicU64::new(0);

/// Apply `SLICESIM_HUGE_PAGES` (`on`, `off`, default `auto`). For `auto`, a background
/// thread compares the process's system time with its resident growth every 50 ms and turns
/// THP off once a window of [`WINDOW_KIB`] costs more than [`SLOW_NS_PER_MIB`]. A first
/// touch cannot be judged at start: memory another process has just freed is still backed by
/// the host and fast, the rest of the heap not. Only speed depends on this: allocation never
/// reaches an output.
pub fn watch_huge_pages() {
    match std::env::var("SLICESIM_HUGE_PAGES").as_deref() {
        Ok("on") => {}
        Ok("off") => {
            if disable_huge_pages() {
                DISABLED_AT_KIB.store(1, Ordering::Relaxed);
            }
        }
        _ => {
            #[cfg(target_os = "linux")]
            {
                let _ = std::thread::Builder::new()
                    .name("huge-pages".into())
                    .spawn(watch);
            }
        }
    }
}

/// What one sample says about the window that began at `from`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Window {
    /// Not enough growth yet to judge: keep the window open.
    Open,
    /// Huge pages were cheap in it: start a new window here.
    Cheap,
    /// Slow first touches: system ns per MiB of growth.
    Slow(u64),
}

fn judge(from: &Usage, now: &Usage) -> Window {
    let grown_kib = now.max_rss_kib.saturating_sub(from.max_rss_kib);
    if grown_kib < WINDOW_KIB {
        return Window::Open;
    }
    let rate = now.sys_ns.saturating_sub(from.sys_ns) * 1024 / grown_kib;
    if rate > SLOW_NS_PER_MIB {
        Window::Slow(rate)
    } else {
        Window::Cheap
    }
}

#[cfg(target_os = "linux")]
fn watch() {
    let Some(mut from) = process_usage() else {
        return;
    };
    loop {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let Some(now) = process_usage() else {
            return;
        };
        match judge(&from, &now) {
            Window::Open => {}
            Window::Cheap => from = now,
            Window::Slow(rate) => {
                if disable_huge_pages() {
                    DECIDING_RATE.store(rate, Ordering::Relaxed);
                    DISABLED_AT_KIB.store(now.max_rss_kib.max(1), Ordering::Relaxed);
                }
                return;
            }
        }
    }
}

/// Where THP was turned off: `Some((resident KiB then, system ns per MiB that decided))`
/// (rate 0 when `SLICESIM_HUGE_PAGES=off` asked), None while it is on.
pub fn huge_pages_off_since() -> Option<(u64, u64)> {
    match DISABLED_AT_KIB.load(Ordering::Relaxed) {
        0 => None,
        at => Some((at, DECIDING_RATE.load(Ordering::Relaxed))),
    }
}

/// Turn THP off for this process from now on (the kernel reads the flag at later page
/// faults); false if the kernel refused (or not Linux).
fn disable_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and sets a flag on this
        // process's memory map.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size class up to a few pages and every alignment up to 4 KiB: the block meets
    /// the layout's alignment (plain or aligned call), zeroed blocks are zero, a reallocation
    /// keeps the contents and the alignment, and the blocks free.
    #[test]
    fn blocks_meet_their_alignment() {
        let sizes = (1..=200).chain([255, 256, 1000, 1024, 4096, 65536, 1 << 20]);
        for size in sizes {
            for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero sizes; every block is written within its size and freed
                // once with the layout it was made (or last reallocated) with.
                unsafe {
                    let p = Mimalloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xa5, size);
                    let z = Mimalloc.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed: size {size} align {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    Mimalloc.dealloc(z, layout);
                    let grown = size * 3 + 5;
                    let q = Mimalloc.realloc(p, layout, grown);
                    assert_eq!(q as usize % align, 0, "realloc: size {size} align {align}");
                    assert!(std::slice::from_raw_parts(q, size)
                        .iter()
                        .all(|&b| b == 0xa5));
                    Mimalloc.dealloc(q, Layout::from_size_align(grown, align).unwrap());
                }
            }
        }
    }

    /// The index is the purge delay: mimalloc v3 documents its default as 1000 ms (v2: 10 ms),
    /// and the setter takes effect. A bundled mimalloc that renumbered its options fails here.
    #[test]
    fn purge_delay_index_is_the_purge_delay() {
        let before = purge_delay();
        assert!(before == 1000 || before == 10, "option 15 is {before}");
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }

    /// The sampler reads this process's figures: a resident set, and CPU time that only grows.
    #[test]
    fn usage_samples_are_monotone() {
        let u0 = process_usage().expect("getrusage");
        let v: Vec<u8> = vec![1; 8 << 20];
        let u1 = process_usage().expect("getrusage");
        assert!(v.iter().map(|&b| b as u64).sum::<u64>() == 8 << 20);
        assert!(u0.max_rss_kib > 0 && u1.max_rss_kib >= u0.max_rss_kib);
        assert!(u1.sys_ns >= u0.sys_ns && u1.user_ns >= u0.user_ns);
    }

    /// A window needs 16 MiB of growth; then it is slow above 4 ms of system time per MiB.
    #[test]
    fn windows_judge_system_time_per_mib_of_growth() {
        let at = |sys_ms: u64, rss_mib: u64| Usage {
            user_ns: 0,
            sys_ns: sys_ms * 1_000_000,
            max_rss_kib: rss_mib * 1024,
        };
        let from = at(100, 30);
        // Lots of system time but little growth (file writes at the end of a run): no verdict.
        assert_eq!(judge(&from, &at(900, 45)), Window::Open);
        // Normal huge pages: ~0.1 ms per MiB.
        assert_eq!(judge(&from, &at(102, 62)), Window::Cheap);
        // The slow host: ~10 ms per MiB.
        assert_eq!(judge(&from, &at(420, 62)), Window::Slow(10_000_000));
        // The threshold itself is still cheap.
        assert_eq!(judge(&from, &at(164, 46)), Window::Cheap);
    }
}
