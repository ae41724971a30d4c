//! The statistics behind the distribution comparison: the chi-square test of
//! homogeneity of two value-count samples (with pooling of rare values), its
//! p-value, and the total variation distance.
//!
//! The chi-square survival function is the regularised upper incomplete gamma
//! function Q(df/2, x/2), computed by its power series below `a + 1` and by
//! Lentz's continued fraction above (the textbook split, accurate to ~1e-12
//! relative, far more than a 1e-4 threshold needs). Written here rather than
//! pulled from a crate: it is forty lines, and its unit tests pin it to
//! closed-form values.

use std::collections::BTreeMap;

/// `ln Γ(x)` for x > 0 (Lanczos, g = 7, 9 terms; reflection below 0.5).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised upper incomplete gamma `Q(a, x) = Γ(a, x) / Γ(a)`.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_pre = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // P(a, x) by its series: x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)…(a+n)).
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * ln_pre.exp()).clamp(0.0, 1.0)
    } else {
        // Continued fraction for Q (modified Lentz).
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (ln_pre.exp() * h).clamp(0.0, 1.0)
    }
}

/// `P(X ≥ x)` for X chi-square distributed with `df` degrees of freedom.
pub fn chi_square_sf(x: f64, df: usize) -> f64 {
    if df == 0 {
        return 1.0;
    }
    gamma_q(df as f64 / 2.0, x / 2.0)
}

/// Value counts of one sample (value → number of runs that produced it).
pub type Counts = BTreeMap<i64, u64>;

/// Total of a sample.
pub fn total(c: &Counts) -> u64 {
    c.values().sum()
}

/// Total variation distance: half the sum over values of |p_a − p_b|.
pub fn tvd(a: &Counts, b: &Counts) -> f64 {
    let (na, nb) = (total(a).max(1) as f64, total(b).max(1) as f64);
    let keys: std::collections::BTreeSet<i64> = a.keys().chain(b.keys()).copied().collect();
    0.5 * keys
        .into_iter()
        .map(|k| {
            let pa = a.get(&k).copied().unwrap_or(0) as f64 / na;
            let pb = b.get(&k).copied().unwrap_or(0) as f64 / nb;
            (pa - pb).abs()
        })
        .sum::<f64>()
}

/// The categories of the 2×k table: every value seen in at least `min_pooled` runs of both
/// samples together keeps its own column; the rest share one pooled column (last, if any).
/// Returns the columns as (count in a, count in b).
pub fn pooled_table(a: &Counts, b: &Counts, min_pooled: u64) -> Vec<(u64, u64)> {
    let keys: std::collections::BTreeSet<i64> = a.keys().chain(b.keys()).copied().collect();
    let mut cols = Vec::new();
    let mut rest = (0, 0);
    for k in keys {
        let (x, y) = (
            a.get(&k).copied().unwrap_or(0),
            b.get(&k).copied().unwrap_or(0),
        );
        if x + y >= min_pooled {
            cols.push((x, y));
        } else {
            rest.0 += x;
            rest.1 += y;
        }
    }
    if rest.0 + rest.1 > 0 {
        cols.push(rest);
    }
    cols
}

/// Result of a chi-square test of homogeneity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquare {
    pub statistic: f64,
    pub df: usize,
    pub p_value: f64,
}

