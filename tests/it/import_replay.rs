//! `slicesim import` with a recorded period, through the binary: a pod watch stream (typed and
//! untyped) over the snapshot it started from, replayed through both controllers; the audit
//! log's writes beside it, per Service; `--set` replays the period with other settings.
//! Fixtures: `tests/data/import/small-period/` (`scripts/import-fixture.py small DIR --period`).

use crate::support::{assert_success, import_data, import_report, read_text};

/// The period: two `web` pods restarted one after another (graceful delete, replacement
/// created, IP, Ready), `db-1` (headless, publishNotReadyAddresses) not Ready then Ready again.
/// By upstream's rules each restart makes 5 slice writes (terminating, not serving, deleted, new
/// endpoint not ready, ready) and 3 Endpoints writes (address dropped when terminating,
/// notReadyAddresses on IP, addresses on Ready); `db-1` changes its slice's `serving` twice and
/// its Endpoints object not at all (publishNotReadyAddresses keeps the address). The audit log
/// has one more slice write for `web` (the retry after a 409) and the 409 itself, rejected.
#[test]
fn recorded_period_replayed_beside_the_audit_log() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("r");
    let o = import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch.json"),
            import_data("small-period/audit.log"),
        ],
        &[],
        &rep,
    );
    assert_success(&o);
    let csv = read_text(&rep.join("replay.csv"));
    assert_eq!(
        csv,
        "service,source,settings,slice_creates,slice_updates,slice_deletes,endpoints_creates,endpoints_updates,endpoints_deletes\n\
shop/db,audit,,0,2,0,0,0,0\n\
shop/db,slicesim,,0,2,0,0,0,0\n\
shop/web,audit,,0,11,0,0,6,0\n\
shop/web,slicesim,,0,10,0,0,6,0\n"
    );
    let md = read_text(&rep.join("report.md"));
    for s in [
        "## The recorded period, replayed",
        "18 pod changes from 2026-11-30T10:05:10Z to 2026-11-30T10:06:50Z (100.0 s)",
        "start state of 12 pods",
        "Rejected writes in the audit log (non-2xx, e.g. 409 Conflict): shop/web: 1 slices, 0 Endpoints.",
        "12 repeat the start state",
        "time of 4 changes: metadata.creationTimestamp",
        "audit: the Service of 6 writes from the Endpoints object's name",
    ] {
        assert!(md.contains(s), "missing {s:?} in\n{md}");
    }
    // deterministic: the same inputs give the same bytes
    let rep2 = tmp.path().join("r2");
    assert_success(&import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch.json"),
            import_data("small-period/audit.log"),
        ],
        &[],
        &rep2,
    ));
    assert_eq!(read_text(&rep2.join("report.md")), md);
}

/// `kubectl get pods -A -w -o json` without `--output-watch-events` prints the same objects
/// without types: deletions are the prints with `deletionGracePeriodSeconds: 0`.
#[test]
fn untyped_stream_replays_like_the_typed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert_success(&import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch.json"),
        ],
        &[],
        &a,
    ));
    assert_success(&import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch-untyped.json"),
        ],
        &[],
        &b,
    ));
    assert_eq!(
        read_text(&a.join("replay.csv")),
        read_text(&b.join("replay.csv"))
    );
    assert!(read_text(&b.join("report.md")).contains("(0 watch events, 30 without event type)"));
}

/// `--set` replays the same period a second time with the setting: slices of at most 2
/// endpoints split `web` (5 pods) into 3 slices, so each change touches more of them.
#[test]
fn set_replays_the_period_with_other_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("r");
    assert_success(&import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch.json"),
        ],
        &[
            "--set",
            "controllers.endpointslice.max_endpoints_per_slice=2",
        ],
        &rep,
    ));
    let csv = read_text(&rep.join("replay.csv"));
    let rows: Vec<&str> = csv.lines().filter(|l| l.starts_with("shop/web,")).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(rows[0], "shop/web,slicesim,,0,10,0,0,6,0");
    assert!(
        rows[1]
            .starts_with("shop/web,slicesim,controllers.endpointslice.max_endpoints_per_slice=2,"),
        "{csv}"
    );
    assert_ne!(
        &rows[1][rows[1].rfind("=2,").unwrap() + 3..],
        "0,10,0,0,6,0"
    );
    // the Endpoints mode does not depend on the slice size
    assert!(rows[1].ends_with(",0,6,0"), "{csv}");
    let md = read_text(&rep.join("report.md"));
    assert!(md.contains("| `--set controllers.endpointslice.max_endpoints_per_slice=2` |"));
    // a bad setting is the scenario's located error, exit 2
    let o = import_report(
        &[
            import_data("small.json"),
            import_data("small-period/watch.json"),
        ],
        &[
            "--set",
            "controllers.endpointslice.max_endpoints_per_slice=0",
        ],
        &tmp.path().join("bad"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("max_endpoints_per_slice"));
}

/// Without a snapshot, the stream's initial listing (the leading prints in List order) is the
/// start state; without Services nothing is selected, and the report says so.
#[test]
fn stream_alone_starts_from_its_initial_listing() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("r");
    assert_success(&import_report(
        &[import_data("small-period/watch.json")],
        &[],
        &rep,
    ));
    let md = read_text(&rep.join("report.md"));
    assert!(
        md.contains("the stream's first 12 prints (kubectl's initial listing"),
        "{md}"
    );
    assert!(md.contains("the inputs have no Services"), "{md}");
}

/// Bad watch and audit input: exit 2, file, object index, what and where.
#[test]
fn bad_stream_and_audit_input_give_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let audit = read_text(&import_data("small-period/audit.log"));
    let mut lines: Vec<String> = audit.lines().map(str::to_string).collect();
    let i = lines
        .iter()
        .position(|l| {
            l.contains("\"resource\":\"endpointslices\"") && l.contains("ResponseComplete")
        })
        .unwrap();
    lines[i] = lines[i].replacen(
        "\"requestReceivedTimestamp\":\"",
        "\"requestReceivedTimestamp\":\"x",
        1,
    );
    let bad = tmp.path().join("audit.log");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let o = import_report(
        &[import_data("small.json"), bad],
        &[],
        &tmp.path().join("r"),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains(&format!("audit.log: object {i} (audit Event "))
            && e.contains("field requestReceivedTimestamp"),
        "{e}"
    );
    let watch = read_text(&import_data("small-period/watch.json")).replacen(
        "\"type\": \"MODIFIED\"",
        "\"type\": \"CHANGED\"",
        1,
    );
    let w = tmp.path().join("watch.json");
    std::fs::write(&w, watch).unwrap();
    let o = import_report(&[import_data("small.json"), w], &[], &tmp.path().join("r"));
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("watch.json: object 12 (watch event): field type: \"CHANGED\""),
        "{e}"
    );
    let watch = read_text(&import_data("small-period/watch.json")).replacen(
        "\"containerPort\": 8080",
        "\"containerPort\": \"http\"",
        1,
    );
    std::fs::write(tmp.path().join("w2.json"), watch).unwrap();
    let o = import_report(
        &[import_data("small.json"), tmp.path().join("w2.json")],
        &[],
        &tmp.path().join("r"),
    );
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("w2.json: object ")
            && e.contains("field spec.containers[0].ports[0].containerPort: \"http\""),
        "{e}"
    );
}
