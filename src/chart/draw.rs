//! Shared drawing: palette, text styles, the title/legend frame and a line-chart panel
//! (lines, min/max bands, event markers) used by all charts except the heatmap.

use super::axis::Axis;
use super::data::{Mode, Table};
use super::{DrawErr, FAMILY};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// An [`Axis`] is a plotters coordinate whose key points are exactly its ticks (no light
/// lines), so the grid and labels come from [`super::axis`], never from plotters' defaults.
impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span == 0.0 || !v.is_finite() {
            return limit.0;
        }
        let f = ((v - self.lo) / span).clamp(-1.0, 2.0);
        limit.0 + (f64::from(limit.1 - limit.0) * f).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.tick_positions()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Okabe & Ito (2008) colour-blind-safe palette (the two mode colours) and neutral greys.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub const GRID: RGBColor = RGBColor(0xE2, 0xE2, 0xE2);

/// The colour of a mode: the same in every chart.
pub fn mode_color(m: Mode) -> RGBColor {
    match m {
        Mode::EndpointSlices => BLUE,
        Mode::Endpoints => VERMILLION,
    }
}

pub fn text(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&INK)
}

pub fn muted(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&MUTED)
}

/// Facts about the run shown under each title (from `summary.csv`, when present).
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub subtitle: String,
}

impl RunContext {
    /// `scenario NAME · seed N` from the `run` rows of `summary.csv` (first three columns
    /// are scope/mode, metric, value); empty when the file or the rows are absent.
    pub fn read(dir: &Path) -> anyhow::Result<RunContext> {
        let Some(t) = Table::read(&dir.join("summary.csv"))? else {
            return Ok(RunContext::default());
        };
        let get = |metric: &str| {
            t.rows
                .iter()
                .find(|r| r.1.get(0) == Some("run") && r.1.get(1) == Some(metric))
                .and_then(|r| r.1.get(2))
                .map(str::to_string)
        };
        let mut parts = Vec::new();
        if let Some(s) = get("scenario") {
            parts.push(format!("scenario {s}"));
        }
        if let Some(s) = get("seed") {
            parts.push(format!("seed {s}"));
        }
        Ok(RunContext {
            subtitle: parts.join(" · "),
        })
    }
}

/// A legend entry.
#[derive(Debug, Clone)]
pub struct LegendItem {
    pub label: String,
    pub color: RGBColor,
    pub swatch: Swatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swatch {
    Line,
    Dashed,
    Band,
}

/// Draw the title, an optional subtitle and a centred legend (wrapped onto several rows if
/// needed) at the top of `root`; return the area left for the plot.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> anyhow::Result<DrawingArea<DB, Shift>> {
    let root = root.margin(8, 8, 8, 8);
    let (w, _) = root.dim_in_pixel();
    let title_style = text(21.0).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 4),
        title_style,
    ))
    .de()?;
    let mut y = 32;
    if !subtitle.is_empty() {
        let s = muted(14.0).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(subtitle.to_string(), (w as i32 / 2, y), s))
            .de()?;
        y += 20;
    }
    // lay the legend out in rows
    let style = text(14.0);
    let mut rows: Vec<Vec<(i32, &LegendItem)>> = vec![Vec::new()];
    let mut widths = vec![0i32];
    for item in legend {
        let (tw, _) = root.estimate_text_size(&item.label, &style).de()?;
        let iw = 28 + tw as i32;
        let row_w = widths.last().copied().unwrap_or(0);
        if row_w > 0 && row_w + 24 + iw > w as i32 - 16 {
            rows.push(Vec::new());
            widths.push(0);
        }
        let last = widths.len() - 1;
        let gap = if widths[last] > 0 { 24 } else { 0 };
        rows[last].push((iw, item));
        widths[last] += gap + iw;
    }
    if !legend.is_empty() {
        y += 4;
        for (row, row_w) in rows.iter().zip(&widths) {
            let mut x = (w as i32 - row_w) / 2;
            let cy = y + 9;
            for (iw, item) in row {
                match item.swatch {
                    Swatch::Line => root
                        .draw(&PathElement::new(
                            vec![(x, cy), (x + 22, cy)],
                            item.color.stroke_width(3),
                        ))
                        .de()?,
                    Swatch::Dashed => {
                        for k in 0..3 {
                            root.draw(&PathElement::new(
                                vec![(x + k * 8, cy), (x + k * 8 + 5, cy)],
                                item.color.stroke_width(3),
                            ))
                            .de()?
                        }
                    }
                    Swatch::Band => root
                        .draw(&Rectangle::new(
                            [(x, cy - 6), (x + 22, cy + 6)],
                            item.color.mix(0.25).filled(),
                        ))
                        .de()?,
                }
                root.draw(&Text::new(
                    item.label.clone(),
                    (x + 28, cy),
                    style.pos(Pos::new(HPos::Left, VPos::Center)),
                ))
                .de()?;
                x += iw + 24;
            }
            y += 22;
        }
    }
    let (_, rest) = root.split_vertically(y + 4);
    Ok(rest)
}

