//! The engine's table-driven tests: every status × every kind of event.

use super::*;
use crate::conversation::state::{Deposit, DepositStatus, Handover, PaymentMethod, TourOffer};
use crate::conversation::types::{
    ArtistAction, Content, Effect, ExpiryReason, Inbound, PaymentEvent, Recipient,
};
use crate::domain::{Currency, Money};
use crate::parse::{Dimensions, Location};
use chrono::Duration;

fn t0() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

/// A lead in `status`, either bare or with everything a lead there would normally carry.
fn fixture(status: Status, rich: bool) -> LeadState {
    let mut s = LeadState::new();
    s.status = status;
    s.name = Some("Sam".into());
    if !rich {
        return s;
    }
    s.last_inbound_at = Some(t0());
    s.status_since = Some(t0());
    let a = &mut s.answers;
    a.idea = Some("rose".into());
    a.placement = Some("forearm".into());
    if status != Status::Qualifying {
        a.dimensions = Some(Dimensions {
            width_cm: 10.0,
            height_cm: 10.0,
        });
        a.complexity = Some(2);
        a.coverup = Some(false);
        a.budget = Some(Money::new(60_000, crate::domain::Currency::GBP));
        a.location = Some(Location {
            city: Some("Berlin".into()),
            country: Some("DE".into()),
            region: Some(crate::domain::Region::Eu),
            flexible: false,
        });
        a.timing = Some("soon".into());
        for k in [
            super::super::QuestionKey::Style,
            super::super::QuestionKey::References,
        ] {
            a.settle(k);
        }
        a.settle(super::super::QuestionKey::Instagram);
        a.settle(super::super::QuestionKey::TravelCity);
    } else {
        s.step = Some("dimensions".into());
    }
    match status {
        Status::NeedsArtistReply => {
            s.handover = Some(Handover {
                reason: "test".into(),
                resume_to: Status::Qualifying,
                since: t0(),
                holding_sent_at: Some(t0()),
                unanswered: false,
            })
        }
        Status::TourConversionOffered => {
            s.tour_offer = Some(TourOffer {
                city: "Berlin".into(),
                country: "DE".into(),
                from: "2026-12-01".parse().unwrap(),
                to: "2026-12-05".parse().unwrap(),
            })
        }
        Status::Optout | Status::Abandoned | Status::Stale => {
            s.paused_from = Some(Status::Qualifying)
        }
        _ => {}
    }
    let deposit_status = match status {
        Status::AwaitingDeposit => Some(DepositStatus::Pending),
        Status::DepositExpired => Some(DepositStatus::Expired),
        Status::DepositPaid
        | Status::BookingPending
        | Status::CollectingTimeWindows
        | Status::Booked
        | Status::Cancelled => Some(DepositStatus::Paid),
        Status::Refunded => Some(DepositStatus::Refunded),
        _ => None,
    };
    s.deposit = deposit_status.map(|st| Deposit {
        attempt: 1,
        amount: Money::new(15_000, Currency::GBP),
        status: st,
        requested_at: t0(),
        session_id: Some("cs_test_1".into()),
        url: Some("https://pay.test/cs_test_1".into()),
        expires_at: Some(t0() + Duration::hours(23)),
        method: (st == DepositStatus::Paid).then_some(PaymentMethod::Stripe),
        paid_at: None,
        client_requests: 0,
    });
    s
}

/// Whether an artist action applies to a lead (else the engine refuses it: the console's 409).
fn action_applies(action: &ArtistAction, before: &LeadState) -> bool {
    let status = before.status;
    let paid = before
        .deposit
        .as_ref()
        .is_some_and(|d| d.status == DepositStatus::Paid);
    match action {
        ArtistAction::Handover => status.can_move_to(Status::NeedsArtistReply),
        ArtistAction::Resume => status == Status::NeedsArtistReply,
        ArtistAction::Reply { .. } => status != Status::Optout,
        ArtistAction::Approve { .. } => {
            !paid
                && (matches!(status, Status::PendingApproval | Status::NeedsArtistReply)
                    || (status == Status::AwaitingDeposit && before.deposit.is_some()))
        }
        ArtistAction::Reject { .. } => matches!(
            status,
            Status::PendingApproval | Status::NeedsArtistReply | Status::NeedsFollowUp
        ),
        ArtistAction::AskMore { .. } => status == Status::PendingApproval,
        ArtistAction::SendDeposit => {
            !paid
                && matches!(
                    status,
                    Status::AwaitingDeposit | Status::DepositExpired | Status::NeedsArtistReply
                )
        }
        ArtistAction::MarkPaid { .. } => {
            !paid
                && matches!(
                    status,
                    Status::PendingApproval
                        | Status::AwaitingDeposit
                        | Status::DepositExpired
                        | Status::NeedsArtistReply
                )
        }
    }
}

