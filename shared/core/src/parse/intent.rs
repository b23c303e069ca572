//! Intents that apply in every status: opt-out, opt-in, human, refund, data deletion.
//!
//! Conservative by design: a tattoo idea that mentions a "stop sign" or a "bus stop" must never
//! unsubscribe anyone, so bare keywords count only as (nearly) the whole message, and phrases are
//! specific ("stop messaging me", "delete my data"). Negated phrases ("don't stop") do not count.
//! When a message asks for several things the most consequential wins:
//! delete data > opt out > refund > human > opt in.

use super::text::fold;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// What a message asks for, beyond answering the current question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    OptOut,
    OptIn,
    Human,
    Refund,
    DeleteData,
    None,
}

impl Intent {
    /// The snake_case name used in JSON and by `inkline parse intent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::OptOut => "opt_out",
            Intent::OptIn => "opt_in",
            Intent::Human => "human",
            Intent::Refund => "refund",
            Intent::DeleteData => "delete_data",
            Intent::None => "none",
        }
    }
}

/// Words that may pad a bare keyword without changing it ("STOP please", "stop!! thanks").
const FILLER: &[&str] = &[
    "please",
    "pls",
    "plz",
    "now",
    "it",
    "all",
    "thanks",
    "thank",
    "you",
    "thx",
    "ok",
    "okay",
    "asap",
    "immediately",
    "right",
    "away",
    "just",
    "hi",
    "hello",
    "hey",
    "sorry",
    "again",
    "me",
    "i",
    "want",
    "to",
];

/// Whole-message keywords (after dropping filler).
const OPT_OUT_WORDS: &[&str] = &[
    "stop",
    "stopall",
    "stop all",
    "unsubscribe",
    "unsub",
    "opt out",
    "optout",
    "end",
    "quit",
    "cancel all",
];
const OPT_IN_WORDS: &[&str] = &[
    "start",
    "resume",
    "subscribe",
    "opt in",
    "optin",
    "unstop",
    "resubscribe",
    "start again",
    "yes start",
];
const HUMAN_WORDS: &[&str] = &[
    "human",
    "agent",
    "operator",
    "real person",
    "a human",
    "representative",
    "human please",
    "speak to someone",
    "talk to someone",
];

/// (intent, phrase pattern over normalised text). Checked in priority order.
const PHRASES: &[(Intent, &str)] = &[
    (
        Intent::DeleteData,
        r"\b(?:delete|erase|remove|wipe|destroy|clear)\s+(?:all\s+)?(?:of\s+)?my\s+(?:personal\s+)?(?:data|info|information|details|number|phone number|contact details|messages|conversation|chat history|records?)\b",
    ),
    (
        Intent::DeleteData,
        r"\b(?:forget me|forget about me|right to be forgotten|right to erasure|gdpr|delete everything (?:about|on) me|delete me|remove me from your (?:database|system|records))\b",
    ),
    (
        Intent::OptOut,
        r"\bstop (?:messaging|texting|contacting|sending|writing|emailing|spamming|bothering|whatsapping|msging|messging)(?: me| us)?\b",
    ),
    (
        Intent::OptOut,
        r"\b(?:no more (?:messages|texts|msgs)|leave me alone|unsubscribe(?: me)?|opt me out|opt out of (?:these|this|the|your|all|whatsapp|messages|texts|marketing)|take me off (?:your|the) (?:list|mailing list|contact list)|remove me from (?:your|the|this) (?:list|mailing list|contact list)|do not (?:message|contact|text) me|don'?t (?:message|contact|text) me(?: again| anymore)?|never (?:message|contact|text) me)\b",
    ),
    (
        Intent::Refund,
        r"\b(?:refund|refunded|refunds)\b|\bmoney back\b|\b(?:get|have|want|need) (?:my|the) deposit back\b|\bdeposit (?:back|returned)\b|\breturn (?:my|the) deposit\b|\bchargeback\b",
    ),
    (
        Intent::Human,
        r"\b(?:talk|speak|chat|get through)\s+(?:to|with)\s+(?:a|an|the|your|some|someone|somebody)?\s*(?:real|actual|live)?\s*(?:human|person|people|human being|artist|agent|operator|staff|owner|manager|someone|somebody|representative)\b",
    ),
    (
        Intent::Human,
        r"\b(?:real|actual|live) (?:person|human|people)\b|\bhuman please\b|\bnot a bot\b|\bstop being a bot\b",
    ),
    (
        Intent::OptIn,
        r"\b(?:opt me (?:back )?in|opt back in|unstop|resubscribe|start (?:messaging|sending|texting) me again|subscribe me again)\b",
    ),
];

