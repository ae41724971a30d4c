//! Small statistics for charts: quantiles, empirical CDFs, time binning, min/mean/max.

/// Nearest-rank quantile of ascending `sorted` values (`q` in 0..=1): the smallest value with
/// at least `q` of the values at or below it, the usual definition of "p99 of the nodes".
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || !q.is_finite() {
        return None;
    }
    let q = q.clamp(0.0, 1.0);
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Ascending copy of the finite values of `values` (total order, so NaN never reaches a chart).
pub fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Empirical CDF of `values` as the corners of its step line: starts at `(min, 0)`, rises
/// vertically at each distinct value to the fraction of values `<=` it, ends at `(max, 1)`.
pub fn ecdf(values: &[f64]) -> Vec<(f64, f64)> {
    let v = sorted_finite(values);
    let n = v.len() as f64;
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let x = v[i];
        let below = i as f64 / n;
        while i < v.len() && v[i] == x {
            i += 1;
        }
        out.push((x, below));
        out.push((x, i as f64 / n));
    }
    out
}

/// Points `(x, y)` reduced to at most `max_points` by averaging runs of `k` consecutive points
/// (x = first x of the run, y = mean); returns the points and `k`. Per-second rates stay
/// rates (a mean of B/s is B/s), so the y axis keeps its unit.
pub fn bin_mean(points: &[(f64, f64)], max_points: usize) -> (Vec<(f64, f64)>, usize) {
    let max_points = max_points.max(1);
    if points.len() <= max_points {
        return (points.to_vec(), 1);
    }
    let k = points.len().div_ceil(max_points);
    let out = points
        .chunks(k)
        .map(|c| (c[0].0, c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64))
        .collect();
    (out, k)
}

/// (min, mean, max) of finite values; `None` when there are none.
pub fn min_mean_max(values: &[f64]) -> Option<(f64, f64, f64)> {
    let v = sorted_finite(values);
    let first = *v.first()?;
    let last = *v.last()?;
    Some((first, v.iter().sum::<f64>() / v.len() as f64, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(50.0));
        assert_eq!(quantile_sorted(&v, 0.99), Some(99.0));
        assert_eq!(quantile_sorted(&v, 1.0), Some(100.0));
        assert_eq!(quantile_sorted(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0], 0.5), Some(2.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(quantile_sorted(&[1.0], f64::NAN), None);
        // out-of-range q is clamped, never indexes out of bounds
        assert_eq!(quantile_sorted(&[1.0, 2.0], 7.0), Some(2.0));
    }

    #[test]
    fn ecdf_steps() {
        let c = ecdf(&[3.0, 1.0, 3.0, f64::NAN, 2.0]);
        assert_eq!(
            c,
            vec![
                (1.0, 0.0),
                (1.0, 0.25),
                (2.0, 0.25),
                (2.0, 0.5),
                (3.0, 0.5),
                (3.0, 1.0)
            ]
        );
        assert!(ecdf(&[]).is_empty());
    }

    #[test]
    fn binning_keeps_rates() {
        let p: Vec<(f64, f64)> = (0..10).map(|i| (f64::from(i), f64::from(i))).collect();
        let (same, k) = bin_mean(&p, 10);
        assert_eq!((same.len(), k), (10, 1));
        let (b, k) = bin_mean(&p, 4);
        assert_eq!(k, 3);
        assert_eq!(b, vec![(0.0, 1.0), (3.0, 4.0), (6.0, 7.0), (9.0, 9.0)]);
    }

    #[test]
    fn min_mean_max_ignores_nan() {
        assert_eq!(
            min_mean_max(&[2.0, f64::NAN, 4.0, 0.0]),
            Some((0.0, 2.0, 4.0))
        );
        assert_eq!(min_mean_max(&[f64::NAN]), None);
    }
}
