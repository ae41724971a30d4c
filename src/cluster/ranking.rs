//! ReplicaSet scale-down victim order (controller_utils.go `ActivePodsWithRanks.Less`).
//!
//! Rules, applied in turn (a pod "less" than another is deleted first):
//! 1. unassigned (no nodeName) before assigned;
//! 2. phase Pending < Unknown < Running;
//! 3. not Ready before Ready;
//! 4. lower `controller.kubernetes.io/pod-deletion-cost` first — every simulated pod has cost 0;
//! 5. higher rank first (rank = active pods of the same Deployment on the same node);
//! 6. both Ready: more recently Ready first, compared in log2 buckets of the time since Ready
//!    (LogarithmicScaleDown, GA); same bucket → lower UID first;
//! 7. more container restarts first — simulated pods never restart (0);
//! 8. newer creationTimestamp first, log2 buckets again, same bucket → lower UID first.
//!
//! Pods equal under all rules keep a documented deterministic order (by name) instead of
//! upstream's lister (map) order. Timestamps are compared at second precision, as the
//! controller sees them (`metav1.Time` is serialized in whole seconds).
//!
//! cite: kubernetes/kubernetes :: pkg/controller/controller_utils.go :: ActivePodsWithRanks.Less,
//! logarithmicRankDiff, afterOrZero, podReadyTime; pkg/controller/replicaset/replica_set.go ::
//! getPodsToDelete, getPodsRankedByRelatedPodsOnSameNode (v1.31+)

use crate::scenario::{Nanos, NS_PER_SEC};
use std::cmp::Ordering;

/// What the ranking looks at for one candidate pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub assigned: bool,
    /// 0 Pending, 1 Unknown, 2 Running (`podPhaseToOrdinal`).
    pub phase_ordinal: u8,
    pub ready: bool,
    /// Ready condition lastTransitionTime (only used when ready).
    pub ready_since_ns: Nanos,
    pub rank: u32,
    pub created_ns: Nanos,
    pub uid: &'a str,
    pub name: &'a str,
}

/// `logarithmicRankDiff(t1, t2, now)` with second-precision timestamps.
fn log_rank(t: Nanos, now: Nanos) -> i64 {
    let d = (now / NS_PER_SEC).saturating_sub(t / NS_PER_SEC) * NS_PER_SEC;
    if d == 0 {
        -1
    } else {
        // floor(log2(d)) for d > 0, exactly as int64(math.Log2(float64(d)))
        63 - i64::from(d.leading_zeros())
    }
}

/// Compare two timestamps the LogarithmicScaleDown way: `Less` when `a` is newer.
fn newer_first(a: Nanos, b: Nanos, ua: &str, ub: &str, now: Nanos) -> Option<Ordering> {
    if a / NS_PER_SEC == b / NS_PER_SEC {
        return None;
    }
    let diff = log_rank(a, now) - log_rank(b, now);
    Some(if diff == 0 {
        ua.cmp(ub)
    } else if diff < 0 {
        Ordering::Less
    } else {
        Ordering::Greater
    })
}

