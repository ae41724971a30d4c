//! KEP-752 (EndpointSlice API) estimation, case 1: a Service with 20,000 endpoints on 5,000
//! nodes (KEP-0752 "Estimation"), reproduced with the real controllers, the byte-exact wire sizes
//! and the watch hub. Run with `--nocapture` to see the figures.
//!
//! Watchers: the scenario defaults — one kube-proxy per node (protobuf, `!service-proxy-name,
//! !headless`), 2 CoreDNS replicas, and the kube-controller-manager's informer. The KEP counts
//! only the 5,000 node watchers; we assert on the kube-proxy share and print the rest.

use crate::published_support;

use published_support::*;
use slicesim::apiserver::write_log::Resource;
use slicesim::k8s;
use slicesim::wire::{self, Encoding, EventType};

const NODES: usize = 5_000;

fn kube_proxy(api: &Api, res: Resource) -> (u64, u64) {
    let f = api
        .hub
        .live(res)
        .by_role
        .get("kube-proxy")
        .copied()
        .unwrap_or_default();
    (f.events, f.bytes)
}

fn frame(o: &k8s::EndpointSlice) -> u64 {
    wire::watch_event_size(Encoding::Protobuf, EventType::Modified, o).unwrap() as u64
}

fn frame_ep(o: &k8s::Endpoints) -> u64 {
    wire::watch_event_size(Encoding::Protobuf, EventType::Modified, o).unwrap() as u64
}

