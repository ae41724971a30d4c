//! Shared harness of the published-figure tests: the real controllers write into the emulated
//! store, every stored or rejected write goes to a [`WatchHub`], exactly as the simulation loop
//! does (no full simulation needed).
#![allow(dead_code)]

use serde_json::json;
use slicesim::apiserver::watch::{etcd_check, WatchHub};
use slicesim::apiserver::write_log::{
    ObjectRef, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use slicesim::apiserver::{Shared, Store};
use slicesim::controllers::endpoints::{EndpointsController, EndpointsOptions, EndpointsWrite};
use slicesim::controllers::endpointslice::{
    EndpointSliceController, NodeIndex, ReconcilerOptions, SliceWrite,
};
use slicesim::k8s;
use slicesim::scenario::{self, Scenario};

pub const ETCD_LIMIT: u64 = 1_572_864;

/// A scenario whose only role here is the watcher population (`watchers` TOML, may be empty for
/// the defaults: kube-proxy per node, protobuf; CoreDNS × 2) and the apiserver settings.
pub fn scenario(watchers: &str) -> Scenario {
    let src = format!(
        r#"
name = "published"
description = "published figures"
duration = "1h"
[cluster]
nodes = 1
zones = ["zone-a"]
[[workloads]]
name = "web"
replicas = 1
ports = [{{ name = "http", container_port = 8080 }}]
[[services]]
name = "web"
workload = "web"
ports = [{{ name = "http", port = 80, target_port = "http" }}]
{watchers}
"#
    );
    scenario::parse_str(&src, "published.toml", &[]).unwrap_or_else(|e| panic!("{e:#}"))
}

pub fn service() -> k8s::Service {
    serde_json::from_value(json!({
        "metadata": {"name": "web", "namespace": "default", "uid": "5b1f3c3e-1c1a-4c47-9a3b-3f6e0d7a2c11",
                     "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": "web"}},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
                 "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "ipFamilies": ["IPv4"],
                 "type": "ClusterIP"}
    }))
    .expect("service")
}

/// Pod `i` (generation `g` of the rollout: a replaced pod gets a new name, UID and IP) on node
/// `i % nodes`, Ready since second `ready_s`.
pub fn pod(i: usize, g: usize, nodes: usize, ready: bool, ready_s: u64) -> k8s::Pod {
    let ip_index = g * 1_000_000 + i;
    let ip = format!(
        "10.{}.{}.{}",
        64 + ip_index / 65_536 % 64,
        ip_index / 256 % 256,
        ip_index % 256
    );
    let name = format!("web-7d4b9c8f5-{g}x{i:05}");
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default",
                     "uid": format!("6c0e{g:04x}-{:04x}-4a1b-8c2d-{:012x}", i % 65536, i),
                     "labels": {"app": "web", "pod-template-hash": "7d4b9c8f5"}},
        "spec": {"nodeName": format!("node-{:05}", i % nodes),
                 "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10",
                   "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                                   "lastTransitionTime": format!("2026-01-01T{:02}:{:02}:{:02}Z",
                                       ready_s / 3600 % 24, ready_s / 60 % 60, ready_s % 60)}]}
    }))
    .expect("pod")
}

pub fn node_index(nodes: usize) -> NodeIndex {
    let ns: Vec<k8s::Node> = (0..nodes)
        .map(|i| {
            serde_json::from_value(json!({
                "metadata": {"name": format!("node-{i:05}"),
                             "labels": {"topology.kubernetes.io/zone": "zone-a"}},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}
            }))
            .expect("node")
        })
        .collect();
    NodeIndex::from_nodes(&ns)
}

/// The API side: stores, clock, hub.
pub struct Api {
    pub sh: Shared,
    pub slices: Store<k8s::EndpointSlice>,
    pub endpoints: Store<k8s::Endpoints>,
    pub hub: WatchHub,
    pub t: u64,
    /// Updates the store short-circuited (identical object: no write, no event).
    pub noop_updates: u64,
}

