//! Statuses where the client waits on someone else (the artist's approval, a payment, a booking)
//! or that are final for the bot (BOOKED, REJECTED, WAITLISTED): a short, honest answer — never a
//! restart — and any photo kept as a reference. The booking and payment flows of later issues
//! replace the relevant arms with their own modules.

use super::context::Ctx;
use super::input::Input;
use super::state::Reference;
use super::summary::client_label;
use crate::domain::Status;

/// The copy key answering a message in `status`, for statuses handled here.
pub fn info_key(status: Status) -> Option<&'static str> {
    match status {
        Status::PendingApproval => Some("waiting.pending_approval"),
        Status::Waitlisted => Some("waiting.waitlisted"),
        Status::Booked => Some("waiting.booked"),
        Status::Rejected => Some("waiting.rejected"),
        Status::AwaitingDeposit => Some("waiting.awaiting_deposit"),
        Status::DepositPaid => Some("waiting.deposit_paid"),
        Status::DepositExpired => Some("waiting.deposit_expired"),
        Status::BookingPending => Some("waiting.booking_pending"),
        Status::CollectingTimeWindows => Some("waiting.collecting_time_windows"),
        Status::Cancelled => Some("waiting.cancelled"),
        Status::Refunded => Some("waiting.refunded"),
        Status::New
        | Status::Qualifying
        | Status::NeedsArtistReply
        | Status::NeedsFollowUp
        | Status::TourConversionOffered
        | Status::Optout
        | Status::Abandoned
        | Status::Stale => None,
    }
}

/// A message in a waiting status.
pub fn reply(ctx: &mut Ctx, input: &Input) {
    let status = ctx.status();
    let Some(key) = info_key(status) else {
        return;
    };
    match input {
        Input::Reaction => {}
        Input::Unsupported { kind } if kind == "sticker" || kind == "empty" => {}
        Input::Image { media_id, caption } => {
            let at = ctx.state.last_inbound_at.unwrap_or(ctx.now);
            ctx.state.references.push(Reference::Image {
                media_id: media_id.clone(),
                caption: caption.clone(),
                at,
            });
            if status == Status::PendingApproval {
                let client = client_label(&ctx.state);
                ctx.notify_artist(format!("📎 {client} sent another reference photo."));
            }
            let text = ctx.copy().text("refs.added_later");
            ctx.inform("refs.added_later", text);
        }
        Input::Text { text, .. } if status == Status::CollectingTimeWindows => {
            // The client's availability goes straight to the artist until the booking flow reads it.
            let client = client_label(&ctx.state);
            let note = ctx.copy().fill(
                "artist.availability",
                &[("client", &client), ("text", text)],
            );
            ctx.notify_artist(note);
            let ack = ctx.copy().text(key);
            ctx.inform(key, ack);
        }
        Input::Text { .. }
        | Input::Choice { .. }
        | Input::Location { .. }
        | Input::Unsupported { .. } => {
            let text = ctx.copy().text(key);
            ctx.inform(key, text);
        }
    }
}
