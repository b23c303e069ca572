//! The conversation engine's inputs and outputs: events, effects and the decision (all plain data).
//! The lead state itself lives in `state.rs`.

use super::state::{LeadState, PaymentMethod};
use crate::domain::{MessageBody, Money, Transition};
use crate::jobs::Job;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// Something the artist (or an operator on their behalf) asks of a lead from the console, the
/// admin API or an action link — the one vocabulary of artist actions. The serde names are the
/// names in the URLs (`POST /admin/leads/{id}/{action}`): `{"action": "send-deposit"}`. Older
/// spellings still decode (links minted before this vocabulary was unified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum ArtistAction {
    /// The artist takes the chat over: the bot goes quiet (→ NEEDS_ARTIST_REPLY).
    #[serde(alias = "take_over")]
    Handover,
    /// The artist hands the chat back to the bot (NEEDS_ARTIST_REPLY → where the bot can continue).
    Resume,
    /// The artist writes to the client (no status change; the sender applies the 24 h rule).
    Reply { text: String },
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
    #[serde(alias = "ask_more")]
    AskMore {
        #[serde(default)]
        note: Option<String>,
    },
    /// Send the deposit link again: the open one, or a new one once it expired.
    #[serde(alias = "send_deposit", alias = "send_deposit_again")]
    SendDeposit,
    /// The deposit was paid outside Stripe, in cash or by bank transfer (→ DEPOSIT_PAID →
    /// BOOKING_PENDING).
    #[serde(alias = "mark_paid_offline")]
    MarkPaid { method: PaymentMethod },
}

/// Longest reason or note the artist may attach (it goes into a WhatsApp message).
pub const NOTE_MAX_CHARS: usize = 1000;
/// Longest reply the artist may send (WhatsApp's text limit).
pub const REPLY_MAX_CHARS: usize = 4096;

impl ArtistAction {
    /// Every action's name, as in the URLs and the JSON.
    pub const NAMES: [&'static str; 8] = [
        "approve",
        "reject",
        "send-deposit",
        "ask-more",
        "mark-paid",
        "handover",
        "resume",
        "reply",
    ];

