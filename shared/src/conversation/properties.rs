//! Property tests of the whole engine: random event sequences (answers, garbage, STOP/START,
//! human requests, images, ticks, artist actions) never panic, never make a client event or a
//! tick fail, and never send the client anything between an opt-out and an opt-in.

use super::step;
use super::types::{ArtistAction, Content, Event, Inbound, LeadState};
use crate::domain::{ArtistConfig, Status};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

const TEXTS: &[&str] = &[
    "hi",
    "STOP",
    "stop please",
    "START",
    "unsubscribe",
    "can I talk to a human",
    "HELP",
    "I want a refund",
    "delete my data",
    "a rose on my forearm",
    "10x15cm",
    "actually make it 20cm",
    "£500",
    "about 200 quid",
    "London",
    "Berlin",
    "Paris",
    "uk",
    "yes",
    "no",
    "skip",
    "done",
    "1",
    "2",
    "3",
    "@sam.ink",
    "next month",
    "asdf",
    "🌹🌹",
    "",
    "don't stop",
    "a stop sign",
    "https://instagram.com/p/x",
    "I'd like to book a tattoo",
];

#[derive(Debug, Clone)]
enum Step {
    Text(usize),
    Image(bool),
    Choice(usize),
    Other(usize),
    Tick(u32),
    Resume,
    TakeOver,
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0..TEXTS.len()).prop_map(Step::Text),
        1 => any::<bool>().prop_map(Step::Image),
        1 => (0..5usize).prop_map(Step::Choice),
        1 => (0..4usize).prop_map(Step::Other),
        2 => (1..400u32).prop_map(Step::Tick),
        1 => Just(Step::Resume),
        1 => Just(Step::TakeOver),
    ]
}

fn event(s: &Step, at: DateTime<Utc>, n: usize) -> Event {
    let content = match s {
        Step::Text(i) => Content::Text {
            body: TEXTS[*i].to_owned(),
        },
        Step::Image(caption) => Content::Image {
            media_id: format!("m{n}"),
            mime_type: None,
            caption: caption.then(|| "like this, 10x10cm".to_owned()),
        },
        Step::Choice(i) => {
            let id = ["yes", "no", "skip", "tour_accept", "tour_decline"][*i];
            Content::Choice {
                id: id.into(),
                title: id.into(),
            }
        }
        Step::Other(i) => match i {
            0 => Content::Reaction { emoji: None },
            1 => Content::Location {
                latitude: 1.0,
                longitude: 2.0,
                name: None,
                address: None,
            },
            _ => Content::Other {
                kind: ["sticker", "audio"][i % 2].into(),
            },
        },
        Step::Tick(_) => return Event::Tick,
        Step::Resume => return Event::Artist(ArtistAction::Resume),
        Step::TakeOver => return Event::Artist(ArtistAction::TakeOver),
    };
    Event::Inbound(Inbound {
        id: format!("w{n}"),
        at,
        profile_name: Some("Sam".into()),
        content,
    })
}

fn is_opt_in(e: &Event) -> bool {
    matches!(e, Event::Inbound(Inbound { content: Content::Text { body }, .. })
        if crate::parse::intent(body) == crate::parse::Intent::OptIn)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_conversations_stay_legal_and_respect_opt_out(steps in prop::collection::vec(any_step(), 1..60)) {
        let artist = ArtistConfig::demo();
        let mut now: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut state = LeadState::new();
        for (n, s) in steps.iter().enumerate() {
            now += match s {
                Step::Tick(h) => Duration::hours(i64::from(*h)),
                _ => Duration::seconds(20),
            };
            let e = event(s, now, n);
            let before = state.status;
            match step(&state, &e, &artist, now) {
                Ok(d) => {
                    let mut at = before;
                    for t in &d.transitions {
                        prop_assert_eq!(t.from, at);
                        prop_assert!(t.from.can_move_to(t.to));
                        at = t.to;
                    }
                    prop_assert_eq!(at, d.state.status);
                    if before == Status::Optout && !is_opt_in(&e) {
                        prop_assert_eq!(d.client_messages().count(), 0, "spoke after OPTOUT: {:?}", e);
                        prop_assert_eq!(d.state.status, Status::Optout);
                    }
                    state = d.state;
                }
                // Only an artist action that does not apply may be refused (the console's 409).
                Err(err) => prop_assert!(matches!(e, Event::Artist(_)), "{} on {:?}", err, e),
            }
        }
    }
}
