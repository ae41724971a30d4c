//! Packing policies: what-if variants of how the EndpointSlice controller places endpoints
//! in slices (`controllers.endpointslice.packing`). **Only [`Packing::Upstream`] is real
//! Kubernetes**; the others are hypothetical designs this simulator can cost.
//!
//! Upstream (k8s.io/endpointslice reconciler.go `reconcileByPortMapping`) minimises writes:
//! it removes gone endpoints in place, fills the slices it already has to update, and only
//! then creates new ones; it never moves an endpoint just to consolidate. Slices therefore
//! fragment under churn (many partly filled slices), and it costs nothing extra to leave
//! them so.
//!
//! A policy is applied to the upstream sync's writes ([`apply`]): from the slices as they
//! will be after those writes, per address type and port set ("group"), it may consolidate
//! the group into the fewest slices, `⌈endpoints / max_endpoints_per_slice⌉`:
//!
//! * [`Packing::Repack`]: every sync that leaves a group in more slices than that.
//! * [`Packing::Bounded`]: only when the group's fill (endpoints / (slices × max)) falls below
//!   `min_fill`, so fragmentation is bounded while most syncs stay upstream's.
//!
//! Consolidation moves as little as it can: the fullest slices are kept (an existing slice
//! before a new one at equal size, then in list order), the rest are emptied into the kept
//! slices' free room (in endpoint order) and deleted, or not created. A kept slice that
//! receives endpoints is updated (or its create carries them). Writes of the other groups are
//! upstream's, untouched; the consolidated group's writes follow them (creates, updates,
//! deletes). The sync's write counters ([`SyncMetrics`]) count the writes issued.

use super::reconcile::SyncMetrics;
use super::reconciler::{EndpointSliceController, ReconcileResult, SliceWrite};
use crate::k8s;

impl EndpointSliceController {
    /// Use packing `policy`. A what-if policy syncs through the full reconcile: the
    /// incremental one keeps state that follows upstream's own writes.
    pub fn with_packing(mut self, policy: Packing) -> Self {
        self.reconciler.packing = policy;
        if policy != Packing::Upstream {
            self.reconciler.full_recompute = true;
        }
        self
    }
}

/// `controllers.endpointslice.packing`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum Packing {
    /// Kubernetes' own minimise-updates placement (the default; the conformance path).
    #[default]
    Upstream,
    /// Hypothetical: consolidate to the fewest slices whenever a sync leaves more.
    Repack,
    /// Hypothetical: consolidate a group when its fill falls below `min_fill` (0 < x ≤ 1).
    Bounded { min_fill: f64 },
}

impl Packing {
    /// The names a scenario may give (`packing = "…"`).
    pub const NAMES: [&'static str; 3] = ["upstream", "repack", "bounded"];

    pub fn name(self) -> &'static str {
        match self {
            Packing::Upstream => "upstream",
            Packing::Repack => "repack",
            Packing::Bounded { .. } => "bounded",
        }
    }

    /// Whether a group of `slices` slices holding `endpoints` endpoints is consolidated.
    fn repacks(self, endpoints: usize, slices: usize, max: usize) -> bool {
        let fewest = endpoints.div_ceil(max.max(1));
        if endpoints == 0 || slices <= fewest {
            return false;
        }
        match self {
            Packing::Upstream => false,
            Packing::Repack => true,
            Packing::Bounded { min_fill } => (endpoints as f64) < min_fill * (slices * max) as f64,
        }
    }
}

/// Where a slice of the state after the upstream writes comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `existing[i]`, unchanged by upstream.
    Kept(usize),
    /// `existing[i]`, updated by upstream.
    Updated(usize),
    /// Created by upstream.
    Created,
}

struct After {
    origin: Origin,
    slice: k8s::EndpointSlice,
}

