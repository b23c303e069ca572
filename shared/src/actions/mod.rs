//! Artist actions on a lead (console, admin API, action links): each goes through the engine and
//! the state machine and is applied in one transaction, with an audit event.

use crate::conversation::{ArtistAction, Event, Recipient, Severity};
use crate::domain::{MessageBody, Status};
use crate::store::effects::{self, Subject};
use crate::store::{artists, leads, system_events};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// What the artist asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Take the chat over from the bot (→ NEEDS_ARTIST_REPLY).
    Handover,
    /// Give the chat back to the bot.
    Resume,
    /// Send the client a message as the artist (the sender applies the 24 h rule).
    Reply { text: String },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Handover => "handover",
            Action::Resume => "resume",
            Action::Reply { .. } => "reply",
        }
    }
}

/// What an action did.
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
    NotAllowed { action: &'static str, status: Status },
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
    let lead = leads::lock(&mut tx, lead_id).await?.ok_or(ActionError::NotFound)?;
    let artist = artists::by_id(&mut *tx, lead.artist_id).await?.ok_or(ActionError::NotFound)?;
    let from = lead.state.status;
    let name = action.name();
    let to = match &action {
        Action::Handover | Action::Resume => {
            let engine_action = if action == Action::Handover { ArtistAction::TakeOver } else { ArtistAction::Resume };
            let decision = crate::conversation::step(&lead.state, &Event::Artist(engine_action), &artist.config, chrono::Utc::now())
                .map_err(|_| ActionError::NotAllowed { action: name, status: from })?;
            if decision.transitions.is_empty() {
                return Err(ActionError::NotAllowed { action: name, status: from });
            }
            let who = Subject { artist: &artist, lead_id, client_wa_id: &lead.wa_id, correlation_id, source_message_id: None };
            effects::apply(&mut tx, &who, from, &decision).await?;
            decision.state.status
        }
        Action::Reply { text } => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > 4096 {
                return Err(ActionError::Invalid("the reply must be 1 to 4096 characters".into()));
            }
            if from == Status::Optout {
                return Err(ActionError::NotAllowed { action: name, status: from });
            }
            effects::enqueue_send(&mut tx, artist.id, Some(lead_id), Recipient::Client, &lead.wa_id, MessageBody::text(text), correlation_id)
                .await?;
            from
        }
    };
    system_events::record(
        &mut *tx,
        Some(artist.id),
        Some(lead_id),
        "artist_action",
        Severity::Info,
        serde_json::json!({"action": name, "actor": actor, "from": from, "to": to}),
    )
    .await?;
    tx.commit().await?;
    Ok(ActionOutcome { lead_id, from, to })
}
