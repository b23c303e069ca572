//! The outbox: rows written in the business transaction, published by the relay after commit.

use crate::bus::message::Outgoing;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

/// The channel an insert into `outbox` notifies (the trigger in the foundation migration).
pub const NOTIFY_CHANNEL: &str = "inkline_outbox";

/// A connection listening for new outbox rows (the relays wake on it instead of polling).
pub async fn listen(pool: &sqlx::PgPool) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(NOTIFY_CHANNEL).await?;
    Ok(listener)
}

/// Wakes the relays now rather than at their next poll.
pub async fn notify(db: impl PgExecutor<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(NOTIFY_CHANNEL)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds a message for `topic` (a queue name). `id` becomes the AMQP message id, which consumers
/// use to drop the duplicates a relay crash can cause.
pub async fn insert(
    tx: &mut PgConnection,
    id: Uuid,
    topic: &str,
    payload: &impl serde::Serialize,
    correlation_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO outbox (id, topic, payload, headers) VALUES ($1, $2, $3, $4)",
        id,
        topic,
        &self::payload(payload)?,
        headers(correlation_id),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A job as an outbox row's `payload`.
pub(super) fn payload(job: &impl serde::Serialize) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// An outbox row's `headers`: what travels with the message besides its payload.
pub(super) fn headers(correlation_id: &str) -> serde_json::Value {
    serde_json::json!({ "correlation_id": correlation_id })
}

/// One unpublished row.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub id: Uuid,
    pub topic: String,
    pub payload: serde_json::Value,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
}

impl OutboxRow {
    pub fn to_outgoing(&self) -> Outgoing {
        let payload = serde_json::to_vec(&self.payload).unwrap_or_default();
        Outgoing::json(self.id.to_string(), payload, &self.correlation_id)
    }
}

/// Locks up to `limit` unpublished rows, oldest first, skipping rows another relay holds, parked
/// rows, and rows waiting out their back-off after a failed publish (`store::parking`).
pub async fn claim(tx: &mut PgConnection, limit: i64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, topic, payload, headers->>'correlation_id' AS cid, created_at FROM outbox
         WHERE published_at IS NULL AND parked_at IS NULL
           AND (next_attempt_at IS NULL OR next_attempt_at <= now())
         ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(OutboxRow {
                id: r.try_get("id")?,
                topic: r.try_get("topic")?,
                payload: r.try_get("payload")?,
                correlation_id: r.try_get::<Option<String>, _>("cid")?.unwrap_or_default(),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

pub async fn mark_published(tx: &mut PgConnection, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1)",
        ids,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Holds rows back for `delay` without counting an attempt: their queue refused them for now
/// (full), which says nothing about the rows themselves.
pub async fn defer(
    tx: &mut PgConnection,
    ids: &[Uuid],
    delay: std::time::Duration,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3
         WHERE id = ANY($1)",
    )
    .bind(ids)
    .bind(delay.as_millis() as f64)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}

/// Rows waiting to be published (for readiness and the console); parked rows are not waiting.
pub async fn pending(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM outbox WHERE published_at IS NULL AND parked_at IS NULL"#
    )
    .fetch_one(db)
    .await
}
