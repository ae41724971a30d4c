//! `syncs.csv`: one row per controller sync, with the request bytes it wrote.

use super::Inputs;
use crate::controllers::manager::SyncRow;
use crate::run::RunResults;
use crate::scenario::NS_PER_SEC;
use crate::sim::digits::decimal;

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

/// The bytes of `syncs.csv`. Written field by field through one reused buffer (the same
/// quoting as a whole record): the envelope's 100,000 rows of ten fields each were
/// 1.2 million short strings.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    let inp = Inputs::need(r)?;
    write_rows(inp.syncs, inp.sync_bytes)
}

/// [`csv`] of these rows and their bytes.
fn write_rows(syncs: &[SyncRow], sync_bytes: &[u64]) -> anyhow::Result<Vec<u8>> {
    // A row is the service name and about 50 bytes more: sized once, not doubled to twice
    // the file (the envelope's is 13 MB).
    let size: usize = syncs.iter().map(|r| r.service.len() + 64).sum();
    let mut w = csv::Writer::from_writer(Vec::with_capacity(size + 128));
    w.write_record(SYNCS_HEADER)?;
    let mut digits = [0u8; 20];
    let mut time = Vec::with_capacity(32);
    for (row, bytes) in syncs.iter().zip(sync_bytes) {
        let (secs, nanos) = (row.time_ns / NS_PER_SEC, row.time_ns % NS_PER_SEC);
        // `SyncRow::record`'s fields, with the bytes before the result; numbers written
        // without the formatter (seven per row were most of this file's cost).
        time.clear();
        time.extend_from_slice(decimal(secs, &mut digits));
        time.push(b'.');
        let frac = decimal(nanos, &mut digits);
        time.resize(time.len() + 9 - frac.len(), b'0');
        time.extend_from_slice(frac);
        w.write_field(&time)?;
        w.write_field(row.controller.as_str())?;
        w.write_field(&*row.service)?;
        for n in [
            row.creates,
            row.updates,
            row.deletes,
            row.endpoints_added,
            row.endpoints_removed,
            *bytes,
        ] {
            w.write_field(decimal(n, &mut digits))?;
        }
        w.write_field(row.result.as_str())?;
        w.write_record(None::<&[u8]>)?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use crate::controllers::manager::{ControllerKind, SyncResult, SyncRow};

    /// Field by field is the whole-record form of `SyncRow::record` (quoting included).
    #[test]
    fn fields_are_the_record() {
        let mut rows = vec![SyncRow::start(
            1_500_000_001,
            ControllerKind::EndpointSlice,
            "ns/a",
        )];
        let mut odd = SyncRow::start(7, ControllerKind::Endpoints, "ns/with,comma \"q\"");
        odd.creates = 3;
        odd.endpoints_added = 20_000;
        odd.result = SyncResult::Stale;
        rows.push(odd);
        let bytes = [0u64, 123_456];
        let mut want = csv::Writer::from_writer(Vec::new());
        want.write_record(super::SYNCS_HEADER).unwrap();
        for (r, b) in rows.iter().zip(bytes) {
            let mut rec = r.record().to_vec();
            rec.insert(8, b.to_string());
            want.write_record(&rec).unwrap();
        }
        let want = want.into_inner().unwrap();
        assert_eq!(super::write_rows(&rows, &bytes).unwrap(), want);
    }
}
