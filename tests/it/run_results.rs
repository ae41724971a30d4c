//! `sweep` and `plan` take a run's figures from its `RunResults`; a resumed sweep and
//! `slicesim merge` read the same figures back from the run folder. Both paths must agree.

use slicesim::plan::results::{Series, SummaryRows};
use slicesim::report::output::run;
use slicesim::report::summary::summary_rows;
use slicesim::run::RunOptions;
use slicesim::sweep::{headline_metrics, headline_of};
use std::path::Path;

fn tiny_run(out: &Path) -> slicesim::report::output::RunOutcome {
    run(&RunOptions {
        scenario: Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/snapshots/tiny.toml"),
        out_dir: Some(out.to_path_buf()),
        controllers: true,
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn figures_from_results_equal_figures_read_back_from_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let outcome = tiny_run(&out);
    let r = &outcome.results;

    // sweep: headline metrics
    let rows = summary_rows(r);
    let fresh = headline_of(
        rows.iter()
            .map(|x| (x.mode, x.metric.as_str(), x.value.render())),
    );
    let read = headline_metrics(&out).unwrap();
    assert_eq!(fresh, read);
    assert!(
        fresh.contains_key("endpointslices.watch_events"),
        "{fresh:?}"
    );

    // plan: summary and series
    assert_eq!(SummaryRows::of(r), SummaryRows::read(&out).unwrap());
    let series = Series::of(r);
    assert_eq!(series, Series::read(&out).unwrap());
    assert!(series.total_bytes("endpoints", 0) > 0.0);
}
