//! An ordered map that is a sorted vector while small and a `BTreeMap` when large.
//!
//! The envelope's 10,000 ReplicaSets hold about 15 pods each: a `BTreeSet` of 15 pod ids
//! costs two tree nodes (≈ 400 B), a sorted vector 128 B. A 20,000-pod ReplicaSet stays a
//! tree, so inserting into it never shifts a long vector. Iteration is in key order either
//! way, so every caller sees exactly what a `BTreeMap` would give.

use std::borrow::Borrow;
use std::collections::{btree_map, BTreeMap};

/// Grow into a tree beyond this many entries.
const SMALL_MAX: usize = 64;
/// Shrink back to a vector at or below this many (hysteresis: no flapping at the boundary).
const SMALL_MIN: usize = 32;

#[derive(Debug, Clone)]
pub enum SmallMap<K, V> {
    Small(Vec<(K, V)>),
    Large(BTreeMap<K, V>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap::Small(Vec::new())
    }
}

/// Iterator over a [`SmallMap`] in key order.
pub enum Iter<'a, K, V> {
    Small(std::slice::Iter<'a, (K, V)>),
    Large(btree_map::Iter<'a, K, V>),
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next().map(|(k, v)| (k, v)),
            Iter::Large(i) => i.next(),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(i) => i.size_hint(),
            Iter::Large(i) => i.size_hint(),
        }
    }
}

impl<'a, K, V> DoubleEndedIterator for Iter<'a, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(i) => i.next_back().map(|(k, v)| (k, v)),
            Iter::Large(i) => i.next_back(),
        }
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    pub fn len(&self) -> usize {
        match self {
            SmallMap::Small(v) => v.len(),
            SmallMap::Large(m) => m.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `BTreeMap::get` (by any borrowed form of the key, e.g. `&str` for `Box<str>` keys).
    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::Small(v) => v
                .binary_search_by(|(x, _)| x.borrow().cmp(k))
                .ok()
                .map(|i| &v[i].1),
            SmallMap::Large(m) => m.get(k),
        }
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::Small(v) => match v.binary_search_by(|(x, _)| x.borrow().cmp(k)) {
                Ok(i) => Some(&mut v[i].1),
                Err(_) => None,
            },
            SmallMap::Large(m) => m.get_mut(k),
        }
    }

    /// `get_mut` with the stored key (which a caller may share, e.g. an `Rc<str>`).
    pub fn get_key_value_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
    {
        use std::ops::Bound::Included;
        match self {
            SmallMap::Small(v) => match v.binary_search_by(|(x, _)| x.borrow().cmp(k)) {
                Ok(i) => {
                    let (key, val) = &mut v[i];
                    Some((&*key, val))
                }
                Err(_) => None,
            },
            SmallMap::Large(m) => m.range_mut::<Q, _>((Included(k), Included(k))).next(),
        }
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.get(k).is_some()
    }

    /// `BTreeMap::insert`: the previous value of `k`, if any.
    pub fn insert(&mut self, k: K, val: V) -> Option<V> {
        match self {
            SmallMap::Small(v) => match v.binary_search_by(|(x, _)| x.cmp(&k)) {
                Ok(i) => Some(std::mem::replace(&mut v[i].1, val)),
                Err(i) => {
                    if v.len() < SMALL_MAX {
                        v.insert(i, (k, val));
                    } else {
                        let mut m: BTreeMap<K, V> = std::mem::take(v).into_iter().collect();
                        m.insert(k, val);
                        *self = SmallMap::Large(m);
                    }
                    None
                }
            },
            SmallMap::Large(m) => m.insert(k, val),
        }
    }

    /// `BTreeMap::remove`.
    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        match self {
            SmallMap::Small(v) => match v.binary_search_by(|(x, _)| x.borrow().cmp(k)) {
                Ok(i) => {
                    let out = v.remove(i).1;
                    if v.capacity() > 2 * SMALL_MIN && v.len() <= SMALL_MIN {
                        v.shrink_to_fit();
                    }
                    Some(out)
                }
                Err(_) => None,
            },
            SmallMap::Large(m) => {
                let out = m.remove(k);
                if m.len() <= SMALL_MIN {
                    let v: Vec<(K, V)> = std::mem::take(m).into_iter().collect();
                    *self = SmallMap::Small(v);
                }
                out
            }
        }
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        match self {
            SmallMap::Small(v) => Iter::Small(v.iter()),
            SmallMap::Large(m) => Iter::Large(m.iter()),
        }
    }

    /// Keys in key order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

