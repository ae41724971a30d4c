//! The comparison outputs of `slicesim run` against the file contract (README "Output
//! files"): shapes, cross-file consistency and `metrics.prom` parsed back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use slicesim::metrics::{parse_prometheus_text, PromSample};
use slicesim::report::output::run;
use slicesim::report::summary::HEADLINE;
use slicesim::run::RunOptions;

/// Run `sc` with the controllers into `out`.
fn run_into(sc: &Path, out: &Path) {
    run(&RunOptions {
        scenario: sc.to_path_buf(),
        out_dir: Some(out.to_path_buf()),
        controllers: true,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{}: {e:#}", sc.display()));
}

/// Header and records of a CSV file.
fn csv(out: &Path, f: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    assert!(text.ends_with('\n'), "{f}: no final newline");
    assert!(!text.contains('\r'), "{f}: CR line ends");
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

use crate::support::summary_csv as summary;

fn num(s: &BTreeMap<(String, String), String>, mode: &str, m: &str) -> f64 {
    s.get(&(mode.to_string(), m.to_string()))
        .unwrap_or_else(|| panic!("no {mode},{m} in summary.csv"))
        .parse()
        .unwrap()
}

const MODES: [&str; 2] = ["endpointslices", "endpoints"];

/// Quickstart with node joins and departures, a relist and a second kube-proxy-less watcher
/// removed: every node-related path of the outputs runs.
fn with_node_churn(dir: &Path) -> PathBuf {
    let mut src = std::fs::read_to_string(crate::support::bundled("quickstart.toml")).unwrap();
    src.push_str(
        "\n[[events]]\nat = \"150s\"\ntype = \"add_nodes\"\ncount = 2\n\
         \n[[events]]\nat = \"200s\"\ntype = \"watch_restart\"\n\
         \n[[events]]\nat = \"250s\"\ntype = \"remove_nodes\"\nnodes = [1]\ndrain = false\n",
    );
    let p = dir.join("churny.toml");
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn summary_has_every_headline_metric_in_both_modes_and_integers_print_as_integers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    run_into(&crate::support::bundled("quickstart.toml"), &out);
    let (_, rows) = csv(&out, "summary.csv");
    // mode order: run rows, then endpointslices, then endpoints
    let order: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let first = |m: &str| order.iter().position(|x| *x == m).unwrap();
    let last = |m: &str| order.iter().rposition(|x| *x == m).unwrap();
    assert!(last("run") < first("endpointslices"));
    assert!(last("endpointslices") < first("endpoints"));
    let s = summary(&out);
    for m in MODES {
        for h in HEADLINE {
            assert!(s.contains_key(&(m.to_string(), h.to_string())), "{m},{h}");
        }
    }
    // same metric names in both modes
    let names = |m: &str| -> Vec<&str> {
        rows.iter()
            .filter(|r| r[0] == m)
            .map(|r| r[1].as_str())
            .collect()
    };
    assert_eq!(names("endpointslices"), names("endpoints"));
    for r in &rows {
        assert!(!r[2].ends_with(".0"), "{r:?} prints an integer with .0");
    }
    assert_eq!(s[&("run".into(), "scenario".into())], "quickstart");
    assert!(s.contains_key(&("run".into(), "workload.web.pods_created".into())));
    assert!(s.contains_key(&("run".into(), "changes.Pod_added".into())));
    // no per-Service rows in summary.csv: they are in services.csv
    assert!(rows.iter().all(|r| !r[1].contains("default/web")));
    let (h, sv) = csv(&out, "services.csv");
    assert_eq!(h, slicesim::report::services::HEADER);
    for (i, m) in MODES.iter().enumerate() {
        let rows: Vec<_> = sv.iter().filter(|r| r[1] == *m).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(sv[i][1], *m, "endpointslices row first");
        let col = |c: usize| {
            rows.iter()
                .map(|r| r[c].parse::<f64>().unwrap())
                .sum::<f64>()
        };
        assert_eq!(col(2), num(&s, m, "writes_create"));
        assert_eq!(col(3), num(&s, m, "writes_update"));
        assert_eq!(col(4), num(&s, m, "writes_delete"));
        assert_eq!(col(7), num(&s, m, "objects_alive_final"));
    }
}

#[test]
fn timeseries_is_dense_and_sums_to_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    run_into(&with_node_churn(dir.path()), &out);
    let s = summary(&out);
    let (h, rows) = csv(&out, "timeseries.csv");
    assert_eq!(
        h,
        [
            "time_s",
            "mode",
            "writes",
            "watch_events",
            "bytes_out",
            "bytes_per_node_mean",
            "bytes_per_node_max",
            "objects_alive",
            "endpoints_ready"
        ]
    );
    let duration = num(&s, "run", "duration_s") as usize;
    assert_eq!(rows.len(), 2 * (duration + 1));
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (i / 2).to_string());
        assert_eq!(r[1], MODES[i % 2]);
    }
    for (mi, m) in MODES.iter().enumerate() {
        let col = |c: usize| -> f64 {
            rows.iter()
                .skip(mi)
                .step_by(2)
                .map(|r| r[c].parse::<f64>().unwrap())
                .sum()
        };
        assert_eq!(col(2), num(&s, m, "writes_stored"), "{m} writes");
        assert_eq!(col(3), num(&s, m, "watch_events"), "{m} watch events");
        assert_eq!(col(4), num(&s, m, "bytes_out_total"), "{m} bytes");
        for r in rows.iter().skip(mi).step_by(2) {
            let (mean, max): (f64, f64) = (r[5].parse().unwrap(), r[6].parse().unwrap());
            assert!(mean <= max, "{r:?}");
        }
        let last = &rows[rows.len() - 2 + mi];
        assert_eq!(
            last[7].parse::<f64>().unwrap(),
            num(&s, m, "objects_alive_final")
        );
        assert_eq!(
            last[8].parse::<f64>().unwrap(),
            num(&s, m, "endpoints_ready_final")
        );
    }
    // the nodes that joined LISTed: relists counted, and the per-node max jumps then
    assert!(num(&s, "endpointslices", "relists") >= 2.0);
    let joined = rows
        .iter()
        .find(|r| r[0] == "150" && r[1] == "endpointslices")
        .unwrap();
    assert!(joined[6].parse::<u64>().unwrap() > 0, "{joined:?}");
}

#[test]
fn node_ingress_rows_sum_to_the_kube_proxy_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    run_into(&with_node_churn(dir.path()), &out);
    let s = summary(&out);
    let (h, rows) = csv(&out, "node_ingress.csv");
    assert_eq!(h, ["node", "mode", "watch_events", "bytes"]);
    // 4 initial nodes + 2 joined (one of the initial ones left, it keeps its row)
    for (mi, m) in MODES.iter().enumerate() {
        let mine: Vec<_> = rows.iter().filter(|r| r[1] == *m).collect();
        assert_eq!(mine.len(), 6, "{m}");
        // endpointslices rows first, nodes in name order
        assert!(rows[mi * 6..(mi + 1) * 6].iter().all(|r| r[1] == *m));
        let names: Vec<&str> = mine.iter().map(|r| r[0].as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let events: f64 = mine.iter().map(|r| r[2].parse::<f64>().unwrap()).sum();
        let bytes: f64 = mine.iter().map(|r| r[3].parse::<f64>().unwrap()).sum();
        // each kube-proxy event reached exactly the nodes live at the time
        assert_eq!(events, num(&s, m, "watch_events_kube_proxy"), "{m}");
        // bytes: the events, plus each node's LISTs and bookmarks (spread the same way the
        // summary counts them, so within the mode's bookmark and relist totals)
        let ev_bytes = num(&s, m, "watch_event_bytes_kube_proxy");
        let extra = num(&s, m, "bookmark_bytes") + num(&s, m, "relist_bytes");
        assert!(
            bytes >= ev_bytes && bytes <= ev_bytes + extra,
            "{m}: {bytes} vs {ev_bytes}+{extra}"
        );
        let max = mine
            .iter()
            .map(|r| r[3].parse::<f64>().unwrap())
            .fold(0.0, f64::max);
        assert_eq!(max, num(&s, m, "node_ingress_bytes_max"));
        assert_eq!(num(&s, m, "node_ingress_nodes"), 6.0);
        // the nodes that came late received less than those present from the start
        let min = mine
            .iter()
            .map(|r| r[3].parse::<f64>().unwrap())
            .fold(f64::MAX, f64::min);
        assert!(min < max);
    }
}

#[test]
fn latency_cdf_is_monotone_and_matches_the_percentiles() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    run_into(&crate::support::bundled("quickstart.toml"), &out);
    let s = summary(&out);
    let (h, rows) = csv(&out, "latency_cdf.csv");
    assert_eq!(h, ["mode", "quantile", "seconds"]);
    for m in MODES {
        let mine: Vec<_> = rows.iter().filter(|r| r[1 - 1] == m).collect();
        assert_eq!(mine.len(), 101, "{m}");
        let mut last = 0.0f64;
        for (i, r) in mine.iter().enumerate() {
            assert_eq!(r[1], format!("{:.2}", i as f64 / 100.0));
            let v: f64 = r[2].parse().unwrap();
            assert!(v >= last, "{m}: CDF decreases at {r:?}");
            last = v;
        }
        assert_eq!(
            mine[50][2].parse::<f64>().unwrap(),
            num(&s, m, "propagation_p50_seconds")
        );
        assert_eq!(
            mine[99][2].parse::<f64>().unwrap(),
            num(&s, m, "propagation_p99_seconds")
        );
        assert_eq!(last, num(&s, m, "propagation_max_seconds"));
    }
}

