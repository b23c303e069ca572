//! Outbound WhatsApp message bodies: what the engine decides to say and the sender sends.

use serde::{Deserialize, Serialize};

/// A tappable choice (reply button or list row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Choice {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }
}

/// The content of one outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageBody {
    Text {
        text: String,
    },
    /// Up to three reply buttons.
    Buttons {
        text: String,
        buttons: Vec<Choice>,
    },
    /// A list of up to ten rows behind one button.
    List {
        text: String,
        button: String,
        rows: Vec<Choice>,
    },
    /// An approved template (the only kind allowed outside the 24 h window).
    Template {
        name: String,
        language: String,
        params: Vec<String>,
    },
}

impl MessageBody {
    pub fn text(text: impl Into<String>) -> Self {
        MessageBody::Text { text: text.into() }
    }

    /// The kind as stored in `messages.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            MessageBody::Text { .. } => "text",
            MessageBody::Buttons { .. } | MessageBody::List { .. } => "interactive",
            MessageBody::Template { .. } => "template",
        }
    }

    /// The human-readable text, for the transcript.
    pub fn preview(&self) -> String {
        match self {
            MessageBody::Text { text } => text.clone(),
            MessageBody::Buttons { text, buttons } => {
                let titles: Vec<&str> = buttons.iter().map(|b| b.title.as_str()).collect();
                format!("{text} [{}]", titles.join(" | "))
            }
            MessageBody::List { text, rows, .. } => {
                let titles: Vec<&str> = rows.iter().map(|b| b.title.as_str()).collect();
                format!("{text} [{}]", titles.join(" | "))
            }
            MessageBody::Template { name, params, .. } => {
                format!("template {name}({})", params.join(", "))
            }
        }
    }
}
