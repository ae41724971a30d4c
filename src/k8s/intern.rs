//! Interned strings: one allocation per distinct value, shared by every object that carries it
//! (a ReplicaSet's name and uid in each of its pods' owner reference).
//!
//! Lookup is by value in a hash set (a `BTreeSet` of 20,000 ReplicaSet names and uids cost
//! ~30 string comparisons per lookup); the set is never iterated, so its hash order cannot
//! reach an output.

use std::collections::HashSet;
use std::rc::Rc;

use crate::sim::lookup_hash::ByWord;

/// A set of shared strings (see module docs). Values are kept for the interner's lifetime.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    /// Lookup only (never iterated).
    set: HashSet<Rc<str>, ByWord>,
}

impl Interner {
    /// The shared copy of `s`, made on first use.
    pub fn intern(&mut self, s: &str) -> Rc<str> {
        if let Some(r) = self.set.get(s) {
            return r.clone();
        }
        let r: Rc<str> = Rc::from(s);
        self.set.insert(r.clone());
        r
    }

    /// Distinct values held.
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
    fn equal_values_share_one_allocation() {
        let mut i = Interner::default();
        let a = i.intern("web-7d4b9c");
        let b = i.intern(&String::from("web-7d4b9c"));
        let c = i.intern("db-5f6a");
        assert!(Rc::ptr_eq(&a, &b), "same value, same allocation");
        assert!(!Rc::ptr_eq(&a, &c));
        assert_eq!((&*a, &*c, i.len()), ("web-7d4b9c", "db-5f6a", 2));
    }
}
