//! What an inbound message means to the engine, independent of the wire format: text (with its
//! intent), a tapped choice, an image, a reaction, or something the bot cannot read.

use super::extract;
use super::types::{Content, Inbound};
use crate::parse::{self, Intent};

/// An inbound message, classified once.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Typed text, with what it asks for beyond answering the current question.
    Text { text: String, intent: Intent },
    /// A reply button or list row (or a template quick reply) was tapped.
    Choice { id: String, title: String },
    /// A photo; the caption (if any) is read as text too.
    Image {
        media_id: String,
        caption: Option<String>,
    },
    /// A shared location pin; its name/address may name a city.
    Location { label: Option<String> },
    /// An emoji reaction to one of our messages: never answered.
    Reaction,
    /// Audio, video, sticker, document, contacts...: the bot cannot read it.
    Unsupported { kind: String },
}

impl Input {
    pub fn classify(msg: &Inbound) -> Input {
        match &msg.content {
            Content::Text { body } => {
                let text = body.trim().to_owned();
                if text.is_empty() {
                    return Input::Unsupported {
                        kind: "empty".into(),
                    };
                }
                let intent = match parse::intent(&text) {
                    // The copy tells clients to "reply HELP" to reach the artist.
                    Intent::None if extract::is_help(&text) => Intent::Human,
                    other => other,
                };
                Input::Text { intent, text }
            }
            Content::Choice { id, title } => Input::Choice {
                id: id.clone(),
                title: title.clone(),
            },
            Content::TemplateButton { payload, text } => Input::Choice {
                id: payload.clone(),
                title: text.clone(),
            },
            Content::Image {
                media_id, caption, ..
            } => Input::Image {
                media_id: media_id.clone(),
                caption: caption
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            },
            Content::Location { name, address, .. } => {
                let label = [name.as_deref(), address.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                Input::Location {
                    label: (!label.is_empty()).then_some(label),
                }
            }
            Content::Reaction { .. } => Input::Reaction,
            Content::Other { kind } => Input::Unsupported { kind: kind.clone() },
        }
    }

    /// The intent this message carries (only typed text carries one).
    pub fn intent(&self) -> Intent {
        match self {
            Input::Text { intent, .. } => *intent,
            _ => Intent::None,
        }
    }

    /// The words to read as an answer: typed text, a tapped choice's id, an image caption.
    pub fn answer_text(&self) -> Option<&str> {
        match self {
            Input::Text { text, .. } => Some(text),
            Input::Choice { id, .. } => Some(id),
            Input::Image { caption, .. } => caption.as_deref(),
            Input::Location { label } => label.as_deref(),
            Input::Reaction | Input::Unsupported { .. } => None,
        }
    }
}
