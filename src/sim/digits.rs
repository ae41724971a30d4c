//! Decimal digits without the formatting machinery, for the few places that write numbers in
//! bulk (a client cache's `addr:port` keys, `syncs.csv`, the Endpoints controller's check of a
//! numeric resourceVersion): `Display` through `fmt` buffers and pads each number, which
//! showed in profiles there.

/// `n` in decimal (`Display`'s digits), written into the end of `buf`.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits are `Display`'s, at every length and at the extremes.
    #[test]
    fn decimal_is_display() {
        let mut buf = [0u8; 20];
        let mut n: u64 = 0;
        let mut values = vec![0, 9, 10, 99, 100, u64::MAX, u64::MAX / 10];
        for _ in 0..64 {
            n = n
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            values.push(n);
            values.push(n >> (n % 64));
        }
        for v in values {
            assert_eq!(decimal(v, &mut buf), v.to_string().as_bytes());
        }
    }
}
