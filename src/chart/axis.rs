//! Axis helpers: human-readable numbers (IEC bytes, seconds, SI counts) and tick placement.
//!
//! Charts draw in "plot space": linear axes map values unchanged, log axes map `v` to
//! `log10(v)`. Ticks are computed here (not by plotters) so byte axes land on round binary
//! values (0.5 MiB, 1 MiB, ... rather than 1,000,000 B = 0.95 MiB) and every label is made by
//! the formatters below, the same way on every machine.

use std::ops::Range;

/// What the numbers on an axis measure; decides the tick labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Counts (events, writes, objects): SI suffixes above 1000 (`1.5k`, `20k`).
    Count,
    /// Plain numbers without suffixes (simulated time in seconds: `1200`, not `1.2k`).
    Plain,
    /// Bytes: IEC binary units (KiB, MiB, GiB), as Kubernetes quantities and etcd limits are.
    Bytes,
    /// Durations: `ms` below one second, `s` above.
    Seconds,
    /// A fraction 0..=1 shown as a percentage.
    Fraction,
}

const BYTE_UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// Remove trailing zeros (and a trailing dot) from a decimal rendering.
fn trim_decimals(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t == "-0" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// `v` with three significant digits at most (`v` is expected in 0..1000 or a little above).
fn three_digits(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    trim_decimals(format!("{v:.decimals$}"))
}

/// Human-readable bytes in IEC binary units: `0 B`, `512 B`, `1.5 KiB`, `12.3 MiB`, `2 GiB`.
pub fn human_bytes(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v} B");
    }
    let mut a = v.abs();
    let mut i = 0;
    while i + 1 < BYTE_UNITS.len() && a >= 1024.0 {
        a /= 1024.0;
        i += 1;
    }
    // 1023.7 KiB prints as 1024: show it as 1 MiB instead
    if i + 1 < BYTE_UNITS.len() && three_digits(a) == "1024" {
        a /= 1024.0;
        i += 1;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{} {}", three_digits(a), BYTE_UNITS[i])
}

/// Human-readable count: `0`, `12`, `0.25`, `999`, `1.5k`, `20k`, `3.2M`, `1G`.
pub fn human_count(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    const SI: [&str; 5] = ["", "k", "M", "G", "T"];
    let mut a = v.abs();
    let mut i = 0;
    while i + 1 < SI.len() && a >= 1000.0 {
        a /= 1000.0;
        i += 1;
    }
    if i > 0 && i + 1 < SI.len() && three_digits(a) == "1000" {
        a /= 1000.0;
        i += 1;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{}{}", three_digits(a), SI[i])
}

/// Human-readable duration: `0 s`, `850 µs`, `250 ms`, `1.5 s`, `120 s`.
pub fn human_seconds(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v} s");
    }
    let a = v.abs();
    if a == 0.0 {
        "0 s".to_string()
    } else if a < 1e-3 {
        format!("{} µs", three_digits(v * 1e6))
    } else if a < 1.0 && three_digits(v * 1e3) != "1000" {
        format!("{} ms", three_digits(v * 1e3))
    } else {
        format!("{} s", human_count(v))
    }
}

