//! Time and return: `Tick` moves silent leads to ABANDONED (with one template nudge) or STALE;
//! a message from an OPTOUT/ABANDONED/STALE lead re-engages it through NEW, resuming the
//! consultation where it was (or restarting it if nothing was answered); the artist handing the
//! chat back resumes the bot where it stopped.

use super::context::Ctx;
use super::handover::{self, Reason};
use super::input::Input;
use super::timers;
use super::{qualifying, tour};
use crate::domain::{IllegalTransition, MessageBody, Status};
use chrono::Duration;

/// Time passed.
pub fn tick(ctx: &mut Ctx) -> Result<(), IllegalTransition> {
    let t = ctx.artist.timeouts.clone();
    let idle = timers::last_activity(&ctx.state).map(|last| ctx.now - last);
    let stale = idle.is_some_and(|i| i >= Duration::hours(t.stale_after_hours));
    let abandoned = idle.is_some_and(|i| i >= Duration::hours(t.abandon_after_hours));
    match ctx.status() {
        Status::Qualifying | Status::NeedsFollowUp | Status::TourConversionOffered => {
            if stale {
                pause(ctx, Status::Stale, "stale")?;
            } else if abandoned {
                pause(ctx, Status::Abandoned, "abandoned")?;
                nudge(ctx);
            }
        }
        Status::NeedsArtistReply => {
            if stale {
                pause(ctx, Status::Stale, "stale")?;
            } else {
                handover::tick(ctx);
            }
        }
        Status::DepositExpired => {
            if stale {
                pause(ctx, Status::Stale, "stale")?;
            }
        }
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
        | Status::Refunded => {}
    }
    Ok(())
}

fn pause(ctx: &mut Ctx, to: Status, cause: &str) -> Result<(), IllegalTransition> {
    ctx.state.paused_from = Some(ctx.status());
    ctx.move_to(to, cause)
}

/// One nudge when a lead is abandoned. It is past WhatsApp's 24 h window, so it is a template.
fn nudge(ctx: &mut Ctx) {
    if ctx.state.last_inbound_at.is_none() {
        return;
    }
    let tpl = ctx.artist.templates.follow_up.clone();
    let name = ctx
        .state
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .unwrap_or("there")
        .to_owned();
    let text = ctx.copy().text("abandon.nudge");
    ctx.say(MessageBody::Template {
        name: tpl.name,
        language: tpl.language,
        params: vec![name, text],
    });
}

/// OPTOUT/ABANDONED/STALE → NEW, nothing else.
pub fn wake_up(ctx: &mut Ctx, _input: &Input) -> Result<(), IllegalTransition> {
    ctx.move_to(Status::New, "re_engaged")
}

/// Whether a lead paused in `s` had finished its consultation (the artist then picks up).
fn after_consultation(s: Status) -> bool {
    match s {
        Status::PendingApproval
        | Status::Waitlisted
        | Status::AwaitingDeposit
        | Status::DepositPaid
        | Status::DepositExpired
        | Status::BookingPending
        | Status::Booked
        | Status::CollectingTimeWindows
        | Status::Rejected
        | Status::Cancelled
        | Status::Refunded => true,
        Status::New
        | Status::Qualifying
        | Status::NeedsArtistReply
        | Status::NeedsFollowUp
        | Status::TourConversionOffered
        | Status::Optout
        | Status::Abandoned
        | Status::Stale => false,
    }
}

/// A paused lead speaks again: NEW, then back to where it was.
pub fn re_engage(ctx: &mut Ctx, input: &Input, cause: &str) -> Result<(), IllegalTransition> {
    ctx.move_to(Status::New, cause)?;
    let paused = ctx.state.paused_from;
    match paused {
        Some(Status::NeedsArtistReply) if ctx.state.handover.is_some() => {
            ctx.state.paused_from = None;
            ctx.move_to(Status::NeedsArtistReply, "returning_client")?;
            let text = ctx.copy().text("handover.returning");
            ctx.say_text(text);
            if let Some(h) = ctx.state.handover.as_mut() {
                h.holding_sent_at = Some(ctx.now);
                h.unanswered = false;
            }
            Ok(())
        }
        Some(s) if after_consultation(s) => {
            handover::hand_over(ctx, Reason::Returning, &format!("came back (was {s})"))
        }
        _ => {
            ctx.state.paused_from = None;
            ctx.state.handover = None;
            let opt_in = cause == "opt_in";
            qualifying::begin(ctx, input, opt_in)
        }
    }
}

/// The artist hands the chat back. Outside a handover it is the transition error the console
/// answers 409 with.
pub fn resume(ctx: &mut Ctx) -> Result<(), IllegalTransition> {
    let from = ctx.status();
    let to = match (&ctx.state.handover, from) {
        // Paid while the artist had the chat: continue after the payment, never before it.
        (Some(h), Status::NeedsArtistReply)
            if ctx.state.deposit_paid()
                && matches!(
                    h.resume_to,
                    Status::PendingApproval | Status::AwaitingDeposit | Status::DepositExpired
                ) =>
        {
            Status::BookingPending
        }
        (Some(h), Status::NeedsArtistReply) => h.resume_to,
        // Handed over without a record of where from (e.g. set by an operator): continue the consultation.
        (None, Status::NeedsArtistReply) => Status::Qualifying,
        // A resume outside a handover names the current status as its target: always illegal.
        _ => from,
    };
    ctx.move_to(to, "artist_resume")?;
    ctx.state.handover = None;
    ctx.state.reasks = 0;
    match to {
        Status::Qualifying => {
            let prefix = ctx.copy().text("resume.back");
            qualifying::continue_flow(ctx, Some(prefix))
        }
        Status::TourConversionOffered => {
            tour::send_offer(ctx, None);
            Ok(())
        }
        _ => Ok(()),
    }
}
