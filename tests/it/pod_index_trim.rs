//! The pod index's bookkeeping for dropping kept `k8s::Pod` builds (`PodList::trim`): the
//! largest selection from a histogram of selection sizes and the built pods from a log of
//! their positions, against the straightforward walks of every Service and every pod
//! (`PodList::largest_selection`, `PodList::built_counts`). Random relabels, removals (pods
//! swapped into holes), selector changes and reads that build every pod, across the bound
//! where the kept builds are all dropped; the controllers' reads stay the scan's. Also: a pod
//! update that takes its previous version's interned owner over (`insert_row_reusing`) gives
//! the objects a fresh `insert_row` gives.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use slicesim::cluster::model::{Pod, PodId, PodPhase, PodTemplate};
use slicesim::controllers::manager::pods::{Consumer, PodList};

type Labels = BTreeMap<String, String>;

/// More pods than the index keeps built (4096) when no Service selects more than half.
const PODS: usize = 4_400;

fn labels(app: usize) -> Labels {
    [("app".to_string(), format!("a{app}"))]
        .into_iter()
        .collect()
}

fn row(i: usize, app: usize, rv: u64) -> Pod {
    row_in(i, app, rv, "default")
}

fn row_in(i: usize, app: usize, rv: u64, ns: &str) -> Pod {
    Pod {
        id: PodId {
            index: i as u32,
            generation: rv as u32,
        },
        uid: format!("uid-{i}-{rv}"),
        name: format!("pod-{i}"),
        namespace: Arc::from(ns),
        workload: 0,
        replica_set: 0,
        template: Arc::new(PodTemplate {
            version: 0,
            hash: "5d9f".into(),
            labels: labels(app),
            ports: Vec::new(),
            hostname: None,
            subdomain: None,
            owner_kind: "ReplicaSet",
            hostname_is_pod_name: false,
        }),
        resource_version: rv,
        creation_ns: 0,
        node: None,
        node_name: None,
        phase: PodPhase::Running,
        ips: Vec::new(),
        scheduled: None,
        containers_ready: None,
        ready: None,
        deletion_timestamp_ns: None,
        deletion_grace_period_s: None,
        termination_grace_ns: 30_000_000_000,
        available: false,
        ready_epoch: 0,
        ip_offset: None,
    }
}

#[derive(Debug, Clone)]
enum Op {
    /// Pod `i` (re)labelled `app=a{app}`.
    Upsert(usize, usize),
    Remove(usize),
    SetService(usize, Option<usize>),
    RemoveService(usize),
    /// Read one Service's pods (builds them).
    Selected(usize),
    /// Read every pod (builds them all).
    All,
    Take(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..PODS + 50, 0usize..6).prop_map(|(i, a)| Op::Upsert(i, a)),
        3 => (0..PODS + 50).prop_map(Op::Remove),
        1 => (0usize..4, proptest::option::of(0usize..6)).prop_map(|(s, a)| Op::SetService(s, a)),
        1 => (0usize..4).prop_map(Op::RemoveService),
        2 => (0usize..4).prop_map(Op::Selected),
        1 => Just(Op::All),
        2 => (0usize..4).prop_map(Op::Take),
    ]
}

fn check(l: &PodList) -> Result<(), TestCaseError> {
    let (kept, walked) = l.built_counts();
    prop_assert_eq!(kept, walked, "built pods: count vs walk");
    let (kept, walked) = l.largest_selection();
    prop_assert_eq!(kept, walked, "largest selection: histogram vs walk");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn trim_bookkeeping_equals_the_walks(ops in proptest::collection::vec(op(), 1..40)) {
        let mut l = PodList::tracking(true, true);
        let mut selectors: BTreeMap<usize, usize> = BTreeMap::new();
        for s in 0..3 {
            l.set_service(&format!("s{s}"), Some(&labels(s)));
            selectors.insert(s, s);
        }
        let mut rv = 1;
        for i in 0..PODS {
            l.insert_row(&row(i, i % 6, rv), Some(("rs", "uid-rs")));
            rv += 1;
        }
        check(&l)?;
        for o in ops {
            match o {
                Op::Upsert(i, a) => {
                    l.insert_row(&row(i, a, rv), Some(("rs", "uid-rs")));
                    rv += 1;
                }
                Op::Remove(i) => {
                    l.remove_held(&format!("pod-{i}"));
                }
                Op::SetService(s, a) => {
                    l.set_service(&format!("s{s}"), a.map(labels).as_ref());
                    match a {
                        Some(a) => selectors.insert(s, a),
                        None => selectors.remove(&s),
                    };
                }
                Op::RemoveService(s) => {
                    l.remove_service(&format!("s{s}"));
                    selectors.remove(&s);
                }
                Op::Selected(s) => {
                    // The index's pods are the scan's, in list order.
                    let got: Vec<String> = l
                        .selected(&format!("s{s}"))
                        .into_iter()
                        .map(|(p, _)| p.metadata.name.clone().unwrap_or_default())
                        .collect();
                    let want: Vec<String> = match selectors.get(&s) {
                        Some(&a) => l
                            .values()
                            .filter(|p| {
                                p.metadata.labels.as_ref().and_then(|m| m.get("app"))
                                    == Some(&format!("a{a}"))
                            })
                            .map(|p| p.metadata.name.clone().unwrap_or_default())
                            .collect(),
                        None => Vec::new(),
                    };
                    prop_assert_eq!(got, want);
                }
                Op::All => {
                    prop_assert_eq!(l.values().count(), l.len());
                }
                Op::Take(s) => {
                    l.take_changes_for(&format!("s{s}"), Consumer::EndpointSlice);
                }
            }
            check(&l)?;
        }
        // Past the bound, the next mutation drops every kept build.
        l.values().count();
        let before = l.built_counts();
        l.take_changes_for("s0", Consumer::Endpoints);
        let largest = l.largest_selection().1;
        if before.1 > 4096.max(2 * largest) {
            prop_assert_eq!(l.built_counts(), (0, 0));
        }
    }
}

const OWNERS: [(&str, &str); 3] = [("web-1", "uid-1"), ("web-2", "uid-2"), ("web-1", "uid-3")];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn reused_owner_gives_the_interned_owners_objects(
        ops in proptest::collection::vec((0usize..5, 0usize..3, proptest::option::of(0usize..3)), 1..40),
    ) {
        let mut fresh = PodList::tracking(true, true);
        let mut reusing = PodList::tracking(true, true);
        for l in [&mut fresh, &mut reusing] {
            l.set_service("s0", Some(&labels(0)));
            l.set_service("s1", Some(&labels(1)));
        }
        for (rv, (i, app, owner)) in ops.into_iter().enumerate() {
            let p = row_in(i, app, rv as u64 + 1, "ns");
            let owner = owner.map(|o| OWNERS[o]);
            fresh.remove_held(&p.name);
            fresh.insert_row(&p, owner);
            let prev = reusing.remove_held(&p.name).and_then(|h| h.owner().cloned());
            reusing.insert_row_reusing(std::sync::Arc::new(p.clone()), owner, prev);
            let all = |l: &PodList| l.values().map(|p| format!("{p:?}")).collect::<Vec<_>>();
            prop_assert_eq!(all(&fresh), all(&reusing));
            for s in ["s0", "s1"] {
                let sel = |l: &PodList| {
                    l.selected_at(s).into_iter().map(|(i, p, t)| format!("{i} {t:?} {p:?}")).collect::<Vec<_>>()
                };
                prop_assert_eq!(sel(&fresh), sel(&reusing));
            }
        }
    }
}
