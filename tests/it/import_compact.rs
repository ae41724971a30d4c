//! Huge imports with bounded memory: pods kept as compact records (`import::podrec::PodRec`).
//!
//! Differential: the compact path gives byte-for-byte the scenario and report of the path it
//! replaced (pods kept as reduced `k8s::Pod`s), recorded in `tests/data/import/expected/` by the
//! binary of main at 104379a for every small fixture (re-recorded when StatefulSets and
//! DaemonSets became workload kinds: their `[[workloads]]` entries and the costs that depend on
//! their pods' placement and hostnames changed, nothing else); every pod of the fixtures survives the
//! compact record unchanged. A large cluster's List (generated here, never committed) imports
//! with progress on stderr and a peak resident set well under the input's size.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use slicesim::import::podrec::{PodInterner, PodRec};
use slicesim::import::read::{read_file, Either};
use slicesim::import::snapshot::{kind_of, parse_pod};

use crate::support::bin;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import")
}

/// (case, inputs relative to `tests/data/import`): the scenario's comments name the inputs as
/// given, so they are given relative, as when the expected outputs were recorded.
const CASES: [(&str, &[&str]); 5] = [
    ("small", &["small.json"]),
    ("medium", &["medium.json"]),
    ("dump", &["small-dump"]),
    (
        "period",
        &[
            "small.json",
            "small-period/watch.json",
            "small-period/audit.log",
        ],
    ),
    (
        "public",
        &[
            "public/victoriametrics-podlist.json",
            "public/victoriametrics-endpointslicelist.json",
        ],
    ),
];

#[test]
fn compact_pods_give_the_outputs_of_full_pods() {
    for (case, inputs) in CASES {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("report");
        let o = bin()
            .current_dir(data_dir())
            .arg("import")
            .args(inputs)
            .arg("--out")
            .arg(tmp.path().join("scenario.toml"))
            .arg("--report")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{case}: {o:?}");
        let expected = data_dir().join("expected").join(case);
        let mut names: Vec<_> = std::fs::read_dir(&expected)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert!(names.len() >= 3, "{case}: {names:?}");
        for n in names {
            let want = std::fs::read_to_string(expected.join(&n)).unwrap();
            let got = std::fs::read_to_string(out.join(&n)).unwrap();
            assert!(
                want == got,
                "{case}/{}: differs from the full-pod path's output",
                n.to_string_lossy()
            );
        }
        let scenario = std::fs::read_to_string(tmp.path().join("scenario.toml")).unwrap();
        assert_eq!(
            scenario,
            std::fs::read_to_string(expected.join("scenario.toml")).unwrap()
        );
    }
}

/// Every pod object of `file` (Lists, watch streams), as `snapshot::parse_pod` reduces it.
fn pods_of(file: &Path) -> Vec<slicesim::k8s::Pod> {
    let mut out = Vec::new();
    read_file::<String>(file, &mut |item| {
        if kind_of(&item).as_deref() == Some("Pod") {
            out.push(parse_pod(&item).map_err(|e| e.0)?.2);
        }
        Ok(())
    })
    .map_err(|e| match e {
        Either::Left(e) => e.0,
        Either::Right(e) => e,
    })
    .unwrap();
    out
}

#[test]
fn compact_records_keep_every_pod_field_the_import_reads() {
    let d = data_dir();
    let mut files = vec![
        d.join("small.json"),
        d.join("medium.json"),
        d.join("small-period/watch.json"),
        d.join("small-period/watch-untyped.json"),
        d.join("public/victoriametrics-podlist.json"),
    ];
    for ns in ["default", "kube-system", "shop"] {
        files.push(d.join("small-dump").join(ns).join("pods.json"));
    }
    let mut it = PodInterner::default();
    let mut total = 0;
    let mut recs = Vec::new();
    for f in &files {
        for p in pods_of(f) {
            let r = PodRec::from_pod(p.clone(), &mut it);
            assert_eq!(r.to_pod(), p, "{}", f.display());
            recs.push(r);
            total += 1;
        }
    }
    assert!(total > 500, "{total}");
    // The pods of one ReplicaSet share their labels, owner reference and containers.
    let medium: Vec<&PodRec> = recs
        .iter()
        .filter(|r| r.label("app") == Some("svc-0"))
        .collect();
    assert!(medium.len() >= 290, "{}", medium.len());
    for r in &medium[1..] {
        assert!(std::rc::Rc::ptr_eq(&r.containers, &medium[0].containers));
        assert!(std::rc::Rc::ptr_eq(
            &r.owner_references,
            &medium[0].owner_references
        ));
    }
}

