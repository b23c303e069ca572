//! Nothing grows without bound: every queue has a maximum length and a full one refuses publishes
//! (a distinct `PublishError::Nacked`); a queue left by an older version does not stop the fleet;
//! nothing is queued for a role that does not exist; finished rows are deleted after their age,
//! safely from several replicas at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::{TestEnv, eventually};
use infra::bus::topology::{self, JOBS_PAYMENTS, JOBS_SHEETS};
use infra::bus::{Bus, Outgoing, PublishError};
use infra::config::RetentionConfig;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::retention::Table;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use std::time::Duration;
use uuid::Uuid;
use workers::Role;

fn message(n: u32) -> Outgoing {
    let id = Uuid::now_v7().to_string();
    Outgoing::json(id.clone(), format!("{{\"n\":{n}}}").into_bytes(), &id)
}

/// Publishes to `queue` until the broker refuses; returns how many it took.
pub async fn fill(bus: &Bus, queue: &str, at_most: u32) -> (u32, PublishError) {
    for n in 0..at_most {
        if let Err(e) = bus.publish(queue, &message(n)).await {
            return (n, e);
        }
    }
    panic!("{queue} took {at_most} messages without refusing one");
}

#[tokio::test]
async fn a_full_queue_refuses_the_publish_with_a_distinct_error() {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("QUEUE_MAX_LENGTH".into(), "3".into());
    let shutdown = Shutdown::new();
    let bus = Bus::start(env.worker_config().bus, "test", shutdown.clone());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let (taken, refused) = fill(&bus, JOBS_PAYMENTS, 20).await;
    // A quorum queue switches to refusing once it holds *more* than its limit, so one message
    // beyond it (plus any in flight at that moment) gets in.
    assert_eq!(taken, 4, "x-max-length 3, one over");
    assert!(matches!(refused, PublishError::Nacked), "{refused:?}");
    assert_eq!(refused.reason(), "nacked");
    assert!(matches!(
        bus.publish(JOBS_PAYMENTS, &message(99)).await,
        Err(PublishError::Nacked)
    ));
    assert_eq!(
        env.queue_depth(JOBS_PAYMENTS).await,
        4,
        "nothing was dropped"
    );
    // Other queues are unaffected.
    bus.publish(topology::OUTBOUND_WHATSAPP, &message(4))
        .await
        .unwrap();
    bus.publish(&topology::retry_queue(JOBS_PAYMENTS), &message(5))
        .await
        .unwrap();
    shutdown.trigger();
}

/// The arguments 0.1.0 declared its work queues with (no length limit).
fn old_work_queue_args(queue: &str) -> FieldTable {
    let s = |v: &str| AMQPValue::LongString(LongString::from(v));
    let mut t = FieldTable::default();
    for (k, v) in [
        ("x-queue-type", s("quorum")),
        ("x-delivery-limit", AMQPValue::LongLongInt(10)),
        ("x-dead-letter-exchange", s("")),
        ("x-dead-letter-routing-key", s(&topology::dlq(queue))),
        ("x-dead-letter-strategy", s("at-least-once")),
        ("x-overflow", s("reject-publish")),
    ] {
        t.insert(ShortString::from(k), v);
    }
    t
}