/// A [`SmallMap`] used as a set.
#[derive(Debug, Clone)]
pub struct SmallSet<K>(SmallMap<K, ()>);

impl<K> Default for SmallSet<K> {
    fn default() -> Self {
        SmallSet(SmallMap::default())
    }
}

impl<K: Ord> SmallSet<K> {
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn contains(&self, k: &K) -> bool {
        self.0.contains_key(k)
    }
    /// `BTreeSet::insert`: whether `k` was new.
    pub fn insert(&mut self, k: K) -> bool {
        self.0.insert(k, ()).is_none()
    }
    /// `BTreeSet::remove`: whether `k` was there.
    pub fn remove(&mut self, k: &K) -> bool {
        self.0.remove(k).is_some()
    }
    /// In order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.0.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Against `BTreeMap`/`BTreeSet` on random insert/remove sequences that cross the
        /// vector/tree boundary both ways: same answers, same iteration order.
        #[test]
        fn small_map_behaves_as_btree_map(
            ops in prop::collection::vec((any::<bool>(), 0u16..200, any::<u8>()), 0..600)
        ) {
            let mut a: SmallMap<u16, u8> = SmallMap::default();
            let mut b: BTreeMap<u16, u8> = BTreeMap::new();
            let mut sa: SmallSet<u16> = SmallSet::default();
            let mut sb: BTreeSet<u16> = BTreeSet::new();
            for (ins, k, v) in ops {
                if ins {
                    prop_assert_eq!(a.insert(k, v), b.insert(k, v));
                    prop_assert_eq!(sa.insert(k), sb.insert(k));
                } else {
                    prop_assert_eq!(a.remove(&k), b.remove(&k));
                    prop_assert_eq!(sa.remove(&k), sb.remove(&k));
                }
                prop_assert_eq!(a.len(), b.len());
                prop_assert_eq!(a.get(&k), b.get(&k));
                prop_assert_eq!(a.contains_key(&(k + 1)), b.contains_key(&(k + 1)));
                prop_assert_eq!(sa.contains(&k), sb.contains(&k));
                prop_assert!(a.iter().eq(b.iter()));
                prop_assert!(a.iter().rev().eq(b.iter().rev()));
                prop_assert!(a.values().eq(b.values()));
                prop_assert!(sa.iter().eq(sb.iter()));
                prop_assert_eq!(sa.len(), sb.len());
                if let Some(x) = a.get_mut(&k) {
                    *x = x.wrapping_add(1);
                    *b.get_mut(&k).unwrap() = *x;
                }
                let probe = k.wrapping_add(v as u16 % 3);
                match (a.get_key_value_mut(&probe), b.get_mut(&probe)) {
                    (Some((ka, x)), Some(y)) => {
                        prop_assert_eq!(*ka, probe);
                        *x = x.wrapping_add(2);
                        *y = *x;
                    }
                    (x, y) => prop_assert!(x.is_none() && y.is_none()),
                }
            }
        }
    }

    #[test]
    fn small_map_crosses_the_boundary_both_ways() {
        let mut a: SmallMap<u32, u32> = SmallMap::default();
        for i in 0..100 {
            a.insert(i, i);
        }
        assert!(matches!(a, SmallMap::Large(_)));
        for i in 0..80 {
            a.remove(&i);
        }
        assert!(matches!(a, SmallMap::Small(_)));
        assert!(a.iter().map(|(k, _)| *k).eq(80..100));
    }
}
