//! The plain progress line `slicesim run` prints on stderr when it is not a terminal (every
//! 10 s of wall clock by default; `--progress-interval SECONDS`, hidden, sets the interval).

use crate::support::bin;
use std::path::Path;

fn run(extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let sc = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.toml");
    bin()
        .args(["run", sc.to_str().unwrap(), "--no-charts"])
        .args(["--out", dir.path().join("out").to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

fn progress_lines(o: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("progress: simulated "))
        .map(str::to_string)
        .collect()
}

#[test]
fn progress_line_without_a_terminal_follows_the_interval() {
    // stderr is a pipe here: interval 0 = one plain line per simulated second
    let o = run(&["--progress-interval", "0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = progress_lines(&o);
    assert!(lines.len() > 10, "{lines:?}");
    assert!(lines[0].contains(" events, "), "{}", lines[0]);
    assert!(
        lines.last().unwrap().contains("simulated 600/600 s"),
        "{:?}",
        lines.last()
    );
}

#[test]
fn progress_line_waits_for_its_interval_and_obeys_no_progress() {
    // a run far shorter than an hour prints none
    let o = run(&["--progress-interval", "3600"]);
    assert!(o.status.success());
    assert!(progress_lines(&o).is_empty());
    let o = run(&["--progress-interval", "0", "--no-progress"]);
    assert!(o.status.success());
    assert!(progress_lines(&o).is_empty());
}

#[test]
fn progress_interval_must_be_a_non_negative_number() {
    let o = run(&["--progress-interval=-1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("non-negative"));
}
