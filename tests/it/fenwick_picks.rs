//! `sim::fenwick::Fenwick` (the churn's pick among every ReplicaSet's active pods) against
//! the walk it replaces: for random groups appended and counts changed, `find(i)` is the
//! group and offset a walk subtracting each group's count finds, for every item, and the
//! prefix sums and total are the plain sums.

use proptest::prelude::*;
use slicesim::sim::fenwick::Fenwick;

fn walk(counts: &[u64], mut i: u64) -> Option<(usize, u64)> {
    for (g, &n) in counts.iter().enumerate() {
        if i < n {
            return Some((g, i));
        }
        i -= n;
    }
    None
}

#[derive(Debug, Clone)]
enum Op {
    Push(u64),
    Add(usize, i64),
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn find_and_sums_equal_the_walk(ops in proptest::collection::vec(
        prop_oneof![
            2 => (0u64..6).prop_map(Op::Push),
            3 => (0usize..64, -3i64..4).prop_map(|(g, d)| Op::Add(g, d)),
        ],
        1..120,
    )) {
        let mut f = Fenwick::default();
        let mut counts: Vec<u64> = Vec::new();
        for o in ops {
            match o {
                Op::Push(v) => {
                    f.push(v);
                    counts.push(v);
                }
                Op::Add(g, d) => {
                    if counts.is_empty() {
                        continue;
                    }
                    let g = g % counts.len();
                    // Counts stay non-negative, as a ReplicaSet's active pods do.
                    let d = d.max(-(counts[g] as i64));
                    f.add(g, d);
                    counts[g] = (counts[g] as i64 + d) as u64;
                }
            }
            prop_assert_eq!(f.len(), counts.len());
            let total: u64 = counts.iter().sum();
            prop_assert_eq!(f.total(), total);
            for n in 0..=counts.len() {
                prop_assert_eq!(f.prefix(n), counts[..n].iter().sum::<u64>());
            }
            for i in 0..=total {
                prop_assert_eq!(f.find(i), walk(&counts, i));
            }
        }
    }
}