    /// The action's name (as in the URLs and the JSON).
    pub fn name(&self) -> &'static str {
        match self {
            ArtistAction::Handover => "handover",
            ArtistAction::Resume => "resume",
            ArtistAction::Reply { .. } => "reply",
            ArtistAction::Approve { .. } => "approve",
            ArtistAction::Reject { .. } => "reject",
            ArtistAction::AskMore { .. } => "ask-more",
            ArtistAction::SendDeposit => "send-deposit",
            ArtistAction::MarkPaid { .. } => "mark-paid",
        }
    }

    /// What the action will do, for a confirmation page.
    pub fn describe(&self) -> String {
        match self {
            ArtistAction::Handover => "Take the chat over from the bot".into(),
            ArtistAction::Resume => "Hand the chat back to the bot".into(),
            ArtistAction::Reply { .. } => "Send your reply to the client".into(),
            ArtistAction::Approve {
                deposit_minor: None,
            } => "Approve the request and send the client the suggested deposit link".into(),
            ArtistAction::Approve {
                deposit_minor: Some(m),
            } => format!(
                "Approve the request and send the client a deposit link for {m} (minor units)"
            ),
            ArtistAction::Reject { .. } => {
                "Decline the request (the client gets a kind message)".into()
            }
            ArtistAction::AskMore { .. } => {
                "Ask the client for more details (you take over the chat)".into()
            }
            ArtistAction::SendDeposit => "Send the client the deposit link again".into(),
            ArtistAction::MarkPaid { method } => {
                format!("Record the deposit as paid ({})", method.as_str())
            }
        }
    }

    /// Refuses input no status could accept (the reason, for a 400).
    pub fn validate(&self) -> Result<(), String> {
        let note_ok = |n: &Option<String>| {
            n.as_ref()
                .is_none_or(|n| n.chars().count() <= NOTE_MAX_CHARS)
        };
        match self {
            ArtistAction::Approve {
                deposit_minor: Some(m),
            } => crate::payments::validate_deposit_minor(*m),
            ArtistAction::Reject { reason: n } | ArtistAction::AskMore { note: n }
                if !note_ok(n) =>
            {
                Err(format!(
                    "the text must be at most {NOTE_MAX_CHARS} characters"
                ))
            }
            ArtistAction::MarkPaid {
                method: PaymentMethod::Stripe,
            } => Err("an off-platform payment is cash or bank".into()),
            ArtistAction::Reply { text }
                if text.trim().is_empty() || text.trim().chars().count() > REPLY_MAX_CHARS =>
            {
                Err(format!(
                    "the reply must be 1 to {REPLY_MAX_CHARS} characters"
                ))
            }
            _ => Ok(()),
        }
    }
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
    /// Send a message (to the client or the artist's own number), with single-use action links
    /// under it. The pure engine cannot mint tokens, so the shell does (`actions::links`), binding
    /// each to the lead, its action and the lead's status after this decision, and appends one
    /// "label: URL" line each.
    Send {
        to: Recipient,
        body: MessageBody,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<ActionLink>,
    },
    /// An answer was recorded (kept in `lead_answers` history; latest wins).
    RecordAnswer {
        key: String,
        value: serde_json::Value,
        raw: Option<String>,
    },
    /// A job for another role; it knows its queue. The shell adds the lead id and artist slug,
    /// which the pure core does not know (`jobs::LeadJob`).
    Job(Job),
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
                ..
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
                ..
            } => Some(body),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn artist_actions_are_named_as_in_the_urls_and_round_trip() {
        let cases = [
            (
                ArtistAction::Approve {
                    deposit_minor: Some(15_000),
                },
                json!({"action": "approve", "deposit_minor": 15000}),
            ),
            (ArtistAction::SendDeposit, json!({"action": "send-deposit"})),
            (
                ArtistAction::MarkPaid {
                    method: PaymentMethod::Cash,
                },
                json!({"action": "mark-paid", "method": "cash"}),
            ),
            (
                ArtistAction::Reject { reason: None },
                json!({"action": "reject", "reason": null}),
            ),
            (
                ArtistAction::AskMore { note: None },
                json!({"action": "ask-more", "note": null}),
            ),
            (ArtistAction::Handover, json!({"action": "handover"})),
            (ArtistAction::Resume, json!({"action": "resume"})),
            (
                ArtistAction::Reply { text: "hi".into() },
                json!({"action": "reply", "text": "hi"}),
            ),
        ];
        let mut names: Vec<&str> = Vec::new();
        for (action, wire) in cases {
            assert_eq!(serde_json::to_value(&action).unwrap(), wire);
            assert_eq!(wire["action"], action.name());
            assert_eq!(
                serde_json::from_value::<ArtistAction>(wire).unwrap(),
                action
            );
            names.push(action.name());
        }
        names.sort_unstable();
        let mut all = ArtistAction::NAMES.to_vec();
        all.sort_unstable();
        assert_eq!(names, all, "NAMES lists every action once");
    }

    #[test]
    fn links_minted_with_the_older_spellings_still_decode() {
        let old = [
            (json!({"action": "take_over"}), ArtistAction::Handover),
            (json!({"action": "send_deposit"}), ArtistAction::SendDeposit),
            (
                json!({"action": "send_deposit_again"}),
                ArtistAction::SendDeposit,
            ),
            (
                json!({"action": "ask_more"}),
                ArtistAction::AskMore { note: None },
            ),
            (
                json!({"action": "mark_paid_offline", "method": "bank"}),
                ArtistAction::MarkPaid {
                    method: PaymentMethod::Bank,
                },
            ),
            (
                json!({"action": "approve"}),
                ArtistAction::Approve {
                    deposit_minor: None,
                },
            ),
        ];
        for (wire, action) in old {
            assert_eq!(
                serde_json::from_value::<ArtistAction>(wire).unwrap(),
                action
            );
        }
    }

    #[test]
    fn input_no_status_accepts_is_invalid() {
        let invalid = [
            ArtistAction::Approve {
                deposit_minor: Some(0),
            },
            ArtistAction::MarkPaid {
                method: PaymentMethod::Stripe,
            },
            ArtistAction::Reject {
                reason: Some("x".repeat(NOTE_MAX_CHARS + 1)),
            },
            ArtistAction::Reply { text: "  ".into() },
            ArtistAction::Reply {
                text: "x".repeat(REPLY_MAX_CHARS + 1),
            },
        ];
        for action in invalid {
            assert!(action.validate().is_err(), "{action:?}");
        }
        assert!(
            ArtistAction::Approve {
                deposit_minor: None
            }
            .validate()
            .is_ok()
        );
    }
}
