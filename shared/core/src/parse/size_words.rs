//! Sizes clients describe in words ("palm sized", "half sleeve", "A4") and the centimetres we assume.
//!
//! | words | width × height cm |
//! |---|---|
//! | full back, back piece, whole back | 45 × 60 |
//! | half back, upper back, lower back | 40 × 30 |
//! | leg sleeve | 40 × 90 |
//! | full sleeve, sleeve | 30 × 75 |
//! | half sleeve | 30 × 35 |
//! | quarter sleeve | 25 × 20 |
//! | forearm sleeve, full forearm | 25 × 30 |
//! | chest piece, full chest | 35 × 25 |
//! | rib piece, side piece, ribs | 20 × 35 |
//! | thigh piece, thigh | 20 × 30 |
//! | calf piece, calf, shin | 15 × 25 |
//! | forearm | 10 × 20 |
//! | A3 / A4 / A5 / A6 | 29.7 × 42 / 21 × 29.7 / 14.8 × 21 / 10.5 × 14.8 |
//! | hand sized, size of my hand | 10 × 18 |
//! | postcard | 10 × 15 |
//! | phone sized | 7 × 15 |
//! | fist sized | 9 × 10 |
//! | palm sized, size of my palm | 8 × 10 |
//! | credit card, bank card | 8.5 × 5.4 |
//! | matchbox | 5 × 4 |
//! | coin, fingernail, stamp sized | 3 × 3 |
//! | finger | 2 × 6 |
//! | tiny, very small, micro | 3 × 3 |
//! | small | 5 × 5 |
//! | medium | 10 × 10 |
//! | large, big | 20 × 20 |

use regex::Regex;
use std::sync::LazyLock;

/// Phrases (regex over folded text, hyphens read as spaces) and their size, most specific first.
const SIZE_WORDS: &[(&str, f64, f64)] = &[
    (
        r"\b(?:full|whole|entire) back\b|\bback ?piece\b",
        45.0,
        60.0,
    ),
    (r"\b(?:half|upper|lower) back\b", 40.0, 30.0),
    (r"\bleg sleeve\b", 40.0, 90.0),
    (r"\bhalf sleeve\b", 30.0, 35.0),
    (r"\bquarter sleeve\b", 25.0, 20.0),
    (r"\bforearm sleeve\b|\b(?:full|whole) forearm\b", 25.0, 30.0),
    (r"\b(?:full )?sleeve\b", 30.0, 75.0),
    (r"\bchest ?piece\b|\b(?:full|whole) chest\b", 35.0, 25.0),
    (r"\b(?:rib|side) ?piece\b|\bribs\b", 20.0, 35.0),
    (r"\bthigh(?: ?piece)?\b", 20.0, 30.0),
    (r"\b(?:calf|shin)(?: ?piece)?\b", 15.0, 25.0),
    (r"\bforearm\b", 10.0, 20.0),
    (r"\ba3\b", 29.7, 42.0),
    (r"\ba4\b", 21.0, 29.7),
    (r"\ba5\b", 14.8, 21.0),
    (r"\ba6\b", 10.5, 14.8),
    (
        r"\bhand ?siz(?:e|ed)\b|\bsize of (?:a |my |your |the |an )?(?:adult )?hand\b|\b(?:whole|full) hand\b",
        10.0,
        18.0,
    ),
    (r"\bpost ?card\b", 10.0, 15.0),
    (
        r"\b(?:phone|iphone) ?siz(?:e|ed)\b|\bsize of (?:a |my |your |an )?(?:i)?phone\b",
        7.0,
        15.0,
    ),
    (
        r"\bfist ?siz(?:e|ed)\b|\bsize of (?:a |my |your )?fist\b",
        9.0,
        10.0,
    ),
    (
        r"\bpalm ?siz(?:e|ed)\b|\bsize of (?:a |my |your |the )?palm\b|\bpalm\b",
        8.0,
        10.0,
    ),
    (r"\b(?:credit|bank|debit|business) card\b", 8.5, 5.4),
    (r"\bmatch ?box\b", 5.0, 4.0),
    (
        r"\b(?:coin|fingernail|thumbnail|stamp|thumb)(?: ?siz(?:e|ed))?\b",
        3.0,
        3.0,
    ),
    (r"\bfinger\b", 2.0, 6.0),
    (
        r"\btiny\b|\bvery small\b|\bmicro\b|\bminiature\b|\bdainty\b",
        3.0,
        3.0,
    ),
    (r"\bsmall(?:ish)?\b|\blittle\b", 5.0, 5.0),
    (r"\bmedium\b|\bmid ?siz(?:e|ed)\b", 10.0, 10.0),
    (r"\blarge\b|\bbig\b|\bhuge\b", 20.0, 20.0),
];

static COMPILED: LazyLock<Vec<(Regex, f64, f64)>> = LazyLock::new(|| {
    SIZE_WORDS
        .iter()
        .filter_map(|(pattern, w, h)| Regex::new(pattern).ok().map(|re| (re, *w, *h)))
        .collect()
});

/// The size a folded text describes in words, as (width, height) cm.
pub fn size_from_words(folded: &str) -> Option<(f64, f64)> {
    let spaced = folded.replace(['-', '_'], " ");
    COMPILED
        .iter()
        .find(|(re, _, _)| re.is_match(&spaced))
        .map(|(_, w, h)| (*w, *h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(COMPILED.len(), SIZE_WORDS.len());
    }

    #[test]
    fn reads_size_words() {
        let cases = [
            ("palm sized", Some((8.0, 10.0))),
            ("palm-size", Some((8.0, 10.0))),
            ("about the size of my hand", Some((10.0, 18.0))),
            ("half sleeve", Some((30.0, 35.0))),
            ("full sleeve", Some((30.0, 75.0))),
            ("full back", Some((45.0, 60.0))),
            ("a4", Some((21.0, 29.7))),
            ("something small", Some((5.0, 5.0))),
            ("forearm sleeve", Some((25.0, 30.0))),
            ("a rose", None),
        ];
        for (input, want) in cases {
            assert_eq!(size_from_words(input), want, "{input}");
        }
    }
}
