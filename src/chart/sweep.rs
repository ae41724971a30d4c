//! Sweep charts: each headline metric against each swept parameter, one line per mode
//! (mean over seeds) with a min/max band over seeds. When the sweep has other parameters,
//! each combination of their values gets its own small panel (so a band only ever spans
//! seeds); beyond [`MAX_FACETS`] combinations one panel pools them, and the legend says so.

use super::axis::{Axis, Quantity};
use super::data::{Mode, SweepTable};
use super::draw::{self, LegendItem, Line, Panel, Swatch};
use super::stats::min_mean_max;
use super::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Metrics charted when present in `sweep.csv` (as `<mode>.<metric>` columns), in this order.
pub const HEADLINE: [(&str, &str, Quantity); 8] = [
    (
        "bytes_out_total",
        "watch bytes sent (total)",
        Quantity::Bytes,
    ),
    ("watch_events", "watch events (total)", Quantity::Count),
    ("writes_stored", "API writes stored", Quantity::Count),
    ("etcd_write_bytes", "etcd write bytes", Quantity::Bytes),
    (
        "node_ingress_bytes_max",
        "kube-proxy ingress, busiest node",
        Quantity::Bytes,
    ),
    ("largest_object_bytes", "largest object", Quantity::Bytes),
    (
        "propagation_p99_seconds",
        "p99 endpoint propagation latency",
        Quantity::Seconds,
    ),
    ("objects_alive_max", "peak live objects", Quantity::Count),
];

/// Most panels in one chart; more combinations of the other parameters are pooled.
pub const MAX_FACETS: usize = 12;

/// A file-name-safe version of a metric or parameter path: every run of characters other
/// than ASCII letters, digits, `-` and `_` becomes one `_` (`workloads[0].replicas` →
/// `workloads_0_replicas`).
pub fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let t = out.trim_matches('_');
    if t.is_empty() {
        "param".to_string()
    } else {
        t.to_string()
    }
}

pub struct SweepChart {
    pub stem: String,
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    panels: Vec<Panel>,
    cols: usize,
}

impl Chart for SweepChart {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols.max(1)) as u32;
        let w = if self.cols == 1 { 1000 } else { 1200 };
        (w, 150 + rows * 400)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = draw::frame(root, &self.title, &self.subtitle, &self.legend)?;
        let rows = self.panels.len().div_ceil(self.cols.max(1));
        let cells = area.split_evenly((rows, self.cols.max(1)));
        for (panel, cell) in self.panels.iter().zip(cells) {
            draw::draw_panel(&cell.margin(4, 8, 0, 8), panel)?;
        }
        Ok(())
    }
}

/// One mode's points of a panel: `(x, min, mean, max)` per x value.
type ModePoints = (Mode, Vec<(f64, f64, f64, f64)>);

/// The x values of one parameter: numeric (sorted) or categorical (first-appearance order).
enum XValues {
    Numeric(Vec<f64>),
    Categorical(Vec<String>),
}

