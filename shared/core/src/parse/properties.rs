//! Property tests: no parser panics on any input, and every answer respects its invariants.

use super::instagram::{MAX_HANDLE_LEN, is_valid_handle};
use super::{budget, complexity, dimensions, instagram, intent, location, slot, to_json, yes_no};
use proptest::prelude::*;

/// Text that looks like what clients send: digits, currency, units, emoji, accents, separators.
fn client_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "£",
        "€",
        "$",
        "k",
        "1",
        "2",
        "3",
        "0",
        "9",
        "400",
        "1.5",
        "1,5",
        ".",
        ",",
        "-",
        " ",
        "x",
        "by",
        "cm",
        "mm",
        "in",
        "\"",
        "inches",
        "quid",
        "usd",
        "stop",
        "STOP",
        "don't",
        "London",
        "UK",
        "us",
        "berlin",
        "münchen",
        "@",
        "instagram.com/",
        "sam.ink",
        "_",
        "yes",
        "no",
        "👍",
        "🛑",
        "2️⃣",
        "second",
        "one",
        "hundred",
        "grand",
        "palm",
        "sleeve",
        "a4",
        "anywhere",
        "between",
        "and",
        "ß",
        "İ",
        "\u{0301}",
        "\u{200D}",
        "\n",
        "\t",
        "ﬁ",
        "🇩🇪",
        "١٢٣",
    ]);
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

fn check_everything(s: &str) {
    if let Some(b) = budget(s) {
        assert!(b.amount_minor > 0, "{s:?} → {b:?}");
        assert!(b.amount_minor <= 100_000_000, "{s:?} → {b:?}");
    }
    if let Some(d) = dimensions(s) {
        for side in [d.width_cm, d.height_cm] {
            assert!(
                side.is_finite() && side > 0.0 && side <= 300.0,
                "{s:?} → {d:?}"
            );
        }
    }
    if let Some(h) = instagram(s) {
        assert!(
            is_valid_handle(&h) && h.len() <= MAX_HANDLE_LEN,
            "{s:?} → {h:?}"
        );
    }
    if let Some(c) = complexity(s) {
        assert!((1..=3).contains(&c), "{s:?} → {c}");
    }
    if let Some(country) = location(s).and_then(|l| l.country) {
        assert!(
            country.len() == 2 && country.chars().all(|c| c.is_ascii_uppercase()),
            "{s:?} → {country}"
        );
    }
    let _ = yes_no(s);
    let _ = intent(s);
    for n in [0, 1, 3, 10] {
        if let Some(k) = slot(s, n) {
            assert!((1..=n).contains(&k), "{s:?}/{n} → {k}");
        }
    }
    for field in [
        "budget",
        "dimensions",
        "location",
        "complexity",
        "yes_no",
        "instagram",
        "intent",
        "slot",
    ] {
        assert!(to_json(field, s, Some(3)).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn nothing_panics_on_arbitrary_unicode(s in any::<String>()) {
        check_everything(&s);
    }

    #[test]
    fn nothing_panics_on_client_like_text(s in client_like()) {
        check_everything(&s);
    }

    #[test]
    fn budget_is_always_positive(s in "[-£€$ ]{0,3}[0-9]{0,12}([.,][0-9]{0,4})?[ ]?(k|grand|quid|usd)?") {
        if let Some(b) = budget(&s) {
            prop_assert!(b.amount_minor > 0);
        }
    }

    #[test]
    fn dimensions_are_positive_and_finite(s in "[0-9]{0,400}([.,][0-9]{0,5})? ?(x|by|-)? ?[0-9]{0,40}([.,][0-9]{0,5})? ?(cm|mm|in|\"|m|ft)?") {
        if let Some(d) = dimensions(&s) {
            prop_assert!(d.width_cm.is_finite() && d.width_cm > 0.0);
            prop_assert!(d.height_cm.is_finite() && d.height_cm > 0.0);
        }
    }

    #[test]
    fn instagram_answers_obey_handle_rules(s in "[ @]{0,2}(https://)?(www\\.)?(instagram\\.com/)?[A-Za-z0-9._ ]{0,40}/?(\\?hl=en)?") {
        if let Some(h) = instagram(&s) {
            prop_assert!(is_valid_handle(&h), "{} → {}", s, h);
            prop_assert!(h.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'));
            prop_assert!(!h.is_empty() && h.len() <= MAX_HANDLE_LEN);
        }
    }

    #[test]
    fn slot_is_within_options(s in "(option |#|the )?[0-9]{0,5}(st|nd|rd|th)?( one)?", options in 0usize..12) {
        if let Some(k) = slot(&s, options) {
            prop_assert!((1..=options).contains(&k));
        }
    }
}

proptest! {
    // Long inputs are slow to generate and check in debug builds; fewer cases still cover them.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn nothing_panics_on_long_text(chars in prop::collection::vec(any::<char>(), 500..3000)) {
        check_everything(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn nothing_panics_on_long_client_like_text(parts in prop::collection::vec(client_like(), 10..40)) {
        check_everything(&parts.concat());
    }
}
