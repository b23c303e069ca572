//! Approval and deposits against the real fleet: artist actions (`infra::actions`) → jobs.payments
//! → the payments worker → the fake Stripe over loopback HTTP → the link at the fake Graph API;
//! Stripe's signed events back through the ingress → inbound.stripe → the lead's status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use fakes::{FakeStripe, StripeFault};
use harness::env::STRIPE_WEBHOOK_SECRET;
use harness::{Running, TestEnv, eventually};
use infra::actions::{self, ActionError};
use infra::config::ParkingConfig;
use inkline_core::conversation::ArtistAction;
use inkline_core::conversation::LeadState;
use inkline_core::domain::Status;
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;
use workers::Role;

const STRIPE_KEY: &str = "sk_test_inkline_payments";
const WAIT: Duration = Duration::from_secs(20);

/// A test world: the fleet with payments, the ingress, a fake Stripe posting to the ingress.
struct World {
    env: TestEnv,
    stripe: FakeStripe,
    _ingress: Running,
    _workers: Running,
}

async fn world_with(roles: &[Role], before_start: impl FnOnce(&FakeStripe)) -> World {
    let mut env = TestEnv::new().await;
    let stripe = FakeStripe::start(None, STRIPE_WEBHOOK_SECRET.into(), STRIPE_KEY.into()).await;
    env.extra_env
        .insert("STRIPE_API_BASE".into(), stripe.base_url());
    env.extra_env
        .insert("STRIPE_SECRET_KEY".into(), STRIPE_KEY.into());
    let ingress = env.start_ingress().await;
    stripe.set_webhook_url(Some(ingress.url("/webhooks/stripe")));
    before_start(&stripe);
    let workers = env.start_workers(roles).await;
    World {
        env,
        stripe,
        _ingress: ingress,
        _workers: workers,
    }
}

async fn world() -> World {
    world_with(&[Role::Payments, Role::Relay, Role::Sender], |_| {}).await
}

/// A lead waiting for the artist's decision, as the conversation worker leaves it.
async fn seed(env: &TestEnv, wa_id: &str, status: Status) -> Uuid {
    let mut state = LeadState::new();
    state.status = status;
    state.name = Some("Sam Smith".into());
    state.last_inbound_at = Some(Utc::now());
    env.insert_lead(wa_id, &state).await
}