/// A kubectl-shaped List of a big cluster (`kubectl get nodes,pods,services,deployments,
/// replicasets -A -o json`, compact as the API server sends it): `pods` pods, 30 per node, in
/// Deployments of 500, 200, 100, 50 and 50 replicas with a Service each; a pod has what kubectl
/// prints (managedFields, conditions, container statuses, volumes, tolerations). Same shape as
/// `scripts/import-fixture.py large=N`.
fn write_large(path: &Path, pods: usize) -> (u64, usize) {
    let f = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::new(f);
    let ts = "2026-11-30T10:00:00Z";
    let nodes = (pods / 30).max(3);
    let mut first = true;
    let mut item = |w: &mut std::io::BufWriter<std::fs::File>, v: Value| {
        if !first {
            w.write_all(b",").unwrap();
        }
        first = false;
        serde_json::to_writer(&mut *w, &v).unwrap();
    };
    w.write_all(b"{\"apiVersion\":\"v1\",\"items\":[").unwrap();
    let mut rv = 1000u64;
    let mut next_rv = || {
        rv += 7;
        rv.to_string()
    };
    let managed = |m: &str| json!({"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{}}}},"manager":m,"operation":"Update","time":ts});
    for n in 0..nodes {
        let zone = ["zone-a", "zone-b", "zone-c"][n % 3];
        let name = format!("node-{n}");
        item(
            &mut w,
            json!({"apiVersion":"v1","kind":"Node","metadata":{"creationTimestamp":ts,"labels":{"kubernetes.io/hostname":name,"topology.kubernetes.io/zone":zone},"managedFields":[managed("kubelet")],"name":name,"resourceVersion":next_rv(),"uid":format!("node-uid-{n}")},
            "spec":{"podCIDR":format!("10.{}.{}.0/24", 64 + n / 256, n % 256),"podCIDRs":[format!("10.{}.{}.0/24", 64 + n / 256, n % 256)]},
            "status":{"allocatable":{"cpu":"7910m","memory":"15Gi","pods":"110"},"conditions":[{"lastHeartbeatTime":ts,"lastTransitionTime":ts,"message":"kubelet is posting ready status","reason":"KubeletReady","status":"True","type":"Ready"}],"nodeInfo":{"kubeletVersion":"v1.32.0","operatingSystem":"linux"}}}),
        );
    }
    let sizes = [500, 200, 100, 50, 50];
    let mut made = 0;
    let mut d = 0;
    while made < pods {
        let reps = sizes[d % sizes.len()].min(pods - made);
        let ns = format!("ns-{}", d % 20);
        let name = format!("svc-{d}");
        let hash = format!("{:010x}", d * 7919 + 12345);
        let rs = format!("{name}-{hash}");
        let labels = json!({"app": name});
        item(
            &mut w,
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"creationTimestamp":ts,"labels":labels,"name":name,"namespace":ns,"resourceVersion":next_rv(),"uid":format!("d-{d}")},
            "spec":{"replicas":reps,"selector":{"matchLabels":labels},"strategy":{"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"},"template":{"metadata":{"labels":labels},"spec":{"containers":[]}}},"status":{"replicas":reps}}),
        );
        item(
            &mut w,
            json!({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"creationTimestamp":ts,"labels":{"app":name,"pod-template-hash":hash},"name":rs,"namespace":ns,"ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"Deployment","name":name,"uid":format!("d-{d}")}],"resourceVersion":next_rv(),"uid":format!("rs-{d}")},
            "spec":{"replicas":reps,"selector":{"matchLabels":{"app":name,"pod-template-hash":hash}},"template":{"metadata":{"labels":{"app":name}},"spec":{"containers":[]}}},"status":{"replicas":reps}}),
        );
        item(
            &mut w,
            json!({"apiVersion":"v1","kind":"Service","metadata":{"creationTimestamp":ts,"labels":labels,"name":name,"namespace":ns,"resourceVersion":next_rv(),"uid":format!("s-{d}")},
            "spec":{"clusterIP":format!("10.96.{}.{}", d / 250, 10 + d % 250),"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":"http"}],"selector":labels,"type":"ClusterIP"},"status":{"loadBalancer":{}}}),
        );
        for i in 0..reps {
            let k = made + i;
            let node = k % nodes;
            let pname = format!("{rs}-{:05x}", (k * 2654435761) % 0xfffff);
            let ip = format!("10.{}.{}.{}", 64 + node / 256, node % 256, 10 + k / nodes);
            let ready = if i < reps / 50 { "False" } else { "True" };
            item(
                &mut w,
                json!({"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":ts,"generateName":format!("{rs}-"),"labels":{"app":name,"pod-template-hash":hash},
                "managedFields":[managed("kube-controller-manager"),managed("kubelet")],"name":pname,"namespace":ns,
                "ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,"controller":true,"kind":"ReplicaSet","name":rs,"uid":format!("rs-{d}")}],"resourceVersion":next_rv(),"uid":format!("pod-{k:08}")},
                "spec":{"containers":[{"image":"registry.example/app:1.0","imagePullPolicy":"IfNotPresent","name":"app","ports":[{"containerPort":8080,"name":"http","protocol":"TCP"}],
                "readinessProbe":{"failureThreshold":3,"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,"timeoutSeconds":1},
                "resources":{"requests":{"cpu":"100m","memory":"64Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",
                "volumeMounts":[{"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access","readOnly":true}]}],
                "dnsPolicy":"ClusterFirst","nodeName":format!("node-{node}"),"restartPolicy":"Always","schedulerName":"default-scheduler","serviceAccountName":"default","terminationGracePeriodSeconds":30,
                "tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300}],
                "volumes":[{"name":"kube-api-access","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}]}}]},
                "status":{"conditions":[{"lastProbeTime":null,"lastTransitionTime":ts,"status":"True","type":"PodScheduled"},{"lastProbeTime":null,"lastTransitionTime":ts,"status":ready,"type":"Ready"},{"lastProbeTime":null,"lastTransitionTime":ts,"status":ready,"type":"ContainersReady"}],
                "containerStatuses":[{"containerID":format!("containerd://{k:064x}"),"image":"registry.example/app:1.0","imageID":"registry.example/app@sha256:0123","lastState":{},"name":"app","ready":ready == "True","restartCount":0,"started":true,"state":{"running":{"startedAt":ts}}}],
                "hostIP":"192.168.0.10","phase":"Running","podIP":ip,"podIPs":[{"ip":ip}],"qosClass":"Burstable","startTime":ts}}),
            );
        }
        made += reps;
        d += 1;
    }
    w.write_all(b"],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}\n")
        .unwrap();
    w.flush().unwrap();
    (std::fs::metadata(path).unwrap().len(), d)
}

/// 30,000 pods (~75 MB of JSON, above the 64 MB where progress shows): the scenario has every
/// workload, progress reaches stderr, and the peak resident set (reported on stderr from
/// `/proc/self/status` where Linux has it) stays under the input (the full-pod path needed
/// about four times the input).
#[test]
fn large_list_imports_with_progress_and_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("large.json");
    let (bytes, deployments) = write_large(&input, 30_000);
    assert!(bytes > 64 << 20, "{bytes}");
    let out = tmp.path().join("large.toml");
    let o = crate::support::import_to_file(&input, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("large.json: 50% ("), "{err}");
    assert!(
        err.contains(&format!(
            "1000 nodes, 30000 pods in {deployments} workloads"
        )),
        "{err}"
    );
    let toml = std::fs::read_to_string(&out).unwrap();
    assert_eq!(toml.matches("[[workloads]]").count(), deployments);
    assert!(toml.contains("nodes = 1000"), "{}", &toml[..2000]);
    if let Some(mb) = err
        .lines()
        .find_map(|l| l.strip_prefix("import: peak memory "))
    {
        let mb: u64 = mb.trim_end_matches(" MB").parse().unwrap();
        // The full-pod path peaked at about four times the input; fixed overhead weighs here.
        assert!(
            mb * 5 < (bytes >> 20) * 4,
            "peak {mb} MB for {} MB of input",
            bytes >> 20
        );
    }
}
