//! One bad row doesn't stop a loop. The time-driven loops (reminders, the deposit-expiry sweep, the
//! outbox relay) handle each row on its own; when a row's *own* processing fails it is counted
//! (`attempts`, `last_error`), skipped until `next_attempt_at` (growing back-off), and after
//! `ROW_MAX_ATTEMPTS` parked (`parked_at`, `parked_reason`) with a `row_parked` system event and
//! `inkline_rows_parked_total{loop}`. Parked rows wait for a person: `inkline parked list` shows
//! them, `inkline parked retry` puts them back.
//!
//! A database outage is not a row's failure (`db::is_unavailable`): the loop backs off and retries
//! the pass without touching any row.

use crate::config::ParkingConfig;
use crate::metrics::metrics;
use chrono::{DateTime, Utc};
use inkline_core::conversation::Severity;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// A loop whose rows can be parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loop {
    /// `reminders` rows fired by the reminders role.
    Reminders,
    /// `deposits` rows the payments role expires when their link ran out.
    ExpirySweep,
    /// `outbox` rows the relay publishes.
    Outbox,
}

/// The columns one loop keeps its bookkeeping in.
struct Columns {
    table: &'static str,
    attempts: &'static str,
    last_error: &'static str,
    next_attempt_at: &'static str,
    parked_at: &'static str,
    parked_reason: &'static str,
    /// The row still needs this loop (not fired, not expired, not published...).
    open: &'static str,
    /// What the row is, for the parked list.
    what: &'static str,
    lead_id: &'static str,
}

impl Loop {
    pub const ALL: [Loop; 3] = [Loop::Reminders, Loop::ExpirySweep, Loop::Outbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Loop::Reminders => "reminders",
            Loop::ExpirySweep => "expiry_sweep",
            Loop::Outbox => "outbox",
        }
    }

    fn columns(self) -> Columns {
        match self {
            Loop::Reminders => Columns {
                table: "reminders",
                attempts: "attempts",
                last_error: "last_error",
                next_attempt_at: "next_attempt_at",
                parked_at: "parked_at",
                parked_reason: "parked_reason",
                open: "fired_at IS NULL AND cancelled_at IS NULL",
                what: "kind",
                lead_id: "lead_id",
            },
            Loop::ExpirySweep => Columns {
                table: "deposits",
                attempts: "expiry_attempts",
                last_error: "expiry_last_error",
                next_attempt_at: "expiry_next_attempt_at",
                parked_at: "expiry_parked_at",
                parked_reason: "expiry_parked_reason",
                open: "status = 'pending'",
                what: "'deposit attempt ' || attempt",
                lead_id: "lead_id",
            },
            Loop::Outbox => Columns {
                table: "outbox",
                attempts: "attempts",
                last_error: "last_error",
                next_attempt_at: "next_attempt_at",
                parked_at: "parked_at",
                parked_reason: "parked_reason",
                open: "published_at IS NULL",
                what: "topic",
                // Jobs name their lead; the cast is guarded so a foreign payload cannot fail the query.
                lead_id: "CASE WHEN payload->>'lead_id' ~ '^[0-9a-f-]{36}$' \
                          THEN (payload->>'lead_id')::uuid END",
            },
        }
    }
}

impl fmt::Display for Loop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Loop {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Loop::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!("unknown loop {s:?} (expected reminders, expiry_sweep or outbox)")
            })
    }
}

/// The wait before attempt `failures + 1`: `retry_base` × 2^(failures−1), at most `retry_max`.
pub fn retry_delay(cfg: &ParkingConfig, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(20);
    cfg.retry_base.saturating_mul(factor).min(cfg.retry_max)
}

/// What became of a row after a failure was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// It will be tried again after `after`.
    Retrying { attempts: u32, after: Duration },
    /// It failed `attempts` times and waits for a person.
    Parked { attempts: u32 },
    /// Another worker holds the row or it no longer needs this loop: nothing recorded.
    NotRecorded,
}

