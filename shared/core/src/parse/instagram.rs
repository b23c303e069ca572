//! Instagram handles: "@Sam.Ink", "instagram.com/sam.ink", "ig: sam_ink" → `sam.ink` / `sam_ink`.
//!
//! A handle is 1–30 characters of `a-z`, `0-9`, `.` and `_`, neither starting nor ending with a
//! dot and without two dots in a row (Instagram's rules), always returned in lower case.
//! "no", "none", "don't have one", "not on insta" → None. A bare single word is taken as the
//! handle unless it is an ordinary answer word ("yes", "later", "private").

use super::text::fold;
use regex::Regex;
use std::sync::LazyLock;

/// The longest handle Instagram allows.
pub const MAX_HANDLE_LEN: usize = 30;

static URL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:instagram\.com|instagr\.am|ig\.me)/+(?:(?:stories|_u)/+)?(?P<h>[a-z0-9._]+)")
        .ok()
});
static AT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:^|[^a-z0-9._@])@(?P<h>[a-z0-9._]+)").ok());
static LABELLED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b(?:ig|insta|instagram|handle|username|user name|account|it's|its|it is)\b\s*(?:handle|name|account)?\s*(?:is|:|=|-)?\s*@?(?P<h>[a-z0-9._]+)").ok()
});

/// Paths under instagram.com that are not profiles.
const NOT_PROFILES: &[&str] = &[
    "p",
    "reel",
    "reels",
    "tv",
    "explore",
    "accounts",
    "direct",
    "about",
    "legal",
    "developer",
];

/// Answers meaning "I have none" or not a handle at all.
const NOT_HANDLES: &[&str] = &[
    "no",
    "nope",
    "nah",
    "none",
    "n",
    "na",
    "n.a",
    "nil",
    "nothing",
    "null",
    "yes",
    "yeah",
    "yep",
    "ok",
    "okay",
    "sure",
    "private",
    "later",
    "idk",
    "dunno",
    "maybe",
    "skip",
    "pass",
    "instagram",
    "insta",
    "ig",
    "handle",
    "username",
    "account",
    "is",
    "my",
    "it's",
    "its",
    "don't",
    "dont",
    "not",
    "have",
    "one",
    "sorry",
    "the",
];

/// "@Sam.Ink" or an instagram.com URL → `sam.ink`.
pub fn instagram(text: &str) -> Option<String> {
    let folded = fold(text);
    let folded = folded.trim();
    if says_none(folded) {
        return None;
    }
    let from = |re: &LazyLock<Option<Regex>>| {
        re.as_ref()?
            .captures_iter(folded)
            .filter_map(|c| c.name("h").map(|m| m.as_str()))
            .find_map(|h| valid(h).filter(|h| !NOT_HANDLES.contains(&h.as_str())))
    };
    if let Some(h) = URL
        .as_ref()
        .and_then(|re| re.captures(folded))
        .and_then(|c| c.name("h"))
    {
        // A post or reel link names no profile.
        return (!NOT_PROFILES.contains(&h.as_str()))
            .then(|| valid(h.as_str()))
            .flatten();
    }
    from(&AT).or_else(|| from(&LABELLED)).or_else(|| {
        // A bare handle as the whole answer.
        let single: Vec<&str> = folded.split_whitespace().collect();
        match single.as_slice() {
            [one] => {
                valid(one.trim_start_matches('@')).filter(|h| !NOT_HANDLES.contains(&h.as_str()))
            }
            _ => None,
        }
    })
}

fn says_none(folded: &str) -> bool {
    let words: Vec<&str> = folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    let text = words.join(" ");
    matches!(
        text.as_str(),
        "no" | "none"
            | "nope"
            | "nah"
            | "n a"
            | "na"
            | "nil"
            | "no instagram"
            | "no insta"
            | "no ig"
            | "i don't"
            | "i dont"
    ) || [
        "don't have",
        "dont have",
        "do not have",
        "not on instagram",
        "not on insta",
        "not on ig",
        "no account",
        "haven't got",
        "havent got",
        "don't use",
        "dont use",
    ]
    .iter()
    .any(|p| text.contains(p))
}

/// The handle in Instagram's rules, trailing sentence dots dropped; None when it breaks them.
fn valid(candidate: &str) -> Option<String> {
    let h = candidate.trim_end_matches('.').to_ascii_lowercase();
    let ok = (1..=MAX_HANDLE_LEN).contains(&h.len())
        && h.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
        && !h.starts_with('.')
        && !h.contains("..")
        && h.chars().any(|c| c.is_ascii_alphanumeric());
    ok.then_some(h)
}

/// Whether a string obeys the handle rules this parser guarantees (for tests and callers).
pub fn is_valid_handle(h: &str) -> bool {
    valid(h).as_deref() == Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_handles() {
        let cases: &[(&str, Option<&str>)] = &[
            ("@Sam.Ink", Some("sam.ink")),
            ("@sam_ink", Some("sam_ink")),
            ("sam.ink", Some("sam.ink")),
            ("instagram.com/sam.ink", Some("sam.ink")),
            ("https://www.instagram.com/sam.ink/?hl=en", Some("sam.ink")),
            (
                "https://instagram.com/Sam.Ink?igshid=abc123",
                Some("sam.ink"),
            ),
            ("www.instagram.com/sam_ink/", Some("sam_ink")),
            ("ig: sam_ink", Some("sam_ink")),
            ("IG - sam_ink", Some("sam_ink")),
            ("insta is @sam.ink", Some("sam.ink")),
            ("my instagram is sam.ink", Some("sam.ink")),
            ("it's @sam.ink.", Some("sam.ink")),
            ("Sure! @sam.ink 😊", Some("sam.ink")),
            ("  @SAM.INK  ", Some("sam.ink")),
            ("no", None),
            ("none", None),
            ("don't have one", None),
            ("I don't have instagram", None),
            ("not on insta sorry", None),
            ("", None),
            ("@", None),
            ("@..", None),
            ("https://www.instagram.com/p/Cx1234/", None),
            ("@this_handle_is_far_too_long_for_instagram", None),
            ("sam ink tattoo", None),
            ("yes", None),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, want)| instagram(input).as_deref() != *want)
            .map(|(input, want)| format!("{input:?}: got {:?}, want {want:?}", instagram(input)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
