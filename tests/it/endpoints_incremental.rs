//! Differential tests of the Endpoints controller's incremental sync: the controller
//! manager's form (`EndpointsController::plan_sync_source`: the pods that changed, a lookup,
//! and the whole selection only on demand; bodies read from the per-Service cache and built on
//! demand, rebuilt for a refusal) against the straightforward full recomputation
//! (`EndpointsController::try_sync` over every pod of the namespace, as the conformance replay
//! runs it), over random sequences of pod changes (ready / not ready / terminating / terminal /
//! deleted / recreated, node and IP changes, named ports resolving differently, labels moving a
//! pod out of the selection), Service changes (ports, publishNotReadyAddresses, headless) and
//! options (maxCapacity truncation 1.22+, the 1.21 warning, none), with a lagging informer
//! (stale syncs) and the store's no-op updates.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::json;
use slicesim::controllers::endpoints::desired::PodChanges;
use slicesim::controllers::endpoints::{
    select_pods, EndpointsController, EndpointsOptions, EndpointsWrite, PlannedWrite, PodView,
    SelectionSource,
};
use slicesim::k8s::{Endpoints, Pod, Service};

/// One pod's state in the generated sequences.
#[derive(Debug, Clone, PartialEq)]
struct PodState {
    generation: u32,
    rv: u64,
    ip: u8,
    ready: bool,
    ready_at: u32,
    terminating: bool,
    terminal: bool,
    node: u8,
    alt_port: bool,
    in_selection: bool,
    hostname: bool,
}

fn pod(i: usize, p: &PodState) -> Pod {
    let ip = format!("10.0.{}.{}", p.ip / 8, p.ip);
    serde_json::from_value(json!({
        "metadata": {"name": format!("p{i}"), "namespace": "ns",
                     "uid": format!("uid-{i}-{}", p.generation),
                     "resourceVersion": p.rv.to_string(),
                     "labels": {"app": if p.in_selection { "a" } else { "b" }},
                     "deletionTimestamp": if p.terminating { Some("2026-01-05T09:59:00Z") } else { None }},
        "spec": {"nodeName": format!("node-{}", p.node),
                 "hostname": if p.hostname { "h" } else { "" }, "subdomain": "s",
                 "containers": [{"name": "c", "ports": [
                     {"name": "web", "containerPort": if p.alt_port { 9090 } else { 8080 }, "protocol": "TCP"}]}]},
        "status": {"phase": if p.terminal { "Succeeded" } else { "Running" },
                   "podIP": ip, "podIPs": [{"ip": ip}],
                   "conditions": [{"type": "Ready", "status": if p.ready { "True" } else { "False" },
                                   "lastTransitionTime": format!("2026-01-05T09:{:02}:{:02}Z", p.ready_at / 60 % 60, p.ready_at % 60)}]}
    }))
    .expect("pod")
}

