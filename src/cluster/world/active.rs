//! A ReplicaSet's active pods ([`ActiveSet`]) and a Deployment's active pods per node
//! ([`NodeCounts`]): compact for the usual few pods, O(1) for a 20,000-pod ReplicaSet.
//!
//! A scale-down (`getPodsToDelete`) walks every active pod of the ReplicaSet in id order and
//! looks up each one's node count, so in a 20,000-endpoint rolling update both are on the hot
//! path: a tree made each of those 20,000 steps a search. The large forms index by the pod's
//! world slot (`PodId::index`) and by node id instead.

use super::*;

/// Vector form up to this many entries (beyond: the indexed form).
const SMALL_MAX: usize = 64;
/// Back to the vector form at or below this many (hysteresis: no flapping at the boundary).
const SMALL_MIN: usize = 32;

/// A ReplicaSet's active pods: ordered iteration (by id) plus O(1) uniform random picks.
/// The random-access order (`slots`) depends only on the (deterministic) sequence of
/// inserts/removes, and is the same whichever form the index has.
///
/// At most one pod per world slot index is held at a time (the world removes a pod from its
/// ReplicaSet before its slot is reused), so id order is slot-index order.
#[derive(Debug, Clone, Default)]
pub struct ActiveSet {
    index: ActiveIndex,
    slots: Vec<PodId>,
}

#[derive(Debug, Clone)]
enum ActiveIndex {
    /// Sorted (pod, its position in `slots`): the usual ReplicaSet of a few pods.
    Small(Vec<(PodId, u32)>),
    /// Indexed by slot index: `pos[i]` = position in `slots` + 1 (0: absent); `bits` marks
    /// the present indices, for walks in id order that skip empty stretches.
    Large { pos: Vec<u32>, bits: Vec<u64> },
}

impl Default for ActiveIndex {
    fn default() -> Self {
        ActiveIndex::Small(Vec::new())
    }
}

impl ActiveSet {
    pub fn len(&self) -> usize {
        self.slots.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Position of `id` in `slots`.
    fn position(&self, id: &PodId) -> Option<usize> {
        match &self.index {
            ActiveIndex::Small(v) => v
                .binary_search_by(|(x, _)| x.cmp(id))
                .ok()
                .map(|i| v[i].1 as usize),
            ActiveIndex::Large { pos, .. } => {
                let p = *pos.get(id.index as usize)?;
                let at = p.checked_sub(1)? as usize;
                (self.slots[at] == *id).then_some(at)
            }
        }
    }

    pub fn contains(&self, id: &PodId) -> bool {
        self.position(id).is_some()
    }

    /// In pod-id order.
    pub fn iter(&self) -> impl Iterator<Item = PodId> + '_ {
        let (small, large) = match &self.index {
            ActiveIndex::Small(v) => (Some(v.iter().map(|(id, _)| *id)), None),
            ActiveIndex::Large { pos, bits } => {
                let slots = &self.slots;
                let walk = bits.iter().enumerate().flat_map(move |(w, &word)| {
                    BitIter(word).map(move |b| {
                        let i = w * 64 + b;
                        slots[pos[i] as usize - 1]
                    })
                });
                (None, Some(walk))
            }
        };
        small
            .into_iter()
            .flatten()
            .chain(large.into_iter().flatten())
    }

    /// The `i`-th element in random-access order (for uniform random picks).
    pub fn get(&self, i: usize) -> Option<PodId> {
        self.slots.get(i).copied()
    }

    pub(super) fn insert(&mut self, id: PodId) {
        if self.contains(&id) {
            return;
        }
        let at = self.slots.len() as u32;
        self.slots.push(id);
        match &mut self.index {
            ActiveIndex::Small(v) => {
                let i = v.partition_point(|(x, _)| *x < id);
                v.insert(i, (id, at));
                if v.len() > SMALL_MAX {
                    self.index = Self::large_of(&self.slots);
                }
            }
            ActiveIndex::Large { pos, bits } => set_large(pos, bits, id.index as usize, at + 1),
        }
    }

