//! Parsers for the small value languages of scenario files: human durations, ranges,
//! percentages, rates, CPU quantities, CIDRs, label selectors and Kubernetes name rules.
//! Each returns `Err(message)` describing what is allowed; callers add location and path.

use super::model::{
    Cidr, DurationDist, IntOrPercent, LabelSelector, Nanos, Requirement, SelectorOp,
};
use std::net::IpAddr;

const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

pub const DURATION_HELP: &str =
    "a duration such as \"500ms\", \"30s\", \"5m\", \"2h\" or \"1m30s\" (units ns, us, ms, s, m, h, d)";

/// Parse `"1m30s"`, `"500ms"`, `"1.5s"`, `"0"` into nanoseconds (exact decimal arithmetic).
pub fn parse_duration(text: &str) -> Result<Nanos, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not {DURATION_HELP}");
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let num = &rest[..num_len];
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let mult = UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(bad)?;
        let (int, frac) = match num.split_once('.') {
            Some((i, f)) => (i, f),
            None => (num, ""),
        };
        if int.is_empty() && frac.is_empty() || frac.contains('.') || int.len() > 20 {
            return Err(bad());
        }
        let int_v: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| bad())?
        };
        let mut part = int_v.checked_mul(mult).ok_or_else(bad)?;
        let mut scale = mult;
        for c in frac.chars() {
            scale /= 10;
            let d = u128::from(c.to_digit(10).ok_or_else(bad)?);
            if scale == 0 {
                if d != 0 {
                    return Err(format!("{s:?} is more precise than 1ns"));
                }
                continue;
            }
            part = part.checked_add(d * scale).ok_or_else(bad)?;
        }
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    u64::try_from(total).map_err(|_| format!("{s:?} is too long (max about 584 years)"))
}

/// Render nanoseconds the way users write them (`"1m30s"`, `"500ms"`, `"0s"`).
pub fn format_duration(ns: Nanos) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = u128::from(ns);
    for (u, m) in [
        ("h", 3_600_000_000_000u128),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if rest >= m {
            out.push_str(&format!("{}{u}", rest / m));
            rest %= m;
        }
    }
    out
}

pub const RANGE_HELP: &str = "a duration (\"10s\") or a uniform range \"min..max\" (\"5s..15s\")";

/// `"5s..15s"` (uniform, inclusive) or a single duration (fixed).
pub fn parse_duration_dist(text: &str) -> Result<DurationDist, String> {
    let s = text.trim();
    if let Some((a, b)) = s.split_once("..") {
        let b = b.strip_prefix('=').unwrap_or(b);
        let min = parse_duration(a).map_err(|_| format!("{s:?} is not {RANGE_HELP}"))?;
        let max = parse_duration(b).map_err(|_| format!("{s:?} is not {RANGE_HELP}"))?;
        if min > max {
            return Err(format!(
                "range {s:?} has its minimum above its maximum (write \"min..max\")"
            ));
        }
        Ok(DurationDist::uniform(min, max))
    } else {
        parse_duration(s)
            .map(DurationDist::fixed)
            .map_err(|_| format!("{s:?} is not {RANGE_HELP}"))
    }
}

/// `"25%"` → Percent(25). Kubernetes only accepts whole percents (`intstr` "%d%%").
pub fn parse_percent(text: &str) -> Result<IntOrPercent, String> {
    let s = text.trim();
    let p = s
        .strip_suffix('%')
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| format!("{s:?} is not a whole percentage like \"25%\" or a count like 3"))?;
    Ok(IntOrPercent::Percent(p))
}

/// `"10/s"`, `"30/m"`, `"0.5/s"`, `"100/h"` → mean interval between events in ns.
pub fn parse_rate(text: &str) -> Result<Nanos, String> {
    let s = text.trim();
    let bad =
        || format!("{s:?} is not a rate like \"10/s\", \"30/m\" or \"100/h\" (greater than 0)");
    let (num, unit) = s.split_once('/').ok_or_else(bad)?;
    let unit_ns: u128 = match unit.trim() {
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(bad()),
    };
    let num = num.trim();
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || int.len() + frac.len() > 18
    {
        return Err(bad());
    }
    // rate = digits / 10^frac_len per unit → interval = unit × 10^frac_len / digits.
    let digits: u128 = format!("{int}{frac}").parse().map_err(|_| bad())?;
    if digits == 0 {
        return Err(bad());
    }
    let scale = 10u128.pow(frac.len() as u32);
    let interval = unit_ns * scale / digits;
    if interval == 0 {
        return Err(format!("{s:?} is faster than one event per nanosecond"));
    }
    u64::try_from(interval).map_err(|_| bad())
}

