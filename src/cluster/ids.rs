//! Object identities: UIDs, generated name suffixes, `pod-template-hash`.

use rand::Rng;

/// Alphabet of apimachinery `util/rand` (no vowels, no look-alikes): used by `generateName`
/// suffixes and `SafeEncodeString`.
/// cite: kubernetes/apimachinery :: pkg/util/rand/rand.go :: alphanums, String, SafeEncodeString
pub const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A random version-4 UUID in the 36-character text form (`8-4-4-4-12`, lower-case hex),
/// drawn from a seeded stream (real UIDs come from `uuid.NewUUID`, random v4 too).
pub fn uid_v4<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut b: [u8; 16] = rng.gen();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    crate::k8s::meta::uuid_text(&b)
}

/// `generateName` suffix: 5 characters of [`ALPHANUMS`] (apiserver SimpleNameGenerator,
/// randomLength = 5). cite: kubernetes/apiserver :: pkg/storage/names/generate.go
pub fn name_suffix<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..5)
        .map(|_| ALPHANUMS[rng.gen_range(0..ALPHANUMS.len())] as char)
        .collect()
}

/// `rand.SafeEncodeString`: each byte mapped to `ALPHANUMS[b % 27]`.
pub fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char)
        .collect()
}

/// FNV-1a, 32 bit.
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `pod-template-hash` in the shape Kubernetes produces: `SafeEncodeString` of the decimal
/// FNV-32a value. Upstream hashes a spew dump of the whole PodTemplateSpec (plus the collision
/// count), which slicesim does not materialise; here the hash is over a canonical description
/// of the template (`canonical`), so values have the real format but not the real digits.
/// cite: kubernetes/kubernetes :: pkg/controller/controller_utils.go :: ComputeHash
pub fn pod_template_hash(canonical: &str) -> String {
    safe_encode(&fnv32a(canonical.as_bytes()).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uid_is_36_char_v4() {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let u = uid_v4(&mut r);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(u.matches('-').count(), 4);
    }

    #[test]
    fn suffix_and_hash_use_the_safe_alphabet() {
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        let s = name_suffix(&mut r);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|b| ALPHANUMS.contains(&b)));
        // FNV-1a test vector: "a" → 0xe40c292c
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        let h = pod_template_hash("web/v1");
        assert!((1..=10).contains(&h.len()));
        assert!(h.bytes().all(|b| ALPHANUMS.contains(&b)));
        // digits '0'..'9' (48..57) map to ALPHANUMS[21..27] ∪ [0..3]
        assert_eq!(safe_encode("0123"), "4567");
    }
}
