//! Leads: get-or-create under a row lock, and the one guarded write of a new state.

use super::ids::{ArtistId, LeadId};
use chrono::{DateTime, Utc};
use inkline_core::conversation::LeadState;
use inkline_core::domain::{Status, Transition};
use sqlx::{PgConnection, PgExecutor, Row};

/// A lead row as the workers use it.
#[derive(Debug, Clone)]
pub struct LeadRow {
    pub id: LeadId,
    pub artist_id: ArtistId,
    pub wa_id: String,
    pub state: LeadState,
    pub created_at: DateTime<Utc>,
}

/// Errors writing leads.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    // Not `transparent`: callers walk `source()` to tell an outage (`sqlx::Error`) apart.
    #[error("{0}")]
    Db(#[source] sqlx::Error),
    #[error("lead {id} was expected in {expected} but is not: concurrent change")]
    Conflict { id: LeadId, expected: Status },
    #[error("lead {0} has an unreadable state: {1}")]
    Corrupt(LeadId, String),
}

const COLS: &str = "id, artist_id, wa_id, status, state, created_at";

fn from_row(row: sqlx::postgres::PgRow) -> Result<LeadRow, LeadError> {
    let id: LeadId = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let status: Status =
        status
            .parse()
            .map_err(|e: inkline_core::domain::status::UnknownStatus| {
                LeadError::Corrupt(id, e.to_string())
            })?;
    let raw: serde_json::Value = row.try_get("state")?;
    let mut state: LeadState = if raw.as_object().is_some_and(|o| o.is_empty()) {
        LeadState::new()
    } else {
        serde_json::from_value(raw).map_err(|e| LeadError::Corrupt(id, e.to_string()))?
    };
    // The column is the source of truth for the status (it is what the CHECK and guards see).
    state.status = status;
    Ok(LeadRow {
        id,
        artist_id: row.try_get("artist_id")?,
        wa_id: row.try_get("wa_id")?,
        state,
        created_at: row.try_get("created_at")?,
    })
}

/// Finds the lead of (artist, client) or creates it as NEW, and locks its row for this transaction.
/// Returns whether it was created.
pub async fn lock_or_create(
    tx: &mut PgConnection,
    artist_id: ArtistId,
    wa_id: &str,
) -> Result<(LeadRow, bool), LeadError> {
    // One round trip: the new lead (locked, as ours), or the existing one locked.
    let row = sqlx::query(&format!(
        "WITH ins AS (
             INSERT INTO leads (id, artist_id, wa_id, status) VALUES ($1, $2, $3, $4)
             ON CONFLICT (artist_id, wa_id) DO NOTHING
             RETURNING {COLS}, true AS created),
         old AS (
             SELECT {COLS}, false AS created FROM leads WHERE artist_id = $2 AND wa_id = $3 FOR UPDATE)
         SELECT * FROM ins UNION ALL SELECT * FROM old"
    ))
    .bind(LeadId::new())
    .bind(artist_id)
    .bind(wa_id)
    .bind(Status::New.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = row {
        let created: bool = row.try_get("created")?;
        return Ok((from_row(row)?, created));
    }
    // Another transaction created it after this statement's snapshot was taken (two first
    // messages at once): it is committed now, so lock it.
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM leads WHERE artist_id = $1 AND wa_id = $2 FOR UPDATE"
    ))
    .bind(artist_id)
    .bind(wa_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok((from_row(row)?, false))
}

/// Locks a lead by id.
pub async fn lock(tx: &mut PgConnection, id: LeadId) -> Result<Option<LeadRow>, LeadError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM leads WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(tx)
    .await?;
    row.map(from_row).transpose()
}

/// A lead's status, unlocked (`None`: no such lead, or a status this build does not know).
pub async fn status_of(db: impl PgExecutor<'_>, id: LeadId) -> Result<Option<Status>, sqlx::Error> {
    let s = sqlx::query_scalar!("SELECT status FROM leads WHERE id = $1", id.uuid())
        .fetch_optional(db)
        .await?;
    Ok(s.and_then(|s| s.parse().ok()))
}

/// [`status_of`], locking the lead's row for this transaction.
pub async fn lock_status(tx: &mut PgConnection, id: LeadId) -> Result<Option<Status>, sqlx::Error> {
    let s = sqlx::query_scalar!(
        "SELECT status FROM leads WHERE id = $1 FOR UPDATE",
        id.uuid()
    )
    .fetch_optional(tx)
    .await?;
    Ok(s.and_then(|s| s.parse().ok()))
}