static COMPILED: LazyLock<Vec<(Intent, Regex)>> = LazyLock::new(|| {
    PHRASES
        .iter()
        .filter_map(|(intent, p)| Regex::new(p).ok().map(|re| (*intent, re)))
        .collect()
});

/// Classifies a message.
pub fn intent(text: &str) -> Intent {
    let normalised = normalise(text);
    if normalised.is_empty() {
        return Intent::None;
    }
    let core = without_filler(&normalised);
    if OPT_OUT_WORDS.contains(&core.as_str()) {
        return Intent::OptOut;
    }
    if OPT_IN_WORDS.contains(&core.as_str()) {
        return Intent::OptIn;
    }
    for (intent, re) in COMPILED.iter() {
        if re
            .find_iter(&normalised)
            .any(|m| !negated(&normalised[..m.start()]))
        {
            return *intent;
        }
    }
    if HUMAN_WORDS.contains(&core.as_str()) {
        return Intent::Human;
    }
    Intent::None
}

/// Lower case, accents folded, apostrophes kept, everything else (emoji, punctuation) a space.
fn normalise(text: &str) -> String {
    let folded = fold(text);
    let spaced: String = folded
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '\'' {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The message without padding words: "stop it please" → "stop".
fn without_filler(normalised: &str) -> String {
    let words: Vec<&str> = normalised.split(' ').collect();
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !FILLER.contains(w))
        .collect();
    if kept.is_empty() {
        // "start" alone is not filler, but guard against a message made only of filler.
        return String::new();
    }
    kept.join(" ")
}

/// "don't", "do not", "never", "not" right before a phrase turns it around.
fn negated(before: &str) -> bool {
    before.split_whitespace().next_back().is_some_and(|w| {
        matches!(
            w,
            "don't" | "dont" | "never" | "not" | "didn't" | "didnt" | "won't" | "no" | "without"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_compiles() {
        assert_eq!(COMPILED.len(), PHRASES.len());
    }

    #[test]
    fn classifies_real_messages() {
        use Intent::*;
        let cases: &[(&str, Intent)] = &[
            ("STOP", OptOut),
            ("stop", OptOut),
            ("Stop.", OptOut),
            ("stop!!!", OptOut),
            ("STOP ALL", OptOut),
            ("🛑 stop", OptOut),
            ("stop 🛑", OptOut),
            ("Stop please", OptOut),
            ("please stop", OptOut),
            ("UNSUBSCRIBE", OptOut),
            ("unsubscribe me please", OptOut),
            ("stop messaging me", OptOut),
            ("Please stop messaging me!", OptOut),
            ("can you stop texting me", OptOut),
            ("no more messages", OptOut),
            ("opt out", OptOut),
            ("Opt-out", OptOut),
            ("leave me alone", OptOut),
            ("don't message me again", OptOut),
            ("START", OptIn),
            ("resume", OptIn),
            ("subscribe", OptIn),
            ("opt in", OptIn),
            ("UNSTOP", OptIn),
            ("can I talk to a human", Human),
            ("can i speak to a real person?", Human),
            ("I'd like to talk to the artist", Human),
            ("speak to someone", Human),
            ("agent", Human),
            ("human", Human),
            ("real person please", Human),
            ("I want a refund", Refund),
            ("Can I get my money back?", Refund),
            ("i want to get my deposit back", Refund),
            ("refund pls", Refund),
            ("delete my data", DeleteData),
            ("please erase my data", DeleteData),
            ("forget me", DeleteData),
            ("GDPR request", DeleteData),
            ("remove my number", DeleteData),
            ("stop messaging me and delete my data", DeleteData),
            ("don't stop", None),
            ("a stop sign tattoo", None),
            ("bus stop", None),
            ("non stop", None),
            ("non-stop vibes", None),
            ("I want a stop sign on my arm", None),
            ("stop motion style", None),
            ("a rose with thorns", None),
            ("can you start on the 5th?", None),
            ("is the deposit refundable?", None),
            ("don't forget me 🥺 lol", None),
            ("a human skull", None),
            ("a person holding a flower", None),
            ("", None),
            ("🛑", None),
            ("never stop dreaming script", None),
            ("please", None),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, want)| intent(input) != *want)
            .map(|(input, want)| format!("{input:?}: got {:?}, want {want:?}", intent(input)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