pub const BYTES_HELP: &str =
    "a byte size such as \"1GiB\", \"500MB\", \"1.5MiB\" or an integer number of bytes (units B, KB, MB, GB, TB = powers of 1000; KiB, MiB, GiB, TiB or Ki, Mi, Gi, Ti = powers of 1024)";

pub const BYTE_RATE_HELP: &str =
    "a byte rate such as \"100MiB/s\", \"1GB/s\" or \"512KiB/s\" (a byte size per second)";

/// Byte size units: SI (what network links are sold in) and binary (what the etcd limit and
/// the README's human bytes use), with Kubernetes-quantity spellings (`Mi`) accepted too.
const BYTE_UNITS: &[(&str, u128)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", 1 << 10),
    ("MiB", 1 << 20),
    ("GiB", 1 << 30),
    ("TiB", 1 << 40),
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("Ti", 1 << 40),
];

/// `"1GiB"`, `"1.5MiB"`, `"100MB"`, `"4096"` → bytes (exact decimal arithmetic, rounded down
/// to whole bytes). Must be greater than 0: a zero budget is never what the author meant.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not {BYTES_HELP}, greater than 0");
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = (&s[..split], s[split..].trim());
    let mult = if unit.is_empty() {
        1
    } else {
        BYTE_UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, m)| *m)
            .ok_or_else(bad)?
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.contains('.')
        || int.len() + frac.len() > 24
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let digits: u128 = format!("{int}{frac}").parse().map_err(|_| bad())?;
    let v = digits
        .checked_mul(mult)
        .map(|x| x / 10u128.pow(frac.len() as u32))
        .ok_or_else(bad)?;
    if v == 0 {
        return Err(bad());
    }
    u64::try_from(v).map_err(|_| format!("{s:?} is too large (at most {} bytes)", u64::MAX))
}

/// `"100MiB/s"` → bytes per second.
pub fn parse_byte_rate(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not {BYTE_RATE_HELP}, greater than 0");
    let size = s.strip_suffix("/s").ok_or_else(bad)?;
    parse_bytes(size).map_err(|_| bad())
}

/// CPU quantity: `"4"`, `"3.5"`, `"3500m"` → millicores.
pub fn parse_cpu(text: &str) -> Result<u64, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not a CPU quantity like \"4\", \"3.5\" or \"3500m\"");
    if let Some(m) = s.strip_suffix('m') {
        return m.parse::<u64>().map_err(|_| bad());
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 3 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let i: u64 = int.parse().map_err(|_| bad())?;
    let f: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().map_err(|_| bad())?
    };
    i.checked_mul(1000)
        .and_then(|v| v.checked_add(f))
        .ok_or_else(bad)
}

/// `"10.244.0.0/16"`; host bits must be zero.
pub fn parse_cidr(text: &str) -> Result<Cidr, String> {
    let s = text.trim();
    let bad = || format!("{s:?} is not a CIDR like \"10.244.0.0/16\" or \"fd00:10:244::/56\"");
    let (a, p) = s.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = a.parse().map_err(|_| bad())?;
    let prefix_len: u8 = p.parse().map_err(|_| bad())?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    if prefix_len > bits {
        return Err(format!(
            "{s:?}: prefix length {prefix_len} is longer than {bits}"
        ));
    }
    let c = Cidr { addr, prefix_len };
    // Host bits must be zero: the network's first address must equal the given address.
    if !host_bits_zero(&c) {
        return Err(format!(
            "{s:?} has host bits set (did you mean the network address?)"
        ));
    }
    Ok(c)
}

fn host_bits_zero(c: &Cidr) -> bool {
    let (v, bits) = match c.addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32u32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host = bits - u32::from(c.prefix_len);
    if host == 0 {
        return true;
    }
    if host >= 128 {
        return v == 0;
    }
    v & ((1u128 << host) - 1) == 0
}

