//! Defects a new user hit (house review), each checked through the real binary.
//! One test per defect, named after it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{bad_input, bin, files_under, ok, repo, slicesim, stderr, stdout};

// ---------------------------------------------------------------------------------------------
// 2. PNG charts drew a spike far past its value (through the titles, below the x axis).

/// Okabe-Ito blue (EndpointSlices), vermillion (Endpoints) and the axis grey.
const ES: [u8; 3] = [0x00, 0x72, 0xB2];
const EP: [u8; 3] = [0xD5, 0x5E, 0x00];
const AXIS: [u8; 3] = [0x55, 0x55, 0x55];

/// A run folder whose time series is flat with one-second spikes of each mode.
fn spiky_run(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut ts = String::from(
        "time_s,mode,writes,watch_events,bytes_out,bytes_per_node_mean,bytes_per_node_max,objects_alive,endpoints_ready\n",
    );
    for t in 0..=1200u32 {
        let (es, ep) = match t {
            0 | 170 => (700_000, 650_000),
            471 => (0, 3_600_000),
            472 => (300_000, 7_600_000),
            473 => (0, 100_000),
            720 => (650_000, 0),
            _ => (0, 0),
        };
        ts.push_str(&format!(
            "{t},endpointslices,{w},{e},{es},0,0,2,200\n",
            w = es / 300_000,
            e = es / 15_000
        ));
        ts.push_str(&format!(
            "{t},endpoints,{w},{e},{ep},0,0,1,200\n",
            w = ep / 600_000,
            e = ep / 27_000
        ));
    }
    std::fs::write(dir.join("timeseries.csv"), ts).unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "time_s,kind,label\n120,node_failure,node-1\n720,node_recovery,node-1\n",
    )
    .unwrap();
}

/// Decode an 8-bit RGB PNG: (width, height, pixels).
fn decode_png(path: &Path) -> (usize, usize, Vec<[u8; 3]>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let px = buf[..info.buffer_size()]
        .chunks(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width as usize, info.height as usize, px)
}

/// The plot rectangles (x0, y0, x1, y1) of a PNG chart. Series may cover parts of the axes,
/// so: a y axis is a column of axis-grey pixels spanning ≥ 100 rows with gaps ≤ 15 px (a dot or a thick line may cover it; its
/// span is the panel's height); the panel's right edge is where its horizontal grid lines end.
fn png_panels(w: usize, h: usize, px: &[[u8; 3]]) -> Vec<(usize, usize, usize, usize)> {
    const GRID: [u8; 3] = [0xE2, 0xE2, 0xE2];
    let at = |x: usize, y: usize| px[y * w + x];
    let mut panels: Vec<(usize, usize, usize, usize)> = Vec::new();
    for x in 0..w {
        let ys: Vec<usize> = (0..h).filter(|&y| at(x, y) == AXIS).collect();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for y in ys {
            match spans.last_mut() {
                Some(s) if y <= s.1 + 16 => s.1 = y,
                _ => spans.push((y, y)),
            }
        }
        for (top, bottom) in spans.into_iter().filter(|s| s.1 - s.0 >= 100) {
            // skip the neighbouring column of an axis already found
            if panels.iter().any(|p| p.0 + 3 >= x && p.1 == top) {
                continue;
            }
            let right = (top..=bottom)
                .filter(|&y| (x..w).filter(|&c| at(c, y) == GRID).count() >= 100)
                .filter_map(|y| (x..w).rev().find(|&c| at(c, y) == GRID))
                .max()
                .expect("horizontal grid lines");
            panels.push((x, top, right, bottom));
        }
    }
    panels
}

