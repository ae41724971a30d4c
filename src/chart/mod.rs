//! Placeholder for the charts module (built on the `charts` branch); the lead replaces this file
//! at merge. Same signatures; renders nothing.

use std::path::{Path, PathBuf};

/// Output format of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

/// Render every chart of one run directory into RUN_DIR/charts/; returns the written paths
/// in a fixed order. Missing optional inputs (e.g. no latency samples) skip that chart.
pub fn render_run(run_dir: &Path, format: ChartFormat) -> anyhow::Result<Vec<PathBuf>> {
    let _ = (run_dir, format);
    Ok(vec![])
}

/// Render sweep charts from SWEEP_DIR/sweep.csv into SWEEP_DIR/charts/.
pub fn render_sweep(sweep_dir: &Path, format: ChartFormat) -> anyhow::Result<Vec<PathBuf>> {
    let _ = (sweep_dir, format);
    Ok(vec![])
}
