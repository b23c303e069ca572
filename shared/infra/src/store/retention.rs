//! Retention: finished rows older than their configured age are deleted in small batches. Each
//! batch locks its rows with `FOR UPDATE SKIP LOCKED`, so any number of replicas can run it at
//! once without waiting on or failing over each other; every statement is short.
//!
//! What is never deleted here: unpublished or parked outbox rows, leads and their transcript.

use std::fmt;
use std::time::Duration;

/// A table retention trims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Dedup records of provider ids (`RETENTION_PROCESSED_EVENTS_DAYS`).
    ProcessedEvents,
    /// Published outbox rows (`RETENTION_OUTBOX_DAYS`).
    Outbox,
    /// The audit trail (`RETENTION_SYSTEM_EVENTS_DAYS`).
    SystemEvents,
    /// Action tokens, by expiry (`RETENTION_ACTION_TOKENS_DAYS`).
    ActionTokens,
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::ProcessedEvents,
        Table::Outbox,
        Table::SystemEvents,
        Table::ActionTokens,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Table::ProcessedEvents => "processed_events",
            Table::Outbox => "outbox",
            Table::SystemEvents => "system_events",
            Table::ActionTokens => "action_tokens",
        }
    }

    /// The age limit for this table from the settings (`None`: kept forever).
    pub fn age(self, cfg: &crate::config::RetentionConfig) -> Option<Duration> {
        match self {
            Table::ProcessedEvents => cfg.processed_events,
            Table::Outbox => cfg.outbox,
            Table::SystemEvents => cfg.system_events,
            Table::ActionTokens => cfg.action_tokens,
        }
    }

    /// One batch: `$1` is the age in seconds, `$2` the batch size. Each uses an index on its time
    /// column (migration `bounded_growth`).
    fn delete_sql(self) -> &'static str {
        match self {
            Table::ProcessedEvents => {
                "DELETE FROM processed_events WHERE (provider, id) IN (
                    SELECT provider, id FROM processed_events
                    WHERE processed_at < now() - make_interval(secs => $1)
                    ORDER BY processed_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
            }
            Table::Outbox => {
                "DELETE FROM outbox WHERE id IN (
                    SELECT id FROM outbox
                    WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)
                    ORDER BY published_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
            }
            Table::SystemEvents => {
                "DELETE FROM system_events WHERE id IN (
                    SELECT id FROM system_events
                    WHERE at < now() - make_interval(secs => $1)
                    ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)"
            }
            Table::ActionTokens => {
                "DELETE FROM action_tokens WHERE id IN (
                    SELECT id FROM action_tokens
                    WHERE expires_at < now() - make_interval(secs => $1)
                    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
            }
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Deletes up to `batch` rows of `table` older than `age` (by the database clock); returns how
/// many. Fewer than `batch` means nothing old is left (except rows another replica holds).
pub async fn delete_batch(
    db: impl sqlx::PgExecutor<'_>,
    table: Table,
    age: Duration,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(table.delete_sql())
        .bind(age.as_secs_f64())
        .bind(batch)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