/// Chi-square test of homogeneity of two samples over the columns of `table`
/// (expected count of a cell = row total · column total / grand total). One column (or an
/// empty sample) leaves nothing to test: p = 1.
pub fn chi_square_homogeneity(table: &[(u64, u64)]) -> ChiSquare {
    let ra: u64 = table.iter().map(|c| c.0).sum();
    let rb: u64 = table.iter().map(|c| c.1).sum();
    let n = (ra + rb) as f64;
    let cols: Vec<&(u64, u64)> = table.iter().filter(|c| c.0 + c.1 > 0).collect();
    if cols.len() < 2 || ra == 0 || rb == 0 {
        return ChiSquare {
            statistic: 0.0,
            df: 0,
            p_value: 1.0,
        };
    }
    let mut stat = 0.0;
    for c in &cols {
        let col = (c.0 + c.1) as f64;
        for (obs, row) in [(c.0, ra), (c.1, rb)] {
            let e = row as f64 * col / n;
            stat += (obs as f64 - e).powi(2) / e;
        }
    }
    let df = cols.len() - 1;
    ChiSquare {
        statistic: stat,
        df,
        p_value: chi_square_sf(stat, df),
    }
}

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for fewer than 2 values).
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    /// Reference values from the closed forms of the chi-square survival function
    /// (even df: e^{-x/2} Σ_{k<df/2} (x/2)^k/k!; odd df: erfc(√(x/2)) + series), which
    /// agree with scipy.stats.chi2.sf.
    #[test]
    fn chi_square_sf_matches_closed_forms() {
        let cases = [
            (10.0, 3, 0.018_566_135_463_043_237),
            (3.841_458_820_694_124, 1, 0.05),
            (20.0, 6, 0.002_769_395_715_511_576),
            (100.0, 60, 0.000_916_828_861_456_079_9),
            (0.5, 5, 0.992_123_293_232_629_5),
            (40.0, 4, 4.328_422_607_120_971e-8),
            (30.0, 7, 9.495_972_508_134_185e-5),
            // df = 2: exp(-x/2), so x = 2·ln(1e4) is exactly the 1e-4 threshold.
            (18.420_680_743_952_367, 2, 1e-4),
        ];
        for (x, df, want) in cases {
            let got = chi_square_sf(x, df);
            assert!(close(got, want, 1e-9), "sf({x}, {df}) = {got}, want {want}");
        }
        assert_eq!(chi_square_sf(0.0, 3), 1.0);
        assert_eq!(chi_square_sf(5.0, 0), 1.0);
    }

    #[test]
    fn ln_gamma_known_values() {
        assert!(ln_gamma(1.0).abs() < 1e-12);
        assert!((ln_gamma(5.0) - 24.0_f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(30.5) - 72.953_471_184_169_4).abs() < 1e-9);
    }

    fn counts(pairs: &[(i64, u64)]) -> Counts {
        pairs.iter().copied().collect()
    }

    #[test]
    fn tvd_basics() {
        let a = counts(&[(1, 150), (2, 150)]);
        let b = counts(&[(1, 210), (2, 90)]);
        assert!((tvd(&a, &b) - 0.2).abs() < 1e-12);
        assert_eq!(tvd(&a, &a), 0.0);
        // disjoint supports: distance 1; different sample sizes use proportions
        assert!((tvd(&counts(&[(1, 10)]), &counts(&[(2, 300)])) - 1.0).abs() < 1e-12);
        assert!((tvd(&counts(&[(1, 10)]), &counts(&[(1, 300)]))).abs() < 1e-12);
    }

    /// Values seen in fewer than 10 runs of both samples together share one column.
    #[test]
    fn pooling_merges_rare_values_only() {
        let a = counts(&[(1, 3), (2, 200), (3, 97), (9, 0)]);
        let b = counts(&[(1, 4), (2, 190), (3, 100), (7, 6)]);
        // 1: 7 runs, 7: 6 runs → pooled (13 together); 2 and 3 keep their columns.
        assert_eq!(
            pooled_table(&a, &b, 10),
            vec![(200, 190), (97, 100), (3, 10)]
        );
        // nothing rare: no pooled column
        assert_eq!(pooled_table(&a, &a, 1), vec![(3, 3), (200, 200), (97, 97)]);
    }

    /// 2×2 table by hand: (211, 89) vs (150, 150): expected 180.5/119.5 per row,
    /// statistic = Σ (O−E)²/E = 2·30.5²/180.5 + 2·30.5²/119.5 = 26.0 (df 1).
    #[test]
    fn homogeneity_statistic_by_hand() {
        let t = chi_square_homogeneity(&[(211, 150), (89, 150)]);
        let want = 2.0 * 30.5f64.powi(2) / 180.5 + 2.0 * 30.5f64.powi(2) / 119.5;
        assert!((t.statistic - want).abs() < 1e-9, "{t:?}");
        assert_eq!(t.df, 1);
        assert!(t.p_value < 1e-4);
        // identical samples: statistic 0, p = 1; a single column: nothing to test
        let same = chi_square_homogeneity(&[(100, 100), (200, 200)]);
        assert!(same.statistic.abs() < 1e-12 && (same.p_value - 1.0).abs() < 1e-12);
        assert_eq!(chi_square_homogeneity(&[(300, 300)]).p_value, 1.0);
    }

    #[test]
    fn mean_sd_sample() {
        let (m, s) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((m - 5.0).abs() < 1e-12);
        assert!((s - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_sd(&[3.0]), (3.0, 0.0));
    }
}
