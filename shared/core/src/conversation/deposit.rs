//! The deposit, from approval to money: each attempt asks the payments worker for a Checkout
//! Session (a `jobs.payments` job), its link goes to the client when it exists, and what Stripe
//! (or the expiry sweep) reports moves the lead — paid → DEPOSIT_PAID → BOOKING_PENDING, expired
//! or failed → DEPOSIT_EXPIRED with a new link on request, refunded → REFUNDED. Paid off-platform
//! (cash, bank) is the artist's action. Amount and currency checks against the session happen in
//! the worker (`payments::rules`) before an event reaches this module.

use super::context::Ctx;
use super::handover::{self, Reason};
use super::input::Input;
use super::state::{Deposit, DepositStatus, Handover, PaymentMethod};
use super::summary::client_label;
use super::types::{ActionLink, ArtistAction, Effect, ExpiryReason, PaymentEvent, Severity};
use super::waiting;
use crate::domain::{IllegalTransition, Money, Status};
use crate::jobs::{Job, PaymentJob};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Links a client may ask for themselves before the artist is asked to step in.
const CLIENT_LINK_REQUESTS_MAX: u8 = 3;

/// Starts deposit attempt n+1 for `amount`: the payments worker creates its Checkout Session.
pub fn new_attempt(ctx: &mut Ctx, amount: Money) {
    let previous = ctx.state.deposit.as_ref();
    let attempt = previous.map_or(0, |d| d.attempt).saturating_add(1);
    let client_requests = previous.map_or(0, |d| d.client_requests);
    ctx.state.deposit = Some(Deposit {
        attempt,
        amount,
        status: DepositStatus::Requested,
        requested_at: ctx.now,
        session_id: None,
        url: None,
        expires_at: None,
        method: None,
        paid_at: None,
        client_requests,
    });
    ctx.push(Effect::Job(Job::Payments(PaymentJob::CreateCheckout {
        attempt,
        amount_minor: amount.amount_minor,
        currency: amount.currency,
        requested_at: ctx.now,
    })));
}

/// The artist's "send the deposit link again": the open link again, or a new one.
pub fn send_again(ctx: &mut Ctx) -> Result<(), IllegalTransition> {
    if ctx.state.deposit_paid() {
        return ctx.refuse("artist_send_deposit_paid");
    }
    let amount = current_amount(ctx);
    match ctx.status() {
        Status::AwaitingDeposit => {
            let open = open_link(ctx);
            match (open, ctx.state.deposit.as_ref().map(|d| d.status)) {
                (Some((url, until)), _) => {
                    resend(ctx, &url, until);
                    Ok(())
                }
                // The link is being created: it goes out as soon as it exists.
                (None, Some(DepositStatus::Requested)) => Ok(()),
                (None, _) => {
                    new_attempt(ctx, amount);
                    Ok(())
                }
            }
        }
        Status::DepositExpired | Status::NeedsArtistReply => {
            ctx.move_to(Status::AwaitingDeposit, "deposit_link_resent")?;
            ctx.state.handover = None;
            new_attempt(ctx, amount);
            Ok(())
        }
        _ => ctx.refuse("artist_send_deposit"),
    }
}

/// The artist recorded a deposit paid off-platform (cash, bank transfer).
pub fn paid_offline(ctx: &mut Ctx, method: PaymentMethod) -> Result<(), IllegalTransition> {
    if method == PaymentMethod::Stripe {
        return ctx.refuse("artist_mark_paid_stripe");
    }
    match ctx.status() {
        Status::PendingApproval
        | Status::AwaitingDeposit
        | Status::DepositExpired
        | Status::NeedsArtistReply => {}
        _ => return ctx.refuse("artist_mark_paid"),
    }
    if ctx.state.deposit_paid() {
        return ctx.refuse("artist_mark_paid_again");
    }
    let amount = current_amount(ctx);
    let attempt = ctx.state.deposit.as_ref().map_or(0, |d| d.attempt) + 1;
    close_open_session(ctx);
    ctx.state.deposit = Some(Deposit {
        attempt,
        amount,
        status: DepositStatus::Requested,
        requested_at: ctx.now,
        session_id: None,
        url: None,
        expires_at: None,
        method: Some(method),
        paid_at: None,
        client_requests: 0,
    });
    paid(ctx, attempt, amount, method, false)
}

