//! A dead-lettered send never blocks a client: whoever put the job in the DLQ — the sender after
//! its tries, the bus after its attempts, or the broker's delivery limit behind everyone's back —
//! its message is parked, younger messages to the same client go out, the console lists it, and a
//! replay sends it exactly once (after the younger ones). Retries follow the bus's time budget.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use console_support::{ADMIN_KEY, Browser, client, start_console};
use fakes::Fault;
use harness::outbound::{lead, message_requests, sent_texts, texts};
use harness::{TestEnv, eventually};
use infra::bus::topology::{OUTBOUND_WHATSAPP, dlq};
use infra::bus::{Bus, Outgoing};
use infra::shutdown::Shutdown;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;
use workers::Role;

const CLIENT: &str = "447700900700";
const WAIT: Duration = Duration::from_secs(30);

/// `(status, parked_reason)` of a message row.
async fn parked(env: &TestEnv, id: Uuid) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, parked_reason FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

async fn wait_parked(env: &TestEnv, id: Uuid) -> String {
    eventually("the message is parked", WAIT, || async {
        parked(env, id).await.1
    })
    .await
}

async fn admin_get(url: &str) -> Value {
    let r = client()
        .get(url)
        .header("X-Admin-API-Key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// A bus connection of the test's own (to publish behind the workers' backs, or to replay).
async fn bus(env: &TestEnv) -> (Bus, Shutdown) {
    let shutdown = Shutdown::new();
    let bus = Bus::start(env.worker_config().bus, "test", shutdown.child());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    (bus, shutdown)
}

/// Takes a message's job out of the relay's hands (marked published) to publish it elsewhere:
/// its outbox topic and the job as the relay would have sent it.
async fn take_from_outbox(env: &TestEnv, id: Uuid, correlation_id: &str) -> (String, Outgoing) {
    let (topic, payload): (String, Value) = sqlx::query_as(
        "UPDATE outbox SET published_at = now() WHERE id = $1 RETURNING topic, payload",
    )
    .bind(id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let job = Outgoing::json(
        id.to_string(),
        serde_json::to_vec(&payload).unwrap(),
        correlation_id,
    );
    (topic, job)
}

#[tokio::test]
async fn a_send_that_used_up_its_tries_is_parked_the_next_goes_and_a_replay_sends_it_once() {
    let env = TestEnv::new().await;
    // MAX_ATTEMPTS=4 and no time budget in tests: four 500s dead-letter the first message.
    env.graph
        .inject(Fault::for_code(131000).times(4).only_to(CLIENT));
    let lead_id = lead(&env, CLIENT, 1).await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let ids = texts(&env, lead_id, CLIENT, &["hello", "after"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;

    env.graph.wait_for_sent(1, WAIT).await.unwrap();
    assert_eq!(
        sent_texts(&env, CLIENT),
        ["after"],
        "the younger message is not held behind the dead one"
    );
    let reason = wait_parked(&env, ids[0]).await;
    assert!(reason.starts_with("dead-lettered: 4 attempts"), "{reason}");
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 1);

    // Visible while parked: the admin list, the lead's transcript and its page.
    let list = admin_get(&console.url("/admin/messages?parked=true")).await;
    let list = list["messages"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], ids[0].to_string());
    assert_eq!(list[0]["lead_id"], lead_id.to_string());
    assert_eq!(list[0]["text"], "hello");
    assert_eq!(list[0]["attempts"], 4);
    let lead_json = admin_get(&console.url(&format!("/admin/leads/{lead_id}"))).await;
    let transcript = lead_json["transcript"].as_array().unwrap();
    assert_eq!(transcript[0]["text"], "hello");
    assert_eq!(transcript[0]["parked"], Value::String(reason.clone()));
    assert!(
        transcript[1].get("parked").is_none(),
        "the sent one is not parked"
    );
    let mut browser = Browser::new(&console);
    browser.login(ADMIN_KEY).await;
    let page = browser
        .get(&format!("/leads/{lead_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("parked: dead-lettered: 4 attempts"), "{page}");
    let queues = browser.get("/queues").await.text().await.unwrap();
    assert!(
        queues.contains("Parked messages") && queues.contains(&format!("/leads/{lead_id}")),
        "{queues}"
    );

    // The operator replays the DLQ: the parked message goes, once, after the younger one.
    let r = client()
        .post(console.url(&format!("/admin/dlq/{OUTBOUND_WHATSAPP}/replay")))
        .header("X-Admin-API-Key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    env.graph.wait_for_sent(2, WAIT).await.unwrap();
    env.wait_quiescent(WAIT).await;
    assert_eq!(sent_texts(&env, CLIENT), ["after", "hello"]);
    assert_eq!(
        message_requests(&env),
        6,
        "four refused, two sent, no duplicate"
    );
    assert_eq!(parked(&env, ids[0]).await, ("sent".into(), None));
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 0);
    let list = admin_get(&console.url("/admin/messages?parked=true")).await;
    assert_eq!(list["messages"], serde_json::json!([]));
}

#[tokio::test]
async fn a_send_job_the_bus_dead_letters_parks_its_message_through_the_hook() {
    let mut env = TestEnv::new().await;
    // No token anywhere: the sender answers Retry and the bus gives up after MAX_ATTEMPTS.
    env.artist.whatsapp_access_token = None;
    infra::store::artists::upsert(&env.pool, &env.artist)
        .await
        .unwrap();
    let lead_id = lead(&env, CLIENT, 1).await;
    let first = texts(&env, lead_id, CLIENT, &["hello"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let reason = wait_parked(&env, first[0]).await;
    assert_eq!(
        reason,
        "dead-lettered: no WhatsApp access token configured for this artist"
    );
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'message_dead_lettered'")
            .await,
        1
    );

    // The token is fixed; a younger message goes at once, and `inkline dlq replay` sends the old.
    env.artist.whatsapp_access_token = Some(harness::env::ACCESS_TOKEN.into());
    infra::store::artists::upsert(&env.pool, &env.artist)
        .await
        .unwrap();
    texts(&env, lead_id, CLIENT, &["after"]).await;
    env.graph.wait_for_sent(1, WAIT).await.unwrap();
    assert_eq!(sent_texts(&env, CLIENT), ["after"]);
    let (bus, stop) = bus(&env).await;
    let moved = infra::bus::dlq::replay(&bus, OUTBOUND_WHATSAPP, None)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    env.graph.wait_for_sent(2, WAIT).await.unwrap();
    env.wait_quiescent(WAIT).await;
    assert_eq!(sent_texts(&env, CLIENT), ["after", "hello"]);
    assert_eq!(parked(&env, first[0]).await, ("sent".into(), None));
    stop.trigger();
}

#[tokio::test]
async fn a_send_job_the_broker_dead_lettered_stops_holding_back_younger_messages_after_the_stall_bound()
 {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("SEND_STALL_SECS".into(), "2".into());
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["lost", "after"]).await;
    // The broker's x-delivery-limit dead-lettered the first job after it crashed the sender again
    // and again: it sits in the DLQ and no handler was ever told.
    let (_, job) = take_from_outbox(&env, ids[0], "crash-looped").await;
    let (bus, stop) = bus(&env).await;
    bus.publish(&dlq(OUTBOUND_WHATSAPP), &job).await.unwrap();

    let started = Instant::now();
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    env.graph.wait_for_sent(1, WAIT).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the younger message waited for the older one for the stall bound ({:?})",
        started.elapsed()
    );
    assert_eq!(sent_texts(&env, CLIENT), ["after"]);
    let (status, reason) = parked(&env, ids[0]).await;
    assert_eq!(status, "queued");
    assert!(
        reason.as_deref().is_some_and(|r| r.starts_with("stalled:")),
        "{reason:?}"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'message_stalled'")
            .await,
        1
    );

    let moved = infra::bus::dlq::replay(&bus, OUTBOUND_WHATSAPP, None)
        .await
        .unwrap();
    assert_eq!(moved, 1);
    env.graph.wait_for_sent(2, WAIT).await.unwrap();
    env.wait_quiescent(WAIT).await;
    assert_eq!(sent_texts(&env, CLIENT), ["after", "lost"]);
    assert_eq!(parked(&env, ids[0]).await, ("sent".into(), None));
    stop.trigger();
}

#[tokio::test]
async fn a_graph_outage_within_the_retry_budget_does_not_dead_letter_the_send() {
    let mut env = TestEnv::new().await;
    // MAX_ATTEMPTS stays 4; a minute of budget keeps retrying past it.
    env.extra_env
        .insert("RETRY_BUDGET_SECS".into(), "60".into());
    env.graph.fail_always(500, 131000);
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["patience"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    eventually("more failed calls than MAX_ATTEMPTS", WAIT, || async {
        (message_requests(&env) >= 6).then_some(())
    })
    .await;
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 0);
    assert_eq!(parked(&env, ids[0]).await, ("queued".into(), None));

    env.graph.clear_faults();
    env.graph.wait_for_sent(1, WAIT).await.unwrap();
    env.wait_quiescent(WAIT).await;
    assert_eq!(sent_texts(&env, CLIENT), ["patience"]);
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 0);
    assert_eq!(parked(&env, ids[0]).await, ("sent".into(), None));
}

#[tokio::test]
async fn a_job_on_the_unpartitioned_queue_is_forwarded_to_its_partition_and_sent_once() {
    let env = TestEnv::new().await;
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["queued before the upgrade"]).await;
    let (topic, job) = take_from_outbox(&env, ids[0], "old-relay").await;
    assert_eq!(topic, inkline_core::jobs::partitions::of(env.artist_id));
    // An older relay published it (twice: a crash between publish and mark) to outbound.whatsapp.
    let (bus, stop) = bus(&env).await;
    for _ in 0..2 {
        bus.publish(OUTBOUND_WHATSAPP, &job).await.unwrap();
    }
    let _w = env.start_workers(&[Role::Sender]).await;
    env.graph.wait_for_sent(1, WAIT).await.unwrap();
    env.wait_quiescent(WAIT).await;
    assert_eq!(sent_texts(&env, CLIENT), ["queued before the upgrade"]);
    assert_eq!(env.queue_depth(OUTBOUND_WHATSAPP).await, 0);
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 0);
    stop.trigger();
}
