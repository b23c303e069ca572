//! Database pool, migrations (embedded from `migrations/`) and the schema-version check.

use crate::config::DbConfig;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// The schema, embedded at build time from `migrations/` (the only place it is defined).
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens a pool with bounded waits.
pub async fn connect(cfg: &DbConfig) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(cfg.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect(cfg.database_url.expose())
        .await
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
