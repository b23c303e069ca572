//! The consultation's question flow (QUALIFYING): asking, reading answers, keeping answers given
//! out of order, corrections, friendlier re-asks with an example, handover after two failed
//! re-asks, images as references, and the references question itself.

use super::answer::{self, Answer};
use super::context::Ctx;
use super::extract;
use super::handover::{self, Reason};
use super::input::Input;
use super::outcome;
use super::questions::{QuestionKey, SKIP_ID};
use super::state::Reference;
use crate::domain::{IllegalTransition, Status};
use crate::parse::{self, Intent};
use chrono::Duration;
use serde_json::Value;

/// Failed answers to one question before the artist takes over (the first ask plus two re-asks).
const MAX_FAILED: u8 = 3;

/// A burst of images within this window gets one acknowledgement.
const IMAGE_BURST_SECS: i64 = 120;

/// NEW (or a re-engaging lead) → QUALIFYING: greet, then read the message as the first answer
/// when it says something, or ask the next open question.
pub fn begin(ctx: &mut Ctx, input: &Input, opt_in: bool) -> Result<(), IllegalTransition> {
    let fresh = ctx.state.answers.is_empty();
    ctx.move_to(
        Status::Qualifying,
        if opt_in { "opt_in" } else { "inbound_message" },
    )?;
    let key = match (fresh, opt_in) {
        (_, true) if !fresh => "optin.welcome_back",
        (true, _) => "welcome",
        (false, _) => "welcome_back",
    };
    let prefix = ctx.copy().text(key);
    let at_idea = ctx.state.answers.next_open() == Some(QuestionKey::Idea);
    let chit_chat = match input {
        Input::Text { text, intent } => {
            *intent == Intent::OptIn
                || extract::is_greeting(text)
                || (at_idea && !extract::has_substance(text))
        }
        Input::Reaction | Input::Unsupported { .. } | Input::Location { .. } => true,
        Input::Choice { .. } | Input::Image { .. } => false,
    };
    if chit_chat {
        continue_flow(ctx, Some(prefix))
    } else {
        handle(ctx, input, Some(prefix))
    }
}

/// Asks the next open question, or completes the consultation when none is left.
pub fn continue_flow(ctx: &mut Ctx, prefix: Option<String>) -> Result<(), IllegalTransition> {
    match ctx.state.answers.next_open() {
        Some(k) => {
            ctx.ask(k, prefix);
            Ok(())
        }
        None => outcome::complete(ctx, prefix),
    }
}

/// A message while QUALIFYING.
pub fn handle(
    ctx: &mut Ctx,
    input: &Input,
    prefix: Option<String>,
) -> Result<(), IllegalTransition> {
    let open = ctx
        .state
        .question()
        .filter(|k| !ctx.state.answers.is_answered(*k));
    let Some(current) = open.or_else(|| ctx.state.answers.next_open()) else {
        return outcome::complete(ctx, prefix);
    };
    ctx.state.step = Some(current.as_str().to_owned());
    match input {
        Input::Text { text, intent } => {
            if *intent == Intent::OptIn || extract::is_greeting(text) {
                let p = prefix.unwrap_or_else(|| ctx.copy().text("greeting.again"));
                ctx.ask(current, Some(p));
                Ok(())
            } else {
                answer(ctx, current, text, prefix)
            }
        }
        Input::Choice { id, .. } => answer(ctx, current, id, prefix),
        Input::Image { media_id, caption } => {
            image(ctx, current, media_id, caption.as_deref(), prefix)
        }
        Input::Location { label } => match label {
            Some(l)
                if matches!(
                    current,
                    QuestionKey::City | QuestionKey::Country | QuestionKey::TravelCity
                ) && answer::read(current, l, ctx.artist).is_some() =>
            {
                answer(ctx, current, l, prefix)
            }
            _ if matches!(
                current,
                QuestionKey::City | QuestionKey::Country | QuestionKey::TravelCity
            ) =>
            {
                let p = join([prefix, Some(ctx.copy().text("location.pin"))]);
                ctx.say_text(p.unwrap_or_default());
                Ok(())
            }
            // A pin is no answer to any other question: ask it again.
            _ => {
                ctx.ask(current, prefix);
                Ok(())
            }
        },
        Input::Unsupported { kind } => {
            // Stickers and empty messages are decoration: nothing to answer unless we owe a greeting.
            let key = match kind.as_str() {
                "sticker" | "empty" => None,
                "audio" | "voice" => Some("unsupported.audio"),
                "video" => Some("unsupported.video"),
                "document" => Some("unsupported.document"),
                _ => Some("unsupported.other"),
            };
            match (key, prefix) {
                (None, None) => {}
                (key, prefix) => {
                    let note = key.map(|k| ctx.copy().text(k));
                    ctx.ask(current, join([prefix, note]));
                }
            }
            Ok(())
        }
        Input::Reaction => Ok(()),
    }
}

