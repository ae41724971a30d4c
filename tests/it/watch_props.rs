//! Properties of the watch hub (assignment item 5):
//! - the number of watch events equals Σ over writes of the watchers whose selector matches the
//!   old or new object (cacher rules), computed here independently by expanding every group to
//!   its individual watchers;
//! - byte totals equal the sum of the per-event sizes from `wire::watch_event_size`;
//! - after quiescence every client group's merged view equals the desired endpoints (kube-proxy:
//!   every pod endpoint with its readiness; CoreDNS: the ready ones), with the real
//!   EndpointSlice and Endpoints controllers writing.

use crate::published_support;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;

use proptest::prelude::*;
use published_support::*;
use slicesim::apiserver::watch::{derive_groups, Role, WatchHub};
use slicesim::apiserver::write_log::{
    ObjectRef, Resource, Verb, WriteObserver, WriteOutcome, WriteRecord, Writer,
};
use slicesim::k8s::{self, discovery::EndpointPort, Endpoint, EndpointSlice, ObjectMeta};
use slicesim::wire::{self, EventType};

const WATCHERS: &str = r#"
[[watchers]]
kind = "kube-proxy"
[[watchers]]
kind = "coredns"
count = 3
encoding = "json"
[[watchers]]
kind = "custom"
name = "only-a"
count = 2
resource = "endpointslices"
label_selector = "tier=a"
encoding = "protobuf"
"#;

fn slice(name: &str, labels: &[(&str, &str)], n: usize, rv: u64) -> EndpointSlice {
    let mut l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.insert("kubernetes.io/service-name".into(), "web".into());
    EndpointSlice {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some("default".into()),
            resource_version: Some(rv.to_string()),
            labels: Some(l),
            ..Default::default()
        },
        address_type: "IPv4".into(),
        endpoints: Some(
            (0..n)
                .map(|i| Endpoint {
                    addresses: Some(vec![format!("10.1.0.{i}")]),
                    ..Default::default()
                })
                .map(slicesim::k8s::SharedValue::new)
                .collect(),
        ),
        ports: Some(vec![EndpointPort {
            name: Some("http".into()),
            port: Some(80),
            protocol: Some("TCP".into()),
            app_protocol: None,
        }]),
        ..Default::default()
    }
}

