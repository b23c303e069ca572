//! Carries out a conversation decision inside the worker's transaction: new state, history,
//! transcript + outbox rows for messages, answers, jobs, reminders and audit events.

use super::{leads, messages, outbox, reminders, system_events};
use crate::bus::topology;
use crate::conversation::{Decision, Effect, Recipient, Severity};
use crate::domain::Status;
use crate::jobs::{MediaJob, SendJob, TemplateKind, WhatsAppJob};
use crate::store::artists::Artist;
use sqlx::PgConnection;
use uuid::Uuid;

/// Who the decision is about.
pub struct Subject<'a> {
    pub artist: &'a Artist,
    pub lead_id: Uuid,
    pub client_wa_id: &'a str,
    pub correlation_id: &'a str,
    /// The inbound message that caused the decision, if any.
    pub source_message_id: Option<&'a str>,
}

/// Persists `decision` (guarded on `expected` status) and all its effects.
pub async fn apply(
    tx: &mut PgConnection,
    who: &Subject<'_>,
    expected: Status,
    decision: &Decision,
) -> Result<(), leads::LeadError> {
    leads::save(
        tx,
        who.lead_id,
        expected,
        &decision.state,
        &decision.transitions,
    )
    .await?;
    for t in &decision.transitions {
        crate::metrics::metrics()
            .transitions
            .with_label_values(&[t.from.as_str(), t.to.as_str()])
            .inc();
    }
    for (i, effect) in decision.effects.iter().enumerate() {
        match effect {
            Effect::Send { to, body } => {
                let wa_id = match to {
                    Recipient::Client => Some(who.client_wa_id.to_owned()),
                    Recipient::Artist => who.artist.config.artist_wa_id.clone(),
                };
                let Some(wa_id) = wa_id else {
                    system_events::record(
                        &mut *tx,
                        Some(who.artist.id),
                        Some(who.lead_id),
                        "artist_notification_skipped",
                        Severity::Warning,
                        serde_json::json!({"reason": "artist has no artist_wa_id", "text": body.preview()}),
                    )
                    .await?;
                    continue;
                };
                // Action links for this message follow it; minted here because the core is pure.
                let body = match decision.effects.get(i + 1) {
                    Some(Effect::ActionLinks { links }) => {
                        crate::actions::links::append(tx, who, decision.state.status, body, links)
                            .await?
                    }
                    _ => body.clone(),
                };
                enqueue_send(
                    tx,
                    who.artist.id,
                    Some(who.lead_id),
                    *to,
                    &wa_id,
                    body,
                    who.correlation_id,
                )
                .await?;
            }
            Effect::RecordAnswer { key, value, raw } => {
                leads::record_answer(
                    tx,
                    who.lead_id,
                    key,
                    value,
                    raw.as_deref(),
                    who.source_message_id,
                )
                .await?;
            }
            // No role drains this queue yet (Sheets, Calendar): queueing would only grow it.
            // The switch is `topology::has_consumer`; docs/decisions.md says how to backfill.
            Effect::Job { topic, .. } if !topology::has_consumer(topic) => {
                crate::metrics::metrics()
                    .jobs_withheld
                    .with_label_values(&[topic.as_str()])
                    .inc();
            }
            Effect::Job { topic, payload } => {
                // The pure core cannot know ids; every job names its lead and artist.
                let mut payload = payload.clone();
                if let Some(obj) = payload.as_object_mut() {
                    obj.entry("lead_id")
                        .or_insert_with(|| serde_json::json!(who.lead_id));
                    obj.entry("artist")
                        .or_insert_with(|| serde_json::json!(who.artist.config.slug));
                }
                outbox::insert(tx, Uuid::now_v7(), topic, &payload, who.correlation_id).await?;
            }
            Effect::ScheduleReminder { kind, at } => {
                reminders::schedule(tx, who.lead_id, kind, *at).await?
            }
            Effect::CancelReminders { kind } => {
                reminders::cancel(tx, who.lead_id, kind.as_deref()).await?
            }
            Effect::SystemEvent {
                kind,
                severity,
                detail,
            } => {
                system_events::record(
                    &mut *tx,
                    Some(who.artist.id),
                    Some(who.lead_id),
                    kind,
                    *severity,
                    detail.clone(),
                )
                .await?;
            }
            // Appended to the message before it (see `Effect::Send` above).
            Effect::ActionLinks { .. } => {}
        }
    }
    Ok(())
}

/// Writes an outbound message to the transcript and its send job to the outbox (same id).
pub async fn enqueue_send(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Option<Uuid>,
    recipient: Recipient,
    wa_id: &str,
    body: crate::domain::MessageBody,
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
    pub body: crate::domain::MessageBody,
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
    let payload = serde_json::to_value(&job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    outbox::insert(
        tx,
        id,
        topology::OUTBOUND_WHATSAPP,
        &payload,
        correlation_id,
    )
    .await?;
    Ok(id)
}

/// Queues the sender's chores for a new inbound message: mark it read, and download it when it
/// is an image (a reference photo).
pub async fn enqueue_inbound_chores(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Uuid,
    inbound: &crate::conversation::Inbound,
    correlation_id: &str,
) -> Result<(), sqlx::Error> {
    let mut jobs = vec![WhatsAppJob::MarkRead {
        artist_id,
        wamid: inbound.id.clone(),
    }];
    if let crate::conversation::Content::Image {
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
        let payload = serde_json::to_value(&job).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        outbox::insert(
            tx,
            Uuid::now_v7(),
            topology::OUTBOUND_WHATSAPP,
            &payload,
            correlation_id,
        )
        .await?;
    }
    Ok(())
}

/// A decision the transition table refused: logged with lead, from, to and cause, counted, and
/// recorded as a system event (with `context` saying what triggered it). Nothing else changes.
pub async fn refuse_illegal(
    tx: &mut PgConnection,
    artist_id: Uuid,
    lead_id: Uuid,
    illegal: &crate::domain::IllegalTransition,
    context: serde_json::Value,
) -> Result<(), sqlx::Error> {
    crate::metrics::metrics()
        .illegal_transitions
        .with_label_values(&[illegal.from.as_str(), illegal.to.as_str()])
        .inc();
    tracing::error!(%lead_id, from = %illegal.from, to = %illegal.to, cause = %illegal.cause, "illegal transition refused");
    let detail = serde_json::json!({"from": illegal.from, "to": illegal.to, "cause": illegal.cause, "context": context});
    system_events::record(
        &mut *tx,
        Some(artist_id),
        Some(lead_id),
        "illegal_transition",
        Severity::Error,
        detail,
    )
    .await
}
