//! Reminders: scheduled per lead and kind, fired by the reminders worker.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Schedules a reminder, replacing a pending one of the same kind.
pub async fn schedule(
    tx: &mut PgConnection,
    lead_id: Uuid,
    kind: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    cancel(tx, lead_id, Some(kind)).await?;
    sqlx::query("INSERT INTO reminders (id, lead_id, kind, due_at) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7())
        .bind(lead_id)
        .bind(kind)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Cancels pending reminders of a kind (or all).
pub async fn cancel(
    tx: &mut PgConnection,
    lead_id: Uuid,
    kind: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reminders SET cancelled_at = now()
         WHERE lead_id = $1 AND ($2::text IS NULL OR kind = $2) AND fired_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(lead_id)
    .bind(kind)
    .execute(tx)
    .await?;
    Ok(())
}