/// A value of `q` for a legend or a label (not a tick: ticks share one unit per axis).
pub fn human(q: Quantity, v: f64) -> String {
    match q {
        Quantity::Count => human_count(v),
        Quantity::Plain => trim_decimals(format!("{v:.3}")),
        Quantity::Bytes => human_bytes(v),
        Quantity::Seconds => human_seconds(v),
        Quantity::Fraction => format!("{}%", three_digits(v * 100.0)),
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if !(span.is_finite() && span > 0.0) {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let m = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// One axis: its range in plot space, whether it is logarithmic, and its labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    /// `(position in plot space, label)`, ascending.
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A linear axis covering `min..=max` (extended outwards to whole tick steps), with
    /// about six ticks labelled in one unit chosen from the largest magnitude.
    pub fn linear(min: f64, max: f64, q: Quantity) -> Axis {
        Axis::linear_stepped(min, max, q, 0.0)
    }

    /// [`Axis::linear`] for whole numbers (slices, writes): no tick step below 1.
    pub fn linear_int(min: f64, max: f64, q: Quantity) -> Axis {
        Axis::linear_stepped(min, max, q, 1.0)
    }

    fn linear_stepped(min: f64, max: f64, q: Quantity, min_step: f64) -> Axis {
        let (mut min, mut max) = (finite_or(min, 0.0), finite_or(max, 1.0));
        if max < min {
            std::mem::swap(&mut min, &mut max);
        }
        if max - min < f64::EPSILON * max.abs().max(1.0) {
            // flat data: give it room so the line is not on the frame
            if max == 0.0 {
                max = 1.0;
            } else if min > 0.0 {
                min = 0.0;
            } else {
                max += min.abs().max(1.0);
            }
        }
        let (scale, unit) = unit_for(q, min.abs().max(max.abs()));
        let step_u = nice_step((max - min) / scale, 5).max(min_step / scale);
        let lo_k = (min / scale / step_u).floor();
        let hi_k = (max / scale / step_u).ceil();
        let decimals = (-step_u.log10().floor()).max(0.0) as usize;
        let mut ticks = Vec::new();
        let mut k = lo_k;
        while k <= hi_k + 0.5 {
            let vu = k * step_u;
            let label = match q {
                _ if vu == 0.0 => "0".to_string(),
                Quantity::Count => human_count(vu),
                Quantity::Plain => trim_decimals(format!("{:.*}", decimals, vu)),
                Quantity::Fraction => {
                    format!("{}%", trim_decimals(format!("{:.*}", decimals, vu)))
                }
                _ => format!("{} {unit}", trim_decimals(format!("{:.*}", decimals, vu))),
            };
            ticks.push((vu * scale, label));
            k += 1.0;
        }
        Axis {
            lo: lo_k * step_u * scale,
            hi: hi_k * step_u * scale,
            log: false,
            ticks,
        }
    }

    /// A base-10 logarithmic axis covering `min_positive..=max` (both > 0), with ticks at
    /// round values of `q`: 1, 32, 1024, 32 Ki... bytes (powers of 1024 with one step between)
    /// or 1, 2, 5 × 10^k for other quantities (only the powers of ten when the range is wide).
    pub fn log(min_positive: f64, max: f64, q: Quantity) -> Axis {
        let min = if min_positive.is_finite() && min_positive > 0.0 {
            min_positive
        } else {
            1.0
        };
        let max = if max.is_finite() && max > min {
            max
        } else {
            min * 10.0
        };
        let candidates: Vec<f64> = match q {
            Quantity::Bytes => (-2..=13).map(|j| 32f64.powi(j)).collect(),
            _ => {
                let decades = (max / min).log10();
                let mults: &[f64] = if decades > 3.0 {
                    &[1.0]
                } else {
                    &[1.0, 2.0, 5.0]
                };
                (-9..=15)
                    .flat_map(|e| mults.iter().map(move |m| m * 10f64.powi(e)))
                    .collect()
            }
        };
        // the largest candidate <= min and the smallest >= max (with a little tolerance)
        let lo = candidates
            .iter()
            .copied()
            .filter(|c| *c <= min * (1.0 + 1e-9))
            .fold(candidates[0], f64::max);
        let hi = candidates
            .iter()
            .copied()
            .find(|c| *c >= max * (1.0 - 1e-9))
            .unwrap_or(*candidates.last().unwrap_or(&max));
        let mut inside: Vec<f64> = candidates
            .into_iter()
            .filter(|c| *c >= lo && *c <= hi)
            .collect();
        // keep at most ~10 labels: thin to every other tick (keeping both ends' parity)
        while inside.len() > 10 {
            inside = inside.into_iter().step_by(2).collect();
        }
        let ticks = inside
            .into_iter()
            .map(|v| (v.log10(), human(q, v)))
            .collect();
        Axis {
            lo: lo.log10(),
            hi: hi.log10(),
            log: true,
            ticks,
        }
    }

    /// A categorical axis: `labels[i]` at position `i`.
    pub fn categorical(labels: &[String]) -> Axis {
        Axis {
            lo: -0.5,
            hi: labels.len().max(1) as f64 - 0.5,
            log: false,
            ticks: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (i as f64, l.clone()))
                .collect(),
        }
    }

    /// Linear from `min` (usually 0), or logarithmic when all values are positive and span
    /// at least `log_ratio` (so both modes stay readable when one is 100× the other).
    pub fn auto(values: impl IntoIterator<Item = f64>, q: Quantity, log_ratio: f64) -> Axis {
        let (mut lo, mut hi, mut lo_pos) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
            if v > 0.0 {
                lo_pos = lo_pos.min(v);
            }
        }
        if !hi.is_finite() {
            return Axis::linear(0.0, 1.0, q);
        }
        if lo > 0.0 && hi / lo >= log_ratio {
            Axis::log(lo_pos, hi, q)
        } else {
            Axis::linear(lo.min(0.0), hi, q)
        }
    }

    /// Cut the axis to exactly `min..=max` (a time axis ends where the run ends), keeping the
    /// ticks inside.
    pub fn exact(mut self, min: f64, max: f64) -> Axis {
        if !self.log && min.is_finite() && max.is_finite() && max > min {
            let tol = (max - min) * 1e-9;
            self.lo = min;
            self.hi = max;
            self.ticks.retain(|t| t.0 >= min - tol && t.0 <= max + tol);
        }
        self
    }

    /// Extend the top by `frac` of the span (room for annotations), without new ticks.
    pub fn with_headroom(mut self, frac: f64) -> Axis {
        self.hi += (self.hi - self.lo) * frac;
        self
    }

    /// `v` in plot space (`log10(v)` on a log axis, clamped to the axis bottom for v <= 0).
    pub fn pos(&self, v: f64) -> f64 {
        if self.log {
            if v > 0.0 {
                v.log10()
            } else {
                self.lo
            }
        } else {
            v
        }
    }

    /// Can `v` be drawn on this axis (a log axis cannot show 0 or negative values)?
    pub fn shows(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }

    pub fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }

    pub fn tick_positions(&self) -> Vec<f64> {
        self.ticks.iter().map(|t| t.0).collect()
    }

    /// The label of the tick at plot position `p` (empty when `p` is not a tick).
    pub fn label(&self, p: f64) -> String {
        let tol = (self.hi - self.lo).abs() * 1e-9;
        self.ticks
            .iter()
            .find(|t| (t.0 - p).abs() <= tol)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }
}

