//! Charts of a run or a sweep (`slicesim chart`), drawn with plotters as SVG or PNG.
//!
//! * [`render_run`]: every chart of one run directory into `RUN_DIR/charts/`;
//! * [`render_sweep`]: metric-vs-parameter charts from `SWEEP_DIR/sweep.csv`.
//!
//! Output is a pure function of the input files: text is measured and rasterised with the
//! bundled Inter font (`assets/fonts`, SIL OFL 1.1) through plotters' `ab_glyph` backend, never
//! with system fonts; ticks and labels are computed here ([`axis`]); nothing reads a clock or
//! iterates a hash map, so rendering twice gives byte-identical files. Colours are the
//! Okabe-Ito colour-blind-safe palette; EndpointSlices is always blue, Endpoints vermillion.
//! Files are written atomically ([`crate::fsio::atomic_write`]).

pub mod axis;
pub mod data;
mod distribution;
mod draw;
mod slice_fill;
pub mod stats;
mod sweep;
mod timeline;

use crate::fsio::atomic_write;
use anyhow::Context;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

pub use axis::{human_bytes, human_count, human_seconds, Axis, Quantity};

/// The stems of the run charts, in drawing order (`slicesim run` removes these, in both
/// formats, before it writes anything, so an earlier run's charts never stay behind).
pub const RUN_CHART_STEMS: [&str; 6] = [
    "bytes",
    "bytes_log",
    "writes_events",
    "node_ingress",
    "latency_cdf",
    "slice_fill",
];

/// Image format of the chart files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

/// Render every chart of one run directory into RUN_DIR/charts/; returns the written paths
/// in a fixed order. Missing optional inputs (e.g. no latency samples) skip that chart.
///
/// Chart stems, in order: `bytes`, `bytes_log`, `writes_events` (from `timeseries.csv` and
/// `events.csv`), `node_ingress` (`node_ingress.csv`), `latency_cdf` (`latency_cdf.csv`),
/// `slice_fill` (`slice_fill.csv`). A directory with none of these inputs is an input error.
pub fn render_run(run_dir: &Path, format: ChartFormat) -> anyhow::Result<Vec<PathBuf>> {
    if !run_dir.is_dir() {
        return Err(crate::error::input_error(format!(
            "{}: not a directory (expected the output directory of `slicesim run`)",
            run_dir.display()
        )));
    }
    let out = run_dir.join("charts");
    let context = draw::RunContext::read(run_dir)?;
    let mut written = Vec::new();
    let mut any_input = false;
    if let Some(ts) = data::read_timeseries(run_dir)? {
        any_input = true;
        let events = data::read_events(run_dir)?;
        let bytes = timeline::BytesChart::new(&ts, &events, &context, false);
        written.push(write_chart(&bytes, &out, "bytes", format)?);
        let bytes_log = timeline::BytesChart::new(&ts, &events, &context, true);
        written.push(write_chart(&bytes_log, &out, "bytes_log", format)?);
        let we = timeline::WritesEventsChart::new(&ts, &events, &context);
        written.push(write_chart(&we, &out, "writes_events", format)?);
    }
    if let Some(n) = data::read_node_ingress(run_dir)? {
        any_input = true;
        if let Some(c) = distribution::NodeIngressChart::new(&n, &context) {
            written.push(write_chart(&c, &out, "node_ingress", format)?);
        }
    }
    if let Some(l) = data::read_latency_cdf(run_dir)? {
        any_input = true;
        if let Some(c) = distribution::LatencyChart::new(&l, &context) {
            written.push(write_chart(&c, &out, "latency_cdf", format)?);
        }
    }
    if let Some(f) = data::read_slice_fill(run_dir)? {
        any_input = true;
        if let Some(c) = slice_fill::SliceFillChart::new(&f, &context) {
            written.push(write_chart(&c, &out, "slice_fill", format)?);
        }
    }
    if !any_input {
        return Err(crate::error::input_error(format!(
            "{}: no chart inputs (timeseries.csv, node_ingress.csv, latency_cdf.csv, slice_fill.csv); \
             is this the output directory of `slicesim run`?",
            run_dir.display()
        )));
    }
    Ok(written)
}

/// Render sweep charts from SWEEP_DIR/sweep.csv into SWEEP_DIR/charts/.
///
/// One chart per headline metric (present in `sweep.csv`) and swept parameter, named
/// `sweep_<metric>_vs_<parameter>` (dots and brackets replaced by `_`); metrics in a fixed
/// order, parameters in file order.
pub fn render_sweep(sweep_dir: &Path, format: ChartFormat) -> anyhow::Result<Vec<PathBuf>> {
    let table = data::read_sweep(sweep_dir)?;
    let out = sweep_dir.join("charts");
    let mut written = Vec::new();
    for chart in sweep::charts(&table)? {
        written.push(write_chart(&chart, &out, &chart.stem, format)?);
    }
    Ok(written)
}

/// Something drawable at a fixed size on any plotters backend.
pub(crate) trait Chart {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Turn a plotters error (generic over the backend) into an `anyhow` error.
pub(crate) trait DrawErr<T> {
    fn de(self) -> anyhow::Result<T>;
}

impl<T, E: std::fmt::Display> DrawErr<T> for Result<T, E> {
    fn de(self) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::anyhow!("drawing chart: {e}"))
    }
}

/// Family name the bundled font is registered under; SVG files name it with a generic
/// fallback so a viewer without Inter still shows a sans-serif face.
pub(crate) const FAMILY: &str = "Inter, sans-serif";

static FONT: &[u8] = include_bytes!("../../assets/fonts/Inter-Regular.otf");

/// Register the bundled font with plotters once per process. Registered under [`FAMILY`] and
/// under `sans-serif`, which plotters' own defaults use, so no text ever needs a system font.
fn ensure_font() -> anyhow::Result<()> {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        anyhow::bail!("the bundled chart font (assets/fonts/Inter-Regular.otf) could not be loaded")
    }
}

/// Draw `chart` and write it atomically to `dir/stem.<ext>`.
fn write_chart<C: Chart>(
    chart: &C,
    dir: &Path,
    stem: &str,
    format: ChartFormat,
) -> anyhow::Result<PathBuf> {
    let bytes = render_bytes(chart, format).with_context(|| format!("chart {stem}"))?;
    let path = dir.join(format!("{stem}.{}", format.extension()));
    atomic_write(&path, &bytes)?;
    Ok(path)
}

/// The file content of `chart` in `format`.
pub(crate) fn render_bytes<C: Chart>(chart: &C, format: ChartFormat) -> anyhow::Result<Vec<u8>> {
    ensure_font()?;
    let (w, h) = chart.size();
    match format {
        ChartFormat::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
                root.fill(&WHITE).de()?;
                chart.draw(&root)?;
                root.present().de()?;
            }
            Ok(s.into_bytes())
        }
        ChartFormat::Png => {
            let mut rgb = vec![255u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                root.fill(&WHITE).de()?;
                chart.draw(&root)?;
                root.present().de()?;
            }
            let mut out = Vec::new();
            {
                let mut enc = png::Encoder::new(&mut out, w, h);
                enc.set_color(png::ColorType::Rgb);
                enc.set_depth(png::BitDepth::Eight);
                let mut writer = enc.write_header().context("encoding PNG")?;
                writer.write_image_data(&rgb).context("encoding PNG")?;
            }
            Ok(out)
        }
    }
}
