//! The conversation engine's inputs and outputs: events, effects and the decision (all plain data).
//! The lead state itself lives in `state.rs`.

use crate::domain::{MessageBody, Money, Transition};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use super::deposit::PaymentMethod;
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

/// Something the artist (or an operator on their behalf) did to a lead from the console, the
/// admin API or an action link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ArtistAction {
    /// The artist takes the chat over: the bot goes quiet (→ NEEDS_ARTIST_REPLY).
    TakeOver,
    /// The artist hands the chat back to the bot (NEEDS_ARTIST_REPLY → where the bot can continue).
    Resume,
    /// The artist accepts the request: a deposit is asked for (→ AWAITING_DEPOSIT). Without an
    /// amount the estimate's suggestion is used (minor units of the artist's currency).
    Approve {
        #[serde(default)]
        deposit_minor: Option<i64>,
    },
    /// The artist declines the request (→ REJECTED); the client gets a kind message.
    Reject {
        #[serde(default)]
        reason: Option<String>,
    },
    /// The artist needs more from the client before deciding (→ NEEDS_ARTIST_REPLY).
    AskMore {
        #[serde(default)]
        note: Option<String>,
    },
    /// Send the deposit link again: the open one, or a new one once it expired.
    SendDepositAgain,
    /// The deposit was paid outside Stripe (→ DEPOSIT_PAID → BOOKING_PENDING).
    MarkPaidOffline { method: PaymentMethod },
}

/// What the payments worker learned from Stripe (or its own clock) about a lead's deposit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "payment", rename_all = "snake_case")]
pub enum PaymentEvent {
    /// A Checkout Session exists for deposit `attempt`: the client gets its link.
    CheckoutCreated {
        attempt: u32,
        session_id: String,
        url: String,
        amount: Money,
        expires_at: DateTime<Utc>,
    },
    /// Stripe refused to create the session for good: the artist takes over.
    CheckoutFailed { attempt: u32, reason: String },
    /// The deposit of `attempt` was paid (amount and currency already checked by the worker).
    Paid { attempt: u32, amount: Money },
    /// The link of `attempt` ran out, or its delayed payment failed.
    Expired { attempt: u32, reason: ExpiryReason },
    /// Money went back to the client; `full` when nothing of the deposit is left.
    Refunded { amount_refunded: Money, full: bool },
}

/// Why a deposit link stopped working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryReason {
    /// The session's `expires_at` passed (Stripe's event or our own sweep).
    LinkExpired,
    /// A delayed payment method (e.g. a bank debit) failed.
    PaymentFailed,
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
    /// A deposit moved (the payments worker).
    Payment(PaymentEvent),
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
    /// Single-use action links for the artist message right before this effect. The pure engine
    /// cannot mint tokens, so the shell does (`actions::links`), binding each to the lead, its
    /// action and the lead's status after this decision, and appends one "label: URL" line each.
    ActionLinks {
        links: Vec<ActionLink>,
    },
}

/// One action link to offer the artist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLink {
    /// What the artist reads before the URL ("✅ Approve (£150 deposit)").
    pub label: String,
    pub action: ArtistAction,
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
