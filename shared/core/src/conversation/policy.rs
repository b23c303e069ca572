//! Intents that apply in every status, before the status's own handler: opt-out (and silence until
//! an opt-in), human request, refund question and data-deletion request.

use super::context::Ctx;
use super::handover::{self, Reason};
use super::input::Input;
use super::lifecycle;
use super::summary::client_label;
use super::types::{Effect, Severity};
use crate::domain::{IllegalTransition, Status};
use crate::parse::Intent;
use serde_json::json;

/// What the policies did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Fully handled: the status handler must not see the message.
    Handled,
    /// Not a policy matter: the status handler decides.
    PassOn,
}

/// Applies the every-status policies to one inbound message.
pub fn apply(ctx: &mut Ctx, input: &Input) -> Result<Handling, IllegalTransition> {
    if ctx.status() == Status::Optout {
        // Nothing is ever sent to an opted-out client until they opt back in.
        if input.intent() == Intent::OptIn {
            lifecycle::re_engage(ctx, input, "opt_in")?;
        }
        return Ok(Handling::Handled);
    }
    let text = input.answer_text().unwrap_or_default().to_owned();
    match input.intent() {
        Intent::OptOut => opt_out(ctx)?,
        Intent::Human => escalate(ctx, input, Reason::Human, "asked to talk to you")?,
        Intent::Refund => escalate(
            ctx,
            input,
            Reason::Refund,
            &format!("asked about a refund: \"{text}\""),
        )?,
        Intent::DeleteData => {
            ctx.system_event(
                "data_deletion_requested",
                Severity::Warning,
                json!({"status": ctx.status(), "text": text}),
            );
            escalate(
                ctx,
                input,
                Reason::DeleteData,
                "asked for their data to be deleted",
            )?;
        }
        Intent::OptIn | Intent::None => return Ok(Handling::PassOn),
    }
    Ok(Handling::Handled)
}

/// → OPTOUT with exactly one confirmation; every pending reminder is cancelled.
fn opt_out(ctx: &mut Ctx) -> Result<(), IllegalTransition> {
    let from = ctx.status();
    if !matches!(from, Status::Abandoned | Status::Stale) {
        ctx.state.paused_from = Some(from);
    }
    ctx.move_to(Status::Optout, "opt_out")?;
    let text = ctx.copy().text("optout.confirmed");
    ctx.say_text(text);
    ctx.push(Effect::CancelReminders { kind: None });
    let client = client_label(&ctx.state);
    let text = ctx.copy().fill("artist.opted_out", &[("client", &client)]);
    ctx.notify_artist(text);
    Ok(())
}

/// Hands over; a silent (ABANDONED/STALE) lead re-engages first, as NEW may hand over.
fn escalate(
    ctx: &mut Ctx,
    input: &Input,
    reason: Reason,
    detail: &str,
) -> Result<(), IllegalTransition> {
    if matches!(ctx.status(), Status::Abandoned | Status::Stale) {
        lifecycle::wake_up(ctx, input)?;
    }
    handover::hand_over(ctx, reason, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::state::LeadState;
    use crate::domain::ArtistConfig;

    #[test]
    fn opting_out_from_every_status_sends_one_confirmation() {
        let artist = ArtistConfig::demo();
        let input = Input::Text {
            text: "STOP".into(),
            intent: Intent::OptOut,
        };
        for s in Status::ALL {
            let mut before = LeadState::new();
            before.status = s;
            let mut ctx = Ctx::new(&before, &artist, chrono::Utc::now());
            assert_eq!(apply(&mut ctx, &input).unwrap(), Handling::Handled);
            let d = ctx.finish();
            assert_eq!(d.state.status, Status::Optout, "{s}");
            let sent = d.client_messages().count();
            assert_eq!(sent, if s == Status::Optout { 0 } else { 1 }, "{s}");
        }
    }
}