fn inbound(content: Content, at: DateTime<Utc>) -> Event {
    Event::Inbound(Inbound {
        id: "wamid.x".into(),
        at,
        profile_name: Some("Sam".into()),
        content,
    })
}

fn text(s: &str) -> Content {
    Content::Text { body: s.into() }
}

/// One event of every kind the engine can receive, with a label.
fn every_event_kind(at: DateTime<Utc>) -> Vec<(&'static str, Event)> {
    vec![
        ("answer", inbound(text("10x15cm"), at)),
        ("garbage", inbound(text("asdfgh qwerty"), at)),
        ("greeting", inbound(text("hi"), at)),
        ("empty", inbound(text("   "), at)),
        ("opt_out", inbound(text("STOP"), at)),
        ("opt_in", inbound(text("START"), at)),
        ("human", inbound(text("can I talk to a human"), at)),
        ("help", inbound(text("HELP"), at)),
        ("refund", inbound(text("I want a refund"), at)),
        ("delete", inbound(text("please delete my data"), at)),
        (
            "image",
            inbound(
                Content::Image {
                    media_id: "m1".into(),
                    mime_type: None,
                    caption: None,
                },
                at,
            ),
        ),
        (
            "image_caption",
            inbound(
                Content::Image {
                    media_id: "m2".into(),
                    mime_type: None,
                    caption: Some("10x10cm".into()),
                },
                at,
            ),
        ),
        (
            "choice_yes",
            inbound(
                Content::Choice {
                    id: "yes".into(),
                    title: "Yes".into(),
                },
                at,
            ),
        ),
        (
            "choice_tour",
            inbound(
                Content::Choice {
                    id: "tour_accept".into(),
                    title: "Yes".into(),
                },
                at,
            ),
        ),
        (
            "choice_skip",
            inbound(
                Content::Choice {
                    id: "skip".into(),
                    title: "Skip".into(),
                },
                at,
            ),
        ),
        (
            "template_button",
            inbound(
                Content::TemplateButton {
                    payload: "no".into(),
                    text: "No".into(),
                },
                at,
            ),
        ),
        (
            "location",
            inbound(
                Content::Location {
                    latitude: 0.0,
                    longitude: 0.0,
                    name: None,
                    address: Some("London".into()),
                },
                at,
            ),
        ),
        (
            "reaction",
            inbound(
                Content::Reaction {
                    emoji: Some("👍".into()),
                },
                at,
            ),
        ),
        (
            "audio",
            inbound(
                Content::Other {
                    kind: "audio".into(),
                },
                at,
            ),
        ),
        (
            "sticker",
            inbound(
                Content::Other {
                    kind: "sticker".into(),
                },
                at,
            ),
        ),
        (
            "unsupported",
            inbound(
                Content::Other {
                    kind: "unsupported".into(),
                },
                at,
            ),
        ),
        ("new_link", inbound(text("can you send a new link?"), at)),
        ("tick", Event::Tick),
        ("artist_resume", Event::Artist(ArtistAction::Resume)),
        ("artist_takeover", Event::Artist(ArtistAction::Handover)),
        (
            "artist_approve",
            Event::Artist(ArtistAction::Approve {
                deposit_minor: None,
            }),
        ),
        (
            "artist_approve_amount",
            Event::Artist(ArtistAction::Approve {
                deposit_minor: Some(20_000),
            }),
        ),
        (
            "artist_reject",
            Event::Artist(ArtistAction::Reject {
                reason: Some("not my style".into()),
            }),
        ),
        (
            "artist_ask_more",
            Event::Artist(ArtistAction::AskMore { note: None }),
        ),
        (
            "artist_send_deposit",
            Event::Artist(ArtistAction::SendDeposit),
        ),
        (
            "artist_paid_cash",
            Event::Artist(ArtistAction::MarkPaid {
                method: PaymentMethod::Cash,
            }),
        ),
        (
            "checkout_created",
            Event::Payment(PaymentEvent::CheckoutCreated {
                attempt: 1,
                session_id: "cs_test_1".into(),
                url: "https://pay.test/cs_test_1".into(),
                amount: Money::new(15_000, Currency::GBP),
                expires_at: at + Duration::hours(23),
            }),
        ),
        (
            "checkout_failed",
            Event::Payment(PaymentEvent::CheckoutFailed {
                attempt: 1,
                reason: "card_declined".into(),
            }),
        ),
        (
            "paid",
            Event::Payment(PaymentEvent::Paid {
                attempt: 1,
                amount: Money::new(15_000, Currency::GBP),
            }),
        ),
        (
            "paid_other_attempt",
            Event::Payment(PaymentEvent::Paid {
                attempt: 7,
                amount: Money::new(15_000, Currency::GBP),
            }),
        ),
        (
            "link_expired",
            Event::Payment(PaymentEvent::Expired {
                attempt: 1,
                reason: ExpiryReason::LinkExpired,
            }),
        ),
        (
            "payment_failed",
            Event::Payment(PaymentEvent::Expired {
                attempt: 1,
                reason: ExpiryReason::PaymentFailed,
            }),
        ),
        (
            "refunded",
            Event::Payment(PaymentEvent::Refunded {
                amount_refunded: Money::new(15_000, Currency::GBP),
                full: true,
            }),
        ),
        (
            "refunded_partly",
            Event::Payment(PaymentEvent::Refunded {
                amount_refunded: Money::new(5_000, Currency::GBP),
                full: false,
            }),
        ),
    ]
}

