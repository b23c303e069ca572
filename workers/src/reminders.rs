//! Reminders role: fires due reminders. A `tick` reminder feeds `Event::Tick` to the engine (abandon,
//! stale, handover holding messages); each one is handled in its own transaction, locking the lead
//! first and the reminder second (the same order the conversation worker uses).
//!
//! One reminder's failure does not stop the others: it is recorded against that reminder, retried
//! with back-off and parked after `ROW_MAX_ATTEMPTS` (`crate::rows`). The role also runs retention
//! (`crate::retention`): it is the fleet's time-driven role.

use crate::Fleet;
use crate::rows;
use infra::decisions::{self, Asker, Cause};
use infra::shutdown::Shutdown;
use infra::store::ids::LeadId;
use infra::store::parking::{Failure, Loop};
use infra::store::{reminders, system_events};
use inkline_core::conversation::{Event, Severity};
use uuid::Uuid;

const BATCH: i64 = 100;

/// The outcome of one reminder.
#[derive(Debug, PartialEq, Eq)]
pub enum Fired {
    Fired,
    /// Cancelled, already fired by another replica, or not due after all.
    Skipped,
}

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub fired: usize,
    /// Reminders whose own processing failed (retried later).
    pub failed: usize,
    /// Of those, the ones that have now failed too often and were parked.
    pub parked: usize,
}

/// Fires every reminder due now, each in its own transaction. A reminder that fails is recorded and
/// skipped; `Err` means the database is unreachable (the pass stopped, nothing was counted).
pub async fn fire_due(fleet: &Fleet) -> anyhow::Result<Pass> {
    let mut pass = Pass::default();
    for (id, lead_id) in reminders::due(&fleet.pool, BATCH).await? {
        match fire_one(fleet, id, lead_id).await {
            Ok(Fired::Fired) => pass.fired += 1,
            Ok(Fired::Skipped) => {}
            Err(e) => {
                let failure =
                    rows::on_row_error(&fleet.pool, Loop::Reminders, id, e, &fleet.cfg.parking)
                        .await?;
                pass.failed += 1;
                if matches!(failure, Failure::Parked { .. }) {
                    pass.parked += 1;
                }
            }
        }
    }
    Ok(pass)
}

async fn fire_one(fleet: &Fleet, id: Uuid, lead_id: LeadId) -> anyhow::Result<Fired> {
    let mut tx = fleet.pool.begin().await?;
    let Some(locked) = decisions::lock(&mut tx, lead_id).await? else {
        return Ok(Fired::Skipped);
    };
    let Some(kind) = reminders::mark_fired(&mut tx, id).await? else {
        return Ok(Fired::Skipped);
    };
    if let reminders::ReminderKind::Unknown(kind) = kind {
        system_events::record(
            &mut *tx,
            Some(locked.artist.id),
            Some(locked.lead.id.uuid()),
            "reminder_kind_unknown",
            Severity::Warning,
            serde_json::json!({"reminder_id": id, "kind": kind}),
        )
        .await?;
        tx.commit().await?;
        return Ok(Fired::Fired);
    }
    let correlation_id = infra::telemetry::new_correlation_id();
    let cause = Cause {
        correlation_id: &correlation_id,
        source_message_id: None,
        context: serde_json::json!({"reminder_id": id}),
    };
    let now = chrono::Utc::now();
    decisions::decide(&mut tx, &locked, &Event::Tick, now, &cause, Asker::Event).await?;
    tx.commit().await?;
    Ok(Fired::Fired)
}

/// Runs until shutdown, checking every `REMINDERS_POLL_MS` (default 5 s); retention runs beside it.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    tokio::join!(
        fire_loop(&fleet, &shutdown),
        crate::retention::run(&fleet, &shutdown)
    );
    tracing::info!("reminders stopped");
}

async fn fire_loop(fleet: &Fleet, shutdown: &Shutdown) {
    let poll = fleet.cfg.reminders_poll;
    let mut outages = 0u32;
    while !shutdown.is_triggered() {
        let wait = match fire_due(fleet).await {
            Ok(pass) => {
                outages = 0;
                if pass != Pass::default() {
                    tracing::info!(
                        fired = pass.fired,
                        failed = pass.failed,
                        parked = pass.parked,
                        "reminders pass"
                    );
                }
                poll
            }
            Err(e) => crate::rows::back_off_after_failed_pass(&mut outages, "reminders pass", &e),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => break,
        }
    }
}
