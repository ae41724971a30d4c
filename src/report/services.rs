//! `services.csv`: per Service and mode, writes by verb, rejected writes, syncs and objects.

use std::collections::BTreeSet;

use super::summary::mode_syncs;
use super::{csv_bytes, mode_name, Inputs};
use crate::run::track::ServiceLive;
use crate::run::RunResults;

/// The columns of `services.csv` (tests compare against it; readers find columns by name).
pub const HEADER: [&str; 9] = [
    "service",
    "mode",
    "creates",
    "updates",
    "deletes",
    "rejected",
    "syncs",
    "objects_alive",
    "objects_max",
];

/// `services.csv` rows: (service key, mode, live counters, syncs), services by
/// namespace then name, `endpointslices` first.
pub fn services_rows(inp: &Inputs<'_>) -> Vec<(String, usize, ServiceLive, u64)> {
    let mut keys: BTreeSet<(String, String)> = inp
        .stats
        .iter()
        .map(|(k, _)| match k.split_once('/') {
            Some((a, b)) => (a.to_string(), b.to_string()),
            None => (String::new(), k.to_string()),
        })
        .collect();
    for m in &inp.tracker.modes {
        keys.extend(m.services.keys().cloned());
    }
    let mut out = Vec::new();
    for k in keys {
        let name = format!("{}/{}", k.0, k.1);
        let st = inp.stats.get(&name).cloned().unwrap_or_default();
        for m in 0..2 {
            let live = inp.tracker.modes[m]
                .services
                .get(&k)
                .copied()
                .unwrap_or_default();
            let syncs: u64 = mode_syncs(&st, m).iter().sum();
            out.push((name.clone(), m, live, syncs));
        }
    }
    out
}

/// The bytes of `services.csv`.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let rows = services_rows(&inp).into_iter().map(|(svc, m, l, syncs)| {
        vec![
            svc,
            mode_name(m).to_string(),
            l.creates.to_string(),
            l.updates.to_string(),
            l.deletes.to_string(),
            l.rejected.to_string(),
            syncs.to_string(),
            l.alive.to_string(),
            l.max.to_string(),
        ]
    });
    csv_bytes(&HEADER, rows)
}