#[tokio::test]
async fn a_queue_declared_by_an_older_version_is_used_as_it_is_and_reported() {
    let env = TestEnv::new().await;
    let conn = lapin::Connection::connect(&env.amqp_url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.queue_declare(
        ShortString::from(JOBS_PAYMENTS),
        QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        },
        old_work_queue_args(JOBS_PAYMENTS),
    )
    .await
    .unwrap();
    let _ = conn.close(200, ShortString::from("done")).await;

    let shutdown = Shutdown::new();
    let bus = Bus::start(env.worker_config().bus, "upgrade-test", shutdown.clone());
    assert!(
        bus.wait_connected(Duration::from_secs(10)).await,
        "the mismatch does not stop the process from connecting"
    );
    let mismatch = |q: &str| {
        metrics()
            .queue_arguments_mismatch
            .with_label_values(&[q])
            .get()
    };
    assert_eq!(mismatch(JOBS_PAYMENTS), 1, "reported for the alert");
    assert_eq!(mismatch(topology::OUTBOUND_WHATSAPP), 0);
    // Every other queue was still declared, with its limits, after the refused one.
    for q in topology::QUEUES {
        for name in [q.to_owned(), topology::retry_queue(q), topology::dlq(q)] {
            assert!(
                bus.publish(&name, &message(0)).await.is_ok(),
                "{name} exists and takes messages"
            );
        }
    }

    // The documented upgrade step bounds the old queue with a policy.
    let script = format!(
        "{}/../deploy/rabbitmq/queue-limits.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let vhost = env.name.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(script)
            .arg(vhost)
            .env("QUEUE_MAX_LENGTH", "3")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Policies apply asynchronously: publish until the old queue refuses, then it stays shut.
    eventually(
        "the policy bounds the old queue",
        Duration::from_secs(10),
        || async {
            matches!(
                bus.publish(JOBS_PAYMENTS, &message(1)).await,
                Err(PublishError::Nacked)
            )
            .then_some(())
        },
    )
    .await;
    let depth = env.queue_depth(JOBS_PAYMENTS).await;
    assert!(matches!(
        bus.publish(JOBS_PAYMENTS, &message(2)).await,
        Err(PublishError::Nacked)
    ));
    assert_eq!(env.queue_depth(JOBS_PAYMENTS).await, depth);
    shutdown.trigger();
}

#[tokio::test]
async fn no_job_is_queued_for_a_role_that_does_not_exist() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&[Role::Conversation, Role::Relay]).await;
    let withheld_before = metrics()
        .jobs_withheld
        .with_label_values(&[JOBS_SHEETS])
        .get();
    // A first message moves the lead NEW → QUALIFYING: the engine asks for a lead-log job.
    let body = payloads::text(
        &env.artist.phone_number_id,
        "447700900901",
        "Sam",
        "wamid.G1",
        chrono::Utc::now().timestamp(),
        "Hi",
    );
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    eventually(
        "the reply is published",
        Duration::from_secs(15),
        || async {
            (env.count(
                "SELECT count(*) FROM outbox WHERE topic LIKE 'outbound.whatsapp.p%' AND published_at IS NOT NULL",
            )
            .await
                > 0)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status = 'QUALIFYING'")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM outbox WHERE topic IN ('jobs.sheets', 'jobs.calendar')")
            .await,
        0
    );
    assert_eq!(env.queue_depth(JOBS_SHEETS).await, 0);
    assert!(
        metrics()
            .jobs_withheld
            .with_label_values(&[JOBS_SHEETS])
            .get()
            > withheld_before,
        "the withheld job is counted"
    );
}

/// `old` rows past their table's default age and `young` ones a day old, in every table retention
/// trims (defaults: 30, 7, 180 and 30 days).
async fn seed_rows(env: &TestEnv, old: usize, young: usize) {
    let lead = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO leads (id, artist_id, wa_id, status) VALUES ($1, $2, '447700900999', 'NEW')",
    )
    .bind(lead)
    .bind(env.artist_id)
    .execute(&env.pool)
    .await
    .unwrap();
    for (n, age, events_age) in [(old, "40 days", "200 days"), (young, "1 day", "1 day")] {
        for _ in 0..n {
            let id = Uuid::now_v7();
            sqlx::query(&format!(
                "INSERT INTO processed_events (provider, id, processed_at) VALUES ('whatsapp', $1, now() - interval '{age}')"
            ))
            .bind(id.to_string())
            .execute(&env.pool)
            .await
            .unwrap();
            sqlx::query(&format!(
                "INSERT INTO outbox (id, topic, payload, created_at, published_at)
                 VALUES ($1, 'outbound.whatsapp', '{{}}', now() - interval '{age}', now() - interval '{age}')"
            ))
            .bind(id)
            .execute(&env.pool)
            .await
            .unwrap();
            sqlx::query(&format!(
                "INSERT INTO system_events (at, kind, severity) VALUES (now() - interval '{events_age}', 'test', 'info')"
            ))
            .execute(&env.pool)
            .await
            .unwrap();
            sqlx::query(&format!(
                "INSERT INTO action_tokens (id, token_hash, lead_id, action, for_status, expires_at)
                 VALUES ($1, $2, $3, 'approve', 'PENDING_APPROVAL', now() - interval '{age}')"
            ))
            .bind(id)
            .bind(id.as_bytes().to_vec())
            .bind(lead)
            .execute(&env.pool)
            .await
            .unwrap();
        }
    }
}

