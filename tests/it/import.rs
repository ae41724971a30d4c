//! `slicesim import` through the binary: kubectl snapshots (one List, a dump folder, mixed
//! inputs, watch events) → scenario → validate → run; located errors for bad input; the cost
//! report's figures against values computed independently (`slicesim wire-size`) for the small
//! fixture (`tests/data/import/`, made by `scripts/import-fixture.py`).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{bin, import_data};

fn import(args: &[&std::ffi::OsStr]) -> Output {
    bin().arg("import").args(args).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The scenario's lines without comments.
fn values(toml: &str) -> Vec<&str> {
    toml.lines().filter(|l| !l.starts_with('#')).collect()
}

/// `slicesim validate FILE` succeeds.
fn assert_validates(scenario: &Path) {
    let o = bin().arg("validate").arg(scenario).output().unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
}

/// `slicesim import INPUT --report DIR EXTRA...` succeeds; its `report.md`.
fn report_md(input: &Path, rep: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&std::ffi::OsStr> =
        vec![input.as_os_str(), "--report".as_ref(), rep.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let o = import(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    std::fs::read_to_string(rep.join("report.md")).unwrap()
}

fn import_to(tmp: &Path, inputs: &[PathBuf]) -> String {
    let out = tmp.join("scenario.toml");
    let mut args: Vec<&std::ffi::OsStr> = inputs.iter().map(|p| p.as_os_str()).collect();
    args.push("--out".as_ref());
    args.push(out.as_os_str());
    let o = import(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    std::fs::read_to_string(out).unwrap()
}

/// The small fixture, checked by hand: 4 nodes in 2 zones, a DaemonSet on every node, a
/// Deployment of 5 (one not Ready), a StatefulSet of 3 behind a headless Service, two
/// selectorless Services with their Endpoints, one ConfigMap (skipped).
#[test]
fn small_list_imports_validates_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = import_to(tmp.path(), &[import_data("small.json")]);
    let v = values(&toml);
    for line in [
        "version = 1",
        "nodes = 4",
        "  { name = \"zone-a\", weight = 2, node_cpu = \"3920m\" },",
        "  { name = \"zone-b\", weight = 2, node_cpu = \"3920m\" },",
        "name = \"kube-proxy\"",
        "kind = \"DaemonSet\"",
        "name = \"web\"",
        "replicas = 5",
        "labels = { app = \"web\" }",
        "ports = [{ name = \"http\", container_port = 8080, protocol = \"TCP\" }]",
        "max_surge = \"25%\"",
        "replicas = 3",
        "kind = \"StatefulSet\"",
        "service_name = \"db\"",
        "ports = [{ name = \"http\", port = 80, target_port = \"http\", protocol = \"TCP\" }]",
        "annotations = { \"service.kubernetes.io/topology-mode\" = \"Auto\" }",
        "cluster_ip = \"None\"",
        "publish_not_ready_addresses = true",
        "addresses = [\"172.16.0.10\", \"172.16.0.11\"]",
        "labels = { \"endpointslice.kubernetes.io/skip-mirror\" = \"true\" }",
    ] {
        assert!(v.contains(&line), "missing {line:?} in\n{toml}");
    }
    assert_eq!(v.iter().filter(|l| **l == "[[workloads]]").count(), 3);
    assert_eq!(v.iter().filter(|l| **l == "[[services]]").count(), 4);
    // Pod-template-hash and StatefulSet per-pod labels are not template labels.
    assert!(
        !toml.contains("pod-template-hash = ")
            && !toml.contains("\"statefulset.kubernetes.io/pod-name\" =")
    );
    assert!(
        toml.contains("# readiness observed: 4 Ready, 1 not Ready"),
        "{toml}"
    );
    assert!(toml.contains("Skipped (kinds the import does not use): 1 ConfigMap"));

    let scenario = tmp.path().join("scenario.toml");
    assert_validates(&scenario);
    let o = bin()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(tmp.path().join("run"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(tmp.path().join("run/run.json").is_file());
}

/// Objects of `kinds` from a List file, as a new List (a per-kind input file).
fn extract(list: &Path, kinds: &[&str], out: &Path) {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(list).unwrap()).unwrap();
    let items: Vec<Value> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| kinds.contains(&i["kind"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    let doc = serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}});
    std::fs::write(out, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
}

/// A `cluster-info dump` folder (typed Lists without item kinds, pod logs beside them) plus the
/// kinds a dump lacks from per-kind files gives the same scenario values as the one List.
#[test]
fn dump_folder_plus_per_kind_files_equals_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = import_to(tmp.path(), &[import_data("small.json")]);
    let extra = tmp.path().join("endpoints.json");
    extract(
        &import_data("small.json"),
        &["Endpoints", "EndpointSlice", "StatefulSet"],
        &extra,
    );
    let t2 = tempfile::tempdir().unwrap();
    let mixed = import_to(t2.path(), &[import_data("small-dump"), extra]);
    assert_eq!(values(&whole), values(&mixed));
    // The dump alone: no Endpoints, so the selectorless Services get none (and say so).
    let t3 = tempfile::tempdir().unwrap();
    let dump = import_to(t3.path(), &[import_data("small-dump")]);
    assert!(
        dump.contains("No Endpoints object for it in the input"),
        "{dump}"
    );
    assert!(
        dump.contains("(no StatefulSet object in the input)"),
        "{dump}"
    );
}

/// Watch events over the snapshot: the newest state wins.
#[test]
fn watch_events_apply_over_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(import_data("small.json")).unwrap()).unwrap();
    let db2 = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["metadata"]["name"] == "db-2")
        .unwrap()
        .clone();
    let mut notready = db2.clone();
    notready["metadata"]["name"] = "db-1".into();
    notready["metadata"]["resourceVersion"] = "999999".into();
    notready["status"]["conditions"][1]["status"] = "False".into();
    // kubectl get pods -w -o json --output-watch-events: pretty-printed events one after another.
    let stream = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&serde_json::json!({"type": "DELETED", "object": db2}))
            .unwrap(),
        serde_json::to_string_pretty(&serde_json::json!({"type": "MODIFIED", "object": notready}))
            .unwrap()
    );
    let w = tmp.path().join("watch.json");
    std::fs::write(&w, stream).unwrap();
    let toml = import_to(tmp.path(), &[import_data("small.json"), w]);
    assert!(
        toml.contains("StatefulSet.spec.replicas = 3; 2 live pods observed"),
        "{toml}"
    );
    assert!(
        toml.contains("# readiness observed: 1 Ready, 1 not Ready"),
        "{toml}"
    );
}