async fn status(env: &TestEnv, lead: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM leads WHERE id = $1")
        .bind(lead)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

async fn wait_status(env: &TestEnv, lead: Uuid, want: &str) {
    eventually(&format!("lead becomes {want}"), WAIT, || async {
        (status(env, lead).await == want).then_some(())
    })
    .await;
}

/// Client texts at the fake Graph API containing `needle`.
fn client_texts(env: &TestEnv, wa_id: &str, needle: &str) -> Vec<String> {
    env.graph
        .sent_to(wa_id)
        .iter()
        .filter_map(|m| m.text().map(str::to_owned))
        .filter(|t| t.contains(needle))
        .collect()
}

/// The artist's notifications (the transcript rows: the fake sees templates for the artist).
async fn artist_notes(env: &TestEnv, lead: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT text FROM messages WHERE lead_id = $1 AND recipient = 'artist' ORDER BY created_at",
    )
    .bind(lead)
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

async fn events_of(env: &TestEnv, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM system_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

/// Approves and waits for the link at the client; returns the session id.
async fn approve_and_wait_for_link(w: &World, lead: Uuid, wa_id: &str) -> String {
    actions::perform(
        &w.env.pool,
        lead.into(),
        ArtistAction::Approve {
            deposit_minor: None,
        },
        "admin",
        "test",
    )
    .await
    .unwrap();
    let link = eventually("the deposit link reaches the client", WAIT, || async {
        client_texts(&w.env, wa_id, "/pay/cs_test_")
            .into_iter()
            .next()
    })
    .await;
    let session = w.stripe.sessions().last().unwrap().clone();
    assert!(link.contains(&session.url), "{link}");
    session.id
}

/// A signed event for `object` (edited from the fake's own JSON), posted through the ingress.
async fn post_event(w: &World, event_type: &str, object: Value, livemode: bool) -> Option<u16> {
    let mut event = w.stripe.event(event_type, object);
    event["livemode"] = json!(livemode);
    let body = serde_json::to_vec(&event).unwrap();
    let sig = w.stripe.sign(&body, Utc::now().timestamp());
    w.stripe.send_event(body, sig).await.status
}

#[tokio::test]
async fn approving_twice_and_from_two_devices_at_once_creates_one_session_and_sends_one_link() {
    let w = world().await;
    let wa = "447700900601";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let approve = || {
        actions::perform(
            &w.env.pool,
            lead.into(),
            ArtistAction::Approve {
                deposit_minor: None,
            },
            "artist:demo",
            "test",
        )
    };
    let (a, b) = tokio::join!(approve(), approve());
    let (a, b) = (a.unwrap(), b.unwrap());
    let moved = [&a, &b]
        .iter()
        .filter(|o| o.from == Status::PendingApproval)
        .count();
    assert_eq!(
        moved, 1,
        "one device moved the lead, the other saw it approved: {a:?} {b:?}"
    );
    // A retried request (the HTTP client timed out) changes nothing either.
    let again = approve().await.unwrap();
    assert_eq!(
        (again.from, again.to),
        (Status::AwaitingDeposit, Status::AwaitingDeposit)
    );

    eventually("the link is sent", WAIT, || async {
        (!client_texts(&w.env, wa, "/pay/").is_empty()).then_some(())
    })
    .await;
    w.env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(
        client_texts(&w.env, wa, "/pay/").len(),
        1,
        "one link message"
    );
    let sessions = w.stripe.sessions();
    assert_eq!(sessions.len(), 1, "one Checkout Session");
    let s = &sessions[0];
    assert_eq!(
        (s.amount_total, s.currency.as_str()),
        (15_000, "gbp"),
        "the demo artist's default deposit, lower-case currency"
    );
    assert_eq!(s.metadata.get("lead_id"), Some(&lead.to_string()));
    assert_eq!(s.metadata.get("artist").map(String::as_str), Some("demo"));
    assert_eq!(
        s.client_reference_id.as_deref(),
        Some(lead.to_string().as_str())
    );
    assert_eq!(
        s.payment_intent_metadata.get("lead_id"),
        Some(&lead.to_string())
    );
    assert!(
        s.success_url
            .as_deref()
            .unwrap()
            .contains("{CHECKOUT_SESSION_ID}")
    );
    let posts: Vec<_> = w
        .stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .collect();
    assert!(posts.iter().all(|r| r.idempotency_key.as_deref()
        == Some(inkline_core::payments::idempotency_key(lead, 1).as_str())));
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");
    assert_eq!(w.env.count("SELECT count(*) FROM deposits").await, 1);
    assert_eq!(w.env.count("SELECT count(*) FROM deposits WHERE status = 'pending' AND amount_minor = 15000 AND currency = 'GBP'").await, 1);
}

#[tokio::test]
async fn actions_that_do_not_apply_are_refused_and_send_nothing() {
    let w = world().await;
    let wa = "447700900602";
    let lead = seed(&w.env, wa, Status::Optout).await;
    for action in [
        ArtistAction::Approve {
            deposit_minor: None,
        },
        ArtistAction::Reject { reason: None },
        ArtistAction::AskMore { note: None },
        ArtistAction::SendDeposit,
        ArtistAction::MarkPaid {
            method: inkline_core::conversation::PaymentMethod::Cash,
        },
    ] {
        let err = actions::perform(&w.env.pool, lead.into(), action.clone(), "admin", "t")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ActionError::NotAllowed {
                    status: Status::Optout,
                    ..
                }
            ),
            "{action:?}: {err}"
        );
    }
    let pending = seed(&w.env, "447700900603", Status::PendingApproval).await;
    let bad = actions::perform(
        &w.env.pool,
        pending.into(),
        ArtistAction::Approve {
            deposit_minor: Some(-5),
        },
        "admin",
        "t",
    )
    .await;
    assert!(matches!(bad, Err(ActionError::Invalid(_))));
    w.env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(
        w.env.count("SELECT count(*) FROM outbox").await,
        0,
        "nothing sent"
    );
    assert_eq!(status(&w.env, pending).await, "PENDING_APPROVAL");
    assert!(w.stripe.sessions().is_empty());
}