/// A deposit event from the payments worker.
pub fn payment(ctx: &mut Ctx, event: &PaymentEvent) -> Result<(), IllegalTransition> {
    match event {
        PaymentEvent::CheckoutCreated {
            attempt,
            session_id,
            url,
            amount,
            expires_at,
        } => {
            checkout_created(ctx, *attempt, session_id, url, *amount, *expires_at);
            Ok(())
        }
        PaymentEvent::CheckoutFailed { attempt, reason } => checkout_failed(ctx, *attempt, reason),
        PaymentEvent::Paid { attempt, amount } => {
            paid(ctx, *attempt, *amount, PaymentMethod::Stripe, true)
        }
        PaymentEvent::Expired { attempt, reason } => expired(ctx, *attempt, *reason),
        PaymentEvent::Refunded {
            amount_refunded,
            full,
        } => refunded(ctx, *amount_refunded, *full),
    }
}

/// A client message while a deposit is open or expired: a lost link is sent again, an expired
/// one replaced on request; anything else gets the waiting answer.
pub fn client_message(ctx: &mut Ctx, input: &Input) -> Result<(), IllegalTransition> {
    // A paid deposit is never replaced by a new link, whatever status the lead was left in.
    if !asks_for_link(input) || ctx.state.deposit_paid() {
        if ctx.status() == Status::AwaitingDeposit
            && ctx
                .state
                .deposit
                .as_ref()
                .is_some_and(|d| d.status == DepositStatus::Requested)
            && matches!(input, Input::Text { .. })
        {
            let text = ctx.copy().text("deposit.link_coming");
            ctx.inform("deposit.link_coming", text);
            return Ok(());
        }
        waiting::reply(ctx, input);
        return Ok(());
    }
    if let Some((url, until)) = open_link(ctx) {
        resend(ctx, &url, until);
        return Ok(());
    }
    let requested = ctx
        .state
        .deposit
        .as_ref()
        .is_some_and(|d| d.status == DepositStatus::Requested);
    if ctx.status() == Status::AwaitingDeposit && requested {
        let text = ctx.copy().text("deposit.link_coming");
        ctx.say_text(text);
        return Ok(());
    }
    let asked = ctx.state.deposit.as_ref().map_or(0, |d| d.client_requests);
    if asked >= CLIENT_LINK_REQUESTS_MAX {
        return handover::hand_over(ctx, Reason::Human, "asked for yet another deposit link");
    }
    let amount = current_amount(ctx);
    if ctx.status() == Status::DepositExpired {
        ctx.move_to(Status::AwaitingDeposit, "client_asked_for_new_link")?;
    }
    new_attempt(ctx, amount);
    if let Some(d) = ctx.state.deposit.as_mut() {
        d.client_requests = asked.saturating_add(1);
    }
    let text = ctx.copy().text("deposit.link_coming");
    ctx.say_text(text);
    Ok(())
}

/// "new link", "send it again", "resend", "I lost the link", a tapped "new_link" button...
fn asks_for_link(input: &Input) -> bool {
    match input {
        Input::Choice { id, .. } => id == "new_link",
        Input::Text { text, .. } => {
            let t = text.to_lowercase();
            let t = t.trim().trim_end_matches(['.', '!', '?']);
            const PHRASES: [&str; 12] = [
                "new link",
                "another link",
                "fresh link",
                "send it again",
                "send again",
                "resend",
                "link again",
                "send the link",
                "send me the link",
                "lost the link",
                "new one",
                "link expired",
            ];
            t == "link" || t == "again" || PHRASES.iter().any(|p| t.contains(p))
        }
        Input::Image { .. }
        | Input::Location { .. }
        | Input::Reaction
        | Input::Unsupported { .. } => false,
    }
}

