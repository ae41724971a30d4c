//! Reading the CSV files of a run / sweep directory for charts (formats: README "Output
//! files"). Columns are found by header name, so extra columns are fine; a missing column,
//! an unknown mode or a bad number is an input error naming file, line, column and value.

use crate::error::input_error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The two publishing modes every run simulates, in file row order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    EndpointSlices,
    Endpoints,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::EndpointSlices, Mode::Endpoints];

    /// As spelled in the files.
    pub fn key(self) -> &'static str {
        match self {
            Mode::EndpointSlices => "endpointslices",
            Mode::Endpoints => "endpoints",
        }
    }

    /// As shown in legends.
    pub fn title(self) -> &'static str {
        match self {
            Mode::EndpointSlices => "EndpointSlices",
            Mode::Endpoints => "Endpoints",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A CSV file read whole: header and records with their line numbers.
pub struct Table {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    /// Read `path`; `Ok(None)` when it does not exist (an optional input).
    pub fn read(path: &Path) -> anyhow::Result<Option<Table>> {
        let mut rdr = match csv::ReaderBuilder::new().flexible(false).from_path(path) {
            Ok(r) => r,
            Err(e) => {
                if let csv::ErrorKind::Io(io) = e.kind() {
                    if io.kind() == std::io::ErrorKind::NotFound {
                        return Ok(None);
                    }
                }
                return Err(input_error(format!("{}: cannot read: {e}", path.display())));
            }
        };
        let header = rdr
            .headers()
            .map_err(|e| input_error(format!("{}: bad CSV header: {e}", path.display())))?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| input_error(format!("{}: bad CSV: {e}", path.display())))?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            rows.push((line, rec));
        }
        Ok(Some(Table {
            path: path.to_path_buf(),
            header,
            rows,
        }))
    }

    /// Index of column `name`.
    pub fn column(&self, name: &str) -> anyhow::Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            input_error(format!(
                "{}: missing column `{name}` (header: {})",
                self.path.display(),
                self.header.join(",")
            ))
        })
    }

    fn at(&self, line: u64, col: usize) -> String {
        format!(
            "{}:{line}: column `{}`",
            self.path.display(),
            self.header.get(col).map(String::as_str).unwrap_or("?")
        )
    }

    /// Field `col` of a row as a finite number.
    pub fn number(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<f64> {
        let text = row.1.get(col).unwrap_or("");
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(input_error(format!(
                "{}: `{text}` is not a finite number",
                self.at(row.0, col)
            ))),
        }
    }

    /// Field `col` as a number, `None` when empty (sweep.csv leaves absent metrics empty).
    pub fn opt_number(
        &self,
        row: &(u64, csv::StringRecord),
        col: usize,
    ) -> anyhow::Result<Option<f64>> {
        if row.1.get(col).unwrap_or("").trim().is_empty() {
            Ok(None)
        } else {
            self.number(row, col).map(Some)
        }
    }

    pub fn text<'a>(&self, row: &'a (u64, csv::StringRecord), col: usize) -> &'a str {
        row.1.get(col).unwrap_or("")
    }

    /// Field `col` as a mode name.
    pub fn mode(&self, row: &(u64, csv::StringRecord), col: usize) -> anyhow::Result<Mode> {
        match self.text(row, col) {
            "endpointslices" => Ok(Mode::EndpointSlices),
            "endpoints" => Ok(Mode::Endpoints),
            other => Err(input_error(format!(
                "{}: unknown mode `{other}`; expected `endpointslices` or `endpoints`",
                self.at(row.0, col)
            ))),
        }
    }
}

/// `timeseries.csv`: per-second values of one mode (times ascending).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeSeries {
    pub time_s: Vec<f64>,
    pub writes: Vec<f64>,
    pub watch_events: Vec<f64>,
    pub bytes_out: Vec<f64>,
}

impl ModeSeries {
    pub fn points(&self, values: &[f64]) -> Vec<(f64, f64)> {
        self.time_s
            .iter()
            .copied()
            .zip(values.iter().copied())
            .collect()
    }
}

