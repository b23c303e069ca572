//! Nothing lost, ever: a handler that panics, bursts of new clients, and a Postgres outage in the
//! middle of a conversation — every delivery is settled, every client answered exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::proxy::Proxy;
use harness::{TestEnv, eventually};
use infra::bus::topology::{INBOUND_STRIPE, INBOUND_WHATSAPP, dlq};
use infra::bus::{Bus, Handler, Outcome, Outgoing, Received};
use infra::shutdown::Shutdown;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use workers::Role;

const T: i64 = 1_764_064_800;
const ALL: [Role; 3] = [Role::Conversation, Role::Relay, Role::Sender];

/// Panics on the payload `poison`, acknowledges everything else.
#[derive(Default)]
struct Poisoned {
    handled: AtomicUsize,
    panics: AtomicUsize,
    dead: Mutex<Vec<String>>,
}

/// The consumer's view of a shared [`Poisoned`].
struct Probe(Arc<Poisoned>);

#[async_trait::async_trait]
impl Handler for Probe {
    async fn handle(&self, msg: &Received) -> Outcome {
        if msg.payload == b"poison" {
            panic!("poisoned on purpose");
        }
        self.0.handled.fetch_add(1, Ordering::SeqCst);
        Outcome::Ack
    }

    async fn panicked(&self, _msg: &Received, panic: &str) {
        assert!(panic.contains("poisoned on purpose"), "{panic}");
        self.0.panics.fetch_add(1, Ordering::SeqCst);
    }

    async fn dead_lettered(&self, _msg: &Received, reason: &str) {
        self.0.dead.lock().unwrap().push(reason.to_owned());
    }
}

async fn publish(bus: &Bus, queue: &str, payload: &[u8], id: &str) {
    bus.publish(queue, &Outgoing::json(id, payload.to_vec(), id))
        .await
        .expect("published");
}

#[tokio::test]
async fn a_panicking_handler_is_retried_then_dead_lettered_and_the_consumer_keeps_consuming() {
    let env = TestEnv::new().await;
    let cfg = env.worker_config();
    let max_attempts = cfg.bus.max_attempts as usize;
    let shutdown = Shutdown::new();
    let bus = Bus::start(cfg.bus.clone(), "panic-test", shutdown.child());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let handler = Arc::new(Poisoned::default());
    let consumer = tokio::spawn(infra::bus::consume::run(
        bus.clone(),
        INBOUND_STRIPE,
        Arc::new(Probe(handler.clone())),
        shutdown.clone(),
    ));

    publish(&bus, INBOUND_STRIPE, b"poison", "m-poison").await;
    for i in 0..40 {
        publish(&bus, INBOUND_STRIPE, b"{}", &format!("m-{i}")).await;
    }
    eventually(
        "the poison is dead-lettered",
        Duration::from_secs(30),
        || async { (env.queue_depth(&dlq(INBOUND_STRIPE)).await == 1).then_some(()) },
    )
    .await;
    assert_eq!(
        handler.panics.load(Ordering::SeqCst),
        max_attempts,
        "one panic per attempt"
    );
    assert_eq!(handler.dead.lock().unwrap().len(), 1);
    assert!(handler.dead.lock().unwrap()[0].contains("handler panicked"));

    // Still consuming after the panics.
    for i in 40..50 {
        publish(&bus, INBOUND_STRIPE, b"{}", &format!("m-{i}")).await;
    }
    eventually(
        "every good message handled",
        Duration::from_secs(15),
        || async { (handler.handled.load(Ordering::SeqCst) == 50).then_some(()) },
    )
    .await;
    env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(env.unacked_total().await, 0, "no delivery leaked");
    let metrics = infra::metrics::metrics().render();
    assert!(
        metrics.contains(&format!(
            "inkline_handler_panics_total{{queue=\"inbound.stripe\"}} {max_attempts}"
        )),
        "{metrics}"
    );
    shutdown.trigger();
    consumer.await.unwrap();
}

