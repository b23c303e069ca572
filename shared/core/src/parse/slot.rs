//! Slot choices: "2", "option 2", "#2", "2️⃣", "the second one", "last one" → the option number.
//!
//! The answer must name exactly one option within `1..=options`; "2 or 3", "either", times
//! ("2pm", "14:00") and out-of-range numbers give None so the client is asked again.

use super::number_words::{ordinal, small_number};
use super::text::{fold, words};

/// The chosen option `1..=options`.
pub fn slot(text: &str, options: usize) -> Option<usize> {
    if options == 0 {
        return None;
    }
    let folded = keycaps_to_digits(&fold(text));
    let ws = words(&folded);
    let mut ordinals: Vec<u64> = Vec::new();
    let mut digits: Vec<u64> = Vec::new();
    let mut cardinals: Vec<u64> = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| ws.get(p)).copied();
        let next = ws.get(i + 1).copied();
        if let Some(n) = ordinal(w) {
            ordinals.push(n);
        } else if *w == "last" && !matches!(next, Some("week" | "time" | "month" | "year")) {
            ordinals.push(options as u64);
        } else if w.chars().all(|c| c.is_ascii_digit()) {
            if is_time(&folded, w, next) {
                continue;
            }
            if let Ok(n) = w.parse::<u64>() {
                digits.push(n);
            } else {
                return None;
            }
        } else if let Some(n) = small_number(w) {
            // "one" is usually "the second one"/"that one"; count it only as a choice on its own.
            let chosen = *w != "one"
                || ws.len() == 1
                || matches!(prev, Some("option" | "number" | "no" | "slot" | "choice"));
            if chosen {
                cardinals.push(n);
            }
        } else if w.chars().any(|c| c.is_ascii_digit()) {
            // "2pm", "3rd-ish", "14h": not a plain choice.
            if !(w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd") || w.ends_with("th")) {
                continue;
            }
        }
    }
    let pick = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.dedup();
        match v.as_slice() {
            [n] => Some(*n),
            _ => None,
        }
    };
    let n = if !ordinals.is_empty() {
        pick(ordinals)
    } else if !digits.is_empty() {
        pick(digits)
    } else {
        pick(cardinals)
    }?;
    let n = usize::try_from(n).ok()?;
    (1..=options).contains(&n).then_some(n)
}

/// "2️⃣" is "2" + U+FE0F + U+20E3; "🔟" is ten.
fn keycaps_to_digits(folded: &str) -> String {
    folded
        .replace('\u{FE0F}', "")
        .replace('\u{20E3}', " ")
        .replace('🔟', " 10 ")
}

/// "2pm", "2 pm", "14:00", "2.30": a time, not an option number.
fn is_time(folded: &str, word: &str, next: Option<&str>) -> bool {
    if matches!(next, Some("pm" | "am" | "h" | "hrs" | "oclock" | "o'clock")) {
        return true;
    }
    folded.contains(&format!("{word}:"))
        || folded.contains(&format!(":{word}"))
        || folded.contains(&format!("{word}.")) && folded.contains(&format!("{word}.3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_choices() {
        let cases: &[(&str, usize, Option<usize>)] = &[
            ("2", 3, Some(2)),
            (" 2 ", 3, Some(2)),
            ("option 2", 3, Some(2)),
            ("Option 2 please", 3, Some(2)),
            ("#2", 3, Some(2)),
            ("2️⃣", 3, Some(2)),
            ("the second one", 3, Some(2)),
            ("Second", 3, Some(2)),
            ("2nd", 3, Some(2)),
            ("first one works", 3, Some(1)),
            ("the last one", 3, Some(3)),
            ("one", 3, Some(1)),
            ("option two", 3, Some(2)),
            ("number 3!", 3, Some(3)),
            ("3 👍", 3, Some(3)),
            ("4", 3, None),
            ("0", 3, None),
            ("2 or 3", 3, None),
            ("either", 3, None),
            ("2pm", 3, None),
            ("the 2pm one", 3, None),
            ("", 3, None),
            ("1", 0, None),
            ("that one", 3, None),
            ("🔟", 10, Some(10)),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, n, want)| slot(input, *n) != *want)
            .map(|(input, n, want)| {
                format!("{input:?}/{n}: got {:?}, want {want:?}", slot(input, *n))
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
