//! Handing the chat to the artist (NEEDS_ARTIST_REPLY): the bot stays quiet while the artist owns
//! the chat, except one holding message per cooldown. Any stage may hand over, so this module uses
//! none of them; the artist handing the chat back continues a stage (`lifecycle::resume`).

use super::context::Ctx;
use super::input::Input;
use super::state::{Handover, Reference};
use super::summary::{artist_brief, client_label};
use crate::domain::{IllegalTransition, Status};
use chrono::Duration;

/// Why the artist is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Human,
    Refund,
    DeleteData,
    Coverup,
    /// Two re-asks of the same question did not get a usable answer.
    Stuck,
    /// An opted-out or silent client came back after the consultation; the artist picks up.
    Returning,
    /// The artist took the chat from the console.
    TakenOver,
}

impl Reason {
    fn copy_key(self) -> Option<&'static str> {
        match self {
            Reason::Human => Some("handover.human"),
            Reason::Refund => Some("handover.refund"),
            Reason::DeleteData => Some("handover.delete_data"),
            Reason::Coverup => Some("handover.coverup"),
            Reason::Stuck => Some("handover.stuck"),
            Reason::Returning => Some("handover.returning"),
            Reason::TakenOver => None,
        }
    }

    fn cause(self) -> &'static str {
        match self {
            Reason::Human => "human_requested",
            Reason::Refund => "refund_requested",
            Reason::DeleteData => "data_deletion_requested",
            Reason::Coverup => "coverup",
            Reason::Stuck => "reask_limit",
            Reason::Returning => "returning_client",
            Reason::TakenOver => "artist_took_over",
        }
    }
}

/// Hands the chat to the artist. `detail` says why in the artist's terms. Already handed over:
/// the artist hears about a new kind of request, the client gets the holding rule.
pub fn hand_over(ctx: &mut Ctx, reason: Reason, detail: &str) -> Result<(), IllegalTransition> {
    if ctx.status() == Status::NeedsArtistReply {
        if matches!(reason, Reason::Refund | Reason::DeleteData) {
            let client = client_label(&ctx.state);
            ctx.notify_artist(format!("🙋 {client}: {detail}"));
        }
        hold(ctx);
        return Ok(());
    }
    let from = ctx.status();
    // The bot cannot return to NEW: a re-engaged lead returns to where it paused (when the bot can
    // continue from there), anything else resumes the consultation.
    let resume_to = if from == Status::New {
        ctx.state
            .paused_from
            .take()
            .filter(|s| *s != Status::NeedsArtistReply && Status::NeedsArtistReply.can_move_to(*s))
            .unwrap_or(Status::Qualifying)
    } else {
        from
    };
    ctx.move_to(Status::NeedsArtistReply, reason.cause())?;
    ctx.state.handover = Some(Handover {
        reason: detail.to_owned(),
        resume_to,
        since: ctx.now,
        holding_sent_at: None,
        unanswered: false,
    });
    if reason == Reason::TakenOver {
        // The artist is talking to the client right now: no holding message for a cooldown.
        if let Some(h) = ctx.state.handover.as_mut() {
            h.holding_sent_at = Some(ctx.now);
        }
    }
    if let Some(key) = reason.copy_key() {
        let text = ctx.copy().text(key);
        ctx.say_text(text);
        if let Some(h) = ctx.state.handover.as_mut() {
            h.holding_sent_at = Some(ctx.now);
        }
    }
    if reason != Reason::TakenOver {
        let brief = artist_brief(&ctx.state, ctx.artist);
        let client = client_label(&ctx.state);
        let text = ctx.copy().fill(
            "artist.handover",
            &[("client", &client), ("reason", detail), ("brief", &brief)],
        );
        ctx.notify_artist(text);
    }
    Ok(())
}

/// The client wrote while the artist owns the chat: keep references, stay quiet except one
/// holding message per cooldown.
pub fn client_message(ctx: &mut Ctx, input: &Input, at: chrono::DateTime<chrono::Utc>) {
    if let Input::Image { media_id, caption } = input {
        ctx.state.references.push(Reference::Image {
            media_id: media_id.clone(),
            caption: caption.clone(),
            at,
        });
    }
    hold(ctx);
}

/// One holding message per cooldown; otherwise remember the client is waiting.
fn hold(ctx: &mut Ctx) {
    let cooldown = Duration::hours(ctx.artist.timeouts.handover_cooldown_hours);
    let now = ctx.now;
    // Handed over without a record (e.g. by an operator): start one so the holding rule applies.
    let h = ctx.state.handover.get_or_insert_with(|| Handover {
        reason: "handed over".to_owned(),
        resume_to: Status::Qualifying,
        since: now,
        holding_sent_at: None,
        unanswered: false,
    });
    if h.holding_sent_at.is_some_and(|t| now - t < cooldown) {
        h.unanswered = true;
    } else {
        h.holding_sent_at = Some(now);
        h.unanswered = false;
        let text = ctx.copy().text("handover.holding");
        ctx.say_text(text);
    }
}

/// Time passed while the artist owns the chat: a client who wrote during the cooldown gets one
/// holding message once it is over (inside WhatsApp's 24 h window), and the artist a reminder.
pub fn tick(ctx: &mut Ctx) {
    let cooldown = Duration::hours(ctx.artist.timeouts.handover_cooldown_hours);
    let now = ctx.now;
    let in_window = ctx
        .state
        .last_inbound_at
        .is_some_and(|t| now - t < Duration::hours(24));
    let Some(h) = ctx.state.handover.as_mut() else {
        return;
    };
    let due = h.unanswered && h.holding_sent_at.is_none_or(|t| now - t >= cooldown);
    if due && in_window {
        h.unanswered = false;
        h.holding_sent_at = Some(now);
        let text = ctx.copy().text("handover.holding");
        ctx.say_text(text);
        let client = client_label(&ctx.state);
        let text = ctx
            .copy()
            .fill("artist.still_waiting", &[("client", &client)]);
        ctx.notify_artist(text);
    } else if due {
        h.unanswered = false;
    }
}

/// The artist writes to the client: the text goes out as written and nothing else changes. A
/// client who opted out gets nothing (nothing to do: the artist is told "not now").
pub fn reply(ctx: &mut Ctx, text: &str) -> Result<(), IllegalTransition> {
    let text = text.trim();
    if ctx.status() != Status::Optout && !text.is_empty() {
        ctx.say_text(text.to_owned());
    }
    Ok(())
}

/// The artist takes the chat over (already theirs: nothing to do).
pub fn take_over(ctx: &mut Ctx) -> Result<(), IllegalTransition> {
    if ctx.status() == Status::NeedsArtistReply {
        return Ok(());
    }
    hand_over(ctx, Reason::TakenOver, "the artist took over the chat")
}