/// One series of a panel, in plot space (map values with [`Axis::pos`]).
#[derive(Debug, Clone)]
pub struct Line {
    pub color: RGBColor,
    /// Connected runs of points (a log axis breaks a line where the value is 0).
    pub segments: Vec<Vec<(f64, f64)>>,
    /// `(x, low, high)` of a shaded band behind the line.
    pub band: Vec<(f64, f64, f64)>,
    pub dashed: bool,
    /// Mark each point with a dot (few points, e.g. sweep values).
    pub dots: bool,
}

impl Line {
    /// A line through `points` (data space), split where `y` cannot be shown on `ya`.
    pub fn new(color: RGBColor, points: &[(f64, f64)], xa: &Axis, ya: &Axis) -> Line {
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut current = Vec::new();
        for &(x, y) in points {
            if xa.shows(x) && ya.shows(y) {
                current.push((xa.pos(x), ya.pos(y)));
            } else if !current.is_empty() {
                segments.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            segments.push(current);
        }
        Line {
            color,
            segments,
            band: Vec::new(),
            dashed: false,
            dots: false,
        }
    }
}

/// A vertical marker (an event) at `x` (plot space) with an optional label.
#[derive(Debug, Clone)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// One plot: axes, descriptions, lines and markers.
pub struct Panel {
    pub title: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    pub markers: Vec<Marker>,
}

/// Rows of marker labels at the top of a panel; the y axis gets headroom for them.
pub const MARKER_ROWS: usize = 3;

pub fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
) -> anyhow::Result<()> {
    let area = match &p.title {
        Some(t) => {
            let (w, _) = area.dim_in_pixel();
            area.draw(&Text::new(
                t.clone(),
                (w as i32 / 2, 2),
                text(15.0).pos(Pos::new(HPos::Center, VPos::Top)),
            ))
            .de()?;
            area.split_vertically(22).1
        }
        None => area.clone(),
    };
    let mut chart = ChartBuilder::on(&area)
        .margin_right(18)
        .margin_top(4)
        .x_label_area_size(48)
        .y_label_area_size(84)
        .build_cartesian_2d(p.x.clone(), p.y.clone())
        .de()?;
    let xf = |v: &f64| p.x.label(*v);
    let yf = |v: &f64| p.y.label(*v);
    chart
        .configure_mesh()
        .x_desc(p.x_desc.as_str())
        .y_desc(p.y_desc.as_str())
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style(text(13.0))
        .axis_desc_style(text(14.0))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .draw()
        .de()?;

    // event markers: dashed verticals, labels in rows at the top, skipped when they collide
    let marker_style = MUTED.mix(0.8).stroke_width(1);
    for m in &p.markers {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(m.x, p.y.lo), (m.x, p.y.hi)],
                5,
                4,
                marker_style,
            ))
            .de()?;
    }
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let label_style = muted(12.0);
    let mut row_end = [i32::MIN; MARKER_ROWS];
    for m in p.markers.iter().filter(|m| !m.label.is_empty()) {
        let (tw, th) = area.estimate_text_size(&m.label, &label_style).de()?;
        let x_px = ((m.x - p.x.lo) / (p.x.hi - p.x.lo) * f64::from(pw)).round() as i32;
        let (start, anchor, dx) = if x_px + 4 + tw as i32 <= pw as i32 {
            (x_px + 4, HPos::Left, 4)
        } else {
            (x_px - 4 - tw as i32, HPos::Right, -4)
        };
        let Some(row) = (0..MARKER_ROWS).find(|r| row_end[*r] < start - 6) else {
            continue;
        };
        row_end[row] = start + tw as i32;
        let y_px = 4 + row as i32 * (th as i32 + 4);
        let y = p.y.hi - f64::from(y_px) / f64::from(ph.max(1)) * (p.y.hi - p.y.lo);
        chart
            .plotting_area()
            .draw(
                &(EmptyElement::at((m.x, y))
                    + Text::new(
                        m.label.clone(),
                        (dx, 0),
                        label_style.pos(Pos::new(anchor, VPos::Top)),
                    )),
            )
            .de()?;
    }

    // Series are clipped to the panel: bands are clamped into the axis rectangle, lines are
    // cut at its edges (Liang–Barsky) and drawn in pixel space, split where they turn so
    // sharply that a mitred join would stick out (plotters' bitmap polygoniser has no miter
    // limit, so a one-second spike used to shoot through the titles in PNGs).
    let rect = ClipRect {
        x0: p.x.lo.min(p.x.hi),
        x1: p.x.hi.max(p.x.lo),
        y0: p.y.lo.min(p.y.hi),
        y1: p.y.hi.max(p.y.lo),
    };
    for line in &p.lines {
        if line.band.len() > 1 {
            let clamp = |x: f64, y: f64| (x.clamp(rect.x0, rect.x1), y.clamp(rect.y0, rect.y1));
            let mut pts: Vec<(f64, f64)> = line.band.iter().map(|b| clamp(b.0, b.2)).collect();
            pts.extend(line.band.iter().rev().map(|b| clamp(b.0, b.1)));
            chart
                .draw_series(std::iter::once(Polygon::new(
                    pts,
                    line.color.mix(0.22).filled(),
                )))
                .de()?;
        }
    }
    let plot = chart.plotting_area();
    let base = plot.get_base_pixel();
    let canvas = plot.strip_coord_spec();
    let to_px = |pt: (f64, f64)| {
        let c = chart.backend_coord(&pt);
        (c.0 - base.0, c.1 - base.1)
    };
    for line in &p.lines {
        let style = line.color.stroke_width(2);
        for seg in &line.segments {
            for piece in clip_polyline(seg, rect) {
                let mut px: Vec<(i32, i32)> = Vec::with_capacity(piece.len());
                for pt in &piece {
                    let c = to_px(*pt);
                    // equal consecutive points make plotters' polygoniser divide by zero
                    if px.last() != Some(&c) {
                        px.push(c);
                    }
                }
                for run in split_sharp_turns(&px) {
                    if run.len() < 2 {
                        continue;
                    }
                    if line.dashed {
                        for dash in DashedLineSeries::new(run, 7, 5, style) {
                            canvas.draw(&dash).de()?;
                        }
                    } else {
                        canvas.draw(&PathElement::new(run, style)).de()?;
                    }
                }
            }
            if line.dots || seg.len() == 1 {
                for pt in seg.iter().filter(|pt| rect.contains(**pt)) {
                    canvas
                        .draw(&Circle::new(to_px(*pt), 3, line.color.filled()))
                        .de()?;
                }
            }
        }
    }
    Ok(())
}

