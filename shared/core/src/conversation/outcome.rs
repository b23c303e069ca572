//! What a finished consultation leads to: the estimate, then below the regional minimum →
//! NEEDS_FOLLOW_UP, elsewhere → a tour offer or the waitlist (`tour`), otherwise the request goes
//! to the artist (`approval`). Also the NEEDS_FOLLOW_UP conversation (a raised budget continues).

use super::answer::{self, Answer};
use super::approval;
use super::context::Ctx;
use super::estimate::{below_minimum, estimate};
use super::extract;
use super::input::Input;
use super::questions::QuestionKey;
use super::state::Reference;
use super::summary::{artist_brief, client_label};
use super::tour::{self, Fit};
use crate::domain::{IllegalTransition, Status};

/// Every question is answered: estimate and route.
pub fn complete(ctx: &mut Ctx, prefix: Option<String>) -> Result<(), IllegalTransition> {
    ctx.state.step = None;
    ctx.state.reasks = 0;
    ctx.state.estimate = estimate(&ctx.state.answers, ctx.artist);
    if let Some(min) = below_minimum(&ctx.state.answers, ctx.artist) {
        return follow_up(ctx, prefix, &min.display());
    }
    let today = ctx.now.with_timezone(&ctx.artist.tz()).date_naive();
    match tour::fit(&ctx.state.answers, ctx.artist, today) {
        Fit::Home => approval::pending_approval(ctx, "consultation_complete", prefix, None),
        Fit::Offer(stop) => tour::offer(ctx, stop, prefix),
        Fit::NoTour => tour::no_tour(ctx, prefix),
    }
}

/// Below the minimum → NEEDS_FOLLOW_UP, a polite note to the client and a note to the artist.
fn follow_up(ctx: &mut Ctx, prefix: Option<String>, min: &str) -> Result<(), IllegalTransition> {
    if ctx.status() != Status::NeedsFollowUp {
        ctx.move_to(Status::NeedsFollowUp, "below_minimum_budget")?;
    }
    let budget = ctx
        .state
        .answers
        .budget
        .map(|b| b.display())
        .unwrap_or_default();
    let vars = [("min", min), ("budget", budget.as_str())];
    let mut text = ctx.copy().fill("budget.below_minimum", &vars);
    if let Some(p) = prefix {
        text = format!("{p}\n\n{text}");
    }
    ctx.say_text(text);
    let (client, brief) = (
        client_label(&ctx.state),
        artist_brief(&ctx.state, ctx.artist),
    );
    let note = ctx.copy().fill(
        "artist.below_minimum",
        &[
            ("client", &client),
            ("budget", &budget),
            ("min", min),
            ("brief", &brief),
        ],
    );
    ctx.notify_artist(note);
    Ok(())
}

/// A message in NEEDS_FOLLOW_UP: a new budget at or above the minimum continues the request.
pub fn follow_up_reply(ctx: &mut Ctx, input: &Input) -> Result<(), IllegalTransition> {
    let min = below_minimum(&ctx.state.answers, ctx.artist)
        .map(|m| m.display())
        .unwrap_or_default();
    let text = match input {
        Input::Text { text, .. } => text.clone(),
        Input::Image { media_id, caption } => {
            let at = ctx.state.last_inbound_at.unwrap_or(ctx.now);
            ctx.state.references.push(Reference::Image {
                media_id: media_id.clone(),
                caption: caption.clone(),
                at,
            });
            let note = ctx.copy().text("refs.added_later");
            ctx.say_text(note);
            return Ok(());
        }
        Input::Reaction => return Ok(()),
        Input::Choice { .. } | Input::Location { .. } | Input::Unsupported { .. } => String::new(),
    };
    let snippet = extract::budget_snippet(&text);
    let has_number = text.chars().any(|c| c.is_ascii_digit());
    let new_budget = snippet
        .and_then(|s| answer::read(QuestionKey::Budget, s, ctx.artist))
        .or_else(|| {
            has_number
                .then(|| answer::read(QuestionKey::Budget, &text, ctx.artist))
                .flatten()
        });
    match new_budget {
        Some(a @ Answer::Budget(_)) => {
            ctx.record(QuestionKey::Budget, a.json(), Some(&text));
            answer::store(&mut ctx.state.answers, a);
            if below_minimum(&ctx.state.answers, ctx.artist).is_some() {
                let note = ctx.copy().fill("followup.still_below", &[("min", &min)]);
                ctx.say_text(note);
                Ok(())
            } else {
                complete(ctx, Some(ctx.copy().text("budget.thanks")))
            }
        }
        _ => {
            let note = ctx.copy().fill("followup.waiting", &[("min", &min)]);
            ctx.inform("followup.waiting", note);
            Ok(())
        }
    }
}