/// An image: always a reference; its caption may answer the question.
fn image(
    ctx: &mut Ctx,
    current: QuestionKey,
    media_id: &str,
    caption: Option<&str>,
    prefix: Option<String>,
) -> Result<(), IllegalTransition> {
    let at = ctx.state.last_inbound_at.unwrap_or(ctx.now);
    ctx.state.references.push(Reference::Image {
        media_id: media_id.to_owned(),
        caption: caption.map(str::to_owned),
        at,
    });
    let ack_due = ctx
        .state
        .last_image_ack_at
        .is_none_or(|t| at - t >= Duration::seconds(IMAGE_BURST_SECS) || at < t);
    if current == QuestionKey::References {
        if ack_due || prefix.is_some() {
            ctx.state.last_image_ack_at = Some(at);
            let text = join([prefix, Some(ctx.copy().text("refs.got_image"))]).unwrap_or_default();
            ctx.say_text(text);
        }
        return Ok(());
    }
    let saved = ctx.copy().text("refs.image_saved");
    if let Some(c) = caption.filter(|c| answer::read(current, c, ctx.artist).is_some()) {
        ctx.state.last_image_ack_at = Some(at);
        return answer(ctx, current, c, join([prefix, Some(saved)]));
    }
    if ack_due || prefix.is_some() {
        ctx.state.last_image_ack_at = Some(at);
        ctx.ask(current, join([prefix, Some(saved)]));
    }
    Ok(())
}

/// Reads a typed answer (or tapped choice) for `current`, keeping anything else it clearly says.
fn answer(
    ctx: &mut Ctx,
    current: QuestionKey,
    text: &str,
    prefix: Option<String>,
) -> Result<(), IllegalTransition> {
    if current == QuestionKey::References {
        return references(ctx, text, prefix);
    }
    if current.is_optional() && (text == SKIP_ID || extract::is_skip(text)) {
        ctx.state.answers.settle(current);
        ctx.record(current, Value::Null, Some(text));
        return continue_flow(ctx, prefix);
    }
    let correction = extract::is_correction(text);
    let (own, mut others): (Vec<Answer>, Vec<Answer>) = answer::spot(text, ctx.artist)
        .into_iter()
        .partition(|a| a.key() == current);
    // A message that clearly answers something else is not read as this question's number/size.
    let blocked = !others.is_empty()
        && (correction || matches!(current, QuestionKey::Budget | QuestionKey::Dimensions));
    let mut value = own.into_iter().next();
    if value.is_none() && !blocked {
        match answer::read(current, text, ctx.artist) {
            Some(a) if a.key() == current => value = Some(a),
            Some(a) => others.push(a),
            None => {}
        }
    }
    let (mut extra, mut corrected) = (Vec::new(), Vec::new());
    for a in others {
        let key = a.key();
        let fresh = !ctx.state.answers.is_answered(key);
        if (fresh || correction) && a.differs_from(&ctx.state.answers) {
            ctx.record(key, a.json(), Some(text));
            answer::store(&mut ctx.state.answers, a);
            if fresh {
                extra.push(key)
            } else {
                corrected.push(key)
            }
        }
    }
    let notes = [
        (!extra.is_empty()).then(|| ctx.copy().fill("noted.extra", &[("keys", &names(&extra))])),
        (!corrected.is_empty()).then(|| {
            ctx.copy()
                .fill("noted.correction", &[("keys", &names(&corrected))])
        }),
    ];
    match value {
        Some(a) => {
            let coverup = a == Answer::Coverup(true);
            ctx.record(current, a.json(), Some(text));
            answer::store(&mut ctx.state.answers, a);
            ctx.state.reasks = 0;
            if coverup {
                return handover::hand_over(
                    ctx,
                    Reason::Coverup,
                    "it's a cover-up/rework — please take a look",
                );
            }
            let thanks = ctx
                .copy()
                .has(&format!("{current}.thanks"))
                .then(|| ctx.copy().text(&format!("{current}.thanks")));
            let [n1, n2] = notes;
            continue_flow(ctx, join([prefix, thanks, n1, n2]))
        }
        None if !extra.is_empty() || !corrected.is_empty() => {
            let [n1, n2] = notes;
            ctx.ask(current, join([prefix, n1, n2]));
            Ok(())
        }
        None => fail(ctx, current, text, prefix),
    }
}

