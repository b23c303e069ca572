//! The pacing limiter every sender replica shares: one `send_pacing` row per key holding its GCRA
//! time (`sender::pacing`). A reservation locks the recipient's row, then the number's row (always
//! in that order, so two reservations never deadlock), computes the slot with the database clock
//! (one clock for every replica), moves both on and commits. The caller sleeps until its slot.

use chrono::{DateTime, Duration, Utc};
use inkline_core::sender::pacing::{self, Limits};
use sqlx::{PgConnection, PgPool, Row};

/// The key of a sending number.
pub fn number_key(phone_number_id: &str) -> String {
    format!("number:{phone_number_id}")
}

/// The key of a (sending number, recipient) pair.
pub fn pair_key(phone_number_id: &str, wa_id: &str) -> String {
    format!("pair:{phone_number_id}:{wa_id}")
}

/// The answer to "may I send now?".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reservation {
    /// A slot is reserved: send after waiting this long.
    Slot { wait: Duration, tokens_left: f64 },
    /// Nothing reserved: the earliest slot is this far away (more than the caller wants to hold).
    NotBefore { wait: Duration },
}

/// Locks `key`'s row (creating it idle) and returns its `tat` and the database's clock.
async fn lock(
    tx: &mut PgConnection,
    key: &str,
) -> Result<(DateTime<Utc>, DateTime<Utc>), sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO send_pacing (key, tat) VALUES ($1, 'epoch')
         ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
         RETURNING tat, clock_timestamp() AS now",
    )
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    Ok((row.try_get("tat")?, row.try_get("now")?))
}

async fn store(tx: &mut PgConnection, key: &str, tat: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE send_pacing SET tat = $2, updated_at = now() WHERE key = $1")
        .bind(key)
        .bind(tat)
        .execute(tx)
        .await?;
    Ok(())
}

/// Reserves the next slot for one send from `number` (and to `pair`, for messages; None for
/// mark-as-read calls), unless it is more than `max_wait` away.
pub async fn reserve(
    pool: &PgPool,
    number: &str,
    pair: Option<&str>,
    limits: &Limits,
    max_wait: Duration,
) -> Result<Reservation, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let pair_tat = match pair {
        Some(key) => {
            let (tat, now) = lock(&mut tx, key).await?;
            let ready = pacing::pair_ready_at(tat, limits);
            if ready > now {
                tx.rollback().await?;
                return Ok(Reservation::NotBefore { wait: ready - now });
            }
            Some((key, tat))
        }
        None => None,
    };
    let (tat, now) = lock(&mut tx, number).await?;
    let (slot, next) = pacing::number_reserve(tat, now, limits);
    if slot - now > max_wait {
        tx.rollback().await?;
        return Ok(Reservation::NotBefore { wait: slot - now });
    }
    store(&mut tx, number, next).await?;
    if let Some((key, tat)) = pair_tat {
        store(&mut tx, key, pacing::pair_after_send(tat, slot, limits)).await?;
    }
    tx.commit().await?;
    Ok(Reservation::Slot {
        wait: slot - now,
        tokens_left: pacing::number_tokens(next, now, limits),
    })
}

/// Holds `key` until at least `tat` = now + `hold` (never moves it back): after Meta said "too
/// fast", every replica waits.
pub async fn hold(pool: &PgPool, key: &str, hold: Duration) -> Result<(), sqlx::Error> {
    let secs = hold.num_milliseconds().max(0) as f64 / 1000.0;
    sqlx::query(
        "INSERT INTO send_pacing (key, tat) VALUES ($1, clock_timestamp() + make_interval(secs => $2))
         ON CONFLICT (key) DO UPDATE SET tat = GREATEST(send_pacing.tat, EXCLUDED.tat), updated_at = now()",
    )
    .bind(key)
    .bind(secs)
    .execute(pool)
    .await?;
    Ok(())
}
