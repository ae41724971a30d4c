//! Allocator settings for the `slicesim` binary (mimalloc, see `src/main.rs`).
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

// Link mimalloc's C library into every binary that calls this (the test harness included).
extern crate mimalloc as _;

use std::os::raw::{c_int, c_long};

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    fn mi_option_get(option: c_int) -> c_long;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The index is the purge delay: mimalloc v3 documents its default as 1000 ms (v2: 10 ms),
    /// and the setter takes effect. A bundled mimalloc that renumbered its options fails here.
    #[test]
    fn purge_delay_index_is_the_purge_delay() {
        let before = purge_delay();
        assert!(before == 1000 || before == 10, "option 15 is {before}");
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
