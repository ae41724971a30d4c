//! A Fenwick (binary indexed) tree of counts: the prefix sums behind a uniform pick among
//! many groups of items (the churn's pick of a pod among every ReplicaSet's active pods) in
//! O(log groups) per change and per pick instead of a walk of every group.

/// Counts of groups `0..len()`, with prefix sums and "which group holds item `i`" in
/// O(log len). Groups are appended at the end ([`Fenwick::push`]), never removed.
#[derive(Debug, Clone, Default)]
pub struct Fenwick {
    /// 1-based: `tree[k - 1]` sums the counts of groups `(k - lowbit(k), k]` (1-based).
    tree: Vec<u64>,
    total: u64,
}

impl Fenwick {
    /// Number of groups.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// Sum of every group's count.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Sum of the counts of groups `0..n`.
    pub fn prefix(&self, n: usize) -> u64 {
        let mut k = n.min(self.tree.len());
        let mut sum = 0;
        while k > 0 {
            sum += self.tree[k - 1];
            k &= k - 1;
        }
        sum
    }

    /// Append a group with count `v`.
    pub fn push(&mut self, v: u64) {
        let k = self.tree.len() + 1;
        let low = k & k.wrapping_neg();
        // The new node covers groups (k - low, k]: the ones before k it covers plus `v`.
        let covered = self.prefix(k - 1) - self.prefix(k - low);
        self.tree.push(covered + v);
        self.total += v;
    }

    /// Add `delta` to group `g`'s count (the count must stay ≥ 0).
    pub fn add(&mut self, g: usize, delta: i64) {
        let mut k = g + 1;
        while k <= self.tree.len() {
            self.tree[k - 1] = self.tree[k - 1].wrapping_add_signed(delta);
            k += k & k.wrapping_neg();
        }
        self.total = self.total.wrapping_add_signed(delta);
    }

    /// The group holding item `i` when items are numbered group by group (group 0's first,
    /// then group 1's, …), and `i`'s offset in it: what a walk subtracting each group's count
    /// from `i` until it fits finds. None when `i >= total()`.
    pub fn find(&self, i: u64) -> Option<(usize, u64)> {
        if i >= self.total {
            return None;
        }
        let n = self.tree.len();
        let mut pos = 0;
        let mut rem = i;
        let mut step = if n == 0 {
            0
        } else {
            1 << (usize::BITS - 1 - n.leading_zeros())
        };
        while step > 0 {
            let next = pos + step;
            if next <= n && self.tree[next - 1] <= rem {
                pos = next;
                rem -= self.tree[next - 1];
            }
            step >>= 1;
        }
        Some((pos, rem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_walks_like_a_scan() {
        let counts = [0u64, 3, 0, 0, 1, 5, 0, 2, 0];
        let mut f = Fenwick::default();
        for &c in &counts {
            f.push(c);
        }
        assert_eq!(f.total(), 11);
        let mut i = 0;
        for (g, &c) in counts.iter().enumerate() {
            for off in 0..c {
                assert_eq!(f.find(i), Some((g, off)));
                i += 1;
            }
        }
        assert_eq!(f.find(11), None);
    }
}
