//! One file per `inkline` subcommand.

pub mod artist;
pub mod dev;
pub mod dlq;
pub mod migrate;
pub mod parked;
pub mod parse;
pub mod serve;

use infra::config::{DbConfig, EnvReader};

/// The database of `DATABASE_URL`, at the schema version this build expects.
pub async fn pool() -> anyhow::Result<sqlx::PgPool> {
    let pool = connect().await?;
    infra::store::db::check_schema(&pool).await?;
    Ok(pool)
}

/// The database of `DATABASE_URL`, whatever its schema version (for `inkline migrate`).
pub async fn connect() -> anyhow::Result<sqlx::PgPool> {
    let mut env = EnvReader::from_env();
    let db = DbConfig::read(&mut env);
    env.finish()?;
    infra::store::db::connect(&db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))
}