/// `timeseries.csv`, indexed by [`Mode::index`].
pub fn read_timeseries(dir: &Path) -> anyhow::Result<Option<[ModeSeries; 2]>> {
    let Some(t) = Table::read(&dir.join("timeseries.csv"))? else {
        return Ok(None);
    };
    let (ct, cm) = (t.column("time_s")?, t.column("mode")?);
    let (cw, ce, cb) = (
        t.column("writes")?,
        t.column("watch_events")?,
        t.column("bytes_out")?,
    );
    let mut out: [ModeSeries; 2] = Default::default();
    for row in &t.rows {
        let s = &mut out[t.mode(row, cm)?.index()];
        s.time_s.push(t.number(row, ct)?);
        s.writes.push(t.number(row, cw)?);
        s.watch_events.push(t.number(row, ce)?);
        s.bytes_out.push(t.number(row, cb)?);
    }
    Ok(Some(out))
}

/// One row of `events.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time_s: f64,
    pub kind: String,
    pub label: String,
}

/// `events.csv` (sorted by time as written; sorted again here so a hand-edited file works).
pub fn read_events(dir: &Path) -> anyhow::Result<Vec<Event>> {
    let Some(t) = Table::read(&dir.join("events.csv"))? else {
        return Ok(Vec::new());
    };
    let (ct, ck, cl) = (t.column("time_s")?, t.column("kind")?, t.column("label")?);
    let mut out = Vec::new();
    for row in &t.rows {
        out.push(Event {
            time_s: t.number(row, ct)?,
            kind: t.text(row, ck).to_string(),
            label: t.text(row, cl).to_string(),
        });
    }
    out.sort_by(|a, b| a.time_s.total_cmp(&b.time_s).then(a.kind.cmp(&b.kind)));
    Ok(out)
}

/// `node_ingress.csv`: bytes received by each node's kube-proxy, per mode.
pub fn read_node_ingress(dir: &Path) -> anyhow::Result<Option<[Vec<f64>; 2]>> {
    let Some(t) = Table::read(&dir.join("node_ingress.csv"))? else {
        return Ok(None);
    };
    let (cm, cb) = (t.column("mode")?, t.column("bytes")?);
    t.column("node")?;
    let mut out: [Vec<f64>; 2] = Default::default();
    for row in &t.rows {
        out[t.mode(row, cm)?.index()].push(t.number(row, cb)?);
    }
    Ok(Some(out))
}

/// `(quantile, seconds)` rows of one mode, ascending quantile.
pub type Quantiles = Vec<(f64, f64)>;

