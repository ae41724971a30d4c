//! Endpoints truncation to `maxCapacity` addresses (since Kubernetes 1.22).
//!
//! cite: kubernetes/kubernetes :: pkg/controller/endpoint/endpoints_controller.go ::
//! truncateEndpoints, addressSubset, capacityAnnotationSetCorrectly (1.32)
//!
//! Rule (reproduced on counts, so the caller applies it to its own subsets):
//! - count ready and not-ready addresses over all subsets (an address present in k subsets
//!   counts k times); at most `max` in total → nothing to do;
//! - otherwise, if ready > max: every subset keeps the FIRST
//!   `ceil(readyInSubset / totalReady * max)` ready addresses (float64 arithmetic, in this
//!   order), capped by what is left of the budget, and loses all not-ready addresses;
//! - else all ready addresses stay and the `max - totalReady` budget is spread over the
//!   not-ready addresses the same way;
//! - subsets are visited in their stored (hash-sorted) order, so ceil rounding makes later
//!   subsets absorb the shortfall.

/// Default `maxCapacity` of the Endpoints controller.
pub const MAX_CAPACITY: usize = 1000;

/// Annotation `endpoints.kubernetes.io/over-capacity` (core/v1 EndpointsOverCapacity).
pub const OVER_CAPACITY_ANNOTATION: &str = "endpoints.kubernetes.io/over-capacity";

/// Value written by truncation since 1.22.
pub const TRUNCATED: &str = "truncated";

/// Value written in 1.21, which annotated an over-capacity object without truncating it.
pub const WARNING: &str = "warning";

/// Per subset `(ready, not_ready)` counts in → `Some(kept counts)` when truncation applies,
/// `None` when the object is within `max` (or `max == 0`, i.e. truncation disabled).
pub fn truncation_plan(counts: &[(usize, usize)], max: usize) -> Option<Vec<(usize, usize)>> {
    if max == 0 {
        return None;
    }
    let total_ready: usize = counts.iter().map(|c| c.0).sum();
    let total_not_ready: usize = counts.iter().map(|c| c.1).sum();
    if total_ready + total_not_ready <= max {
        return None;
    }
    let truncate_ready = total_ready > max;
    let (budget, num_total) = if truncate_ready {
        (max, total_ready)
    } else {
        (max - total_ready, total_not_ready)
    };
    let mut can_be_added = budget;
    let mut out = Vec::with_capacity(counts.len());
    for &(ready, not_ready) in counts {
        let num_in_subset = if truncate_ready { ready } else { not_ready };
        // Same float64 operations as upstream: ceil((n / total) * max).
        let share = ((num_in_subset as f64 / num_total as f64) * budget as f64).ceil();
        let to_be_added = (share as usize).min(can_be_added);
        if truncate_ready {
            let kept = ready.min(to_be_added);
            can_be_added -= kept;
            out.push((kept, 0));
        } else {
            let kept = not_ready.min(to_be_added);
            can_be_added -= kept;
            out.push((ready, kept));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// truncateEndpoints: within capacity → untouched (no annotation).
    #[test]
    fn within_capacity_is_untouched() {
        assert_eq!(truncation_plan(&[(600, 400)], 1000), None);
        assert_eq!(truncation_plan(&[(5000, 0)], 0), None);
    }

    /// truncateEndpoints: ready > max → ready proportionally (ceil), not-ready all dropped.
    #[test]
    fn ready_over_capacity() {
        // 1050 ready in one subset (nochange-resync-1050): keep 1000.
        assert_eq!(truncation_plan(&[(1050, 7)], 1000), Some(vec![(1000, 0)]));
        // 3 subsets of 700/700/100: ceil(700/1500*1000)=467, 467, then ceil(66.67)=67 capped by 66.
        assert_eq!(
            truncation_plan(&[(700, 1), (700, 0), (100, 5)], 1000),
            Some(vec![(467, 0), (467, 0), (66, 0)])
        );
    }

    /// truncateEndpoints: ready ≤ max < total → keep ready, spread the rest over not-ready.
    #[test]
    fn not_ready_over_capacity() {
        // 900 ready, 300 not ready over two subsets: budget 100; ceil(200/300*100)=67, then 33.
        assert_eq!(
            truncation_plan(&[(450, 200), (450, 100)], 1000),
            Some(vec![(450, 67), (450, 33)])
        );
        // exactly max ready plus some not ready → all not-ready dropped
        assert_eq!(truncation_plan(&[(1000, 3)], 1000), Some(vec![(1000, 0)]));
    }
}
