//! The summary printed to the terminal: the world's table, the controllers' table and the
//! side-by-side comparison of the modes (same rows and values as `summary.csv`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::summary::{mode_rows_of, SummaryRow, Val};
use super::{fmt_f64, Inputs};
use crate::run::RunResults;

/// The whole terminal summary of a run.
pub fn text(r: &RunResults) -> String {
    let mut s = r.world_table.clone();
    if let Some(inp) = Inputs::of(r) {
        s.push_str(&controller_table(inp.stats));
        s.push_str(&side_by_side(&mode_rows_of(&inp)));
    }
    s
}

/// Terminal rows of the controllers: totals, then every Service (at most 10; beyond that the
/// top 5 by writes).
pub fn controller_table(stats: &crate::controllers::manager::ManagerStats) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9} {:>8}",
        "controllers: service",
        "ES crt",
        "ES upd",
        "ES del",
        "EP crt",
        "EP upd",
        "mirror",
        "slices",
        "max",
        "syncs",
        "rejected"
    );
    let line = |s: &mut String, name: &str, st: &crate::controllers::manager::ServiceStats| {
        let syncs: u64 = st.syncs.iter().flatten().sum();
        let _ = writeln!(
            s,
            "{:<32} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>9} {:>8}",
            name,
            st.es_creates,
            st.es_updates,
            st.es_deletes + st.es_gc_deletes,
            st.ep_creates,
            st.ep_updates,
            st.mirroring_writes,
            st.slices_alive,
            st.slices_max,
            syncs,
            st.rejected_writes
        );
    };
    line(&mut s, "TOTAL", &stats.total());
    let n = stats.len();
    if n <= 10 {
        for (k, st) in stats.iter() {
            line(&mut s, k, st);
        }
    } else {
        let _ = writeln!(s, "({n} Services; top 5 by writes)");
        for (k, st) in stats.top_by_writes(5) {
            line(&mut s, k, st);
        }
    }
    s
}

/// Human-readable bytes (binary units) for the terminal.
pub fn human_bytes(v: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut x = v;
    let mut u = 0;
    while x.abs() >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", fmt_f64(x.round()))
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// The terminal's side-by-side table, one line per mode metric of `summary.csv` (same rows,
/// same values): EndpointSlices | Endpoints | ratio, byte metrics also in binary units.
pub fn side_by_side(rows: &[SummaryRow]) -> String {
    let mut order: Vec<&str> = Vec::new();
    let mut by: BTreeMap<&str, [Option<&Val>; 2]> = BTreeMap::new();
    for r in rows {
        let i = match r.mode {
            "endpointslices" => 0,
            "endpoints" => 1,
            _ => continue,
        };
        let e = by.entry(&r.metric).or_insert_with(|| {
            order.push(&r.metric);
            [None, None]
        });
        e[i] = Some(&r.value);
    }
    let cell = |v: Option<&Val>| match v {
        None => "-".to_string(),
        Some(Val::Text(t)) if t.is_empty() => "–".to_string(),
        Some(Val::Num(f)) if f.fract() != 0.0 => format!("{f:.3}"),
        Some(v) => v.render(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<38} {:>16} {:>16} {:>9}  {:>21}",
        "metric", "EndpointSlices", "Endpoints", "EP/ES", "(EndpointSlices | Endpoints)"
    );
    for k in order {
        let [a, b] = by[k];
        let ratio = match (a.and_then(Val::as_f64), b.and_then(Val::as_f64)) {
            (Some(a), Some(b)) if a != 0.0 => format!("{:.2}", b / a),
            _ => "-".into(),
        };
        let human = if k.contains("bytes") {
            match (a.and_then(Val::as_f64), b.and_then(Val::as_f64)) {
                (Some(a), Some(b)) => format!("{} | {}", human_bytes(a), human_bytes(b)),
                _ => String::new(),
            }
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<38} {:>16} {:>16} {:>9}  {}",
            k,
            cell(a),
            cell(b),
            ratio,
            human
        );
    }
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(9_419_312.0), "9.0 MiB");
    }
}
