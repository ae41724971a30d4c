//! Byte snapshots: every exporter's bytes for one small run (`snapshots/tiny.toml`) compared
//! with the files `slicesim run` wrote for it before the exporters were split out of the run
//! (`snapshots/<file>`; the terminal summary in `terminal.txt`). A change of any output byte
//! fails here and names the file and the first differing line.

use super::*;
use crate::run::{simulate, RunOptions};
use std::path::{Path, PathBuf};

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/snapshots")
}

fn tiny(controllers: bool) -> RunResults {
    simulate(&RunOptions {
        scenario: snapshots().join("tiny.toml"),
        controllers,
        ..Default::default()
    })
    .expect("the snapshot scenario runs")
}

fn assert_same(file: &str, got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let (g, w) = (String::from_utf8_lossy(got), String::from_utf8_lossy(want));
    let line = g
        .lines()
        .zip(w.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| g.lines().count().min(w.lines().count()));
    panic!(
        "{file} differs from its snapshot at line {}:\n got: {:?}\nwant: {:?}",
        line + 1,
        g.lines().nth(line),
        w.lines().nth(line)
    );
}

#[test]
fn every_export_matches_its_snapshot_byte_for_byte() {
    let r = tiny(true);
    let mut seen = 0;
    for e in exports(&r) {
        let want = std::fs::read(snapshots().join(e.file)).expect(e.file);
        assert_same(e.file, &(e.bytes)(&r).unwrap(), &want);
        seen += 1;
    }
    assert_eq!(seen, EXPORTS.len());
    let want = std::fs::read(snapshots().join("terminal.txt")).unwrap();
    assert_same("terminal.txt", terminal::text(&r).as_bytes(), &want);
}

#[test]
fn a_run_without_controllers_exports_only_the_world_files() {
    let r = tiny(false);
    let files: Vec<&str> = exports(&r).map(|e| e.file).collect();
    assert_eq!(files, ["workloads.csv", "summary.csv"]);
    // the world's side is the same as in the full run: the same workload rows, and the
    // summary is the full run's `run` rows alone
    let full = tiny(true);
    assert_eq!(
        timeseries::csv(&r).unwrap(),
        timeseries::csv(&full).unwrap()
    );
    let run_only: Vec<_> = summary::summary_rows(&full)
        .into_iter()
        .filter(|row| row.mode == "run")
        .collect();
    assert_eq!(summary::summary_rows(&r), run_only);
    // a controllers-only exporter refuses rather than writing an empty file
    assert!(series::csv(&r).is_err());
}