/// The deposit the artist's approval asks for: their amount, else the estimate's suggestion,
/// else the artist's small-piece deposit.
pub fn amount_for(ctx: &Ctx, deposit_minor: Option<i64>) -> Money {
    let currency = ctx.artist.currency;
    match deposit_minor {
        Some(minor) => Money::new(minor, currency),
        None => ctx
            .state
            .estimate
            .as_ref()
            .map(|e| e.deposit)
            .filter(|m| m.currency == currency && m.amount_minor > 0)
            .unwrap_or_else(|| Money::new(ctx.artist.deposits.small, currency)),
    }
}

/// The amount of the current deposit, else what an approval would ask.
fn current_amount(ctx: &Ctx) -> Money {
    ctx.state
        .deposit
        .as_ref()
        .map(|d| d.amount)
        .unwrap_or_else(|| amount_for(ctx, None))
}

/// The link of the current attempt while it can still be paid.
fn open_link(ctx: &Ctx) -> Option<(String, DateTime<Utc>)> {
    let d = ctx.state.deposit.as_ref()?;
    let until = d.expires_at?;
    (d.status == DepositStatus::Pending && until > ctx.now)
        .then(|| d.url.clone().map(|u| (u, until)))
        .flatten()
}

/// "Thu 26 Nov, 09:00" in the artist's time zone.
fn until_text(ctx: &Ctx, at: DateTime<Utc>) -> String {
    at.with_timezone(&ctx.artist.tz())
        .format("%a %-d %b, %H:%M")
        .to_string()
}

fn resend(ctx: &mut Ctx, url: &str, until: DateTime<Utc>) {
    let amount = current_amount(ctx).display();
    let until = until_text(ctx, until);
    let text = ctx.copy().fill(
        "deposit.resend",
        &[("amount", &amount), ("url", url), ("until", &until)],
    );
    ctx.say_text(text);
}

/// A session that can still be paid is closed at Stripe (the deposit was settled another way).
fn close_open_session(ctx: &mut Ctx) {
    let Some(d) = ctx.state.deposit.as_ref() else {
        return;
    };
    if d.status != DepositStatus::Pending {
        return;
    }
    if let Some(session) = d.session_id.clone() {
        ctx.push(Effect::Job(Job::Payments(PaymentJob::ExpireCheckout {
            checkout_session_id: session,
        })));
    }
}

fn checkout_created(
    ctx: &mut Ctx,
    attempt: u32,
    session_id: &str,
    url: &str,
    amount: Money,
    expires_at: DateTime<Utc>,
) {
    let current = ctx
        .state
        .deposit
        .as_ref()
        .is_some_and(|d| d.attempt == attempt && d.status == DepositStatus::Requested);
    if !current {
        ctx.system_event(
            "deposit_link_not_sent",
            Severity::Info,
            json!({"attempt": attempt, "session_id": session_id, "why": "not the open attempt", "status": ctx.status()}),
        );
        return;
    }
    if let Some(d) = ctx.state.deposit.as_mut() {
        d.status = DepositStatus::Pending;
        d.session_id = Some(session_id.to_owned());
        d.url = Some(url.to_owned());
        d.expires_at = Some(expires_at);
        d.amount = amount;
    }
    if ctx.status() != Status::AwaitingDeposit {
        // The artist owns the chat (or the client left): the link is kept for "send it again".
        ctx.system_event(
            "deposit_link_not_sent",
            Severity::Info,
            json!({"attempt": attempt, "session_id": session_id, "why": "lead status", "status": ctx.status()}),
        );
        return;
    }
    let key = if attempt == 1 {
        "deposit.link"
    } else {
        "deposit.new_link"
    };
    let (amount, until) = (amount.display(), until_text(ctx, expires_at));
    let text = ctx
        .copy()
        .fill(key, &[("amount", &amount), ("url", url), ("until", &until)]);
    ctx.say_text(text);
}

