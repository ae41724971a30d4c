//! What `slicesim import` cannot express is said on stderr and in the scenario's comments,
//! never dropped silently. Fixture: `tests/data/import/model.json` (`scripts/import-fixture.py
//! model`: a Deployment `shop/canary` whose selector has matchExpressions).

use crate::support::{import_data, import_to_file};

#[test]
fn match_expressions_not_modelled_are_reported_on_stderr_and_in_the_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.toml");
    let o = import_to_file(&import_data("model.json"), &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("import: workload shop/canary: the owner's matchExpressions are not modelled"),
        "{err}"
    );
    // Only the workload with matchExpressions is named.
    assert_eq!(err.matches("import: workload ").count(), 1, "{err}");
    let s = std::fs::read_to_string(out).unwrap();
    assert!(
        s.contains("# selector: the owner's matchExpressions are not modelled; matchLabels kept."),
        "{s}"
    );
}
