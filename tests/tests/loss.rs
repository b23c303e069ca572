//! Crashes at the worst moments lose nothing and send nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::{TestEnv, eventually};
use std::time::Duration;
use workers::Role;

const T: i64 = 1_764_064_800;

#[tokio::test]
async fn worker_killed_after_commit_before_ack_redelivers_and_still_replies_once() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let mut doomed = env.spawn_worker_process(
        &["conversation"],
        &[("INKLINE_FAILPOINT", "conversation.after_commit")],
    );
    let body = payloads::text(
        &env.artist.phone_number_id,
        "447700900200",
        "Sam",
        "wamid.K1",
        T,
        "Hi!",
    );
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    let status = tokio::task::spawn_blocking(move || doomed.wait().unwrap())
        .await
        .unwrap();
    assert!(!status.success(), "the worker aborted at the failpoint");
    // The transaction committed: the lead and its outbox row exist, but the delivery was never acked.
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status = 'QUALIFYING'")
            .await,
        1
    );
    let replies = env
        .count("SELECT count(*) FROM messages WHERE direction = 'out'")
        .await;
    let rows = env.count("SELECT count(*) FROM outbox").await;
    assert!(replies >= 1);

    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    env.graph
        .wait_for_sent(replies as usize, Duration::from_secs(15))
        .await
        .unwrap();
    eventually(
        "the redelivery is consumed",
        Duration::from_secs(10),
        || async {
            (env.queue_depth(infra::bus::topology::INBOUND_WHATSAPP)
                .await
                == 0)
                .then_some(())
        },
    )
    .await;
    // Nothing more is on its way: every queue drained, nothing unacked, outbox published.
    env.wait_quiescent(Duration::from_secs(20)).await;
    assert_eq!(
        env.graph.sent().len() as i64,
        replies,
        "exactly the replies of the first processing"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM outbox").await,
        rows,
        "the redelivery changed nothing"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'out'")
            .await,
        replies
    );
    let dup = infra::metrics::metrics().render();
    assert!(
        dup.contains("inkline_duplicates_total{provider=\"whatsapp\"} 1"),
        "{dup}"
    );
}

#[tokio::test]
async fn relay_killed_between_publish_and_mark_loses_nothing_and_sends_once() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _others = env.start_workers(&[Role::Conversation, Role::Sender]).await;
    let mut doomed =
        env.spawn_worker_process(&["relay"], &[("INKLINE_FAILPOINT", "relay.after_publish")]);
    let body = payloads::text(
        &env.artist.phone_number_id,
        "447700900201",
        "Sam",
        "wamid.K2",
        T,
        "Hi!",
    );
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    let status = tokio::task::spawn_blocking(move || doomed.wait().unwrap())
        .await
        .unwrap();
    assert!(!status.success(), "the relay aborted at the failpoint");
    let unmarked = env
        .count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .await;
    assert!(unmarked >= 1, "published but not marked");
    assert_eq!(unmarked, env.count("SELECT count(*) FROM outbox").await);
    let replies = env
        .count("SELECT count(*) FROM messages WHERE direction = 'out'")
        .await;

    let _relay = env.start_workers(&[Role::Relay]).await;
    eventually(
        "republished and marked",
        Duration::from_secs(10),
        || async {
            (env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                .await
                == 0)
                .then_some(())
        },
    )
    .await;
    env.graph
        .wait_for_sent(replies as usize, Duration::from_secs(15))
        .await
        .unwrap();
    eventually("both copies consumed", Duration::from_secs(10), || async {
        (env.queue_depth(infra::bus::topology::OUTBOUND_WHATSAPP)
            .await
            == 0)
            .then_some(())
    })
    .await;
    // Nothing more is on its way: every queue drained, nothing unacked, outbox published.
    env.wait_quiescent(Duration::from_secs(20)).await;
    assert_eq!(
        env.graph.sent().len() as i64,
        replies,
        "the duplicate publishes were not sent again"
    );
    assert_eq!(
        env.count("SELECT count(DISTINCT provider_id) FROM messages WHERE direction = 'out'")
            .await,
        replies
    );
}
