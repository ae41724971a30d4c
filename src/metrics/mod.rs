//! Counters, histograms and per-second time series for the traffic model, and the Prometheus
//! text exposition writer (`metrics.prom`; the CSV files are built by `report`).
//! Everything here is pure and deterministic: maps are `BTreeMap`s, floats are only formatted,
//! never iterated in hash order.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Exact sample store for a latency-like quantity (nanoseconds). Samples are kept (one per
/// write, not per watcher), so percentiles are exact (nearest-rank).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    values: Vec<u64>,
    sorted: bool,
}

impl Samples {
    pub fn push(&mut self, v: u64) {
        self.values.push(v);
        self.sorted = false;
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    fn sort(&mut self) {
        if !self.sorted {
            self.values.sort_unstable();
            self.sorted = true;
        }
    }
    /// Nearest-rank percentile (`p` in 0..=100); `None` when empty.
    pub fn percentile(&mut self, p: f64) -> Option<u64> {
        self.sort();
        percentile_sorted(&self.values, p)
    }
    /// All samples, ascending.
    pub fn sorted_values(&mut self) -> &[u64] {
        self.sort();
        &self.values
    }
    pub fn max(&self) -> Option<u64> {
        self.values.iter().copied().max()
    }
    pub fn mean(&self) -> Option<f64> {
        if self.values.is_empty() {
            return None;
        }
        let s: u128 = self.values.iter().map(|&v| u128::from(v)).sum();
        Some(s as f64 / self.values.len() as f64)
    }
}

/// Nearest-rank percentile of an ascending slice.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let p = if p.is_nan() {
        100.0
    } else {
        p.clamp(0.0, 100.0)
    };
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A Prometheus-style cumulative histogram with fixed upper bounds and weighted observations
/// (one observation can stand for `n` identical watch events).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub bounds: Vec<f64>,
    /// Non-cumulative counts per bucket; the last entry is `+Inf`.
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: Vec<f64>) -> Self {
        let n = bounds.len();
        Histogram {
            bounds,
            counts: vec![0; n + 1],
            sum: 0.0,
            count: 0,
        }
    }
    /// `apiserver_watch_events_sizes` buckets: `prometheus.ExponentialBuckets(1024, 2.0, 8)`
    /// (kubernetes/apiserver :: pkg/endpoints/metrics/metrics.go :: WatchEventsSizes).
    pub fn watch_event_sizes() -> Self {
        Histogram::new((0..8).map(|i| 1024.0 * f64::from(1u32 << i)).collect())
    }
    pub fn observe_n(&mut self, v: f64, n: u64) {
        if n == 0 {
            return;
        }
        let i = self
            .bounds
            .iter()
            .position(|&b| v <= b)
            .unwrap_or(self.bounds.len());
        self.counts[i] += n;
        self.sum += v * n as f64;
        self.count += n;
    }
}

/// One per-second bucket of traffic for one mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondBucket {
    pub writes: u64,
    pub watch_events: u64,
    pub bytes_out: u64,
    /// Bytes one kube-proxy (node) received in this second.
    pub bytes_per_node: u64,
}

/// Per-second time series keyed by whole simulated seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeSeries {
    pub buckets: BTreeMap<u64, SecondBucket>,
}

impl TimeSeries {
    pub fn at(&mut self, time_ns: u64) -> &mut SecondBucket {
        self.buckets.entry(time_ns / 1_000_000_000).or_default()
    }
}

/// One sample of a Prometheus metric family.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSample {
    /// Full sample name (e.g. `apiserver_watch_events_sizes_bucket`).
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// A metric family (`# HELP`, `# TYPE`, samples).
#[derive(Debug, Clone, PartialEq)]
pub struct PromFamily {
    pub name: String,
    pub help: String,
    /// `counter`, `gauge` or `histogram`.
    pub kind: &'static str,
    pub samples: Vec<PromSample>,
}

