//! When a lead next needs a `Tick`, read from its state alone: `Ctx::finish` (re)schedules the
//! reminder from it, and `lifecycle` (silence) and `handover` (holding messages) act on the tick.

use super::state::LeadState;
use crate::domain::{ArtistConfig, Status};
use chrono::{DateTime, Duration, Utc};

/// Reminder kind that wakes a lead with `Event::Tick`.
pub const TICK_REMINDER: &str = "tick";

/// The last sign of life: the client's last message or the last status change.
pub fn last_activity(state: &LeadState) -> Option<DateTime<Utc>> {
    match (state.last_inbound_at, state.status_since) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// When this lead next needs a `Tick`, if ever (the reminders worker schedules it).
pub fn wake_at(state: &LeadState, artist: &ArtistConfig) -> Option<DateTime<Utc>> {
    let t = &artist.timeouts;
    let last = last_activity(state)?;
    match state.status {
        Status::Qualifying | Status::NeedsFollowUp | Status::TourConversionOffered => {
            Some(last + Duration::hours(t.abandon_after_hours))
        }
        Status::NeedsArtistReply => {
            let stale = last + Duration::hours(t.stale_after_hours);
            Some(holding_due(state, t.handover_cooldown_hours).map_or(stale, |h| h.min(stale)))
        }
        Status::DepositExpired => Some(last + Duration::hours(t.stale_after_hours)),
        Status::New
        | Status::PendingApproval
        | Status::Waitlisted
        | Status::Optout
        | Status::Abandoned
        | Status::Stale
        | Status::AwaitingDeposit
        | Status::DepositPaid
        | Status::BookingPending
        | Status::Booked
        | Status::CollectingTimeWindows
        | Status::Rejected
        | Status::Cancelled
        | Status::Refunded => None,
    }
}

/// When a Tick is next needed for the holding message, if one is pending.
pub fn holding_due(state: &LeadState, cooldown_hours: i64) -> Option<DateTime<Utc>> {
    let h = state.handover.as_ref()?;
    h.unanswered.then(|| {
        h.holding_sent_at
            .map_or(h.since, |t| t + Duration::hours(cooldown_hours))
    })
}