#[tokio::test]
async fn reject_ask_more_and_cash_payment_go_through_the_state_machine() {
    let w = world().await;
    let rejected = seed(&w.env, "447700900604", Status::PendingApproval).await;
    let o = actions::perform(
        &w.env.pool,
        rejected.into(),
        ArtistAction::Reject {
            reason: Some("I don't do colour work".into()),
        },
        "admin",
        "t",
    )
    .await
    .unwrap();
    assert_eq!(o.to, Status::Rejected);
    eventually("the kind message", WAIT, || async {
        client_texts(&w.env, "447700900604", "colour work")
            .into_iter()
            .next()
    })
    .await;

    let asked = seed(&w.env, "447700900605", Status::PendingApproval).await;
    let o = actions::perform(
        &w.env.pool,
        asked.into(),
        ArtistAction::AskMore {
            note: Some("Which arm?".into()),
        },
        "admin",
        "t",
    )
    .await
    .unwrap();
    assert_eq!(o.to, Status::NeedsArtistReply);
    let o = actions::perform(
        &w.env.pool,
        asked.into(),
        ArtistAction::Resume,
        "admin",
        "t",
    )
    .await
    .unwrap();
    assert_eq!(
        o.to,
        Status::PendingApproval,
        "resume returns to the artist's decision"
    );

    let cash = seed(&w.env, "447700900606", Status::PendingApproval).await;
    let o = actions::perform(
        &w.env.pool,
        cash.into(),
        ArtistAction::MarkPaid {
            method: inkline_core::conversation::PaymentMethod::Cash,
        },
        "admin",
        "t",
    )
    .await
    .unwrap();
    assert_eq!(o.to, Status::BookingPending);
    assert_eq!(
        w.env
            .count("SELECT count(*) FROM deposits WHERE method = 'cash' AND status = 'paid'")
            .await,
        1
    );
    eventually("the thank-you", WAIT, || async {
        client_texts(&w.env, "447700900606", "deposit is in")
            .into_iter()
            .next()
    })
    .await;
    assert!(
        w.stripe.sessions().is_empty(),
        "no Stripe session for a cash deposit"
    );
}

#[tokio::test]
async fn stripe_429_and_500_are_retried_with_the_same_key() {
    let w = world_with(&[Role::Payments, Role::Relay, Role::Sender], |s| {
        s.inject(StripeFault::rate_limited().times(1));
        s.inject(StripeFault::api_error().times(1));
    })
    .await;
    let wa = "447700900607";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    approve_and_wait_for_link(&w, lead, wa).await;
    let posts: Vec<_> = w
        .stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .collect();
    assert_eq!(
        posts.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 500, 200]
    );
    let keys: std::collections::BTreeSet<_> =
        posts.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), 1, "one idempotency key across retries");
    assert_eq!(w.stripe.sessions().len(), 1);
}

