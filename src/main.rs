//! Thin binary: all logic lives in the library (`slicesim::cli`).
/// mimalloc: the simulator allocates and frees many small objects per event (malloc/free were
/// ~40 % of profile samples with the system allocator); allocation never reaches an output.
#[cfg(not(feature = "alloc-stats"))]
#[global_allocator]
static GLOBAL: slicesim::sim::allocator::Mimalloc = slicesim::sim::allocator::Mimalloc;

/// `--features alloc-stats`: the same allocator, counting live bytes (`slicesim::sim::alloc_stats`).
#[cfg(feature = "alloc-stats")]
#[global_allocator]
static GLOBAL: slicesim::sim::alloc_stats::Counting<slicesim::sim::allocator::Mimalloc> =
    slicesim::sim::alloc_stats::Counting(slicesim::sim::allocator::Mimalloc);

fn main() {
    slicesim::sim::allocator::keep_freed_memory();
    slicesim::sim::allocator::watch_huge_pages();
    std::process::exit(slicesim::cli::main());
}
