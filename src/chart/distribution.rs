//! Distribution charts: `node_ingress` (CDF over nodes of the bytes each node's kube-proxy
//! received) and `latency_cdf` (endpoint propagation latency quantiles).

use super::axis::{human, Axis, Quantity};
use super::data::Mode;
use super::draw::{self, LegendItem, Line, Panel, RunContext, Swatch};
use super::stats::{ecdf, quantile_sorted, sorted_finite};
use super::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Switch the value axis to log scale when the largest value is this many times the smallest
/// (typical: Endpoints nodes receive 100× what EndpointSlices nodes do).
const LOG_RATIO: f64 = 30.0;

/// A CDF chart: x = value, y = fraction 0..1.
pub struct CdfChart {
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    panel: Panel,
}

impl Chart for CdfChart {
    fn size(&self) -> (u32, u32) {
        (1000, 620)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = draw::frame(root, &self.title, &self.subtitle, &self.legend)?;
        draw::draw_panel(&area, &self.panel)
    }
}

/// Build the panel of a CDF: `curves[mode]` are `(value, cumulative fraction)` corners.
fn cdf_panel(curves: &[(Mode, Vec<(f64, f64)>)], q: Quantity, x_desc: &str, y_desc: &str) -> Panel {
    let x = Axis::auto(
        curves.iter().flat_map(|c| c.1.iter().map(|p| p.0)),
        q,
        LOG_RATIO,
    );
    let y = Axis::linear(0.0, 1.0, Quantity::Fraction);
    let lines = curves
        .iter()
        .map(|(m, pts)| Line::new(draw::mode_color(*m), pts, &x, &y))
        .collect();
    Panel {
        title: None,
        x_desc: format!("{x_desc}{}", if x.log { ", log scale" } else { "" }),
        y_desc: y_desc.into(),
        x,
        y,
        lines,
        markers: Vec::new(),
    }
}

pub struct NodeIngressChart;

impl NodeIngressChart {
    /// `None` when no mode has a node (no kube-proxy watchers in the scenario).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(nodes: &[Vec<f64>; 2], ctx: &RunContext) -> Option<CdfChart> {
        let mut curves = Vec::new();
        let mut legend = Vec::new();
        for m in Mode::ALL {
            let v = sorted_finite(&nodes[m.index()]);
            if v.is_empty() {
                continue;
            }
            let p = |q| quantile_sorted(&v, q).unwrap_or(0.0);
            legend.push(LegendItem {
                label: format!(
                    "{}: {} nodes, median {}, p99 {}, max {}",
                    m.title(),
                    v.len(),
                    human(Quantity::Bytes, p(0.5)),
                    human(Quantity::Bytes, p(0.99)),
                    human(Quantity::Bytes, p(1.0)),
                ),
                color: draw::mode_color(m),
                swatch: Swatch::Line,
            });
            curves.push((m, ecdf(&v)));
        }
        if curves.is_empty() {
            return None;
        }
        Some(CdfChart {
            title: "kube-proxy ingress per node (CDF over nodes)".into(),
            subtitle: ctx.subtitle.clone(),
            legend,
            panel: cdf_panel(
                &curves,
                Quantity::Bytes,
                "watch bytes received by the node over the run",
                "share of nodes receiving at most x",
            ),
        })
    }
}

pub struct LatencyChart;

impl LatencyChart {
    /// `None` when neither mode has latency samples (the file is header-only then).
    #[allow(clippy::new_ret_no_self)]
    pub fn new(cdf: &[super::data::Quantiles; 2], ctx: &RunContext) -> Option<CdfChart> {
        let mut curves = Vec::new();
        let mut legend = Vec::new();
        for m in Mode::ALL {
            let rows = &cdf[m.index()];
            if rows.is_empty() {
                continue;
            }
            // the file's quantiles are exact rows; read p50/p99 off them
            let at = |q: f64| {
                rows.iter()
                    .find(|r| (r.0 - q).abs() < 1e-9)
                    .map(|r| human(Quantity::Seconds, r.1))
                    .unwrap_or_else(|| "n/a".into())
            };
            legend.push(LegendItem {
                label: format!(
                    "{}: p50 {}, p90 {}, p99 {}, max {}",
                    m.title(),
                    at(0.5),
                    at(0.9),
                    at(0.99),
                    at(1.0)
                ),
                color: draw::mode_color(m),
                swatch: Swatch::Line,
            });
            curves.push((m, rows.iter().map(|r| (r.1, r.0)).collect()));
        }
        if curves.is_empty() {
            return None;
        }
        Some(CdfChart {
            title: "Endpoint propagation latency (CDF)".into(),
            subtitle: ctx.subtitle.clone(),
            legend,
            panel: cdf_panel(
                &curves,
                Quantity::Seconds,
                "latency: pod ready / unready / deleted → last client group applied",
                "share of endpoint changes",
            ),
        })
    }
}
