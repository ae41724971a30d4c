//! Per Service, how many listed slices hold each endpoint address: the controller manager's
//! endpoints added/removed figures of a sync (the address sets before and after its writes)
//! from the slices that changed, instead of from every address of a big Service.
//!
//! Kept beside the controller's other per-Service state so `delete_service` forgets it. It is
//! a cache only: the counts are over the listing held from the Service's previous sync, and a
//! sync first moves them to its own listing by the slices that differ, so any held listing
//! (a lagging informer, a skipped or stale sync in between) gives the same figures.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::rc::Rc;

use crate::k8s;
use crate::sim::lookup_hash::ByWord;

/// Address counts per Service key (`namespace/name`); looked up only (a tree of 10,000
/// keys compared ~14 key strings per lookup).
#[derive(Debug, Clone, Default)]
pub struct ListedAddresses {
    services: HashMap<String, Held, ByWord>,
}

/// The maps below are only counted and looked up, never iterated into an output.
type Fast = ByWord;

#[derive(Debug, Clone, Default)]
struct Held {
    /// The listing the counts are over (shared with storage or the informer, not copied).
    slices: Vec<Rc<k8s::EndpointSlice>>,
    /// Address → occurrences over `slices`' endpoints; absent = 0.
    counts: HashMap<Box<str>, u32, Fast>,
}

/// A slice's identity for matching two listings: a slice of the same name and
/// resourceVersion holds the same endpoints. `None` (no resourceVersion) never matches.
fn version(s: &k8s::EndpointSlice) -> Option<(&str, &str)> {
    let rv = s.metadata.resource_version.as_deref().unwrap_or("");
    (!rv.is_empty()).then(|| (s.metadata.name.as_deref().unwrap_or(""), rv))
}

#[cfg(test)]
fn addresses(s: &k8s::EndpointSlice) -> impl Iterator<Item = &str> {
    s.endpoint_list()
        .iter()
        .flat_map(|e| e.address_list().iter().map(String::as_str))
}

/// The slices of `a` and of `b` that the other side does not hold (as multisets of versions).
fn differing<'x, A, B>(a: &'x [A], b: &'x [B]) -> (Vec<&'x A>, Vec<&'x B>)
where
    A: Borrow<k8s::EndpointSlice>,
    B: Borrow<k8s::EndpointSlice>,
{
    // The usual case: the same versions in the same order (the held listing is the previous
    // sync's, and most syncs list exactly it). Every slice matches its counterpart.
    let same = a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let (x, y) = (x.borrow(), y.borrow());
            version(x).is_some() && (std::ptr::eq(x, y) || version(x) == version(y))
        });
    if same {
        return (Vec::new(), Vec::new());
    }
    if a.len() <= LISTING_SCAN && b.len() <= LISTING_SCAN {
        return differing_scanned(a, b);
    }
    differing_mapped(a, b)
}

/// Listings up to this many slices are matched by scanning (no table per sync); the
/// controller's other per-sync listing lookups use the same bound.
pub const LISTING_SCAN: usize = 16;

/// Address occurrences of one listing change netted by a scan (at most this many; more go
/// through a hash map): a rewrite moves a few addresses, and a scan of a few beats hashing.
const OCCURRENCE_SCAN: usize = 16;

/// [`differing`] by scanning (at most [`LISTING_SCAN`] slices a side): each slice of `b` takes the
/// first unmatched slice of `a` of its version, so what is left of a version in `a` are its
/// last occurrences, as [`differing_mapped`] gives (tested).
fn differing_scanned<'x, A, B>(a: &'x [A], b: &'x [B]) -> (Vec<&'x A>, Vec<&'x B>)
where
    A: Borrow<k8s::EndpointSlice>,
    B: Borrow<k8s::EndpointSlice>,
{
    let mut matched = [false; LISTING_SCAN];
    let mut only_b = Vec::new();
    for s in b {
        let taken = version(s.borrow())
            .and_then(|v| (0..a.len()).find(|&i| !matched[i] && version(a[i].borrow()) == Some(v)));
        match taken {
            Some(i) => matched[i] = true,
            None => only_b.push(s),
        }
    }
    let only_a = (0..a.len())
        .rev()
        .filter(|&i| !matched[i])
        .map(|i| &a[i])
        .collect();
    (only_a, only_b)
}

