//! The whole path through the fleet: a consultation over signed WhatsApp webhooks →
//! PENDING_APPROVAL with action links in the artist's notification → the approve link →
//! a Checkout Session at the fake Stripe → the client pays → Stripe's signed event through the
//! ingress → BOOKING_PENDING, with every client message at the fake Graph API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use fakes::{FakeStripe, payloads};
use harness::env::STRIPE_WEBHOOK_SECRET;
use harness::{Running, TestEnv, eventually};
use infra::actions::links;
use inkline_core::conversation::ArtistAction;
use inkline_core::domain::Status;
use std::time::Duration;
use uuid::Uuid;
use workers::Role;

const WAIT: Duration = Duration::from_secs(20);

use harness::consult::HAPPY_PATH as ANSWERS;

async fn say(env: &TestEnv, ingress: &Running, wa_id: &str, n: usize, text: &str) {
    let before = env.graph.sent_to(wa_id).len();
    let body = payloads::text(
        &env.artist.phone_number_id,
        wa_id,
        "Sam Smith",
        &format!("wamid.PAY{n}"),
        Utc::now().timestamp(),
        text,
    );
    assert_eq!(env.post_whatsapp(ingress, &body).await.status(), 200);
    eventually(&format!("a reply to {text:?}"), WAIT, || async {
        (env.graph.sent_to(wa_id).len() > before).then_some(())
    })
    .await;
}

async fn status(env: &TestEnv, wa_id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM leads WHERE wa_id = $1")
        .bind(wa_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

fn client_texts(env: &TestEnv, wa_id: &str) -> Vec<String> {
    env.graph
        .sent_to(wa_id)
        .iter()
        .filter_map(|m| m.text().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn consultation_approval_payment_reaches_booking_pending_through_the_fleet() {
    let mut env = TestEnv::new().await;
    let key = "sk_test_inkline_e2e";
    let stripe = FakeStripe::start(None, STRIPE_WEBHOOK_SECRET.into(), key.into()).await;
    env.extra_env
        .insert("STRIPE_API_BASE".into(), stripe.base_url());
    env.extra_env.insert("STRIPE_SECRET_KEY".into(), key.into());
    env.extra_env
        .insert("PUBLIC_BASE_URL".into(), "https://inkline.test".into());
    let ingress = env.start_ingress().await;
    stripe.set_webhook_url(Some(ingress.url("/webhooks/stripe")));
    let _workers = env
        .start_workers(&[
            Role::Conversation,
            Role::Payments,
            Role::Relay,
            Role::Sender,
        ])
        .await;
    let wa = "447700900801";

    for (n, answer) in ANSWERS.iter().enumerate() {
        say(&env, &ingress, wa, n, answer).await;
    }
    assert_eq!(status(&env, wa).await, "PENDING_APPROVAL");
    let lead: Uuid = sqlx::query_scalar("SELECT id FROM leads WHERE wa_id = $1")
        .bind(wa)
        .fetch_one(&env.pool)
        .await
        .unwrap();

    // The artist's notification carries one link per decision.
    let note: String = eventually("the artist's notification with links", WAIT, || async {
        sqlx::query_scalar::<_, String>("SELECT text FROM messages WHERE lead_id = $1 AND recipient = 'artist' AND text LIKE '%/a/%'")
            .bind(lead)
            .fetch_optional(&env.pool)
            .await
            .unwrap()
    })
    .await;
    assert!(note.contains("New request from Sam Smith"), "{note}");
    let approve_line = note
        .lines()
        .find(|l| l.contains("Approve (£200 deposit)"))
        .unwrap_or_else(|| panic!("{note}"));
    assert!(
        note.lines().any(|l| l.starts_with("❌ Decline: ")),
        "{note}"
    );
    let token = approve_line.rsplit("/a/").next().unwrap().trim();
    assert_eq!(
        env.count("SELECT count(*) FROM action_tokens WHERE for_status = 'PENDING_APPROVAL'")
            .await,
        3
    );

    // GET shows, POST acts.
    let preview = links::peek(&env.pool, token, Utc::now()).await.unwrap();
    assert_eq!(
        preview.action,
        ArtistAction::Approve {
            deposit_minor: None
        }
    );
    let outcome = links::redeem(&env.pool, token, Utc::now(), "e2e")
        .await
        .unwrap();
    assert_eq!(outcome.to, Status::AwaitingDeposit);

    let link = eventually("the client gets the deposit link", WAIT, || async {
        client_texts(&env, wa)
            .into_iter()
            .find(|t| t.contains("approved your request"))
    })
    .await;
    let session = stripe.sessions().first().cloned().unwrap();
    assert!(
        link.contains(&session.url) && link.contains("£200"),
        "{link}"
    );
    assert_eq!(
        (session.amount_total, session.currency.as_str()),
        (20_000, "gbp"),
        "the LARGE estimate's deposit"
    );
    assert_eq!(
        session.success_url.as_deref(),
        Some("https://inkline.test/paid?session_id={CHECKOUT_SESSION_ID}")
    );

    let delivery = stripe.complete(&session.id).await.unwrap();
    assert_eq!(delivery.status, Some(200), "{delivery:?}");
    eventually("BOOKING_PENDING", WAIT, || async {
        (status(&env, wa).await == "BOOKING_PENDING").then_some(())
    })
    .await;
    let thanks = eventually("the thank-you", WAIT, || async {
        client_texts(&env, wa)
            .into_iter()
            .find(|t| t.contains("deposit is in"))
    })
    .await;
    assert!(thanks.contains("£200"), "{thanks}");
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT to_status FROM lead_status_history WHERE lead_id = $1 ORDER BY id",
    )
    .bind(lead)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let tail: Vec<&str> = history
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "PENDING_APPROVAL",
            "AWAITING_DEPOSIT",
            "DEPOSIT_PAID",
            "BOOKING_PENDING"
        ]
    );
    let deposit: (String, String) =
        sqlx::query_as("SELECT status, method FROM deposits WHERE lead_id = $1")
            .bind(lead)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(deposit, ("paid".to_owned(), "stripe".to_owned()));
}
