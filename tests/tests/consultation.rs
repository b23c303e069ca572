//! The whole consultation through the real fleet (ingress → RabbitMQ → conversation worker →
//! outbox → sender → fake Graph), and one lead's messages handled by two worker processes at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::{KillOnDrop, Running, TestEnv, eventually};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use workers::Role;

use harness::consult::HAPPY_PATH as ANSWERS;

static WAMID: AtomicI64 = AtomicI64::new(1);

fn next_wamid() -> String {
    format!("wamid.C{}", WAMID.fetch_add(1, Ordering::Relaxed))
}

/// Sends one text and waits for at least one new bot message to this client.
async fn say(env: &TestEnv, ingress: &Running, wa_id: &str, text: &str) {
    let before = env.graph.sent_to(wa_id).len();
    let body = payloads::text(
        &env.artist.phone_number_id,
        wa_id,
        "Sam Smith",
        &next_wamid(),
        chrono::Utc::now().timestamp(),
        text,
    );
    assert_eq!(env.post_whatsapp(ingress, &body).await.status(), 200);
    eventually(
        &format!("a reply to {text:?} for {wa_id}"),
        Duration::from_secs(20),
        || async { (env.graph.sent_to(wa_id).len() > before).then_some(()) },
    )
    .await;
}

async fn status_of(env: &TestEnv, wa_id: &str) -> String {
    sqlx::query_scalar("SELECT status FROM leads WHERE wa_id = $1")
        .bind(wa_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

async fn consult(env: &TestEnv, ingress: &Running, wa_id: &str) {
    for answer in ANSWERS {
        say(env, ingress, wa_id, answer).await;
    }
}

#[tokio::test]
async fn a_full_consultation_reaches_pending_approval_and_notifies_the_artist() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let wa = "447700900300";
    consult(&env, &ingress, wa).await;

    assert_eq!(status_of(&env, wa).await, "PENDING_APPROVAL");
    let answers: serde_json::Value =
        sqlx::query_scalar("SELECT answers FROM leads WHERE wa_id = $1")
            .bind(wa)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(
        answers["dimensions"],
        serde_json::json!({"width_cm": 10.0, "height_cm": 15.0})
    );
    assert_eq!(
        answers["budget"],
        serde_json::json!({"amount_minor": 60000, "currency": "GBP"})
    );
    assert_eq!(answers["location"]["country"], "GB");
    assert_eq!(answers["instagram"], "sam.ink");
    let estimate: serde_json::Value =
        sqlx::query_scalar("SELECT estimate FROM leads WHERE wa_id = $1")
            .bind(wa)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert!(estimate["category"].is_string(), "{estimate}");

    let artist_wa = env.artist.artist_wa_id.clone().unwrap();
    let notes = env
        .graph
        .wait_for_sent(1, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!notes.is_empty());
    eventually(
        "the artist is notified",
        Duration::from_secs(10),
        || async {
            env.graph
                .sent_to(&artist_wa)
                .iter()
                .any(|m| m.text().unwrap_or_default().contains("Sam Smith"))
                .then_some(())
        },
    )
    .await;
    // History is a valid chain and every answer is kept.
    let history: Vec<(String, String)> = sqlx::query_as(
        "SELECT from_status, to_status FROM lead_status_history h JOIN leads l ON l.id = h.lead_id WHERE l.wa_id = $1 ORDER BY h.id",
    )
    .bind(wa)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert_eq!(history.first().map(|h| h.0.as_str()), Some("NEW"));
    for pair in history.windows(2) {
        assert_eq!(pair[0].1, pair[1].0, "history chains: {history:?}");
    }
    assert_eq!(
        history.last().map(|h| h.1.as_str()),
        Some("PENDING_APPROVAL")
    );
    assert!(
        env.count("SELECT count(DISTINCT key) FROM lead_answers")
            .await
            >= 8
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'illegal_transition'")
            .await,
        0
    );
}

#[tokio::test]
async fn two_worker_processes_keep_concurrent_leads_consistent() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _procs = [
        KillOnDrop(env.spawn_worker_process(&["conversation"], &[])),
        KillOnDrop(env.spawn_worker_process(&["conversation"], &[])),
    ];
    let _rest = env.start_workers(&[Role::Relay, Role::Sender]).await;

    let clients = ["447700900401", "447700900402", "447700900403"];
    let (env, ingress) = (&env, &ingress);
    let runs = clients.iter().map(|wa| async move {
        say(env, ingress, wa, "Hi").await;
        say(env, ingress, wa, "A koi fish").await;
        // A burst of reference photos, all at once, spread over both processes.
        let pn = env.artist.phone_number_id.clone();
        let posts = (0..6).map(|i| {
            let body = payloads::image(
                &pn,
                wa,
                "Sam",
                &next_wamid(),
                chrono::Utc::now().timestamp(),
                &format!("media-{wa}-{i}"),
                None,
            );
            async move { env.post_whatsapp(ingress, &body).await.status() }
        });
        for status in futures::future::join_all(posts).await {
            assert_eq!(status, 200);
        }
        eventually(
            "every photo stored as a reference",
            Duration::from_secs(20),
            || async {
                let refs: serde_json::Value =
                    sqlx::query_scalar("SELECT state->'references' FROM leads WHERE wa_id = $1")
                        .bind(*wa)
                        .fetch_one(&env.pool)
                        .await
                        .unwrap();
                // And every reply to the photos is out: otherwise a late one would count as the
                // reply to the next answer, which would then be posted too early.
                let unsent: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM messages WHERE wa_id = $1 AND direction = 'out' AND status = 'queued'",
                )
                .bind(*wa)
                .fetch_one(&env.pool)
                .await
                .unwrap();
                (refs.as_array().map(Vec::len) == Some(6) && unsent == 0).then_some(())
            },
        )
        .await;
        for answer in &ANSWERS[2..] {
            say(env, ingress, wa, answer).await;
        }
    });
    futures::future::join_all(runs).await;

    for wa in clients {
        assert_eq!(status_of(env, wa).await, "PENDING_APPROVAL", "{wa}");
    }
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
            .await,
        3 * (2 + 6 + 11)
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'illegal_transition'")
            .await,
        0
    );
    let broken = env
        .count(
            "SELECT count(*) FROM (SELECT to_status, lead(from_status) OVER (PARTITION BY lead_id ORDER BY id) AS next_from
             FROM lead_status_history) h WHERE next_from IS NOT NULL AND next_from <> to_status",
        )
        .await;
    assert_eq!(broken, 0, "every lead's history is one chain");
}
