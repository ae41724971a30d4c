//! `workloads.csv`: the per-second workload rows the run sampled
//! ([`crate::run::workloads`], which lists the columns).

use crate::run::RunResults;

/// The file name.
pub const FILE: &str = "workloads.csv";

/// The bytes of `workloads.csv`.
pub fn csv(r: &RunResults) -> anyhow::Result<Vec<u8>> {
    Ok(r.workloads_csv.clone())
}