fn checkout_failed(ctx: &mut Ctx, attempt: u32, reason: &str) -> Result<(), IllegalTransition> {
    let current = ctx
        .state
        .deposit
        .as_ref()
        .is_some_and(|d| d.attempt == attempt && d.status == DepositStatus::Requested);
    if !current {
        return Ok(());
    }
    if let Some(d) = ctx.state.deposit.as_mut() {
        d.status = DepositStatus::Failed;
    }
    let client = client_label(&ctx.state);
    let note = ctx.copy().fill(
        "artist.deposit_failed",
        &[("client", &client), ("reason", reason)],
    );
    if ctx.status() == Status::AwaitingDeposit {
        ctx.move_to(Status::NeedsArtistReply, "deposit_link_failed")?;
        ctx.state.handover = Some(Handover {
            reason: format!("the deposit link could not be created ({reason})"),
            resume_to: Status::PendingApproval,
            since: ctx.now,
            holding_sent_at: Some(ctx.now),
            unanswered: false,
        });
        let text = ctx.copy().text("handover.deposit_failed");
        ctx.say_text(text);
    }
    let mut links = Vec::new();
    if ctx.state.status.can_move_to(Status::AwaitingDeposit) {
        links.push(ActionLink {
            label: ctx.copy().text("link.send_deposit"),
            action: ArtistAction::SendDeposit,
        });
    }
    ctx.notify_artist_with_links(note, links);
    Ok(())
}

/// Money arrived for `attempt` (Stripe, already checked) or the artist recorded it (`online`
/// false): DEPOSIT_PAID → BOOKING_PENDING with a thank-you, unless the lead cannot take it.
fn paid(
    ctx: &mut Ctx,
    attempt: u32,
    amount: Money,
    method: PaymentMethod,
    online: bool,
) -> Result<(), IllegalTransition> {
    let client = client_label(&ctx.state);
    let shown = amount.display();
    if let Some(d) = ctx.state.deposit.as_ref()
        && d.status == DepositStatus::Paid
    {
        if d.attempt != attempt {
            ctx.system_event(
                "deposit_paid_twice",
                Severity::Warning,
                json!({"attempt": attempt, "paid_attempt": d.attempt, "amount": amount}),
            );
            let note = ctx.copy().fill(
                "artist.paid_twice",
                &[("client", &client), ("amount", &shown)],
            );
            ctx.notify_artist(note);
        }
        return Ok(());
    }
    if online
        && ctx
            .state
            .deposit
            .as_ref()
            .is_some_and(|d| d.attempt != attempt)
    {
        // An older link was paid after a newer one went out: close the newer one.
        close_open_session(ctx);
    }
    let previous_requests = ctx.state.deposit.as_ref().map_or(0, |d| d.client_requests);
    let mut deposit = ctx.state.deposit.clone().unwrap_or(Deposit {
        attempt,
        amount,
        status: DepositStatus::Requested,
        requested_at: ctx.now,
        session_id: None,
        url: None,
        expires_at: None,
        method: None,
        paid_at: None,
        client_requests: previous_requests,
    });
    deposit.attempt = attempt;
    deposit.amount = amount;
    deposit.status = DepositStatus::Paid;
    deposit.method = Some(method);
    deposit.paid_at = Some(ctx.now);
    ctx.state.deposit = Some(deposit);
    let note_vars = [
        ("client", client.as_str()),
        ("amount", shown.as_str()),
        ("method", method.as_str()),
    ];
    match ctx.status() {
        Status::AwaitingDeposit | Status::DepositExpired | Status::PendingApproval => {
            ctx.move_to(Status::DepositPaid, "deposit_paid")?;
            ctx.move_to(Status::BookingPending, "awaiting_booking")?;
            let text = ctx.copy().fill("deposit.paid", &[("amount", &shown)]);
            ctx.say_text(text);
            if online {
                let note = ctx.copy().fill("artist.deposit_paid", &note_vars);
                ctx.notify_artist(note);
            }
            Ok(())
        }
        Status::NeedsArtistReply => {
            // The artist owns the chat: the bot stays quiet and continues with booking on resume.
            if let Some(h) = ctx.state.handover.as_mut() {
                h.resume_to = Status::BookingPending;
            }
            if online {
                let note = ctx.copy().fill("artist.deposit_paid_handover", &note_vars);
                ctx.notify_artist(note);
            }
            Ok(())
        }
        status => {
            if !online {
                return ctx.refuse("artist_mark_paid");
            }
            ctx.system_event(
                "payment_unexpected_status",
                Severity::Warning,
                json!({"attempt": attempt, "amount": amount, "status": status}),
            );
            let note = ctx.copy().fill(
                "artist.payment_unexpected",
                &[
                    ("client", &client),
                    ("amount", &shown),
                    ("status", status.as_str()),
                ],
            );
            ctx.notify_artist(note);
            Ok(())
        }
    }
}

