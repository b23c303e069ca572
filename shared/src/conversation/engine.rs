//! The pure step function: (lead state, event, artist config, now) -> decision.

use super::types::{Content, Decision, Effect, Event, LeadState, Recipient};
use crate::domain::{ArtistConfig, IllegalTransition, MessageBody, Status};
use chrono::{DateTime, Utc};

/// Decides what happens to a lead when `event` arrives. No I/O, no clock, no randomness.
pub fn step(
    state: &LeadState,
    event: &Event,
    _artist: &ArtistConfig,
    _now: DateTime<Utc>,
) -> Result<Decision, IllegalTransition> {
    let mut next = state.clone();
    let mut effects = Vec::new();
    let mut transitions = Vec::new();
    if let Event::Inbound(msg) = event {
        next.last_inbound_at = Some(msg.at);
        if msg.profile_name.is_some() {
            next.name = msg.profile_name.clone();
        }
        if state.status == Status::New {
            transitions.push(state.status.transition(Status::Qualifying, "inbound_message")?);
            next.status = Status::Qualifying;
            next.step = Some("idea".into());
            effects.push(Effect::Send {
                to: Recipient::Client,
                body: MessageBody::text(
                    "Hi! Thanks for getting in touch. Tell me about the tattoo you have in mind: what's the idea?",
                ),
            });
        }
        let _ = matches!(msg.content, Content::Text { .. });
    }
    Ok(Decision { state: next, effects, transitions })
}