/// Bad input: exit 2, a message naming the file, the object, the field and what is allowed.
#[test]
fn malformed_inputs_give_located_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, String, &[&str]); 5] = [
        (
            "truncated.json",
            "{\"kind\": \"List\", \"items\": [\n  {\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}},\n  {\"kind\": \"Pod\", \"metadata\"".into(),
            &["truncated.json:3:", "truncated"],
        ),
        (
            "port.json",
            "{\"kind\":\"List\",\"items\":[{\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"}},\n{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"x\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":\"http\"}]}]}}]}".into(),
            &["port.json: object 1 (Pod x/p): field spec.containers[0].ports[0].containerPort: \"http\": expected an integer in 1..=65535"],
        ),
        (
            "cpu.json",
            "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},\"status\":{\"allocatable\":{\"cpu\":\"four\"}}}".into(),
            &["cpu.json: object 0 (Node n1): field status.allocatable.cpu: \"four\": expected a CPU quantity"],
        ),
        (
            "pods.yaml",
            "apiVersion: v1\nkind: List\nitems: []\n".into(),
            &["pods.yaml:1: expected a JSON object or array", "-o json"],
        ),
        (
            "svc.json",
            "{\"kind\":\"ServiceList\",\"items\":[{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":true}]}}]}".into(),
            &["svc.json: object 0 (Service n/s): field spec.ports[0].targetPort: true: expected an integer or a string"],
        ),
    ];
    for (name, body, wants) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        let o = import(&[p.as_os_str()]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        for w in wants {
            assert!(err.contains(w), "{name}: want {w:?} in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Exact protobuf watch-event size of one object, by `slicesim wire-size` (independent of the
/// import's code path).
fn pb_event_size(obj: &Value, tmp: &Path) -> u64 {
    let p = tmp.join("obj.json");
    std::fs::write(&p, serde_json::to_string(obj).unwrap()).unwrap();
    let o = bin().arg("wire-size").arg(&p).output().unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    let row: Value = serde_json::from_slice(&o.stdout).unwrap();
    row["protobufWatchEvent"].as_u64().unwrap()
}

/// The report's figures for shop/web, computed by hand: the snapshot holds one slice of 5
/// endpoints and an Endpoints of 4 ready + 1 not-ready addresses; one change goes to 4
/// kube-proxies + 2 CoreDNS = 6 receivers; slicesim's controllers write the same counts.
#[test]
fn report_figures_match_hand_computed_values() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("rep");
    let md = report_md(&import_data("small.json"), &rep, &["--large", "5"]);
    let csv = std::fs::read_to_string(rep.join("services.csv")).unwrap();
    assert!(rep.join("scenario.toml").is_file());
    let row = |src: &str| -> Vec<String> {
        csv.lines()
            .find(|l| l.starts_with(&format!("shop,web,{src},")))
            .unwrap_or_else(|| panic!("no shop/web {src} row in\n{csv}"))
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(import_data("small.json")).unwrap()).unwrap();
    let items = v["items"].as_array().unwrap();
    let slice = items
        .iter()
        .find(|i| {
            i["kind"] == "EndpointSlice"
                && i["metadata"]["labels"]["kubernetes.io/service-name"] == "web"
        })
        .unwrap();
    let eps = items
        .iter()
        .find(|i| i["kind"] == "Endpoints" && i["metadata"]["name"] == "web")
        .unwrap();
    let (slice_ev, eps_ev) = (
        pb_event_size(slice, tmp.path()),
        pb_event_size(eps, tmp.path()),
    );
    let c = row("cluster");
    // slices, endpoints, ready, not ready
    assert_eq!(
        (c[3].as_str(), c[4].as_str(), c[7].as_str(), c[8].as_str()),
        ("1", "5", "4", "1")
    );
    assert_eq!(
        c[11],
        (slice_ev * 6).to_string(),
        "one change, slices: {csv}"
    );
    assert_eq!(
        c[12],
        (eps_ev * 6).to_string(),
        "one change, Endpoints: {csv}"
    );
    let s = row("slicesim");
    assert_eq!(
        (s[3].as_str(), s[4].as_str(), s[7].as_str(), s[8].as_str()),
        ("1", "5", "4", "1")
    );
    // The rolling update of web (5 ≥ --large 5) was simulated and wrote something in both modes.
    let writes: Vec<f64> = [13, 15].iter().map(|&i| s[i].parse().unwrap()).collect();
    assert!(writes.iter().all(|w| *w > 0.0), "{csv}");
    // The headless db goes to the 2 CoreDNS only.
    let db = csv
        .lines()
        .find(|l| l.starts_with("shop,db,cluster,"))
        .unwrap();
    let db_slice = items
        .iter()
        .find(|i| {
            i["kind"] == "EndpointSlice"
                && i["metadata"]["labels"]["kubernetes.io/service-name"] == "db"
        })
        .unwrap();
    assert_eq!(
        db.split(',').nth(11).unwrap(),
        (pb_event_size(db_slice, tmp.path()) * 2).to_string()
    );
    assert!(md.contains("| shop/web | web |"), "{md}");
}

/// The generated medium fixture (30 nodes, 557 pods, a 290-endpoint Service whose slices are
/// fragmented) imports into a scenario that validates; the report lists the fragmentation.
#[test]
fn medium_fixture_imports_and_reports_fragmentation() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = import_to(tmp.path(), &[import_data("medium.json")]);
    assert!(values(&toml).contains(&"nodes = 30"));
    assert_validates(&tmp.path().join("scenario.toml"));
    let md = report_md(
        &import_data("medium.json"),
        &tmp.path().join("rep"),
        &["--large", "1000"],
    );
    assert!(
        md.contains("apps/svc-0: slice count differs: cluster 5 vs slicesim 3"),
        "{md}"
    );
    assert!(
        md.contains("| apps/svc-0 | cluster | 5 | 70 70 70 70 10 |"),
        "{md}"
    );
}

/// Real API output published as test data by another project (provenance in
/// `tests/data/import/public/README.md`): typed Lists without item kinds, a static pod owned by
/// its Node, a slice field slicesim does not model (its size is declined, not guessed).
#[test]
fn public_real_captures_import_and_report() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = import_to(tmp.path(), &[import_data("public")]);
    let v = values(&toml);
    assert!(v.contains(&"nodes = 1"), "{toml}");
    assert!(v.contains(&"name = \"etcd\""), "{toml}");
    assert!(
        toml.contains("no Node objects: 1 distinct spec.nodeName values of pods"),
        "{toml}"
    );
    assert_validates(&tmp.path().join("scenario.toml"));
    let md = report_md(&import_data("public"), &tmp.path().join("rep"), &[]);
    assert!(
        md.contains("EndpointSlice kube-system/kube-dns-22mvb: unknown field `topology`"),
        "{md}"
    );
    assert!(
        md.contains("| kube-system/kube-dns | cluster | 1 | 1 |"),
        "{md}"
    );
    assert!(
        md.contains("default/kubernetes: no Service object in the input"),
        "{md}"
    );
}
