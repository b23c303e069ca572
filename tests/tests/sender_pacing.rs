//! Pacing measured where Meta would measure it (the fake's `received_at`): the per-number rate,
//! the per-recipient spacing and order, with one sender and with two sender processes sharing
//! the Postgres limiter; and the throughput of one sender when pacing does not bind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::SentMessage;
use harness::{TestEnv, eventually};
use infra::store::outbound::{self, Outbound};
use inkline_core::conversation::Recipient;
use inkline_core::domain::MessageBody;
use std::time::{Duration, Instant};
use uuid::Uuid;
use workers::Role;

const CLIENT: &str = "447700900400";

async fn pacing(env: &mut TestEnv, rate: f64, spacing: f64, burst: u32) {
    env.artist.pacing.messages_per_second = rate;
    env.artist.pacing.pair_spacing_secs = spacing;
    env.artist.pacing.pair_burst = burst;
    infra::store::artists::upsert(&env.pool, &env.artist)
        .await
        .unwrap();
}

/// `n` clients (each with an open window) and one message to each, plus `to_one` messages
/// `m1..` to [`CLIENT`], all queued in one transaction.
async fn queue(env: &TestEnv, n: i32, to_one: usize) {
    queue_from(env, 1, n, to_one).await
}

/// [`queue`] with the clients numbered from `first`.
async fn queue_from(env: &TestEnv, first: i32, n: i32, to_one: usize) {
    let leads: Vec<(Uuid, String)> = sqlx::query_as(
        "INSERT INTO leads (id, artist_id, wa_id, status, last_inbound_at)
         SELECT gen_random_uuid(), $1, w, 'QUALIFYING', now()
           FROM (SELECT '4478' || lpad(i::text, 8, '0') AS w FROM generate_series($4, $4 + $2 - 1) i
                 UNION ALL SELECT $3) ws
         ON CONFLICT (artist_id, wa_id) DO NOTHING
         RETURNING id, wa_id",
    )
    .bind(env.artist_id)
    .bind(n)
    .bind(CLIENT)
    .bind(first)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    let mut tx = env.pool.begin().await.unwrap();
    let one = leads.iter().find(|(_, w)| w == CLIENT).map(|(id, _)| *id);
    for (i, (id, wa)) in leads.iter().filter(|(_, w)| w != CLIENT).enumerate() {
        if i < to_one {
            let m = Outbound {
                artist_id: env.artist_id,
                lead_id: one,
                recipient: Recipient::Client,
                wa_id: CLIENT,
                body: MessageBody::text(format!("m{}", i + 1)),
                template: None,
                template_params: Vec::new(),
            };
            outbound::enqueue_outbound(&mut tx, m, "pacing")
                .await
                .unwrap();
        }
        outbound::enqueue_send(
            &mut tx,
            env.artist_id,
            Some(*id),
            Recipient::Client,
            wa,
            MessageBody::text("hello"),
            "pacing",
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The most messages that arrived within any one second.
fn max_in_any_second(sent: &[SentMessage]) -> usize {
    let mut at: Vec<Instant> = sent.iter().map(|s| s.received_at).collect();
    at.sort();
    let (mut best, mut lo) = (0, 0);
    for hi in 0..at.len() {
        while at[hi] - at[lo] >= Duration::from_secs(1) {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

/// The messages to [`CLIENT`] came in order `m1..m{n}`, at least `spacing` apart (allowing 10 %
/// for the network between the reservation and the fake). Returns the smallest gap.
fn check_one_client(sent: &[SentMessage], n: usize, spacing: Duration) -> Duration {
    let mine: Vec<&SentMessage> = sent.iter().filter(|s| s.to == CLIENT).collect();
    let texts: Vec<&str> = mine.iter().map(|s| s.text().unwrap_or_default()).collect();
    let expected: Vec<String> = (1..=n).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, expected, "production order");
    let gaps: Vec<Duration> = mine
        .windows(2)
        .map(|w| w[1].received_at - w[0].received_at)
        .collect();
    let min = gaps.iter().min().copied().unwrap_or_default();
    assert!(
        min >= spacing.mul_f64(0.9),
        "gaps {gaps:?} under the spacing {spacing:?}"
    );
    min
}

#[tokio::test]
async fn five_hundred_messages_at_50_per_second_never_exceed_50_in_any_second_and_one_client_keeps_spacing()
 {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 50.0, 0.4, 1).await;
    queue(&env, 495, 5).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(500, Duration::from_secs(60))
        .await
        .unwrap();
    let max = max_in_any_second(&sent);
    let min_gap = check_one_client(&sent, 5, Duration::from_millis(400));
    let span = sent.last().unwrap().received_at - sent[0].received_at;
    println!(
        "one sender: 500 messages in {span:?}, at most {max} in any 1 s (configured 50), one client's smallest gap {min_gap:?} (configured 400 ms)"
    );
    assert!(max <= 50, "{max} messages in one second");
}

#[tokio::test]
async fn two_sender_processes_share_the_number_rate_and_the_recipient_spacing() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 50.0, 0.4, 1).await;
    queue(&env, 295, 5).await;
    let mut a = env.spawn_worker_process(&["sender"], &[]);
    let mut b = env.spawn_worker_process(&["sender"], &[]);
    let _relay = env.start_workers(&[Role::Relay]).await;
    let sent = env.graph.wait_for_sent(300, Duration::from_secs(60)).await;
    let _ = a.kill();
    let _ = b.kill();
    let _ = a.wait();
    let _ = b.wait();
    let sent = sent.unwrap();
    let max = max_in_any_second(&sent);
    let min_gap = check_one_client(&sent, 5, Duration::from_millis(400));
    println!(
        "two senders: 300 messages, at most {max} in any 1 s (configured 50), one client's smallest gap {min_gap:?}"
    );
    assert!(max <= 50, "{max} messages in one second");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        env.graph.sent().len(),
        300,
        "no duplicate between the two processes"
    );
}

#[tokio::test]
async fn one_sender_throughput_when_pacing_does_not_bind() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 1000.0, 0.0, 10).await;
    let n = 600;
    queue(&env, n, 0).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(n as usize, Duration::from_secs(60))
        .await
        .unwrap();
    let span = sent.last().unwrap().received_at - sent[0].received_at;
    let rate = (n - 1) as f64 / span.as_secs_f64();
    println!(
        "one sender, pacing at 1000/s (not binding): {n} messages in {span:?} = {rate:.0} msg/s"
    );
    assert!(rate > 20.0);
}

