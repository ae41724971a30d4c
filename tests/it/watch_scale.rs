//! Scale: 5,000 kube-proxies, 200 slices of 100 endpoints, 200 creates + 4,000 updates. The
//! hub's work per write is O(groups) (one size computation, one cache update per client group),
//! never O(watchers); every count is exact: 4,200 × (5,000 + 2 + 1) events, kube-proxy bytes =
//! Σ 5,000 × frame. Prints the elapsed time (test included: building and sizing the slices).

use std::time::Instant;

use slicesim::apiserver::watch::WatchHub;
use slicesim::apiserver::write_log::{
    ObjectRef, Resource, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use slicesim::k8s::{
    discovery::EndpointPort, Endpoint, EndpointConditions, EndpointSlice, ObjectMeta,
};
use slicesim::scenario;

use crate::support::{toml_service, toml_workload};
use slicesim::wire::{self, Encoding, EventType};

fn slice(k: usize, version: usize) -> EndpointSlice {
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(format!("web-{k:05}")),
            namespace: Some("default".into()),
            resource_version: Some((100_000_000 + version).to_string()),
            labels: Some(
                [("kubernetes.io/service-name".to_string(), "web".to_string())]
                    .into_iter()
                    .collect(),
            ),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(
            (0..100)
                .map(|i| Endpoint {
                    addresses: Some(vec![format!("10.{}.{}.{}", 64 + k / 256, k % 256, i)]),
                    conditions: EndpointConditions {
                        ready: Some((i + version) % 7 != 0),
                        serving: Some(true),
                        terminating: Some(false),
                    },
                    node_name: Some(format!("node-{:05}", (k * 100 + i) % 5000).into()),
                    ..Default::default()
                })
                .map(slicesim::k8s::SharedValue::new)
                .collect(),
        ),
        ports: Some(vec![EndpointPort {
            name: Some("http".into()),
            port: Some(8080),
            protocol: Some("TCP".into()),
            app_protocol: None,
        }]),
        ..Default::default()
    }
}

#[test]
fn five_thousand_nodes() {
    let src = [
        "name = \"scale\"\nduration = \"1h\"\n[cluster]\nnodes = 1\nzones = [\"a\"]\n".to_string(),
        toml_workload("web", 1, ""),
        toml_service("web", "web", ""),
    ]
    .concat();
    let sc = scenario::parse_str(&src, "scale.toml", &[]).unwrap();
    let mut hub = WatchHub::new(&sc, 5_000);
    let mut cur: Vec<EndpointSlice> = (0..200).map(|k| slice(k, 0)).collect();
    let start = Instant::now();
    let mut want = 0u64;
    for (k, s) in cur.iter().enumerate() {
        hub.on_write(&WriteRecord {
            new_shared: None,
            old_shared: None,
            new_protobuf: None,
            time_ns: k as u64,
            verb: Verb::Create,
            writer: Writer::EndpointSliceController,
            old: None,
            new: Some(ObjectRef::EndpointSlice(s)),
            outcome: WriteOutcome::Stored {
                resource_version: 100_000_000,
            },
        });
        want +=
            5_000 * wire::watch_event_size(Encoding::Protobuf, EventType::Added, s).unwrap() as u64;
    }
    for v in 1..=4_000usize {
        let k = (v * 37) % 200;
        let new = slice(k, v);
        hub.on_write(&WriteRecord {
            new_shared: None,
            old_shared: None,
            new_protobuf: None,
            time_ns: 1_000_000_000 + v as u64 * 10_000_000,
            verb: Verb::Update,
            writer: Writer::EndpointSliceController,
            old: Some(ObjectRef::EndpointSlice(&cur[k])),
            new: Some(ObjectRef::EndpointSlice(&new)),
            outcome: WriteOutcome::Stored {
                resource_version: 100_000_000 + v as u64,
            },
        });
        want += 5_000
            * wire::watch_event_size(Encoding::Protobuf, EventType::Modified, &new).unwrap() as u64;
        cur[k] = new;
    }
    let r = hub.finish(60_000_000_000);
    let elapsed = start.elapsed();
    let m = r.mode(Resource::EndpointSlices);
    assert_eq!(m.watch.events, 4_200 * 5_003);
    assert_eq!(m.by_role["kube-proxy"].bytes, want);
    assert_eq!(m.node_ingress.nodes, 5_000);
    println!(
        "4,200 writes to 5,003 watchers: {} events, {:.2} GB, per node {} B, in {elapsed:?}",
        m.watch.events,
        m.watch.bytes as f64 / 1e9,
        m.node_ingress.max
    );
}
