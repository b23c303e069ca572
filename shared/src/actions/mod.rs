//! Artist actions on a lead (console, admin API, action links): each goes through the engine and
//! the state machine and is applied in one transaction, with an audit event.
//!
//! ```text
//! perform(pool, lead_id, Action, actor, correlation_id) -> Result<ActionOutcome, ActionError>
//! ```
//! `Action::{Handover, Resume, Reply{text}, Approve{deposit_minor}, Reject{reason},
//! AskMore{note}, SendDeposit, MarkPaidOffline{method}}`. An action that does not apply to the
//! lead's status is `ActionError::NotAllowed { action, status }` (the API's 409) and changes and
//! sends nothing; bad input is `Invalid` (400). Retrying is safe: the lead's row lock serialises
//! two devices, and a repeated approve of a lead already awaiting its deposit answers `Ok` with
//! `from == to` and changes nothing (one Checkout Session, one link). Action links: [`links`].

pub mod links;

use crate::conversation::{ArtistAction, Event, PaymentMethod, Recipient, Severity};
use crate::domain::{MessageBody, Status};
use crate::store::effects::{self, Subject};
use crate::store::{artists, deposits, leads, system_events};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Longest reason or note the artist may attach (it goes into a WhatsApp message).
const NOTE_MAX_CHARS: usize = 1000;

/// What the artist asked for. JSON: `{"action": "approve", "deposit_minor": 15000}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Take the chat over from the bot (→ NEEDS_ARTIST_REPLY).
    Handover,
    /// Give the chat back to the bot.
    Resume,
    /// Send the client a message as the artist (the sender applies the 24 h rule).
    Reply { text: String },
    /// Accept the request and ask for a deposit (→ AWAITING_DEPOSIT; the payments worker creates
    /// the Checkout Session and sends the link). Without an amount: the estimate's suggestion.
    Approve {
        #[serde(default)]
        deposit_minor: Option<i64>,
    },
    /// Decline the request (→ REJECTED) with an optional reason the client reads.
    Reject {
        #[serde(default)]
        reason: Option<String>,
    },
    /// Ask the client for more before deciding (→ NEEDS_ARTIST_REPLY, back on resume).
    AskMore {
        #[serde(default)]
        note: Option<String>,
    },
    /// Send the deposit link again (a new one once the last expired).
    SendDeposit,
    /// The deposit was paid in cash or by bank transfer (→ DEPOSIT_PAID → BOOKING_PENDING).
    MarkPaidOffline { method: PaymentMethod },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Handover => "handover",
            Action::Resume => "resume",
            Action::Reply { .. } => "reply",
            Action::Approve { .. } => "approve",
            Action::Reject { .. } => "reject",
            Action::AskMore { .. } => "ask_more",
            Action::SendDeposit => "send_deposit",
            Action::MarkPaidOffline { .. } => "mark_paid_offline",
        }
    }

    /// What the action will do, for a confirmation page.
    pub fn describe(&self) -> String {
        match self {
            Action::Handover => "Take the chat over from the bot".into(),
            Action::Resume => "Hand the chat back to the bot".into(),
            Action::Reply { .. } => "Send your reply to the client".into(),
            Action::Approve {
                deposit_minor: None,
            } => "Approve the request and send the client the suggested deposit link".into(),
            Action::Approve {
                deposit_minor: Some(m),
            } => {
                format!(
                    "Approve the request and send the client a deposit link for {m} (minor units)"
                )
            }
            Action::Reject { .. } => "Decline the request (the client gets a kind message)".into(),
            Action::AskMore { .. } => {
                "Ask the client for more details (you take over the chat)".into()
            }
            Action::SendDeposit => "Send the client the deposit link again".into(),
            Action::MarkPaidOffline { method } => {
                format!("Record the deposit as paid ({})", method.as_str())
            }
        }
    }

    /// The engine's event for this action (`Reply` is not a state change).
    pub fn engine_action(&self) -> Option<ArtistAction> {
        Some(match self {
            Action::Handover => ArtistAction::TakeOver,
            Action::Resume => ArtistAction::Resume,
            Action::Reply { .. } => return None,
            Action::Approve { deposit_minor } => ArtistAction::Approve {
                deposit_minor: *deposit_minor,
            },
            Action::Reject { reason } => ArtistAction::Reject {
                reason: reason.clone(),
            },
            Action::AskMore { note } => ArtistAction::AskMore { note: note.clone() },
            Action::SendDeposit => ArtistAction::SendDepositAgain,
            Action::MarkPaidOffline { method } => ArtistAction::MarkPaidOffline { method: *method },
        })
    }

    /// Refuses input no status could accept.
    fn validate(&self) -> Result<(), ActionError> {
        let note_ok = |n: &Option<String>| {
            n.as_ref()
                .is_none_or(|n| n.chars().count() <= NOTE_MAX_CHARS)
        };
        match self {
            Action::Approve {
                deposit_minor: Some(m),
            } => crate::payments::validate_deposit_minor(*m).map_err(ActionError::Invalid),
            Action::Reject { reason: n } | Action::AskMore { note: n } if !note_ok(n) => {
                Err(ActionError::Invalid(format!(
                    "the text must be at most {NOTE_MAX_CHARS} characters"
                )))
            }
            Action::MarkPaidOffline {
                method: PaymentMethod::Stripe,
            } => Err(ActionError::Invalid(
                "an off-platform payment is cash or bank".into(),
            )),
            Action::Reply { text }
                if text.trim().is_empty() || text.trim().chars().count() > 4096 =>
            {
                Err(ActionError::Invalid(
                    "the reply must be 1 to 4096 characters".into(),
                ))
            }
            _ => Ok(()),
        }
    }
}

