//! Go `encoding/json` compatible output.
//!
//! Go's `json.Marshal` (which the apimachinery JSON serializer uses, v0.32.13) writes compact JSON
//! in struct field order and, unlike serde_json, escapes `<`, `>`, `&` as `\u003c`, `\u003e`,
//! `\u0026` and U+2028/U+2029 as `\u2028`/`\u2029` (HTML-safe escaping is on by default). The same
//! escaping is applied to the output of `json.Marshaler`s such as `FieldsV1` (Go re-compacts it
//! with HTML escaping), which is what [`GoFormatter::write_raw_fragment`] does. Control characters
//! use the same short forms (`\b \f \n \r \t`) and lower-case `\u00XX` in both (Go >= 1.22).

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// A compact formatter that escapes like Go's `encoding/json`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoFormatter;

/// Writes `s` (already free of characters serde_json escapes itself) with Go's extra escapes.
fn write_go_escaped<W: ?Sized + io::Write>(w: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (esc, len): (&[u8], usize) = match b {
            b'<' => (b"\\u003c", 1),
            b'>' => (b"\\u003e", 1),
            b'&' => (b"\\u0026", 1),
            // U+2028 = E2 80 A8, U+2029 = E2 80 A9
            0xE2 if i + 2 < bytes.len() && bytes[i + 1] == 0x80 && bytes[i + 2] == 0xA8 => {
                (b"\\u2028", 3)
            }
            0xE2 if i + 2 < bytes.len() && bytes[i + 1] == 0x80 && bytes[i + 2] == 0xA9 => {
                (b"\\u2029", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        w.write_all(&bytes[start..i])?;
        w.write_all(esc)?;
        i += len;
        start = i;
    }
    w.write_all(&bytes[start..])
}

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_go_escaped(writer, fragment)
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Inside valid JSON these characters can only occur within strings, where the escape is
        // equivalent; Go's compact() rewrites them the same way.
        write_go_escaped(writer, fragment)
    }
}

// CompactFormatter's defaults are what every other method needs; make that explicit.
const _: CompactFormatter = CompactFormatter;

/// Serializes `value` exactly like Go's `json.Marshal` (compact, Go escaping).
pub fn to_vec_go<T: ?Sized + Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_go(&mut out, value);
    out
}

/// Appends the Go-style JSON of `value` to `out`.
pub fn write_go<T: ?Sized + Serialize>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, GoFormatter);
    // Our types only contain strings, integers, bools, maps with string keys and raw JSON, and
    // writing into a Vec cannot fail, so serialization cannot fail.
    if let Err(e) = value.serialize(&mut ser) {
        unreachable!("serializing a k8s object to JSON failed: {e}");
    }
}

/// Length of [`to_vec_go`] without keeping the bytes.
pub fn len_go<T: ?Sized + Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    let mut ser = serde_json::Serializer::with_formatter(&mut c, GoFormatter);
    if let Err(e) = value.serialize(&mut ser) {
        unreachable!("serializing a k8s object to JSON failed: {e}");
    }
    c.0
}

/// Whether `a` and `b` encode to the same bytes ([`to_vec_go`] of both, compared): `a` is
/// encoded into a reused buffer and `b` is compared with it as it is written, stopping at the
/// first difference (the store's no-op test encodes only where structural equality cannot
/// answer, and those parts usually differ early).
pub fn eq_go<A: ?Sized + Serialize, B: ?Sized + Serialize>(a: &A, b: &B) -> bool {
    /// Compares what is written with `want[at..]`; an error at the first difference.
    struct Cmp<'a> {
        want: &'a [u8],
        at: usize,
    }
    impl io::Write for Cmp<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let end = self.at + buf.len();
            if end > self.want.len() || self.want[self.at..end] != *buf {
                return Err(io::Error::other("differs"));
            }
            self.at = end;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        // A nested call (none today) gets its own buffer rather than a borrow panic.
        let mut own = Vec::new();
        let mut guard = buf.try_borrow_mut().ok();
        let want = guard.as_deref_mut().unwrap_or(&mut own);
        want.clear();
        write_go(want, a);
        let mut c = Cmp { want, at: 0 };
        let mut ser = serde_json::Serializer::with_formatter(&mut c, GoFormatter);
        b.serialize(&mut ser).is_ok() && c.at == c.want.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go encoding/json HTMLEscape: `<>&` and U+2028/U+2029 are escaped (encode.go appendString).
    #[test]
    fn go_html_escaping() {
        let s = "a<b>&c\u{2028}d\u{2029}e\u{e9}";
        assert_eq!(
            String::from_utf8(to_vec_go(&s)).unwrap(),
            r#""a\u003cb\u003e\u0026c\u2028d\u2029e\u{e9}""#.replace("\\u{e9}", "\u{e9}")
        );
    }

    /// Control characters: short escapes for \b \f \n \r \t, \u00XX (lower case) otherwise.
    #[test]
    fn go_control_escaping() {
        let s = "\u{8}\u{c}\n\r\t\u{1}\u{1f}\"\\/";
        assert_eq!(
            String::from_utf8(to_vec_go(&s)).unwrap(),
            "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\\"\\\\/\""
        );
    }

    /// Raw JSON (FieldsV1) is re-escaped too, as Go's compact(..., escapeHTML=true) does.
    #[test]
    fn raw_value_escaped() {
        let raw = serde_json::value::RawValue::from_string(r#"{"f:a<b":{}}"#.to_string()).unwrap();
        assert_eq!(to_vec_go(&raw), br#"{"f:a\u003cb":{}}"#.to_vec());
        assert_eq!(len_go(&raw), 17);
    }

    /// `eq_go` is byte equality of the two encodings (prefixes, equal and different values).
    #[test]
    fn eq_go_is_encoded_equality() {
        let vals = ["", "a", "ab", "a<", "a\\u003c", "b"];
        for a in vals {
            for b in vals {
                assert_eq!(eq_go(a, b), to_vec_go(a) == to_vec_go(b), "{a:?} {b:?}");
            }
        }
        assert!(eq_go(&Some(1), &1));
        assert!(!eq_go(&vec![1, 2], &vec![1]));
        assert!(!eq_go(&vec![1], &vec![1, 2]));
    }
}
