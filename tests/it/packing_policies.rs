//! `controllers.endpointslice.packing` through the binary: the bundled packing study under
//! the three policies (repack ends with the fewest slices and sends the most watch bytes,
//! bounded stays between, upstream is the default), and the field's validation.

use crate::support::{bin, bundled};
use std::path::Path;

use crate::support::summary_csv as summary;

/// (slices at the end, writes stored, watch bytes) of the study under `sets`.
fn study(dir: &Path, tag: &str, sets: &[&str]) -> (u64, u64, u64) {
    let out = dir.join(tag);
    let mut cmd = bin();
    cmd.args([
        "run",
        bundled("packing-study.toml").to_str().unwrap(),
        "--no-progress",
    ])
    .arg("--out")
    .arg(&out);
    for s in sets {
        cmd.args(["--set", s]);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = summary(&out);
    let m = |k: &str| -> u64 {
        s[&("endpointslices".to_string(), k.to_string())]
            .parse()
            .unwrap_or_else(|e| panic!("{k}: {e}"))
    };
    (
        m("objects_alive_final"),
        m("writes_stored"),
        m("bytes_out_total"),
    )
}

#[test]
fn repack_yields_fewest_slices_and_bounded_stays_between() {
    let dir = tempfile::tempdir().unwrap();
    let default = study(dir.path(), "default", &[]);
    let upstream = study(
        dir.path(),
        "upstream",
        &["controllers.endpointslice.packing=upstream"],
    );
    let repack = study(
        dir.path(),
        "repack",
        &["controllers.endpointslice.packing=repack"],
    );
    let bounded = study(
        dir.path(),
        "bounded",
        &["controllers.endpointslice.packing=bounded"],
    );
    assert_eq!(default, upstream, "upstream is the default");
    // 90 endpoints in slices of 50: repack ends with 2, upstream keeps its 6
    assert_eq!(repack.0, 2, "repack {repack:?}");
    assert!(
        upstream.0 > bounded.0 && bounded.0 > repack.0,
        "{upstream:?} {bounded:?} {repack:?}"
    );
    // consolidating rewrites fuller slices: more watch bytes than upstream's in-place edits
    assert!(
        repack.2 > upstream.2,
        "repack sends more bytes: {repack:?} vs {upstream:?}"
    );
}

fn validate(sets: &[&str]) -> std::process::Output {
    let mut cmd = bin();
    cmd.args(["validate", bundled("packing-study.toml").to_str().unwrap()]);
    for s in sets {
        cmd.args(["--set", s]);
    }
    cmd.output().unwrap()
}

#[test]
fn packing_validation_names_the_field_and_what_is_allowed() {
    let o = validate(&["controllers.endpointslice.packing=fewest"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("controllers.endpointslice.packing"), "{e}");
    assert!(e.contains("\"upstream\", \"repack\", \"bounded\""), "{e}");

    for bad in ["0", "1.5", "\"half\""] {
        let o = validate(&[
            "controllers.endpointslice.packing=bounded",
            &format!("controllers.endpointslice.packing_min_fill={bad}"),
        ]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("packing_min_fill"), "{bad}: {e}");
    }

    let o = validate(&["controllers.endpointslice.packing_min_fill=0.3"]);
    assert!(o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("only `packing = \"bounded\"` reads packing_min_fill"),
        "{e}"
    );
}
