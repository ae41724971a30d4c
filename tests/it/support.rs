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