/// Check that every pixel of the series colours lies in a panel (with `slack` px for the
/// half-width of the 2-px stroke or the 3-px radius of a lone point's dot), except a legend swatch above the panels.
fn assert_png_series_inside(path: &Path, slack: usize) {
    let (w, h, px) = decode_png(path);
    let panels = png_panels(w, h, &px);
    assert!(!panels.is_empty(), "{}: no panel found", path.display());
    let first_top = panels.iter().map(|p| p.1).min().unwrap();
    for colour in [ES, EP] {
        let mut inside = 0;
        let mut outside: Vec<(usize, usize)> = Vec::new();
        for y in 0..h {
            for x in 0..w {
                if px[y * w + x] != colour {
                    continue;
                }
                let hit = panels.iter().any(|&(x0, y0, x1, y1)| {
                    x + slack >= x0 && x <= x1 + slack && y + slack >= y0 && y <= y1 + slack
                });
                if hit {
                    inside += 1;
                } else {
                    outside.push((x, y));
                }
            }
        }
        assert!(
            inside > 0,
            "{}: series {colour:?} not drawn",
            path.display()
        );
        // the only series-coloured pixels outside are the legend swatch: a 22×3 bar above
        let (xs, ys): (Vec<usize>, Vec<usize>) = outside.iter().copied().unzip();
        if let (Some(x0), Some(x1), Some(y0), Some(y1)) = (
            xs.iter().min(),
            xs.iter().max(),
            ys.iter().min(),
            ys.iter().max(),
        ) {
            assert!(
                x1 - x0 <= 26 && y1 - y0 <= 5 && *y1 < first_top,
                "{}: {} pixels of series colour {colour:?} outside the plot area, spanning \
                 x {x0}..={x1}, y {y0}..={y1} (panels {panels:?})",
                path.display(),
                outside.len()
            );
        }
    }
}

/// The plot rectangles of an SVG chart from its 1-px axis lines; every point of every 2-px
/// series polyline must lie inside one of them.
fn assert_svg_series_inside(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let points = |n: &roxmltree::Node| -> Vec<(i64, i64)> {
        n.attribute("points")
            .unwrap_or("")
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    };
    let lines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .collect();
    let axes: Vec<Vec<(i64, i64)>> = lines
        .iter()
        .filter(|n| {
            n.attribute("stroke") == Some("#555555") && n.attribute("stroke-width") == Some("1")
        })
        .map(points)
        .filter(|p| p.len() == 2)
        .collect();
    let mut panels = Vec::new();
    for v in axes
        .iter()
        .filter(|p| p[0].0 == p[1].0 && (p[0].1 - p[1].1).abs() >= 100)
    {
        let (x0, y0, y1) = (v[0].0, v[0].1.min(v[1].1), v[0].1.max(v[1].1));
        let right = axes
            .iter()
            .filter(|p| p[0].1 == p[1].1 && (p[0].1 - y1).abs() <= 1)
            .filter(|p| (p[0].0.min(p[1].0) - x0).abs() <= 1)
            .map(|p| p[0].0.max(p[1].0))
            .max()
            .expect("x axis");
        panels.push((x0, y0, right, y1 + 1));
    }
    assert!(!panels.is_empty(), "{}: no axes", path.display());
    let mut n = 0;
    for l in lines.iter().filter(|n| {
        matches!(n.attribute("stroke"), Some("#0072B2") | Some("#D55E00"))
            && n.attribute("stroke-width") == Some("2")
    }) {
        for (x, y) in points(l) {
            n += 1;
            assert!(
                panels
                    .iter()
                    .any(|&(x0, y0, x1, y1)| x >= x0 && x <= x1 && y >= y0 && y <= y1),
                "{}: series point ({x},{y}) outside the panels {panels:?}",
                path.display()
            );
        }
    }
    assert!(n > 0, "{}: no series drawn", path.display());
}

#[test]
fn png_chart_spike_stays_in_panel() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("spiky");
    spiky_run(&run);
    ok(&["chart", run.to_str().unwrap(), "--format", "png"]);
    for chart in ["bytes", "bytes_log", "writes_events"] {
        assert_png_series_inside(&run.join(format!("charts/{chart}.png")), 3);
    }
    ok(&["chart", run.to_str().unwrap(), "--format", "svg"]);
    for chart in ["bytes", "bytes_log", "writes_events"] {
        assert_svg_series_inside(&run.join(format!("charts/{chart}.svg")));
    }
}

// ---------------------------------------------------------------------------------------------
// Section 4. `scripts/sweep-job.yaml` named a placeholder image nobody could build.

