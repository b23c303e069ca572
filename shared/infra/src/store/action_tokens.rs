//! Artist action links: only the SHA-256 of a token is stored, with the lead, the action, the
//! status it was issued for and its lifetime. Minting and redeeming live in `actions::links`.

use super::ids::LeadId;
use chrono::{DateTime, Utc};
use inkline_core::domain::Status;
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// One stored link.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: Uuid,
    pub lead_id: LeadId,
    /// The action's name (`approve`, `reject`...).
    pub action: String,
    /// The lead's status the link was issued for; `None` when it is not a status this build
    /// knows (a newer release wrote it): such a link is refused as issued for another status.
    pub for_status: Option<Status>,
    /// The whole action as JSON (`{"action": "approve", "deposit_minor": null}`).
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

const COLS: &str = "id, lead_id, action, for_status, params, created_at, expires_at, used_at";

fn from_row(r: &sqlx::postgres::PgRow) -> Result<TokenRow, sqlx::Error> {
    Ok(TokenRow {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        action: r.try_get("action")?,
        for_status: r.try_get::<&str, _>("for_status")?.parse().ok(),
        params: r.try_get("params")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
    })
}

/// Stores a new link by the hash of its token.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut PgConnection,
    token_hash: &[u8],
    lead_id: LeadId,
    action: &str,
    for_status: Status,
    params: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO action_tokens (id, token_hash, lead_id, action, for_status, params, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        token_hash,
        lead_id.uuid(),
        action,
        for_status.as_str(),
        params,
        expires_at,
    )
    .execute(tx)
    .await?;
    Ok(id)
}

/// The link with this hash, unlocked (the confirmation page).
pub async fn by_hash(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<Option<TokenRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM action_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The link with this hash, locked for this transaction (redeeming it).
pub async fn lock_by_hash(
    tx: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<TokenRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM action_tokens WHERE token_hash = $1 FOR UPDATE"
    ))
    .bind(token_hash)
    .fetch_optional(tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks a link used (in the transaction that performed its action).
pub async fn mark_used(
    tx: &mut PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE action_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
        id,
        at,
    )
    .execute(tx)
    .await?;
    Ok(())
}
