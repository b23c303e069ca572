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
    sqlx::query!(
        "INSERT INTO system_events (artist_id, lead_id, kind, severity, detail) VALUES ($1, $2, $3, $4, $5)",
        artist_id,
        lead_id,
        kind,
        severity.as_str(),
        detail,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// `system_events.severity` as the core's [`Severity`].
pub(super) fn severity_of(text: &str) -> Result<Severity, sqlx::Error> {
    [Severity::Info, Severity::Warning, Severity::Error]
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| super::text::decode_error("Severity", text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_the_columns_check() {
        let sql = include_str!("../../../../migrations/20261125000001_foundation.sql");
        let values = super::super::text::check_values(sql, "system_events", "severity");
        assert_eq!(values.len(), 3);
        for v in values {
            assert_eq!(severity_of(&v).map(Severity::as_str).ok(), Some(v.as_str()));
        }
    }
}
