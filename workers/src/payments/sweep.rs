//! The expiry sweep: open deposit links whose time passed without Stripe's event.

use chrono::{DateTime, Utc};
use infra::config::ParkingConfig;
use infra::shutdown::Shutdown;
use infra::store::deposits::{self, AttemptStatus};
use infra::store::ids::LeadId;
use infra::store::parking::Loop;
use inkline_core::conversation::{ExpiryReason, PaymentEvent};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

use super::decide;
use infra::decisions;

/// How often the sweep looks for links that ran out.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Expired links handled per sweep round.
const SWEEP_BATCH: i64 = 100;

/// Expires open links whose time passed (Stripe's own event may come later or never reach us).
/// Returns how many were expired. Safe to run on several replicas at once. Each link is handled
/// in its own transaction: one that fails is recorded against its deposit (retried with back-off,
/// parked after `ROW_MAX_ATTEMPTS`) and the others go on; `Err` means the database is unreachable.
pub async fn sweep_expired(
    pool: &PgPool,
    now: DateTime<Utc>,
    parking: &ParkingConfig,
) -> anyhow::Result<usize> {
    let mut done = 0;
    for (id, lead_id) in deposits::due_for_expiry(pool, now, SWEEP_BATCH).await? {
        match expire_one(pool, id, lead_id, now).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => {
                crate::rows::on_row_error(pool, Loop::ExpirySweep, id, e, parking).await?;
            }
        }
    }
    Ok(done)
}

/// Expires one link under the lead's and the deposit's locks; false when there was nothing to do.
async fn expire_one(
    pool: &PgPool,
    id: Uuid,
    lead_id: LeadId,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(locked) = decisions::lock(&mut tx, lead_id).await? else {
        return Ok(false);
    };
    let Some(dep) = deposits::lock_due(&mut tx, id, now).await? else {
        return Ok(false);
    };
    deposits::set_status(&mut tx, dep.id, AttemptStatus::Expired).await?;
    let attempt = u32::try_from(dep.attempt).unwrap_or(0);
    let cid = infra::telemetry::new_correlation_id();
    decide(
        &mut tx,
        &locked,
        PaymentEvent::Expired {
            attempt,
            reason: ExpiryReason::LinkExpired,
        },
        &cid,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn sweep_loop(pool: PgPool, parking: ParkingConfig, shutdown: Shutdown) {
    let mut outages = 0u32;
    loop {
        let wait = match sweep_expired(&pool, Utc::now(), &parking).await {
            Ok(n) => {
                outages = 0;
                if n > 0 {
                    tracing::info!(expired = n, "deposit links expired");
                }
                SWEEP_EVERY
            }
            Err(e) => {
                crate::rows::back_off_after_failed_pass(&mut outages, "deposit expiry sweep", &e)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => break,
        }
    }
}