/// Whether a lead with this id exists (an id from outside, e.g. Stripe metadata, is not ours to
/// trust).
pub async fn exists(db: impl PgExecutor<'_>, id: LeadId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM leads WHERE id = $1) AS "exists!""#,
        id.uuid()
    )
    .fetch_one(db)
    .await
}

/// The lifecycle timestamp column first set when a lead reaches `status`.
fn lifecycle_column(status: Status) -> Option<&'static str> {
    use Status::*;
    match status {
        Qualifying => Some("qualifying_at"),
        PendingApproval => Some("pending_approval_at"),
        AwaitingDeposit => Some("deposit_requested_at"),
        Rejected => Some("rejected_at"),
        NeedsArtistReply => Some("handover_at"),
        Optout => Some("opted_out_at"),
        Abandoned => Some("abandoned_at"),
        DepositPaid => Some("deposit_paid_at"),
        Booked => Some("booked_at"),
        Cancelled => Some("cancelled_at"),
        Refunded => Some("refunded_at"),
        New
        | NeedsFollowUp
        | TourConversionOffered
        | Waitlisted
        | Stale
        | DepositExpired
        | BookingPending
        | CollectingTimeWindows => None,
    }
}

/// Writes the new state, guarded on the status the decision was made from, and appends the
/// status history. A lead that changed under us is a `Conflict`, never overwritten.
pub async fn save(
    tx: &mut PgConnection,
    id: LeadId,
    expected: Status,
    state: &LeadState,
    transitions: &[Transition],
) -> Result<(), LeadError> {
    let json = serde_json::to_value(state).map_err(|e| LeadError::Corrupt(id, e.to_string()))?;
    let mut stamps = String::new();
    for t in transitions {
        if let Some(col) = lifecycle_column(t.to) {
            stamps.push_str(&format!(", {col} = COALESCE({col}, now())"));
        }
        if t.from == Status::PendingApproval && t.to == Status::AwaitingDeposit {
            stamps.push_str(", approved_at = COALESCE(approved_at, now())");
        }
    }
    // The lead and its status history in one statement (one round trip).
    let sql = format!(
        "WITH u AS (
             UPDATE leads SET status = $3, step = $4, state = $5, answers = $6, estimate = $7, name = $8,
                 last_inbound_at = $9, updated_at = now(){stamps}
              WHERE id = $1 AND status = $2
             RETURNING id),
         h AS (
             INSERT INTO lead_status_history (lead_id, from_status, to_status, cause)
             SELECT u.id, t.from_status, t.to_status, t.cause
               FROM u, unnest($10::text[], $11::text[], $12::text[]) WITH ORDINALITY AS t(from_status, to_status, cause, n)
              ORDER BY t.n)
         SELECT count(*) FROM u"
    );
    let from: Vec<&str> = transitions.iter().map(|t| t.from.as_str()).collect();
    let to: Vec<&str> = transitions.iter().map(|t| t.to.as_str()).collect();
    let cause: Vec<&str> = transitions.iter().map(|t| t.cause.as_str()).collect();
    let updated: i64 = sqlx::query_scalar(&sql)
        .bind(id)
        .bind(expected.as_str())
        .bind(state.status.as_str())
        .bind(&state.step)
        .bind(&json)
        .bind(state.answers_json())
        .bind(state.estimate_json())
        .bind(&state.name)
        .bind(state.last_inbound_at)
        .bind(from)
        .bind(to)
        .bind(cause)
        .fetch_one(&mut *tx)
        .await?;
    if updated != 1 {
        return Err(LeadError::Conflict { id, expected });
    }
    Ok(())
}

/// Records one answer in the history (latest wins).
pub async fn record_answer(
    tx: &mut PgConnection,
    lead_id: LeadId,
    key: &str,
    value: &serde_json::Value,
    raw: Option<&str>,
    source_message_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO lead_answers (lead_id, key, value, raw, source_message_id) VALUES ($1, $2, $3, $4, $5)",
        lead_id.uuid(),
        key,
        value,
        raw,
        source_message_id,
    )
    .execute(tx)
    .await?;
    Ok(())
}
