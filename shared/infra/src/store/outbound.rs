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
    messages::insert_outbound(
        tx,
        id,
        m.artist_id,
        m.lead_id,
        m.recipient,
        m.wa_id,
        &m.body,
    )
    .await?;
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
    outbox::insert(tx, id, partitions::of(m.artist_id), &job, correlation_id).await?;
    Ok(id)
}

/// Queues the sender's chores for a new inbound message: mark it read, and download it when it
/// is an image (a reference photo).
pub async fn enqueue_inbound_chores(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Uuid,
    inbound: &inkline_core::conversation::Inbound,
    correlation_id: &str,
) -> Result<(), sqlx::Error> {
    let mut jobs = vec![WhatsAppJob::MarkRead {
        artist_id,
        wamid: inbound.id.clone(),
    }];
    if let inkline_core::conversation::Content::Image {
        media_id,
        mime_type,
        ..
    } = &inbound.content
    {
        jobs.push(WhatsAppJob::FetchMedia(MediaJob {
            artist_id,
            lead_id: Some(lead_id),
            media_id: media_id.clone(),
            wamid: Some(inbound.id.clone()),
            mime_type: mime_type.clone(),
        }));
    }
    for job in jobs {
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
