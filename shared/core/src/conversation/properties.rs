//! Property tests of the whole engine: random event sequences (answers, garbage, STOP/START,
//! human requests, images, ticks, artist actions) never panic, never make a client event or a
//! tick fail, and never send the client anything between an opt-out and an opt-in.

use super::state::{DepositStatus, LeadState, PaymentMethod};
use super::step;
use super::types::{ArtistAction, Content, Event, ExpiryReason, Inbound, PaymentEvent};
use crate::domain::{ArtistConfig, Currency, Money, Status};
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
    "new link",
    "send it again",
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
    /// Approve, reject, ask more, send the deposit again, paid in cash.
    Decide(usize),
    /// Created, failed, paid, expired, payment failed, refunded (for the current attempt, or a
    /// stale one when the flag is set).
    Pay(usize, bool),
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
        2 => (0..5usize).prop_map(Step::Decide),
        3 => ((0..6usize), any::<bool>()).prop_map(|(k, stale)| Step::Pay(k, stale)),
    ]
}

fn decide(k: usize) -> ArtistAction {
    match k {
        0 => ArtistAction::Approve {
            deposit_minor: None,
        },
        1 => ArtistAction::Reject { reason: None },
        2 => ArtistAction::AskMore { note: None },
        3 => ArtistAction::SendDeposit,
        _ => ArtistAction::MarkPaid {
            method: PaymentMethod::Cash,
        },
    }
}

fn pay(k: usize, stale: bool, state: &LeadState, at: DateTime<Utc>) -> PaymentEvent {
    let current = state.deposit.as_ref().map_or(1, |d| d.attempt);
    let attempt = if stale {
        current.saturating_sub(1)
    } else {
        current
    };
    let amount = Money::new(15_000, Currency::GBP);
    match k {
        0 => PaymentEvent::CheckoutCreated {
            attempt,
            session_id: format!("cs_{attempt}"),
            url: format!("https://pay.test/cs_{attempt}"),
            amount,
            expires_at: at + Duration::hours(23),
        },
        1 => PaymentEvent::CheckoutFailed {
            attempt,
            reason: "api_error".into(),
        },
        2 => PaymentEvent::Paid { attempt, amount },
        3 => PaymentEvent::Expired {
            attempt,
            reason: ExpiryReason::LinkExpired,
        },
        4 => PaymentEvent::Expired {
            attempt,
            reason: ExpiryReason::PaymentFailed,
        },
        _ => PaymentEvent::Refunded {
            amount_refunded: amount,
            full: !stale,
        },
    }
}

fn event(s: &Step, at: DateTime<Utc>, n: usize, state: &LeadState) -> Event {
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
        Step::TakeOver => return Event::Artist(ArtistAction::Handover),
        Step::Decide(k) => return Event::Artist(decide(*k)),
        Step::Pay(k, stale) => return Event::Payment(pay(*k, *stale, state, at)),
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
            let e = event(s, now, n, &state);
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
                    // A paid deposit is never forgotten, and money never moves a lead backwards.
                    let was_paid = state.deposit.as_ref().is_some_and(|d| d.status == DepositStatus::Paid);
                    if was_paid && !matches!(e, Event::Payment(PaymentEvent::Refunded { full: true, .. })) {
                        prop_assert!(d.state.deposit.as_ref().is_some_and(|d| d.status == DepositStatus::Paid), "paid deposit lost on {:?}", e);
                    }
                    if matches!(e, Event::Payment(_)) {
                        prop_assert!(!d.transitions.iter().any(|t| t.to == Status::New || t.to == Status::Qualifying), "{:?}", e);
                    }
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
