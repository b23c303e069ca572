//! Conversation role: consume `inbound.whatsapp`, and for each message in ONE transaction — dedup,
//! lock the lead, decide (pure engine), persist state + effects (outbox) — then ack.

use crate::Fleet;
use infra::bus::topology::INBOUND_WHATSAPP;
use infra::bus::{Handler, Outcome, Received};
use infra::decisions::{self, Asker, Cause, DecideError};
use infra::failpoint;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::{artists, failures, messages, outbound, processed, system_events};
use inkline_core::conversation::{Event, Inbound, Severity};
use inkline_core::webhook::whatsapp::{self, Item, StatusUpdate};

/// Why one item could not be handled now.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Decide(#[from] DecideError),
    #[error("{0}")]
    Artist(#[from] artists::ArtistError),
}

struct ConversationHandler {
    fleet: Fleet,
    artists: crate::artists::ArtistCache,
}

/// The webhook body decoded, once per delivery (the ordering key and every run of the handler
/// share it).
type Decoded = Result<Vec<Item>, String>;

fn decoded(msg: &Received) -> std::sync::Arc<Decoded> {
    msg.memo.get_or_init(|| {
        let received_at = msg
            .headers
            .get(infra::bus::message::H_RECEIVED_AT)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(chrono::Utc::now);
        whatsapp::decode(&msg.payload, received_at).map_err(|e| e.to_string())
    })
}

#[async_trait::async_trait]
impl Handler for ConversationHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        failpoint::panic_if("conversation.handle", &msg.payload);
        let decoded = decoded(msg);
        let items = match decoded.as_ref() {
            Ok(items) => items.clone(),
            Err(e) => return Outcome::Dead(e.clone()),
        };
        for item in items {
            let result = match item {
                Item::Message {
                    phone_number_id,
                    wa_id,
                    inbound,
                } => {
                    handle_message(
                        &self.fleet,
                        &self.artists,
                        &phone_number_id,
                        &wa_id,
                        inbound,
                        &msg.correlation_id,
                    )
                    .await
                }
                Item::Status(s) => handle_receipt(&self.fleet, &s).await,
            };
            // Items already done are deduplicated on the retry, so retrying the whole body is safe.
            if let Err(e) = result {
                return Outcome::of_error(&e);
            }
        }
        Outcome::Ack
    }

    /// One client's messages are handled in arrival order: the first message's (number, sender).
    fn ordering_key(&self, msg: &Received) -> Option<String> {
        decoded(msg)
            .as_ref()
            .as_ref()
            .ok()?
            .iter()
            .find_map(|item| match item {
                Item::Message {
                    phone_number_id,
                    wa_id,
                    ..
                } => Some(format!("{phone_number_id}:{wa_id}")),
                Item::Status(_) => None,
            })
    }
}

/// Handles one inbound message; a duplicate (already processed wamid) changes nothing.
pub async fn handle_message(
    fleet: &Fleet,
    artists: &crate::artists::ArtistCache,
    phone_number_id: &str,
    wa_id: &str,
    inbound: Inbound,
    correlation_id: &str,
) -> Result<(), ItemError> {
    let Some(artist) = artists.by_number(&fleet.pool, phone_number_id).await? else {
        metrics().unknown_numbers.inc();
        tracing::warn!(phone_number_id, wamid = %inbound.id, "message for an unknown phone number id; recorded and dropped");
        let mut tx = fleet.pool.begin().await?;
        if processed::first_time(&mut tx, "whatsapp", &inbound.id).await? {
            system_events::record(
                &mut *tx,
                None,
                None,
                "unknown_phone_number_id",
                Severity::Warning,
                serde_json::json!({"phone_number_id": phone_number_id, "wamid": inbound.id}),
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(());
    };
    let mut tx = fleet.pool.begin().await?;
    if !processed::first_time(&mut tx, "whatsapp", &inbound.id).await? {
        metrics().duplicates.with_label_values(&["whatsapp"]).inc();
        tracing::debug!(wamid = %inbound.id, "duplicate message; skipped");
        return Ok(());
    }
    let artist = std::sync::Arc::unwrap_or_clone(artist);
    let (locked, _created) = decisions::lock_or_create(&mut tx, artist, wa_id).await?;
    let (artist_id, lead_id) = (locked.artist.id, locked.lead.id);
    // The transcript, blue ticks for the client and, for a photo, its download (by the sender).
    outbound::record_inbound(
        &mut tx,
        artist_id,
        lead_id.uuid(),
        wa_id,
        &inbound,
        correlation_id,
    )
    .await?;
    let wamid = inbound.id.clone();
    let cause = Cause {
        correlation_id,
        source_message_id: Some(&wamid),
        context: serde_json::json!({"wamid": wamid}),
    };
    let event = Event::Inbound(inbound);
    decisions::decide(
        &mut tx,
        &locked,
        &event,
        chrono::Utc::now(),
        &cause,
        Asker::Event,
    )
    .await?;
    tx.commit().await?;
    failpoint::hit("conversation.after_commit");
    Ok(())
}

/// Applies a delivery receipt (forward-only); a failure is made visible to the artist.
pub async fn handle_receipt(fleet: &Fleet, s: &StatusUpdate) -> Result<(), ItemError> {
    metrics()
        .receipts
        .with_label_values(&[s.delivery.as_str()])
        .inc();
    let changed = messages::apply_receipt(&fleet.pool, s).await?;
    match changed {
        None => {
            tracing::debug!(wamid = %s.id, status = s.delivery.as_str(), "receipt for an unknown message or an older status; ignored")
        }
        Some((id, _lead_id)) if s.delivery == whatsapp::Delivery::Failed => {
            let detail = s.error_detail.as_deref().unwrap_or("delivery failed");
            let failure = failures::Failure {
                message_id: id,
                kind: "message_failed",
                code: s.error_code,
                detail,
            };
            failures::report(
                &fleet.pool,
                &failure,
                &infra::telemetry::new_correlation_id(),
            )
            .await?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// Runs the role until shutdown.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let handler = ConversationHandler {
        fleet: fleet.clone(),
        artists: Default::default(),
    };
    crate::observed::consume(&fleet, INBOUND_WHATSAPP, handler, shutdown).await;
}
