//! What the time-driven loops (reminders, the deposit-expiry sweep, the outbox relay) do when one
//! row fails: an outage ends the pass, anything else is the row's own failure and is recorded
//! against it (`infra::store::parking`), so the other rows keep flowing.

use infra::config::ParkingConfig;
use infra::store::db;
use infra::store::parking::{self, Failure, Loop};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// After a whole pass of `what` failed (the database out of reach): counts the outage and says how
/// long to back off before the next pass.
pub fn back_off_after_failed_pass(outages: &mut u32, what: &str, e: &anyhow::Error) -> Duration {
    *outages = outages.saturating_add(1);
    let delay = infra::bus::connection::backoff_delay(*outages);
    tracing::warn!(
        error = format!("{e:#}"),
        retry_in_ms = delay.as_millis() as u64,
        "{what} stopped (database unavailable?); backing off"
    );
    delay
}

/// Sorts out an error from processing row `id` of `lp`. `Err` means the database is unreachable
/// (nothing was counted; the caller ends its pass and backs off); `Ok` says what was recorded.
pub async fn on_row_error(
    pool: &PgPool,
    lp: Loop,
    id: Uuid,
    error: anyhow::Error,
    cfg: &ParkingConfig,
) -> anyhow::Result<Failure> {
    if db::caused_by_unavailable(error.as_ref()) {
        return Err(error);
    }
    tracing::warn!(%lp, row_id = %id, error = format!("{error:#}"), "row failed; the others go on");
    match parking::record_failure_now(pool, lp, id, &format!("{error:#}"), cfg).await {
        Ok(failure) => Ok(failure),
        Err(e) if db::is_unavailable(&e) => Err(e.into()),
        Err(e) => {
            // Recording itself failed for another reason (a bug): say so loudly and go on; the
            // row stays due and is tried again on the next pass.
            tracing::error!(%lp, row_id = %id, error = %e, "cannot record a row failure");
            Ok(Failure::NotRecorded)
        }
    }
}
