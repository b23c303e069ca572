//! The artist's decision on a finished request: approve (a deposit is asked for), decline (a kind
//! message), or ask the client for more (the artist takes the chat). Also the action links the
//! artist's new-request notification carries, so a decision is one tap away.

use super::context::Ctx;
use super::deposit;
use super::state::Handover;
use super::types::{ActionLink, ArtistAction};
use crate::domain::{IllegalTransition, Status};

/// Approve: → AWAITING_DEPOSIT and a checkout job. Approving again while that deposit is being
/// asked for changes nothing (a retried request, a second device).
pub fn approve(ctx: &mut Ctx, deposit_minor: Option<i64>) -> Result<(), IllegalTransition> {
    if deposit_minor.is_some_and(|m| m <= 0) {
        return ctx.refuse("artist_approve_invalid_deposit");
    }
    if ctx.state.deposit_paid() {
        return ctx.refuse("artist_approve_paid");
    }
    match ctx.status() {
        Status::PendingApproval | Status::NeedsArtistReply => {
            let amount = deposit::amount_for(ctx, deposit_minor);
            ctx.move_to(Status::AwaitingDeposit, "artist_approved")?;
            ctx.state.handover = None;
            deposit::new_attempt(ctx, amount);
            Ok(())
        }
        Status::AwaitingDeposit if ctx.state.deposit.is_some() => Ok(()),
        _ => ctx.refuse("artist_approve"),
    }
}

/// Decline: → REJECTED with a kind message (and the artist's reason, if they gave one).
pub fn reject(ctx: &mut Ctx, reason: Option<&str>) -> Result<(), IllegalTransition> {
    match ctx.status() {
        Status::PendingApproval | Status::NeedsArtistReply | Status::NeedsFollowUp => {}
        _ => return ctx.refuse("artist_reject"),
    }
    ctx.move_to(Status::Rejected, "artist_rejected")?;
    ctx.state.handover = None;
    let mut text = ctx.copy().text("approval.rejected");
    if let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        let note = ctx
            .copy()
            .fill("approval.rejected_reason", &[("reason", reason)]);
        text = format!("{text}\n\n{note}");
    }
    ctx.say_text(text);
    Ok(())
}

/// Ask for more: the artist takes the chat (→ NEEDS_ARTIST_REPLY, back to PENDING_APPROVAL on
/// resume); the client hears the artist's question or that they will be in touch.
pub fn ask_more(ctx: &mut Ctx, note: Option<&str>) -> Result<(), IllegalTransition> {
    if ctx.status() != Status::PendingApproval {
        return ctx.refuse("artist_ask_more");
    }
    ctx.move_to(Status::NeedsArtistReply, "artist_asked_for_more")?;
    ctx.state.handover = Some(Handover {
        reason: "asked the client for more details".to_owned(),
        resume_to: Status::PendingApproval,
        since: ctx.now,
        holding_sent_at: Some(ctx.now),
        unanswered: false,
    });
    let text = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => ctx.copy().fill("approval.ask_more_note", &[("note", note)]),
        None => ctx.copy().text("approval.ask_more"),
    };
    ctx.say_text(text);
    Ok(())
}

/// The links under the artist's new-request notification: approve with the suggested deposit,
/// decline, ask for more.
pub fn offer_links(ctx: &Ctx) -> Vec<ActionLink> {
    let amount = deposit::amount_for(ctx, None).display();
    let label = |key: &str, vars: &[(&str, &str)]| ctx.copy().fill(key, vars);
    vec![
        ActionLink {
            label: label("link.approve", &[("amount", &amount)]),
            action: ArtistAction::Approve {
                deposit_minor: None,
            },
        },
        ActionLink {
            label: label("link.reject", &[]),
            action: ArtistAction::Reject { reason: None },
        },
        ActionLink {
            label: label("link.ask_more", &[]),
            action: ArtistAction::AskMore { note: None },
        },
    ]
}
