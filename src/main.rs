//! Thin binary: all logic lives in the library (`slicesim::cli`).
fn main() {
    std::process::exit(slicesim::cli::main());
}
