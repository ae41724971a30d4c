//! The exporters: pure functions from a finished run's [`RunResults`] to the bytes of one
//! output file each (README "Output files"). Nothing here touches the file system or the
//! simulator; [`crate::run`] writes the bytes (atomically, `run.json` last).
//!
//! Every file is built from the same results — the watch hub's traffic report, the
//! controller manager's stats and sync rows, and the run's tracker — so the files agree with
//! each other: the summary's `watch_events` is the sum of the timeseries rows, its
//! `bytes_out_total` the sum of per-second `bytes_out`, the node rows sum to what the per-node
//! watchers received. Numbers: integers print as integers, other values with Rust's shortest
//! round-trip `{}` formatting ([`fmt_f64`]).
//!
//! | file | exporter |
//! |---|---|
//! | `workloads.csv` | [`timeseries`] (the world's per-second workload rows) |
//! | `summary.csv` | [`summary`] |
//! | `services.csv` | [`services`] |
//! | `timeseries.csv` | [`series`] |
//! | `syncs.csv` | [`syncs`] |
//! | `node_ingress.csv`, `latency_cdf.csv`, `slice_fill.csv`, `events.csv` | [`tables`] |
//! | `metrics.prom` | [`metrics`] |
//! | the terminal table | [`terminal`] |
//! | `run.json` | [`manifest`] (built by `run` from the other files' bytes) |

pub mod manifest;
pub mod metrics;
pub mod output;
pub mod series;
pub mod services;
pub mod summary;
pub mod syncs;
pub mod tables;
pub mod terminal;
pub mod timeseries;

#[cfg(test)]
mod tests;

use crate::apiserver::watch::TrafficReport;
use crate::controllers::manager::{ManagerStats, SyncRow};
use crate::run::track::{Tracker, MODES};
use crate::run::RunResults;
use crate::scenario::{Scenario, NS_PER_SEC};

/// One output file: its name and the function that makes its bytes.
pub struct Export {
    pub file: &'static str,
    pub bytes: fn(&RunResults) -> anyhow::Result<Vec<u8>>,
    /// Only a run with the endpoint controllers has this file.
    pub controllers_only: bool,
}

/// Every output file of `slicesim run` besides `run.json` and the charts, in write order.
pub const EXPORTS: [Export; 10] = [
    Export {
        file: timeseries::FILE,
        bytes: timeseries::csv,
        controllers_only: false,
    },
    Export {
        file: "summary.csv",
        bytes: summary::csv,
        controllers_only: false,
    },
    Export {
        file: "services.csv",
        bytes: services::csv,
        controllers_only: true,
    },
    Export {
        file: "timeseries.csv",
        bytes: series::csv,
        controllers_only: true,
    },
    Export {
        file: "syncs.csv",
        bytes: syncs::csv,
        controllers_only: true,
    },
    Export {
        file: "node_ingress.csv",
        bytes: tables::node_ingress_csv,
        controllers_only: true,
    },
    Export {
        file: "latency_cdf.csv",
        bytes: tables::latency_cdf_csv,
        controllers_only: true,
    },
    Export {
        file: "slice_fill.csv",
        bytes: tables::slice_fill_csv,
        controllers_only: true,
    },
    Export {
        file: "events.csv",
        bytes: tables::events_csv,
        controllers_only: true,
    },
    Export {
        file: "metrics.prom",
        bytes: metrics::prom,
        controllers_only: true,
    },
];

/// The exports that apply to `r` (a run without controllers has only the world's files).
pub fn exports(r: &RunResults) -> impl Iterator<Item = &'static Export> {
    let controllers = r.controllers.is_some();
    EXPORTS
        .iter()
        .filter(move |e| controllers || !e.controllers_only)
}

/// The controller side of a run's results, as the exporters read them.
pub struct Inputs<'a> {
    pub scenario: &'a Scenario,
    pub traffic: &'a TrafficReport,
    pub stats: &'a ManagerStats,
    pub syncs: &'a [SyncRow],
    /// Request bytes of each row of `syncs` (same order).
    pub sync_bytes: &'a [u64],
    pub tracker: &'a Tracker,
    /// The hub's per-node stream per mode at the end ([`crate::apiserver::watch::WatchHub::node_stream`]).
    pub node_streams: [(u64, u64); 2],
    /// Whether a mode has per-node (kube-proxy) watchers.
    pub per_node: [bool; 2],
}

impl<'a> Inputs<'a> {
    /// The view of `r`, or `None` for a run without controllers.
    pub fn of(r: &'a RunResults) -> Option<Inputs<'a>> {
        let c = r.controllers.as_ref()?;
        Some(Inputs {
            scenario: &r.scenario,
            traffic: &c.traffic,
            stats: &c.stats,
            syncs: &c.syncs,
            sync_bytes: &c.sync_bytes,
            tracker: &c.tracker,
            node_streams: c.node_streams,
            per_node: c.per_node,
        })
    }

    /// [`Inputs::of`] for a file only a run with controllers has.
    pub fn need(r: &'a RunResults) -> anyhow::Result<Inputs<'a>> {
        Inputs::of(r).ok_or_else(|| anyhow::anyhow!("a run without controllers has no such file"))
    }
}

pub use crate::metrics::fmt_f64;

/// `endpointslices` or `endpoints`: the name of mode `m` of [`MODES`].
pub fn mode_name(m: usize) -> &'static str {
    crate::apiserver::watch::mode_name(MODES[m])
}

/// The bytes of a CSV file: `header`, then `rows`.
pub fn csv_bytes(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(&r)?;
    }
    Ok(w.into_inner()?)
}

/// Exact decimal seconds as the contract prints them.
pub fn time_s(ns: u64) -> String {
    fmt_f64(ns as f64 / NS_PER_SEC as f64)
}
