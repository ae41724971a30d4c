//! A word-at-a-time hasher for the lookup-only hash maps keyed by names.
//!
//! FNV-1a takes one multiply per byte: a pod name of 25 bytes is
//! 25 dependent multiplies per lookup, and the manager hashes a pod's name, labels and
//! Services several times per pod event. This one folds 8 bytes per multiply (FxHash's step)
//! and mixes the result once (MurmurHash3's finaliser), so the low bits hashbrown indexes by
//! depend on every input bit.
//!
//! Like every hasher of a lookup-only map here, its values must never decide an output
//! order: the maps using it are only looked up, never iterated into an output.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// See the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct WordHasher(u64);

impl WordHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The tail's length in the top bits: "ab" and "ab\0" fold different words.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Lookup-only hash maps keyed by names (or ids) with [`WordHasher`].
pub type ByWord = BuildHasherDefault<WordHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash + ?Sized>(v: &T) -> u64 {
        ByWord::default().hash_one(v)
    }

    /// Names shaped like the run's (pods of 10,000 ReplicaSets, Services, label values) hash
    /// without a collision, in the full 64 bits and nearly so in the low 20 bits
    /// hashbrown indexes a table of a million by.
    #[test]
    fn run_shaped_names_spread() {
        let mut names = Vec::new();
        for i in 0..10_000 {
            names.push(format!("default/app-{i}"));
            for j in 0..15 {
                names.push(format!("app-{i}-5d8f9c7b4-{:05x}", i * 31 + j * 7919));
            }
        }
        let full: HashSet<u64> = names.iter().map(|n| h(n.as_str())).collect();
        assert_eq!(full.len(), names.len());
        let low: HashSet<u64> = names.iter().map(|n| h(n.as_str()) & 0xf_ffff).collect();
        // 160,000 keys into 2^20 slots: about 7 % meet an occupied one at random.
        assert!(low.len() > names.len() * 9 / 10, "{}", low.len());
    }

    proptest! {
        /// Equal keys hash equal; different short texts (a prefix, a trailing NUL) hash apart.
        #[test]
        fn equal_in_equal_out(a in ".{0,40}", b in ".{0,40}") {
            prop_assert_eq!(h(a.as_str()), h(a.clone().as_str()));
            if a != b {
                prop_assert_ne!(h(a.as_str()), h(b.as_str()));
            }
            let z = format!("{a}\0");
            prop_assert_ne!(h(a.as_str()), h(z.as_str()));
        }
    }
}