fn expired(ctx: &mut Ctx, attempt: u32, reason: ExpiryReason) -> Result<(), IllegalTransition> {
    let current = ctx.state.deposit.as_ref().is_some_and(|d| {
        d.attempt == attempt
            && matches!(d.status, DepositStatus::Requested | DepositStatus::Pending)
    });
    if !current {
        // An older link, or one already settled: nothing to undo.
        return Ok(());
    }
    if let Some(d) = ctx.state.deposit.as_mut() {
        d.status = match reason {
            ExpiryReason::LinkExpired => DepositStatus::Expired,
            ExpiryReason::PaymentFailed => DepositStatus::Failed,
        };
    }
    let client = client_label(&ctx.state);
    if reason == ExpiryReason::PaymentFailed {
        let note = ctx
            .copy()
            .fill("artist.payment_failed", &[("client", &client)]);
        ctx.notify_artist(note);
    }
    match ctx.status() {
        Status::AwaitingDeposit => {
            let (cause, key) = match reason {
                ExpiryReason::LinkExpired => ("deposit_link_expired", "deposit.expired"),
                ExpiryReason::PaymentFailed => ("deposit_payment_failed", "deposit.payment_failed"),
            };
            ctx.move_to(Status::DepositExpired, cause)?;
            let text = ctx.copy().text(key);
            ctx.say_text(text);
        }
        Status::NeedsArtistReply => {
            if let Some(h) = ctx.state.handover.as_mut()
                && h.resume_to == Status::AwaitingDeposit
            {
                h.resume_to = Status::DepositExpired;
            }
        }
        _ => {}
    }
    Ok(())
}

