//! The world's pods shared with the controller manager's pod lists (`World::pod_shared`,
//! `PodList::insert_row_reusing`) against the straightforward form: a pod list fed a copy of
//! every changed pod (`PodList::insert_row`). After every change of random runs (churn, pod
//! restarts, node failures, rolling updates, readiness delays) both lists hold the same pods
//! and give the same API objects and selections, and the shared list holds the world's own
//! allocation of the pod just changed (no copy), while later writes never reach what it holds.

use proptest::prelude::*;
use slicesim::cluster::k8s_view::pod_owner;
use slicesim::cluster::{Change, ChangeSink, ObjChange, World};
use slicesim::controllers::manager::PodList;
use slicesim::scenario::Nanos;
use std::collections::BTreeMap;

use crate::support::{toml_event, toml_head, toml_workload};

#[derive(Default)]
struct Both {
    shared: PodList,
    copied: PodList,
    changes: usize,
}

fn dump(l: &PodList) -> Vec<String> {
    l.values().map(|p| format!("{p:?}")).collect()
}

impl ChangeSink for Both {
    fn on_change(&mut self, _now: Nanos, c: &Change<'_>, w: &World) {
        let Change::Pod(pc) = c else { return };
        self.changes += 1;
        match pc {
            ObjChange::Added(p) | ObjChange::Updated { new: p, .. } => {
                let owner = pod_owner(p, w);
                let arc = w
                    .pod_shared(p.id)
                    .expect("a changed pod is in the world")
                    .clone();
                assert!(std::ptr::eq(&*arc, *p), "the change points into the world");
                self.shared.remove_held(&p.name);
                self.shared.insert_row_reusing(arc, owner, None);
                self.copied.remove_held(&p.name);
                self.copied.insert_row(p, owner);
                let held = self.shared.held(&p.name).and_then(|h| h.world_pod());
                assert!(
                    held.is_some_and(|h| std::ptr::eq(h, *p)),
                    "the list holds the world's allocation"
                );
            }
            ObjChange::Deleted(p) => {
                self.shared.remove_held(&p.name);
                self.copied.remove_held(&p.name);
            }
        }
        assert_eq!(dump(&self.shared), dump(&self.copied));
    }
}

fn scenario(nodes: u32, replicas: u32, delay: u32, events: &[(u32, u8)]) -> String {
    let mut src = toml_head("shared", 7, "6m", nodes, &["a", "b"]);
    src.push_str(&toml_workload(
        "web",
        replicas,
        &format!("ready_delay = \"{delay}s\"\nnot_serving_after = \"1s\"\nexit_after = \"3s\""),
    ));
    src.push_str(&toml_workload("db", 2, ""));
    let mut failed = false;
    for &(at, kind) in events {
        let kind = match kind {
            2 | 3 if failed => 1,
            2 | 3 => {
                failed = true;
                2
            }
            k => k,
        };
        let recover = format!("{}s", 65 + at);
        let at = format!("{}s", 5 + at);
        src.push_str(&match kind {
            0 => toml_event(&at, "churn", "rate = \"2/s\"\nduration = \"20s\""),
            1 => toml_event(&at, "restart_pods", "workload = \"web\"\ncount = 2"),
            2 | 3 => [
                toml_event(&at, "node_failure", "nodes = [0]"),
                toml_event(&recover, "node_recovery", "nodes = [0]"),
            ]
            .concat(),
            _ => toml_event(&at, "rolling_update", "workload = \"web\""),
        });
    }
    src
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn shared_pods_give_the_copied_lists_pods(
        nodes in 1u32..4,
        replicas in 1u32..8,
        delay in 0u32..3,
        events in proptest::collection::vec((0u32..200, 0u8..5), 0..5),
    ) {
        let sc = crate::support::scenario(&scenario(nodes, replicas, delay, &events), &[]);
        let mut both = Both::default();
        let sel: BTreeMap<String, String> =
            [("app".to_string(), "web".to_string())].into_iter().collect();
        for l in [&mut both.shared, &mut both.copied] {
            l.set_service("web", Some(&sel));
        }
        let (mut w, mut el) = crate::support::started_world(sc, &mut both);
        while el.peek_time().is_some() {
            if el.step(&mut w, &mut both).unwrap().is_none() {
                break;
            }
        }
        prop_assert!(both.changes > 0);
        let sel = |l: &PodList| {
            l.selected_at("web").into_iter().map(|(i, p, t)| format!("{i} {t:?} {p:?}")).collect::<Vec<_>>()
        };
        prop_assert_eq!(sel(&both.shared), sel(&both.copied));
        prop_assert_eq!(dump(&both.shared), dump(&both.copied));
    }
}