/// RFC 1123 label (Service names, port names, hostnames): ≤ 63 chars, `[a-z0-9-]`,
/// starting and ending alphanumeric. (apimachinery `IsDNS1123Label`.)
pub fn check_dns1123_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)"
        ))
    }
}

/// Service names must additionally start with a letter (apimachinery `IsDNS1035Label`).
pub fn check_dns1035_label(s: &str) -> Result<(), String> {
    check_dns1123_label(s)?;
    if s.starts_with(|c: char| c.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must start with a lower-case letter (DNS-1035 label)"
        ))
    }
}

/// RFC 1123 subdomain (Deployment and node names): ≤ 253 chars, dot-separated labels.
pub fn check_dns1123_subdomain(s: &str) -> Result<(), String> {
    let ok =
        !s.is_empty() && s.len() <= 253 && s.split('.').all(|l| check_dns1123_label(l).is_ok());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)"
        ))
    }
}

/// IANA service name (named container/target ports): ≤ 15 chars, `[a-z0-9-]`, at least one
/// letter, no leading/trailing/double '-'. (apimachinery `IsValidPortName`.)
pub fn check_port_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid port name (at most 15 lower-case letters, digits and '-', with at least one letter, no leading, trailing or double '-')"
        ))
    }
}

/// Label key: optional DNS subdomain prefix (≤ 253) + '/' + name (≤ 63, `[A-Za-z0-9._-]`,
/// alphanumeric at both ends). (apimachinery `IsQualifiedName`.)
pub fn check_label_key(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or_subdomain();
    if name_ok && prefix_ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid label key (optional DNS subdomain prefix and '/', then at most 63 of [A-Za-z0-9._-], alphanumeric at both ends)"
        ))
    }
}

trait PrefixExt {
    fn is_none_or_subdomain(&self) -> bool;
}

impl PrefixExt for Option<&str> {
    fn is_none_or_subdomain(&self) -> bool {
        match self {
            None => true,
            Some(p) => check_dns1123_subdomain(p).is_ok(),
        }
    }
}

/// Label value: empty, or ≤ 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends.
pub fn check_label_value(s: &str) -> Result<(), String> {
    let ok = s.is_empty()
        || (s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid label value (empty, or at most 63 of [A-Za-z0-9._-], alphanumeric at both ends)"
        ))
    }
}

/// Parse a label selector string in the list/watch syntax of apimachinery `labels.Parse`:
/// comma-separated `key`, `!key`, `key=v`, `key==v`, `key!=v`, `key in (a,b)`, `key notin (a,b)`.
pub fn parse_label_selector(text: &str) -> Result<LabelSelector, String> {
    let mut reqs = Vec::new();
    let s = text.trim();
    if !s.is_empty() {
        for part in split_top_level(s)? {
            reqs.push(parse_requirement(part.trim(), s)?);
        }
    }
    Ok(LabelSelector {
        text: text.to_string(),
        requirements: reqs,
    })
}

fn split_top_level(s: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("unbalanced ')' in selector {s:?}"));
                }
            }
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unbalanced '(' in selector {s:?}"));
    }
    parts.push(&s[start..]);
    Ok(parts)
}

