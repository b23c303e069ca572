//! Reminders role: fires due reminders. A `tick` reminder feeds `Event::Tick` to the engine (abandon,
//! stale, handover holding messages); each one is handled in its own transaction, locking the lead
//! first and the reminder second (the same order the conversation worker uses).

use crate::Fleet;
use shared::conversation::{Event, Severity};
use shared::shutdown::Shutdown;
use shared::store::effects::{self, Subject};
use shared::store::{artists, leads, system_events};
use sqlx::Row;
use uuid::Uuid;

const BATCH: i64 = 100;

/// The outcome of one reminder.
#[derive(Debug, PartialEq, Eq)]
pub enum Fired {
    Fired,
    /// Cancelled, already fired by another replica, or not due after all.
    Skipped,
}

/// Fires every reminder due now; returns how many fired.
pub async fn fire_due(fleet: &Fleet) -> anyhow::Result<usize> {
    let due = sqlx::query(
        "SELECT id, lead_id FROM reminders WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= now()
         ORDER BY due_at LIMIT $1",
    )
    .bind(BATCH)
    .fetch_all(&fleet.pool)
    .await?;
    let mut fired = 0;
    for row in due {
        let (id, lead_id): (Uuid, Uuid) = (row.try_get("id")?, row.try_get("lead_id")?);
        if fire_one(fleet, id, lead_id).await? == Fired::Fired {
            fired += 1;
        }
    }
    Ok(fired)
}

async fn fire_one(fleet: &Fleet, id: Uuid, lead_id: Uuid) -> anyhow::Result<Fired> {
    let mut tx = fleet.pool.begin().await?;
    let Some(lead) = leads::lock(&mut tx, lead_id).await? else {
        return Ok(Fired::Skipped);
    };
    let kind: Option<String> = sqlx::query_scalar(
        "UPDATE reminders SET fired_at = now()
         WHERE id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= now() RETURNING kind",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(kind) = kind else {
        return Ok(Fired::Skipped);
    };
    let Some(artist) = artists::by_id(&mut *tx, lead.artist_id).await? else {
        return Ok(Fired::Skipped);
    };
    if kind != "tick" {
        system_events::record(
            &mut *tx,
            Some(artist.id),
            Some(lead.id),
            "reminder_kind_unknown",
            Severity::Warning,
            serde_json::json!({"reminder_id": id, "kind": kind}),
        )
        .await?;
        tx.commit().await?;
        return Ok(Fired::Fired);
    }
    let correlation_id = shared::telemetry::new_correlation_id();
    match shared::conversation::step(
        &lead.state,
        &Event::Tick,
        &artist.config,
        chrono::Utc::now(),
    ) {
        Ok(decision) => {
            let who = Subject {
                artist: &artist,
                lead_id: lead.id,
                client_wa_id: &lead.wa_id,
                correlation_id: &correlation_id,
                source_message_id: None,
            };
            effects::apply(&mut tx, &who, lead.state.status, &decision).await?;
        }
        Err(illegal) => {
            effects::refuse_illegal(
                &mut tx,
                artist.id,
                lead.id,
                &illegal,
                serde_json::json!({"reminder_id": id}),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(Fired::Fired)
}

/// Runs until shutdown, checking every `REMINDERS_POLL_MS` (default 5 s).
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let poll = fleet.cfg.reminders_poll;
    while !shutdown.is_triggered() {
        match fire_due(&fleet).await {
            Ok(n) if n > 0 => tracing::info!(fired = n, "reminders fired"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reminders pass failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.wait() => break,
        }
    }
    tracing::info!("reminders stopped");
}
