//! Artists (tenants): upsert from configuration, look up by phone number id, slug or id.

use chrono::{DateTime, Utc};
use inkline_core::domain::ArtistConfig;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// An artist row with its parsed configuration.
#[derive(Debug, Clone)]
pub struct Artist {
    pub id: Uuid,
    pub config: ArtistConfig,
    pub sending_paused_at: Option<DateTime<Utc>>,
    pub sending_paused_reason: Option<String>,
    /// When the row last changed (configuration, pause or resume).
    pub updated_at: DateTime<Utc>,
}

/// Errors reading artists.
#[derive(Debug, thiserror::Error)]
pub enum ArtistError {
    // Not `transparent`: callers walk `source()` to tell an outage (`sqlx::Error`) apart.
    #[error("{0}")]
    Db(#[from] sqlx::Error),
    #[error("stored configuration of artist {0} is invalid: {1}")]
    Corrupt(Uuid, String),
}

const COLS: &str = "id, config, sending_paused_at, sending_paused_reason, updated_at";

fn from_row(row: sqlx::postgres::PgRow) -> Result<Artist, ArtistError> {
    let id: Uuid = row.try_get("id")?;
    let config: serde_json::Value = row.try_get("config")?;
    let config =
        ArtistConfig::from_json(config).map_err(|e| ArtistError::Corrupt(id, e.to_string()))?;
    Ok(Artist {
        id,
        config,
        sending_paused_at: row.try_get("sending_paused_at")?,
        sending_paused_reason: row.try_get("sending_paused_reason")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Inserts or updates by slug; returns the id and whether it was created.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    cfg: &ArtistConfig,
) -> Result<(Uuid, bool), sqlx::Error> {
    let json = serde_json::to_value(cfg).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let row = sqlx::query(
        "INSERT INTO artists (id, slug, name, phone_number_id, artist_wa_id, timezone, currency, config)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, phone_number_id = EXCLUDED.phone_number_id,
            artist_wa_id = EXCLUDED.artist_wa_id, timezone = EXCLUDED.timezone, currency = EXCLUDED.currency,
            config = EXCLUDED.config, updated_at = now()
         RETURNING id, (xmax = 0) AS created",
    )
    .bind(Uuid::now_v7())
    .bind(&cfg.slug)
    .bind(&cfg.name)
    .bind(&cfg.phone_number_id)
    .bind(&cfg.artist_wa_id)
    .bind(&cfg.timezone)
    .bind(cfg.currency.as_str())
    .bind(json)
    .fetch_one(db)
    .await?;
    Ok((row.try_get("id")?, row.try_get("created")?))
}

pub async fn by_phone_number_id(
    db: impl PgExecutor<'_>,
    phone_number_id: &str,
) -> Result<Option<Artist>, ArtistError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM artists WHERE phone_number_id = $1"
    ))
    .bind(phone_number_id)
    .fetch_optional(db)
    .await?;
    row.map(from_row).transpose()
}

pub async fn by_slug(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<Artist>, ArtistError> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM artists WHERE slug = $1"))
        .bind(slug)
        .fetch_optional(db)
        .await?;
    row.map(from_row).transpose()
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Artist>, ArtistError> {
    let row = sqlx::query(&format!("SELECT {COLS} FROM artists WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.map(from_row).transpose()
}

pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<Artist>, ArtistError> {
    let rows = sqlx::query(&format!("SELECT {COLS} FROM artists ORDER BY slug"))
        .fetch_all(db)
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// Stops (reason Some) or resumes (None) sending for an artist.
pub async fn set_sending_paused(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE artists SET sending_paused_at = CASE WHEN $2::text IS NULL THEN NULL ELSE COALESCE(sending_paused_at, now()) END,
                sending_paused_reason = $2, updated_at = now() WHERE id = $1",
        id,
        reason,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stops sending for an artist (WhatsApp token expired, account blocked). True only for the call
/// that actually paused it, so the alert is raised once.
pub async fn pause_sending(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE artists SET sending_paused_at = now(), sending_paused_reason = $2, updated_at = now()
         WHERE id = $1 AND sending_paused_at IS NULL",
        id,
        reason,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Resumes sending for an artist after an operator fixed the cause (e.g. a new token in the
/// artist's configuration): clears the pause and queues every message parked meanwhile again,
/// in their original order, through the outbox. Returns how many were queued again.
pub async fn resume_sending(pool: &sqlx::PgPool, id: Uuid) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE artists SET sending_paused_at = NULL, sending_paused_reason = NULL, updated_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // The original send job is the outbox row with the message's id; a copy under a new id is
    // published again (the sender is idempotent by message id).
    let requeued = sqlx::query(
        "INSERT INTO outbox (id, topic, payload, headers)
         SELECT gen_random_uuid(), o.topic, o.payload, o.headers
           FROM messages m JOIN outbox o ON o.id = m.id
          WHERE m.artist_id = $1 AND m.direction = 'out' AND m.status = 'queued' AND m.parked_at IS NOT NULL
          ORDER BY m.send_seq",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    // Expected soon: the stall sweep must not take the wait for the new jobs for a lost one.
    sqlx::query(
        "UPDATE messages SET parked_at = NULL, parked_reason = NULL, next_visit_at = now()
         WHERE artist_id = $1 AND direction = 'out' AND status = 'queued' AND parked_at IS NOT NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(requeued.rows_affected())
}
