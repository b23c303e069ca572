//! The stall sweep: a queued message whose send job vanished without anyone being told (the
//! broker's delivery limit dead-lettered it past our hook) would hold back every younger message
//! to its recipient; after `SEND_STALL_SECS` without a sender looking at it, it is parked.

use crate::Fleet;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::{messages, system_events};
use inkline_core::conversation::Severity;
use std::time::Duration;

/// Parks queued messages whose send job vanished (see [`messages::park_stalled`]), every
/// quarter of `SEND_STALL_SECS` (between 1 s and a minute). It starts judging only once this
/// process has run for `SEND_STALL_SECS`: after the senders were all down for a while, every
/// queued message is overdue, yet its job is still in the queue and about to be handled.
pub(super) async fn sweep(fleet: Fleet, shutdown: Shutdown) {
    let stall = fleet.cfg.send_stall;
    let every = (stall / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    tokio::select! {
        _ = tokio::time::sleep(stall) => {}
        _ = shutdown.wait() => return,
    }
    loop {
        match messages::park_stalled(&fleet.pool, stall).await {
            Ok(parked) => {
                for m in parked {
                    metrics()
                        .send_failures
                        .with_label_values(&["stalled"])
                        .inc();
                    tracing::warn!(message_id = %m.id, "no sender looked at this queued message for too long: parked (replay outbound.whatsapp.dlq)");
                    let detail =
                        serde_json::json!({"message_id": m.id, "stall_secs": stall.as_secs()});
                    let recorded = system_events::record(
                        &fleet.pool,
                        Some(m.artist_id),
                        m.lead_id,
                        "message_stalled",
                        Severity::Warning,
                        detail,
                    )
                    .await;
                    if let Err(e) = recorded {
                        tracing::warn!(error = %e, "could not record the stalled message");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "stall sweep failed; the next round retries"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
    }
}