impl PromFamily {
    pub fn new(name: &str, kind: &'static str, help: &str) -> Self {
        PromFamily {
            name: name.into(),
            help: help.into(),
            kind,
            samples: Vec::new(),
        }
    }
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        self.samples.push(PromSample {
            name: self.name.clone(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        });
    }
    /// Append a histogram's `_bucket` (cumulative, with `le`), `_sum` and `_count` samples.
    pub fn push_histogram(&mut self, labels: &[(&str, &str)], h: &Histogram) {
        let mut cum = 0u64;
        for (i, c) in h.counts.iter().enumerate() {
            cum += c;
            let le = h
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| format_value(*b));
            let mut l: Vec<(String, String)> = labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            l.push(("le".into(), le));
            self.samples.push(PromSample {
                name: format!("{}_bucket", self.name),
                labels: l,
                value: cum as f64,
            });
        }
        let base: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples.push(PromSample {
            name: format!("{}_sum", self.name),
            labels: base.clone(),
            value: h.sum,
        });
        self.samples.push(PromSample {
            name: format!("{}_count", self.name),
            labels: base,
            value: h.count as f64,
        });
    }
}

/// Prometheus number formatting: integers without a fraction, `+Inf`, `NaN`.
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('"', "\\\"")
}

/// Prometheus text exposition format 0.0.4.
pub fn prometheus_text(families: &[PromFamily]) -> String {
    let mut out = String::new();
    for f in families {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help.replace('\n', " "));
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for s in &f.samples {
            out.push_str(&s.name);
            if !s.labels.is_empty() {
                out.push('{');
                for (i, (k, v)) in s.labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}=\"{}\"", escape_label(v));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", format_value(s.value));
        }
    }
    out
}

/// Parse Prometheus text back into `(sample name, labels, value)` (comments skipped). Used by
/// tests to check the writer; errors name the offending line.
pub fn parse_prometheus_text(text: &str) -> Result<Vec<PromSample>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("line {}: cannot parse {line:?}", n + 1);
        let (head, value) = line.rsplit_once(' ').ok_or_else(bad)?;
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse::<f64>().map_err(|_| bad())?,
        };
        let (name, labels) = match head.split_once('{') {
            None => (head.to_string(), Vec::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').ok_or_else(bad)?;
                let mut labels = Vec::new();
                let mut chars = body.chars().peekable();
                while chars.peek().is_some() {
                    let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
                    if chars.next() != Some('"') {
                        return Err(bad());
                    }
                    let mut val = String::new();
                    loop {
                        match chars.next().ok_or_else(bad)? {
                            '\\' => match chars.next().ok_or_else(bad)? {
                                'n' => val.push('\n'),
                                c => val.push(c),
                            },
                            '"' => break,
                            c => val.push(c),
                        }
                    }
                    labels.push((key, val));
                    if chars.peek() == Some(&',') {
                        chars.next();
                    }
                }
                (name.to_string(), labels)
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            return Err(bad());
        }
        out.push(PromSample {
            name,
            labels,
            value,
        });
    }
    Ok(out)
}

/// A number as the contract prints it: integral values without a fraction, others with the
/// shortest `{}` representation that reads back to the same f64.
pub fn fmt_f64(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut s = Samples::default();
        for v in (1..=100).rev() {
            s.push(v);
        }
        assert_eq!(s.percentile(50.0), Some(50));
        assert_eq!(s.percentile(99.0), Some(99));
        assert_eq!(s.percentile(100.0), Some(100));
        assert_eq!(s.percentile(0.0), Some(1));
        assert_eq!(Samples::default().percentile(50.0), None);
    }

    #[test]
    fn histogram_weighted_and_prometheus_round_trip() {
        let mut h = Histogram::watch_event_sizes();
        h.observe_n(1000.0, 5000);
        h.observe_n(200_000.0, 2);
        assert_eq!(h.count, 5002);
        assert_eq!(h.counts[0], 5000);
        assert_eq!(*h.counts.last().unwrap(), 2);
        let mut f = PromFamily::new("apiserver_watch_events_sizes", "histogram", "sizes");
        f.push_histogram(&[("kind", "EndpointSlice")], &h);
        let mut c = PromFamily::new("slicesim_x_total", "counter", "a \"quoted\" help");
        c.push(&[("mode", "end\"points")], 3.0);
        let text = prometheus_text(&[f, c]);
        let parsed = parse_prometheus_text(&text).unwrap();
        let inf = parsed
            .iter()
            .find(|s| s.labels.iter().any(|(k, v)| k == "le" && v == "+Inf"))
            .unwrap();
        assert_eq!(inf.value, 5002.0);
        let x = parsed
            .iter()
            .find(|s| s.name == "slicesim_x_total")
            .unwrap();
        assert_eq!(x.labels[0].1, "end\"points");
        assert!(parse_prometheus_text("bad{ 1").is_err());
    }
}
