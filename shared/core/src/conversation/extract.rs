//! Spotting answers the client gave before being asked ("a 10x15cm rose on my forearm, budget
//! £500") and recognising small conversational moves (skip, done, greeting, correction). Only
//! *clearly identifiable* snippets are picked out here; the snippet is then read by the real
//! parser in `crate::parse`, so there is one place that knows what "£1.2k" means.

use regex::Regex;
use std::sync::LazyLock;

fn re(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

const NUM: &str = r"\d+(?:[.,]\d+)?";
const UNIT: &str = r#"(?:cm|mm|centimet(?:er|re)s?|inch(?:es)?|"|”|'')"#;

static DIMENSIONS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b{NUM}\s*{UNIT}?\s*(?:x|×|\*|by)\s*{NUM}\s*{UNIT}?|\b{NUM}\s*{UNIT}|\b(?:palm|hand|coin|credit card|phone|fist)[ -]?siz(?:e|ed)\b"
    ))
});
static BUDGET: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?i)[£€$]\s*{NUM}\s*k?\b|\b{NUM}\s*k?\s*(?:quid|pounds?|gbp|euros?|eur|dollars?|usd|bucks)\b|\bbudget\b[^0-9£€$]{{0,20}}[£€$]?\s*{NUM}\s*k?\b"
    ))
});
static INSTAGRAM: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[\s(])@[a-z0-9._]{2,30}\b|instagram\.com/[a-z0-9._]+|\big\s*[:\-]\s*@?[a-z0-9._]{2,30}\b",
    )
});
static LINK: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(r#"(?i)\bhttps?://[^\s<>"]+|\bwww\.[^\s<>"]+"#));
const BODY: &str = r"(?:(?:left|right|inner|outer|upper|lower|inside|outside|back of (?:my|the))\s+)?(?:forearms?|upper arms?|arms?|biceps?|triceps?|shoulders?|shoulder blades?|wrists?|hands?|fingers?|ankles?|feet|foot|calf|calves|shins?|legs?|thighs?|hips?|ribs?|ribcage|side|chest|sternum|back|spine|neck|nape|collarbones?|stomach|belly|ears?|knees?|elbows?|sleeve)\b";

static PLACEMENT: LazyLock<Option<Regex>> = LazyLock::new(|| re(&format!(r"(?i)\b{BODY}")));
/// A body part introduced as a place ("on my forearm"), so "a snake around an arm" is not one.
static PLACEMENT_PHRASE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:on|across|around|behind|under|along|down|over|inside)\s+(?:my|the)\s+({BODY})"
    ))
});
static CORRECTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:actually|correction|change (?:it|that)|make it|instead|i meant|scratch that|on second thought|update)\b",
    )
});

fn find<'t>(r: &LazyLock<Option<Regex>>, text: &'t str) -> Option<&'t str> {
    r.as_ref()?.find(text).map(|m| m.as_str().trim())
}

/// A size written with a unit or as "W x H", or a "palm sized" style comparison.
pub fn dimensions_snippet(text: &str) -> Option<&str> {
    find(&DIMENSIONS, text)
}

/// A budget marked as money: a currency symbol or word, or the word "budget" before an amount.
pub fn budget_snippet(text: &str) -> Option<&str> {
    find(&BUDGET, text)
}

/// An @handle or an instagram.com link.
pub fn instagram_snippet(text: &str) -> Option<&str> {
    find(&INSTAGRAM, text)
}

/// A body part (with its side, if given): "left forearm", "ribs".
pub fn placement(text: &str) -> Option<String> {
    find(&PLACEMENT, text).map(|p| p.to_lowercase())
}

/// A body part named as where the tattoo goes ("on my left forearm" → "left forearm").
pub fn placement_phrase(text: &str) -> Option<String> {
    let caps = PLACEMENT_PHRASE.as_ref()?.captures(text)?;
    caps.get(1).map(|m| m.as_str().trim().to_lowercase())
}