/// One sample per pod change, not per write: quickstart's 30 initial pods, 10 from the scale-up
/// and the rolling update's 40 new ready pods and 40 old terminating ones are 120 changes in
/// each mode, each sampled, superseded or unresolved; their latencies spread (p50 < p90).
#[test]
fn propagation_samples_pod_changes_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    let outcome = run(&RunOptions {
        scenario: crate::support::bundled("quickstart.toml"),
        out_dir: Some(out.clone()),
        controllers: true,
        ..Default::default()
    })
    .unwrap();
    let s = summary(&out);
    for m in MODES {
        let n = |k: &str| num(&s, m, k);
        assert_eq!(
            n("propagation_samples") + n("propagation_superseded") + n("propagation_unresolved"),
            120.0,
            "{m}"
        );
        assert!(n("propagation_samples") >= 100.0, "{m}");
        assert!(
            n("propagation_p50_seconds") < n("propagation_p90_seconds"),
            "{m}: p50 {} p90 {}",
            n("propagation_p50_seconds"),
            n("propagation_p90_seconds")
        );
    }
    // The terminal table carries the same rows, both modes side by side with their ratio.
    let t = &outcome.terminal_summary;
    assert!(t.contains("EP/ES"), "{t}");
    for k in [
        "propagation_superseded",
        "propagation_unresolved",
        "watch_event_bytes",
    ] {
        assert!(t.lines().any(|l| l.starts_with(k)), "{k} not in\n{t}");
    }
    // metrics.prom counts the same changes.
    let text = std::fs::read_to_string(out.join("metrics.prom")).unwrap();
    let samples = parse_prometheus_text(&text).unwrap();
    for m in MODES {
        for (outcome, metric) in [
            ("sampled", "propagation_samples"),
            ("superseded", "propagation_superseded"),
            ("unresolved", "propagation_unresolved"),
        ] {
            let v = samples
                .iter()
                .find(|x| {
                    x.name == "slicesim_propagation_changes_total"
                        && label(x, "mode") == Some(m)
                        && label(x, "outcome") == Some(outcome)
                })
                .map(|x| x.value);
            assert_eq!(v, Some(num(&s, m, metric)), "{m} {outcome}");
        }
    }
}