    pub(super) fn remove(&mut self, id: &PodId) {
        let Some(i) = self.position(id) else { return };
        self.slots.swap_remove(i);
        let moved = self.slots.get(i).copied();
        match &mut self.index {
            ActiveIndex::Small(v) => {
                if let Ok(k) = v.binary_search_by(|(x, _)| x.cmp(id)) {
                    v.remove(k);
                }
                if let Some(m) = moved {
                    if let Ok(k) = v.binary_search_by(|(x, _)| x.cmp(&m)) {
                        v[k].1 = i as u32;
                    }
                }
            }
            ActiveIndex::Large { pos, bits } => {
                set_large(pos, bits, id.index as usize, 0);
                if let Some(m) = moved {
                    pos[m.index as usize] = i as u32 + 1;
                }
                if self.slots.len() <= SMALL_MIN {
                    let mut v: Vec<(PodId, u32)> =
                        (self.slots.iter().copied()).zip(0u32..).collect();
                    v.sort_unstable();
                    self.index = ActiveIndex::Small(v);
                }
            }
        }
    }

    fn large_of(slots: &[PodId]) -> ActiveIndex {
        let (mut pos, mut bits) = (Vec::new(), Vec::new());
        for (at, id) in slots.iter().enumerate() {
            set_large(&mut pos, &mut bits, id.index as usize, at as u32 + 1);
        }
        ActiveIndex::Large { pos, bits }
    }
}

/// Set `pos[i] = p` (0 = absent) and `i`'s bit accordingly, growing both as needed.
fn set_large(pos: &mut Vec<u32>, bits: &mut Vec<u64>, i: usize, p: u32) {
    if i >= pos.len() {
        if p == 0 {
            return;
        }
        pos.resize(i + 1, 0);
        bits.resize(i / 64 + 1, 0);
    }
    pos[i] = p;
    if p == 0 {
        bits[i / 64] &= !(1 << (i % 64));
    } else {
        bits[i / 64] |= 1 << (i % 64);
    }
}

/// The set bits of a word, lowest first.
struct BitIter(u64);

impl Iterator for BitIter {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(b)
    }
}

/// Active pods per node of one Deployment (`None`: not bound), for the scale-down rank
/// (`getPodsRankedByRelatedPodsOnSameNode`). Lookups only, never iterated; an absent node
/// counts 0.
#[derive(Debug, Clone)]
pub enum NodeCounts {
    /// Sorted (node, count > 0).
    Small(Vec<(Option<NodeId>, u32)>),
    /// Indexed by node id + 1 (0: unbound).
    Dense(Vec<u32>),
}

impl Default for NodeCounts {
    fn default() -> Self {
        NodeCounts::Small(Vec::new())
    }
}

fn dense_at(node: Option<NodeId>) -> usize {
    node.map_or(0, |n| n + 1)
}

impl NodeCounts {
    pub fn get(&self, node: Option<NodeId>) -> u32 {
        match self {
            NodeCounts::Small(v) => v
                .binary_search_by(|(k, _)| k.cmp(&node))
                .map_or(0, |i| v[i].1),
            NodeCounts::Dense(d) => d.get(dense_at(node)).copied().unwrap_or(0),
        }
    }

    pub fn incr(&mut self, node: Option<NodeId>) {
        match self {
            NodeCounts::Small(v) => match v.binary_search_by(|(k, _)| k.cmp(&node)) {
                Ok(i) => v[i].1 += 1,
                Err(i) => {
                    v.insert(i, (node, 1));
                    if v.len() > SMALL_MAX {
                        let top = v.iter().map(|(k, _)| dense_at(*k)).max().unwrap_or(0);
                        let mut d = vec![0; top + 1];
                        for (k, c) in v.iter() {
                            d[dense_at(*k)] = *c;
                        }
                        *self = NodeCounts::Dense(d);
                    }
                }
            },
            NodeCounts::Dense(d) => {
                let i = dense_at(node);
                if i >= d.len() {
                    d.resize(i + 1, 0);
                }
                d[i] += 1;
            }
        }
    }

