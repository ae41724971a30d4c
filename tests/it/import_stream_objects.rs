//! `slicesim import` with Service and Node watch streams (`kubectl get services -A -w -o json
//! --output-watch-events`, `kubectl get nodes -w -o json --output-watch-events`) beside the
//! snapshot they started from: each change is replayed at its time, through both controllers.
//! Fixtures: `tests/data/import/objects.json` and `objects-period/`
//! (`scripts/import-fixture.py objects ...`, `... --objects-period`).

use crate::support::{assert_success, import_data, import_report, read_text};

const HEADER: &str = "service,source,settings,slice_creates,slice_updates,slice_deletes,endpoints_creates,endpoints_updates,endpoints_deletes\n";

/// The period (seconds after its start at 10:05:00; the cluster: `web` 4 pods, one per node
/// node-a-0, node-a-1, node-b-0, node-b-1; `db` 3 pods on the first three; no topology hints):
///
/// - 10 s: `db`'s selector narrowed to db-0. EndpointSlice mode: its one slice loses two
///   endpoints (1 update); Endpoints mode: its Endpoints object loses two addresses (1 update).
///   Applied to the start state instead, it would cost nothing in the period.
/// - 20 s: node-b-1 Ready Unknown, then deleted (its DELETED print has no newer timestamp: the
///   same second, spread to 20.5 s). No Service syncs on a Node change without hints; pod GC
///   removes the orphaned `web` pod 40 s later (60.5 s): `web` 1 slice update, 1 Endpoints
///   update.
/// - 30 s: Service `api` created (it selects `web`). EndpointSlice mode: 1 create of a slice
///   with 3 endpoints (the pod on the deleted node is skipped, upstream's "Node not found");
///   at 60.5 s the pod's removal changes nothing in it. Endpoints mode: 1 create with 4
///   addresses (the Endpoints controller reads no Nodes), 1 update at 60.5 s.
/// - 40 s: node-c-0 joins in zone-c (no pods, no hints): no write.
#[test]
fn service_and_node_changes_cost_writes_at_their_time_in_both_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("r");
    let o = import_report(
        &[
            import_data("objects.json"),
            import_data("objects-period/services-watch.json"),
            import_data("objects-period/nodes-watch.json"),
        ],
        &[],
        &rep,
    );
    assert_success(&o);
    assert_eq!(
        read_text(&rep.join("replay.csv")),
        format!(
            "{HEADER}\
shop/api,slicesim,,1,0,0,1,1,0\n\
shop/db,slicesim,,0,1,0,0,1,0\n\
shop/web,slicesim,,0,1,0,0,1,0\n"
        )
    );
    let md = read_text(&rep.join("report.md"));
    for s in [
        "0 pod changes and 5 Service/Node changes from 2026-11-30T10:05:10Z to 2026-11-30T10:05:40Z (30.0 s)",
        "4 Service, 7 Node prints read (0 without event type), replayed at their times",
        "6 repeat the start state",
        "time of 1 changes: the newest metadata.managedFields[].time (the last write)",
    ] {
        assert!(md.contains(s), "missing {s:?} in\n{md}");
    }
}

/// Without the Node stream, node-b-1 stays and nothing happens to `web`; without the Service
/// stream, `db` and `api` never change: each stream's changes are its own.
#[test]
fn each_stream_replays_only_its_own_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("s");
    assert_success(&import_report(
        &[
            import_data("objects.json"),
            import_data("objects-period/services-watch.json"),
        ],
        &[],
        &rep,
    ));
    assert_eq!(
        read_text(&rep.join("replay.csv")),
        format!(
            "{HEADER}\
shop/api,slicesim,,1,0,0,1,0,0\n\
shop/db,slicesim,,0,1,0,0,1,0\n"
        )
    );
    let rep = tmp.path().join("n");
    assert_success(&import_report(
        &[
            import_data("objects.json"),
            import_data("objects-period/nodes-watch.json"),
        ],
        &[],
        &rep,
    ));
    assert_eq!(
        read_text(&rep.join("replay.csv")),
        format!("{HEADER}shop/web,slicesim,,0,1,0,0,1,0\n")
    );
}

/// A Service print with a bad field in a watch stream: located (file, object, kind/name,
/// field), exit code 2, no panic.
#[test]
fn bad_service_print_in_a_stream_gives_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    let text = read_text(&import_data("objects-period/services-watch.json"));
    let bad = text.replacen("\"port\": 5432", "\"port\": \"pg\"", 1);
    assert_ne!(bad, text);
    let f = tmp.path().join("services-watch.json");
    std::fs::write(&f, bad).unwrap();
    let o = import_report(
        &[import_data("objects.json"), f],
        &[],
        &tmp.path().join("r"),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("services-watch.json: object 0 (Service shop/db): field spec.ports[0].port: \"pg\": expected an integer in 1..=65535"),
        "{err}"
    );
}

/// A Node print that repeats the node's previous watch print in everything the replay reads (a
/// status heartbeat: newer resourceVersion and lastHeartbeatTime) costs nothing, and the report
/// says how many were dropped. Two heartbeats of node-a-0 after the initial listing: the first
/// is compared with the start state (a repeat of it, counted there), the second with the
/// first, so one is dropped as read.
#[test]
fn node_heartbeat_prints_are_reported_and_cost_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let text = read_text(&import_data("objects-period/nodes-watch.json"));
    let mut prints: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(|v| v.unwrap())
        .collect();
    let mut beat = prints[0].clone();
    beat["type"] = "MODIFIED".into();
    beat["object"]["metadata"]["resourceVersion"] = "1100".into();
    for c in beat["object"]["status"]["conditions"]
        .as_array_mut()
        .unwrap()
    {
        c["lastHeartbeatTime"] = "2026-11-30T10:05:15Z".into();
    }
    prints.insert(4, beat.clone());
    prints.insert(5, beat);
    let f = tmp.path().join("nodes-watch.json");
    let body: Vec<String> = prints.iter().map(|p| p.to_string()).collect();
    std::fs::write(&f, body.join("\n")).unwrap();
    let plain = tmp.path().join("plain");
    let beats = tmp.path().join("beats");
    for (stream, rep) in [
        (import_data("objects-period/nodes-watch.json"), &plain),
        (f, &beats),
    ] {
        assert_success(&import_report(
            &[import_data("objects.json"), stream],
            &[],
            rep,
        ));
    }
    assert_eq!(
        read_text(&beats.join("replay.csv")),
        read_text(&plain.join("replay.csv"))
    );
    let md = read_text(&beats.join("report.md"));
    assert!(
        md.contains("Node prints repeating that Node's previous watch print in everything the replay reads (status heartbeats): 1, dropped as read"),
        "{md}"
    );
    assert!(!read_text(&plain.join("report.md")).contains("Node prints repeating"));
}