/// Records that `id`'s own processing failed with `error`, on `conn` (a transaction the caller
/// commits). Parks the row once it has failed `cfg.park_after` times, with a `row_parked` system
/// event. The caller counts a park with [`count`] once its transaction committed.
pub async fn record_failure(
    conn: &mut PgConnection,
    lp: Loop,
    id: Uuid,
    error: &str,
    cfg: &ParkingConfig,
) -> Result<Failure, sqlx::Error> {
    let c = lp.columns();
    let row = sqlx::query(&format!(
        "SELECT {attempts} AS attempts, {lead} AS lead_id, {what} AS what FROM {table}
         WHERE id = $1 AND {open} AND {parked} IS NULL FOR UPDATE SKIP LOCKED",
        attempts = c.attempts,
        lead = c.lead_id,
        what = c.what,
        table = c.table,
        open = c.open,
        parked = c.parked_at,
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Failure::NotRecorded);
    };
    let attempts = u32::try_from(row.try_get::<i32, _>("attempts")?.saturating_add(1)).unwrap_or(1);
    let lead_id: Option<Uuid> = row.try_get("lead_id")?;
    let what: Option<String> = row.try_get("what")?;
    // Errors can be long (a whole HTTP body); the row keeps the start.
    let error = inkline_core::graph::truncate(error, 2_000);
    if attempts < cfg.park_after {
        let after = retry_delay(cfg, attempts);
        sqlx::query(&format!(
            "UPDATE {table} SET {attempts} = $2, {last_error} = $3,
                {next} = now() + $4 * interval '1 millisecond' WHERE id = $1",
            table = c.table,
            attempts = c.attempts,
            last_error = c.last_error,
            next = c.next_attempt_at,
        ))
        .bind(id)
        .bind(attempts as i32)
        .bind(&error)
        .bind(after.as_millis() as f64)
        .execute(&mut *conn)
        .await?;
        return Ok(Failure::Retrying { attempts, after });
    }
    let reason = format!("failed {attempts} times; last error: {error}");
    sqlx::query(&format!(
        "UPDATE {table} SET {attempts} = $2, {last_error} = $3, {next} = NULL,
            {parked} = now(), {reason} = $4 WHERE id = $1",
        table = c.table,
        attempts = c.attempts,
        last_error = c.last_error,
        next = c.next_attempt_at,
        parked = c.parked_at,
        reason = c.parked_reason,
    ))
    .bind(id)
    .bind(attempts as i32)
    .bind(&error)
    .bind(&reason)
    .execute(&mut *conn)
    .await?;
    // The event is tied to the lead when it still exists (the lead page shows it).
    let owner: Option<(Uuid, Uuid)> = match lead_id {
        Some(lead) => {
            sqlx::query_as("SELECT id, artist_id FROM leads WHERE id = $1")
                .bind(lead)
                .fetch_optional(&mut *conn)
                .await?
        }
        None => None,
    };
    tracing::error!(%lp, row_id = %id, attempts, %error, "row parked after repeated failures");
    super::system_events::record(
        &mut *conn,
        owner.map(|o| o.1),
        owner.map(|o| o.0),
        "row_parked",
        Severity::Error,
        serde_json::json!({
            "loop": lp.as_str(),
            "row_id": id,
            "what": what,
            "attempts": attempts,
            "error": error,
            "retry": format!("inkline parked retry {} {id}", lp.as_str()),
        }),
    )
    .await?;
    Ok(Failure::Parked { attempts })
}

/// [`record_failure`] in a transaction of its own (for loops whose row transaction rolled back),
/// counting a park once committed.
pub async fn record_failure_now(
    pool: &PgPool,
    lp: Loop,
    id: Uuid,
    error: &str,
    cfg: &ParkingConfig,
) -> Result<Failure, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let failure = record_failure(&mut tx, lp, id, error, cfg).await?;
    tx.commit().await?;
    count(lp, &failure);
    Ok(failure)
}

/// Counts a recorded failure in the metrics (call after the transaction committed).
pub fn count(lp: Loop, failure: &Failure) {
    let m = metrics();
    match failure {
        Failure::Retrying { .. } => m.row_failures.with_label_values(&[lp.as_str()]).inc(),
        Failure::Parked { .. } => {
            m.row_failures.with_label_values(&[lp.as_str()]).inc();
            m.rows_parked.with_label_values(&[lp.as_str()]).inc();
        }
        Failure::NotRecorded => {}
    }
}