/// `latency_cdf.csv`, indexed by [`Mode::index`].
pub fn read_latency_cdf(dir: &Path) -> anyhow::Result<Option<[Quantiles; 2]>> {
    let Some(t) = Table::read(&dir.join("latency_cdf.csv"))? else {
        return Ok(None);
    };
    let (cm, cq, cs) = (
        t.column("mode")?,
        t.column("quantile")?,
        t.column("seconds")?,
    );
    let mut out: [Quantiles; 2] = Default::default();
    for row in &t.rows {
        let q = t.number(row, cq)?;
        if !(0.0..=1.0).contains(&q) {
            return Err(input_error(format!(
                "{}:{}: column `quantile`: {q} is outside 0..1",
                t.path.display(),
                row.0
            )));
        }
        out[t.mode(row, cm)?.index()].push((q, t.number(row, cs)?));
    }
    for m in &mut out {
        m.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(Some(out))
}

/// `slice_fill.csv`: per sample time, slice counts of the ten fill buckets (bucket `i` holds
/// fill in `[i/10, (i+1)/10)`, the last one includes 1.0).
pub fn read_slice_fill(dir: &Path) -> anyhow::Result<Option<BTreeMap<u64, [f64; 10]>>> {
    let Some(t) = Table::read(&dir.join("slice_fill.csv"))? else {
        return Ok(None);
    };
    let (ct, cl, cs) = (
        t.column("time_s")?,
        t.column("fill_lo")?,
        t.column("slices")?,
    );
    t.column("fill_hi")?;
    let mut out: BTreeMap<u64, [f64; 10]> = BTreeMap::new();
    for row in &t.rows {
        let time = t.number(row, ct)?;
        let lo = t.number(row, cl)?;
        let bucket = (lo * 10.0).round();
        if time < 0.0 || !(0.0..=9.0).contains(&bucket) {
            return Err(input_error(format!(
                "{}:{}: time_s {time} / fill_lo {lo}: expected time >= 0 and fill_lo one of 0.0, 0.1, ..., 0.9",
                t.path.display(),
                row.0
            )));
        }
        // key in milliseconds so fractional sample times keep their order exactly
        let key = (time * 1000.0).round() as u64;
        out.entry(key).or_insert([0.0; 10])[bucket as usize] += t.number(row, cs)?;
    }
    Ok(Some(out))
}

/// `sweep.csv`: the parameter columns (between `point` and `seed`) and every row.
pub struct SweepTable {
    pub table: Table,
    /// Column indices of the swept parameters, in file order.
    pub params: Vec<usize>,
    pub seed: usize,
}

pub fn read_sweep(dir: &Path) -> anyhow::Result<SweepTable> {
    let path = dir.join("sweep.csv");
    let table =
        Table::read(&path)?.ok_or_else(|| input_error(format!("{}: not found", path.display())))?;
    // Like a run folder without chart inputs, a sweep without points is an input error
    // (exit 2), never a silent "no charts".
    if table.rows.is_empty() {
        return Err(input_error(format!(
            "{}: no sweep points (the file is empty or holds only a header): nothing to chart; \
             run or resume `slicesim sweep` first",
            path.display()
        )));
    }
    let point = table.column("point")?;
    let seed = table.column("seed")?;
    if point >= seed {
        return Err(input_error(format!(
            "{}: expected columns `point`, the swept parameters, then `seed`",
            path.display()
        )));
    }
    Ok(SweepTable {
        params: (point + 1..seed).collect(),
        seed,
        table,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(name: &str, text: &str) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(name), text).unwrap();
        d
    }

    #[test]
    fn missing_files_are_none_not_errors() {
        let d = tempfile::tempdir().unwrap();
        assert!(read_timeseries(d.path()).unwrap().is_none());
        assert!(read_events(d.path()).unwrap().is_empty());
        assert!(read_node_ingress(d.path()).unwrap().is_none());
        assert!(read_latency_cdf(d.path()).unwrap().is_none());
        assert!(read_slice_fill(d.path()).unwrap().is_none());
    }

    #[test]
    fn errors_name_file_line_column_and_value() {
        let d = dir_with(
            "timeseries.csv",
            "time_s,mode,writes,watch_events,bytes_out\n0,endpointslices,1,2,3\n1,endpoints,1,x2,3\n",
        );
        let e = read_timeseries(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("timeseries.csv:3: column `watch_events`: `x2`"),
            "{e}"
        );
        let d = dir_with(
            "timeseries.csv",
            "time_s,mode,writes,watch_events,bytes_out\n0,slices,1,2,3\n",
        );
        let e = read_timeseries(d.path()).unwrap_err().to_string();
        assert!(
            e.contains(":2: column `mode`: unknown mode `slices`"),
            "{e}"
        );
        let d = dir_with("timeseries.csv", "time_s,mode,writes\n");
        let e = read_timeseries(d.path()).unwrap_err().to_string();
        assert!(e.contains("missing column `watch_events`"), "{e}");
        let d = dir_with(
            "latency_cdf.csv",
            "mode,quantile,seconds\nendpoints,1.5,2\n",
        );
        let e = read_latency_cdf(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("latency_cdf.csv:2: column `quantile`: 1.5"),
            "{e}"
        );
        let d = dir_with(
            "slice_fill.csv",
            "time_s,fill_lo,fill_hi,slices\n0,1.0,1.1,3\n",
        );
        let e = read_slice_fill(d.path()).unwrap_err().to_string();
        assert!(e.contains("slice_fill.csv:2: time_s 0 / fill_lo 1"), "{e}");
    }

    #[test]
    fn reads_modes_into_their_slots() {
        let d = dir_with(
            "node_ingress.csv",
            "node,mode,watch_events,bytes\nn1,endpointslices,3,100\nn2,endpointslices,3,200\nn1,endpoints,3,900\n",
        );
        let n = read_node_ingress(d.path()).unwrap().unwrap();
        assert_eq!(n[0], vec![100.0, 200.0]);
        assert_eq!(n[1], vec![900.0]);
    }
}