/// Every link in the text.
pub fn links(text: &str) -> Vec<String> {
    match LINK.as_ref() {
        Some(r) => r
            .find_iter(text)
            .map(|m| m.as_str().trim_end_matches(['.', ',', ')', '!']).to_owned())
            .collect(),
        None => Vec::new(),
    }
}

/// "actually", "make it", "I meant"...: the client is changing an earlier answer.
pub fn is_correction(text: &str) -> bool {
    find(&CORRECTION, text).is_some()
}

/// Lower-case words without punctuation or emoji.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\'').replace('’', "'"))
        .filter(|w| !w.is_empty())
        .collect()
}

fn normalized(text: &str) -> String {
    words(text).join(" ")
}

/// "HELP" on its own: the keyword the bot's copy offers for reaching the artist.
pub fn is_help(text: &str) -> bool {
    matches!(
        normalized(text).as_str(),
        "help" | "help please" | "help me" | "please help"
    )
}

/// "skip", "no", "none", "no thanks", "pass"...: declining an optional question.
pub fn is_skip(text: &str) -> bool {
    const SKIP: [&str; 18] = [
        "skip",
        "no",
        "nope",
        "none",
        "na",
        "n a",
        "no thanks",
        "no thank you",
        "not really",
        "pass",
        "nah",
        "no i don't",
        "i don't have one",
        "don't have one",
        "dont have one",
        "no references",
        "not needed",
        "no pics",
    ];
    let n = normalized(text);
    (n.is_empty() && text.trim() == "-") || SKIP.contains(&n.as_str()) || n.starts_with("skip")
}

/// "done", "that's all"...: finished sending references.
pub fn is_done(text: &str) -> bool {
    const DONE: [&str; 10] = [
        "done",
        "that's it",
        "thats it",
        "that's all",
        "thats all",
        "finished",
        "no more",
        "nothing else",
        "all done",
        "that's everything",
    ];
    let n = normalized(text);
    DONE.iter()
        .any(|d| n == *d || n.starts_with(&format!("{d} ")))
}

const GREETINGS: [&str; 20] = [
    "hi",
    "hello",
    "hey",
    "hiya",
    "heya",
    "yo",
    "hola",
    "morning",
    "afternoon",
    "evening",
    "good",
    "there",
    "hii",
    "hellooo",
    "howdy",
    "sup",
    "again",
    "all",
    "guys",
    "everyone",
];

/// A message that is only a greeting ("Hi!", "hello there 👋").
pub fn is_greeting(text: &str) -> bool {
    let w = words(text);
    !w.is_empty() && w.len() <= 4 && w.iter().all(|x| GREETINGS.contains(&x.as_str()))
}

/// Whether a message says something about the tattoo itself, beyond greetings and "I'd like to
/// book a tattoo" (which is not an idea yet).
pub fn has_substance(text: &str) -> bool {
    const FILLER: [&str; 48] = [
        "i",
        "i'd",
        "id",
        "im",
        "i'm",
        "would",
        "like",
        "want",
        "wanna",
        "to",
        "book",
        "booking",
        "a",
        "an",
        "the",
        "tattoo",
        "tattoos",
        "tat",
        "ink",
        "get",
        "getting",
        "looking",
        "for",
        "appointment",
        "enquire",
        "enquiry",
        "inquire",
        "about",
        "please",
        "thanks",
        "thank",
        "you",
        "can",
        "could",
        "me",
        "my",
        "new",
        "piece",
        "some",
        "info",
        "interested",
        "in",
        "is",
        "it",
        "possible",
        "do",
        "have",
        "session",
    ];
    const UNSURE: [&str; 7] = [
        "idk",
        "dunno",
        "not sure",
        "no idea",
        "don't know",
        "dont know",
        "?",
    ];
    let n = normalized(text);
    if UNSURE.iter().any(|u| n == *u) {
        return false;
    }
    words(text).iter().any(|w| {
        w.chars().filter(|c| c.is_alphabetic()).count() >= 3
            && !GREETINGS.contains(&w.as_str())
            && !FILLER.contains(&w.as_str())
    })
}

