//! `slicesim run` with the endpoint controllers: outputs, determinism, hand-derived counts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenario(name: &str) -> PathBuf {
    crate::support::bundled(&format!("{name}.toml"))
}

fn run(path: &Path, out: &Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_slicesim"))
        .arg("run")
        .arg(path)
        .arg("--no-progress")
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

use crate::support::summary_csv as summary;

fn metric(s: &BTreeMap<(String, String), String>, mode: &str, m: &str) -> u64 {
    s.get(&(mode.to_string(), m.to_string()))
        .unwrap_or_else(|| panic!("no {mode},{m}"))
        .parse()
        .unwrap()
}

/// `(service, mode)` → the other columns of services.csv, by header name.
fn services(out: &Path) -> BTreeMap<(String, String), BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(out.join("services.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, slicesim::report::services::HEADER);
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let vals = header[2..]
                .iter()
                .zip(&f[2..])
                .map(|(h, v)| (h.to_string(), v.parse().unwrap()))
                .collect();
            ((f[0].to_string(), f[1].to_string()), vals)
        })
        .collect()
}

/// Two runs give byte-identical files (summary, syncs, timeseries, manifest, recorded trace).
#[test]
fn reruns_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for i in 0..2 {
        let out = dir.path().join(format!("run{i}"));
        let trace = format!("default/web={}", out.join("trace").display());
        let stdout = run(
            &scenario("quickstart"),
            &out,
            &[
                "--record-trace",
                &trace,
                "--set",
                "controllers.endpointslice.max_endpoints_per_slice=9",
            ],
        );
        outs.push((out, stdout));
    }
    for f in [
        "summary.csv",
        "services.csv",
        "syncs.csv",
        "timeseries.csv",
        "workloads.csv",
        "node_ingress.csv",
        "latency_cdf.csv",
        "slice_fill.csv",
        "events.csv",
        "metrics.prom",
        "trace/input.jsonl",
        "trace/output.jsonl",
        "trace/seed",
    ] {
        let a = std::fs::read(outs[0].0.join(f)).unwrap();
        let b = std::fs::read(outs[1].0.join(f)).unwrap();
        assert!(a == b, "{f} differs between reruns");
        assert!(!a.is_empty(), "{f} empty");
    }
    let strip = |s: &str| {
        s.lines()
            // the lines naming the output directory differ by design
            .filter(|l| !l.starts_with("results written") && !l.contains("charts written to"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&outs[0].1), strip(&outs[1].1), "terminal summary");
    let m0: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outs[0].0.join("run.json")).unwrap()).unwrap();
    let m1: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outs[1].0.join("run.json")).unwrap()).unwrap();
    assert_eq!(m0["files"], m1["files"], "manifest file hashes");
    assert!(m0["files"].to_string().contains("syncs.csv"));
}

/// Every bundled scenario except `scalability-envelope` runs and reports controller writes.
/// The large ones are run shrunk (fewer nodes and replicas) to keep debug CI time small; their
/// full-size figures are measured in release (see the README).
#[test]
fn bundled_scenarios_report_controller_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .filter(|p| !p.ends_with("scalability-envelope.toml"))
            .filter(|p| !slicesim::scenario::is_sweep_file(p))
            .collect();
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let shrink: &[&str] = match stem.as_str() {
            "kep752-20k-endpoints"
            | "kep752-20k-service-create-delete"
            | "blog-2020-5000-pods-3000-nodes" => &[
                "--set",
                "cluster.nodes=40",
                "--set",
                "workloads[0].replicas=300",
            ],
            "rolling-update-1000" => &["--set", "workloads[0].replicas=100"],
            "churn" => &[
                "--set",
                "workloads[0].replicas=40",
                "--set",
                "events[0].duration=3m",
            ],
            "dual-stack" | "headless-publish-not-ready" => &["--set", "workloads[0].replicas=30"],
            _ => &[],
        };
        let out = dir.path().join(&stem);
        let stdout = run(&f, &out, shrink);
        assert!(stdout.contains("controllers: service"), "{stem}: {stdout}");
        let s = summary(&out);
        let writes = metric(&s, "endpointslices", "writes_stored")
            + metric(&s, "endpoints", "writes_stored");
        assert!(writes > 0, "{stem}: no controller writes");
        let syncs = std::fs::read_to_string(out.join("syncs.csv")).unwrap();
        assert!(syncs.starts_with(
            "time_s,controller,service,creates,updates,deletes,endpoints_added,endpoints_removed,bytes_written,result\n"
        ));
        assert!(syncs.lines().count() > 1, "{stem}: no syncs");
    }
}

