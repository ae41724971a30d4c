//! Shared copies of the short texts every endpoint repeats (node names, zones, namespaces, the
//! target kind): 150,000 endpoints held ~600,000 heap strings of a few thousand distinct
//! values. Values only: an interned text compares, hashes and encodes as the text.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use crate::sim::lookup_hash::ByWord;

/// Distinct texts kept at most; beyond, the table starts over (texts already handed out stay
/// valid, later copies of them are separate allocations: only sharing is lost).
const MAX: usize = 1 << 16;

thread_local! {
    /// Lookup only (never iterated); hashed with [`ByWord`]: SipHash of the short texts was most of
    /// an intern, and every endpoint built from a pod interns three or four.
    static TEXTS: RefCell<HashSet<Rc<str>, ByWord>> = RefCell::new(HashSet::default());
    static POD: Rc<str> = intern("Pod");
}

/// The shared copy of `"Pod"` (every endpoint's `targetRef.kind`), without a lookup.
pub fn pod_kind() -> Rc<str> {
    POD.with(Rc::clone)
}

/// The shared copy of `s`.
pub fn intern(s: &str) -> Rc<str> {
    TEXTS.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(r) = t.get(s) {
            return Rc::clone(r);
        }
        if t.len() >= MAX {
            t.clear();
        }
        let r: Rc<str> = Rc::from(s);
        t.insert(Rc::clone(&r));
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy() {
        let a = intern("zone-a");
        let b = intern(&String::from("zone-a"));
        assert!(Rc::ptr_eq(&a, &b));
        assert_eq!(&*a, "zone-a");
        assert!(!Rc::ptr_eq(&a, &intern("zone-b")));
        assert_eq!(&*intern(""), "");
        assert!(Rc::ptr_eq(&pod_kind(), &intern("Pod")));
    }
}
