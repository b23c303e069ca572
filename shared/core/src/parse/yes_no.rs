//! Yes/no answers: "yes", "yeah 👍", "nope", "not really" → true/false; anything unclear → None.
//!
//! The first word decides ("yes but only on weekends" is yes, "no thanks" is no); drawn-out words
//! ("yesss", "noooo") count. "no problem"/"no worries" are yes; "not sure", "maybe", "no idea" are
//! None so the question is asked again.

use super::text::{fold, squeeze, words};

const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "yah",
    "ye",
    "yh",
    "yas",
    "sure",
    "aye",
    "ok",
    "okay",
    "okey",
    "okie",
    "k",
    "kk",
    "absolutely",
    "definitely",
    "certainly",
    "correct",
    "right",
    "true",
    "affirmative",
    "totally",
    "indeed",
    "deal",
    "perfect",
    "great",
    "fine",
    "si",
    "ja",
    "oui",
    "yass",
    "yessir",
    "agreed",
    "exactly",
    "please",
    "obviously",
    "course",
    "def",
    "defo",
    "ofc",
    "yeh",
];
const NO: &[&str] = &[
    "no",
    "n",
    "nope",
    "nah",
    "na",
    "nay",
    "never",
    "negative",
    "nein",
    "non",
    "noo",
    "nop",
    "incorrect",
    "wrong",
    "false",
];
/// Phrases checked on the whole start of the message, before single words.
const PHRASES: &[(&str, Option<bool>)] = &[
    ("yes and no", None),
    ("yes or no", None),
    ("no problem", Some(true)),
    ("no prob", Some(true)),
    ("no worries", Some(true)),
    ("not sure", None),
    ("no idea", None),
    ("no clue", None),
    ("not yet sure", None),
    ("i don't know", None),
    ("i dont know", None),
    ("don't know", None),
    ("dont know", None),
    ("of course not", Some(false)),
    ("of course", Some(true)),
    ("not really", Some(false)),
    ("not at all", Some(false)),
    ("not yet", Some(false)),
    ("no thanks", Some(false)),
    ("no thank you", Some(false)),
    ("i don't think so", Some(false)),
    ("i dont think so", Some(false)),
    ("don't think so", Some(false)),
    ("dont think so", Some(false)),
    ("i think so", Some(true)),
    ("sounds good", Some(true)),
    ("sounds great", Some(true)),
    ("go ahead", Some(true)),
    ("go for it", Some(true)),
    ("that's right", Some(true)),
    ("thats right", Some(true)),
    ("that's fine", Some(true)),
    ("all good", Some(true)),
    ("i do", Some(true)),
    ("i don't", Some(false)),
    ("i dont", Some(false)),
    ("i am", Some(true)),
    ("i'm not", Some(false)),
    ("im not", Some(false)),
    ("not", Some(false)),
];

/// Emoji that answer on their own.
const YES_EMOJI: &[char] = &['👍', '👌', '✅', '✔', '🙌', '💯', '🤙'];
const NO_EMOJI: &[char] = &['👎', '❌', '✖', '🙅', '🚫'];

/// "yes", "yeah 👍", "nope" → true/false.
pub fn yes_no(text: &str) -> Option<bool> {
    let folded = fold(text);
    let ws = words(&folded);
    if ws.is_empty() {
        let yes = folded.chars().any(|c| YES_EMOJI.contains(&c));
        let no = folded.chars().any(|c| NO_EMOJI.contains(&c));
        return match (yes, no) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        };
    }
    let joined = ws.join(" ");
    for (phrase, answer) in PHRASES {
        if joined == *phrase || joined.starts_with(&format!("{phrase} ")) {
            return *answer;
        }
    }
    let first = squeeze(ws[0]);
    let is = |list: &[&str]| list.iter().any(|w| squeeze(w) == first);
    if is(YES) {
        return Some(true);
    }
    if is(NO) {
        return Some(false);
    }
    // "yes" said a little later: "haha yes", "omg yes!!".
    let lead_in = [
        "haha", "lol", "omg", "oh", "um", "umm", "erm", "well", "hmm", "ah", "hi", "hey", "then",
    ];
    if lead_in.contains(&squeeze(ws[0]).as_str()) && ws.len() > 1 {
        return yes_no(&ws[1..].join(" "));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_answers() {
        let cases: &[(&str, Option<bool>)] = &[
            ("yes", Some(true)),
            ("Yes!", Some(true)),
            ("YES", Some(true)),
            ("yesss", Some(true)),
            ("yeah", Some(true)),
            ("Yeah 👍", Some(true)),
            ("yep", Some(true)),
            ("sure", Some(true)),
            ("👍", Some(true)),
            ("👍🏻", Some(true)),
            ("y", Some(true)),
            ("of course", Some(true)),
            ("absolutely", Some(true)),
            ("correct", Some(true)),
            ("yes but only weekends", Some(true)),
            ("yes please", Some(true)),
            ("ok", Some(true)),
            ("no problem", Some(true)),
            ("haha yes", Some(true)),
            ("no", Some(false)),
            ("No.", Some(false)),
            ("nope", Some(false)),
            ("nah", Some(false)),
            ("noooo", Some(false)),
            ("👎", Some(false)),
            ("n", Some(false)),
            ("not really", Some(false)),
            ("no thanks", Some(false)),
            ("of course not", Some(false)),
            ("maybe", None),
            ("yes and no", None),
            ("not sure", None),
            ("no idea", None),
            ("idk", None),
            ("", None),
            ("🤔", None),
            ("👍👎", None),
            ("what do you mean?", None),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, want)| yes_no(input) != *want)
            .map(|(input, want)| format!("{input:?}: got {:?}, want {want:?}", yes_no(input)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
