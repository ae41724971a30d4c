//! Simulated time: integer nanoseconds since the start of the run.

/// One nanosecond-based simulated time or duration.
pub type Nanos = u64;

pub const NS_PER_MS: u64 = 1_000_000;
pub const NS_PER_SEC: u64 = 1_000_000_000;

/// `s.nnnnnnnnn` — exact decimal seconds, for traces and messages (never floats).
pub fn fmt_time(t: Nanos) -> String {
    format!("{}.{:09}", t / NS_PER_SEC, t % NS_PER_SEC)
}

/// Whole seconds of `t`, truncated (Kubernetes `metav1.Time` has second precision on the wire).
pub fn whole_secs(t: Nanos) -> u64 {
    t / NS_PER_SEC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_time_is_exact_decimal() {
        assert_eq!(fmt_time(0), "0.000000000");
        assert_eq!(fmt_time(1_500_000_001), "1.500000001");
        assert_eq!(whole_secs(2_999_999_999), 2);
    }
}