#[tokio::test]
async fn a_permanent_stripe_error_hands_the_lead_to_the_artist() {
    let w = world_with(&[Role::Payments, Role::Relay, Role::Sender], |s| {
        s.fail_always(
            StripeFault::new(400, "invalid_request_error", Some("parameter_invalid"))
                .should_retry(false),
        );
    })
    .await;
    let wa = "447700900608";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    actions::perform(
        &w.env.pool,
        lead.into(),
        ArtistAction::Approve {
            deposit_minor: None,
        },
        "admin",
        "t",
    )
    .await
    .unwrap();
    wait_status(&w.env, lead, "NEEDS_ARTIST_REPLY").await;
    assert_eq!(events_of(&w.env, "stripe_checkout_failed").await, 1);
    assert_eq!(w.stripe.requests().len(), 1, "a 400 is not retried");
    eventually("the artist hears why", WAIT, || async {
        artist_notes(&w.env, lead).await.into_iter().find(|t| {
            t.contains("couldn't create") && t.contains("parameter_invalid") && t.contains("/a/")
        })
    })
    .await;
    eventually("the client hears", WAIT, || async {
        client_texts(&w.env, wa, "hiccup").into_iter().next()
    })
    .await;
    // Once Stripe works again, the artist's "send it again" creates attempt 2.
    w.stripe.clear_faults();
    actions::perform(
        &w.env.pool,
        lead.into(),
        ArtistAction::SendDeposit,
        "admin",
        "t",
    )
    .await
    .unwrap();
    eventually("a link after all", WAIT, || async {
        client_texts(&w.env, wa, "/pay/").into_iter().next()
    })
    .await;
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");
    let key = w
        .stripe
        .requests()
        .last()
        .unwrap()
        .idempotency_key
        .clone()
        .unwrap();
    assert_eq!(key, inkline_core::payments::idempotency_key(lead, 2));
}

#[tokio::test]
async fn a_completed_event_delivered_twice_and_concurrently_moves_the_lead_once() {
    let w = world().await;
    let wa = "447700900609";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    let delivery = w.stripe.complete(&session).await.unwrap();
    assert!(delivery.accepted(), "{delivery:?}");
    let (a, b) = tokio::join!(
        w.stripe
            .send_event(delivery.body.clone(), delivery.signature.clone()),
        w.stripe
            .send_event(delivery.body.clone(), delivery.signature.clone())
    );
    assert!(a.accepted() && b.accepted());
    wait_status(&w.env, lead, "BOOKING_PENDING").await;
    eventually("the thank-you", WAIT, || async {
        client_texts(&w.env, wa, "deposit is in").into_iter().next()
    })
    .await;
    w.env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(
        client_texts(&w.env, wa, "deposit is in").len(),
        1,
        "one thank-you"
    );
    let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM lead_status_history WHERE lead_id = $1 AND to_status = 'DEPOSIT_PAID'")
        .bind(lead)
        .fetch_one(&w.env.pool)
        .await
        .unwrap();
    assert_eq!(paid, 1);
    assert_eq!(
        w.env
            .count(
                "SELECT count(*) FROM deposits WHERE status = 'paid' AND payment_intent IS NOT NULL"
            )
            .await,
        1
    );
    assert!(
        artist_notes(&w.env, lead)
            .await
            .iter()
            .any(|t| t.contains("paid the £150 deposit"))
    );
    // An expiry arriving after the payment undoes nothing.
    let late = w.stripe.session(&session).unwrap().to_json();
    assert_eq!(
        post_event(&w, "checkout.session.expired", late, false).await,
        Some(200)
    );
    w.env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(status(&w.env, lead).await, "BOOKING_PENDING");
}

