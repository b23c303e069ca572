//! Idempotent consumers: a provider's event id is recorded in the same transaction as its effect.

use sqlx::PgConnection;

/// Records `(provider, id)`; false when it was already processed (a duplicate to skip).
pub async fn first_time(
    tx: &mut PgConnection,
    provider: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO processed_events (provider, id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        provider,
        id,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