#[tokio::test]
async fn a_send_costs_at_most_two_postgres_round_trips() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 1000.0, 0.0, 10).await;
    let n = 300;
    // The sender reaches Postgres through a proxy that counts its requests.
    let proxy = harness::proxy::Proxy::start(harness::proxy::postgres_addr()).await;
    env.extra_env.insert(
        "DATABASE_URL".into(),
        harness::proxy::through(&env.database_url, &proxy),
    );
    // A first round warms the sender up (its connections, their prepared statements, the
    // artist's configuration); the second is measured.
    queue(&env, n, 0).await;
    let relay = env.start_workers(&[Role::Relay]).await;
    let sender = env.start_workers(&[Role::Sender]).await;
    env.graph
        .wait_for_sent(n as usize, Duration::from_secs(60))
        .await
        .unwrap();
    relay.stop().await;
    queue_from(&env, n + 1, n, 0).await;
    let jobs: Vec<(Uuid, serde_json::Value)> =
        sqlx::query_as("SELECT id, payload FROM outbox WHERE published_at IS NULL ORDER BY seq")
            .fetch_all(&env.pool)
            .await
            .unwrap();
    assert_eq!(jobs.len(), n as usize);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, pings_before) = (proxy.requests(), proxy.pings());
    // Published behind the relay's back (the relay is stopped).
    let shutdown = infra::shutdown::Shutdown::new();
    let bus = infra::bus::Bus::start(env.worker_config().bus, "test", shutdown.child());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let partition = inkline_core::jobs::partitions::of(env.artist_id);
    for (id, payload) in &jobs {
        let job =
            infra::bus::Outgoing::json(id.to_string(), payload.to_string().into_bytes(), "rt");
        bus.publish(partition, &job).await.unwrap();
    }
    env.graph
        .wait_for_sent(2 * n as usize, Duration::from_secs(60))
        .await
        .unwrap();
    eventually(
        "every acceptance recorded",
        Duration::from_secs(10),
        || async {
            (env.count("SELECT count(*) FROM messages WHERE status = 'sent'")
                .await
                == 2 * n as i64)
                .then_some(())
        },
    )
    .await;
    let per_send = (proxy.requests() - before) as f64 / n as f64;
    let pings = (proxy.pings() - pings_before) as f64 / n as f64;
    sender.stop().await;
    shutdown.trigger();
    // The pool's ping when a connection is given back is not on the send's path (sqlx runs it
    // after the caller has its answer); it is reported, not counted.
    println!(
        "{n} sends: {per_send:.2} Postgres round trips per send (+{pings:.2} pool pings on release)"
    );
    assert!(per_send <= 2.0, "{per_send:.2} round trips per send");
    assert!(per_send >= 1.0, "the claim is one per send: {per_send:.2}");
}

