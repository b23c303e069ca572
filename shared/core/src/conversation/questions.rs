//! The consultation's questions: their keys, their order, which are optional, and how each is
//! asked (copy from the catalog, plus tappable buttons where they help).

use super::copy::Phrases;
use crate::domain::{Choice, MessageBody};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One question of the consultation, by its catalog key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKey {
    Idea,
    Placement,
    Dimensions,
    Style,
    Complexity,
    Coverup,
    References,
    Budget,
    City,
    Country,
    Instagram,
    TravelCity,
    Timing,
}

use QuestionKey::*;

/// Button id a client taps to skip an optional question.
pub const SKIP_ID: &str = "skip";

impl QuestionKey {
    /// Every question, in the order they are asked.
    pub const ORDER: [QuestionKey; 13] = [
        Idea, Placement, Dimensions, Style, Complexity, Coverup, References, Budget, City, Country,
        Instagram, TravelCity, Timing,
    ];

    /// The catalog key (also `leads.step`).
    pub fn as_str(self) -> &'static str {
        match self {
            Idea => "idea",
            Placement => "placement",
            Dimensions => "dimensions",
            Style => "style",
            Complexity => "complexity",
            Coverup => "coverup",
            References => "references",
            Budget => "budget",
            City => "city",
            Country => "country",
            Instagram => "instagram",
            TravelCity => "travel_city",
            Timing => "timing",
        }
    }

    /// Reads a step name back (None for anything that is not a question key).
    pub fn from_step(step: &str) -> Option<QuestionKey> {
        Self::ORDER.iter().copied().find(|k| k.as_str() == step)
    }

    /// Optional questions accept "skip"/"no".
    pub fn is_optional(self) -> bool {
        matches!(self, Style | References | Instagram | TravelCity)
    }

    /// The message that asks this question. `first` is false for a re-ask after a failed answer;
    /// `attempt` counts the failed answers so far (1 or 2).
    pub fn prompt(self, copy: &Phrases, attempt: u8) -> MessageBody {
        let text = match attempt {
            0 => copy.text(&format!("{}.ask", self.as_str())),
            1 => copy.text(&format!("{}.reask", self.as_str())),
            _ => format!(
                "{}\n\n{}",
                copy.text(&format!("{}.reask", self.as_str())),
                copy.text("reask.last_try")
            ),
        };
        self.with_buttons(copy, text)
    }

    /// Wraps a question's text in the buttons that answer it, if any.
    pub fn with_buttons(self, copy: &Phrases, text: String) -> MessageBody {
        let buttons = match self {
            Complexity => vec![
                Choice::new("1", copy.text("button.simple")),
                Choice::new("2", copy.text("button.medium")),
                Choice::new("3", copy.text("button.detailed")),
            ],
            Coverup => vec![
                Choice::new("no", copy.text("button.no_fresh")),
                Choice::new("yes", copy.text("button.yes_coverup")),
            ],
            References => vec![Choice::new(SKIP_ID, copy.text("button.no_refs"))],
            Style | Instagram | TravelCity => vec![Choice::new(SKIP_ID, copy.text("button.skip"))],
            _ => Vec::new(),
        };
        if buttons.is_empty() {
            MessageBody::text(text)
        } else {
            MessageBody::Buttons { text, buttons }
        }
    }
}

impl fmt::Display for QuestionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ArtistConfig;

    #[test]
    fn every_question_has_ask_and_reask_copy_and_round_trips() {
        let artist = ArtistConfig::demo();
        let copy = Phrases::new(&artist, None);
        for k in QuestionKey::ORDER {
            assert_eq!(QuestionKey::from_step(k.as_str()), Some(k));
            for kind in ["ask", "reask"] {
                let key = format!("{k}.{kind}");
                assert!(copy.has(&key), "catalog lacks {key}");
            }
        }
        assert_eq!(QuestionKey::from_step("deposit"), None);
    }

    #[test]
    fn buttons_respect_whatsapp_limits() {
        let artist = ArtistConfig::demo();
        let copy = Phrases::new(&artist, None);
        for k in QuestionKey::ORDER {
            for attempt in 0..3 {
                if let MessageBody::Buttons { buttons, .. } = k.prompt(&copy, attempt) {
                    assert!(!buttons.is_empty() && buttons.len() <= 3, "{k}");
                    for b in buttons {
                        assert!(b.title.chars().count() <= 20, "{k}: {}", b.title);
                    }
                }
            }
        }
    }

    #[test]
    fn reasks_carry_an_example() {
        let artist = ArtistConfig::demo();
        let copy = Phrases::new(&artist, None);
        for k in QuestionKey::ORDER {
            let text = copy.text(&format!("{k}.reask"));
            assert!(
                text.contains("e.g.") || text.contains("like"),
                "{k}.reask has no example: {text}"
            );
        }
    }
}
