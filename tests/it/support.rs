//! Helpers shared by the integration test modules.

use std::process::Command;

/// The `slicesim` binary built for this test run.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slicesim"))
}

/// The kinds of event-log lines the controllers and the watch side write (every other kind
/// is a world event).
pub const SUBSCRIBER_KINDS: [&str; 5] = [
    "informer-delivery",
    "topology-update",
    "controller-sync",
    "api-write",
    "watch-delivery",
];

/// One line of a `--trace-events` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub time_ns: u64,
    /// `None` for `-` (set-up, the end of the run).
    pub seq: Option<u64>,
    pub kind: String,
    pub details: String,
}

/// Parse a `--trace-events` file (`<s.nnnnnnnnn> <seq|-> <kind> <details>` per line).
pub fn event_log(text: &str) -> Vec<LogLine> {
    text.lines()
        .map(|l| {
            let mut it = l.splitn(4, ' ');
            let (s, ns) = it.next().unwrap().split_once('.').unwrap();
            let time_ns = s.parse::<u64>().unwrap() * 1_000_000_000 + ns.parse::<u64>().unwrap();
            let seq = match it.next().unwrap() {
                "-" => None,
                q => Some(q.parse().unwrap()),
            };
            LogLine {
                time_ns,
                seq,
                kind: it.next().unwrap().to_string(),
                details: it.next().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// A bundled scenario file: `scenarios/NAME` (give the `.toml`).
pub fn bundled(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
}

/// A scenario from TOML text with `--set` overrides; a bad one fails the test with its
/// diagnostics and the text.
pub fn scenario(src: &str, sets: &[&str]) -> slicesim::scenario::Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    slicesim::scenario::parse_str(src, "t.toml", &sets).unwrap_or_else(|e| panic!("{e:#}\n{src}"))
}

/// The controller manager after a whole run of `sc` (no watch side), and the world at the end.
pub fn run_controllers(
    sc: slicesim::scenario::Scenario,
) -> (
    slicesim::controllers::manager::ControllerManager<'static>,
    slicesim::cluster::World,
) {
    use slicesim::controllers::manager::{ControllerManager, ManagerOptions};
    let mut mgr = ControllerManager::new(&sc, &ManagerOptions::default());
    let mut world =
        slicesim::cluster::World::new(sc, slicesim::cluster::WorldOptions::default()).unwrap();
    slicesim::run::dispatch::run_to_end(&mut world, &mut mgr).unwrap();
    (mgr, world)
}