const LABEL_SETS: [&[(&str, &str)]; 4] = [
    &[],
    &[("service.kubernetes.io/headless", "")],
    &[("tier", "a")],
    &[
        ("tier", "a"),
        ("service.kubernetes.io/service-proxy-name", "other"),
    ],
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random create/update/delete sequences over three slice names with label changes.
    #[test]
    fn events_and_bytes_add_up(ops in proptest::collection::vec((0usize..3, 0usize..4, 0usize..5, any::<bool>()), 1..40), nodes in 1u64..50) {
        let sc = scenario(WATCHERS);
        let groups = derive_groups(&sc, nodes);
        let mut hub = WatchHub::new(&sc, nodes);
        let mut stored: BTreeMap<usize, EndpointSlice> = BTreeMap::new();
        // Starts just below 10^8 so DELETED events cross a digit boundary (re-stamped RV size).
        let mut rv = 99_999_990u64;
        let (mut want_events, mut want_bytes) = (0u64, 0u64);
        for (t, (which, labels, n, delete)) in ops.into_iter().enumerate() {
            rv += 1;
            let name = format!("web-{which}");
            let old = stored.get(&which).cloned();
            let new = if delete && old.is_some() { None } else { Some(slice(&name, LABEL_SETS[labels], n, rv)) };
            let verb = match (&old, &new) {
                (None, _) => Verb::Create,
                (Some(_), Some(_)) => Verb::Update,
                (Some(_), None) => Verb::Delete,
            };
            // Expected, watcher by watcher.
            for g in groups.iter().filter(|g| g.resource == Resource::EndpointSlices) {
                let m = |o: &Option<EndpointSlice>| o.as_ref().is_some_and(|o| g.selector.matches(o.metadata.labels.as_ref().unwrap()));
                let (et, obj) = match (m(&old), m(&new)) {
                    (false, true) => (EventType::Added, new.clone().unwrap()),
                    (true, true) => (EventType::Modified, new.clone().unwrap()),
                    (true, false) => {
                        let mut o = old.clone().unwrap();
                        o.metadata.resource_version = Some(rv.to_string());
                        (EventType::Deleted, o)
                    }
                    (false, false) => continue,
                };
                for _ in 0..g.count {
                    want_events += 1;
                    want_bytes += wire::watch_event_size(g.encoding, et, &obj).unwrap() as u64;
                }
            }
            hub.on_write(&WriteRecord {
                new_shared: None,
                old_shared: None,
                new_protobuf: None,
                time_ns: t as u64 * 1_000_000,
                verb,
                writer: Writer::EndpointSliceController,
                old: old.as_ref().map(ObjectRef::EndpointSlice),
                new: new.as_ref().map(ObjectRef::EndpointSlice),
                outcome: WriteOutcome::Stored { resource_version: rv },
            });
            match new {
                Some(s) => { stored.insert(which, s); }
                None => { stored.remove(&which); }
            }
        }
        let r = hub.finish(60_000_000_000);
        let m = r.mode(Resource::EndpointSlices);
        prop_assert_eq!(m.watch.events, want_events);
        prop_assert_eq!(m.watch.bytes, want_bytes);
        // The breakdowns partition the total.
        prop_assert_eq!(m.by_encoding.values().map(|f| f.bytes).sum::<u64>(), want_bytes);
        prop_assert_eq!(m.by_role.values().map(|f| f.events).sum::<u64>(), want_events);
        prop_assert_eq!(m.event_sizes.count, want_events);
        let series: u64 = m.series.buckets.values().map(|b| b.watch_events).sum();
        prop_assert_eq!(series, want_events);
        prop_assert_eq!(r.mode(Resource::Endpoints).watch.events, 0);
    }

    /// Random readiness flips and pod replacements, synced by both real controllers; after
    /// quiescence each client group's view is the desired one.
    #[test]
    fn clients_converge_to_desired(flips in proptest::collection::vec((0usize..30, any::<bool>(), any::<bool>()), 1..25)) {
        const N: usize = 30;
        let sc = scenario("");
        let nodes = node_index(4);
        let svc = service();
        let mut gens = [0usize; N];
        let mut ready = [true; N];
        let mk = |i: usize, g: usize, r: bool, s: u64| pod(i, g, 4, r, s);
        let mut pods: Vec<k8s::Pod> = (0..N).map(|i| mk(i, 0, true, 10)).collect();
        let mut api = Api::new(&sc, 4);
        // 7 per slice: the 30 endpoints spread over several slices, so replacements move
        // endpoints between slices and the merge across slices matters.
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut esc = slicesim::controllers::endpointslice::EndpointSliceController::new(slicesim::controllers::endpointslice::ReconcilerOptions { max_endpoints_per_slice: 7, ..Default::default() });
        let mut epc = endpoints_controller(1000);
        for (k, (i, r, replace)) in flips.into_iter().enumerate() {
            let t = 20 + k as u64;
            api.t = t * 1_000_000_000;
            if replace { gens[i] += 1; }
            ready[i] = r;
            pods[i] = mk(i, gens[i], r, t);
            let res = esc.sync(&svc, &pods, &api.existing_slices(), &nodes, &mut rng).reconciled().expect("sync");
            api.apply_slices(&mut esc, res.writes);
            let cur = api.endpoints.get("default", "web").cloned();
            let w = epc.sync(&svc, &pods, cur.as_ref());
            prop_assert!(api.apply_endpoints(&mut epc, w));
        }
        api.hub.settle();
        let ip = |p: &k8s::Pod| p.status.pod_ip.clone().unwrap_or_default();
        let groups: Vec<_> = api.hub.groups().cloned().collect();
        for (gi, g) in groups.iter().enumerate() {
            let Some(view) = api.hub.client_view(gi) else { continue };
            let svc_view = view.get("default/web").cloned().unwrap_or_default();
            let got: BTreeMap<String, bool> = svc_view.get("http").map(|m| m.iter().map(|(k, v)| (k.clone(), v.ready)).collect()).unwrap_or_default();
            let want: BTreeMap<String, bool> = pods.iter().enumerate()
                .filter(|(i, _)| match (g.role, g.resource) {
                    (Role::CoreDns, _) | (_, Resource::Endpoints) => ready[*i],
                    _ => true,
                })
                .map(|(i, p)| (format!("{}:8080", ip(p)), ready[i]))
                .collect();
            prop_assert_eq!(&got, &want, "group {} {:?}", g.name, g.resource);
        }
    }
}
