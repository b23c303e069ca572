//! A finished request goes to the artist (PENDING_APPROVAL: the client's summary, the artist's
//! brief with action links, so a decision is one tap away), and the artist's decision on it:
//! approve (a deposit is asked for), decline (a kind message), or ask the client for more (the
//! artist takes the chat).

use super::context::Ctx;
use super::deposit;
use super::state::Handover;
use super::summary::{artist_brief, client_label, client_summary};
use super::types::{ActionLink, ArtistAction};
use crate::domain::{IllegalTransition, Status};

/// → PENDING_APPROVAL: the client's summary, the artist's brief.
pub fn pending_approval(
    ctx: &mut Ctx,
    cause: &str,
    prefix: Option<String>,
    tour_city: Option<&str>,
) -> Result<(), IllegalTransition> {
    ctx.move_to(Status::PendingApproval, cause)?;
    ctx.state.step = None;
    let summary = client_summary(&ctx.state);
    let mut text = ctx.copy().fill("summary.client", &[("summary", &summary)]);
    if let Some(p) = prefix {
        text = format!("{p}\n\n{text}");
    }
    ctx.say_text(text);
    let (client, brief) = (
        client_label(&ctx.state),
        artist_brief(&ctx.state, ctx.artist),
    );
    let note = match tour_city {
        Some(city) => ctx.copy().fill(
            "artist.tour_accepted",
            &[("client", &client), ("city", city), ("brief", &brief)],
        ),
        None => ctx.copy().fill(
            "artist.new_request",
            &[("client", &client), ("brief", &brief)],
        ),
    };
    let links = offer_links(ctx);
    ctx.notify_artist_with_links(note, links);
    Ok(())
}

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
fn offer_links(ctx: &Ctx) -> Vec<ActionLink> {
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