#[tokio::test]
async fn a_poisoned_message_in_a_worker_process_is_dead_lettered_with_system_events_while_others_flow()
 {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let mut worker = env.spawn_worker_process(
        &["conversation", "relay", "sender"],
        &[("INKLINE_FAILPOINT", "conversation.handle:POISON")],
    );
    let poison = payloads::text(
        &env.artist.phone_number_id,
        "447700900301",
        "Pat",
        "wamid.P1",
        T,
        "POISON please",
    );
    let fine = payloads::text(
        &env.artist.phone_number_id,
        "447700900302",
        "Sam",
        "wamid.P2",
        T,
        "Hi, I want a tattoo",
    );
    assert_eq!(env.post_whatsapp(&ingress, &poison).await.status(), 200);
    assert_eq!(env.post_whatsapp(&ingress, &fine).await.status(), 200);
    env.graph
        .wait_for_sent(1, Duration::from_secs(30))
        .await
        .expect("the healthy client is answered");
    eventually(
        "the poison is dead-lettered",
        Duration::from_secs(30),
        || async { (env.queue_depth(&dlq(INBOUND_WHATSAPP)).await == 1).then_some(()) },
    )
    .await;
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker survived the panics"
    );
    let panics = env
        .count("SELECT count(*) FROM system_events WHERE kind = 'handler_panicked'")
        .await;
    assert_eq!(panics, 4, "one system event per attempt (MAX_ATTEMPTS=4)");
    let dead = env
        .count("SELECT count(*) FROM system_events WHERE kind = 'message_dead_lettered' AND detail->>'queue' = 'inbound.whatsapp'")
        .await;
    assert_eq!(dead, 1);
    env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(env.unacked_total().await, 0);
    assert!(env.graph.sent_to("447700900301").is_empty());
    assert_eq!(env.graph.sent_to("447700900302").len(), 1);
    let _ = worker.kill();
    let _ = worker.wait();
}

/// Posts the first message of each of `clients`, fifty at a time.
async fn first_messages(env: &TestEnv, ingress: &harness::Running, clients: &[String]) {
    futures::future::join_all(clients.chunks(50).map(|chunk| async move {
        for wa in chunk {
            let body = payloads::text(
                &env.artist.phone_number_id,
                wa,
                "New",
                &format!("wamid.first.{wa}"),
                T,
                "Hi, I want a tattoo",
            );
            let status = env.post_whatsapp(ingress, &body).await.status();
            assert_eq!(status, 200, "{wa}");
        }
    }))
    .await;
}

/// Every client got exactly the replies the transcript holds for them (one first question), each
/// once.
async fn assert_each_answered_once(env: &TestEnv, clients: &[String]) {
    let mut per_client: HashMap<String, usize> = HashMap::new();
    let mut ids = std::collections::HashSet::new();
    for m in env.graph.sent() {
        *per_client
            .entry(m.to.trim_start_matches('+').to_owned())
            .or_default() += 1;
        assert!(ids.insert(m.wamid.clone()), "{} sent twice", m.wamid);
    }
    for wa in clients {
        assert_eq!(per_client.get(wa).copied(), Some(1), "client {wa}");
    }
}