fn service(variant: u8) -> Service {
    let (ports, publish, cluster_ip) = match variant {
        0 => (
            json!([{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"}]),
            false,
            "10.96.0.10",
        ),
        1 => (
            json!([{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                     {"name": "alt", "protocol": "TCP", "port": 81, "targetPort": "web", "appProtocol": "h2"}]),
            false,
            "10.96.0.10",
        ),
        2 => (
            json!([{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "web"}]),
            true,
            "10.96.0.10",
        ),
        3 => (json!([]), false, "None"),
        _ => (
            json!([{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}]),
            true,
            "None",
        ),
    };
    serde_json::from_value(json!({
        "metadata": {"name": "s", "namespace": "ns", "creationTimestamp": "2026-01-05T08:55:00Z",
                     "labels": {"app": "a"}},
        "spec": {"selector": {"app": "a"}, "ports": ports, "clusterIP": cluster_ip,
                 "ipFamilies": ["IPv4"], "publishNotReadyAddresses": publish, "type": "ClusterIP"},
    }))
    .expect("service")
}

/// One random change.
#[derive(Debug, Clone)]
enum Step {
    /// Set pod `i` (create, or change it) to the state drawn.
    Set(usize, u8, bool, bool, bool, u8, bool, bool, bool),
    Delete(usize),
    /// Delete and create again under the same name (new UID).
    Recreate(usize),
    Service(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0usize..14, 0u8..12, any::<bool>(), prop::bool::weighted(0.2), prop::bool::weighted(0.05),
              0u8..3, prop::bool::weighted(0.08), prop::bool::weighted(0.9), prop::bool::weighted(0.2))
            .prop_map(|(i, ip, ready, term, terminal, node, alt, sel, host)| Step::Set(i, ip, ready, term, terminal, node, alt, sel, host)),
        2 => (0usize..14).prop_map(Step::Delete),
        1 => (0usize..14).prop_map(Step::Recreate),
        1 => (0u8..5).prop_map(Step::Service),
    ]
}

fn options() -> impl Strategy<Value = EndpointsOptions> {
    (
        prop::sample::select(vec![0usize, 3, 6, 1000]),
        any::<bool>(),
    )
        .prop_map(|(max_capacity, truncate)| EndpointsOptions {
            max_capacity,
            truncate,
        })
}

/// What the store does with a write: created / updated with a new resourceVersion, or an
/// update identical to the stored object kept as it is (no-op).
fn store(body: Endpoints, stored: Option<&Endpoints>, next_rv: &mut u64) -> Endpoints {
    if let Some(s) = stored {
        let mut same = body.clone();
        same.metadata.resource_version = s.metadata.resource_version.clone();
        if &same == s {
            return same;
        }
    }
    *next_rv += 1;
    let mut e = body;
    e.metadata.resource_version = Some(next_rv.to_string());
    e
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// Identical writes (and stale refusals) from the incremental sync and the full
    /// recomputation after every step; the planned body rebuilt for a refusal
    /// (`PlannedBody::object`) equals the body built for the store.
    #[test]
    fn incremental_sync_equals_full_recomputation(
        opts in options(),
        steps in prop::collection::vec((prop::collection::vec(step(), 0..4), any::<bool>(), prop::bool::weighted(0.15), prop::bool::weighted(0.1)), 1..40),
    ) {
        let (mut inc, mut full) = (EndpointsController::new(opts), EndpointsController::new(opts));
        let mut pods: BTreeMap<usize, PodState> = BTreeMap::new();
        let mut svc = service(0);
        let (mut rv, mut t) = (100u64, 0u32);
        let mut history: Vec<Endpoints> = Vec::new();
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for (changes, sync, lag, unknown) in steps {
            for st in changes {
                rv += 1;
                t += 7;
                match st {
                    Step::Set(i, ip, ready, terminating, terminal, node, alt_port, in_selection, hostname) => {
                        let generation = pods.get(&i).map_or(0, |p| p.generation);
                        let ready_at = match pods.get(&i) {
                            Some(p) if p.ready == ready => p.ready_at,
                            _ => t,
                        };
                        pods.insert(i, PodState { generation, rv, ip, ready, ready_at, terminating, terminal, node, alt_port, in_selection, hostname });
                        changed.insert(format!("p{i}"));
                    }
                    Step::Delete(i) => {
                        pods.remove(&i);
                        changed.insert(format!("p{i}"));
                    }
                    Step::Recreate(i) => {
                        if let Some(p) = pods.get_mut(&i) {
                            p.generation += 1;
                            p.rv = rv;
                            p.ready = false;
                            p.ready_at = t;
                            changed.insert(format!("p{i}"));
                        }
                    }
                    Step::Service(v) => svc = service(v),
                }
            }
            if !sync {
                continue;
            }
            let objects: Vec<Pod> = pods.iter().map(|(&i, p)| pod(i, p)).collect();
            let selected = select_pods(&svc, &objects);
            let lookup = |n: &str| {
                selected
                    .iter()
                    .find(|(p, _)| p.metadata.name.as_deref() == Some(n))
                    .map(|&(p, t)| (PodView::Api(p), t))
            };
            let all = || selected.iter().map(|&(p, t)| (PodView::Api(p), t)).collect();
            // A lagging informer hands out the version before the latest.
            let current = if lag && history.len() >= 2 { history.get(history.len() - 2) } else { history.last() };
            let taken = if unknown { PodChanges::All } else { PodChanges::Names(std::mem::take(&mut changed)) };
            changed.clear();
            let planned = inc.plan_sync_source(&svc, SelectionSource { changes: &taken, lookup: &lookup, all: &all }, current);
            let got = planned.map(|w| -> Result<EndpointsWrite, TestCaseError> {
                Ok(match w {
                    PlannedWrite::None => EndpointsWrite::None,
                    PlannedWrite::Create(b) => {
                        let again = b.object();
                        prop_assert_eq!(&b.object(), &again);
                        let built = b.build();
                        prop_assert_eq!(&built, &again);
                        EndpointsWrite::Create(built)
                    }
                    PlannedWrite::Update(b) => {
                        let again = b.object();
                        let built = b.build();
                        prop_assert_eq!(&built, &again);
                        EndpointsWrite::Update(built)
                    }
                })
            });
            let got = match got {
                Ok(Ok(w)) => Ok(w),
                Ok(Err(e)) => return Err(e),
                Err(stale) => Err(stale),
            };
            let want = full.try_sync(&svc, &objects, current);
            prop_assert_eq!(&got, &want);
            if let Ok(EndpointsWrite::Create(e) | EndpointsWrite::Update(e)) = got {
                let latest = history.last().cloned();
                // A write based on an outdated version conflicts, as in the store.
                if current.and_then(|c| c.metadata.resource_version.as_ref())
                    == latest.as_ref().and_then(|c| c.metadata.resource_version.as_ref())
                {
                    let new = store(e, latest.as_ref(), &mut rv);
                    if let Some(prev) = current {
                        inc.record_update(prev, &new);
                        full.record_update(prev, &new);
                    }
                    history.push(new);
                }
            }
        }
    }
}

/// The pods' count of `all` calls: after the first sync of a Service, syncs that are told
/// which pods changed never list the selection (the point of the lazy source), and still
/// write exactly what the full recomputation writes.
#[test]
fn steady_state_syncs_never_list_the_selection() {
    let opts = EndpointsOptions::default();
    let (mut inc, mut full) = (
        EndpointsController::new(opts),
        EndpointsController::new(opts),
    );
    let svc = service(0);
    let mut states: Vec<PodState> = (0..50)
        .map(|i| PodState {
            generation: 0,
            rv: i as u64 + 1,
            ip: i as u8,
            ready: true,
            ready_at: 1,
            terminating: false,
            terminal: false,
            node: (i % 3) as u8,
            alt_port: false,
            in_selection: true,
            hostname: false,
        })
        .collect();
    let mut current: Option<Endpoints> = None;
    let listed = Cell::new(0);
    let mut rv = 1000;
    for round in 0..21usize {
        let mut changes = BTreeSet::new();
        if round > 0 {
            let i = round * 7 % states.len();
            rv += 1;
            states[i].ready = !states[i].ready;
            states[i].ready_at = round as u32 * 10;
            states[i].rv = rv;
            changes.insert(format!("p{i}"));
        }
        let objects: Vec<Pod> = states.iter().enumerate().map(|(i, p)| pod(i, p)).collect();
        let selected = select_pods(&svc, &objects);
        let lookup = |n: &str| {
            selected
                .iter()
                .find(|(p, _)| p.metadata.name.as_deref() == Some(n))
                .map(|&(p, t)| (PodView::Api(p), t))
        };
        let all = || {
            listed.set(listed.get() + 1);
            selected
                .iter()
                .map(|&(p, t)| (PodView::Api(p), t))
                .collect()
        };
        let taken = if round == 0 {
            PodChanges::All
        } else {
            PodChanges::Names(changes)
        };
        let got = inc
            .plan_sync_source(
                &svc,
                SelectionSource {
                    changes: &taken,
                    lookup: &lookup,
                    all: &all,
                },
                current.as_ref(),
            )
            .map(PlannedWrite::build);
        let want = full.try_sync(&svc, &objects, current.as_ref());
        assert_eq!(got, want, "round {round}");
        let Ok(EndpointsWrite::Create(e) | EndpointsWrite::Update(e)) = got else {
            panic!("round {round}: every round changes the subsets or the trigger time");
        };
        rv += 1;
        current = Some(store(e, current.as_ref(), &mut rv));
    }
    assert_eq!(listed.get(), 1, "only the first sync lists the selection");
}