impl From<&ArtistAction> for Action {
    fn from(a: &ArtistAction) -> Self {
        match a {
            ArtistAction::TakeOver => Action::Handover,
            ArtistAction::Resume => Action::Resume,
            ArtistAction::Approve { deposit_minor } => Action::Approve {
                deposit_minor: *deposit_minor,
            },
            ArtistAction::Reject { reason } => Action::Reject {
                reason: reason.clone(),
            },
            ArtistAction::AskMore { note } => Action::AskMore { note: note.clone() },
            ArtistAction::SendDepositAgain => Action::SendDeposit,
            ArtistAction::MarkPaidOffline { method } => Action::MarkPaidOffline { method: *method },
        }
    }
}

/// What an action did (`from == to` for a reply, or a repeated approve that changed nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub lead_id: Uuid,
    pub from: Status,
    pub to: Status,
}

/// Why an action was refused. Nothing changed in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("no such lead")]
    NotFound,
    #[error("{action} is not possible while the lead is {status}")]
    NotAllowed {
        action: &'static str,
        status: Status,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Store(String),
}

impl From<leads::LeadError> for ActionError {
    fn from(e: leads::LeadError) -> Self {
        match e {
            leads::LeadError::Db(e) => ActionError::Db(e),
            other => ActionError::Store(other.to_string()),
        }
    }
}

impl From<artists::ArtistError> for ActionError {
    fn from(e: artists::ArtistError) -> Self {
        ActionError::Store(e.to_string())
    }
}

/// Performs `action` on a lead for `actor` (e.g. "admin", "artist:demo", "link").
pub async fn perform(
    pool: &PgPool,
    lead_id: Uuid,
    action: Action,
    actor: &str,
    correlation_id: &str,
) -> Result<ActionOutcome, ActionError> {
    let mut tx = pool.begin().await?;
    let outcome = perform_in(&mut tx, lead_id, &action, actor, correlation_id, Utc::now()).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`perform`] inside the caller's transaction (action links mark their token in the same one).
