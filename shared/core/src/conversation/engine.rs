//! The pure step function: (lead state, event, artist config, now) -> decision. It dispatches by
//! event, then applies the every-status policies, then hands the message to the handler of the
//! lead's status — one exhaustive match, so a new status cannot be added half-way.

use super::context::Ctx;
use super::input::Input;
use super::policy::{self, Handling};
use super::state::LeadState;
use super::types::{ArtistAction, Decision, Event, Inbound};
use super::{approval, deposit, handover, lifecycle, outcome, qualifying, tour, waiting};
use crate::domain::{ArtistConfig, IllegalTransition, Status};
use chrono::{DateTime, Utc};

/// Decides what happens to a lead when `event` arrives. No I/O, no clock, no randomness.
///
/// An `Err` means the event asked for a transition the table forbids (in practice: an artist
/// action that does not apply to the lead's status); nothing may be applied then.
pub fn step(
    state: &LeadState,
    event: &Event,
    artist: &ArtistConfig,
    now: DateTime<Utc>,
) -> Result<Decision, IllegalTransition> {
    let mut ctx = Ctx::new(state, artist, now);
    match event {
        Event::Inbound(msg) => inbound(&mut ctx, msg)?,
        Event::Tick => lifecycle::tick(&mut ctx)?,
        Event::Artist(action) => artist_action(&mut ctx, action)?,
        Event::Payment(payment) => deposit::payment(&mut ctx, payment)?,
    }
    Ok(ctx.finish())
}

/// An artist action, by concern. Not applicable in the lead's status → the transition error.
fn artist_action(ctx: &mut Ctx, action: &ArtistAction) -> Result<(), IllegalTransition> {
    match action {
        ArtistAction::Handover => handover::take_over(ctx),
        ArtistAction::Resume => lifecycle::resume(ctx),
        ArtistAction::Reply { text } => handover::reply(ctx, text),
        ArtistAction::Approve { deposit_minor } => approval::approve(ctx, *deposit_minor),
        ArtistAction::Reject { reason } => approval::reject(ctx, reason.as_deref()),
        ArtistAction::AskMore { note } => approval::ask_more(ctx, note.as_deref()),
        ArtistAction::SendDeposit => deposit::send_again(ctx),
        ArtistAction::MarkPaid { method } => deposit::paid_offline(ctx, *method),
    }
}

fn inbound(ctx: &mut Ctx, msg: &Inbound) -> Result<(), IllegalTransition> {
    ctx.state.last_inbound_at = Some(msg.at);
    if let Some(name) = msg
        .profile_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        ctx.state.name = Some(name.to_owned());
    }
    let input = Input::classify(msg);
    if input == Input::Reaction {
        // Reactions are acknowledgements, not messages: never answered, in any status.
        return Ok(());
    }
    if policy::apply(ctx, &input)? == Handling::Handled {
        return Ok(());
    }
    match ctx.status() {
        Status::New => qualifying::begin(ctx, &input, false),
        Status::Qualifying => qualifying::handle(ctx, &input, None),
        Status::NeedsArtistReply => {
            handover::client_message(ctx, &input, msg.at);
            Ok(())
        }
        Status::NeedsFollowUp => outcome::follow_up_reply(ctx, &input),
        Status::TourConversionOffered => tour::reply(ctx, &input),
        // The opt-out policy already kept this silent (or opted the client back in).
        Status::Optout => Ok(()),
        Status::Abandoned | Status::Stale => lifecycle::re_engage(ctx, &input, "re_engaged"),
        Status::AwaitingDeposit | Status::DepositExpired => deposit::client_message(ctx, &input),
        Status::PendingApproval
        | Status::Waitlisted
        | Status::DepositPaid
        | Status::BookingPending
        | Status::Booked
        | Status::CollectingTimeWindows
        | Status::Rejected
        | Status::Cancelled
        | Status::Refunded => {
            waiting::reply(ctx, &input);
            Ok(())
        }
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
