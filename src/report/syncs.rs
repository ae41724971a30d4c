//! `syncs.csv`: one row per controller sync, with the request bytes it wrote.

use super::{csv_bytes, Inputs};
use crate::run::RunResults;

/// `syncs.csv` header (contract: today's columns with `bytes_written` before `result`).
pub const SYNCS_HEADER: [&str; 10] = [
    "time_s",
    "controller",
    "service",
    "creates",
    "updates",
    "deletes",
    "endpoints_added",
    "endpoints_removed",
    "bytes_written",
    "result",
];

/// The bytes of `syncs.csv`.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    let rows = inp.syncs.iter().zip(inp.sync_bytes).map(|(r, bytes)| {
        let mut rec: Vec<String> = r.record().to_vec();
        rec.insert(8, bytes.to_string());
        rec
    });
    csv_bytes(&SYNCS_HEADER, rows)
}
