//! The audit trail: notable things that are not plain state changes.

use inkline_core::conversation::Severity;
use sqlx::PgExecutor;
use uuid::Uuid;

/// Records one system event.
pub async fn record(
    db: impl PgExecutor<'_>,
    artist_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    kind: &str,
    severity: Severity,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO system_events (artist_id, lead_id, kind, severity, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(artist_id)
        .bind(lead_id)
        .bind(kind)
        .bind(severity.as_str())
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}
