//! Complexity 1–3: "2", "three", "simple", "very detailed" → 1, 2 or 3.
//!
//! One number from 1 to 3 (digit or word, "level 2", "2 out of 3") wins; two different numbers
//! ("2/3", "2 or 3", "1-2") are ambiguous and give None, as does any number outside 1–3. Without a
//! number, words decide: simple/basic/minimal/easy → 1, medium/moderate/average → 2,
//! complex/detailed/intricate → 3; "not too detailed" → 1.

use super::number_words::small_number;
use super::text::{fold, words};

const SIMPLE: &[&str] = &[
    "simple",
    "basic",
    "minimal",
    "minimalist",
    "easy",
    "plain",
    "clean",
    "light",
    "lowest",
    "low",
];
const MEDIUM: &[&str] = &[
    "medium",
    "moderate",
    "moderately",
    "intermediate",
    "average",
    "mid",
    "middle",
    "normal",
    "some",
    "bit",
];
const COMPLEX: &[&str] = &[
    "complex",
    "complicated",
    "detailed",
    "detail",
    "details",
    "intricate",
    "elaborate",
    "realism",
    "realistic",
    "hard",
    "difficult",
    "highest",
    "high",
    "lots",
    "heavy",
    "busy",
];

/// "1", "2", "3" (or words) → complexity.
pub fn complexity(text: &str) -> Option<u8> {
    let folded = fold(text);
    let ws = words(&folded);
    // "2 out of 3", "2/3 on the scale": the denominator is the scale, not an answer.
    let mut numbers: Vec<u64> = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let n = ws[i].parse::<u64>().ok().or_else(|| small_number(ws[i]));
        if let Some(n) = n {
            numbers.push(n);
            if ws.get(i + 1) == Some(&"out") && ws.get(i + 2) == Some(&"of") {
                i += 4;
                continue;
            }
        } else if ws[i].chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        i += 1;
    }
    numbers.dedup();
    match numbers.as_slice() {
        [n @ 1..=3] => return u8::try_from(*n).ok(),
        [] => {}
        _ => return None,
    }
    let negated = ws.windows(2).any(|w| {
        matches!(w[0], "not" | "isn't" | "nothing" | "no")
            && (COMPLEX.contains(&w[1])
                || ["too", "very", "that", "super", "overly", "crazy"].contains(&w[1]))
    });
    if negated {
        return Some(1);
    }
    let has = |list: &[&str]| ws.iter().any(|w| list.contains(w));
    match (has(SIMPLE), has(MEDIUM), has(COMPLEX)) {
        (_, _, true) if ws.contains(&"very") || ws.contains(&"super") || ws.contains(&"really") => {
            Some(3)
        }
        (false, false, true) => Some(3),
        (false, true, false) => Some(2),
        (true, false, false) => Some(1),
        // "some detail", "a bit detailed".
        (false, true, true) => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_complexity() {
        let cases: &[(&str, Option<u8>)] = &[
            ("1", Some(1)),
            ("2", Some(2)),
            ("3", Some(3)),
            (" 2 ", Some(2)),
            ("2!", Some(2)),
            ("one", Some(1)),
            ("Two", Some(2)),
            ("level 3", Some(3)),
            ("3 - very detailed", Some(3)),
            ("2 out of 3", Some(2)),
            ("simple", Some(1)),
            ("pretty basic", Some(1)),
            ("Minimal linework", Some(1)),
            ("medium", Some(2)),
            ("moderate", Some(2)),
            ("complex", Some(3)),
            ("detailed", Some(3)),
            ("very detailed", Some(3)),
            ("VERY DETAILED!!", Some(3)),
            ("realism", Some(3)),
            ("some detail", Some(2)),
            ("not too detailed", Some(1)),
            ("2/3", None),
            ("2 or 3", None),
            ("1-2", None),
            ("4", None),
            ("0", None),
            ("10", None),
            ("", None),
            ("idk", None),
            ("🤷", None),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, want)| complexity(input) != *want)
            .map(|(input, want)| format!("{input:?}: got {:?}, want {want:?}", complexity(input)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
