//! Names the watch side shares instead of comparing strings: a dense id per Service (the watch
//! hub, every client cache and the propagation tracker index by it, where each of them searched
//! a 10,000-entry map by `"namespace/name"` per apply, per probe and per flip at the scale
//! envelope), and one copy of each pod name for every client cache (4 caches × 150,000 pods
//! each held their own).
//!
//! Ids and interned names never reach an output: they stand for the strings they were made
//! from, and every order the outputs see is still the strings' order.

use crate::sim::lookup_hash::ByWord;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

/// A Service as the watch side names it: its dense id (an index) and its `"namespace/name"`.
/// Two keys are the same Service iff their names are equal (ids are only comparable between
/// keys of one [`ServiceIds`]; two caches that do not share one still agree on names).
#[derive(Debug, Clone)]
pub struct ServiceKey {
    pub id: u32,
    pub name: Rc<str>,
}

impl ServiceKey {
    /// The id as an index.
    pub fn index(&self) -> usize {
        self.id as usize
    }

    /// The namespace part of the name.
    pub fn namespace(&self) -> &str {
        // A byte scan ('/' is ASCII): read on every view flip, where the char searcher showed.
        let at = self.name.bytes().position(|b| b == b'/');
        at.map_or("", |i| &self.name[..i])
    }
}

impl PartialEq for ServiceKey {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ServiceKey {}

/// `"namespace/name"` → [`ServiceKey`], ids assigned 0, 1, 2, … in first-seen order and never
/// reused (a deleted Service keeps its id: Services are few, ids are an index).
#[derive(Debug, Default)]
pub struct ServiceIds {
    index: HashMap<Rc<str>, u32, ByWord>,
    keys: Vec<ServiceKey>,
    buf: String,
}

impl ServiceIds {
    /// The key of `"namespace/name"`, made when new.
    pub fn intern(&mut self, name: &str) -> ServiceKey {
        if let Some(&id) = self.index.get(name) {
            return self.keys[id as usize].clone();
        }
        let id = u32::try_from(self.keys.len()).expect("fewer than 2^32 Services");
        let key = ServiceKey {
            id,
            name: Rc::from(name),
        };
        self.index.insert(Rc::clone(&key.name), id);
        self.keys.push(key.clone());
        key
    }

    /// [`Self::intern`] of `namespace` and `name` joined by `/` (no string made when known).
    pub fn intern_parts(&mut self, namespace: &str, name: &str) -> ServiceKey {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.push_str(namespace);
        buf.push('/');
        buf.push_str(name);
        let key = self.intern(&buf);
        self.buf = buf;
        key
    }

    /// The key of a name already interned.
    pub fn get(&self, name: &str) -> Option<&ServiceKey> {
        self.index.get(name).map(|&id| &self.keys[id as usize])
    }

    /// Ids handed out so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// One `Arc<str>` per pod name for every client cache that holds it. A name no cache holds
/// any more is dropped at the next sweep (when the set has doubled since the last one), so the
/// set stays within twice the names in use.
#[derive(Debug, Default)]
pub struct PodNames {
    set: HashSet<Arc<str>, ByWord>,
    sweep_at: usize,
}

impl PodNames {
    const MIN_SWEEP: usize = 1024;

    /// The shared copy of `name`.
    pub fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(a) = self.set.get(name) {
            return Arc::clone(a);
        }
        if self.set.len() >= self.sweep_at {
            self.set.retain(|a| Arc::strong_count(a) > 1);
            self.sweep_at = (2 * self.set.len()).max(Self::MIN_SWEEP);
        }
        let a: Arc<str> = Arc::from(name);
        self.set.insert(Arc::clone(&a));
        a
    }

    /// Names held (in use or not yet swept).
    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_are_dense_and_stable() {
        let mut ids = ServiceIds::default();
        let a = ids.intern_parts("ns", "a");
        let b = ids.intern("ns/b");
        assert_eq!((a.id, b.id), (0, 1));
        assert_eq!(ids.intern("ns/a").id, 0);
        assert_eq!(ids.intern_parts("ns", "b").id, 1);
        assert_eq!(
            &*ids.get("ns/b").map(|k| k.name.clone()).unwrap_or_default(),
            "ns/b"
        );
        assert!(ids.get("ns/c").is_none());
        assert_eq!(a.namespace(), "ns");
        // Equal names are the same Service whatever the interner.
        let mut other = ServiceIds::default();
        other.intern("x/y");
        assert_eq!(other.intern("ns/a"), a);
        assert_ne!(other.intern("ns/a").id, a.id);
    }

    /// Names nobody holds are swept once the set doubles; held ones stay shared.
    #[test]
    fn pod_names_share_and_sweep() {
        let mut p = PodNames::default();
        let held = p.intern("keep");
        assert!(Arc::ptr_eq(&held, &p.intern("keep")));
        for i in 0..PodNames::MIN_SWEEP + 10 {
            p.intern(&format!("pod-{i}"));
        }
        assert!(p.len() < 20, "{}", p.len());
        assert!(Arc::ptr_eq(&held, &p.intern("keep")));
    }
}