/// The references question: photos, links, "no"/"done".
fn references(ctx: &mut Ctx, text: &str, prefix: Option<String>) -> Result<(), IllegalTransition> {
    let key = QuestionKey::References;
    let links = extract::links(text);
    if !links.is_empty() {
        let at = ctx.state.last_inbound_at.unwrap_or(ctx.now);
        for url in &links {
            ctx.state.references.push(Reference::Link {
                url: url.clone(),
                at,
            });
        }
        ctx.state.answers.settle(key);
        ctx.record(key, Value::from(links), Some(text));
        let got = ctx.copy().text("refs.got_link");
        return continue_flow(ctx, join([prefix, Some(got)]));
    }
    let yes_no = parse::yes_no(text);
    if text == SKIP_ID || extract::is_skip(text) || extract::is_done(text) || yes_no == Some(false)
    {
        ctx.state.answers.settle(key);
        ctx.record(key, Value::from(ctx.state.references.len()), Some(text));
        return continue_flow(ctx, prefix);
    }
    if yes_no == Some(true) {
        let text = join([prefix, Some(ctx.copy().text("refs.send_them"))]).unwrap_or_default();
        ctx.say_text(text);
        return Ok(());
    }
    if !ctx.state.references.is_empty() {
        // Photos already came; anything else means they are done, and probably answers what's next.
        ctx.state.answers.settle(key);
        ctx.record(key, Value::from(ctx.state.references.len()), None);
        return match ctx.state.answers.next_open() {
            Some(next) => {
                ctx.state.step = Some(next.as_str().to_owned());
                answer(ctx, next, text, prefix)
            }
            None => outcome::complete(ctx, prefix),
        };
    }
    fail(ctx, key, text, prefix)
}

/// A message that does not answer the question: a friendlier re-ask, then the artist.
fn fail(
    ctx: &mut Ctx,
    current: QuestionKey,
    text: &str,
    prefix: Option<String>,
) -> Result<(), IllegalTransition> {
    ctx.state.step = Some(current.as_str().to_owned());
    ctx.state.reasks = ctx.state.reasks.saturating_add(1);
    if ctx.state.reasks >= MAX_FAILED {
        ctx.state.reasks = 0;
        let detail =
            format!("couldn't answer the {current} question after two re-asks (last: \"{text}\")");
        return handover::hand_over(ctx, Reason::Stuck, &detail);
    }
    ctx.ask(current, prefix);
    Ok(())
}

/// Joins the non-empty parts with a space.
fn join<const N: usize>(parts: [Option<String>; N]) -> Option<String> {
    let parts: Vec<String> = parts
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// "size and budget".
fn names(keys: &[QuestionKey]) -> String {
    let words: Vec<&str> = keys
        .iter()
        .map(|k| match k {
            QuestionKey::Dimensions => "size",
            QuestionKey::TravelCity => "travel city",
            QuestionKey::Coverup => "cover-up answer",
            other => other.as_str(),
        })
        .collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => words.join(""),
    }
}