/// The image the README tells users to build and push (the `docker build` line after the
/// `<!-- sweep-image -->` marker).
fn readme_image() -> String {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let after = &readme[readme
        .find("<!-- sweep-image -->")
        .expect("README sweep-image marker")..];
    let line = after
        .lines()
        .find(|l| l.trim_start().starts_with("docker build"))
        .expect("docker build line");
    let tag = line
        .split_whitespace()
        .skip_while(|w| *w != "-t")
        .nth(1)
        .expect("-t IMAGE");
    // the Containerfile the command builds exists and is multi-stage, slicesim on PATH
    let cf = std::fs::read_to_string(repo("Containerfile")).unwrap();
    assert!(line.contains("-f Containerfile"), "{line}");
    let froms: Vec<&str> = cf.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "two stages: {froms:?}");
    assert!(froms[0].contains("library/rust:") && froms[1].contains("debian:bookworm-slim"));
    assert!(cf.contains("/usr/local/bin/slicesim"));
    // every file the build copies from the repository exists (it copied `examples/` after
    // that folder was removed, so `docker build` failed)
    for l in cf
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let words: Vec<&str> = l.split_whitespace().collect();
        for src in &words[1..words.len() - 1] {
            assert!(
                repo(src).exists(),
                "Containerfile: {l}: no {src} in the repository"
            );
        }
    }
    tag.to_string()
}

