//! The conversation engine's inputs and outputs: events, effects and the decision (all plain data).
//! The lead state itself lives in `state.rs`.

use crate::domain::{MessageBody, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::state::LeadState;

/// What a client sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
    },
    Image {
        media_id: String,
        mime_type: Option<String>,
        caption: Option<String>,
    },
    /// An interactive reply button or list row was tapped.
    Choice {
        id: String,
        title: String,
    },
    /// A quick-reply button on a template was tapped.
    TemplateButton {
        payload: String,
        text: String,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    Reaction {
        emoji: Option<String>,
    },
    /// Anything else (audio, video, sticker, document, contacts, unsupported...).
    Other {
        kind: String,
    },
}

/// One inbound WhatsApp message, decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    /// The provider's message id (`wamid...`).
    pub id: String,
    pub at: DateTime<Utc>,
    pub profile_name: Option<String>,
    pub content: Content,
}

/// Something the artist (or an operator on their behalf) did to a lead from the console or an
/// action link. Approve/reject/deposit actions arrive with the payments issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ArtistAction {
    /// The artist takes the chat over: the bot goes quiet (→ NEEDS_ARTIST_REPLY).
    TakeOver,
    /// The artist hands the chat back to the bot (NEEDS_ARTIST_REPLY → where the bot can continue).
    Resume,
}

/// Something that happened to a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Inbound(Inbound),
    /// Time passed (driven by the reminders worker): abandon, stale, handover holding messages.
    Tick,
    /// An artist action from the console/API.
    Artist(ArtistAction),
}

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    Client,
    Artist,
}

/// How bad a system event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A consequence of a decision, carried out by the worker shell in the same transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Send a message (to the client or the artist's own number).
    Send {
        to: Recipient,
        body: MessageBody,
    },
    /// An answer was recorded (kept in `lead_answers` history; latest wins).
    RecordAnswer {
        key: String,
        value: serde_json::Value,
        raw: Option<String>,
    },
    /// A job for another worker (`jobs.sheets`, `jobs.calendar`, `jobs.payments`). The shell adds
    /// the lead id and artist slug, which the pure core does not know.
    Job {
        topic: String,
        payload: serde_json::Value,
    },
    /// Wake the lead at `at` (the reminders worker turns a due `tick` reminder into `Event::Tick`).
    ScheduleReminder {
        kind: String,
        at: DateTime<Utc>,
    },
    CancelReminders {
        kind: Option<String>,
    },
    SystemEvent {
        kind: String,
        severity: Severity,
        detail: serde_json::Value,
    },
}

/// The engine's answer: the new state, what to do, and the status changes made on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: LeadState,
    pub effects: Vec<Effect>,
    pub transitions: Vec<Transition>,
}

impl Decision {
    /// The messages this decision sends to the client, in order.
    pub fn client_messages(&self) -> impl Iterator<Item = &MessageBody> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Send {
                to: Recipient::Client,
                body,
            } => Some(body),
            _ => None,
        })
    }

    /// The notifications this decision sends to the artist, in order.
    pub fn artist_messages(&self) -> impl Iterator<Item = &MessageBody> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Send {
                to: Recipient::Artist,
                body,
            } => Some(body),
            _ => None,
        })
    }
}