#[test]
fn slice_fill_counts_sum_to_the_slices_alive() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    run_into(&crate::support::bundled("scale-0-250-0.toml"), &out);
    let s = summary(&out);
    let duration = num(&s, "run", "duration_s") as u64;
    let step = duration.div_ceil(200).max(1);
    let (h, rows) = csv(&out, "slice_fill.csv");
    assert_eq!(h, ["time_s", "fill_lo", "fill_hi", "slices"]);
    let samples = rows.len() / 10;
    assert_eq!(rows.len(), samples * 10);
    assert_eq!(samples as u64, duration / step + 1);
    let (_, ts) = csv(&out, "timeseries.csv");
    // objects alive at second t = the timeseries row t-1 (sampled at its end)
    let alive: BTreeMap<u64, u64> = ts
        .iter()
        .filter(|r| r[1] == "endpointslices")
        .map(|r| (r[0].parse::<u64>().unwrap() + 1, r[7].parse().unwrap()))
        .collect();
    let mut saw_full = false;
    for (k, chunk) in rows.chunks(10).enumerate() {
        let t = k as u64 * step;
        for (b, r) in chunk.iter().enumerate() {
            assert_eq!(r[0], t.to_string());
            assert_eq!(r[1], format!("{:.1}", b as f64 / 10.0));
            assert_eq!(r[2], format!("{:.1}", (b + 1) as f64 / 10.0));
        }
        let n: u64 = chunk.iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
        if let Some(a) = alive.get(&t) {
            assert_eq!(n, *a, "t = {t}");
        }
        saw_full |= chunk[9][3] != "0";
    }
    // 250 endpoints at 100 per slice: two full slices while scaled up
    assert!(saw_full);
}