#[test]
fn every_status_handles_every_event_kind() {
    let artist = ArtistConfig::demo();
    let mut checked = 0;
    for status in Status::ALL {
        for rich in [false, true] {
            let before = fixture(status, rich);
            for offset in [Duration::minutes(1), Duration::days(3), Duration::days(30)] {
                let now = t0() + offset;
                for (label, event) in every_event_kind(now) {
                    let case = format!("{status} rich={rich} +{offset} {label}");
                    let result = step(&before, &event, &artist, now);
                    let d = match (result, &event) {
                        (Ok(d), Event::Artist(action)) => {
                            assert!(
                                action_applies(action, &before) || d.effects.is_empty(),
                                "{case}: applied"
                            );
                            d
                        }
                        (Ok(d), _) => d,
                        (Err(e), Event::Artist(action)) => {
                            assert!(!action_applies(action, &before), "{case}: {e}");
                            assert_eq!(e.from, status, "{case}");
                            continue;
                        }
                        (Err(e), _) => panic!("{case}: {e}"),
                    };
                    let mut at = status;
                    for t in &d.transitions {
                        assert_eq!(t.from, at, "{case}");
                        assert!(t.from.can_move_to(t.to), "{case}");
                        at = t.to;
                    }
                    assert_eq!(at, d.state.status, "{case}");
                    let opted_in = label == "opt_in";
                    if status == Status::Optout && !opted_in {
                        assert_eq!(d.client_messages().count(), 0, "{case}: spoke after OPTOUT");
                        assert_eq!(d.state.status, Status::Optout, "{case}");
                    }
                    if label == "reaction" {
                        assert!(
                            d.effects.iter().all(|e| !matches!(e, Effect::Send { .. })),
                            "{case}"
                        );
                    }
                    if status.is_terminal_for_bot()
                        && !matches!(
                            label,
                            "opt_out"
                                | "human"
                                | "help"
                                | "refund"
                                | "delete"
                                | "artist_takeover"
                                | "refunded"
                        )
                    {
                        assert_eq!(d.state.status, status, "{case}: a terminal status moved");
                    }
                    if status == Status::NeedsArtistReply
                        && matches!(label, "paid" | "link_expired" | "checkout_created")
                    {
                        assert_eq!(
                            d.client_messages().count(),
                            0,
                            "{case}: spoke during a handover"
                        );
                    }
                    if rich
                        && matches!(label, "paid" | "paid_other_attempt")
                        && status == Status::AwaitingDeposit
                    {
                        assert_eq!(d.state.status, Status::BookingPending, "{case}");
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > Status::ALL.len() * 2 * 3 * 20);
}

#[test]
fn a_plain_message_gets_an_answer_in_every_status_but_optout() {
    let artist = ArtistConfig::demo();
    for status in Status::ALL {
        let before = fixture(status, true);
        let now = t0() + Duration::days(1);
        let d = step(
            &before,
            &inbound(text("hello? anyone there"), now),
            &artist,
            now,
        )
        .unwrap();
        let answered = d.effects.iter().any(|e| {
            matches!(
                e,
                Effect::Send {
                    to: Recipient::Client,
                    ..
                }
            )
        });
        assert_eq!(answered, status != Status::Optout, "{status}");
    }
}

#[test]
fn the_first_message_starts_qualifying_and_schedules_a_tick() {
    let artist = ArtistConfig::demo();
    let d = step(&LeadState::new(), &inbound(text("Hi"), t0()), &artist, t0()).unwrap();
    assert_eq!(d.state.status, Status::Qualifying);
    assert_eq!(d.state.step.as_deref(), Some("idea"));
    assert!(d.effects.iter().any(|e| matches!(
        e,
        Effect::ScheduleReminder { kind, at } if kind == "tick" && *at == t0() + Duration::hours(48)
    )));
    assert!(
        d.effects
            .iter()
            .any(|e| matches!(e, Effect::Job(crate::jobs::Job::Sheets(_))))
    );
}

#[test]
fn events_round_trip_through_json() {
    for (_, e) in every_event_kind(t0()) {
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), e);
    }
    let json = serde_json::to_value(Event::Artist(ArtistAction::Resume)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"event": "artist", "action": "resume"})
    );
}