#[tokio::test]
async fn the_standby_sender_takes_over_when_the_active_one_is_killed_keeping_pace_and_order() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 50.0, 0.4, 1).await;
    queue(&env, 245, 5).await;
    // The first to register is the active consumer of every partition; the second waits.
    let mut active = env.spawn_worker_process(&["sender"], &[]);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut standby = env.spawn_worker_process(&["sender"], &[]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _relay = env.start_workers(&[Role::Relay]).await;
    let _ = env.graph.wait_for_sent(60, Duration::from_secs(30)).await;
    let _ = active.kill();
    let _ = active.wait();
    // What it had sent but not yet recorded is sent again once its lease (30 s) runs out.
    let sent = env.graph.wait_for_sent(250, Duration::from_secs(90)).await;
    let _ = standby.kill();
    let _ = standby.wait();
    let sent = sent.unwrap();
    let max = max_in_any_second(&sent);
    println!(
        "failover: {} requests, at most {max} in any 1 s",
        sent.len()
    );
    assert!(max <= 50, "{max} messages in one second");
    let mut unique: Vec<_> = sent
        .iter()
        .map(|s| (s.to.clone(), s.text().map(str::to_owned)))
        .collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 250, "every message sent");
    assert!(
        sent.len() - 250 <= 8,
        "{} re-sent after the kill",
        sent.len() - 250
    );
    let mine: Vec<_> = sent
        .iter()
        .filter(|s| s.to == CLIENT)
        .map(|s| s.text().unwrap_or_default().to_owned())
        .collect();
    let mut firsts = mine.clone();
    firsts.dedup();
    assert_eq!(
        firsts,
        ["m1", "m2", "m3", "m4", "m5"],
        "one client's order: {mine:?}"
    );
}

#[tokio::test]
async fn read_receipts_take_no_message_slots() {
    let mut env = TestEnv::new().await;
    // 5/s configured: a message slot every 222 ms.
    pacing(&mut env, 5.0, 0.0, 10).await;
    queue(&env, 5, 0).await;
    let mut tx = env.pool.begin().await.unwrap();
    for i in 0..10 {
        let job = inkline_core::jobs::WhatsAppJob::MarkRead {
            artist_id: env.artist_id,
            wamid: format!("wamid.IN{i}"),
        };
        let partition = inkline_core::jobs::partitions::of(env.artist_id);
        infra::store::outbox::insert(&mut tx, Uuid::now_v7(), partition, &job, "reads")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(5, Duration::from_secs(30))
        .await
        .unwrap();
    eventually("ten read receipts", Duration::from_secs(10), || async {
        (env.graph.reads().len() == 10).then_some(())
    })
    .await;
    let reads: Vec<_> = env.graph.reads().iter().map(|r| r.at).collect();
    let read_span = *reads.iter().max().unwrap() - *reads.iter().min().unwrap();
    let send_span = sent.last().unwrap().received_at - sent[0].received_at;
    println!("5 messages over {send_span:?}, 10 read receipts over {read_span:?}");
    // Paced as messages, the ten receipts queued behind the five messages would take 2.2 s.
    assert!(
        read_span < chrono::Duration::milliseconds(1000),
        "read receipts were paced: {read_span:?}"
    );
    assert!(
        send_span >= Duration::from_millis(4 * 200),
        "messages are still paced: {send_span:?}"
    );
}