pub(crate) async fn perform_in(
    tx: &mut PgConnection,
    lead_id: Uuid,
    action: &Action,
    actor: &str,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<ActionOutcome, ActionError> {
    action.validate()?;
    let lead = leads::lock(tx, lead_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let artist = artists::by_id(&mut *tx, lead.artist_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let from = lead.state.status;
    let name = action.name();
    let not_allowed = || ActionError::NotAllowed {
        action: name,
        status: from,
    };
    let to = match (action, action.engine_action()) {
        (_, Some(engine_action)) => {
            let decision = crate::conversation::step(
                &lead.state,
                &Event::Artist(engine_action),
                &artist.config,
                now,
            )
            .map_err(|_| not_allowed())?;
            if decision.transitions.is_empty() && decision.effects.is_empty() {
                if matches!(action, Action::Approve { .. }) && from == Status::AwaitingDeposit {
                    // Approved already (a retried request, another device): one deposit, one link.
                    return Ok(ActionOutcome {
                        lead_id,
                        from,
                        to: from,
                    });
                }
                return Err(not_allowed());
            }
            let who = Subject {
                artist: &artist,
                lead_id,
                client_wa_id: &lead.wa_id,
                correlation_id,
                source_message_id: None,
            };
            effects::apply(tx, &who, from, &decision).await?;
            if let (Action::MarkPaidOffline { method }, Some(d)) =
                (action, decision.state.deposit.as_ref())
            {
                deposits::insert_offline(
                    tx,
                    lead_id,
                    d.attempt,
                    d.amount.amount_minor,
                    d.amount.currency.as_str(),
                    method.as_str(),
                )
                .await?;
            }
            decision.state.status
        }
        (Action::Reply { text }, None) => {
            if from == Status::Optout {
                return Err(not_allowed());
            }
            effects::enqueue_send(
                tx,
                artist.id,
                Some(lead_id),
                Recipient::Client,
                &lead.wa_id,
                MessageBody::text(text.trim()),
                correlation_id,
            )
            .await?;
            from
        }
        (_, None) => return Err(not_allowed()),
    };
    system_events::record(
        &mut *tx,
        Some(artist.id),
        Some(lead_id),
        "artist_action",
        Severity::Info,
        serde_json::json!({"action": name, "actor": actor, "from": from, "to": to, "params": action}),
    )
    .await?;
    Ok(ActionOutcome { lead_id, from, to })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_the_wire_names_and_round_trip() {
        let cases = [
            (
                Action::Approve {
                    deposit_minor: Some(15_000),
                },
                serde_json::json!({"action": "approve", "deposit_minor": 15000}),
            ),
            (
                Action::SendDeposit,
                serde_json::json!({"action": "send_deposit"}),
            ),
            (
                Action::MarkPaidOffline {
                    method: PaymentMethod::Cash,
                },
                serde_json::json!({"action": "mark_paid_offline", "method": "cash"}),
            ),
            (
                Action::Reject { reason: None },
                serde_json::json!({"action": "reject", "reason": null}),
            ),
        ];
        for (action, json) in cases {
            assert_eq!(serde_json::to_value(&action).unwrap(), json);
            assert_eq!(serde_json::from_value::<Action>(json).unwrap(), action);
            if let Some(engine) = action.engine_action() {
                assert_eq!(Action::from(&engine), action);
            }
        }
        assert_eq!(
            serde_json::from_value::<Action>(serde_json::json!({"action": "approve"})).unwrap(),
            Action::Approve {
                deposit_minor: None
            }
        );
    }

    #[test]
    fn input_no_status_accepts_is_invalid() {
        assert!(matches!(
            Action::Approve {
                deposit_minor: Some(0)
            }
            .validate(),
            Err(ActionError::Invalid(_))
        ));
        assert!(matches!(
            Action::MarkPaidOffline {
                method: PaymentMethod::Stripe
            }
            .validate(),
            Err(ActionError::Invalid(_))
        ));
        assert!(matches!(
            Action::Reject {
                reason: Some("x".repeat(1001))
            }
            .validate(),
            Err(ActionError::Invalid(_))
        ));
        assert!(matches!(
            Action::Reply { text: "  ".into() }.validate(),
            Err(ActionError::Invalid(_))
        ));
        assert!(
            Action::Approve {
                deposit_minor: None
            }
            .validate()
            .is_ok()
        );
    }
}