/// (a) EndpointSlices, 100 per slice: the 20,000 endpoints make 200 slices; one endpoint
/// changing (a pod turning not-ready) is ONE slice update, delivered to every kube-proxy:
/// 5,000 MODIFIED events of exactly that slice's protobuf frame. KEP: "~50 MB" per change
/// (its 10 KB per slice assumption × 5,000).
///
/// (b) Endpoints, 1.32 defaults (max_capacity 1000): the controller truncates the object to
/// 1,000 addresses and sets `endpoints.kubernetes.io/over-capacity: truncated`. Every sync
/// computes the untruncated desired subsets, sees them differ from the stored truncated ones and
/// writes again (upstream syncService compares before truncating); the new
/// `last-change-trigger-time` makes the write a real change, so each change of ANY of the
/// 20,000 pods costs 5,000 × the truncated object's frame.
///
/// (c) Endpoints before 1.22 (max_capacity = 0): 20,000 addresses exceed etcd's 1.5 MiB request
/// limit → the write is rejected (and counted). With 10,000 endpoints it fits; the per-change
/// byte ratio Endpoints / slices is then the ratio of the two frames (≈ 10,000/100 = 100×, a
/// little less because every slice repeats its metadata).
#[test]
fn kep752_single_change() {
    let sc = scenario("");
    let nodes = node_index(NODES);
    let svc = service();

    // (a) slices
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut esc = slice_controller();
    let mut rng = choice_rng();
    api.sync_slices(&mut esc, &svc, &pods, &nodes, &mut rng);
    assert_eq!(api.slices.len(), 200);
    let before = kube_proxy(&api, Resource::EndpointSlices);
    api.t = 120_000_000_000;
    pods[12_345] = pod(12_345, 0, NODES, false, 120);
    assert_eq!(
        api.sync_slices(&mut esc, &svc, &pods, &nodes, &mut rng),
        1,
        "one endpoint change = one slice update"
    );
    let changed = api
        .slices
        .list()
        .into_iter()
        .max_by_key(|s| {
            s.metadata
                .resource_version
                .as_deref()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .cloned()
        .unwrap();
    let slice_frame = frame(&changed);
    let (ev, by) = kube_proxy(&api, Resource::EndpointSlices);
    assert_eq!(ev - before.0, NODES as u64);
    assert_eq!(by - before.1, NODES as u64 * slice_frame);
    let m = api.hub.live(Resource::EndpointSlices);
    assert_eq!(m.writes_stored, 201);
    println!(
        "(a) slices: 200 slices; one change = 1 write, {NODES} kube-proxy events x {slice_frame} B = {} B ({:.1} MB); creation of the Service: {} writes, {} events to kube-proxies",
        NODES as u64 * slice_frame,
        (NODES as u64 * slice_frame) as f64 / 1e6,
        200,
        before.0
    );

    // (b) Endpoints, 1.32 defaults
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut epc = endpoints_controller(1000);
    let w = epc.sync(&svc, &pods, None);
    assert!(api.apply_endpoints(&mut epc, w));
    let ep = api.endpoints.get("default", "web").cloned().unwrap();
    assert_eq!(slicesim::controllers::endpoints::total_addresses(&ep), 1000);
    assert_eq!(
        ep.metadata.annotations.as_ref().unwrap()["endpoints.kubernetes.io/over-capacity"],
        "truncated"
    );
    let trunc_frame_first = frame_ep(&ep);
    let trunc_added =
        wire::watch_event_size(Encoding::Protobuf, EventType::Added, &ep).unwrap() as u64;
    // A pod outside the kept 1,000 changes: the object is rewritten anyway.
    let mut per_sync = Vec::new();
    for (k, i) in [19_999usize, 5, 12_345].into_iter().enumerate() {
        api.t = (120 + k as u64 * 10) * 1_000_000_000;
        pods[i] = pod(i, 0, NODES, false, 120 + k as u64 * 10);
        let cur = api.endpoints.get("default", "web").cloned();
        let w = epc.sync(&svc, &pods, cur.as_ref());
        assert!(matches!(
            w,
            slicesim::controllers::endpoints::EndpointsWrite::Update(_)
        ));
        assert!(api.apply_endpoints(&mut epc, w));
        per_sync.push(frame_ep(api.endpoints.get("default", "web").unwrap()));
    }
    assert_eq!(api.noop_updates, 0, "every sync is a real write");
    let (ev, by) = kube_proxy(&api, Resource::Endpoints);
    assert_eq!(ev, 4 * NODES as u64);
    assert_eq!(
        by,
        NODES as u64 * (trunc_added + per_sync.iter().sum::<u64>())
    );
    println!(
        "(b) Endpoints 1.32 (truncated to 1000): frame {trunc_frame_first} B; every change of any of the 20,000 pods = 1 write, {NODES} events, {} B ({:.1} MB); {:.1}x the slice change",
        NODES as u64 * per_sync[0],
        (NODES as u64 * per_sync[0]) as f64 / 1e6,
        per_sync[0] as f64 / slice_frame as f64
    );

    // (c) pre-1.22, untruncated
    let pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut epc = endpoints_controller(0);
    let w = epc.sync(&svc, &pods, None);
    let full_pb = match &w {
        slicesim::controllers::endpoints::EndpointsWrite::Create(o) => {
            wire::protobuf_len(o).unwrap()
        }
        _ => panic!("expected a create"),
    };
    assert!(full_pb as u64 > ETCD_LIMIT, "{full_pb}");
    assert!(!api.apply_endpoints(&mut epc, w));
    let m = api.hub.live(Resource::Endpoints);
    assert_eq!(
        (m.writes_rejected, m.rejected_oversize, m.watch.events),
        (1, 1, 0)
    );
    println!(
        "(c) Endpoints pre-1.22, 20,000 addresses: protobuf {full_pb} B > {ETCD_LIMIT} B etcd limit -> rejected (counted: {})",
        m.rejected_oversize
    );

    // 10,000 endpoints fit; per-change ratio = frame ratio.
    let pods10: Vec<k8s::Pod> = (0..10_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut epc = endpoints_controller(0);
    let mut api = Api::new(&sc, NODES as u64);
    let w = epc.sync(&svc, &pods10, None);
    assert!(api.apply_endpoints(&mut epc, w));
    let ep10 = api.endpoints.get("default", "web").cloned().unwrap();
    let ep_frame = frame_ep(&ep10);
    assert!(wire::protobuf_len(&ep10).unwrap() as u64 <= ETCD_LIMIT);
    let ratio = ep_frame as f64 / slice_frame as f64;
    assert!((50.0..=110.0).contains(&ratio), "{ratio}");
    println!(
        "(c) Endpoints pre-1.22, 10,000 addresses: frame {ep_frame} B; one change costs {NODES} x {ep_frame} = {} B ({:.2} GB) vs {} B for a slice: ratio {ratio:.1}x",
        NODES as u64 * ep_frame,
        (NODES as u64 * ep_frame) as f64 / 1e9,
        NODES as u64 * slice_frame
    );
}

/// KEP-752 case 1, rolling update of all 20,000 pods, under the KEP's own model: every pod
/// replacement is one endpoint change (old address out, new address in, in one sync), so one
/// write per pod in both modes and 5,000 events per write. We replay a sample of replacements
/// spread over the Service through the real controllers and hub (each must be exactly one
/// write costing 5,000 × that write's frame), then scale the mean per-replacement cost to
/// 20,000 replacements.
///
/// KEP (100 bytes/endpoint assumption): ~200 TB (Endpoints) vs ~1 TB (slices). Here:
/// slices ≈ 20,000 × 5,000 × ~13.5 KB ≈ 1.35 TB (same order; our slices carry real metadata,
/// managedFields, nodeName, zone and targetRef); pre-1.22 Endpoints cannot be stored at all
/// (2.25 MB > etcd's 1.5 MiB: every write rejected, nothing published) — had etcd accepted
/// it, 20,000 × 5,000 × 2.25 MB ≈ 225 TB, the KEP's order; 1.32's truncated Endpoints cost
/// 20,000 × 5,000 × ~113 KB ≈ 11 TB while publishing only 1,000 of the 20,000 endpoints.
#[test]
fn kep752_rolling_update() {
    const SAMPLE: usize = 8;
    let sc = scenario("");
    let nodes = node_index(NODES);
    let svc = service();
    let steps: Vec<usize> = (0..SAMPLE).map(|k| k * 2_497 + 11).collect();

    // Slices.
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut esc = slice_controller();
    let mut rng = choice_rng();
    api.sync_slices(&mut esc, &svc, &pods, &nodes, &mut rng);
    let base = kube_proxy(&api, Resource::EndpointSlices);
    let base_writes = api.hub.live(Resource::EndpointSlices).writes_stored;
    for (k, &i) in steps.iter().enumerate() {
        api.t = (300 + k as u64) * 1_000_000_000;
        pods[i] = pod(i, 1, NODES, true, 300 + k as u64);
        assert_eq!(
            api.sync_slices(&mut esc, &svc, &pods, &nodes, &mut rng),
            1,
            "replacement {k}: one slice update"
        );
    }
    let (ev, by) = kube_proxy(&api, Resource::EndpointSlices);
    let m = api.hub.live(Resource::EndpointSlices);
    assert_eq!(m.writes_stored - base_writes, SAMPLE as u64);
    assert_eq!(ev - base.0, (SAMPLE * NODES) as u64);
    let es_per = (by - base.1) as f64 / SAMPLE as f64;
    let es_total = es_per * 20_000.0;

    // Endpoints, 1.32 defaults (truncated).
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut epc = endpoints_controller(1000);
    let w = epc.sync(&svc, &pods, None);
    assert!(api.apply_endpoints(&mut epc, w));
    let base = kube_proxy(&api, Resource::Endpoints);
    for (k, &i) in steps.iter().enumerate() {
        api.t = (300 + k as u64) * 1_000_000_000;
        pods[i] = pod(i, 1, NODES, true, 300 + k as u64);
        let cur = api.endpoints.get("default", "web").cloned();
        let w = epc.sync(&svc, &pods, cur.as_ref());
        assert!(api.apply_endpoints(&mut epc, w));
    }
    assert_eq!(api.noop_updates, 0);
    let (ev, by) = kube_proxy(&api, Resource::Endpoints);
    assert_eq!(ev - base.0, (SAMPLE * NODES) as u64);
    let trunc_total = (by - base.1) as f64 / SAMPLE as f64 * 20_000.0;

    // Endpoints, pre-1.22 (untruncated): every write rejected; hypothetical cost if stored.
    let mut pods: Vec<k8s::Pod> = (0..20_000).map(|i| pod(i, 0, NODES, true, 60)).collect();
    let mut api = Api::new(&sc, NODES as u64);
    let mut epc = endpoints_controller(0);
    let w = epc.sync(&svc, &pods, None);
    assert!(!api.apply_endpoints(&mut epc, w));
    let mut hypothetical = 0u64;
    for (k, &i) in steps.iter().enumerate() {
        api.t = (300 + k as u64) * 1_000_000_000;
        pods[i] = pod(i, 1, NODES, true, 300 + k as u64);
        let w = epc.sync(&svc, &pods, None);
        if let slicesim::controllers::endpoints::EndpointsWrite::Create(o) = &w {
            hypothetical += NODES as u64 * frame_ep(o);
        }
        assert!(!api.apply_endpoints(&mut epc, w));
    }
    let m = api.hub.live(Resource::Endpoints);
    assert_eq!(m.rejected_oversize, SAMPLE as u64 + 1);
    assert_eq!(m.watch.events, 0);
    let untrunc_total = hypothetical as f64 / SAMPLE as f64 * 20_000.0;

    println!(
        "rolling update of 20,000 pods (1 write per pod, 5,000 kube-proxies): slices {:.2} TB; Endpoints 1.32 truncated {:.2} TB (only 1,000 endpoints published); Endpoints pre-1.22 rejected ({} of {} sampled writes), {:.0} TB if etcd had accepted it; KEP: ~1 TB vs ~200 TB",
        es_total / 1e12,
        trunc_total / 1e12,
        m.rejected_oversize,
        SAMPLE + 1,
        untrunc_total / 1e12
    );
    assert!((0.5e12..3e12).contains(&es_total), "{es_total}");
    assert!((100e12..400e12).contains(&untrunc_total), "{untrunc_total}");
    assert!(untrunc_total / es_total > 50.0);
}
