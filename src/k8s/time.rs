//! `metav1.Time` text: RFC 3339 parsing and formatting shared by the wire
//! encoder (protobuf `Timestamp{seconds, nanos}`), the trigger-time tracker
//! (comparisons, RFC3339Nano annotation values) and the simulator (simulated
//! instants to API timestamps). One implementation, so the three can never
//! disagree on a date.

/// An instant with nanosecond precision (seconds since the Unix epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

/// Seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z) since the Unix epoch.
pub const GO_ZERO_TIME_UNIX: i64 = -62_135_596_800;

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn digits(s: &[u8]) -> Option<i64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0i64, |acc, c| {
        acc.checked_mul(10)?.checked_add(i64::from(c - b'0'))
    })
}

impl Timestamp {
    /// Parses RFC 3339 (`2026-01-05T09:00:00Z`, optional fraction, `Z` or `±hh:mm`) as Go's
    /// `time.Parse(time.RFC3339, ..)` (used by `metav1.Time.UnmarshalJSON`) accepts it: the day
    /// must exist in its month, and fraction digits beyond nanoseconds are dropped.
    pub fn parse(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        let sep = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
            return None;
        }
        let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        let (h, mi, se) = (
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(b.get(17..19)?)?,
        );
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || se > 59
        {
            return None;
        }
        let mut i = 19;
        let mut nanos: u32 = 0;
        if sep(i, b'.') {
            let start = i + 1;
            let mut j = start;
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j == start {
                return None;
            }
            let kept = &b[start..j.min(start + 9)];
            let frac = digits(kept)?;
            nanos = u32::try_from(frac * 10i64.pow(9 - kept.len() as u32)).ok()?;
            i = j;
        }
        let offset = match b.get(i..)? {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
                let (oh, om) = (digits(&[*oh1, *oh2])?, digits(&[*om1, *om2])?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = oh * 3600 + om * 60;
                if *sign == b'+' {
                    off
                } else {
                    -off
                }
            }
            _ => return None,
        };
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
        Some(Timestamp { secs, nanos })
    }

    /// Go `t.UTC().Format(time.RFC3339Nano)`: fraction without trailing zeros, omitted when 0.
    /// With `nanos == 0` this is also `metav1.Time`'s seconds-precision JSON form.
    pub fn to_rfc3339_nano(&self) -> String {
        let (y, m, d) = civil_from_days(self.secs.div_euclid(86_400));
        let rem = self.secs.rem_euclid(86_400);
        if (0..=9999).contains(&y) {
            // Digits written directly: the formatter's machinery costs more than the text
            // (every pod the controller manager reads carries half a dozen of these).
            let mut b = [0u8; 30];
            let two = |b: &mut [u8], at: usize, v: i64| {
                b[at] = b'0' + (v / 10) as u8;
                b[at + 1] = b'0' + (v % 10) as u8;
            };
            two(&mut b, 0, y / 100);
            two(&mut b, 2, y % 100);
            b[4] = b'-';
            two(&mut b, 5, m);
            b[7] = b'-';
            two(&mut b, 8, d);
            b[10] = b'T';
            two(&mut b, 11, rem / 3600);
            b[13] = b':';
            two(&mut b, 14, (rem / 60) % 60);
            b[16] = b':';
            two(&mut b, 17, rem % 60);
            let mut n = 19;
            if self.nanos > 0 {
                b[n] = b'.';
                n += 1;
                let mut f = self.nanos;
                let mut digits = [0u8; 9];
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (f % 10) as u8;
                    f /= 10;
                }
                let keep = 9 - digits.iter().rev().take_while(|&&d| d == b'0').count();
                b[n..n + keep].copy_from_slice(&digits[..keep]);
                n += keep;
            }
            b[n] = b'Z';
            n += 1;
            return String::from_utf8_lossy(&b[..n]).into_owned();
        }
        let mut s = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            rem / 3600,
            (rem / 60) % 60,
            rem % 60
        );
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }

    /// `metav1.Time` JSON text (seconds precision, UTC) of a Unix time.
    pub fn seconds_text(secs: i64) -> String {
        Timestamp { secs, nanos: 0 }.to_rfc3339_nano()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct digit writer against the formatter it replaced.
    #[test]
    fn digits_agree_with_the_formatter() {
        let slow = |t: &Timestamp| {
            let (y, m, d) = civil_from_days(t.secs.div_euclid(86_400));
            let rem = t.secs.rem_euclid(86_400);
            let mut s = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                rem / 3600,
                (rem / 60) % 60,
                rem % 60
            );
            if t.nanos > 0 {
                let frac = format!("{:09}", t.nanos);
                s.push('.');
                s.push_str(frac.trim_end_matches('0'));
            }
            s.push('Z');
            s
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..20_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 300_000_000_000) as i64 - 62_135_596_800 + i;
            let nanos = match i % 4 {
                0 => 0,
                1 => (x % 1_000_000_000) as u32,
                2 => (x % 1000) as u32 * 1_000_000,
                _ => 1,
            };
            let t = Timestamp { secs, nanos };
            assert_eq!(t.to_rfc3339_nano(), slow(&t), "{t:?}");
        }
    }

    #[test]
    fn parse_and_format_round_trip() {
        for s in [
            "1970-01-01T00:00:00Z",
            "2026-01-05T09:00:00Z",
            "2024-02-29T23:59:59.5Z",
            "0001-01-01T00:00:00Z",
        ] {
            let t = Timestamp::parse(s).unwrap();
            assert_eq!(t.to_rfc3339_nano(), s);
        }
        assert_eq!(
            Timestamp::parse("0001-01-01T00:00:00Z").unwrap().secs,
            GO_ZERO_TIME_UNIX
        );
    }

    #[test]
    fn offsets_and_long_fractions_follow_go() {
        let t = Timestamp::parse("2026-01-05T10:00:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339_nano(), "2026-01-05T09:00:00Z");
        let t = Timestamp::parse("2026-01-05T09:00:00.1234567891Z").unwrap();
        assert_eq!(t.nanos, 123_456_789);
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01",
            "",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }
}