#[test]
fn syncs_bytes_written_add_up_to_the_request_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    run_into(&crate::support::bundled("quickstart.toml"), &out);
    let s = summary(&out);
    let (h, rows) = csv(&out, "syncs.csv");
    assert_eq!(h[8], "bytes_written");
    assert_eq!(h[9], "result");
    let sum = |c: &str| -> f64 {
        rows.iter()
            .filter(|r| r[1] == c)
            .map(|r| r[8].parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(
        sum("endpointslice"),
        num(&s, "endpointslices", "api_request_bytes")
    );
    assert_eq!(sum("endpoints"), num(&s, "endpoints", "api_request_bytes"));
    // a sync without writes wrote nothing
    for r in &rows {
        if r[3] == "0" && r[4] == "0" && r[5] == "0" {
            assert_eq!(r[8], "0", "{r:?}");
        }
    }
}

#[test]
fn events_mark_the_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c");
    run_into(&with_node_churn(dir.path()), &out);
    let (h, rows) = csv(&out, "events.csv");
    assert_eq!(h, ["time_s", "kind", "label"]);
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        kinds[..5],
        [
            ("120", "scale"),
            ("150", "add_nodes"),
            ("200", "watch_restart"),
            ("250", "remove_nodes"),
            ("300", "rolling_update_start"),
        ]
    );
    assert_eq!(rows[0][2], "web 30→40");
    assert_eq!(rows[2][2], "all watchers");
    // the rollout ends after it starts, at a whole second
    let end = rows.iter().find(|r| r[1] == "rolling_update_end").unwrap();
    let t: f64 = end[0].parse().unwrap();
    assert!(t > 300.0 && t.fract() == 0.0, "{end:?}");
    let times: Vec<f64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

fn label<'a>(s: &'a PromSample, k: &str) -> Option<&'a str> {
    s.labels
        .iter()
        .find(|(a, _)| a == k)
        .map(|(_, v)| v.as_str())
}

