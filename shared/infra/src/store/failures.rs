//! Making a delivery failure visible to the artist: a system event, and one WhatsApp notification
//! to the artist's own number per failed message (never about a notification to the artist
//! itself, which could loop).

use super::{artists, messages, outbound, system_events};
use inkline_core::conversation::{Recipient, Severity};
use inkline_core::domain::MessageBody;
use inkline_core::jobs::TemplateKind;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// Why a message did not reach its recipient.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub message_id: Uuid,
    /// `send_failed` (the API refused it) or `message_failed` (a failed status webhook).
    pub kind: &'a str,
    pub code: Option<i64>,
    pub detail: &'a str,
}

/// Records the failure and, the first time for this message, tells the artist.
pub async fn report(
    pool: &PgPool,
    f: &Failure<'_>,
    correlation_id: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT artist_id, lead_id, wa_id, recipient, text FROM messages WHERE id = $1",
    )
    .bind(f.message_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let artist_id: Uuid = row.try_get("artist_id")?;
    let lead_id: Option<Uuid> = row.try_get("lead_id")?;
    let wa_id: String = row.try_get("wa_id")?;
    let recipient = messages::recipient_of(row.try_get("recipient")?)?;
    let text: Option<String> = row.try_get("text")?;
    system_events::record(
        &mut *tx,
        Some(artist_id),
        lead_id,
        f.kind,
        Severity::Error,
        serde_json::json!({"message_id": f.message_id, "code": f.code, "detail": f.detail}),
    )
    .await?;
    let first = sqlx::query(
        "UPDATE messages SET artist_notified_at = now() WHERE id = $1 AND artist_notified_at IS NULL AND recipient = 'client'",
    )
    .bind(f.message_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let artist = if first && recipient == Recipient::Client {
        artists::by_id(&mut *tx, artist_id).await.ok().flatten()
    } else {
        None
    };
    if let Some(to) = artist.and_then(|a| a.config.artist_wa_id) {
        let code = f
            .code
            .map(|c| format!(" (WhatsApp error {c})"))
            .unwrap_or_default();
        let preview = inkline_core::graph::truncate(text.as_deref().unwrap_or(""), 200);
        let note = format!(
            "⚠️ A message to +{wa_id} was not delivered{code}: \"{preview}\". {}",
            f.detail
        );
        let outbound = outbound::Outbound {
            artist_id,
            lead_id,
            recipient: Recipient::Artist,
            wa_id: &to,
            body: MessageBody::text(note),
            template: Some(TemplateKind::ArtistNotification),
            template_params: Vec::new(),
        };
        outbound::enqueue_outbound(&mut tx, outbound, correlation_id).await?;
    }
    tx.commit().await
}