/// `Less` of ActivePodsWithRanks as an `Ordering` (`Less` = delete `a` before `b`), with the
/// name as the final tie-breaker.
pub fn compare(a: &Candidate, b: &Candidate, now: Nanos) -> Ordering {
    // 1.
    if a.assigned != b.assigned {
        return if !a.assigned {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 2.
    if a.phase_ordinal != b.phase_ordinal {
        return a.phase_ordinal.cmp(&b.phase_ordinal);
    }
    // 3.
    if a.ready != b.ready {
        return if !a.ready {
            Ordering::Less
        } else {
            Ordering::Greater
        };
    }
    // 4. deletion cost: always equal (0).
    // 5.
    if a.rank != b.rank {
        return b.rank.cmp(&a.rank);
    }
    // 6.
    if a.ready && b.ready {
        if let Some(o) = newer_first(a.ready_since_ns, b.ready_since_ns, a.uid, b.uid, now) {
            return o;
        }
    }
    // 7. restarts: always equal (0).
    // 8.
    if let Some(o) = newer_first(a.created_ns, b.created_ns, a.uid, b.uid, now) {
        return o;
    }
    a.name.cmp(b.name)
}

/// Stable merge sort that never panics, whatever the comparator does (the log-bucket rules are
/// not guaranteed to be a total order, and `slice::sort_by` may panic on such comparators).
pub fn merge_sort_by<T: Clone>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut src = v.clone();
    let mut dst = v.clone();
    let mut width = 1;
    while width < n {
        let mut i = 0;
        while i < n {
            let mid = (i + width).min(n);
            let end = (i + 2 * width).min(n);
            let (mut l, mut r, mut k) = (i, mid, i);
            while l < mid && r < end {
                if cmp(&src[r], &src[l]) == Ordering::Less {
                    dst[k] = src[r].clone();
                    r += 1;
                } else {
                    dst[k] = src[l].clone();
                    l += 1;
                }
                k += 1;
            }
            while l < mid {
                dst[k] = src[l].clone();
                l += 1;
                k += 1;
            }
            while r < end {
                dst[k] = src[r].clone();
                r += 1;
                k += 1;
            }
            i = end;
        }
        std::mem::swap(&mut src, &mut dst);
        width *= 2;
    }
    *v = src;
}

/// The first `k` items in victim order (the `k` pods a ReplicaSet deletes). For small `k`
/// a single pass keeps the best `k` (O(n·k)); otherwise a full stable sort.
pub fn select_first<T: Clone>(
    items: Vec<T>,
    k: usize,
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) -> Vec<T> {
    if k == 0 {
        return Vec::new();
    }
    if k >= items.len() || k > 32 {
        let mut v = items;
        merge_sort_by(&mut v, &mut cmp);
        v.truncate(k);
        return v;
    }
    let mut best: Vec<T> = Vec::with_capacity(k + 1);
    for it in items {
        if best.len() == k && cmp(&it, &best[k - 1]) != Ordering::Less {
            continue;
        }
        // insert after every element not greater than it (stable)
        let mut pos = best.len();
        while pos > 0 && cmp(&it, &best[pos - 1]) == Ordering::Less {
            pos -= 1;
        }
        best.insert(pos, it);
        best.truncate(k);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<'a>(name: &'a str, uid: &'a str) -> Candidate<'a> {
        Candidate {
            assigned: true,
            phase_ordinal: 2,
            ready: true,
            ready_since_ns: 10 * NS_PER_SEC,
            rank: 1,
            created_ns: 5 * NS_PER_SEC,
            uid,
            name,
        }
    }

    fn order(mut v: Vec<Candidate>, now: Nanos) -> Vec<String> {
        merge_sort_by(&mut v, |a, b| compare(a, b, now));
        v.iter().map(|p| p.name.to_string()).collect()
    }

    /// ActivePodsWithRanks rules 1–3: unassigned, then Pending < Unknown < Running, then not Ready.
    #[test]
    fn unassigned_pending_notready_go_first() {
        let now = 1000 * NS_PER_SEC;
        let running = c("running", "u1");
        let not_ready = Candidate {
            ready: false,
            ..c("notready", "u2")
        };
        let pending = Candidate {
            phase_ordinal: 0,
            ready: false,
            ..c("pending", "u3")
        };
        let unknown = Candidate {
            phase_ordinal: 1,
            ..c("unknown", "u4")
        };
        let unassigned = Candidate {
            assigned: false,
            phase_ordinal: 0,
            ready: false,
            ..c("unassigned", "u5")
        };
        assert_eq!(
            order(vec![running, not_ready, pending, unknown, unassigned], now),
            vec!["unassigned", "pending", "unknown", "notready", "running"]
        );
    }

    /// Rule 5: more co-located pods (higher rank) first, before any time rule.
    #[test]
    fn doubled_up_pods_first() {
        let now = 1000 * NS_PER_SEC;
        let a = Candidate {
            rank: 1,
            ready_since_ns: 999 * NS_PER_SEC,
            ..c("a", "1")
        };
        let b = Candidate {
            rank: 3,
            ready_since_ns: 1,
            ..c("b", "2")
        };
        assert_eq!(order(vec![a, b], now), vec!["b", "a"]);
    }

    /// Rule 6 with LogarithmicScaleDown: newer Ready first across buckets; inside one log2
    /// bucket the lower UID goes first, not the newer pod.
    #[test]
    fn ready_time_in_log_buckets() {
        let now = 1000 * NS_PER_SEC;
        // 900 s vs 100 s ago: different buckets → the more recently ready first
        let old = Candidate {
            ready_since_ns: 100 * NS_PER_SEC,
            ..c("old", "a")
        };
        let new = Candidate {
            ready_since_ns: 900 * NS_PER_SEC,
            ..c("new", "b")
        };
        assert_eq!(
            order(vec![old.clone(), new.clone()], now),
            vec!["new", "old"]
        );
        // 40 s vs 35 s ago: log2(40e9) = 35.2, log2(35e9) = 35.0 → same bucket → UID order
        let x = Candidate {
            ready_since_ns: 960 * NS_PER_SEC,
            ..c("x", "zzz")
        };
        let y = Candidate {
            ready_since_ns: 965 * NS_PER_SEC,
            ..c("y", "aaa")
        };
        assert_eq!(order(vec![x, y], now), vec!["y", "x"]);
        let x = Candidate {
            ready_since_ns: 960 * NS_PER_SEC,
            ..c("x", "aaa")
        };
        let y = Candidate {
            ready_since_ns: 965 * NS_PER_SEC,
            ..c("y", "zzz")
        };
        assert_eq!(order(vec![x, y], now), vec!["x", "y"]);
    }

    /// Rule 8: creation time, newer first.
    #[test]
    fn newer_created_first_when_everything_else_ties() {
        let now = 10_000 * NS_PER_SEC;
        let a = Candidate {
            created_ns: 10 * NS_PER_SEC,
            ..c("a", "1")
        };
        let b = Candidate {
            created_ns: 5000 * NS_PER_SEC,
            ..c("b", "2")
        };
        assert_eq!(order(vec![a, b], now), vec!["b", "a"]);
    }

    #[test]
    fn select_first_equals_sorted_prefix() {
        let now = 1000 * NS_PER_SEC;
        let names: Vec<String> = (0..60).map(|i| format!("p{i:02}")).collect();
        let uids: Vec<String> = (0..60)
            .map(|i| format!("{:08x}", (i * 7919) % 97))
            .collect();
        let cands: Vec<Candidate> = (0..60)
            .map(|i| Candidate {
                ready: i % 3 != 0,
                rank: (i % 4) as u32,
                ready_since_ns: (i as u64 * 13 % 900) * NS_PER_SEC,
                created_ns: (i as u64 * 7 % 500) * NS_PER_SEC,
                ..c(&names[i], &uids[i])
            })
            .collect();
        let mut sorted = cands.clone();
        merge_sort_by(&mut sorted, |a, b| compare(a, b, now));
        for k in [1, 5, 32, 33, 60, 70] {
            let got = select_first(cands.clone(), k, |a, b| compare(a, b, now));
            let want: Vec<_> = sorted.iter().take(k).cloned().collect();
            assert_eq!(got, want, "k = {k}");
        }
    }
}