#[test]
fn metrics_prom_parses_back_with_upstream_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    run_into(&crate::support::bundled("quickstart.toml"), &out);
    let s = summary(&out);
    let text = std::fs::read_to_string(out.join("metrics.prom")).unwrap();
    let samples = parse_prometheus_text(&text).unwrap();
    // every family announced with HELP and TYPE before its samples
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut it = l[7..].split(' ');
        typed.insert(it.next().unwrap().into(), it.next().unwrap().into());
    }
    for (name, kind) in [
        ("endpoint_slice_controller_changes", "counter"),
        (
            "endpoint_slice_controller_endpoints_added_per_sync",
            "histogram",
        ),
        (
            "endpoint_slice_controller_endpoints_removed_per_sync",
            "histogram",
        ),
        ("endpoint_slice_controller_num_endpoint_slices", "gauge"),
        ("endpoint_slice_controller_desired_endpoint_slices", "gauge"),
        ("endpoint_slice_controller_endpoints_desired", "gauge"),
        (
            "endpoint_slice_controller_endpointslices_changed_per_sync",
            "histogram",
        ),
        ("endpoint_slice_controller_syncs", "counter"),
        ("endpoint_slice_mirroring_controller_changes", "counter"),
        ("apiserver_watch_events_total", "counter"),
        ("apiserver_watch_events_sizes", "histogram"),
    ] {
        assert_eq!(typed.get(name).map(String::as_str), Some(kind), "{name}");
    }
    for x in &samples {
        let base = x
            .name
            .strip_suffix("_bucket")
            .or_else(|| x.name.strip_suffix("_sum"))
            .or_else(|| x.name.strip_suffix("_count"))
            .filter(|b| typed.get(*b).is_some_and(|k| k == "histogram"))
            .unwrap_or(&x.name);
        assert!(typed.contains_key(base), "{} has no TYPE", x.name);
        let mode = label(x, "mode").unwrap_or_else(|| panic!("{} has no mode", x.name));
        assert!(MODES.contains(&mode));
        assert!(
            base.starts_with("slicesim_")
                || base.starts_with("endpoint_slice_")
                || base.starts_with("apiserver_"),
            "{base}"
        );
    }
    let get = |name: &str, labels: &[(&str, &str)]| -> f64 {
        let hits: Vec<_> = samples
            .iter()
            .filter(|x| x.name == name && labels.iter().all(|(k, v)| label(x, k) == Some(v)))
            .collect();
        assert_eq!(hits.len(), 1, "{name} {labels:?}");
        hits[0].value
    };
    for m in MODES {
        assert_eq!(
            get("apiserver_watch_events_total", &[("mode", m)]),
            num(&s, m, "watch_events")
        );
        assert_eq!(
            get("apiserver_watch_events_sizes_count", &[("mode", m)]),
            num(&s, m, "watch_events")
        );
        assert_eq!(
            get("apiserver_watch_events_sizes_sum", &[("mode", m)]),
            num(&s, m, "watch_event_bytes")
        );
    }
    for (op, metric) in [("create", "writes_create"), ("update", "writes_update")] {
        assert_eq!(
            get("endpoint_slice_controller_changes", &[("operation", op)]),
            num(&s, "endpointslices", metric)
        );
    }
    assert_eq!(
        get("endpoint_slice_controller_syncs", &[("result", "success")]),
        num(&s, "endpointslices", "syncs_success")
    );
    // upstream buckets: ExponentialBuckets(2, 2, 15) → 2 … 32768, then +Inf; cumulative
    let buckets: Vec<(String, f64)> = samples
        .iter()
        .filter(|x| x.name == "endpoint_slice_controller_endpoints_added_per_sync_bucket")
        .map(|x| (label(x, "le").unwrap().to_string(), x.value))
        .collect();
    let les: Vec<&str> = buckets.iter().map(|(l, _)| l.as_str()).collect();
    let mut want: Vec<String> = (0..15).map(|i| (2u64 << i).to_string()).collect();
    want.push("+Inf".into());
    assert_eq!(les, want);
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1));
    let n = get(
        "endpoint_slice_controller_endpoints_added_per_sync_count",
        &[("mode", "endpointslices")],
    );
    assert_eq!(buckets.last().unwrap().1, n);
    // one slice of 40 endpoints at 100 per slice
    assert_eq!(
        get("endpoint_slice_controller_desired_endpoint_slices", &[]),
        1.0
    );
    assert_eq!(
        get("endpoint_slice_controller_num_endpoint_slices", &[]),
        1.0
    );
    assert_eq!(
        get("endpoint_slice_controller_endpoints_desired", &[]),
        40.0
    );
    let changed = get(
        "endpoint_slice_controller_endpointslices_changed_per_sync_count",
        &[("topology", "Disabled")],
    );
    assert_eq!(changed, n);
}

#[test]
fn desired_slices_follow_max_endpoints_per_slice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q");
    run(&RunOptions {
        scenario: crate::support::bundled("quickstart.toml"),
        out_dir: Some(out.clone()),
        controllers: true,
        overrides: vec!["controllers.endpointslice.max_endpoints_per_slice=9".into()],
        ..Default::default()
    })
    .unwrap();
    let text = std::fs::read_to_string(out.join("metrics.prom")).unwrap();
    let samples = parse_prometheus_text(&text).unwrap();
    let v = |n: &str| samples.iter().find(|x| x.name == n).unwrap().value;
    // 40 endpoints, 9 per slice: ⌈40/9⌉ = 5 (upstream numDesiredSlices)
    assert_eq!(v("endpoint_slice_controller_desired_endpoint_slices"), 5.0);
    assert!(v("endpoint_slice_controller_num_endpoint_slices") >= 5.0);
}
