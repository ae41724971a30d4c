//! `slicesim sweep --shard K/N` + `slicesim merge` equals the unsharded sweep; bad input exits 2.

use std::path::{Path, PathBuf};

use crate::support::{bad_input, stdout};

fn write_sweep(dir: &Path, file: &str, grid: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    std::fs::copy(&base, dir.join("base.toml")).unwrap();
    let p = dir.join(file);
    std::fs::write(
        &p,
        format!("base = \"base.toml\"\nseeds = [3, 4]\n[grid]\n{grid}"),
    )
    .unwrap();
    p
}

/// Run the binary, require exit 0; its stdout.
fn ok(args: &[&str]) -> String {
    stdout(&crate::support::ok(args))
}

/// Run the binary, require exit 2; its stderr.
fn fails(args: &[&str]) -> String {
    bad_input(args, "")
}

#[test]
fn shards_merged_equal_the_unsharded_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sw = write_sweep(
        d,
        "s.toml",
        "\"workloads[0].replicas\" = [5, 10, 20, 40, 80]\n",
    );
    let sw = sw.to_str().unwrap();
    let s = |p: &str| d.join(p).to_str().unwrap().to_string();
    ok(&["sweep", sw, "--out", &s("all")]);
    let mut shard_rows = 0;
    for k in 0..3 {
        let out = ok(&[
            "sweep",
            sw,
            "--out",
            &s(&format!("shard{k}")),
            "--shard",
            &format!("{k}/3"),
        ]);
        assert!(out.contains("10 points"), "{out}");
        let csv = std::fs::read_to_string(d.join(format!("shard{k}/sweep.csv"))).unwrap();
        shard_rows += csv.lines().count() - 1;
    }
    assert_eq!(shard_rows, 10, "every point in exactly one shard");
    // merge in a scrambled order: the result does not depend on it
    ok(&[
        "merge",
        &s("shard2"),
        &s("shard0"),
        &s("shard1"),
        "--out",
        &s("merged"),
    ]);
    let all = std::fs::read(d.join("all/sweep.csv")).unwrap();
    let merged = std::fs::read(d.join("merged/sweep.csv")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&merged),
        String::from_utf8_lossy(&all)
    );
    assert!(d.join("merged/points/p0009/point.json").is_file());

    // a missing shard is named
    let e = fails(&["merge", &s("shard0"), &s("shard1"), "--out", &s("m2")]);
    assert!(
        e.contains("not complete in any input") && e.contains("p0002"),
        "{e}"
    );
    // shards of a different sweep file are refused
    let other = write_sweep(
        d,
        "t.toml",
        "\"workloads[0].replicas\" = [5, 10, 20, 40, 81]\n",
    );
    ok(&[
        "sweep",
        other.to_str().unwrap(),
        "--out",
        &s("other1"),
        "--shard",
        "1/3",
    ]);
    let e = fails(&[
        "merge",
        &s("shard0"),
        &s("other1"),
        &s("shard2"),
        "--out",
        &s("m3"),
    ]);
    assert!(e.contains("different sweep"), "{e}");
    // and a sweep into a directory of another sweep is refused too
    let e = fails(&["sweep", other.to_str().unwrap(), "--out", &s("all")]);
    assert!(e.contains("different sweep"), "{e}");
}

#[test]
fn bad_sweep_files_exit_2_with_located_errors_before_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sw = write_sweep(
        d,
        "s.toml",
        "\"workloads[0].replicas\" = [5, 10]\n\"cluster.nodes\" = [2, \"lots\"]\n",
    );
    let out = d.join("out");
    let e = fails(&[
        "sweep",
        sw.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("point p0002 is not a valid override"), "{e}");
    assert!(e.contains("cluster.nodes = \"lots\" ("), "{e}");
    assert!(e.contains("s.toml:5:"), "{e}");
    assert!(
        !out.exists(),
        "nothing may run before the whole sweep is valid"
    );

    std::fs::write(
        d.join("u.toml"),
        "base = \"base.toml\"\n[grid]\n\"workloads[0].replicas\" = 5\n",
    )
    .unwrap();
    let e = fails(&[
        "sweep",
        d.join("u.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        e.contains("u.toml:3:27: grid.\"workloads[0].replicas\": expected an array"),
        "{e}"
    );
    let e = fails(&["sweep", sw.to_str().unwrap(), "--shard", "3/3"]);
    assert!(e.contains("--shard 3/3"), "{e}");
}

#[test]
fn bundled_sweep_is_valid() {
    let sw = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/slice-size-sweep.toml");
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&[
        "sweep",
        sw.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "-j",
        "2",
    ]);
    assert!(
        out.contains("24 points, 24 in this run, 0 already complete (skipped), 24 run"),
        "{out}"
    );
}

#[test]
fn kubernetes_job_passes_its_completion_index_as_the_shard() {
    let y = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sweep-job.yaml"),
    )
    .unwrap();
    assert!(y.contains("completionMode: Indexed"));
    assert!(y.contains("--shard \"$JOB_COMPLETION_INDEX/$SHARDS\""));
    assert!(y.contains("slicesim merge /results/shard-* --out /results/merged"));
    let field = |key: &str| -> String {
        let l = y.lines().find(|l| l.trim_start().starts_with(key)).unwrap();
        let v = l.split_once(':').unwrap().1;
        v.split('#')
            .next()
            .unwrap()
            .trim()
            .trim_matches('"')
            .to_string()
    };
    assert_eq!(field("completions:"), "8");
    let shards = y
        .lines()
        .skip_while(|l| !l.contains("name: SHARDS"))
        .nth(1)
        .unwrap();
    assert!(
        shards.contains("value: \"8\""),
        "SHARDS must equal completions: {shards}"
    );
    // the sweep file it names is the bundled one, and it is valid
    assert!(y.contains("value: /scenarios/slice-size-sweep.toml"));
    assert!(y.contains("path: slice-size-sweep.toml") && y.contains("path: quickstart.toml"));
    let sweep = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/slice-size-sweep.toml"),
    )
    .unwrap();
    assert!(
        sweep.contains("base = \"quickstart.toml\""),
        "the Job's mount layout assumes this"
    );
}