/// One parked row, as `inkline parked list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Parked {
    #[serde(rename = "loop")]
    pub lp: &'static str,
    pub id: Uuid,
    pub lead_id: Option<Uuid>,
    /// What the row is: a reminder kind, a deposit attempt, an outbox topic.
    pub what: Option<String>,
    pub attempts: i32,
    pub parked_at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Parked rows of every loop (or one), most recently parked first.
pub async fn list(
    db: impl PgExecutor<'_>,
    only: Option<Loop>,
    limit: i64,
) -> Result<Vec<Parked>, sqlx::Error> {
    let selects: Vec<String> = Loop::ALL
        .into_iter()
        .filter(|l| only.is_none_or(|o| o == *l))
        .map(|l| {
            let c = l.columns();
            format!(
                "SELECT '{name}' AS lp, id, {lead} AS lead_id, {what} AS what, {attempts} AS attempts,
                    {parked} AS parked_at, {reason} AS reason FROM {table} WHERE {parked} IS NOT NULL",
                name = l.as_str(),
                lead = c.lead_id,
                what = c.what,
                attempts = c.attempts,
                parked = c.parked_at,
                reason = c.parked_reason,
                table = c.table,
            )
        })
        .collect();
    let rows = sqlx::query(&format!(
        "{} ORDER BY parked_at DESC LIMIT $1",
        selects.join(" UNION ALL ")
    ))
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let lp: String = r.try_get("lp")?;
            Ok(Parked {
                lp: lp.parse::<Loop>().map(Loop::as_str).unwrap_or("unknown"),
                id: r.try_get("id")?,
                lead_id: r.try_get("lead_id")?,
                what: r.try_get("what")?,
                attempts: r.try_get("attempts")?,
                parked_at: r.try_get("parked_at")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Puts parked rows of `lp` back (one by id, or all): attempts start again from zero and the loop
/// picks them up on its next pass. Returns how many rows were unparked; records a
/// `rows_unparked` system event naming who asked.
pub async fn retry(
    pool: &PgPool,
    lp: Loop,
    id: Option<Uuid>,
    actor: &str,
) -> Result<u64, sqlx::Error> {
    let c = lp.columns();
    let mut tx = pool.begin().await?;
    let n = sqlx::query(&format!(
        "UPDATE {table} SET {parked} = NULL, {reason} = NULL, {attempts} = 0, {next} = NULL
         WHERE {parked} IS NOT NULL AND ($1::uuid IS NULL OR id = $1)",
        table = c.table,
        parked = c.parked_at,
        reason = c.parked_reason,
        attempts = c.attempts,
        next = c.next_attempt_at,
    ))
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n > 0 {
        super::system_events::record(
            &mut *tx,
            None,
            None,
            "rows_unparked",
            Severity::Info,
            serde_json::json!({"loop": lp.as_str(), "row_id": id, "rows": n, "by": actor}),
        )
        .await?;
    }
    tx.commit().await?;
    if lp == Loop::Outbox && n > 0 {
        let _ = super::outbox::notify(pool).await;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_round_trip_through_their_names() {
        for l in Loop::ALL {
            assert_eq!(l.as_str().parse::<Loop>(), Ok(l));
        }
        assert!("cron".parse::<Loop>().is_err());
    }

    #[test]
    fn retry_delays_double_and_are_capped() {
        let cfg = ParkingConfig {
            park_after: 10,
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(60),
        };
        let delays: Vec<u64> = (1..=6).map(|n| retry_delay(&cfg, n).as_secs()).collect();
        assert_eq!(delays, [5, 10, 20, 40, 60, 60]);
        assert_eq!(retry_delay(&cfg, u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn the_default_policy_parks_after_about_forty_minutes_of_failures() {
        let cfg = ParkingConfig::default();
        let total: Duration = (1..cfg.park_after).map(|n| retry_delay(&cfg, n)).sum();
        assert!(
            total > Duration::from_secs(30 * 60) && total < Duration::from_secs(60 * 60),
            "{total:?}"
        );
    }
}
