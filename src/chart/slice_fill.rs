//! `slice_fill`: how full the controller's EndpointSlices are over time (fragmentation).
//!
//! The EndpointSlice reconciler never repacks or merges existing slices: a slice that loses
//! endpoints is updated in place and new endpoints go first into slices already being updated
//! (upstream `reconcileByPortMapping` / `getSliceToFill`), so churn and rolling updates leave
//! partly-filled slices — more objects, more watch events per endpoint change.
//! Top: a heatmap of the share of slices in each fill bucket per sample; bottom: the number
//! of slices.

use super::axis::{Axis, Quantity};
use super::draw::{self, Line, Panel, RunContext};
use super::{Chart, DrawErr};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;

/// Sequential, colour-blind-safe and greyscale-monotonic (the viridis colormap, sampled at
/// 0, ¼, ½, ¾, 1 and interpolated linearly).
const VIRIDIS: [(u8, u8, u8); 5] = [
    (0x44, 0x01, 0x54),
    (0x3B, 0x52, 0x8B),
    (0x21, 0x91, 0x8C),
    (0x5E, 0xC9, 0x62),
    (0xFD, 0xE7, 0x25),
];

/// Colour of `share` (0..=1).
pub fn viridis(share: f64) -> RGBColor {
    let s = if share.is_finite() {
        share.clamp(0.0, 1.0)
    } else {
        0.0
    } * (VIRIDIS.len() - 1) as f64;
    let i = (s.floor() as usize).min(VIRIDIS.len() - 2);
    let f = s - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

pub struct SliceFillChart {
    subtitle: String,
    /// `(t0, t1, bucket, share)` cells with at least one slice.
    cells: Vec<(f64, f64, usize, f64)>,
    x: Axis,
    totals: Panel,
}

impl SliceFillChart {
    /// `None` when no sample has a slice (e.g. a scenario without controller-managed slices).
    pub fn new(samples: &BTreeMap<u64, [f64; 10]>, ctx: &RunContext) -> Option<SliceFillChart> {
        let rows: Vec<(f64, [f64; 10])> = samples
            .iter()
            .map(|(ms, b)| (*ms as f64 / 1000.0, *b))
            .collect();
        if rows.iter().all(|r| r.1.iter().sum::<f64>() <= 0.0) {
            return None;
        }
        let step = if rows.len() >= 2 {
            rows[1].0 - rows[0].0
        } else {
            1.0
        };
        let end = rows.last().map(|r| r.0 + step).unwrap_or(1.0);
        let x = Axis::linear(0.0, end, Quantity::Plain).exact(0.0, end);
        let mut cells = Vec::new();
        let mut totals = Vec::new();
        for (i, (t, buckets)) in rows.iter().enumerate() {
            let t1 = rows.get(i + 1).map(|r| r.0).unwrap_or(t + step);
            let total: f64 = buckets.iter().sum();
            totals.push((*t, total));
            if total > 0.0 {
                for (b, c) in buckets.iter().enumerate() {
                    if *c > 0.0 {
                        cells.push((*t, t1, b, c / total));
                    }
                }
            }
        }
        let y = Axis::linear_int(
            0.0,
            totals.iter().map(|p| p.1).fold(0.0, f64::max),
            Quantity::Count,
        );
        let line = Line::new(draw::BLUE, &totals, &x, &y);
        Some(SliceFillChart {
            subtitle: ctx.subtitle.clone(),
            cells,
            totals: Panel {
                title: Some("controller-managed EndpointSlices".into()),
                x: x.clone(),
                y,
                x_desc: "simulated time (s)".into(),
                y_desc: "slices".into(),
                lines: vec![line],
                markers: Vec::new(),
            },
            x,
        })
    }
}

impl Chart for SliceFillChart {
    fn size(&self) -> (u32, u32) {
        (1100, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = draw::frame(
            root,
            "EndpointSlice fill over time (endpoints ÷ max endpoints per slice)",
            &self.subtitle,
            &[],
        )?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h * 62 / 100);
        let (w, _) = top.dim_in_pixel();
        let (heat, bar) = top.split_horizontally(w - 110);

        let y = Axis::linear(0.0, 1.0, Quantity::Fraction);
        let mut chart = ChartBuilder::on(&heat)
            .margin_right(18)
            .margin_top(4)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(self.x.clone(), y.clone())
            .de()?;
        let xf = |v: &f64| self.x.label(*v);
        let yf = |v: &f64| y.label(*v);
        chart
            .configure_mesh()
            .y_desc("slice fill (share of capacity used)")
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style(draw::text(13.0))
            .axis_desc_style(draw::text(14.0))
            .bold_line_style(draw::GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(draw::MUTED.stroke_width(1))
            .draw()
            .de()?;
        chart
            .draw_series(self.cells.iter().map(|(t0, t1, b, share)| {
                Rectangle::new(
                    [(*t0, *b as f64 / 10.0), (*t1, (*b + 1) as f64 / 10.0)],
                    viridis(*share).filled(),
                )
            }))
            .de()?;

        // colour bar: share of the slices of a sample that fall in a bucket
        let bar = bar.margin(14, 56, 16, 40);
        let (bw, bh) = bar.dim_in_pixel();
        bar.draw(&Text::new(
            "share of slices",
            (0, 0),
            draw::text(13.0).pos(Pos::new(HPos::Left, VPos::Top)),
        ))
        .de()?;
        let top_px = 24;
        let span = (bh as i32 - top_px).max(10);
        for i in 0..span {
            let share = 1.0 - f64::from(i) / f64::from(span - 1);
            bar.draw(&Rectangle::new(
                [(0, top_px + i), (18.min(bw as i32), top_px + i + 1)],
                viridis(share).filled(),
            ))
            .de()?;
        }
        for k in 0..=4 {
            let share = f64::from(k) / 4.0;
            let py = top_px + ((1.0 - share) * f64::from(span - 1)).round() as i32;
            bar.draw(&Text::new(
                format!("{}%", k * 25),
                (24, py),
                draw::text(12.0).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .de()?;
        }

        draw::draw_panel(&bottom.margin(8, 0, 0, 110), &self.totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x91, 0x8C));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
    }
}
