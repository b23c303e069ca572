//! Pacing measured where Meta would measure it (the fake's `received_at`): the per-number rate,
//! the per-recipient spacing and order, with one sender and with two sender processes sharing
//! the Postgres limiter; and the throughput of one sender when pacing does not bind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::SentMessage;
use harness::TestEnv;
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
    let leads: Vec<(Uuid, String)> = sqlx::query_as(
        "INSERT INTO leads (id, artist_id, wa_id, status, last_inbound_at)
         SELECT gen_random_uuid(), $1, w, 'QUALIFYING', now()
           FROM (SELECT '4478' || lpad(i::text, 8, '0') AS w FROM generate_series(1, $2) i
                 UNION ALL SELECT $3) ws
         RETURNING id, wa_id",
    )
    .bind(env.artist_id)
    .bind(n)
    .bind(CLIENT)
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