#[test]
fn sweep_job_manifest_uses_the_readme_image_and_resumes_on_the_shared_volume() {
    use serde_yaml::Value;
    let text = std::fs::read_to_string(repo("scripts/sweep-job.yaml")).unwrap();
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
        .collect();
    let kind = |d: &Value| d["kind"].as_str().unwrap_or("").to_string();
    let image = readme_image();
    assert!(
        image.contains("YOUR-ORG"),
        "README names a placeholder to replace: {image}"
    );

    let pvc = docs
        .iter()
        .find(|d| kind(d) == "PersistentVolumeClaim")
        .expect("PVC");
    let pvc_name = pvc["metadata"]["name"].as_str().unwrap();
    assert_eq!(
        pvc["spec"]["accessModes"][0].as_str(),
        Some("ReadWriteMany")
    );

    let jobs: Vec<&Value> = docs.iter().filter(|d| kind(d) == "Job").collect();
    assert_eq!(jobs.len(), 2, "sweep Job and merge Job");
    let sweep = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"].as_str() == Some("Indexed"))
        .expect("an Indexed Job");
    let spec = &sweep["spec"];
    let completions = spec["completions"].as_u64().expect("completions");
    let parallelism = spec["parallelism"].as_u64().expect("parallelism");
    assert!(parallelism >= 1 && parallelism <= completions);
    let c = &spec["template"]["spec"]["containers"][0];
    let env = |name: &str| {
        c["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|e| e["name"].as_str() == Some(name))
            .and_then(|e| e["value"].as_str())
            .map(str::to_string)
    };
    let shards: u64 = env("SHARDS").expect("SHARDS").parse().unwrap();
    assert_eq!(shards, completions, "SHARDS must equal completions");
    let args = c["args"][0].as_str().unwrap();
    assert!(
        args.contains("--shard \"$JOB_COMPLETION_INDEX/$SHARDS\""),
        "{args}"
    );
    // every retry of pod i writes (and so resumes) the same folder on the shared volume
    let out = args
        .split("--out")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .trim_matches('"');
    assert_eq!(out, "/results/shard-$JOB_COMPLETION_INDEX");
    let mount = |c: &Value, path: &str| -> String {
        let name = c["volumeMounts"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(path))
            .unwrap_or_else(|| panic!("no mount at {path}"))["name"]
            .as_str()
            .unwrap()
            .to_string();
        name
    };
    let claim = |job: &Value, vol: &str| -> Option<String> {
        job["spec"]["template"]["spec"]["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["name"].as_str() == Some(vol))?["persistentVolumeClaim"]["claimName"]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(
        claim(sweep, &mount(c, "/results")).as_deref(),
        Some(pvc_name)
    );
    // the sweep file the Job runs is mounted, and is a sweep file of the repository
    let sweep_file = env("SWEEP").unwrap();
    assert!(sweep_file.starts_with("/scenarios/"));
    mount(c, "/scenarios");
    assert!(repo(&format!("scenarios/{}", &sweep_file["/scenarios/".len()..])).is_file());

    let merge = jobs.iter().find(|j| !std::ptr::eq(**j, *sweep)).unwrap();
    let mc = &merge["spec"]["template"]["spec"]["containers"][0];
    assert!(mc["args"][0]
        .as_str()
        .unwrap()
        .contains("merge /results/shard-* --out /results/merged"));
    assert_eq!(
        claim(merge, &mount(mc, "/results")).as_deref(),
        Some(pvc_name)
    );
    for (what, cont) in [("sweep", c), ("merge", mc)] {
        assert_eq!(
            cont["image"].as_str(),
            Some(image.as_str()),
            "{what} Job image"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3., 4. and 7.: a run owns its output folder; run.json comes last; no temporaries survive.

/// A scenario that runs for a long time (a million pod deletions a second for 8 minutes).
fn long_scenario(dir: &Path) -> PathBuf {
    let p = dir.join("long.toml");
    std::fs::write(
        &p,
        r#"name = "long"
duration = "9m"
[cluster]
nodes = 3
[[workloads]]
name = "web"
replicas = 50
[[services]]
name = "web"
workload = "web"
ports = [{ port = 80 }]
[[events]]
at = "1s"
type = "churn"
workload = "web"
rate = "1000000/s"
duration = "8m"
"#,
    )
    .unwrap();
    p
}

/// Wait (at most 60 s) until `cond` holds.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = std::time::Instant::now();
    while !cond() {
        assert!(t0.elapsed().as_secs() < 60, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn temps(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.contains(".tmp-"))
        .collect()
}

fn sigterm(child: &mut std::process::Child) {
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    child.wait().unwrap();
}

/// The files `run.json` lists, plus itself.
fn manifest_files(dir: &Path) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    let mut v: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    v.push("run.json".into());
    v.sort();
    v
}

/// `slicesim run SCENARIO --out OUT --no-progress EXTRA...` (scenario relative to the
/// repository), requiring exit 0.
fn run_into(scenario: &str, out: &Path, extra: &[&str]) -> Output {
    let sc = repo(scenario);
    let mut args = vec![
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

#[test]
fn rerun_into_a_used_folder_leaves_no_file_of_the_earlier_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_into(
        "scenarios/node-failure.toml",
        &out,
        &["--chart-format", "png"],
    );
    assert!(out.join("charts/bytes.png").is_file());
    run_into("scenarios/scale-0-250-0.toml", &out, &[]);
    // every file is this run's: listed in its manifest, or one of its SVG charts
    for f in files_under(&out) {
        let listed = manifest_files(&out).contains(&f);
        let chart = f.starts_with("charts/") && f.ends_with(".svg");
        assert!(listed || chart, "{f} left from the earlier run");
    }
    for f in files_under(&out.join("charts")) {
        let svg = std::fs::read_to_string(out.join("charts").join(&f)).unwrap();
        assert!(
            svg.contains("scenario scale-0-250-0"),
            "{f}: not titled with the new run"
        );
        assert!(
            !svg.contains("node-failure"),
            "{f}: still names the old run"
        );
    }
}

#[test]
fn killed_rerun_leaves_no_manifest_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_into("scenarios/node-failure.toml", &out, &["--no-charts"]);
    assert!(out.join("run.json").is_file());
    let o = out.to_str().unwrap();
    let long = long_scenario(tmp.path());
    let mut child = bin()
        .args(["run", long.to_str().unwrap(), "--out", o, "--no-progress"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // the rerun prepares the folder before it simulates: the earlier manifest goes first
    // (the run keeps its results in memory and writes the files at the end)
    wait_for("the rerun to clear the earlier run", || {
        !out.join("run.json").exists() && !out.join("metrics.prom").exists()
    });
    assert!(
        child.try_wait().unwrap().is_none(),
        "the rerun is still under way"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.join("run.json").exists());
    // nothing of the earlier run is left looking complete
    assert!(!out.join("summary.csv").exists());
}

#[test]
fn trace_events_directory_fails_before_the_run_and_no_temp_survives() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    let long = long_scenario(tmp.path());
    let dir = tmp.path().join("traces");
    std::fs::create_dir(&dir).unwrap();
    // a directory as --event-log (the report's --trace-events, its old name, still accepted):
    // exit 2 at once (the long run would take minutes)
    let t0 = std::time::Instant::now();
    let r = slicesim(&[
        "run",
        long.to_str().unwrap(),
        "--out",
        o,
        "--no-progress",
        "--trace-events",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(
        t0.elapsed().as_secs() < 20,
        "failed only after {:?}",
        t0.elapsed()
    );
    assert!(stderr(&r).contains("--event-log"), "{}", stderr(&r));
    assert!(files_under(&out).is_empty() && files_under(&dir).is_empty());
    // an output directory that is a file: the same
    let file = tmp.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let r = slicesim(&[
        "run",
        long.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));

    // SIGTERM mid-run: the temporaries it leaves are removed by the next run into the folder
    let trace = dir.join("events.trace");
    let mut child = bin()
        .args(["run", long.to_str().unwrap(), "--out", o, "--no-progress"])
        .args(["--event-log", trace.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // the trace is written while the run goes (the output files only at its end)
    wait_for("temporaries", || !temps(&dir).is_empty());
    sigterm(&mut child);
    let nf = repo("scenarios/node-failure.toml");
    ok(&[
        "run",
        nf.to_str().unwrap(),
        "--out",
        o,
        "--no-progress",
        "--event-log",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(temps(&out), Vec::<String>::new());
    assert_eq!(temps(&dir), Vec::<String>::new());
    assert!(trace.is_file());
}

// ---------------------------------------------------------------------------------------------
// 6. Output into a closed pipe panicked with a backtrace.

#[test]
fn closed_stdout_pipe_exits_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let objects = tmp.path().join("objects.json");
    std::fs::write(
        &objects,
        r#"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"a","namespace":"default"}}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let commands: Vec<Vec<String>> = vec![
        vec!["scenarios".into()],
        vec![
            "validate".into(),
            repo("scenarios/quickstart.toml").display().to_string(),
        ],
        vec!["wire-size".into(), objects.display().to_string()],
        vec![
            "run".into(),
            repo("scenarios/node-failure.toml").display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--no-progress".into(),
        ],
        vec!["--help".into()],
    ];
    for args in commands {
        let mut child = bin()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // close the reading end before the command writes anything
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "slicesim {args:?}: {err}"
        );
        assert_eq!(o.status.code(), Some(0), "slicesim {args:?}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Latency with zero samples was written as 0.

/// A scenario with a Service over a 0-replica workload: no pod ever changes, so no latency
/// sample is taken.
fn idle_scenario(dir: &Path) -> PathBuf {
    let p = dir.join("idle.toml");
    std::fs::write(
        &p,
        "name = \"idle\"\nduration = \"30s\"\n[cluster]\nnodes = 2\n[[workloads]]\nname = \"web\"\n\
         replicas = 0\n[[services]]\nname = \"web\"\nworkload = \"web\"\nports = [{ port = 80 }]\n",
    )
    .unwrap();
    p
}

/// `slicesim plan SCENARIO --out OUT EXTRA...` (exit 0); its report.md.
fn plan_report(scenario: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "plan",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&args);
    std::fs::read_to_string(out.join("report.md")).unwrap()
}

#[test]
fn latency_without_samples_is_empty_not_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = idle_scenario(tmp.path());
    let out = tmp.path().join("run");
    let o = ok(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for mode in ["endpointslices", "endpoints"] {
        assert!(summary.contains(&format!("{mode},propagation_samples,0\n")));
        for q in ["p50", "p90", "p99", "max"] {
            let line = format!("{mode},propagation_{q}_seconds,\n");
            assert!(summary.contains(&line), "no empty {line:?} in\n{summary}");
        }
    }
    let prom = std::fs::read_to_string(out.join("metrics.prom")).unwrap();
    assert!(
        !prom.contains("slicesim_propagation_latency_seconds{"),
        "{prom}"
    );
    let table = stdout(&o);
    let p50 = table
        .lines()
        .find(|l| l.starts_with("propagation_p50_seconds"))
        .unwrap();
    assert!(p50.contains('–') && !p50.contains("0.000"), "{p50}");

    // a sweep keeps the cells empty
    let sweep = tmp.path().join("idle-sweep.toml");
    std::fs::write(
        &sweep,
        "base = \"idle.toml\"\nseeds = [1, 2]\n[grid]\n\"cluster.nodes\" = [2, 3]\n",
    )
    .unwrap();
    let sw = tmp.path().join("sweep");
    ok(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        sw.to_str().unwrap(),
        "--no-progress",
        "-j",
        "1",
    ]);
    let csv = std::fs::read_to_string(sw.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "endpoints.propagation_p99_seconds")
        .unwrap();
    for l in lines {
        assert_eq!(l.split(',').nth(col), Some(""), "{l}");
    }

    // plan tables say "–"
    let report = plan_report(&sc, &tmp.path().join("plan"), &[]);
    let row = report
        .lines()
        .find(|l| l.contains("endpoint propagation p50 / p99"))
        .unwrap();
    assert!(row.contains("– / –") && !row.contains("0.000 s"), "{row}");
}

// ---------------------------------------------------------------------------------------------
// 11. `plan` on a 0-replica workload said "1 replicas at most".

#[test]
fn plan_on_a_zero_replica_workload_says_zero_replicas() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = idle_scenario(tmp.path());
    let report = plan_report(&sc, &tmp.path().join("plan"), &["--seeds", "1"]);
    assert!(
        report.contains("(0 replicas at most in the scenario"),
        "{report}"
    );
    assert!(!report.contains("1 replicas at most"), "{report}");
}

// ---------------------------------------------------------------------------------------------
// 1. The flagship sweep did not vary what it claimed: a scale event reset the swept replicas.

#[test]
fn sweep_warns_when_an_event_overrides_a_swept_value() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("scenarios/quickstart.toml"),
        tmp.path().join("quickstart.toml"),
    )
    .unwrap();
    let sweep = tmp.path().join("size.toml");
    std::fs::write(
        &sweep,
        "base = \"quickstart.toml\"\n[grid]\n\"workloads[0].replicas\" = [30, 50]\n",
    )
    .unwrap();
    let v = ok(&["validate", sweep.to_str().unwrap()]);
    let w = stderr(&v);
    assert!(
        w.contains("warning:")
            && w.contains("workloads[0].replicas")
            && w.contains("events[0]")
            && w.contains("40 replicas"),
        "{w}"
    );
    // `slicesim sweep` warns before it runs anything, and says how many points it will run
    let out = tmp.path().join("out");
    let mut child = bin()
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--no-progress", "--no-charts", "-j", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        use std::io::BufRead;
        let mut r = std::io::BufReader::new(child.stderr.take().unwrap());
        r.read_line(&mut first).unwrap();
        let mut second = String::new();
        r.read_line(&mut second).unwrap();
        assert!(first.contains("overridden"), "{first}");
        assert!(second.contains("2 points"), "{second}");
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    }
    assert!(child.wait().unwrap().success());

    // the bundled sweep varies the Service size through the scale event: no warning
    let v = ok(&[
        "validate",
        repo("scenarios/slice-size-sweep.toml").to_str().unwrap(),
    ]);
    assert!(!stderr(&v).contains("warning"), "{}", stderr(&v));
    let text = std::fs::read_to_string(repo("scenarios/slice-size-sweep.toml")).unwrap();
    assert!(text.contains("\"events[0].replicas\""), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 10. A recorded seed above 2^63−1 could not be written back into TOML or --set.

#[test]
fn seed_takes_the_full_u64_range_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let max = "18446744073709551615";
    let sc = idle_scenario(tmp.path());
    let seed_of = |dir: &Path| -> u64 {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
        m["seed"].as_u64().unwrap()
    };
    // --seed
    let a = tmp.path().join("a");
    ok(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
        "--seed",
        max,
        "--no-charts",
    ]);
    assert_eq!(seed_of(&a), u64::MAX);
    // --set seed=
    let b = tmp.path().join("b");
    let set = format!("seed={max}");
    ok(&[
        "run",
        sc.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
        "--set",
        &set,
        "--no-charts",
    ]);
    assert_eq!(seed_of(&b), u64::MAX);
    // seed = "…" in the file: the recorded seed written back gives the same run
    let text = std::fs::read_to_string(&sc).unwrap();
    let sc2 = tmp.path().join("idle2.toml");
    std::fs::write(&sc2, format!("seed = \"{max}\"\n{text}")).unwrap();
    let c = tmp.path().join("c");
    ok(&[
        "run",
        sc2.to_str().unwrap(),
        "--out",
        c.to_str().unwrap(),
        "--no-charts",
    ]);
    assert_eq!(seed_of(&c), u64::MAX);
    assert_eq!(
        std::fs::read(a.join("summary.csv")).unwrap(),
        std::fs::read(c.join("summary.csv")).unwrap()
    );
    // sweep seeds
    let sw = tmp.path().join("sw.toml");
    std::fs::write(
        &sw,
        format!("base = \"idle.toml\"\nseeds = [1, \"{max}\"]\n"),
    )
    .unwrap();
    let v = ok(&["validate", sw.to_str().unwrap()]);
    assert!(stdout(&v).contains("2 points"), "{}", stdout(&v));
    // a bare number above TOML's integers fails in the TOML parser: the advice says how to
    // write it (in a scenario and in a sweep's seeds)
    std::fs::write(&sc2, format!("seed = {max}\n{text}")).unwrap();
    bad_input(
        &["validate", sc2.to_str().unwrap()],
        "write a larger seed as a string of digits, e.g. seed = \"18446744073709551615\"",
    );
    std::fs::write(&sw, format!("base = \"idle.toml\"\nseeds = [1, {max}]\n")).unwrap();
    bad_input(
        &["validate", sw.to_str().unwrap()],
        "write a larger seed as a string of digits",
    );
    // one message for what is out of range, naming the range
    for bad in [
        "seed = -1",
        "seed = \"1e3\"",
        "seed = \"18446744073709551616\"",
    ] {
        let f = tmp.path().join("bad.toml");
        std::fs::write(&f, format!("{bad}\n{text}")).unwrap();
        bad_input(&["validate", f.to_str().unwrap()], "18446744073709551615");
    }
}

// ---------------------------------------------------------------------------------------------
// 9. The node-CIDR error suggested the very value that had just failed.

#[test]
fn node_cidr_error_gives_advice_that_works() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("big.toml");
    let base = "name = \"big\"\nduration = \"1m\"\n[cluster]\nnodes = 50000\n";
    std::fs::write(&f, format!("{base}pod_cidrs = [\"10.128.0.0/9\"]\n")).unwrap();
    let e = bad_input(
        &["validate", f.to_str().unwrap()],
        "node_cidr_mask_size_ipv4",
    );
    assert!(!e.contains("10.128.0.0/9\"]") || !e.contains("e.g."), "{e}");
    // the advice names a node mask; following it validates
    let mask: u32 = e
        .split("node_cidr_mask_size_ipv4 = ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no node mask advice in: {e}"));
    std::fs::write(
        &f,
        format!("{base}pod_cidrs = [\"10.128.0.0/9\"]\nnode_cidr_mask_size_ipv4 = {mask}\n"),
    )
    .unwrap();
    let r = slicesim(&["validate", f.to_str().unwrap()]);
    assert!(
        r.status.success(),
        "advice /{mask} does not work: {}",
        stderr(&r)
    );
    // and so does the pod CIDR prefix it names
    let prefix: u32 = e
        .split("prefix length /")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let net = if prefix <= 8 {
        "10.0.0.0"
    } else {
        "10.128.0.0"
    };
    // (a pod CIDR that large needs the service CIDR moved out of it)
    let svc = "service_cidrs = [\"172.16.0.0/16\"]";
    std::fs::write(
        &f,
        format!("{base}pod_cidrs = [\"{net}/{prefix}\"]\n{svc}\n"),
    )
    .unwrap();
    let r = slicesim(&["validate", f.to_str().unwrap()]);
    assert!(
        r.status.success(),
        "advice /{prefix} does not work: {}",
        stderr(&r)
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Absurd-but-valid inputs validated silently and ran for ages without a word.

#[test]
fn absurd_event_volume_warns_at_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let long = long_scenario(tmp.path());
    let v = ok(&["validate", long.to_str().unwrap()]);
    let w = stderr(&v);
    assert!(
        w.contains("warning") && w.contains("events[0].rate") && w.contains("480000000"),
        "{w}"
    );
    assert!(w.contains("progress"), "says how progress is shown: {w}");
    // flapping every nanosecond
    let f = tmp.path().join("flap.toml");
    std::fs::write(
        &f,
        "name = \"flap\"\nduration = \"9m\"\n[[workloads]]\nname = \"web\"\nreplicas = 1\n\
         flapping = { probability = 1.0, period = \"1ns\" }\n",
    )
    .unwrap();
    let v = ok(&["validate", f.to_str().unwrap()]);
    assert!(
        stderr(&v).contains("workloads[0].flapping") && stderr(&v).contains("\"web\""),
        "{}",
        stderr(&v)
    );
    // with `copies` the warning names the expanded workload, so the copy is identifiable
    std::fs::write(
        &f,
        "name = \"flap\"\nduration = \"9m\"\n[[workloads]]\nname = \"quiet\"\nreplicas = 1\n\
         [[workloads]]\nname = \"web-{i}\"\ncopies = 2\nreplicas = 1\n\
         flapping = { probability = 1.0, period = \"1ns\" }\n",
    )
    .unwrap();
    let v = ok(&["validate", f.to_str().unwrap()]);
    let w = stderr(&v);
    assert!(w.contains("\"web-0\"") && w.contains("\"web-1\""), "{w}");
    assert!(!w.contains("\"quiet\""), "{w}");
    // a normal scenario stays quiet
    let v = ok(&[
        "validate",
        repo("scenarios/quickstart.toml").to_str().unwrap(),
    ]);
    assert!(!stderr(&v).contains("warning"), "{}", stderr(&v));
}

// ---------------------------------------------------------------------------------------------
// 11. `scripts/conformance.sh` rebuilt even when given a binary.

#[test]
fn conformance_script_uses_the_given_binary_without_building() {
    let tmp = tempfile::tempdir().unwrap();
    // a `cargo` that records being called and fails
    let marker = tmp.path().join("cargo-was-called");
    let fake = tmp.path().join("cargo");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\ntouch {}\nexit 1\n", marker.display()),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        tmp.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg(repo("scripts/conformance.sh"))
        .env("PATH", path)
        .env("SLICESIM", env!("CARGO_BIN_EXE_slicesim"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !marker.exists(),
        "the script ran cargo although SLICESIM was given"
    );
    assert!(
        stdout(&o).contains("lines identical to run 0"),
        "{}",
        stdout(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Smaller defects: exit codes and messages that did not say what was wrong.

#[test]
fn reconcile_non_utf8_and_empty_traces_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, b"\xff\xfe{}\n").unwrap();
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, b"\n\n").unwrap();
    for (file, want) in [(&bad, "not valid UTF-8"), (&empty, "holds no lines")] {
        for extra in [&[][..], &["--seeds", "0..3"][..]] {
            let mut args = vec!["reconcile", file.to_str().unwrap()];
            args.extend_from_slice(extra);
            bad_input(&args, want);
        }
    }
}

#[test]
fn wire_size_list_of_non_objects_says_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("list.json");
    std::fs::write(&f, r#"{"kind":"List","items":[5]}"#).unwrap();
    let err = bad_input(&["wire-size", f.to_str().unwrap()], "items[0]");
    assert!(
        err.contains("items[0]")
            && err.contains("expected a Kubernetes object")
            && !err.contains("Probe"),
        "{err}"
    );
}

#[test]
fn plan_empty_grid_lists_are_refused_not_defaulted() {
    for key in ["plan.batch_periods=[]", "plan.max_endpoints_per_slice=[]"] {
        let out = slicesim(&[
            "validate",
            repo("scenarios/quickstart.toml").to_str().unwrap(),
            "--set",
            key,
        ]);
        assert_eq!(out.status.code(), Some(2), "{key}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("an empty list is not allowed"),
            "{key}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn chart_of_an_empty_sweep_fails_like_an_empty_run_folder() {
    let empty_run = tempfile::tempdir().unwrap();
    let run = slicesim(&["chart", empty_run.path().to_str().unwrap()]);
    let header_only = tempfile::tempdir().unwrap();
    std::fs::write(header_only.path().join("sweep.csv"), "point,seed\n").unwrap();
    let blank = tempfile::tempdir().unwrap();
    std::fs::write(blank.path().join("sweep.csv"), "").unwrap();
    for (what, out) in [
        ("empty run folder", run),
        (
            "header-only sweep.csv",
            slicesim(&["chart", header_only.path().to_str().unwrap()]),
        ),
        (
            "empty sweep.csv",
            slicesim(&["chart", blank.path().to_str().unwrap()]),
        ),
    ] {
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
    }
}

#[test]
fn every_subcommand_help_carries_examples() {
    for cmd in [
        "run",
        "validate",
        "scenarios",
        "reconcile",
        "mirror",
        "wire-size",
        "sweep",
        "merge",
        "chart",
        "plan",
        "bench",
        "import",
    ] {
        let out = ok(&[cmd, "--help"]);
        let text = stdout(&out);
        assert!(
            text.contains("Example") && text.contains(&format!("slicesim {cmd}")),
            "`slicesim {cmd} --help` has no examples:\n{text}"
        );
    }
}
