//! Database pool, migrations (embedded from `migrations/`) and the schema-version check.

use crate::config::DbConfig;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The schema, embedded at build time from `migrations/` (the only place it is defined).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// Opens a pool with bounded waits: acquiring a connection, every statement and every lock wait
/// have a timeout, so no caller hangs on a database that stopped answering.
pub async fn connect(cfg: &DbConfig) -> Result<PgPool, sqlx::Error> {
    let ms = |d: Duration| d.as_millis().max(1).to_string();
    let options = PgConnectOptions::from_str(cfg.database_url.expose())?.options([
        ("statement_timeout", ms(cfg.statement_timeout)),
        ("lock_timeout", ms(cfg.lock_timeout)),
        // A transaction left open by a stuck task must not hold its row locks for ever.
        (
            "idle_in_transaction_session_timeout",
            ms(IDLE_IN_TRANSACTION),
        ),
    ]);
    PgPoolOptions::new()
        .max_connections(cfg.max_connections.max(1))
        .acquire_timeout(cfg.acquire_timeout)
        // No ping before every use (a round trip per statement outside a transaction): a
        // connection the server dropped fails its statement with an I/O error, which every caller
        // treats as an outage (held and run again), and the pool discards it.
        .test_before_acquire(false)
        .connect_with(options)
        .await
}

/// Whether the database answers a trivial query right now (readiness checks).
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// Postgres ends a session that sits inside a transaction doing nothing for this long.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(120);

/// True when the error says Postgres cannot be reached right now (pool timeout, connection
/// refused or reset, the server shutting down or refusing connections) — an outage, not the
/// fault of the work being done, so it must not count as a failed attempt.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| unavailable_sqlstate(&c)),
        _ => false,
    }
}

/// SQLSTATEs of an unreachable server: class 08 (connection exception), 57P01–57P03 (admin or
/// crash shutdown, cannot connect now), 53300 (too many connections).
fn unavailable_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

/// [`is_unavailable`] for an error that may wrap a `sqlx::Error` anywhere in its source chain (an
/// `anyhow::Error` via `as_ref()`, a [`LeadError`](super::leads::LeadError)): the question the
/// time-driven loops ask before counting a failure against a row (`store::parking`).
pub fn caused_by_unavailable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(sql) = err.downcast_ref::<sqlx::Error>() {
            return is_unavailable(sql);
        }
        next = err.source();
    }
    false
}

/// Applies pending migrations (`inkline migrate`).
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// The newest migration this binary knows.
pub fn expected_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Why a binary refuses to run on this database.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("the database has no Inkline schema: run `inkline migrate` first")]
    Empty,
    #[error(
        "the database schema is at version {found}, this binary needs {expected}: run `inkline migrate`"
    )]
    Older { found: i64, expected: i64 },
    #[error(
        "the database schema is at version {found}, newer than this binary ({expected}): deploy the newer binary"
    )]
    Newer { found: i64, expected: i64 },
    #[error("cannot read the schema version: {0}")]
    Db(#[from] sqlx::Error),
}

/// Checks that the applied schema is exactly the one this binary was built for.
pub async fn check_schema(pool: &PgPool) -> Result<(), SchemaError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Err(SchemaError::Empty);
    }
    let found: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    let expected = expected_version();
    match found {
        None => Err(SchemaError::Empty),
        Some(f) if f < expected => Err(SchemaError::Older { found: f, expected }),
        Some(f) if f > expected => Err(SchemaError::Newer { found: f, expected }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_told_apart_from_failures() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let cases: Vec<(sqlx::Error, bool)> = vec![
            (sqlx::Error::PoolTimedOut, true),
            (sqlx::Error::PoolClosed, true),
            (sqlx::Error::Io(refused), true),
            (sqlx::Error::RowNotFound, false),
            (sqlx::Error::Protocol("unexpected".into()), false),
            (sqlx::Error::ColumnNotFound("x".into()), false),
        ];
        for (e, want) in cases {
            assert_eq!(is_unavailable(&e), want, "{e}");
        }
        for (code, want) in [
            ("08006", true),
            ("08001", true),
            ("57P01", true),
            ("57P03", true),
            ("53300", true),
            ("57014", false), // statement timeout: this work was too slow
            ("55P03", false), // lock timeout
            ("23505", false),
            ("40001", false),
        ] {
            assert_eq!(unavailable_sqlstate(code), want, "{code}");
        }
    }

    #[test]
    fn wrapped_errors_are_classified_through_their_chain() {
        use crate::store::leads::LeadError;
        let outage = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("firing a reminder");
        assert!(caused_by_unavailable(outage.as_ref()));
        let lead = anyhow::Error::new(LeadError::Db(sqlx::Error::PoolClosed));
        assert!(caused_by_unavailable(lead.as_ref()));
        let corrupt =
            anyhow::Error::new(LeadError::Corrupt(uuid::Uuid::nil().into(), "bad".into()));
        assert!(!caused_by_unavailable(corrupt.as_ref()));
        let row = anyhow::Error::new(LeadError::Db(sqlx::Error::RowNotFound)).context("expiring");
        assert!(!caused_by_unavailable(row.as_ref()));
    }
}