#[tokio::test]
async fn wrong_amount_currency_unknown_session_stale_signature_and_livemode_change_nothing() {
    let w = world().await;
    let wa = "447700900610";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    let paid = |edit: &dyn Fn(&mut Value)| {
        let mut obj = w.stripe.session(&session).unwrap().to_json();
        obj["status"] = json!("complete");
        obj["payment_status"] = json!("paid");
        obj["payment_intent"] = json!("pi_test_forged");
        edit(&mut obj);
        obj
    };
    assert_eq!(
        post_event(
            &w,
            "checkout.session.completed",
            paid(&|o| o["amount_total"] = json!(100)),
            false
        )
        .await,
        Some(200)
    );
    assert_eq!(
        post_event(
            &w,
            "checkout.session.completed",
            paid(&|o| o["currency"] = json!("eur")),
            false
        )
        .await,
        Some(200)
    );
    assert_eq!(
        post_event(
            &w,
            "checkout.session.completed",
            paid(&|o| o["id"] = json!("cs_test_not_ours")),
            false
        )
        .await,
        Some(200)
    );
    assert_eq!(
        post_event(&w, "checkout.session.completed", paid(&|_| {}), true).await,
        Some(200),
        "live mode event, test key"
    );
    let body =
        serde_json::to_vec(&w.stripe.event("checkout.session.completed", paid(&|_| {}))).unwrap();
    let stale = w.stripe.sign(&body, Utc::now().timestamp() - 600);
    assert_eq!(
        w.stripe.send_event(body, stale).await.status,
        Some(400),
        "the ingress refuses a stale signature"
    );

    eventually("the mismatches are recorded", WAIT, || async {
        (events_of(&w.env, "stripe_amount_mismatch").await == 2
            && events_of(&w.env, "stripe_unknown_object").await == 1
            && events_of(&w.env, "stripe_livemode_mismatch").await == 1)
            .then_some(())
    })
    .await;
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");
    assert_eq!(
        w.env
            .count("SELECT count(*) FROM deposits WHERE status = 'pending'")
            .await,
        1
    );
    assert!(client_texts(&w.env, wa, "deposit is in").is_empty());
    eventually("the artist is alerted", WAIT, || async {
        artist_notes(&w.env, lead)
            .await
            .into_iter()
            .find(|t| t.contains("didn't match"))
    })
    .await;
    assert_eq!(
        w.env
            .queue_depth(&infra::bus::topology::dlq(
                infra::bus::topology::INBOUND_STRIPE
            ))
            .await,
        0
    );
    // The real payment still works afterwards.
    assert!(w.stripe.complete(&session).await.unwrap().accepted());
    wait_status(&w.env, lead, "BOOKING_PENDING").await;
}

#[tokio::test]
async fn an_expired_link_offers_a_new_one_on_request() {
    let w = world_with(
        &[
            Role::Payments,
            Role::Relay,
            Role::Sender,
            Role::Conversation,
        ],
        |_| {},
    )
    .await;
    let wa = "447700900611";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let first = approve_and_wait_for_link(&w, lead, wa).await;
    assert!(w.stripe.expire_now(&first).await.unwrap().accepted());
    wait_status(&w.env, lead, "DEPOSIT_EXPIRED").await;
    eventually("the client is offered a new link", WAIT, || async {
        client_texts(&w.env, wa, "NEW LINK").into_iter().next()
    })
    .await;

    let ingress = w._ingress.url("");
    let body = fakes::payloads::text(
        &w.env.artist.phone_number_id,
        wa,
        "Sam Smith",
        "wamid.NL1",
        Utc::now().timestamp(),
        "new link please",
    );
    let sig =
        inkline_core::webhook::signature::sign_whatsapp(harness::env::APP_SECRET.as_bytes(), &body);
    let resp = reqwest::Client::new()
        .post(format!("{ingress}/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("a second session's link", WAIT, || async {
        (w.stripe.sessions().len() == 2 && client_texts(&w.env, wa, "new deposit link").len() == 1)
            .then_some(())
    })
    .await;
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");
    let second = w.stripe.sessions()[1].id.clone();
    assert!(client_texts(&w.env, wa, "new deposit link")[0].contains(&second));
    assert_eq!(
        w.env
            .count("SELECT count(*) FROM deposits WHERE status = 'expired' AND attempt = 1")
            .await,
        1
    );
}