fn parse_requirement(p: &str, whole: &str) -> Result<Requirement, String> {
    let err = |why: String| format!("bad label selector {whole:?}: {why}");
    if p.is_empty() {
        return Err(err("empty requirement (stray ',')".into()));
    }
    let mk = |key: &str, op, values: Vec<String>| -> Result<Requirement, String> {
        check_label_key(key).map_err(err)?;
        for v in &values {
            check_label_value(v).map_err(err)?;
        }
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Requirement {
            key: key.to_string(),
            op,
            values,
        })
    };
    if let Some(k) = p.strip_prefix('!') {
        return mk(k.trim(), SelectorOp::DoesNotExist, vec![]);
    }
    for (tok, op) in [
        ("!=", SelectorOp::NotEquals),
        ("==", SelectorOp::Equals),
        ("=", SelectorOp::Equals),
    ] {
        if let Some((k, v)) = p.split_once(tok) {
            return mk(k.trim(), op, vec![v.trim().to_string()]);
        }
    }
    for (tok, op) in [(" notin ", SelectorOp::NotIn), (" in ", SelectorOp::In)] {
        if let Some((k, v)) = p.split_once(tok) {
            let v = v.trim();
            let inner = v
                .strip_prefix('(')
                .and_then(|v| v.strip_suffix(')'))
                .ok_or_else(|| {
                    err(format!(
                        "expected a parenthesised value list after `{}`",
                        tok.trim()
                    ))
                })?;
            let values: Vec<String> = inner.split(',').map(|x| x.trim().to_string()).collect();
            if op == SelectorOp::In && values.iter().all(String::is_empty) {
                return Err(err("`in` needs at least one value".into()));
            }
            return mk(k.trim(), op, values);
        }
    }
    mk(p, SelectorOp::Exists, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000_000_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        for bad in [
            "",
            "5",
            "5x",
            "s",
            "1..5s",
            "-1s",
            "1.s.",
            "99999999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(90_000_000_000), "1m30s");
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_duration_dist("5s..15s"),
            Ok(DurationDist::uniform(5_000_000_000, 15_000_000_000))
        );
        assert_eq!(
            parse_duration_dist("1s"),
            Ok(DurationDist::fixed(1_000_000_000))
        );
        assert!(parse_duration_dist("15s..5s").is_err());
    }

    #[test]
    fn rates_and_cpu() {
        assert_eq!(parse_rate("10/s"), Ok(100_000_000));
        assert_eq!(parse_rate("0.5/s"), Ok(2_000_000_000));
        assert_eq!(parse_rate("30/m"), Ok(2_000_000_000));
        assert!(parse_rate("0/s").is_err());
        assert_eq!(parse_cpu("3500m"), Ok(3500));
        assert_eq!(parse_cpu("3.5"), Ok(3500));
        assert_eq!(parse_cpu("4"), Ok(4000));
    }

    #[test]
    fn byte_sizes_and_rates() {
        assert_eq!(parse_bytes("1GiB"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5MiB"), Ok(1_572_864));
        assert_eq!(parse_bytes("100MB"), Ok(100_000_000));
        assert_eq!(parse_bytes("2Gi"), Ok(2 << 30));
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("10 KB"), Ok(10_000));
        for bad in [
            "",
            "0",
            "0B",
            "1XB",
            "MiB",
            "1..5MiB",
            "-1MiB",
            "1.2.3B",
            "99999999999TiB",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_byte_rate("100MiB/s"), Ok(100 << 20));
        assert!(parse_byte_rate("100MiB").is_err());
        assert!(parse_byte_rate("100MiB/m").is_err());
    }

    #[test]
    fn cidrs() {
        let c = parse_cidr("10.244.0.0/16").unwrap();
        assert_eq!(c.subnet(24, 3).unwrap().to_string(), "10.244.3.0/24");
        assert!(parse_cidr("10.244.0.1/16").is_err());
        let v6 = parse_cidr("fd00:10:244::/56").unwrap();
        assert_eq!(v6.subnet(64, 1).unwrap().to_string(), "fd00:10:244:1::/64");
        assert!(c.overlaps(&parse_cidr("10.0.0.0/8").unwrap()));
        assert!(!c.overlaps(&parse_cidr("10.96.0.0/12").unwrap()));
    }

    #[test]
    fn kube_proxy_selector() {
        let s = parse_label_selector(
            "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless",
        )
        .unwrap();
        let mut labels = std::collections::BTreeMap::new();
        labels.insert("kubernetes.io/service-name".to_string(), "a".to_string());
        assert!(s.matches(&labels));
        labels.insert("service.kubernetes.io/headless".to_string(), String::new());
        assert!(!s.matches(&labels));
        let t = parse_label_selector("app in (a, b),tier!=db").unwrap();
        assert_eq!(t.requirements.len(), 2);
        assert!(parse_label_selector("app in a").is_err());
        assert!(parse_label_selector("a,,b").is_err());
        assert!(parse_label_selector("(a").is_err());
    }

    #[test]
    fn names() {
        assert!(check_port_name("http").is_ok());
        assert!(check_port_name("8080").is_err());
        assert!(check_port_name("a-very-long-port-name").is_err());
        assert!(check_dns1035_label("1web").is_err());
        assert!(check_label_key("app.kubernetes.io/name").is_ok());
        assert!(check_label_key("-bad").is_err());
    }
}
