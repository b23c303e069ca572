//! Reminders: scheduled per lead and kind, fired by the reminders worker.

use super::ids::LeadId;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// What a reminder is for (`reminders.kind`). The engine names the kinds it schedules; a kind
/// this build does not know is kept as written (the reminders role records it and moves on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderKind {
    /// Time passed for the lead: feed `Event::Tick` to the engine (the engine's `TICK_REMINDER`).
    Tick,
    Unknown(String),
}

impl ReminderKind {
    fn parse(text: String) -> ReminderKind {
        match text.as_str() {
            "tick" => ReminderKind::Tick,
            _ => ReminderKind::Unknown(text),
        }
    }
}

/// Schedules a reminder, replacing a pending one of the same kind.
pub async fn schedule(
    tx: &mut PgConnection,
    lead_id: LeadId,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    cancel(tx, lead_id, Some(kind)).await?;
    sqlx::query!(
        "INSERT INTO reminders (id, lead_id, kind, due_at) VALUES ($1, $2, $3, $4)",
        Uuid::now_v7(),
        lead_id.uuid(),
        kind,
        at,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Cancels pending reminders of a kind (or all).
pub async fn cancel(
    tx: &mut PgConnection,
    lead_id: LeadId,
    kind: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE reminders SET cancelled_at = now()
         WHERE lead_id = $1 AND ($2::text IS NULL OR kind = $2) AND fired_at IS NULL AND cancelled_at IS NULL",
        lead_id.uuid(),
        kind,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Reminders due now, oldest first: not fired, cancelled or parked, and not waiting for a retry
/// after a failure (`store::parking`). Candidates only: [`mark_fired`] re-checks under a lock.
pub async fn due(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<(Uuid, LeadId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, lead_id AS "lead_id: LeadId" FROM reminders
         WHERE fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL AND due_at <= now()
           AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         ORDER BY due_at LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.lead_id)).collect())
}

/// Marks a reminder fired if it is still due, pending and not parked; its kind, or `None` when
/// another replica fired it first or it was cancelled meanwhile.
pub async fn mark_fired(
    tx: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ReminderKind>, sqlx::Error> {
    let kind = sqlx::query_scalar!(
        "UPDATE reminders SET fired_at = now()
         WHERE id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND parked_at IS NULL
           AND due_at <= now()
         RETURNING kind",
        id,
    )
    .fetch_optional(tx)
    .await?;
    Ok(kind.map(ReminderKind::parse))
}