fn finite_or(v: f64, d: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        d
    }
}

/// The unit of a linear axis whose largest magnitude is `mag`: (value of one unit, name).
fn unit_for(q: Quantity, mag: f64) -> (f64, &'static str) {
    match q {
        Quantity::Count | Quantity::Plain => (1.0, ""),
        Quantity::Fraction => (0.01, "%"),
        Quantity::Seconds => {
            if mag < 1.0 {
                (1e-3, "ms")
            } else {
                (1.0, "s")
            }
        }
        Quantity::Bytes => {
            let mut i = 0;
            let mut unit = 1.0;
            while i + 1 < BYTE_UNITS.len() && mag >= unit * 1024.0 {
                unit *= 1024.0;
                i += 1;
            }
            (unit, BYTE_UNITS[i])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_uses_iec_units_and_three_digits() {
        assert_eq!(human_bytes(0.0), "0 B");
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(1023.0), "1023 B");
        assert_eq!(human_bytes(1024.0), "1 KiB");
        assert_eq!(human_bytes(1536.0), "1.5 KiB");
        assert_eq!(human_bytes(12.345 * 1024.0 * 1024.0), "12.3 MiB");
        assert_eq!(human_bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5 GiB");
        assert_eq!(human_bytes(1_500_000.0), "1.43 MiB");
        // rounding up to 1024 of a unit moves to the next unit
        assert_eq!(human_bytes(1023.9 * 1024.0), "1 MiB");
        assert_eq!(human_bytes(-2048.0), "-2 KiB");
        assert_eq!(human_bytes(0.5), "0.5 B");
    }

    #[test]
    fn human_count_and_seconds() {
        assert_eq!(human_count(0.0), "0");
        assert_eq!(human_count(12.0), "12");
        assert_eq!(human_count(0.25), "0.25");
        assert_eq!(human_count(999.0), "999");
        assert_eq!(human_count(1500.0), "1.5k");
        assert_eq!(human_count(20_000.0), "20k");
        assert_eq!(human_count(999_999.0), "1M");
        assert_eq!(human_count(3_210_000.0), "3.21M");
        assert_eq!(human_seconds(0.0), "0 s");
        assert_eq!(human_seconds(0.25), "250 ms");
        assert_eq!(human_seconds(0.0005), "500 µs");
        assert_eq!(human_seconds(0.9999), "1 s");
        assert_eq!(human_seconds(1.5), "1.5 s");
        assert_eq!(human_seconds(120.0), "120 s");
        assert_eq!(human(Quantity::Fraction, 0.5), "50%");
    }

    #[test]
    fn nice_steps_are_one_two_five() {
        assert_eq!(nice_step(100.0, 5), 20.0);
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(3.2, 5), 0.5);
        assert_eq!(nice_step(7.0, 5), 1.0);
        assert_eq!(nice_step(0.0, 5), 1.0);
        assert_eq!(nice_step(f64::NAN, 5), 1.0);
    }

    #[test]
    fn linear_byte_axis_ticks_on_round_binary_values() {
        let mib = 1024.0 * 1024.0;
        let a = Axis::linear(0.0, 3.2 * mib, Quantity::Bytes);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            labels,
            ["0", "0.5 MiB", "1 MiB", "1.5 MiB", "2 MiB", "2.5 MiB", "3 MiB", "3.5 MiB"]
        );
        assert_eq!(a.lo, 0.0);
        assert_eq!(a.hi, 3.5 * mib);
        assert_eq!(a.ticks[2].0, mib);
        // the formatter finds the tick's label from its position
        assert_eq!(a.label(mib), "1 MiB");
        assert_eq!(a.label(0.7 * mib), "");
        let b = Axis::linear(0.0, 900.0, Quantity::Bytes);
        assert_eq!(b.ticks.last().unwrap().1, "1000 B");
    }

    #[test]
    fn linear_axis_handles_flat_and_bad_input() {
        let a = Axis::linear(0.0, 0.0, Quantity::Count);
        assert!(a.hi > a.lo);
        let b = Axis::linear(5.0, 5.0, Quantity::Count);
        assert!(b.lo <= 5.0 && b.hi >= 5.0 && b.hi > b.lo);
        let c = Axis::linear(f64::NAN, f64::INFINITY, Quantity::Seconds);
        assert!(c.hi > c.lo);
        let s = Axis::linear(0.0, 0.8, Quantity::Seconds);
        assert_eq!(s.ticks[1].1, "200 ms");
        let f = Axis::linear(0.0, 1.0, Quantity::Fraction);
        assert_eq!(f.ticks.last().unwrap().1, "100%");
        assert_eq!(f.ticks[1].1, "20%");
    }

    #[test]
    fn log_axes() {
        let a = Axis::log(900.0, 3.0e6, Quantity::Bytes);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["32 B", "1 KiB", "32 KiB", "1 MiB", "32 MiB"]);
        assert!(a.log && a.lo == 32f64.log10());
        assert_eq!(a.pos(1024.0), 1024f64.log10());
        assert_eq!(a.pos(0.0), a.lo);
        assert!(!a.shows(0.0) && a.shows(1.0));
        let s = Axis::log(0.02, 3.0, Quantity::Seconds);
        let labels: Vec<&str> = s.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels.first(), Some(&"20 ms"));
        assert_eq!(labels.last(), Some(&"5 s"));
        assert!(labels.contains(&"1 s"));
        let wide = Axis::log(1.0, 1e9, Quantity::Count);
        assert!(wide.ticks.len() <= 10);
    }

    #[test]
    fn auto_picks_log_only_for_wide_positive_ranges() {
        assert!(!Axis::auto([0.0, 10.0, 5000.0], Quantity::Count, 100.0).log);
        assert!(Axis::auto([1.0, 10.0, 5000.0], Quantity::Count, 100.0).log);
        assert!(!Axis::auto([10.0, 50.0], Quantity::Count, 100.0).log);
        assert!(!Axis::auto([], Quantity::Count, 100.0).log);
    }

    #[test]
    fn integer_and_exact_axes() {
        let a = Axis::linear_int(0.0, 3.0, Quantity::Count);
        let labels: Vec<&str> = a.ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(labels, ["0", "1", "2", "3"]);
        let t = Axis::linear(0.0, 121.0, Quantity::Count).exact(0.0, 121.0);
        assert_eq!((t.lo, t.hi), (0.0, 121.0));
        assert_eq!(t.ticks.last().unwrap().1, "120");
        // simulated time: plain seconds, never `1.2k`
        let t = Axis::linear(0.0, 1200.0, Quantity::Plain);
        assert_eq!(t.ticks.last().unwrap().1, "1200");
        assert_eq!(
            Axis::linear(0.0, 1200.0, Quantity::Count)
                .ticks
                .last()
                .unwrap()
                .1,
            "1.2k"
        );
    }

    #[test]
    fn categorical_axis() {
        let a = Axis::categorical(&["1s".to_string(), "10s".to_string()]);
        assert_eq!(a.label(1.0), "10s");
        assert_eq!(a.range(), -0.5..1.5);
    }
}