fn rv_of(meta: &k8s::ObjectMeta) -> u64 {
    meta.resource_version
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

impl Api {
    pub fn new(sc: &Scenario, nodes: u64) -> Self {
        Api {
            sh: Shared::new(7, "2026-01-01T00:00:00Z".into()),
            slices: Store::new(),
            endpoints: Store::new(),
            hub: WatchHub::new(sc, nodes),
            t: 0,
            noop_updates: 0,
        }
    }

    pub fn existing_slices(&self) -> Vec<k8s::EndpointSlice> {
        self.slices.list().into_iter().cloned().collect()
    }

    /// One EndpointSlice sync of `svc` over the stored slices, its writes stored; how many
    /// writes it made.
    pub fn sync_slices(
        &mut self,
        esc: &mut EndpointSliceController,
        svc: &k8s::Service,
        pods: &[k8s::Pod],
        nodes: &NodeIndex,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> usize {
        let r = esc
            .sync(svc, pods, &self.existing_slices(), nodes, rng)
            .reconciled()
            .expect("sync");
        let n = r.writes.len();
        self.apply_slices(esc, r.writes);
        n
    }

    /// Store the EndpointSlice controller's writes, reporting each to the hub.
    pub fn apply_slices(&mut self, ctl: &mut EndpointSliceController, writes: Vec<SliceWrite>) {
        for w in writes {
            match w {
                SliceWrite::Create(s) => {
                    let stored = self.slices.create(&mut self.sh, s).expect("create");
                    ctl.observe_write(&stored);
                    self.hub.on_write(&WriteRecord {
                        new_shared: None,
                        old_shared: None,
                        new_protobuf: None,
                        time_ns: self.t,
                        verb: Verb::Create,
                        writer: Writer::EndpointSliceController,
                        old: None,
                        new: Some(ObjectRef::EndpointSlice(&stored)),
                        outcome: WriteOutcome::Stored {
                            resource_version: rv_of(&stored.metadata),
                        },
                    });
                }
                SliceWrite::Update(s) => {
                    let ns = s.metadata.namespace.clone().unwrap_or_default();
                    let name = s.metadata.name.clone().unwrap_or_default();
                    let old = self.slices.get(&ns, &name).cloned().expect("old");
                    let out = self.slices.update(&mut self.sh, s).expect("update");
                    if !out.written {
                        self.noop_updates += 1;
                        continue;
                    }
                    ctl.observe_write(&out.object);
                    self.hub.on_write(&WriteRecord {
                        new_shared: None,
                        old_shared: None,
                        new_protobuf: None,
                        time_ns: self.t,
                        verb: Verb::Update,
                        writer: Writer::EndpointSliceController,
                        old: Some(ObjectRef::EndpointSlice(&old)),
                        new: Some(ObjectRef::EndpointSlice(&out.object)),
                        outcome: WriteOutcome::Stored {
                            resource_version: rv_of(&out.object.metadata),
                        },
                    });
                }
                SliceWrite::Delete(s) => {
                    let ns = s.metadata.namespace.clone().unwrap_or_default();
                    let name = s.metadata.name.clone().unwrap_or_default();
                    let old = self.slices.delete(&ns, &name).expect("delete");
                    ctl.observe_delete(&old);
                    let rv = self.sh.peek_resource_version();
                    self.hub.on_write(&WriteRecord {
                        new_shared: None,
                        old_shared: None,
                        new_protobuf: None,
                        time_ns: self.t,
                        verb: Verb::Delete,
                        writer: Writer::EndpointSliceController,
                        old: Some(ObjectRef::EndpointSlice(&old)),
                        new: None,
                        outcome: WriteOutcome::Stored {
                            resource_version: rv,
                        },
                    });
                }
            }
        }
    }

    /// Store the Endpoints controller's write, first asking etcd whether it fits (a too large
    /// object is rejected and reported as such). Returns false when rejected.
    pub fn apply_endpoints(&mut self, ctl: &mut EndpointsController, w: EndpointsWrite) -> bool {
        let (verb, obj) = match w {
            EndpointsWrite::None => return true,
            EndpointsWrite::Create(o) => (Verb::Create, o),
            EndpointsWrite::Update(o) => (Verb::Update, o),
        };
        if let Err(reason) = etcd_check(ETCD_LIMIT, ObjectRef::Endpoints(&obj)) {
            self.hub.on_write(&WriteRecord {
                new_shared: None,
                old_shared: None,
                new_protobuf: None,
                time_ns: self.t,
                verb,
                writer: Writer::EndpointsController,
                old: None,
                new: Some(ObjectRef::Endpoints(&obj)),
                outcome: WriteOutcome::Rejected {
                    reason,
                    sizes: None,
                },
            });
            return false;
        }
        match verb {
            Verb::Create => {
                let stored = self.endpoints.create(&mut self.sh, obj).expect("create");
                self.hub.on_write(&WriteRecord {
                    new_shared: None,
                    old_shared: None,
                    new_protobuf: None,
                    time_ns: self.t,
                    verb,
                    writer: Writer::EndpointsController,
                    old: None,
                    new: Some(ObjectRef::Endpoints(&stored)),
                    outcome: WriteOutcome::Stored {
                        resource_version: rv_of(&stored.metadata),
                    },
                });
            }
            _ => {
                let ns = obj.metadata.namespace.clone().unwrap_or_default();
                let name = obj.metadata.name.clone().unwrap_or_default();
                let old = self.endpoints.get(&ns, &name).cloned().expect("old");
                let out = self.endpoints.update(&mut self.sh, obj).expect("update");
                ctl.record_update(&old, &out.object);
                if !out.written {
                    self.noop_updates += 1;
                    return true;
                }
                self.hub.on_write(&WriteRecord {
                    new_shared: None,
                    old_shared: None,
                    new_protobuf: None,
                    time_ns: self.t,
                    verb,
                    writer: Writer::EndpointsController,
                    old: Some(ObjectRef::Endpoints(&old)),
                    new: Some(ObjectRef::Endpoints(&out.object)),
                    outcome: WriteOutcome::Stored {
                        resource_version: rv_of(&out.object.metadata),
                    },
                });
            }
        }
        true
    }
}

pub fn slice_controller() -> EndpointSliceController {
    EndpointSliceController::new(ReconcilerOptions::default())
}

/// The EndpointSlice controller's choice stream for these tests.
pub fn choice_rng() -> rand_chacha::ChaCha8Rng {
    rand::SeedableRng::seed_from_u64(1)
}

pub fn endpoints_controller(max_capacity: usize) -> EndpointsController {
    EndpointsController::new(EndpointsOptions {
        max_capacity,
        ..EndpointsOptions::default()
    })
}