#[tokio::test]
async fn bursts_of_first_messages_from_many_new_clients_each_get_exactly_one_reply() {
    const CLIENTS: usize = 500;
    let env = TestEnv::new().await;
    let mut artist = env.artist.clone();
    artist.pacing.messages_per_second = 1_000.0;
    infra::store::artists::upsert(&env.pool, &artist)
        .await
        .unwrap();
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let mut everyone = Vec::new();
    for round in 0..3 {
        let clients: Vec<String> = (0..CLIENTS)
            .map(|i| format!("4477009{round}{i:04}"))
            .collect();
        let started = Instant::now();
        first_messages(&env, &ingress, &clients).await;
        everyone.extend(clients);
        env.graph
            .wait_for_sent(everyone.len(), Duration::from_secs(180))
            .await
            .unwrap_or_else(|_| panic!("round {round}: every client answered"));
        eprintln!(
            "burst round {round}: {CLIENTS} new clients answered in {:?}",
            started.elapsed()
        );
        env.wait_quiescent(Duration::from_secs(60)).await;
        assert_each_answered_once(&env, &everyone).await;
    }
    assert_eq!(env.graph.sent().len(), 3 * CLIENTS);
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status = 'QUALIFYING'")
            .await,
        3 * CLIENTS as i64
    );
    assert!(
        env.nonempty_dlqs().await.is_empty(),
        "{:?}",
        env.nonempty_dlqs().await
    );
    assert_eq!(env.unacked_total().await, 0);
}

#[tokio::test]
async fn a_postgres_outage_of_90_seconds_mid_conversation_loses_nothing_and_dead_letters_nothing() {
    let outage = Duration::from_secs(
        std::env::var("INKLINE_OUTAGE_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(90),
    );
    let mut env = TestEnv::new().await;
    let proxy = Proxy::start(harness::proxy::postgres_addr()).await;
    let through_proxy = harness::proxy::through(&env.database_url, &proxy);
    // Default retry settings: the outage must not burn attempts.
    for (k, v) in [
        ("DATABASE_URL", through_proxy.to_string()),
        ("MAX_ATTEMPTS", "5".into()),
        ("RETRY_BASE_DELAY_MS", "1000".into()),
        ("RETRY_BUDGET_SECS", "3600".into()),
    ] {
        env.extra_env.insert(k.into(), v);
    }
    let mut artist = env.artist.clone();
    artist.pacing.messages_per_second = 1_000.0;
    infra::store::artists::upsert(&env.pool, &artist)
        .await
        .unwrap();
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;

    let before: Vec<String> = (0..40).map(|i| format!("44770093{i:04}")).collect();
    first_messages(&env, &ingress, &before).await;
    env.graph
        .wait_for_sent(before.len(), Duration::from_secs(60))
        .await
        .unwrap();

    // Mid-conversation: the same clients answer, and new ones arrive, while Postgres is cut.
    proxy.cut();
    let cut_at = Instant::now();
    for wa in &before {
        let body = payloads::text(
            &env.artist.phone_number_id,
            wa,
            "New",
            &format!("wamid.second.{wa}"),
            T + 60,
            "A small rose on my wrist",
        );
        assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    }
    let during: Vec<String> = (0..40).map(|i| format!("44770094{i:04}")).collect();
    first_messages(&env, &ingress, &during).await;
    tokio::time::sleep(outage.saturating_sub(cut_at.elapsed())).await;
    let sent_in_outage = env.graph.sent().len();
    proxy.restore();
    let back = Instant::now();

    let expected = before.len() * 2 + during.len();
    env.graph
        .wait_for_sent(expected, Duration::from_secs(60))
        .await
        .expect("every message answered after the outage");
    let recovered = back.elapsed();
    env.wait_quiescent(Duration::from_secs(60)).await;
    eprintln!(
        "postgres outage {outage:?}: {sent_in_outage} replies sent during it, all {expected} \
         within {recovered:?} of recovery"
    );
    let mut ids = std::collections::HashSet::new();
    for m in env.graph.sent() {
        assert!(ids.insert(m.wamid.clone()), "{} sent twice", m.wamid);
    }
    for wa in &before {
        assert_eq!(env.graph.sent_to(wa).len(), 2, "client {wa}");
    }
    for wa in &during {
        assert_eq!(env.graph.sent_to(wa).len(), 1, "client {wa}");
    }
    assert!(
        env.nonempty_dlqs().await.is_empty(),
        "{:?}",
        env.nonempty_dlqs().await
    );
    assert_eq!(env.unacked_total().await, 0);
}
