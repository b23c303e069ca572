//! Outbound messages and the sender's chores, written to the transcript and the outbox in the
//! caller's transaction (the relay publishes them after commit).

use super::{messages, outbox};
use inkline_core::conversation::Recipient;
use inkline_core::jobs::{MediaJob, SendJob, TemplateKind, WhatsAppJob, partitions};
use sqlx::PgConnection;
use uuid::Uuid;

/// Writes an outbound message to the transcript and its send job to the outbox (same id).
pub async fn enqueue_send(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Option<Uuid>,
    recipient: Recipient,
    wa_id: &str,
    body: inkline_core::domain::MessageBody,
    correlation_id: &str,
) -> Result<Uuid, sqlx::Error> {
    let outbound = Outbound {
        artist_id,
        lead_id,
        recipient,
        wa_id,
        body,
        template: None,
        template_params: Vec::new(),
    };
    enqueue_outbound(tx, outbound, correlation_id).await
}

/// One outbound message with its template equivalent (for the 24 h window).
#[derive(Debug, Clone)]
pub struct Outbound<'a> {
    pub artist_id: Uuid,
    pub lead_id: Option<Uuid>,
    pub recipient: Recipient,
    pub wa_id: &'a str,
    pub body: inkline_core::domain::MessageBody,
    pub template: Option<TemplateKind>,
    pub template_params: Vec<String>,
}

/// Like [`enqueue_send`], naming the template that replaces the message outside the window.
pub async fn enqueue_outbound(
    tx: &mut PgConnection,
    m: Outbound<'_>,
    correlation_id: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let body = serde_json::to_value(&m.body).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let (kind, preview) = (m.body.kind(), m.body.preview());
    let job = SendJob {
        message_id: id,
        artist_id: m.artist_id,
        lead_id: m.lead_id,
        recipient: m.recipient,
        to: m.wa_id.to_owned(),
        body: m.body,
        template: m.template,
        template_params: m.template_params,
    };
    // The transcript row and the outbox row in one statement (one round trip).
    sqlx::query(
        "WITH m AS (
             INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, status)
             VALUES ($1, $2, $3, 'out', $4, $5, $6, $7, $8, 'queued'))
         INSERT INTO outbox (id, topic, payload, headers) VALUES ($1, $9, $10, $11)",
    )
    .bind(id)
    .bind(job.lead_id)
    .bind(job.artist_id)
    .bind(messages::recipient_text(job.recipient))
    .bind(&job.to)
    .bind(kind)
    .bind(preview)
    .bind(body)
    .bind(partitions::of(job.artist_id))
    .bind(outbox::payload(&job)?)
    .bind(outbox::headers(correlation_id))
    .execute(tx)
    .await?;
    Ok(id)
}

/// Stores an inbound message in the transcript (its wamid is unique: a duplicate is ignored) and
/// queues the sender's chores for it — mark it read, in the same statement, and download it when
/// it is an image (a reference photo).
pub async fn record_inbound(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Uuid,
    wa_id: &str,
    inbound: &inkline_core::conversation::Inbound,
    correlation_id: &str,
) -> Result<(), sqlx::Error> {
    let (kind, text) = messages::inbound_kind_and_text(&inbound.content);
    let body =
        serde_json::to_value(&inbound.content).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let read = WhatsAppJob::MarkRead {
        artist_id,
        wamid: inbound.id.clone(),
    };
    sqlx::query(
        "WITH m AS (
             INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body, provider_id, status, provider_at)
             VALUES ($1, $2, $3, 'in', 'client', $4, $5, $6, $7, $8, 'received', $9)
             ON CONFLICT (provider_id) WHERE provider_id IS NOT NULL DO NOTHING)
         INSERT INTO outbox (id, topic, payload, headers) VALUES ($10, $11, $12, $13)",
    )
    .bind(Uuid::now_v7())
    .bind(lead_id)
    .bind(artist_id)
    .bind(wa_id)
    .bind(kind)
    .bind(text)
    .bind(body)
    .bind(&inbound.id)
    .bind(inbound.at)
    .bind(Uuid::now_v7())
    .bind(partitions::of(artist_id))
    .bind(outbox::payload(&read)?)
    .bind(outbox::headers(correlation_id))
    .execute(&mut *tx)
    .await?;
    if let inkline_core::conversation::Content::Image {
        media_id,
        mime_type,
        ..
    } = &inbound.content
    {
        let job = WhatsAppJob::FetchMedia(MediaJob {
            artist_id,
            lead_id: Some(lead_id),
            media_id: media_id.clone(),
            wamid: Some(inbound.id.clone()),
            mime_type: mime_type.clone(),
        });
        outbox::insert(
            tx,
            Uuid::now_v7(),
            partitions::of(artist_id),
            &job,
            correlation_id,
        )
        .await?;
    }
    Ok(())
}