/// Free text that could plausibly be a place or a time ("next spring", "Leeds"): letters, short.
pub fn is_plausible_free_text(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let n = normalized(text);
    letters >= 2
        && text.chars().count() <= 120
        && !matches!(n.as_str(), "idk" | "dunno" | "no idea" | "not sure")
}

/// A short bit of free text that looks like a city name ("Leeds", "San Sebastián").
pub fn looks_like_city(text: &str) -> bool {
    let t = text.trim();
    let w: Vec<&str> = t.split_whitespace().collect();
    !w.is_empty()
        && w.len() <= 4
        && t.chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.')
        && t.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && !is_skip(t)
        && !is_greeting(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for r in [
            &DIMENSIONS,
            &BUDGET,
            &INSTAGRAM,
            &LINK,
            &PLACEMENT,
            &PLACEMENT_PHRASE,
            &CORRECTION,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn snippets_are_picked_out_of_sentences() {
        let s = "I want a 10x15cm rose on my left forearm, budget £500";
        assert_eq!(dimensions_snippet(s), Some("10x15cm"));
        assert_eq!(budget_snippet(s), Some("budget £500"));
        assert_eq!(placement(s).as_deref(), Some("left forearm"));
        assert_eq!(
            dimensions_snippet("about 4 by 6 inches"),
            Some("4 by 6 inches")
        );
        assert_eq!(dimensions_snippet("actually make it 20cm"), Some("20cm"));
        assert_eq!(dimensions_snippet("palm sized please"), Some("palm sized"));
        assert_eq!(budget_snippet("about 500 quid"), Some("500 quid"));
        assert_eq!(
            budget_snippet("my budget is around 1.2k"),
            Some("budget is around 1.2k")
        );
        assert_eq!(budget_snippet("a rose, 2 of them"), None);
        assert_eq!(dimensions_snippet("2 roses"), None);
        assert_eq!(instagram_snippet("find me @sam.ink"), Some("@sam.ink"));
        assert_eq!(instagram_snippet("mail me at sam@example.com"), None);
        assert_eq!(placement("a backpiece"), None);
        assert_eq!(placement_phrase(s).as_deref(), Some("left forearm"));
        assert_eq!(placement_phrase("a snake wrapped around an arm"), None);
    }

    #[test]
    fn links_are_collected_without_trailing_punctuation() {
        assert_eq!(
            links("like this https://instagram.com/p/abc. and www.pinterest.com/x"),
            vec![
                "https://instagram.com/p/abc".to_owned(),
                "www.pinterest.com/x".to_owned()
            ]
        );
        assert!(links("no links here").is_empty());
    }

    #[test]
    fn conversational_moves() {
        type Check = fn(&str) -> bool;
        let cases: [(&str, Check, bool); 16] = [
            ("Skip", is_skip, true),
            ("no thanks 🙏", is_skip, true),
            ("no idea what style", is_skip, false),
            ("done!", is_done, true),
            ("that's all, thanks", is_done, true),
            ("Hi! 👋", is_greeting, true),
            ("hello there", is_greeting, true),
            ("hi, a rose please", is_greeting, false),
            ("Hi I'd like to book a tattoo", has_substance, false),
            ("a small fine-line swallow", has_substance, true),
            ("idk", has_substance, false),
            ("actually make it 20cm", is_correction, true),
            ("a rose", is_correction, false),
            ("Leeds", looks_like_city, true),
            ("no", looks_like_city, false),
            ("£500", looks_like_city, false),
        ];
        for (text, f, want) in cases {
            assert_eq!(f(text), want, "{text}");
        }
    }
}
