//! Scale envelope: a Service with 20,000 endpoints (200 slices of 100); one pod
//! change must cost exactly one slice update (reconcileByPortMapping touches only
//! the slice holding the changed endpoint).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use slicesim::apiserver::{Shared, Store};
use slicesim::controllers::endpointslice::{
    EndpointSliceController, NodeIndex, ReconcilerOptions, SliceWrite,
};
use slicesim::k8s;

fn pod(i: usize, ready: bool) -> k8s::Pod {
    serde_json::from_value(json!({
        "metadata": {"name": format!("web-{i}"), "namespace": "default", "uid": format!("uid-{i}"),
                     "labels": {"app": "web"}},
        "spec": {"nodeName": format!("n{}", i % 50), "containers": [{"name": "app"}]},
        "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                   "podIPs": [{"ip": format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256)}],
                   "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                                   "lastTransitionTime": "2026-01-05T08:56:00Z"}]}
    }))
    .expect("pod")
}

#[test]
fn twenty_thousand_endpoints_one_change_one_update() {
    let svc: k8s::Service = serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-uid",
                     "creationTimestamp": "2026-01-05T08:55:00Z"},
        "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.1", "ipFamilies": ["IPv4"],
                 "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]}
    }))
    .expect("svc");
    let nodes: Vec<k8s::Node> = (0..50)
        .map(|n| {
            serde_json::from_value(json!({"metadata": {"name": format!("n{n}"),
                "labels": {"topology.kubernetes.io/zone": format!("z{}", n % 3)}}}))
            .expect("node")
        })
        .collect();
    let idx = NodeIndex::from_nodes(&nodes);
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, true)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut ctl = EndpointSliceController::new(ReconcilerOptions::default());
    let mut store: Store<k8s::EndpointSlice> = Store::new();
    let mut sh = Shared::new(7, "t0".into());
    let apply = |store: &mut Store<k8s::EndpointSlice>, sh: &mut Shared, w: Vec<SliceWrite>| {
        let mut n = (0, 0, 0);
        for w in w {
            match w {
                SliceWrite::Create(s) => {
                    store.create(sh, s).expect("create");
                    n.0 += 1
                }
                SliceWrite::Update(s) => {
                    store.update(sh, s).expect("update");
                    n.1 += 1
                }
                SliceWrite::Delete(s) => {
                    store
                        .delete("default", s.metadata.name.as_deref().unwrap_or(""))
                        .expect("delete");
                    n.2 += 1
                }
            }
        }
        n
    };
    let r = ctl
        .sync(&svc, &pods, &[], &idx, &mut rng)
        .reconciled()
        .expect("sync");
    assert_eq!(apply(&mut store, &mut sh, r.writes), (200, 0, 0));
    let mut best = std::time::Duration::MAX;
    for i in [12_345usize, 17, 19_999] {
        pods[i] = pod(i, false);
        let existing: Vec<k8s::EndpointSlice> = store.list().into_iter().cloned().collect();
        let start = std::time::Instant::now();
        let r = ctl
            .sync(&svc, &pods, &existing, &idx, &mut rng)
            .reconciled()
            .expect("sync");
        best = best.min(start.elapsed());
        assert_eq!(apply(&mut store, &mut sh, r.writes), (0, 1, 0));
    }
    eprintln!("one-change sync over 20k endpoints (best of 3): {best:?}");
}