async fn counts(env: &TestEnv) -> [i64; 4] {
    [
        env.count("SELECT count(*) FROM processed_events").await,
        env.count("SELECT count(*) FROM outbox").await,
        env.count("SELECT count(*) FROM system_events").await,
        env.count("SELECT count(*) FROM action_tokens").await,
    ]
}

#[tokio::test]
async fn retention_deletes_old_rows_and_keeps_young_and_unfinished_ones() {
    let env = TestEnv::new().await;
    seed_rows(&env, 5, 3).await;
    // Old but not finished: an unpublished row and a parked one stay whatever their age.
    for parked in [false, true] {
        sqlx::query(
            "INSERT INTO outbox (id, topic, payload, created_at, parked_at) VALUES ($1, 'jobs.payments', '{}', now() - interval '90 days', $2)",
        )
        .bind(Uuid::now_v7())
        .bind(parked.then(chrono::Utc::now))
        .execute(&env.pool)
        .await
        .unwrap();
    }
    let cfg = env.worker_config().retention;
    assert_eq!(cfg.batch, 1_000);
    let before = metrics()
        .retention_deleted
        .with_label_values(&["outbox"])
        .get();
    let deleted = workers::retention::run_once(&env.pool, &cfg, &Shutdown::new())
        .await
        .unwrap();
    assert_eq!(
        deleted,
        vec![
            (Table::ProcessedEvents, 5),
            (Table::Outbox, 5),
            (Table::SystemEvents, 5),
            (Table::ActionTokens, 5),
        ]
    );
    assert_eq!(counts(&env).await, [3, 3 + 2, 3, 3]);
    assert_eq!(
        env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        2
    );
    assert_eq!(
        metrics()
            .retention_deleted
            .with_label_values(&["outbox"])
            .get(),
        before + 5
    );
    // A second run finds nothing more; 0 days keeps a table forever.
    let keep_tokens = RetentionConfig {
        action_tokens: None,
        ..cfg
    };
    let again = workers::retention::run_once(&env.pool, &keep_tokens, &Shutdown::new())
        .await
        .unwrap();
    assert!(again.iter().all(|(_, n)| *n == 0), "{again:?}");
    assert!(!again.iter().any(|(t, _)| *t == Table::ActionTokens));
}

#[tokio::test]
async fn two_retention_runs_at_once_share_the_work_without_errors() {
    let env = TestEnv::new().await;
    seed_rows(&env, 120, 10).await;
    let cfg = RetentionConfig {
        batch: 7,
        ..env.worker_config().retention
    };
    let stop = Shutdown::new();
    let (a, b) = tokio::join!(
        workers::retention::run_once(&env.pool, &cfg, &stop),
        workers::retention::run_once(&env.pool, &cfg, &stop),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    for (i, table) in Table::ALL.into_iter().enumerate() {
        assert_eq!(a[i].0, table);
        assert_eq!(a[i].1 + b[i].1, 120, "{table}: each old row deleted once");
    }
    assert_eq!(counts(&env).await, [10; 4], "young rows kept");
}

#[tokio::test]
async fn a_full_inbound_queue_makes_the_ingress_answer_503_queue_full_with_retry_after() {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("QUEUE_MAX_LENGTH".into(), "2".into());
    let ingress = env.start_ingress().await;
    let mut refused = None;
    for n in 0..20 {
        let body = payloads::text(
            &env.artist.phone_number_id,
            "447700900555",
            "Sam",
            &format!("wamid.full.{n}"),
            1_764_064_800,
            "hi",
        );
        let resp = env.post_whatsapp(&ingress, &body).await;
        if resp.status() != 200 {
            refused = Some(resp);
            break;
        }
    }
    let resp = refused.expect("a full queue refuses a webhook");
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "queue_full");
    assert_eq!(
        env.queue_depth(topology::INBOUND_WHATSAPP).await,
        3,
        "limit 2, one over; nothing dropped"
    );
}