#[tokio::test]
async fn the_sweep_expires_links_whose_time_passed_without_an_event() {
    let w = world().await;
    let wa = "447700900612";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    approve_and_wait_for_link(&w, lead, wa).await;
    assert_eq!(
        workers::payments::sweep_expired(&w.env.pool, Utc::now(), &ParkingConfig::default())
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    let later = Utc::now() + chrono::Duration::hours(25);
    assert_eq!(
        workers::payments::sweep_expired(&w.env.pool, later, &ParkingConfig::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(status(&w.env, lead).await, "DEPOSIT_EXPIRED");
    assert_eq!(
        workers::payments::sweep_expired(&w.env.pool, later, &ParkingConfig::default())
            .await
            .unwrap(),
        0,
        "once"
    );
    eventually("the client is told", WAIT, || async {
        client_texts(&w.env, wa, "expired").into_iter().next()
    })
    .await;
}

#[tokio::test]
async fn a_delayed_payment_then_a_refund() {
    let w = world().await;
    let wa = "447700900613";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    assert!(w.stripe.complete_unpaid(&session).await.unwrap().accepted());
    eventually("processing", WAIT, || async {
        (w.env
            .count("SELECT count(*) FROM deposits WHERE status = 'processing'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    assert_eq!(
        status(&w.env, lead).await,
        "AWAITING_DEPOSIT",
        "unpaid: wait for the async event"
    );
    assert_eq!(
        workers::payments::sweep_expired(
            &w.env.pool,
            Utc::now() + chrono::Duration::hours(25),
            &ParkingConfig::default(),
        )
        .await
        .unwrap(),
        0,
        "a processing payment is not expired"
    );
    assert!(w.stripe.async_succeeded(&session).await.unwrap().accepted());
    wait_status(&w.env, lead, "BOOKING_PENDING").await;
    let pi = w.stripe.session(&session).unwrap().payment_intent.unwrap();
    assert!(w.stripe.refund(&pi).await.unwrap().accepted());
    wait_status(&w.env, lead, "REFUNDED").await;
    eventually("the client hears", WAIT, || async {
        client_texts(&w.env, wa, "refunded").into_iter().next()
    })
    .await;
}

#[tokio::test]
async fn a_failed_delayed_payment_offers_a_new_link() {
    let w = world().await;
    let wa = "447700900614";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    assert!(w.stripe.complete_unpaid(&session).await.unwrap().accepted());
    assert!(w.stripe.async_failed(&session).await.unwrap().accepted());
    wait_status(&w.env, lead, "DEPOSIT_EXPIRED").await;
    eventually("the client hears", WAIT, || async {
        client_texts(&w.env, wa, "didn't go through")
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(
        w.env
            .count("SELECT count(*) FROM deposits WHERE status = 'failed'")
            .await,
        1
    );
}

#[tokio::test]
async fn unknown_event_types_are_acked_and_ignored() {
    let w = world().await;
    assert_eq!(
        post_event(
            &w,
            "customer.created",
            json!({"object": "customer", "id": "cus_1"}),
            false
        )
        .await,
        Some(200)
    );
    assert_eq!(post_event(&w, "charge.refunded", json!({"object": "charge", "id": "ch_x", "payment_intent": "pi_unknown", "amount_refunded": 5, "refunded": false}), false).await, Some(200));
    eventually("the unknown charge is recorded", WAIT, || async {
        (events_of(&w.env, "stripe_unknown_object").await == 1).then_some(())
    })
    .await;
    eventually("inbound.stripe drained", WAIT, || async {
        (w.env
            .queue_depth(infra::bus::topology::INBOUND_STRIPE)
            .await
            == 0)
            .then_some(())
    })
    .await;
    assert_eq!(
        w.env
            .queue_depth(&infra::bus::topology::dlq(
                infra::bus::topology::INBOUND_STRIPE
            ))
            .await,
        0
    );
}

/// Pays `session` and refunds it at the fake Stripe while no event reaches us; returns the two
/// deliveries (`checkout.session.completed`, `charge.refunded`) to hand over in any order, and
/// the payment intent.
async fn pay_and_refund_unseen(
    w: &World,
    session: &str,
) -> (fakes::WebhookDelivery, fakes::WebhookDelivery, String) {
    w.stripe.set_webhook_url(None);
    let completed = w.stripe.complete(session).await.unwrap();
    let pi = w.stripe.session(session).unwrap().payment_intent.unwrap();
    let refunded = w.stripe.refund(&pi).await.unwrap();
    assert!(completed.status.is_none() && refunded.status.is_none());
    w.stripe
        .set_webhook_url(Some(w._ingress.url("/webhooks/stripe")));
    (completed, refunded, pi)
}

async fn deliver(w: &World, d: &fakes::WebhookDelivery) {
    let again = w
        .stripe
        .send_event(d.body.clone(), d.signature.clone())
        .await;
    assert!(again.accepted(), "{again:?}");
}

/// How often the lead entered `to`.
async fn entered(env: &TestEnv, lead: Uuid, to: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM lead_status_history WHERE lead_id = $1 AND to_status = $2",
    )
    .bind(lead)
    .bind(to)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

async fn processed(env: &TestEnv, d: &fakes::WebhookDelivery) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM processed_events WHERE provider = 'stripe' AND id = $1)",
    )
    .bind(d.event["id"].as_str().unwrap())
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

/// Lookups of a payment intent's session at the fake Stripe: their HTTP statuses.
fn lookups(w: &World, pi: &str) -> Vec<u16> {
    w.stripe
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "GET"
                && r.path == "/v1/checkout/sessions"
                && r.param("payment_intent") == Some(pi)
        })
        .map(|r| r.status)
        .collect()
}

/// The deposit paid and then wholly refunded, the lead REFUNDED having been paid once, and each
/// message to the client sent once.
async fn assert_paid_then_refunded(w: &World, lead: Uuid, wa: &str, pi: &str) {
    let (deposit, refunded, payment_intent): (String, i64, Option<String>) = sqlx::query_as(
        "SELECT status, amount_refunded, payment_intent FROM deposits WHERE lead_id = $1",
    )
    .bind(lead)
    .fetch_one(&w.env.pool)
    .await
    .unwrap();
    assert_eq!(
        (deposit.as_str(), refunded, payment_intent.as_deref()),
        ("refunded", 15_000, Some(pi))
    );
    assert_eq!(status(&w.env, lead).await, "REFUNDED");
    assert_eq!(entered(&w.env, lead, "DEPOSIT_PAID").await, 1, "paid once");
    assert_eq!(entered(&w.env, lead, "REFUNDED").await, 1, "refunded once");
    assert_eq!(client_texts(&w.env, wa, "deposit is in").len(), 1);
    assert_eq!(client_texts(&w.env, wa, "refunded").len(), 1);
    assert_eq!(
        w.env
            .queue_depth(&infra::bus::topology::dlq(
                infra::bus::topology::INBOUND_STRIPE
            ))
            .await,
        0
    );
}

#[tokio::test]
async fn a_refund_that_overtakes_its_payment_waits_for_it_and_both_apply_once() {
    let w = world().await;
    let wa = "447700900615";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    let (completed, refunded, pi) = pay_and_refund_unseen(&w, &session).await;
    // Stripe cannot be asked about the payment just now (two deliveries' worth of tries, ~7 s):
    // the refund is retried, not dropped, and meanwhile the payment's own event arrives.
    w.stripe.inject(StripeFault::api_error().times(8));
    deliver(&w, &refunded).await;
    eventually("the refund could not be matched yet", WAIT, || async {
        lookups(&w, &pi).contains(&500).then_some(())
    })
    .await;
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");
    assert!(
        !processed(&w.env, &refunded).await,
        "not recorded without its effect"
    );

    deliver(&w, &completed).await;
    wait_status(&w.env, lead, "REFUNDED").await;
    w.env.wait_quiescent(WAIT).await;
    assert_paid_then_refunded(&w, lead, wa, &pi).await;
    assert!(processed(&w.env, &refunded).await && processed(&w.env, &completed).await);
    assert!(
        !lookups(&w, &pi).contains(&200),
        "the payment's own event matched the refund: {:?}",
        lookups(&w, &pi)
    );
}

#[tokio::test]
async fn a_refund_whose_payment_event_never_arrives_is_matched_through_stripe() {
    let w = world().await;
    let wa = "447700900616";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    let (completed, refunded, pi) = pay_and_refund_unseen(&w, &session).await;
    deliver(&w, &refunded).await;
    wait_status(&w.env, lead, "REFUNDED").await;
    w.env.wait_quiescent(WAIT).await;
    assert_paid_then_refunded(&w, lead, wa, &pi).await;
    assert_eq!(lookups(&w, &pi), [200], "one lookup of the payment intent");
    assert!(processed(&w.env, &refunded).await);

    // Should the payment's event come after all, it finds the deposit settled.
    deliver(&w, &completed).await;
    w.env.wait_quiescent(WAIT).await;
    assert!(processed(&w.env, &completed).await);
    assert_paid_then_refunded(&w, lead, wa, &pi).await;
}

#[tokio::test]
async fn a_refund_stripe_cannot_match_is_dead_lettered_unrecorded_and_applies_on_replay() {
    let w = world().await;
    let wa = "447700900617";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    let (_completed, refunded, pi) = pay_and_refund_unseen(&w, &session).await;
    // A permanent answer (a revoked key, say): no point retrying, but the refund must not be lost.
    w.stripe.fail_always(
        StripeFault::new(401, "invalid_request_error", Some("api_key_expired")).should_retry(false),
    );
    deliver(&w, &refunded).await;
    let stripe_dlq = infra::bus::topology::dlq(infra::bus::topology::INBOUND_STRIPE);
    eventually("the refund is dead-lettered", WAIT, || async {
        (w.env.queue_depth(&stripe_dlq).await == 1).then_some(())
    })
    .await;
    assert!(!processed(&w.env, &refunded).await);
    assert_eq!(status(&w.env, lead).await, "AWAITING_DEPOSIT");

    w.stripe.clear_faults();
    let shutdown = infra::shutdown::Shutdown::new();
    let bus = infra::bus::Bus::start(w.env.worker_config().bus, "test", shutdown.child());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let moved = infra::bus::dlq::replay(&bus, infra::bus::topology::INBOUND_STRIPE, None)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    wait_status(&w.env, lead, "REFUNDED").await;
    w.env.wait_quiescent(WAIT).await;
    assert_paid_then_refunded(&w, lead, wa, &pi).await;
    shutdown.trigger();
}

#[tokio::test]
async fn a_completed_event_that_overtakes_the_commit_of_its_session_waits_for_it() {
    let w = world().await;
    let wa = "447700900691";
    let lead = seed(&w.env, wa, Status::PendingApproval).await;
    let session = approve_and_wait_for_link(&w, lead, wa).await;
    // As if the checkout job had not committed its deposit row yet.
    sqlx::query("UPDATE deposits SET checkout_session_id = checkout_session_id || '_uncommitted' WHERE checkout_session_id = $1")
        .bind(&session)
        .execute(&w.env.pool)
        .await
        .unwrap();
    let delivery = w.stripe.complete(&session).await.unwrap();
    assert!(delivery.accepted(), "{delivery:?}");
    eventually("the event was tried and put back", WAIT, || async {
        infra::metrics::metrics()
            .render()
            .contains("inkline_retried_total{queue=\"inbound.stripe\"}")
            .then_some(())
    })
    .await;
    // The commit lands: the next try applies the payment.
    sqlx::query("UPDATE deposits SET checkout_session_id = $1 WHERE checkout_session_id = $1 || '_uncommitted'")
        .bind(&session)
        .execute(&w.env.pool)
        .await
        .unwrap();
    wait_status(&w.env, lead, "BOOKING_PENDING").await;
    assert_eq!(events_of(&w.env, "stripe_unknown_object").await, 0);
    assert!(w.env.nonempty_dlqs().await.is_empty());
}
