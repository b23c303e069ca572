//! The conversation engine's inputs and outputs: lead state, events and effects (all plain data).

use crate::domain::{MessageBody, Status, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything the engine knows about one lead. Persisted as `leads.state` (JSON); `status` and
/// `step` are mirrored into their own columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadState {
    pub status: Status,
    /// The question being asked (its catalog key), if any.
    #[serde(default)]
    pub step: Option<String>,
    /// Latest answers by key (the engine's typed view lives in `answers`' JSON values).
    #[serde(default)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// Failed re-asks of the current question.
    #[serde(default)]
    pub reasks: u8,
    /// The client's WhatsApp profile name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Engine-private extras (handover, references, estimate, ...), free-form so the engine can grow.
    #[serde(default)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl LeadState {
    /// A lead that has never said anything.
    pub fn new() -> Self {
        LeadState {
            status: Status::New,
            step: None,
            answers: serde_json::Map::new(),
            reasks: 0,
            name: None,
            last_inbound_at: None,
            extra: serde_json::Map::new(),
        }
    }
}

impl Default for LeadState {
    fn default() -> Self {
        Self::new()
    }
}

/// What a client sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text { body: String },
    Image { media_id: String, mime_type: Option<String>, caption: Option<String> },
    /// An interactive reply button or list row was tapped.
    Choice { id: String, title: String },
    /// A quick-reply button on a template was tapped.
    TemplateButton { payload: String, text: String },
    Location { latitude: f64, longitude: f64, name: Option<String>, address: Option<String> },
    Reaction { emoji: Option<String> },
    /// Anything else (audio, video, sticker, document, contacts, unsupported...).
    Other { kind: String },
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

/// Something that happened to a lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Inbound(Inbound),
    /// Time passed (driven by the reminders worker).
    Tick,
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
    Send { to: Recipient, body: MessageBody },
    /// An answer was recorded (kept in `lead_answers` history; latest wins).
    RecordAnswer { key: String, value: serde_json::Value, raw: Option<String> },
    /// A job for another worker (`jobs.sheets`, `jobs.calendar`, `jobs.payments`).
    Job { topic: String, payload: serde_json::Value },
    ScheduleReminder { kind: String, at: DateTime<Utc> },
    CancelReminders { kind: Option<String> },
    SystemEvent { kind: String, severity: Severity, detail: serde_json::Value },
}

/// The engine's answer: the new state, what to do, and the status changes made on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub state: LeadState,
    pub effects: Vec<Effect>,
    pub transitions: Vec<Transition>,
}