    /// One fewer (never below 0).
    pub fn decr(&mut self, node: Option<NodeId>) {
        match self {
            NodeCounts::Small(v) => {
                if let Ok(i) = v.binary_search_by(|(k, _)| k.cmp(&node)) {
                    v[i].1 -= 1;
                    if v[i].1 == 0 {
                        v.remove(i);
                    }
                }
            }
            NodeCounts::Dense(d) => {
                if let Some(c) = d.get_mut(dense_at(node)) {
                    *c = c.saturating_sub(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The former `ActiveSet` (an ordered map pod → position beside the same `slots`), the
    /// straightforward form the indexed one must equal.
    #[derive(Default)]
    struct Plain {
        ordered: BTreeMap<PodId, u32>,
        slots: Vec<PodId>,
    }

    impl Plain {
        fn insert(&mut self, id: PodId) {
            if !self.ordered.contains_key(&id) {
                self.ordered.insert(id, self.slots.len() as u32);
                self.slots.push(id);
            }
        }
        fn remove(&mut self, id: &PodId) {
            if let Some(i) = self.ordered.remove(id) {
                let i = i as usize;
                self.slots.swap_remove(i);
                if let Some(moved) = self.slots.get(i) {
                    *self.ordered.get_mut(moved).expect("held") = i as u32;
                }
            }
        }
    }

    proptest! {
        /// Against the plain form on random insert/remove sequences (slot indices reused with
        /// a new generation only once free, as the world's slots are) crossing the
        /// vector/indexed boundary both ways: same order, same random-access order, same
        /// membership.
        #[test]
        fn active_set_equals_the_plain_form(
            ops in prop::collection::vec((0u8..3, 0u32..300), 0..1500)
        ) {
            let (mut a, mut b) = (ActiveSet::default(), Plain::default());
            // Slot index → its current generation, and whether a pod of it is held.
            let mut generation: BTreeMap<u32, (u32, bool)> = BTreeMap::new();
            for (op, index) in ops {
                let (g, held) = generation.entry(index).or_insert((0, false));
                let id = PodId { index, generation: *g };
                match op {
                    0 | 1 => {
                        a.insert(id);
                        b.insert(id);
                        *held = true;
                    }
                    _ => {
                        a.remove(&id);
                        b.remove(&id);
                        if *held {
                            *g += 1;
                        }
                        *held = false;
                    }
                }
                prop_assert_eq!(a.len(), b.slots.len());
                prop_assert_eq!(&a.slots, &b.slots);
                prop_assert!(a.iter().eq(b.ordered.keys().copied()));
                prop_assert_eq!(a.contains(&id), b.ordered.contains_key(&id));
                let stale = PodId { index, generation: id.generation + 1 };
                prop_assert_eq!(a.contains(&stale), b.ordered.contains_key(&stale));
                for i in [0, a.len() / 2, a.len()] {
                    prop_assert_eq!(a.get(i), b.slots.get(i).copied());
                }
            }
        }

        /// Against a map with the former semantics (zero counts kept, a decrement saturating at
        /// 0, an absent node 0), crossing into the dense form.
        #[test]
        fn node_counts_equal_a_map(
            ops in prop::collection::vec((any::<bool>(), prop::option::of(0usize..150)), 0..1500)
        ) {
            let mut a = NodeCounts::default();
            let mut b: BTreeMap<Option<NodeId>, u32> = BTreeMap::new();
            for (up, node) in ops {
                if up {
                    a.incr(node);
                    *b.entry(node).or_default() += 1;
                } else {
                    a.decr(node);
                    if let Some(c) = b.get_mut(&node) {
                        *c = c.saturating_sub(1);
                    }
                }
                prop_assert_eq!(a.get(node), b.get(&node).copied().unwrap_or(0));
                prop_assert_eq!(a.get(Some(149)), b.get(&Some(149)).copied().unwrap_or(0));
            }
        }
    }

    #[test]
    fn active_set_crosses_the_boundary_both_ways() {
        let id = |i: u32| PodId {
            index: i * 7,
            generation: 0,
        };
        let mut s = ActiveSet::default();
        for i in (0..100).rev() {
            s.insert(id(i));
        }
        assert!(matches!(s.index, ActiveIndex::Large { .. }));
        assert!(s.iter().eq((0..100).map(id)));
        for i in 0..80 {
            s.remove(&id(i));
        }
        assert!(matches!(s.index, ActiveIndex::Small(_)));
        assert!(s.iter().eq((80..100).map(id)));
    }
}