/// [`differing`] through a table of versions (any size).
fn differing_mapped<'x, A, B>(a: &'x [A], b: &'x [B]) -> (Vec<&'x A>, Vec<&'x B>)
where
    A: Borrow<k8s::EndpointSlice>,
    B: Borrow<k8s::EndpointSlice>,
{
    let mut unmatched: HashMap<(&str, &str), u32, Fast> =
        HashMap::with_capacity_and_hasher(a.len(), Fast::default());
    for s in a {
        if let Some(v) = version(s.borrow()) {
            *unmatched.entry(v).or_default() += 1;
        }
    }
    let mut only_b = Vec::new();
    for s in b {
        match version(s.borrow()).and_then(|v| unmatched.get_mut(&v)) {
            Some(n) if *n > 0 => *n -= 1,
            _ => only_b.push(s),
        }
    }
    // What is left unmatched of each version is held by `a` only (its last occurrences).
    let mut only_a = Vec::new();
    for s in a.iter().rev() {
        match version(s.borrow()).and_then(|v| unmatched.get_mut(&v)) {
            Some(n) if *n == 0 => {}
            Some(n) => {
                *n -= 1;
                only_a.push(s);
            }
            None => only_a.push(s),
        }
    }
    (only_a, only_b)
}

/// `f(address, -1)` for every address occurrence of the `gone` slices and `f(address, +1)`
/// for the `new` ones, leaving out pairs that cancel: a new slice is paired with a gone
/// slice of its name, and endpoints at the same position with equal address lists are
/// skipped (a rewritten slice keeps most endpoints in place), so a sync that changed a few
/// endpoints of a big Service hashes only those.
fn for_each_delta<'x, S: Borrow<k8s::EndpointSlice>>(
    gone: &[&'x S],
    new: &[&'x S],
    mut f: impl FnMut(&'x str, i64),
) {
    let gone: &[&'x S] = gone;
    let slice = |s: &'x S| -> &'x k8s::EndpointSlice { s.borrow() };
    let name = |s: &'x S| -> &'x str { slice(s).metadata.name.as_deref().unwrap_or("") };
    // A new slice's partner: the first unpaired gone slice of its name (scanned when few).
    let mut by_name: HashMap<&str, Vec<usize>, Fast> = HashMap::default();
    if gone.len() > LISTING_SCAN {
        for (i, s) in gone.iter().enumerate().rev() {
            by_name.entry(name(s)).or_default().push(i);
        }
    }
    let mut paired = vec![false; gone.len()];
    let emit =
        |eps: &'x [k8s::SharedValue<k8s::Endpoint>], d: i64, f: &mut dyn FnMut(&'x str, i64)| {
            for e in eps {
                for a in e.address_list() {
                    f(a.as_str(), d);
                }
            }
        };
    for &n in new {
        let partner = if gone.len() > LISTING_SCAN {
            by_name.get_mut(name(n)).and_then(Vec::pop)
        } else {
            (0..gone.len()).find(|&i| !paired[i] && name(gone[i]) == name(n))
        };
        let ne = slice(n).endpoint_list();
        match partner {
            Some(i) => {
                paired[i] = true;
                let ge = slice(gone[i]).endpoint_list();
                let common = ge.len().min(ne.len());
                for j in 0..common {
                    // One shared value (most endpoints of a rewritten slice): equal.
                    if k8s::SharedValue::ptr_eq(&ge[j], &ne[j]) {
                        continue;
                    }
                    let (a, b) = (ge[j].address_list(), ne[j].address_list());
                    if a != b {
                        emit(std::slice::from_ref(&ge[j]), -1, &mut f);
                        emit(std::slice::from_ref(&ne[j]), 1, &mut f);
                    }
                }
                emit(&ge[common..], -1, &mut f);
                emit(&ne[common..], 1, &mut f);
            }
            None => emit(ne, 1, &mut f),
        }
    }
    for (i, g) in gone.iter().enumerate() {
        if !paired[i] {
            emit(slice(g).endpoint_list(), -1, &mut f);
        }
    }
}

impl ListedAddresses {
    /// Addresses in `after` but in no slice of `before`, and the reverse (the sizes of the two
    /// differences of the address sets), reading only the slices that differ from the held
    /// listing and between `before` and `after`. `after` becomes the held listing (the next
    /// sync's listing is usually exactly it, so moving the counts there costs nothing).
    pub fn changes(
        &mut self,
        key: &str,
        before: &[Rc<k8s::EndpointSlice>],
        after: Vec<Rc<k8s::EndpointSlice>>,
    ) -> (u64, u64) {
        if !self.services.contains_key(key) {
            self.services.insert(key.to_string(), Held::default());
        }
        let held = self.services.get_mut(key).expect("inserted");
        // The held counts, moved to `before`.
        {
            let (gone, new) = differing(&held.slices, before);
            let counts = &mut held.counts;
            for_each_delta(&gone, &new, |a, d| {
                if d < 0 {
                    let n = counts.get_mut(a).expect("held address counted");
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(a);
                    }
                } else {
                    match counts.get_mut(a) {
                        Some(n) => *n += 1,
                        None => {
                            counts.insert(a.into(), 1);
                        }
                    }
                }
            });
        }
        // `before` → `after`: only the addresses of the differing slices can change side.
        // The figures, and the counts moved on to `after` in the same pass.
        let (lost, gained) = differing(before, &after);
        // The occurrences first: a rewritten slice keeps most endpoints in place, so there
        // are usually a few, netted by a scan; many go through a hash map (sized once: grown
        // by doubling it rehashed every address of a new slice four times).
        let mut occ: Vec<(&str, i64)> = Vec::new();
        for_each_delta(&lost, &gained, |a, d| occ.push((a, d)));
        let delta: Vec<(&str, i64)> = if occ.len() <= OCCURRENCE_SCAN {
            // Netted in place: the first occurrence of each address keeps the sum.
            let mut n = 0;
            for k in 0..occ.len() {
                let (a, d) = occ[k];
                match occ[..n].iter_mut().find(|(b, _)| *b == a) {
                    Some((_, x)) => *x += d,
                    None => {
                        occ[n] = (a, d);
                        n += 1;
                    }
                }
            }
            occ.truncate(n);
            occ
        } else {
            let mut m: HashMap<&str, i64, Fast> =
                HashMap::with_capacity_and_hasher(occ.len().min(4096), Fast::default());
            for (a, d) in occ {
                *m.entry(a).or_default() += d;
            }
            m.into_iter().collect()
        };
        let (mut added, mut removed) = (0, 0);
        // Order-free: each address's net change is applied on its own and only counted.
        for (a, d) in delta {
            if d == 0 {
                continue;
            }
            let was = held.counts.get(a).copied().unwrap_or(0) as i64;
            let now = was + d;
            match (was, now) {
                (0, n) if n > 0 => added += 1,
                (w, 0) if w > 0 => removed += 1,
                _ => {}
            }
            if now <= 0 {
                held.counts.remove(a);
            } else if let Some(n) = held.counts.get_mut(a) {
                *n = now as u32;
            } else {
                held.counts.insert(a.into(), now as u32);
            }
        }
        drop((lost, gained));
        held.slices = after;
        (added, removed)
    }

    /// The Service is gone.
    pub fn delete_service(&mut self, key: &str) {
        self.services.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::collections::BTreeSet;

    /// Endpoint addresses (ready or not) over slices: the straightforward sets.
    fn slice_addresses<'a>(
        slices: impl Iterator<Item = &'a k8s::EndpointSlice>,
    ) -> BTreeSet<&'a str> {
        slices.flat_map(addresses).collect()
    }

    /// The straightforward figures: the sizes of the differences of the full address sets.
    fn full_set_differences(
        before: &[&k8s::EndpointSlice],
        after: &[&k8s::EndpointSlice],
    ) -> (u64, u64) {
        let (sb, sa) = (
            slice_addresses(before.iter().copied()),
            slice_addresses(after.iter().copied()),
        );
        (
            sa.difference(&sb).count() as u64,
            sb.difference(&sa).count() as u64,
        )
    }

    fn slice(name: &str, rv: u32, addrs: &[u8]) -> k8s::EndpointSlice {
        let eps: Vec<serde_json::Value> = addrs
            .iter()
            .map(|a| serde_json::json!({"addresses": [format!("10.0.0.{a}")]}))
            .collect();
        let rv = if rv == 0 {
            String::new()
        } else {
            rv.to_string()
        };
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "resourceVersion": rv},
            "addressType": "IPv4", "endpoints": eps
        }))
        .expect("slice")
    }

    /// One slice version: name index, version (0 = no resourceVersion), addresses. A
    /// universe of few names and versions so listings share, rewrite and repeat slices.
    fn version_strategy() -> impl Strategy<Value = (u8, u32)> {
        (0u8..5, 0u32..4)
    }

    /// Addresses of a version are a function of it (same name and resourceVersion = same
    /// object), except version 0, which carries its own.
    fn build(
        universe: &BTreeMap<(u8, u32), Vec<u8>>,
        v: (u8, u32),
        own: &[u8],
    ) -> Rc<k8s::EndpointSlice> {
        let addrs = if v.1 == 0 { own } else { &universe[&v] };
        Rc::new(slice(&format!("s{}", v.0), v.1, addrs))
    }

    type Listing = Vec<((u8, u32), Vec<u8>)>;

    fn listing() -> impl Strategy<Value = Listing> {
        prop::collection::vec(
            (version_strategy(), prop::collection::vec(0u8..10, 0..4)),
            0..6,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Over a sequence of syncs of one Service (each a listing before and the slices
        /// after; the held listing is whatever the previous sync listed), the counted
        /// figures equal the full set differences.
        #[test]
        fn counted_changes_equal_full_set_differences(
            lists in prop::collection::vec(prop::collection::vec(0u8..10, 0..5), 20),
            syncs in prop::collection::vec((listing(), listing(), any::<bool>()), 1..8),
        ) {
            let mut universe = BTreeMap::new();
            for (i, list) in lists.into_iter().enumerate() {
                universe.insert(((i / 4) as u8, (i % 4) as u32), list);
            }
            let mut counts = ListedAddresses::default();
            for (before, after, forget) in syncs {
                if forget {
                    counts.delete_service("ns/svc");
                }
                let before: Vec<Rc<k8s::EndpointSlice>> =
                    before.iter().map(|(v, own)| build(&universe, *v, own)).collect();
                let after: Vec<Rc<k8s::EndpointSlice>> =
                    after.iter().map(|(v, own)| build(&universe, *v, own)).collect();
                let b: Vec<&k8s::EndpointSlice> = before.iter().map(|s| &**s).collect();
                let a: Vec<&k8s::EndpointSlice> = after.iter().map(|s| &**s).collect();
                let want = full_set_differences(&b, &a);
                prop_assert_eq!(counts.changes("ns/svc", &before, after.clone()), want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// The scanned matching of two listings equals the table's, order included.
        #[test]
        fn scanned_differing_equals_mapped(
            lists in prop::collection::vec(prop::collection::vec(0u8..10, 0..5), 20),
            a in listing(),
            b in listing(),
        ) {
            let mut universe = BTreeMap::new();
            for (i, list) in lists.into_iter().enumerate() {
                universe.insert(((i / 4) as u8, (i % 4) as u32), list);
            }
            let a: Vec<Rc<k8s::EndpointSlice>> =
                a.iter().map(|(v, own)| build(&universe, *v, own)).collect();
            // Some slices of `b` are `a`'s very objects.
            let b: Vec<Rc<k8s::EndpointSlice>> = b
                .iter()
                .enumerate()
                .map(|(i, (v, own))| match a.get(i) {
                    Some(x) if own.len() == 1 => Rc::clone(x),
                    _ => build(&universe, *v, own),
                })
                .collect();
            let ptrs = |v: &[&Rc<k8s::EndpointSlice>]| -> Vec<*const k8s::EndpointSlice> {
                v.iter().map(|s| Rc::as_ptr(s)).collect()
            };
            let (sa, sb) = differing_scanned(&a, &b);
            let (ma, mb) = differing_mapped(&a, &b);
            prop_assert_eq!(ptrs(&sa), ptrs(&ma));
            prop_assert_eq!(ptrs(&sb), ptrs(&mb));
        }
    }

    /// The earlier randomized check (slices removed, added, rewritten with other addresses or
    /// kept, addresses moving between slices), each listing after a random held one.
    #[test]
    fn address_changes_equal_full_set_differences() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut counts = ListedAddresses::default();
        let mut previous: Vec<Rc<k8s::EndpointSlice>> = Vec::new();
        for round in 0..2000u32 {
            let n = rng.gen_range(0..6);
            let mut before = Vec::new();
            let mut after = Vec::new();
            for i in 0..n {
                let addrs: Vec<u8> = (0..rng.gen_range(0..5))
                    .map(|_| rng.gen_range(0..12))
                    .collect();
                let b = slice(&format!("s{i}"), 1_000 * round + i + 1, &addrs);
                match rng.gen_range(0..5) {
                    0 => before.push(Rc::new(b)),
                    1 => after.push(Rc::new(b)),
                    2 => {
                        let moved: Vec<u8> = (0..rng.gen_range(0..5))
                            .map(|_| rng.gen_range(0..12))
                            .collect();
                        after.push(Rc::new(slice(
                            &format!("s{i}"),
                            1_000 * round + 100 + i,
                            &moved,
                        )));
                        before.push(Rc::new(b));
                    }
                    _ => {
                        let b = Rc::new(b);
                        after.push(Rc::clone(&b));
                        before.push(b);
                    }
                }
            }
            // Half the time the next listing starts from what this sync wrote.
            if rng.gen_bool(0.5) {
                before.extend(previous.iter().take(2).cloned());
            }
            let b: Vec<&k8s::EndpointSlice> = before.iter().map(|s| &**s).collect();
            let a: Vec<&k8s::EndpointSlice> = after.iter().map(|s| &**s).collect();
            let want = full_set_differences(&b, &a);
            assert_eq!(counts.changes("ns/svc", &before, after.clone()), want);
            previous = after;
        }
    }
}