/// All charts of a sweep, in order: metrics as [`HEADLINE`], parameters in file order.
pub fn charts(s: &SweepTable) -> anyhow::Result<Vec<SweepChart>> {
    let t = &s.table;
    let mut seeds: Vec<&str> = Vec::new();
    for row in &t.rows {
        let v = t.text(row, s.seed);
        if !seeds.contains(&v) {
            seeds.push(v);
        }
    }
    let mut out = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    for (metric, what, q) in HEADLINE {
        let cols: Vec<(Mode, usize)> = Mode::ALL
            .iter()
            .filter_map(|m| {
                let name = format!("{}.{metric}", m.key());
                t.header.iter().position(|h| *h == name).map(|c| (*m, c))
            })
            .collect();
        if cols.is_empty() {
            continue;
        }
        // every value of the metric, per row and mode (None where empty)
        let mut values: Vec<Vec<Option<f64>>> = Vec::with_capacity(t.rows.len());
        for row in &t.rows {
            let mut v = Vec::new();
            for (_, c) in &cols {
                v.push(t.opt_number(row, *c)?);
            }
            values.push(v);
        }
        for &pcol in &s.params {
            let Some(chart) = one_chart(s, &seeds, metric, what, q, &cols, &values, pcol) else {
                continue;
            };
            let mut stem = chart.stem.clone();
            let mut n = 2;
            while stems.contains(&stem) {
                stem = format!("{}_{n}", chart.stem);
                n += 1;
            }
            stems.push(stem.clone());
            out.push(SweepChart { stem, ..chart });
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn one_chart(
    s: &SweepTable,
    seeds: &[&str],
    metric: &str,
    what: &str,
    q: Quantity,
    cols: &[(Mode, usize)],
    values: &[Vec<Option<f64>>],
    pcol: usize,
) -> Option<SweepChart> {
    let t = &s.table;
    let param = t.header[pcol].clone();
    let texts: Vec<&str> = t.rows.iter().map(|r| t.text(r, pcol)).collect();
    let numeric: Option<Vec<f64>> = texts.iter().map(|v| v.trim().parse::<f64>().ok()).collect();
    let xs = match numeric.filter(|v| v.iter().all(|x| x.is_finite())) {
        Some(mut v) => {
            v.sort_by(f64::total_cmp);
            v.dedup();
            XValues::Numeric(v)
        }
        None => {
            let mut v: Vec<String> = Vec::new();
            for x in &texts {
                if !v.iter().any(|y| y == x) {
                    v.push(x.to_string());
                }
            }
            XValues::Categorical(v)
        }
    };
    let x_of = |row: usize| -> f64 {
        match &xs {
            XValues::Numeric(_) => texts[row].trim().parse().unwrap_or(f64::NAN),
            XValues::Categorical(c) => c.iter().position(|y| y == texts[row]).unwrap_or(0) as f64,
        }
    };
    let x_keys: Vec<f64> = match &xs {
        XValues::Numeric(v) => v.clone(),
        XValues::Categorical(c) => (0..c.len()).map(|i| i as f64).collect(),
    };
    let x = match &xs {
        XValues::Numeric(v) => Axis::auto(v.iter().copied(), Quantity::Plain, 50.0),
        XValues::Categorical(c) => Axis::categorical(c),
    };

    // facets: combinations of the other parameters' values, in first-appearance order
    let others: Vec<usize> = s.params.iter().copied().filter(|c| *c != pcol).collect();
    let mut facets: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, row) in t.rows.iter().enumerate() {
        let key = others
            .iter()
            .map(|c| format!("{} = {}", t.header[*c], t.text(row, *c)))
            .collect::<Vec<_>>()
            .join(", ");
        match facets.iter_mut().find(|f| f.0 == key) {
            Some(f) => f.1.push(i),
            None => facets.push((key, vec![i])),
        }
    }
    let pooled = facets.len() > MAX_FACETS;
    if pooled {
        facets = vec![(String::new(), (0..t.rows.len()).collect())];
    }

    // (facet, mode) → per x: (x, min, mean, max)
    let mut stats: Vec<Vec<ModePoints>> = Vec::new();
    let mut all_values = Vec::new();
    for (_, rows) in &facets {
        let mut per_mode = Vec::new();
        for (mi, (m, _)) in cols.iter().enumerate() {
            let mut pts = Vec::new();
            for &xk in &x_keys {
                let v: Vec<f64> = rows
                    .iter()
                    .filter(|r| x_of(**r) == xk)
                    .filter_map(|r| values[*r][mi])
                    .collect();
                if let Some((lo, mean, hi)) = min_mean_max(&v) {
                    all_values.extend([lo, hi]);
                    pts.push((xk, lo, mean, hi));
                }
            }
            if !pts.is_empty() {
                per_mode.push((*m, pts));
            }
        }
        stats.push(per_mode);
    }
    if all_values.is_empty() {
        return None;
    }
    let y = Axis::auto(all_values.iter().copied(), q, 100.0);
    let panels: Vec<Panel> = facets
        .iter()
        .zip(&stats)
        .map(|((key, _), per_mode)| Panel {
            title: if key.is_empty() {
                None
            } else {
                Some(key.clone())
            },
            x: x.clone(),
            y: y.clone(),
            x_desc: format!("{param}{}", if x.log { ", log scale" } else { "" }),
            y_desc: format!("{what}{}", if y.log { ", log scale" } else { "" }),
            lines: per_mode
                .iter()
                .map(|(m, pts)| {
                    let mean: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.2)).collect();
                    let mut line = Line::new(draw::mode_color(*m), &mean, &x, &y);
                    line.band = pts
                        .iter()
                        .filter(|p| x.shows(p.0))
                        .map(|p| (x.pos(p.0), y.pos(p.1), y.pos(p.3)))
                        .collect();
                    line.dots = true;
                    // dashed, so an EndpointSlices line with the same values shows through
                    line.dashed = *m == Mode::Endpoints;
                    line
                })
                .collect(),
            markers: Vec::new(),
        })
        .collect();
    let n_seeds = seeds.len();
    let band_of = if pooled {
        format!("min–max over {n_seeds} seed(s) and the other parameters")
    } else {
        format!("min–max over {n_seeds} seed(s)")
    };
    let mut legend: Vec<LegendItem> = cols
        .iter()
        .map(|(m, _)| LegendItem {
            label: format!("{} (mean)", m.title()),
            color: draw::mode_color(*m),
            swatch: if *m == Mode::Endpoints {
                Swatch::Dashed
            } else {
                Swatch::Line
            },
        })
        .collect();
    legend.push(LegendItem {
        label: band_of,
        color: draw::MUTED,
        swatch: Swatch::Band,
    });
    Some(SweepChart {
        stem: format!("sweep_{}_vs_{}", sanitize(metric), sanitize(&param)),
        title: format!("{what} vs {param}"),
        subtitle: format!("{} sweep points, seeds {}", t.rows.len(), seeds.join(", ")),
        legend,
        cols: facets.len().clamp(1, 3),
        panels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_names() {
        assert_eq!(
            sanitize("controllers.endpointslice.max_endpoints_per_slice"),
            "controllers_endpointslice_max_endpoints_per_slice"
        );
        assert_eq!(sanitize("workloads[0].replicas"), "workloads_0_replicas");
        assert_eq!(sanitize("a..b[[1]]"), "a_b_1");
        assert_eq!(sanitize("[]"), "param");
    }
}
