//! What a simulated client says, and what it expects back.
//!
//! Each client plays the consultation: it answers whichever question the bot is asking with a
//! known-good answer. Because the conversation engine is a pure function, the load generator runs
//! the same engine locally on the same inputs to *predict* the exact replies each inbound message
//! must produce. That prediction is what makes "missing" and "duplicate" exact rather than guessed.

use chrono::{DateTime, TimeZone, Utc};
use inkline_core::conversation::{Content, Event, Inbound, LeadState, Recipient, step};
use inkline_core::domain::{ArtistConfig, MessageBody};

/// The longest conversation a client plays: the greeting plus one answer per question (13).
pub const MAX_MESSAGES: usize = 14;

/// A known-good answer for the question with catalog key `step` (`None`: the first message).
pub fn answer_for(step: Option<&str>) -> &'static str {
    match step {
        None => "Hi, I'd like to book a tattoo",
        Some("idea") => "A fine-line swallow with a small banner",
        Some("placement") => "left forearm",
        Some("dimensions") => "10x15cm",
        Some("style") => "fine line",
        Some("complexity") => "2",
        Some("coverup") => "no",
        Some("references") => "no",
        Some("budget") => "£600",
        Some("city") => "London",
        Some("country") => "United Kingdom",
        Some("instagram") => "@sam.ink",
        Some("travel_city") => "no",
        Some("timing") => "in the next couple of months",
        Some(_) => "thanks!",
    }
}

/// The visible text of an outbound body, as the fake Graph API reports it (`SentMessage::text`).
pub fn visible_text(body: &MessageBody) -> String {
    match body {
        MessageBody::Text { text }
        | MessageBody::Buttons { text, .. }
        | MessageBody::List { text, .. } => text.clone(),
        MessageBody::Template { name, .. } => name.clone(),
    }
}

/// One planned inbound message and the replies it must cause.
#[derive(Debug, Clone)]
pub struct PlannedTurn {
    pub text: &'static str,
    /// Visible texts of the replies to the client, in order.
    pub client_replies: Vec<String>,
    /// How many messages this turn sends to the artist's own number.
    pub artist_replies: usize,
}

/// A client's whole planned conversation.
#[derive(Debug, Clone)]
pub struct Plan {
    pub turns: Vec<PlannedTurn>,
    /// The status the lead should end in.
    pub final_status: String,
}

/// The unix timestamp of turn `k` (what the webhook's `timestamp` says). Fixed per run so the
/// prediction and the fleet see the same inputs.
pub fn turn_time(base: DateTime<Utc>, k: usize) -> DateTime<Utc> {
    base + chrono::Duration::seconds(i64::try_from(k).unwrap_or(0).saturating_mul(5))
}

/// Plans `messages` turns for one client by running the engine on its own answers.
pub fn plan(artist: &ArtistConfig, name: &str, messages: usize, base: DateTime<Utc>) -> Plan {
    let mut state = LeadState::new();
    let mut turns = Vec::with_capacity(messages.min(MAX_MESSAGES));
    for k in 0..messages.min(MAX_MESSAGES) {
        let text = answer_for(state.step.as_deref());
        let at = turn_time(base, k);
        let event = Event::Inbound(Inbound {
            id: format!("plan.{k}"),
            at,
            profile_name: Some(name.to_owned()),
            content: Content::Text {
                body: text.to_owned(),
            },
        });
        match step(&state, &event, artist, at) {
            Ok(decision) => {
                let client_replies = decision.client_messages().map(visible_text).collect();
                let artist_replies = decision
                    .effects
                    .iter()
                    .filter(|e| {
                        matches!(
                            e,
                            inkline_core::conversation::Effect::Send {
                                to: Recipient::Artist,
                                ..
                            }
                        )
                    })
                    .count();
                turns.push(PlannedTurn {
                    text,
                    client_replies,
                    artist_replies,
                });
                state = decision.state;
            }
            Err(_) => turns.push(PlannedTurn {
                text,
                client_replies: Vec::new(),
                artist_replies: 0,
            }),
        }
    }
    Plan {
        turns,
        final_status: state.status.as_str().to_owned(),
    }
}

/// Artist `i` of a multi-artist run: the base configuration with its own slug, phone number id
/// and notification number (artist 0 is the base itself). Every artist has its own per-number
/// send pacing, so spreading clients over artists is how one run exceeds one number's rate.
pub fn artist_variant(base: &ArtistConfig, i: usize) -> ArtistConfig {
    if i == 0 {
        return base.clone();
    }
    let mut a = base.clone();
    a.slug = format!("{}-lg{i}", base.slug);
    let pn: u64 = base.phone_number_id.parse().unwrap_or(100_000_000_000_001);
    a.phone_number_id = pn.saturating_add(i as u64).to_string();
    a.artist_wa_id = Some(format!("4477009{:05}", 10_000 + i));
    a
}

/// A fixed base time for a run's webhook timestamps: now, truncated to the second.
pub fn base_time() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0)
        .single()
        .unwrap_or_else(Utc::now)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_full_script_completes_a_consultation_with_one_question_per_answer() {
        let artist = ArtistConfig::demo();
        let p = plan(&artist, "Load Client", MAX_MESSAGES, base_time());
        assert_eq!(p.turns.len(), MAX_MESSAGES);
        for (k, t) in p.turns.iter().enumerate() {
            assert!(
                !t.client_replies.is_empty(),
                "turn {k} ({:?}) got no reply: {p:#?}",
                t.text
            );
        }
        assert_eq!(p.final_status, "PENDING_APPROVAL", "{p:#?}");
        assert!(p.turns.iter().map(|t| t.artist_replies).sum::<usize>() >= 1);
    }

    #[test]
    fn artist_variants_are_distinct_and_valid() {
        let base = ArtistConfig::demo();
        let v = artist_variant(&base, 3);
        assert_ne!(v.phone_number_id, base.phone_number_id);
        assert_ne!(v.slug, base.slug);
        let json = serde_json::to_value(&v).unwrap();
        assert!(ArtistConfig::from_json(json).is_ok());
        assert_eq!(
            artist_variant(&base, 0).phone_number_id,
            base.phone_number_id
        );
    }

    #[test]
    fn short_conversations_are_prefixes() {
        let artist = ArtistConfig::demo();
        let base = base_time();
        let long = plan(&artist, "A", 5, base);
        let short = plan(&artist, "A", 3, base);
        for (a, b) in short.turns.iter().zip(&long.turns) {
            assert_eq!(a.client_replies, b.client_replies);
        }
        assert_eq!(plan(&artist, "A", 99, base).turns.len(), MAX_MESSAGES);
    }
}