/// scale-0-250-0, M = 100, one Service over a Deployment scaled 0 → 250 (at 1 m) → 0 (at 6 m).
///
/// Hand derivation (reconciler.go reconcileByPortMapping and the placeholder rule;
/// endpoints_controller.go syncService):
/// - t = 0: no pods → the ESC creates the placeholder slice (1 create); the EPC creates the
///   empty Endpoints object (1 create).
/// - scale-up: 250 endpoints need ⌈250/100⌉ = 3 slices. The placeholder is replaced by
///   recycling (create+delete → update), so 2 more creates: **3 creates** in total and
///   **3 slices at most**.
/// - scale-down to 0: the 3 slices empty; 2 are deleted and one becomes the placeholder again
///   (delete + placeholder create → update): **2 deletes**, **1 slice alive** at the end.
/// - every pod's address is added once and removed once: Σ endpoints_added = Σ removed = 250
///   over the ESC's syncs and over the EPC's syncs (each pod has its own IP).
/// - the Endpoints object is never deleted (the Service lives on): 0 EP deletes.
/// - updates: at least one per sync that saw an endpoint change, at most one per slice per sync.
#[test]
fn scale_0_250_0_hand_derived_counts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&scenario("scale-0-250-0"), &out, &[]);
    let sv = services(&out);
    let es = &sv[&("default/batch".to_string(), "endpointslices".to_string())];
    let ep = &sv[&("default/batch".to_string(), "endpoints".to_string())];
    assert_eq!(es["creates"], 3);
    assert_eq!(es["deletes"], 2);
    assert_eq!(es["objects_max"], 3);
    assert_eq!(es["objects_alive"], 1);
    assert_eq!(ep["creates"], 1);
    assert_eq!(ep["deletes"], 0);
    assert_eq!(es["rejected"] + ep["rejected"], 0);
    let syncs = std::fs::read_to_string(out.join("syncs.csv")).unwrap();
    let (mut esc_syncs, mut esc_changed, mut added, mut removed) = (0u64, 0u64, 0u64, 0u64);
    let (mut ep_added, mut ep_removed, mut esc_updates) = (0u64, 0u64, 0u64);
    for l in syncs.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let n = |i: usize| f[i].parse::<u64>().unwrap();
        match f[1] {
            "endpointslice" => {
                esc_syncs += 1;
                added += n(6);
                removed += n(7);
                esc_updates += n(4);
                if n(6) + n(7) > 0 {
                    esc_changed += 1;
                    assert!(n(3) + n(4) + n(5) >= 1, "an endpoint change writes: {l}");
                }
                assert!(n(4) <= 3, "at most one update per slice per sync: {l}");
            }
            "endpoints" => {
                ep_added += n(6);
                ep_removed += n(7);
            }
            _ => {}
        }
    }
    assert_eq!((added, removed), (250, 250));
    assert_eq!((ep_added, ep_removed), (250, 250));
    assert_eq!(es["updates"], esc_updates);
    let s = summary(&out);
    assert_eq!(metric(&s, "endpointslices", "writes_update"), esc_updates);
    assert!(esc_changed >= 2 && esc_syncs >= esc_changed);
}