fn refunded(ctx: &mut Ctx, amount: Money, full: bool) -> Result<(), IllegalTransition> {
    let client = client_label(&ctx.state);
    let shown = amount.display();
    if !full {
        ctx.system_event(
            "deposit_partially_refunded",
            Severity::Info,
            json!({"amount_refunded": amount}),
        );
        let note = ctx.copy().fill(
            "artist.partial_refund",
            &[("client", &client), ("amount", &shown)],
        );
        ctx.notify_artist(note);
        return Ok(());
    }
    let status = ctx.status();
    if status == Status::Refunded {
        return Ok(());
    }
    if let Some(d) = ctx.state.deposit.as_mut() {
        d.status = DepositStatus::Refunded;
    }
    if !status.can_move_to(Status::Refunded) {
        ctx.system_event(
            "refund_unexpected_status",
            Severity::Warning,
            json!({"amount_refunded": amount, "status": status}),
        );
        let note = ctx.copy().fill(
            "artist.refunded",
            &[("client", &client), ("amount", &shown)],
        );
        ctx.notify_artist(note);
        return Ok(());
    }
    ctx.move_to(Status::Refunded, "deposit_refunded")?;
    let handed_over = status == Status::NeedsArtistReply;
    ctx.state.handover = None;
    if !handed_over {
        let text = ctx.copy().fill("deposit.refunded", &[("amount", &shown)]);
        ctx.say_text(text);
    }
    let note = ctx.copy().fill(
        "artist.refunded",
        &[("client", &client), ("amount", &shown)],
    );
    ctx.notify_artist(note);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::state::LeadState;
    use crate::conversation::step;
    use crate::conversation::types::{Event, Recipient};
    use crate::domain::{ArtistConfig, Currency};

    fn t0() -> DateTime<Utc> {
        "2026-11-25T10:00:00Z".parse().unwrap()
    }

    fn pending() -> LeadState {
        let mut s = LeadState::new();
        s.status = Status::PendingApproval;
        s.name = Some("Sam".into());
        s
    }

    fn jobs(d: &crate::conversation::Decision) -> Vec<serde_json::Value> {
        d.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Job(Job::Payments(j)) => serde_json::to_value(j).ok(),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn approving_asks_for_one_checkout_and_a_second_approval_changes_nothing() {
        let artist = ArtistConfig::demo();
        let approve = Event::Artist(ArtistAction::Approve {
            deposit_minor: Some(12_345),
        });
        let d = step(&pending(), &approve, &artist, t0()).unwrap();
        assert_eq!(d.state.status, Status::AwaitingDeposit);
        let j = jobs(&d);
        assert_eq!(j.len(), 1);
        assert_eq!(j[0]["kind"], "create_checkout");
        assert_eq!(j[0]["attempt"], 1);
        assert_eq!(j[0]["amount_minor"], 12_345);
        assert_eq!(j[0]["currency"], "GBP");
        assert_eq!(
            d.client_messages().count(),
            0,
            "the link message comes with the session"
        );
        let again = step(&d.state, &approve, &artist, t0()).unwrap();
        assert!(again.transitions.is_empty() && again.effects.is_empty());
        assert!(
            step(
                &pending(),
                &Event::Artist(ArtistAction::Approve {
                    deposit_minor: Some(0)
                }),
                &artist,
                t0()
            )
            .is_err()
        );
    }

    #[test]
    fn a_checkout_link_then_payment_reaches_booking_pending_once() {
        let artist = ArtistConfig::demo();
        let approve = Event::Artist(ArtistAction::Approve {
            deposit_minor: None,
        });
        let s = step(&pending(), &approve, &artist, t0()).unwrap().state;
        let amount = Money::new(15_000, Currency::GBP);
        let created = Event::Payment(PaymentEvent::CheckoutCreated {
            attempt: 1,
            session_id: "cs_1".into(),
            url: "https://pay.test/cs_1".into(),
            amount,
            expires_at: t0() + chrono::Duration::hours(23),
        });
        let d = step(&s, &created, &artist, t0()).unwrap();
        let texts: Vec<String> = d.client_messages().map(|m| m.preview()).collect();
        assert_eq!(texts.len(), 1);
        assert!(
            texts[0].contains("https://pay.test/cs_1") && texts[0].contains("£150"),
            "{texts:?}"
        );
        // A duplicate event for the same attempt sends nothing more.
        let dup = step(&d.state, &created, &artist, t0()).unwrap();
        assert_eq!(dup.client_messages().count(), 0);
        let paid = Event::Payment(PaymentEvent::Paid { attempt: 1, amount });
        let p = step(&d.state, &paid, &artist, t0()).unwrap();
        assert_eq!(p.state.status, Status::BookingPending);
        assert_eq!(p.transitions.len(), 2);
        assert_eq!(p.client_messages().count(), 1);
        assert!(p.effects.iter().any(|e| matches!(
            e,
            Effect::Send {
                to: Recipient::Artist,
                ..
            }
        )));
        let again = step(&p.state, &paid, &artist, t0()).unwrap();
        assert!(again.transitions.is_empty());
        assert_eq!(again.client_messages().count(), 0);
        // A late expiry of the paid link undoes nothing.
        let late = Event::Payment(PaymentEvent::Expired {
            attempt: 1,
            reason: ExpiryReason::LinkExpired,
        });
        let l = step(&p.state, &late, &artist, t0()).unwrap();
        assert_eq!(l.state.status, Status::BookingPending);
        assert!(l.effects.iter().all(|e| !matches!(e, Effect::Send { .. })));
    }

    #[test]
    fn links_are_recognised() {
        let t = |s: &str| Input::Text {
            text: s.into(),
            intent: crate::parse::Intent::None,
        };
        for yes in [
            "new link",
            "Can you send it again?",
            "link",
            "resend please",
            "I lost the link",
        ] {
            assert!(asks_for_link(&t(yes)), "{yes}");
        }
        for no in ["when is my appointment", "thanks", "linked in"] {
            assert!(!asks_for_link(&t(no)), "{no}");
        }
    }
}