/// The axis rectangle in plot space; series are clipped to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClipRect {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl ClipRect {
    fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1
    }
}

/// Liang–Barsky: the part of segment `a`→`b` inside `r`, if any.
fn clip_segment(a: (f64, f64), b: (f64, f64), r: ClipRect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 || !t0.is_finite() || !t1.is_finite() {
        return None;
    }
    let at = |t: f64| (a.0 + t * dx, a.1 + t * dy);
    Some((at(t0), at(t1)))
}

/// The connected pieces of a polyline inside `r`.
pub(crate) fn clip_polyline(points: &[(f64, f64)], r: ClipRect) -> Vec<Vec<(f64, f64)>> {
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    if points.len() == 1 {
        if r.contains(points[0]) {
            pieces.push(vec![points[0]]);
        }
        return pieces;
    }
    let mut current: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((s, e)) => {
                if current.last() != Some(&s) {
                    if current.len() > 1 {
                        pieces.push(std::mem::take(&mut current));
                    }
                    current = vec![s];
                }
                current.push(e);
                if e != w[1] {
                    pieces.push(std::mem::take(&mut current));
                }
            }
            None => {
                if current.len() > 1 {
                    pieces.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() > 1 {
        pieces.push(current);
    }
    pieces
}

/// Split a pixel polyline at vertices where it turns by more than about 96° (interior angle
/// under 84°), so no mitred join of a 2-px stroke reaches more than 1.5 px past its vertex
/// (miter length = half width / sin(angle / 2), the limit SVG calls `stroke-miterlimit`).
pub(crate) fn split_sharp_turns(px: &[(i32, i32)]) -> Vec<Vec<(i32, i32)>> {
    let mut runs = Vec::new();
    let mut current: Vec<(i32, i32)> = Vec::new();
    for (i, &p) in px.iter().enumerate() {
        current.push(p);
        if i > 0 && i + 1 < px.len() {
            let a = (f64::from(px[i - 1].0 - p.0), f64::from(px[i - 1].1 - p.1));
            let b = (f64::from(px[i + 1].0 - p.0), f64::from(px[i + 1].1 - p.1));
            let (la, lb) = (a.0.hypot(a.1), b.0.hypot(b.1));
            // interior angle between the two segments at p
            let cos = ((a.0 * b.0 + a.1 * b.1) / (la * lb)).clamp(-1.0, 1.0);
            let half = cos.acos() / 2.0;
            if half.sin() < 1.0 / 1.5 {
                runs.push(std::mem::take(&mut current));
                current.push(p);
            }
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// Marker labels for `events.csv` rows: `rolling update start: web 100→100 v2`.
pub fn event_label(kind: &str, label: &str) -> String {
    let kind = kind.replace('_', " ");
    let s = if label.is_empty() {
        kind
    } else {
        format!("{kind}: {label}")
    };
    if s.chars().count() > 48 {
        let mut t: String = s.chars().take(47).collect();
        t.push('…');
        t
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_labels_are_short() {
        assert_eq!(
            event_label("rolling_update_start", "web 100→100 v2"),
            "rolling update start: web 100→100 v2"
        );
        assert_eq!(event_label("node_failure", ""), "node failure");
        assert_eq!(event_label("scale", &"x".repeat(80)).chars().count(), 48);
    }

    #[test]
    fn polylines_are_clipped_to_the_axis_rectangle() {
        let r = ClipRect {
            x0: 0.0,
            x1: 10.0,
            y0: 0.0,
            y1: 10.0,
        };
        // a spike above the top is cut at the edge; the line continues afterwards
        let pieces = clip_polyline(&[(0.0, 0.0), (1.0, 20.0), (2.0, 0.0), (3.0, 5.0)], r);
        assert_eq!(
            pieces,
            vec![
                vec![(0.0, 0.0), (0.5, 10.0)],
                vec![(1.5, 10.0), (2.0, 0.0), (3.0, 5.0)]
            ]
        );
        assert!(clip_polyline(&[(11.0, 1.0), (12.0, 1.0)], r).is_empty());
        assert_eq!(clip_polyline(&[(5.0, 5.0)], r), vec![vec![(5.0, 5.0)]]);
    }

    #[test]
    fn sharp_turns_split_the_stroke() {
        // up 400 px and straight back down: the join would mitre far above the peak
        let runs = split_sharp_turns(&[(0, 500), (1, 100), (2, 500), (50, 500)]);
        assert_eq!(
            runs,
            vec![
                vec![(0, 500), (1, 100)],
                vec![(1, 100), (2, 500), (50, 500)]
            ]
        );
        // a right angle keeps one run
        assert_eq!(split_sharp_turns(&[(0, 0), (0, 10), (10, 10)]).len(), 1);
    }

    #[test]
    fn lines_break_where_a_log_axis_cannot_show_zero() {
        let xa = Axis::linear(0.0, 10.0, super::super::Quantity::Count);
        let ya = Axis::log(1.0, 1000.0, super::super::Quantity::Count);
        let l = Line::new(
            BLUE,
            &[(0.0, 10.0), (1.0, 0.0), (2.0, 100.0), (3.0, 100.0)],
            &xa,
            &ya,
        );
        assert_eq!(l.segments.len(), 2);
        assert_eq!(l.segments[0], vec![(0.0, 1.0)]);
        assert_eq!(l.segments[1], vec![(2.0, 2.0), (3.0, 2.0)]);
    }
}
