//! The foundation, end to end: signed webhook in at the ingress, first question out at the fake
//! Graph API, through RabbitMQ and Postgres — nothing lost, nothing sent twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::{Fault, payloads};
use harness::{TestEnv, eventually};
use infra::bus::topology::{INBOUND_WHATSAPP, OUTBOUND_WHATSAPP};
use std::time::Duration;
use workers::Role;

const ALL: [Role; 3] = [Role::Conversation, Role::Relay, Role::Sender];
const T: i64 = 1_764_064_800;

fn text(env: &TestEnv, wa_id: &str, wamid: &str, body: &str) -> Vec<u8> {
    payloads::text(&env.artist.phone_number_id, wa_id, "Sam", wamid, T, body)
}

#[tokio::test]
async fn a_new_client_gets_exactly_one_first_question_and_the_lead_is_qualifying() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;

    let resp = env
        .post_whatsapp(
            &ingress,
            &text(&env, "447700900123", "wamid.E2E1", "Hi, I want a tattoo"),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let accepted: serde_json::Value = resp.json().await.unwrap();
    let correlation_id = accepted["correlation_id"].as_str().unwrap().to_owned();

    let sent = env
        .graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(sent[0].to, "447700900123");
    assert_eq!(sent[0].phone_number_id, env.artist.phone_number_id);
    assert_eq!(sent[0].token, harness::env::ACCESS_TOKEN);
    let status: String =
        sqlx::query_scalar("SELECT status FROM leads WHERE wa_id = '447700900123'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(status, "QUALIFYING");
    // The fake records the message before it answers; the sender stores the wamid after.
    let wamid = sent[0].wamid.clone();
    eventually(
        "the wamid is stored on the message row",
        Duration::from_secs(10),
        || async {
            let stored: Option<String> =
                sqlx::query_scalar("SELECT provider_id FROM messages WHERE direction = 'out'")
                    .fetch_one(&env.pool)
                    .await
                    .unwrap();
            (stored.as_deref() == Some(wamid.as_str())).then_some(())
        },
    )
    .await;
    // Nothing more is on its way: every queue drained, nothing unacked, outbox published.
    env.wait_quiescent(Duration::from_secs(20)).await;
    assert_eq!(env.graph.sent().len(), 1, "exactly one reply");
    // The ingress's correlation id followed the message through every hop.
    let carried: Vec<String> = sqlx::query_scalar("SELECT headers->>'correlation_id' FROM outbox")
        .fetch_all(&env.pool)
        .await
        .unwrap();
    assert!(!carried.is_empty());
    assert!(
        carried.iter().all(|c| *c == correlation_id),
        "{carried:?} vs {correlation_id}"
    );
}

#[tokio::test]
async fn the_same_webhook_three_times_even_concurrently_gives_one_reply_and_one_lead() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let body = text(&env, "447700900124", "wamid.DUP1", "hello");

    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    let (a, b) = tokio::join!(
        env.post_whatsapp(&ingress, &body),
        env.post_whatsapp(&ingress, &body)
    );
    assert_eq!(
        (a.status(), b.status()),
        (200.try_into().unwrap(), 200.try_into().unwrap())
    );

    env.graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    eventually(
        "all three deliveries consumed",
        Duration::from_secs(10),
        || async { (env.queue_depth(INBOUND_WHATSAPP).await == 0).then_some(()) },
    )
    .await;
    // Nothing more is on its way: every queue drained, nothing unacked, outbox published.
    env.wait_quiescent(Duration::from_secs(20)).await;
    assert_eq!(env.graph.sent().len(), 1);
    assert_eq!(env.count("SELECT count(*) FROM leads").await, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
            .await,
        1
    );
}

#[tokio::test]
async fn one_post_with_three_clients_creates_three_leads_and_three_replies() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let pn = env.artist.phone_number_id.clone();
    let body = payloads::batch(vec![
        payloads::Change::text(&pn, "441111111111", "A", "wamid.B1", T, "hi"),
        payloads::Change::text(&pn, "442222222222", "B", "wamid.B2", T, "hello"),
        payloads::Change::text(&pn, "443333333333", "C", "wamid.B3", T, "hey"),
    ]);
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    let sent = env
        .graph
        .wait_for_sent(3, Duration::from_secs(15))
        .await
        .unwrap();
    let mut to: Vec<_> = sent.iter().map(|s| s.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["441111111111", "442222222222", "443333333333"]);
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status = 'QUALIFYING'")
            .await,
        3
    );
}

#[tokio::test]
async fn a_message_for_an_unknown_number_is_recorded_and_not_retried() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let body = payloads::text("999999999", "447700900125", "X", "wamid.UNK", T, "hi");
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    eventually(
        "unknown number recorded",
        Duration::from_secs(10),
        || async {
            (env.count("SELECT count(*) FROM system_events WHERE kind = 'unknown_phone_number_id'")
                .await
                == 1)
                .then_some(())
        },
    )
    .await;
    assert_eq!(env.queue_depth(INBOUND_WHATSAPP).await, 0);
    assert_eq!(env.count("SELECT count(*) FROM leads").await, 0);
    assert!(env.graph.sent().is_empty());
}

#[tokio::test]
async fn graph_failing_twice_still_delivers_once() {
    let env = TestEnv::new().await;
    env.graph.inject(Fault::new(500, 1).times(2));
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    assert_eq!(
        env.post_whatsapp(&ingress, &text(&env, "447700900126", "wamid.F1", "hi"))
            .await
            .status(),
        200
    );
    env.graph
        .wait_for_sent(1, Duration::from_secs(20))
        .await
        .unwrap();
    // Nothing more is on its way: every queue drained, nothing unacked, outbox published.
    env.wait_quiescent(Duration::from_secs(20)).await;
    assert_eq!(env.graph.sent().len(), 1);
    assert_eq!(
        env.graph.requests_count() - env.graph.reads().len(),
        3,
        "two failures then one success (reads aside)"
    );
}

#[tokio::test]
async fn graph_failing_forever_parks_the_job_in_the_dlq_visible_in_metrics() {
    let env = TestEnv::new().await;
    env.graph.fail_always(500, 131000);
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    assert_eq!(
        env.post_whatsapp(&ingress, &text(&env, "447700900127", "wamid.F2", "hi"))
            .await
            .status(),
        200
    );
    eventually(
        "send job dead-lettered",
        Duration::from_secs(30),
        || async {
            (env.queue_depth(&infra::bus::topology::dlq(OUTBOUND_WHATSAPP))
                .await
                == 1)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        env.graph.requests_count() - env.graph.reads().len(),
        4,
        "MAX_ATTEMPTS=4 bounded attempts (reads aside)"
    );
    assert!(env.graph.sent().is_empty());
    let metrics = infra::metrics::metrics().render();
    let partition = inkline_core::jobs::partitions::of(env.artist_id);
    assert!(
        metrics.contains(&format!(
            "inkline_dead_lettered_total{{queue=\"{partition}\"}} 1"
        )),
        "{metrics}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM messages WHERE direction = 'out'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(status, "queued", "not sent, kept for a replay from the DLQ");
}