/// Apply `policy` to an upstream sync `result` over the `existing` slices it was planned
/// against (see the module docs). [`Packing::Upstream`] returns `result` unchanged.
pub fn apply(
    policy: Packing,
    max: usize,
    mut result: ReconcileResult,
    existing: &[&k8s::EndpointSlice],
) -> ReconcileResult {
    if policy == Packing::Upstream {
        return result;
    }
    let name = |s: &k8s::EndpointSlice| s.metadata.name.clone().unwrap_or_default();
    let index_of = |n: &str| {
        existing
            .iter()
            .position(|e| e.metadata.name.as_deref() == Some(n))
    };
    // the slices after upstream's writes, existing ones in list order then the creates
    let mut after: Vec<After> = existing
        .iter()
        .enumerate()
        .map(|(i, e)| After {
            origin: Origin::Kept(i),
            slice: (*e).clone(),
        })
        .collect();
    let mut deleted = vec![false; existing.len()];
    for w in &result.writes {
        match w {
            SliceWrite::Create(s) => after.push(After {
                origin: Origin::Created,
                slice: s.clone(),
            }),
            SliceWrite::Update(s) => {
                if let Some(i) = index_of(&name(s)) {
                    after[i] = After {
                        origin: Origin::Updated(i),
                        slice: s.clone(),
                    };
                }
            }
            SliceWrite::Delete(s) => {
                if let Some(i) = index_of(&name(s)) {
                    deleted[i] = true;
                }
            }
        }
    }
    let after: Vec<After> = after
        .into_iter()
        .filter(|a| match a.origin {
            Origin::Kept(i) | Origin::Updated(i) => !deleted[i],
            Origin::Created => true,
        })
        .collect();

    // groups by address type and ports, in order of first appearance
    let mut groups: Vec<(&str, &[k8s::SliceEndpointPort], Vec<usize>)> = Vec::new();
    for (i, a) in after.iter().enumerate() {
        let key = (a.slice.address_type.as_str(), a.slice.port_list());
        match groups.iter_mut().find(|g| (g.0, g.1) == key) {
            Some(g) => g.2.push(i),
            None => groups.push((key.0, key.1, vec![i])),
        }
    }
    let repacked: Vec<Vec<usize>> = groups
        .into_iter()
        .map(|g| g.2)
        .filter(|members| {
            let n = members
                .iter()
                .map(|&i| after[i].slice.endpoint_list().len())
                .sum();
            policy.repacks(n, members.len(), max)
        })
        .collect();
    if repacked.is_empty() {
        return result;
    }

    // upstream's writes to the slices of the repacked groups are replaced
    let in_repacked = |s: &k8s::EndpointSlice, created_at: Option<usize>| {
        repacked.iter().flatten().any(|&i| match after[i].origin {
            Origin::Kept(e) | Origin::Updated(e) => {
                created_at.is_none() && existing[e].metadata.name == s.metadata.name
            }
            Origin::Created => created_at == Some(i),
        })
    };
    let mut created_seen = existing.len() - deleted.iter().filter(|d| **d).count();
    let mut writes = Vec::with_capacity(result.writes.len());
    for w in std::mem::take(&mut result.writes) {
        let touched = match &w {
            SliceWrite::Create(s) => {
                let at = created_seen;
                created_seen += 1;
                in_repacked(s, Some(at))
            }
            SliceWrite::Update(s) => in_repacked(s, None),
            // a deleted slice is in no group: upstream's delete stands
            SliceWrite::Delete(_) => false,
        };
        if !touched {
            writes.push(w);
        }
    }
    let (mut creates, mut updates, mut deletes) = (Vec::new(), Vec::new(), Vec::new());
    for members in &repacked {
        consolidate(
            &after,
            members,
            max,
            existing,
            &mut creates,
            &mut updates,
            &mut deletes,
        );
    }
    writes.extend(creates);
    writes.extend(updates);
    writes.extend(deletes);
    recount(&mut result.metrics, &writes);
    result.writes = writes;
    result
}

/// The writes that turn one group of `after` (indices `members`) into its fewest slices.
fn consolidate(
    after: &[After],
    members: &[usize],
    max: usize,
    existing: &[&k8s::EndpointSlice],
    creates: &mut Vec<SliceWrite>,
    updates: &mut Vec<SliceWrite>,
    deletes: &mut Vec<SliceWrite>,
) {
    let n: usize = members
        .iter()
        .map(|&i| after[i].slice.endpoint_list().len())
        .sum();
    let fewest = n.div_ceil(max);
    // fullest first; an existing slice before a new one; then list order (stable sort)
    let mut order = members.to_vec();
    order.sort_by_key(|&i| {
        let created = after[i].origin == Origin::Created;
        (
            std::cmp::Reverse(after[i].slice.endpoint_list().len()),
            created,
        )
    });
    let (keep, drain) = order.split_at(fewest);
    let mut moving: std::collections::VecDeque<k8s::SharedValue<k8s::Endpoint>> = drain
        .iter()
        .flat_map(|&i| after[i].slice.endpoint_list().iter().cloned())
        .collect();
    // kept slices in list order, each filled up from the drained endpoints
    let mut keep = keep.to_vec();
    keep.sort_unstable();
    for &i in &keep {
        let a = &after[i];
        let mut slice = a.slice.clone();
        let mut eps = slice.endpoints.take().unwrap_or_default();
        while eps.len() < max {
            match moving.pop_front() {
                Some(e) => eps.push(e),
                None => break,
            }
        }
        slice.endpoints = Some(eps);
        match a.origin {
            Origin::Created => creates.push(SliceWrite::Create(slice)),
            Origin::Kept(e) | Origin::Updated(e) => {
                if slice != *existing[e] {
                    updates.push(SliceWrite::Update(slice));
                }
            }
        }
    }
    for &i in drain {
        match after[i].origin {
            Origin::Created => {}
            Origin::Kept(e) | Origin::Updated(e) => {
                deletes.push(SliceWrite::Delete(existing[e].clone()))
            }
        }
    }
}

