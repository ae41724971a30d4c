//! [`SharedValue`]: an immutable value held by several objects at once.
//!
//! The Endpoints controller rebuilds a Service's whole Endpoints object on every write (upstream
//! `syncService` does too), and a large Service is written tens of thousands of times while
//! almost every address stays the same. Holding each address as a `SharedValue<EndpointAddress>` lets
//! every version of the object, the controller's desired-state cache, the store and the client
//! caches point at one copy: building a 20,000-address object copies 20,000 pointers instead of
//! 140,000 strings, and comparing two versions stops at the first pointer that differs.
//!
//! A `SharedValue<T>` is indistinguishable from a `T` on the wire and in every comparison: serde
//! (JSON, YAML), protobuf, `Debug`, equality, ordering and hashing all see the value only.
//! Writing through it (`DerefMut`) copies the value first when another holder shares it
//! (copy-on-write), so no holder ever observes another's change.
//!
//! Each allocation also remembers the value's encoded protobuf length once something measured
//! it ([`SharedValue::known_len`], filled by `crate::wire::proto::message`): every version of a
//! 100-endpoint slice and of a 1,000-address Endpoints object is sized by the store's etcd
//! check and by the watch fan-out, and their unchanged elements are then sized once, not per
//! write. A write through `DerefMut` forgets it.

use std::cell::Cell;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A shared immutable `T` with value semantics (see module docs).
pub struct SharedValue<T>(Rc<Held<T>>);

/// The value and its remembered encoded length ([`UNKNOWN`] until measured).
#[derive(Clone)]
struct Held<T> {
    value: T,
    len: Cell<u32>,
}

const UNKNOWN: u32 = u32::MAX;

impl<T: Default> Default for SharedValue<T> {
    fn default() -> Self {
        SharedValue::new(T::default())
    }
}

impl<T> SharedValue<T> {
    pub fn new(v: T) -> Self {
        SharedValue(Rc::new(Held {
            value: v,
            len: Cell::new(UNKNOWN),
        }))
    }

    /// The value's encoded protobuf length, if measured since it was last written (see module
    /// docs).
    pub fn known_len(&self) -> Option<usize> {
        let n = self.0.len.get();
        (n != UNKNOWN).then_some(n as usize)
    }

    /// Remember the value's encoded protobuf length (`crate::wire` only; lengths that do not
    /// fit are not remembered).
    pub fn remember_len(&self, n: usize) {
        if let Ok(n) = u32::try_from(n) {
            if n != UNKNOWN {
                self.0.len.set(n);
            }
        }
    }

    /// Each value of `v`, shared.
    pub fn all(v: impl IntoIterator<Item = T>) -> Vec<SharedValue<T>> {
        v.into_iter().map(SharedValue::new).collect()
    }

    /// Whether both hold the very same allocation (then they are equal without a look).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Rc::ptr_eq(&a.0, &b.0)
    }
}

impl<T: Clone> SharedValue<T> {
    /// The value, copied only when another holder shares it.
    pub fn into_inner(self) -> T {
        Rc::try_unwrap(self.0).map_or_else(|rc| rc.value.clone(), |h| h.value)
    }
}

impl<T> Clone for SharedValue<T> {
    fn clone(&self) -> Self {
        SharedValue(Rc::clone(&self.0))
    }
}

impl<T> From<T> for SharedValue<T> {
    fn from(v: T) -> Self {
        SharedValue::new(v)
    }
}

impl<T> Deref for SharedValue<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

/// Copy-on-write: the value is copied first when another holder shares it; the remembered
/// length is forgotten (the caller may change the value).
impl<T: Clone> DerefMut for SharedValue<T> {
    fn deref_mut(&mut self) -> &mut T {
        let h = Rc::make_mut(&mut self.0);
        h.len.set(UNKNOWN);
        &mut h.value
    }
}

impl<T> AsRef<T> for SharedValue<T> {
    fn as_ref(&self) -> &T {
        &self.0.value
    }
}

impl<T> std::borrow::Borrow<T> for SharedValue<T> {
    fn borrow(&self) -> &T {
        &self.0.value
    }
}

/// Transparent: prints exactly what the value prints.
impl<T: fmt::Debug> fmt::Debug for SharedValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.value.fmt(f)
    }
}

/// Value equality; one allocation is equal to itself without a look (the types shared here
/// have reflexive equality: no floats).
impl<T: PartialEq> PartialEq for SharedValue<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0) || self.0.value == other.0.value
    }
}

impl<T: Eq> Eq for SharedValue<T> {}

impl<T: PartialOrd> PartialOrd for SharedValue<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.0.value.partial_cmp(&other.0.value)
    }
}

impl<T: Ord> Ord for SharedValue<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.value.cmp(&other.0.value)
    }
}

impl<T: Hash> Hash for SharedValue<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.value.hash(state)
    }
}

impl<T: Serialize> Serialize for SharedValue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for SharedValue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(SharedValue::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_and_writes_copy() {
        let a = SharedValue::new(vec![1, 2]);
        let mut b = a.clone();
        assert!(SharedValue::ptr_eq(&a, &b));
        b.push(3);
        assert!(
            !SharedValue::ptr_eq(&a, &b),
            "a write through a shared value copies it"
        );
        assert_eq!((&*a, &*b), (&vec![1, 2], &vec![1, 2, 3]));
        assert_eq!(SharedValue::new(vec![1, 2]), a, "equality is by value");
        assert_eq!(format!("{a:?}"), "[1, 2]");
        assert_eq!(serde_json::to_string(&a).unwrap(), "[1,2]");
        let back: SharedValue<Vec<i32>> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(back, a);
    }
}
