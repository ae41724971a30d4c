//! The names taken by existing pods, per namespace: the uniqueness test of generated pod names.
//!
//! A set of `(namespace, name)` strings held a second copy of every pod's name (about 80 B a
//! pod with the table). This index holds, per taken name, only a pod that has it (8 B) under a
//! 64-bit hash of the name; the name itself is read from that pod. It has the set's semantics
//! exactly: inserting a taken name does nothing, removing a name frees it whichever pod of
//! that name is registered. Lookup-only: nothing iterates the hash map.

use super::*;
use std::hash::{Hash, Hasher};

/// See the module docs.
#[derive(Debug, Default)]
pub(super) struct NameIndex {
    /// Hash of (namespace, name) → a live pod of that name.
    by_hash: HashMap<u64, PodId, crate::sim::lookup_hash::ByWord>,
    /// Names whose hash slot another name holds (a 64-bit collision: in practice empty).
    clash: Vec<(u64, PodId)>,
    /// Tests: keep 2 bits of the hash, so that names collide.
    #[cfg(test)]
    collide: bool,
}

/// Does pod `id` (looked up in `pods`, or `given` when it is the one being removed) have
/// this name?
fn named(pods: &[PodSlot], given: Option<(PodId, &Pod)>, id: PodId, ns: &str, name: &str) -> bool {
    let p = match given {
        Some((g, p)) if g == id => Some(p),
        _ => pods
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation)
            .and_then(|s| s.pod.as_deref()),
    };
    p.is_some_and(|p| &*p.namespace == ns && p.name == name)
}

impl NameIndex {
    fn hash_of(&self, ns: &str, name: &str) -> u64 {
        let mut h = crate::sim::lookup_hash::WordHasher::default();
        ns.hash(&mut h);
        name.hash(&mut h);
        #[cfg(test)]
        if self.collide {
            return h.finish() & 3;
        }
        h.finish()
    }

    pub(super) fn reserve(&mut self, n: usize) {
        self.by_hash.reserve(n);
    }

    /// Is `(ns, name)` taken?
    pub(super) fn contains(&self, pods: &[PodSlot], ns: &str, name: &str) -> bool {
        let h = self.hash_of(ns, name);
        match self.by_hash.get(&h) {
            None => false,
            Some(&id) if named(pods, None, id, ns, name) => true,
            Some(_) => self
                .clash
                .iter()
                .any(|&(c, id)| c == h && named(pods, None, id, ns, name)),
        }
    }

    /// Take `(ns, name)` for pod `id` (which exists and has it); nothing if already taken.
    pub(super) fn insert(&mut self, pods: &[PodSlot], id: PodId, ns: &str, name: &str) {
        // `contains`, then the insert, on one hash and one probe of the table.
        let h = self.hash_of(ns, name);
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let taken = named(pods, None, *e.get(), ns, name)
                    || self
                        .clash
                        .iter()
                        .any(|&(c, p)| c == h && named(pods, None, p, ns, name));
                if !taken {
                    self.clash.push((h, id));
                }
            }
        }
    }

    /// Free the name of `pod` (`id`, already out of `pods`), whichever pod holds it.
    pub(super) fn remove(&mut self, pods: &[PodSlot], id: PodId, pod: &Pod) {
        let (ns, name) = (&*pod.namespace, pod.name.as_str());
        let h = self.hash_of(ns, name);
        let given = Some((id, pod));
        let Some(&holder) = self.by_hash.get(&h) else {
            return;
        };
        if named(pods, given, holder, ns, name) {
            match self.clash.iter().position(|&(c, _)| c == h) {
                Some(i) => {
                    let (_, other) = self.clash.remove(i);
                    self.by_hash.insert(h, other);
                }
                None => {
                    self.by_hash.remove(&h);
                }
            }
        } else if let Some(i) = self
            .clash
            .iter()
            .position(|&(c, p)| c == h && named(pods, given, p, ns, name))
        {
            self.clash.remove(i);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_hash.len() + self.clash.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn pod(id: PodId, name: &str) -> Pod {
        let t = Arc::new(PodTemplate {
            version: 0,
            hash: "h".into(),
            labels: Default::default(),
            ports: Vec::new(),
            hostname: None,
            subdomain: None,
            owner_kind: "ReplicaSet",
            hostname_is_pod_name: false,
        });
        super::super::workloads::new_pod(
            id,
            "u".into(),
            name.into(),
            "ns".into(),
            (0, 0),
            t,
            0,
            0,
            0,
        )
    }

    proptest! {
        /// The index answers like the set of (namespace, name) strings it replaces, through
        /// inserts of new and taken names and removals of pods (with forced hash collisions
        /// or not).
        #[test]
        fn index_is_the_set_of_names(
            ops in proptest::collection::vec((0u8..3, 0usize..6), 1..120),
            collide in any::<bool>(),
        ) {
            let mut set: HashSet<String> = HashSet::new();
            let mut idx = NameIndex { collide, ..Default::default() };
            let mut slots: Vec<PodSlot> = Vec::new();
            for (op, n) in ops {
                let name = format!("p{n}");
                match op {
                    // a new pod named `name`, registered (a taken name stays as it is)
                    0 | 1 => {
                        let id = PodId { index: slots.len() as u32, generation: 0 };
                        slots.push(PodSlot { generation: 0, pod: Some(Arc::new(pod(id, &name))) });
                        idx.insert(&slots, id, "ns", &name);
                        set.insert(name.clone());
                    }
                    // remove the first live pod of that name
                    _ => {
                        let found = slots.iter().position(|s| s.pod.as_ref().is_some_and(|p| p.name == name));
                        if let Some(i) = found {
                            let id = PodId { index: i as u32, generation: 0 };
                            let p = slots[i].pod.take().unwrap();
                            idx.remove(&slots, id, &p);
                            set.remove(&name);
                        }
                    }
                }
                for k in 0..6 {
                    let q = format!("p{k}");
                    prop_assert_eq!(idx.contains(&slots, "ns", &q), set.contains(&q), "{}", q);
                    prop_assert!(!idx.contains(&slots, "other", &q));
                }
                prop_assert_eq!(idx.len(), set.len());
            }
        }
    }
}
