//! Charts over simulated time from `timeseries.csv`, with `events.csv` markers:
//! `bytes` / `bytes_log` (watch bytes sent per second) and `writes_events` (API writes and
//! watch events per second).

use super::axis::{human, Axis, Quantity};
use super::data::{Event, Mode, ModeSeries};
use super::draw::{self, LegendItem, Line, Marker, Panel, RunContext, Swatch};
use super::stats::bin_mean;
use super::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Long runs are averaged into at most this many points per line (a mean of per-second
/// rates is still a per-second rate), keeping SVGs small and lines readable.
const MAX_POINTS: usize = 1500;

/// Headroom above the data for marker labels.
const MARKER_HEADROOM: f64 = 0.22;

/// One mode's line after binning, and the bin width in seconds.
type Binned = (Mode, Vec<(f64, f64)>, usize);

fn binned(s: &ModeSeries, values: &[f64]) -> (Vec<(f64, f64)>, usize) {
    bin_mean(&s.points(values), MAX_POINTS)
}

fn time_axis(ts: &[ModeSeries; 2]) -> Axis {
    let end = ts
        .iter()
        .flat_map(|s| s.time_s.iter().copied())
        .fold(0.0, f64::max);
    let end = end.max(1.0);
    Axis::linear(0.0, end, Quantity::Plain).exact(0.0, end)
}

fn markers(events: &[Event], x: &Axis, labels: bool) -> Vec<Marker> {
    events
        .iter()
        .filter(|e| e.time_s >= x.lo && e.time_s <= x.hi)
        .map(|e| Marker {
            x: e.time_s,
            label: if labels {
                draw::event_label(&e.kind, &e.label)
            } else {
                String::new()
            },
        })
        .collect()
}

fn mean_note(k: usize) -> String {
    if k > 1 {
        format!(" (mean over {k} s)")
    } else {
        String::new()
    }
}

/// `bytes` / `bytes_log`: the API server's watch egress per second, both modes.
pub struct BytesChart {
    title: String,
    subtitle: String,
    legend: Vec<LegendItem>,
    panel: Panel,
}

impl BytesChart {
    pub fn new(ts: &[ModeSeries; 2], events: &[Event], ctx: &RunContext, log: bool) -> Self {
        let x = time_axis(ts);
        let series: Vec<Binned> = Mode::ALL
            .iter()
            .filter(|m| !ts[m.index()].time_s.is_empty())
            .map(|m| {
                let (pts, k) = binned(&ts[m.index()], &ts[m.index()].bytes_out);
                (*m, pts, k)
            })
            .collect();
        let values = || series.iter().flat_map(|s| s.1.iter().map(|p| p.1));
        let max = values().fold(0.0, f64::max);
        let min_pos = values().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let mut y = if log && min_pos.is_finite() {
            Axis::log(min_pos, max, Quantity::Bytes)
        } else {
            Axis::linear(0.0, max, Quantity::Bytes)
        };
        if !events.is_empty() {
            y = y.with_headroom(MARKER_HEADROOM);
        }
        let k = series.iter().map(|s| s.2).max().unwrap_or(1);
        let mut legend = Vec::new();
        let mut lines = Vec::new();
        for (m, pts, _) in &series {
            let s = &ts[m.index()];
            let total: f64 = s.bytes_out.iter().sum();
            let peak = s.bytes_out.iter().copied().fold(0.0, f64::max);
            legend.push(LegendItem {
                label: format!(
                    "{}: {} in total, peak {}/s",
                    m.title(),
                    human(Quantity::Bytes, total),
                    human(Quantity::Bytes, peak)
                ),
                color: draw::mode_color(*m),
                swatch: Swatch::Line,
            });
            lines.push(Line::new(draw::mode_color(*m), pts, &x, &y));
        }
        if !events.is_empty() {
            legend.push(LegendItem {
                label: "scenario event".into(),
                color: draw::MUTED,
                swatch: Swatch::Dashed,
            });
        }
        // a log chart of all-zero traffic falls back to linear: say which one it is
        let y_desc = format!(
            "watch bytes sent per second{}{}",
            mean_note(k),
            if y.log { ", log scale" } else { "" }
        );
        let panel = Panel {
            title: None,
            markers: markers(events, &x, true),
            x,
            y,
            x_desc: "simulated time (s)".into(),
            y_desc,
            lines,
        };
        BytesChart {
            title: if log {
                "API server watch egress (log scale): EndpointSlices vs Endpoints".into()
            } else {
                "API server watch egress: EndpointSlices vs Endpoints".into()
            },
            subtitle: ctx.subtitle.clone(),
            legend,
            panel,
        }
    }
}

impl Chart for BytesChart {
    fn size(&self) -> (u32, u32) {
        (1100, 620)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = draw::frame(root, &self.title, &self.subtitle, &self.legend)?;
        draw::draw_panel(&area, &self.panel)
    }
}

/// `writes_events`: API writes per second (top) and watch events per second (bottom).
pub struct WritesEventsChart {
    subtitle: String,
    legend: Vec<LegendItem>,
    panels: [Panel; 2],
}

impl WritesEventsChart {
    pub fn new(ts: &[ModeSeries; 2], events: &[Event], ctx: &RunContext) -> Self {
        let x = time_axis(ts);
        let modes: Vec<Mode> = Mode::ALL
            .iter()
            .copied()
            .filter(|m| !ts[m.index()].time_s.is_empty())
            .collect();
        let make = |pick: fn(&ModeSeries) -> &[f64], what: &str, labels: bool| {
            let series: Vec<Binned> = modes
                .iter()
                .map(|m| {
                    let s = &ts[m.index()];
                    let (pts, k) = binned(s, pick(s));
                    (*m, pts, k)
                })
                .collect();
            let max = series
                .iter()
                .flat_map(|s| s.1.iter().map(|p| p.1))
                .fold(0.0, f64::max);
            let mut y = Axis::linear_int(0.0, max, Quantity::Count);
            if !events.is_empty() && labels {
                y = y.with_headroom(MARKER_HEADROOM);
            }
            let k = series.iter().map(|s| s.2).max().unwrap_or(1);
            Panel {
                title: Some(format!("{what} per second")),
                lines: series
                    .iter()
                    .map(|(m, pts, _)| Line::new(draw::mode_color(*m), pts, &x, &y))
                    .collect(),
                markers: markers(events, &x, labels),
                x: x.clone(),
                y,
                // the panels share the time axis; describe it once, under the bottom one
                x_desc: if labels {
                    String::new()
                } else {
                    "simulated time (s)".into()
                },
                y_desc: format!("{what} per second{}", mean_note(k)),
            }
        };
        let panels = [
            make(|s| &s.writes, "API writes", true),
            make(|s| &s.watch_events, "watch events", false),
        ];
        let mut legend: Vec<LegendItem> = modes
            .iter()
            .map(|m| {
                let s = &ts[m.index()];
                LegendItem {
                    label: format!(
                        "{}: {} writes, {} watch events",
                        m.title(),
                        human(Quantity::Count, s.writes.iter().sum()),
                        human(Quantity::Count, s.watch_events.iter().sum())
                    ),
                    color: draw::mode_color(*m),
                    swatch: Swatch::Line,
                }
            })
            .collect();
        if !events.is_empty() {
            legend.push(LegendItem {
                label: "scenario event".into(),
                color: draw::MUTED,
                swatch: Swatch::Dashed,
            });
        }
        WritesEventsChart {
            subtitle: ctx.subtitle.clone(),
            legend,
            panels,
        }
    }
}

impl Chart for WritesEventsChart {
    fn size(&self) -> (u32, u32) {
        (1100, 820)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = draw::frame(
            root,
            "API writes and watch events: EndpointSlices vs Endpoints",
            &self.subtitle,
            &self.legend,
        )?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 47 / 100);
        draw::draw_panel(&top, &self.panels[0])?;
        draw::draw_panel(&bottom, &self.panels[1])?;
        Ok(())
    }
}
