//! Command-line front-end. Thin by design: each subcommand lives in its own file
//! with its `Args` and a `run()` that calls the library; no simulation logic here.

use clap::{Parser, Subcommand};

pub mod bench;
pub mod chart;
pub mod import;
pub mod merge;
pub mod mirror;
pub mod plan;
pub mod reconcile;
pub mod run;
pub mod scenarios;
pub mod sweep;
pub mod validate;
pub mod wire_size;

/// Deterministic simulator of Kubernetes endpoint publication
/// (EndpointSlices vs Endpoints).
#[derive(Debug, Parser)]
#[command(
    name = "slicesim",
    version,
    about,
    after_help = "Examples:\n  slicesim run scenarios/quickstart.toml\n  slicesim run scenarios/quickstart.toml --seed 7 --set workloads[0].replicas=50\n  slicesim validate scenarios/*.toml\n  slicesim scenarios\n  slicesim plan scenarios/plan-example.toml --out results/plan\n  slicesim reconcile trace.jsonl --max-endpoints-per-slice 100\n  slicesim mirror mirror-trace.jsonl\n  slicesim wire-size objects.jsonl\n  slicesim chart results/quickstart --format png"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario and write results.
    #[command(
        after_help = "Examples:\n  slicesim run scenarios/quickstart.toml\n  slicesim run scenarios/quickstart.toml --seed 7 --set workloads[0].replicas=50 --out results/qs-50\n  slicesim run scenarios/node-failure.toml --chart-format png\n  slicesim run scenarios/dual-stack.toml --event-log results/dual-stack-events.txt"
    )]
    Run(run::Args),
    /// Check scenario files without running them.
    #[command(
        after_help = "Examples:\n  slicesim validate scenarios/*.toml\n  slicesim validate scenarios/quickstart.toml --set controllers.endpointslice.max_endpoints_per_slice=50\n  slicesim validate scenarios/quickstart.toml --dump"
    )]
    Validate(validate::Args),
    /// List the bundled scenarios with a one-line description.
    #[command(
        after_help = "Examples:\n  slicesim scenarios\n  slicesim scenarios --dir my-scenarios/"
    )]
    Scenarios(scenarios::Args),
    /// Conformance: replay a reconcile trace through the EndpointSlice and Endpoints controllers.
    #[command(
        after_help = "Examples:\n  slicesim reconcile tests/data/conformance/traces/churn-30x40.input.jsonl --max-endpoints-per-slice 8\n  slicesim reconcile tests/data/conformance/traces/hints-balanced-60.input.jsonl --max-endpoints-per-slice 20 --hints --seeds 0..299\n  slicesim reconcile tests/data/conformance/traces/churn-30x40.input.jsonl --compare tests/data/conformance/distributions/churn-30x40.json"
    )]
    Reconcile(reconcile::Args),
    /// Conformance: replay a trace through the EndpointSlice mirroring controller.
    #[command(
        after_help = "Examples:\n  slicesim mirror tests/data/conformance/mirroring/mirror-basic-subsets.input.jsonl\n  slicesim mirror tests/data/conformance/mirroring/mirror-capacity-1500.input.jsonl --max-endpoints-per-subset 1000"
    )]
    Mirror(mirror::Args),
    /// Print exact JSON / protobuf / watch-event sizes of Kubernetes objects.
    WireSize(wire_size::Args),
    /// Run a parameter sweep (grid of overrides × seeds), resumable and shardable.
    #[command(
        after_help = "Examples:\n  slicesim sweep scenarios/slice-size-sweep.toml -j 2\n  slicesim sweep scenarios/slice-size-sweep.toml --shard 0/4 --out results/sweep-shard-0"
    )]
    Sweep(sweep::Args),
    /// Combine `sweep --shard` outputs into one sweep.csv.
    #[command(
        after_help = "Examples:\n  slicesim merge results/sweep-shard-* --out results/sweep"
    )]
    Merge(merge::Args),
    /// Draw the charts of a run or sweep output directory (SVG or PNG) into DIR/charts/.
    #[command(
        after_help = "Examples:\n  slicesim chart results/quickstart\n  slicesim chart results/quickstart --format png"
    )]
    Chart(chart::Args),
    /// Capacity-planning report (report.md): egress, limits, slice size, batch period,
    /// largest rolling update within the `[plan]` budgets.
    #[command(
        after_help = "Examples:\n  slicesim plan scenarios/plan-example.toml --out results/plan\n  slicesim plan scenarios/plan-example.toml --set 'plan.batch_periods=[\"0s\",\"1s\"]' -j 2"
    )]
    Plan(plan::Args),
    /// Time a fixed set of workloads (per-sync reconcile cost, wire encoding, whole runs).
    Bench(bench::Args),
    /// A scenario from a real cluster's kubectl JSON (snapshot files, dump folders), and
    /// what its endpoint publishing costs (--report).
    Import(import::Args),
}

/// Parse the process arguments, run the subcommand and return the exit code:
/// 0 success, 2 bad input (an [`crate::error::InputError`] anywhere in the chain), 1 otherwise.
pub fn main() -> i32 {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Scenarios(a) => scenarios::run(a),
        Command::Reconcile(a) => reconcile::run(a),
        Command::Mirror(a) => mirror::run(a),
        Command::WireSize(a) => wire_size::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Chart(a) => chart::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Import(a) => import::run(a),
    };
    match result {
        Ok(()) => 0,
        Err(err) => report_error(&err),
    }
}

/// Output into a closed pipe (`slicesim scenarios | head -1`) ends the process quietly with
/// exit 0, like a filter killed by SIGPIPE but without a signal: Rust ignores SIGPIPE, so the
/// write fails with `BrokenPipe`, which `println!` turns into a panic (caught here by the
/// hook) and `write!` into an error (caught in [`report_error`]). Whatever the command had to
/// write to files is already written, atomically, by then.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") || msg.contains("os error 32") {
            std::process::exit(0);
        }
        default(info)
    }));
}

/// Is `err` (anywhere in its chain) a write into a closed pipe?
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<csv::Error>().is_some_and(|c| {
                matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

fn report_error(err: &anyhow::Error) -> i32 {
    if is_broken_pipe(err) {
        return 0;
    }
    let is_input = err
        .chain()
        .any(|e| e.downcast_ref::<crate::error::InputError>().is_some());
    eprintln!("error: {err:#}");
    if is_input {
        2
    } else {
        1
    }
}
