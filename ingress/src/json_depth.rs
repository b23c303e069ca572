//! How deeply a JSON text nests, found in one pass over the bytes without building a value.

/// The deepest nesting a webhook body may have: Meta's and Stripe's payloads use under 10 levels,
/// and serde_json (used by the workers) gives up at 128.
pub const MAX_JSON_DEPTH: usize = 64;

/// Whether `raw` opens more than `max` arrays or objects inside each other. Brackets inside strings
/// (escapes included) do not count. The text is not validated: a malformed text gets some answer,
/// and the JSON parser that runs after this one refuses it.
pub fn exceeds(raw: &[u8], max: usize) -> bool {
    max_depth(raw, max) > max
}

/// The greatest nesting depth in `raw`, counting stopped as soon as it passes `stop_above`.
pub fn max_depth(raw: &[u8], stop_above: usize) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > deepest {
                    deepest = depth;
                    if deepest > stop_above {
                        return deepest;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'"' => skip_string(&mut bytes),
            _ => {}
        }
    }
    deepest
}

/// Moves past the rest of a string whose opening quote was just read. UTF-8 continuation bytes are
/// all >= 0x80, so they can never be taken for a quote or a backslash.
fn skip_string(bytes: &mut std::slice::Iter<'_, u8>) {
    while let Some(&b) = bytes.next() {
        match b {
            b'\\' => {
                bytes.next();
            }
            b'"' => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn nested(open: &str, close: &str, n: usize) -> Vec<u8> {
        format!("{}{}", open.repeat(n), close.repeat(n)).into_bytes()
    }

    #[test]
    fn counts_arrays_and_objects() {
        assert_eq!(max_depth(b"1", 100), 0);
        assert_eq!(max_depth(b"\"x\"", 100), 0);
        assert_eq!(max_depth(b"[]", 100), 1);
        assert_eq!(max_depth(br#"{"a":[1,{"b":[]}],"c":{}}"#, 100), 4);
        assert_eq!(max_depth(&nested("[", "]", 64), 100), 64);
        assert_eq!(max_depth(&nested("{\"k\":", "}", 65), 100), 65);
    }

    #[test]
    fn the_limit_is_inclusive() {
        assert!(!exceeds(&nested("[", "]", MAX_JSON_DEPTH), MAX_JSON_DEPTH));
        assert!(exceeds(
            &nested("[", "]", MAX_JSON_DEPTH + 1),
            MAX_JSON_DEPTH
        ));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let deep_string = format!(r#"{{"text":"{}"}}"#, "[{".repeat(1000));
        assert_eq!(max_depth(deep_string.as_bytes(), 100), 1);
        assert_eq!(max_depth(br#"["a\"[[[", "\\", ["b"]]"#, 100), 2);
        assert_eq!(max_depth(br#"["\\\"[", []]"#, 100), 2);
        assert_eq!(max_depth("[\"ü[ß\u{1F600}[\", [[]]]".as_bytes(), 100), 3);
    }

    #[test]
    fn stops_counting_early_and_survives_nonsense() {
        let huge = nested("[", "]", 1_000_000);
        assert_eq!(max_depth(&huge, 64), 65);
        assert_eq!(max_depth(b"]]]]}}}[", 100), 1);
        assert_eq!(max_depth(b"\"unterminated [[[", 100), 0);
        assert_eq!(max_depth(b"[\"ends in a backslash\\", 100), 1);
        assert_eq!(max_depth(&[0xff, b'[', 0xfe, b'{'], 100), 2);
    }

    /// The depth serde_json sees (a scalar is 0).
    fn value_depth(v: &Value) -> usize {
        match v {
            Value::Array(a) => 1 + a.iter().map(value_depth).max().unwrap_or(0),
            Value::Object(o) => 1 + o.values().map(value_depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            // Strings full of the characters the scanner must not be fooled by.
            "[\\[\\]{}\"\\\\a-zé😀 ]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(12, 64, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[\\[{\"\\\\a-z]{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_serde_json(v in json(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_vec_pretty(&v).unwrap()
            } else {
                serde_json::to_vec(&v).unwrap()
            };
            prop_assert_eq!(max_depth(&text, usize::MAX), value_depth(&v));
        }

        #[test]
        fn never_panics_and_never_counts_beyond_the_brackets(raw in prop::collection::vec(any::<u8>(), 0..512)) {
            let opens = raw.iter().filter(|&&b| b == b'[' || b == b'{').count();
            prop_assert!(max_depth(&raw, usize::MAX) <= opens);
        }
    }
}
