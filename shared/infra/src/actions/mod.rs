//! Artist actions on a lead (console, admin API, action links): each goes through the engine and
//! the state machine and is applied in one transaction, with an audit event.
//!
//! ```text
//! perform(pool, lead_id, Action, actor, correlation_id) -> Result<ActionOutcome, ActionError>
//! ```
//! The actions are the core's one vocabulary, `inkline_core::conversation::ArtistAction`
//! (`handover`, `resume`, `reply`, `approve`, `reject`, `ask-more`, `send-deposit`, `mark-paid`),
//! and every one goes through the engine by [`crate::decisions::decide`]. One that does not apply
//! to the lead's status is `ActionError::NotAllowed { action, status }` (the API's 409) and changes and
//! sends nothing; bad input is `Invalid` (400). Retrying is safe: the lead's row lock serialises
//! two devices, and a repeated approve of a lead already awaiting its deposit answers `Ok` with
//! `from == to` and changes nothing (one Checkout Session, one link). Action links: [`links`].

pub mod links;
pub mod sending;

use crate::decisions::{self, Asker, Cause, DecideError, Verdict};
use crate::store::ids::LeadId;
use crate::store::{artists, deposits, leads, system_events};
use chrono::{DateTime, Utc};
use inkline_core::conversation::{ArtistAction, Event, Severity};
use inkline_core::domain::Status;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

/// What an action did (`from == to` for a reply, or a repeated approve that changed nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub lead_id: LeadId,
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

impl From<DecideError> for ActionError {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::Db(e) | DecideError::Lead(leads::LeadError::Db(e)) => ActionError::Db(e),
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
    lead_id: LeadId,
    action: ArtistAction,
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
    lead_id: LeadId,
    action: &ArtistAction,
    actor: &str,
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Result<ActionOutcome, ActionError> {
    action.validate().map_err(ActionError::Invalid)?;
    let locked = decisions::lock(tx, lead_id)
        .await?
        .ok_or(ActionError::NotFound)?;
    let artist_id = locked.artist.id;
    let from = locked.lead.state.status;
    let name = action.name();
    let not_allowed = || ActionError::NotAllowed {
        action: name,
        status: from,
    };
    let cause = Cause {
        correlation_id,
        source_message_id: None,
        context: serde_json::json!({"action": name, "actor": actor}),
    };
    let event = Event::Artist(action.clone());
    let decision = match decisions::decide(tx, &locked, &event, now, &cause, Asker::Artist).await? {
        Verdict::Applied(decision) => decision,
        Verdict::Refused(_) => return Err(not_allowed()),
        Verdict::NothingToDo => {
            if matches!(action, ArtistAction::Approve { .. }) && from == Status::AwaitingDeposit {
                // Approved already (a retried request, another device): one deposit, one link.
                return Ok(ActionOutcome {
                    lead_id,
                    from,
                    to: from,
                });
            }
            return Err(not_allowed());
        }
    };
    if let (ArtistAction::MarkPaid { method }, Some(d)) = (action, decision.state.deposit.as_ref())
    {
        deposits::insert_offline(
            tx,
            lead_id,
            d.attempt,
            d.amount.amount_minor,
            d.amount.currency.as_str(),
            *method,
        )
        .await?;
    }
    let to = decision.state.status;
    system_events::record(
        &mut *tx,
        Some(artist_id),
        Some(lead_id.uuid()),
        "artist_action",
        Severity::Info,
        serde_json::json!({"action": name, "actor": actor, "from": from, "to": to, "params": action}),
    )
    .await?;
    Ok(ActionOutcome { lead_id, from, to })
}