/// The sync's `changes{operation}` counters from the writes it issues.
fn recount(m: &mut SyncMetrics, writes: &[SliceWrite]) {
    let count = |f: fn(&SliceWrite) -> bool| writes.iter().filter(|w| f(w)).count();
    m.creates = count(|w| matches!(w, SliceWrite::Create(_)));
    m.updates = count(|w| matches!(w, SliceWrite::Update(_)));
    m.deletes = count(|w| matches!(w, SliceWrite::Delete(_)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn slice(name: &str, first: usize, n: usize) -> k8s::EndpointSlice {
        let eps: Vec<_> = (first..first + n)
            .map(|i| serde_json::json!({"addresses": [format!("10.0.{}.{}", i / 250, i % 250)]}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": "1"},
            "addressType": "IPv4",
            "endpoints": eps,
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        }))
        .unwrap()
    }

    /// The slices after `writes` over `existing` (creates get names `new-N`).
    fn after(existing: &[k8s::EndpointSlice], writes: &[SliceWrite]) -> Vec<k8s::EndpointSlice> {
        let mut out: Vec<k8s::EndpointSlice> = existing.to_vec();
        for (i, w) in writes.iter().enumerate() {
            match w {
                SliceWrite::Create(s) => {
                    let mut s = s.clone();
                    s.metadata.name = Some(format!("new-{i}"));
                    out.push(s);
                }
                SliceWrite::Update(s) => {
                    let at = out.iter().position(|o| o.metadata.name == s.metadata.name);
                    out[at.expect("update of a known slice")] = s.clone();
                }
                SliceWrite::Delete(s) => out.retain(|o| o.metadata.name != s.metadata.name),
            }
        }
        out
    }

    fn addresses(slices: &[k8s::EndpointSlice]) -> Vec<String> {
        let mut v: Vec<String> = slices
            .iter()
            .flat_map(|s| {
                s.endpoint_list()
                    .iter()
                    .flat_map(|e| e.addresses.clone().unwrap_or_default())
            })
            .collect();
        v.sort();
        v
    }

    fn run(policy: Packing, existing: &[k8s::EndpointSlice], max: usize) -> ReconcileResult {
        let refs: Vec<&k8s::EndpointSlice> = existing.iter().collect();
        apply(policy, max, ReconcileResult::default(), &refs)
    }

    #[test]
    fn upstream_leaves_the_plan_alone() {
        let existing = [slice("a", 0, 10), slice("b", 10, 10), slice("c", 20, 10)];
        assert!(run(Packing::Upstream, &existing, 100).writes.is_empty());
    }

    #[test]
    fn repack_moves_the_emptiest_slices_into_the_fullest() {
        let existing = [slice("a", 0, 30), slice("b", 30, 60), slice("c", 90, 20)];
        let r = run(Packing::Repack, &existing, 100);
        let end = after(&existing, &r.writes);
        // 110 endpoints in 2 slices: b and a (the fullest) kept, c (the emptiest) drained into
        // a's free room (b untouched) and deleted
        assert_eq!(end.len(), 2, "{:?}", r.writes);
        assert_eq!(addresses(&end), addresses(&existing));
        assert_eq!(
            (r.metrics.creates, r.metrics.updates, r.metrics.deletes),
            (0, 1, 1)
        );
        assert!(end.iter().all(|s| s.endpoint_list().len() <= 100));
    }

    #[test]
    fn bounded_waits_for_the_fill_to_fall_below_its_threshold() {
        // 3 slices of 100, 180 endpoints: fill 0.6 ≥ 0.5, left alone
        let existing = [slice("a", 0, 60), slice("b", 60, 60), slice("c", 120, 60)];
        let bounded = Packing::Bounded { min_fill: 0.5 };
        assert!(run(bounded, &existing, 100).writes.is_empty());
        assert!(!run(Packing::Repack, &existing, 100).writes.is_empty());
        // 120 endpoints: fill 0.4 < 0.5, consolidated into 2
        let existing = [slice("a", 0, 40), slice("b", 40, 40), slice("c", 80, 40)];
        let r = run(bounded, &existing, 100);
        assert_eq!(after(&existing, &r.writes).len(), 2);
    }

    proptest! {
        /// Differential against the definition: after a repack every group holds the same
        /// endpoints in ⌈n / max⌉ slices of at most `max`, and bounded never ends with more
        /// slices than upstream nor fewer than repack.
        #[test]
        fn repack_reaches_the_fewest_slices_and_keeps_every_endpoint(
            sizes in proptest::collection::vec(1usize..=20, 1..8),
            max in 1usize..=20,
            min_fill in 0.05f64..=1.0,
        ) {
            let mut first = 0;
            let existing: Vec<k8s::EndpointSlice> = sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let n = n.min(max);
                    let s = slice(&format!("s{i}"), first, n);
                    first += n;
                    s
                })
                .collect();
            let total = first;
            let repacked = after(&existing, &run(Packing::Repack, &existing, max).writes);
            prop_assert_eq!(repacked.len(), total.div_ceil(max));
            prop_assert!(repacked.iter().all(|s| s.endpoint_list().len() <= max));
            prop_assert_eq!(addresses(&repacked), addresses(&existing));
            let bounded = after(
                &existing,
                &run(Packing::Bounded { min_fill }, &existing, max).writes,
            );
            prop_assert!(bounded.len() <= existing.len() && bounded.len() >= repacked.len());
            prop_assert_eq!(addresses(&bounded), addresses(&existing));
        }
    }
}
