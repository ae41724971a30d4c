//! Thin binary: all logic lives in the library (`slicesim::cli`).
/// mimalloc: the simulator allocates and frees many small objects per event (malloc/free were
/// ~40 % of profile samples with the system allocator); allocation never reaches an output.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(slicesim::cli::main());
}
