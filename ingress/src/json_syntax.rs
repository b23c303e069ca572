//! One pass over a body that accepts exactly the JSON texts serde_json accepts, nested at most N
//! deep — the ingress's per-request check, instead of a UTF-8 pass, a depth pass and a parse.

/// Whether `raw` is one JSON value (with surrounding whitespace) that serde_json would parse, whose
/// arrays and objects nest at most `max_depth` (at most 64) deep, in valid UTF-8. Nothing is built.
pub fn is_valid(raw: &[u8], max_depth: usize) -> bool {
    // Checked first (vectorised in std): bytes >= 0x80 are then only ever string contents.
    if std::str::from_utf8(raw).is_err() || max_depth > 64 {
        return false;
    }
    let mut s = Scanner { b: raw, i: 0 };
    // One bit per open container, 1 for an object; `depth` of them are in use.
    let mut objects: u64 = 0;
    let mut depth = 0usize;
    loop {
        // A value is due.
        s.whitespace();
        let opened = match s.peek() {
            Some(open @ (b'{' | b'[')) => {
                s.i += 1;
                depth += 1;
                if depth > max_depth {
                    return false;
                }
                objects = (objects << 1) | u64::from(open == b'{');
                s.whitespace();
                if s.peek() == Some(if open == b'{' { b'}' } else { b']' }) {
                    s.i += 1;
                    depth -= 1;
                    objects >>= 1;
                    false
                } else {
                    if open == b'{' && !s.key() {
                        return false;
                    }
                    true
                }
            }
            Some(b'"') => {
                s.i += 1;
                if !s.string() {
                    return false;
                }
                false
            }
            Some(b't') => {
                if !s.literal(b"true") {
                    return false;
                }
                false
            }
            Some(b'f') => {
                if !s.literal(b"false") {
                    return false;
                }
                false
            }
            Some(b'n') => {
                if !s.literal(b"null") {
                    return false;
                }
                false
            }
            Some(b'-' | b'0'..=b'9') => {
                if !s.number() {
                    return false;
                }
                false
            }
            _ => return false,
        };
        if opened {
            continue;
        }
        // A value ended: close containers until a comma asks for the next value.
        loop {
            s.whitespace();
            if depth == 0 {
                return s.i == s.b.len();
            }
            let in_object = objects & 1 == 1;
            match s.peek() {
                Some(b',') => {
                    s.i += 1;
                    if in_object && !s.key() {
                        return false;
                    }
                    break;
                }
                Some(b'}') if in_object => {}
                Some(b']') if !in_object => {}
                _ => return false,
            }
            s.i += 1;
            depth -= 1;
            objects >>= 1;
        }
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// An object key and its colon: `"…"` then `:`, whitespace around.
    fn key(&mut self) -> bool {
        self.whitespace();
        if self.peek() != Some(b'"') {
            return false;
        }
        self.i += 1;
        if !self.string() {
            return false;
        }
        self.whitespace();
        if self.peek() != Some(b':') {
            return false;
        }
        self.i += 1;
        true
    }

    /// Moves to the next byte that is a quote, a backslash or a control character, eight bytes at
    /// a time (the bit trick serde_json's own scanner uses).
    fn skip_plain(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES << 7;
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            let quote = x ^ (ONES * u64::from(b'"'));
            let backslash = x ^ (ONES * u64::from(b'\\'));
            let found = ((x.wrapping_sub(ONES * 0x20) & !x)
                | (quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash))
                & HIGH;
            if found != 0 {
                // The lowest flagged byte is exact (little-endian: the first in the text).
                self.i += (found.trailing_zeros() / 8) as usize;
                return;
            }
            self.i += 8;
        }
    }

    /// The rest of a string after its opening quote: no control characters, only JSON's escapes
    /// (`\u` with four hex digits; like serde_json, surrogates are not paired up here).
    fn string(&mut self) -> bool {
        loop {
            self.skip_plain();
            let Some(c) = self.peek() else { return false };
            self.i += 1;
            match c {
                b'"' => return true,
                b'\\' => match self.peek() {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                    Some(b'u') => {
                        let hex = self.b.get(self.i + 1..self.i + 5);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return false;
                        }
                        self.i += 5;
                    }
                    _ => return false,
                },
                0x00..=0x1f => return false,
                _ => {}
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - from
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> bool {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return false;
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return false,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return false;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::json_depth;
    use proptest::prelude::*;

    /// What the ingress accepted before this pass existed: UTF-8, then depth, then serde_json.
    fn reference(raw: &[u8], max: usize) -> bool {
        std::str::from_utf8(raw).is_ok()
            && !json_depth::exceeds(raw, max)
            && serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok()
    }

    #[test]
    fn agrees_on_the_edges() {
        let cases: &[&[u8]] = &[
            b"",
            b" ",
            b"1",
            b"-",
            b"-0",
            b"01",
            b"1.",
            b".5",
            b"1e",
            b"1e+",
            b"1E-7",
            b"-0.0e0",
            b"true",
            b"tru",
            b"truex",
            b"nul",
            b"null ",
            b" \t\r\nnull\n",
            b"\"\"",
            b"\"a",
            b"\"\\u12\"",
            b"\"\\u12g4\"",
            b"\"\\uD800\"",
            b"\"\\x\"",
            b"\"\\/\"",
            b"\"\x01\"",
            b"\"\x7f\"",
            b"[]",
            b"[ ]",
            b"[1,]",
            b"[,1]",
            b"[1 2]",
            b"[1,2]",
            b"{}",
            b"{ }",
            b"{\"a\":1}",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{1:1}",
            b"{\"a\":}",
            b"{\"a\"}",
            b"[{\"a\":[{}]}]",
            b"[1]]",
            b"[[1]",
            b"{}{}",
            b"1 2",
            b"[\"\xc3\xa9\"]",
            b"[\"\xff\"]",
            b"{\"a\":[1,{\"b\":null}],\"c\":\"\\\"\"}",
            b"[-]",
            b"[-1.5e3, 0]",
        ];
        for c in cases {
            assert_eq!(
                is_valid(c, 64),
                reference(c, 64),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
        let deep = |n| format!("{}1{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(is_valid(&deep(64), 64));
        assert!(!is_valid(&deep(65), 64));
        assert!(!is_valid(&deep(3), 2));
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[\\[\\]{}\"\\\\a-zé😀 \u{1}\t\n:,]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(8, 48, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"\\\\]{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn accepts_what_serde_json_writes(v in json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_vec_pretty(&v).unwrap() } else { serde_json::to_vec(&v).unwrap() };
            prop_assert!(is_valid(&text, 64));
        }

        /// Broken by one edit — a byte changed, removed or inserted, or the text cut — the answer
        /// is still exactly the reference's.
        #[test]
        fn agrees_with_the_reference_on_near_misses(
            v in json(),
            at in any::<prop::sample::Index>(),
            edit in 0u8..4,
            byte in prop::sample::select(b"{}[]\",:\\ 0123456789.eE+-tfnulrs\x00\x1f\x80\xff".to_vec()),
            max in 1usize..=64,
        ) {
            let mut text = serde_json::to_vec(&v).unwrap();
            let i = at.index(text.len() + 1);
            match edit {
                0 if i < text.len() => text[i] = byte,
                1 if i < text.len() => { text.remove(i); }
                2 => text.insert(i, byte),
                _ => text.truncate(i),
            }
            prop_assert_eq!(is_valid(&text, max), reference(&text, max), "{:?}", String::from_utf8_lossy(&text));
        }

        #[test]
        fn agrees_with_the_reference_on_noise(raw in prop::collection::vec(prop::sample::select(b"{}[]\",:\\ 019.e-tnul\x01\xc3\xa9".to_vec()), 0..40)) {
            prop_assert_eq!(is_valid(&raw, 64), reference(&raw, 64), "{:?}", String::from_utf8_lossy(&raw));
        }
    }
}
