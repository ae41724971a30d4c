//! `slicesim sweep` through the real binary: kill -9 mid-sweep, rerun, identical sweep.csv;
//! -j 1 and -j 4 give byte-identical output.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::bin;

/// A sweep file next to a copy of quickstart.toml, in `dir`.
fn write_sweep(dir: &Path, grid: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    std::fs::copy(&base, dir.join("base.toml")).unwrap();
    let p = dir.join("sweep.toml");
    std::fs::write(
        &p,
        format!("base = \"base.toml\"\nseeds = [1, 2]\n[grid]\n{grid}"),
    )
    .unwrap();
    p
}

fn sweep(args: &[&str]) -> std::process::Output {
    crate::support::ok(&[&["sweep"], args].concat())
}

fn done_points(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out.join("points"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().join("point.json").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn killed_sweep_resumes_to_the_same_sweep_csv_without_redoing_finished_points() {
    let dir = tempfile::tempdir().unwrap();
    // 10 replica counts × 2 seeds = 20 points, each about a second (controllers and watch
    // traffic included)
    let sw = write_sweep(
        dir.path(),
        "\"cluster.nodes\" = [40]\n\"workloads[0].replicas\" = [500, 501, 502, 503, 504, 505, 506, 507, 508, 509]\n",
    );
    let sw = sw.to_str().unwrap();
    let killed = dir.path().join("killed");
    let clean = dir.path().join("clean");

    let mut child = bin()
        .args(["sweep", sw, "--out", killed.to_str().unwrap(), "-j", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if !done_points(&killed).is_empty() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("sweep finished ({status}) before any point could be observed");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no point finished in 120 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !killed.join("sweep.csv").exists(),
        "the sweep finished before the kill; make the points slower"
    );
    let finished = done_points(&killed);
    assert!(!finished.is_empty() && finished.len() < 19, "{finished:?}");
    // a half-written point (no point.json) and a stale point.json must both be redone
    let unfinished: Vec<String> = (0..20)
        .map(|i| format!("p{i:04}"))
        .filter(|id| !finished.contains(id))
        .collect();
    let partial = killed
        .join("points")
        .join(&unfinished[unfinished.len() - 1]);
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(
        partial.join("summary.csv"),
        "scope,metric,value\nrun,bogus,1\n",
    )
    .unwrap();
    let stale = killed.join("points").join(&unfinished[0]);
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(
        stale.join("summary.csv"),
        "scope,metric,value\nrun,bogus,1\n",
    )
    .unwrap();
    let mut pj: serde_json::Value = serde_json::from_slice(
        &std::fs::read(killed.join("points").join(&finished[0]).join("point.json")).unwrap(),
    )
    .unwrap();
    pj["hash"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(stale.join("point.json"), serde_json::to_vec(&pj).unwrap()).unwrap();

    let kept_mtime: Vec<_> = finished
        .iter()
        .map(|id| {
            std::fs::metadata(killed.join("points").join(id).join("summary.csv"))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    let rerun = sweep(&[sw, "--out", killed.to_str().unwrap(), "-j", "2"]);
    let said = String::from_utf8_lossy(&rerun.stdout).into_owned();
    assert!(
        said.contains(&format!(
            "20 in this run, {} already complete (skipped), {} run",
            finished.len(),
            20 - finished.len()
        )),
        "{said}"
    );
    for (id, m) in finished.iter().zip(&kept_mtime) {
        let now = std::fs::metadata(killed.join("points").join(id).join("summary.csv"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(&now, m, "{id} was redone");
    }
    sweep(&[sw, "--out", clean.to_str().unwrap(), "-j", "2"]);
    let a = std::fs::read(killed.join("sweep.csv")).unwrap();
    let b = std::fs::read(clean.join("sweep.csv")).unwrap();
    assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    assert!(!String::from_utf8_lossy(&a).contains("bogus"));
    assert_eq!(String::from_utf8_lossy(&a).lines().count(), 21);
    // a third run has nothing left to do
    let again = sweep(&[sw, "--out", clean.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("20 already complete (skipped), 0 run"));
}

#[test]
fn jobs_do_not_change_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let sw = write_sweep(
        dir.path(),
        "\"controllers.endpointslice.max_endpoints_per_slice\" = [1, 100]\n\"workloads[0].replicas\" = [5, 30, 60]\n",
    );
    let sw = sw.to_str().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    sweep(&[sw, "--out", a.to_str().unwrap(), "-j", "1"]);
    sweep(&[sw, "--out", b.to_str().unwrap(), "-j", "4"]);
    let csv = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    assert_eq!(csv, std::fs::read_to_string(b.join("sweep.csv")).unwrap());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 13);
    assert!(lines[0].starts_with(
        "point,controllers.endpointslice.max_endpoints_per_slice,workloads[0].replicas,seed,"
    ));
    assert!(lines[0].contains(",run.events_processed,"), "{}", lines[0]);
    assert!(
        !lines[0].contains("run.workload."),
        "per-workload rows are not headline metrics"
    );
    for m in ["endpointslices", "endpoints"] {
        assert!(
            lines[0].contains(&format!(",{m}.watch_events,")),
            "{}",
            lines[0]
        );
        assert!(
            !lines[0].contains(&format!(",{m}.watch_events_kube_proxy")),
            "breakdown rows stay out of sweep.csv: {}",
            lines[0]
        );
    }
    // cartesian product, last axis fastest, seeds innermost
    assert!(lines[1].starts_with("p0000,1,5,1,"), "{}", lines[1]);
    assert!(lines[2].starts_with("p0001,1,5,2,"), "{}", lines[2]);
    assert!(lines[3].starts_with("p0002,1,30,1,"), "{}", lines[3]);
    assert!(lines[12].starts_with("p0011,100,60,2,"), "{}", lines[12]);
    for i in 0..12 {
        let id = format!("p{i:04}");
        for f in ["summary.csv", "timeseries.csv", "point.json"] {
            let x = std::fs::read(a.join("points").join(&id).join(f)).unwrap();
            let y = std::fs::read(b.join("points").join(&id).join(f)).unwrap();
            assert!(x == y, "{id}/{f} differs between -j 1 and -j 4");
        }
    }
    // replicas really reach the run: more replicas, more pod changes
    let col = lines[0]
        .split(',')
        .position(|c| c == "run.changes.Pod_added")
        .unwrap();
    let pods = |l: &str| l.split(',').nth(col).unwrap().parse::<u64>().unwrap();
    assert!(pods(lines[1]) < pods(lines[5]));
}
