//! One bad row doesn't stop a loop: a reminder, an expiring deposit or an outbox row whose own
//! processing keeps failing is counted, retried after its back-off, parked after
//! `ROW_MAX_ATTEMPTS` with a `row_parked` system event and a metric — while the other rows keep
//! flowing — and can be put back once fixed. A database outage counts nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use harness::{TestEnv, eventually};
use infra::config::ParkingConfig;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::parking::{self, Failure, Loop};
use inkline_core::conversation::LeadState;
use inkline_core::domain::Status;
use std::time::Duration;
use uuid::Uuid;
use workers::Role;
use workers::reminders::Pass;

/// A lead in `status`, as the conversation worker leaves it.
async fn seed_lead(env: &TestEnv, wa_id: &str, status: Status) -> Uuid {
    let mut state = LeadState::new();
    state.status = status;
    state.last_inbound_at = Some(Utc::now());
    state.status_since = Some(Utc::now());
    env.insert_lead(wa_id, &state).await
}

/// Makes a lead unreadable (its engine state is not a state): every loop touching it fails.
async fn corrupt(env: &TestEnv, lead: Uuid) {
    sqlx::query("UPDATE leads SET state = '\"garbled\"'::jsonb WHERE id = $1")
        .bind(lead)
        .execute(&env.pool)
        .await
        .unwrap();
}

async fn due_tick(env: &TestEnv, lead: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO reminders (id, lead_id, kind, due_at) VALUES ($1, $2, 'tick', now() - interval '1 minute')",
    )
    .bind(id)
    .bind(lead)
    .execute(&env.pool)
    .await
    .unwrap();
    id
}

async fn parked_events(env: &TestEnv, lp: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(
        "SELECT detail FROM system_events WHERE kind = 'row_parked' AND detail->>'loop' = $1",
    )
    .bind(lp)
    .fetch_all(&env.pool)
    .await
    .unwrap()
}

/// Lets a row's back-off run out now (instead of waiting for it).
async fn back_off_over(env: &TestEnv, table: &str, column: &str) {
    sqlx::query(&format!(
        "UPDATE {table} SET {column} = now() - interval '1 second' WHERE {column} IS NOT NULL"
    ))
    .execute(&env.pool)
    .await
    .unwrap();
}

fn parked_total(lp: &str) -> u64 {
    metrics().rows_parked.with_label_values(&[lp]).get()
}

#[tokio::test]
async fn a_reminder_that_keeps_failing_is_retried_after_its_back_off_parked_and_can_be_rerun() {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("ROW_MAX_ATTEMPTS".into(), "3".into());
    env.extra_env
        .insert("ROW_RETRY_BASE_MS".into(), "3600000".into());
    env.extra_env
        .insert("ROW_RETRY_MAX_MS".into(), "7200000".into());
    let shutdown = Shutdown::new();
    let fleet = workers::Fleet::connect(env.worker_config(), &shutdown)
        .await
        .unwrap();
    let good_lead = seed_lead(&env, "447700900801", Status::Qualifying).await;
    let bad_lead = seed_lead(&env, "447700900802", Status::Qualifying).await;
    let good = due_tick(&env, good_lead).await;
    let bad = due_tick(&env, bad_lead).await;
    corrupt(&env, bad_lead).await;
    let parked_before = parked_total("reminders");

    let first = workers::reminders::fire_due(&fleet).await.unwrap();
    assert_eq!(
        first,
        Pass {
            fired: 1,
            failed: 1,
            parked: 0
        },
        "the good reminder fires although the bad one fails"
    );
    let (attempts, error, waits): (i32, String, bool) = sqlx::query_as(
        "SELECT attempts, last_error, next_attempt_at > now() + interval '59 minutes' FROM reminders WHERE id = $1",
    )
    .bind(bad)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(error.contains("unreadable state"), "{error}");
    assert!(waits, "the first retry waits ROW_RETRY_BASE_MS");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM reminders WHERE id = '{good}' AND fired_at IS NOT NULL"
        ))
        .await,
        1
    );

    assert_eq!(
        workers::reminders::fire_due(&fleet).await.unwrap(),
        Pass::default(),
        "during its back-off the bad reminder is left alone"
    );
    back_off_over(&env, "reminders", "next_attempt_at").await;
    assert_eq!(
        workers::reminders::fire_due(&fleet).await.unwrap().failed,
        1
    );
    back_off_over(&env, "reminders", "next_attempt_at").await;
    assert_eq!(
        workers::reminders::fire_due(&fleet).await.unwrap(),
        Pass {
            fired: 0,
            failed: 1,
            parked: 1
        },
        "the third failure parks it"
    );
    back_off_over(&env, "reminders", "next_attempt_at").await;
    assert_eq!(
        workers::reminders::fire_due(&fleet).await.unwrap(),
        Pass::default(),
        "a parked reminder is not tried again"
    );

    let (attempts, reason): (i32, String) = sqlx::query_as(
        "SELECT attempts, parked_reason FROM reminders WHERE id = $1 AND parked_at IS NOT NULL",
    )
    .bind(bad)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 3);
    assert!(reason.starts_with("failed 3 times"), "{reason}");
    let events = parked_events(&env, "reminders").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["row_id"], serde_json::json!(bad));
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM system_events WHERE kind = 'row_parked' AND lead_id = '{bad_lead}'"
        ))
        .await,
        1,
        "the event is on the lead's page"
    );
    assert_eq!(parked_total("reminders"), parked_before + 1);
    let listed = parking::list(&env.pool, None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].lp, listed[0].id), ("reminders", bad));
    assert_eq!(listed[0].lead_id, Some(bad_lead));

    // Fixed, then put back: it fires on the next pass.
    sqlx::query("UPDATE leads SET state = '{}'::jsonb WHERE id = $1")
        .bind(bad_lead)
        .execute(&env.pool)
        .await
        .unwrap();
    assert_eq!(
        parking::retry(&env.pool, Loop::Reminders, Some(bad), "test")
            .await
            .unwrap(),
        1
    );
    assert_eq!(workers::reminders::fire_due(&fleet).await.unwrap().fired, 1);
    assert!(parking::list(&env.pool, None, 10).await.unwrap().is_empty());
    shutdown.trigger();
}

#[tokio::test]
async fn a_database_outage_counts_nothing_against_the_rows() {
    let env = TestEnv::new().await;
    let shutdown = Shutdown::new();
    let fleet = workers::Fleet::connect(env.worker_config(), &shutdown)
        .await
        .unwrap();
    let lead = seed_lead(&env, "447700900803", Status::Qualifying).await;
    let tick = due_tick(&env, lead).await;
    let cfg = ParkingConfig {
        park_after: 1,
        ..ParkingConfig::default()
    };

    // The error a row meets when the pool cannot reach the server: the pass ends, nothing counted
    // (with park_after = 1 a row failure would park it at once).
    for outage in [
        sqlx::Error::PoolTimedOut,
        sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
    ] {
        let verdict =
            workers::rows::on_row_error(&env.pool, Loop::Reminders, tick, outage.into(), &cfg)
                .await;
        assert!(verdict.is_err(), "an outage ends the pass");
    }
    // The loop's own database going away mid-life: the pass fails as a whole.
    fleet.pool.close().await;
    let err = workers::reminders::fire_due(&fleet).await.unwrap_err();
    assert!(
        infra::store::db::caused_by_unavailable(err.as_ref()),
        "{err:#}"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM reminders WHERE id = '{tick}' AND attempts = 0 AND last_error IS NULL AND parked_at IS NULL AND fired_at IS NULL"
        ))
        .await,
        1,
        "the reminder is untouched and still due"
    );
    // The same row's own failure, by contrast, is counted.
    let own = anyhow::anyhow!("lead {lead} has an unreadable state");
    assert_eq!(
        workers::rows::on_row_error(&env.pool, Loop::Reminders, tick, own, &cfg)
            .await
            .unwrap(),
        Failure::Parked { attempts: 1 }
    );
    shutdown.trigger();
}

/// A pending Stripe link for `lead` that ran out an hour ago.
async fn expired_link(env: &TestEnv, lead: Uuid, session: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO deposits (id, lead_id, attempt, amount_minor, currency, method, status, checkout_session_id, url, expires_at)
         VALUES ($1, $2, 1, 5000, 'GBP', 'stripe', 'pending', $3, 'https://checkout.test/x', now() - interval '1 hour')",
    )
    .bind(id)
    .bind(lead)
    .bind(session)
    .execute(&env.pool)
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn the_expiry_sweep_parks_a_deposit_it_cannot_expire_and_expires_the_others() {
    let env = TestEnv::new().await;
    let good_lead = seed_lead(&env, "447700900804", Status::AwaitingDeposit).await;
    let bad_lead = seed_lead(&env, "447700900805", Status::AwaitingDeposit).await;
    let good = expired_link(&env, good_lead, "cs_test_good").await;
    let bad = expired_link(&env, bad_lead, "cs_test_bad").await;
    corrupt(&env, bad_lead).await;
    let cfg = ParkingConfig {
        park_after: 2,
        retry_base: Duration::from_secs(600),
        retry_max: Duration::from_secs(600),
    };
    let parked_before = parked_total("expiry_sweep");
    let now = Utc::now();

    let sweep = |at| workers::payments::sweep_expired(&env.pool, at, &cfg);
    assert_eq!(sweep(now).await.unwrap(), 1, "the good link expires");
    assert_eq!(
        env.count(&format!("SELECT count(*) FROM deposits WHERE id = '{good}' AND status = 'expired' AND expiry_attempts = 0")).await,
        1
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM deposits WHERE id = '{bad}' AND status = 'pending' AND expiry_attempts = 1 AND expiry_last_error LIKE '%unreadable state%'"
        ))
        .await,
        1
    );
    assert_eq!(sweep(now).await.unwrap(), 0);
    assert_eq!(
        env.count(&format!(
            "SELECT expiry_attempts::bigint FROM deposits WHERE id = '{bad}'"
        ))
        .await,
        1,
        "not retried within its back-off"
    );
    // Eleven minutes later (the sweep's clock): tried again, fails again, parked.
    let later = now + chrono::Duration::minutes(11);
    assert_eq!(sweep(later).await.unwrap(), 0);
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM deposits WHERE id = '{bad}' AND expiry_parked_at IS NOT NULL AND expiry_attempts = 2"
        ))
        .await,
        1
    );
    let events = parked_events(&env, "expiry_sweep").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["row_id"], serde_json::json!(bad));
    assert_eq!(events[0]["what"], serde_json::json!("deposit attempt 1"));
    assert_eq!(parked_total("expiry_sweep"), parked_before + 1);
    assert_eq!(
        sweep(later + chrono::Duration::hours(1)).await.unwrap(),
        0,
        "parked: left alone"
    );
    assert_eq!(
        env.count(&format!(
            "SELECT expiry_attempts::bigint FROM deposits WHERE id = '{bad}'"
        ))
        .await,
        2
    );

    // Fixed and put back (as `inkline parked retry expiry_sweep ID` does): it expires.
    sqlx::query("UPDATE leads SET state = '{}'::jsonb WHERE id = $1")
        .bind(bad_lead)
        .execute(&env.pool)
        .await
        .unwrap();
    assert_eq!(
        parking::retry(&env.pool, Loop::ExpirySweep, None, "test")
            .await
            .unwrap(),
        1
    );
    assert_eq!(sweep(later).await.unwrap(), 1);
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM deposits WHERE id = '{bad}' AND status = 'expired'"
        ))
        .await,
        1
    );
}

async fn outbox_row(env: &TestEnv, topic: &str, payload: serde_json::Value) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO outbox (id, topic, payload) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(topic)
        .bind(payload)
        .execute(&env.pool)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn the_relay_parks_a_row_no_queue_routes_and_keeps_publishing_the_others() {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("ROW_MAX_ATTEMPTS".into(), "3".into());
    env.extra_env
        .insert("ROW_RETRY_BASE_MS".into(), "100".into());
    let lead = seed_lead(&env, "447700900806", Status::Qualifying).await;
    // Written before the relay starts, so the bad row is the oldest: it is met on every pass.
    let bad = outbox_row(
        &env,
        "jobs.nowhere",
        serde_json::json!({"kind": "x", "lead_id": lead}),
    )
    .await;
    let first = outbox_row(&env, "jobs.payments", serde_json::json!({"kind": "a"})).await;
    let parked_before = parked_total("outbox");
    let _relay = env.start_workers(&[Role::Relay]).await;

    eventually("the bad row is parked", Duration::from_secs(20), || async {
        (env.count(&format!(
            "SELECT count(*) FROM outbox WHERE id = '{bad}' AND parked_at IS NOT NULL"
        ))
        .await
            == 1)
            .then_some(())
    })
    .await;
    // Rows written while it failed and after it was parked go out all the same.
    let after = outbox_row(&env, "jobs.payments", serde_json::json!({"kind": "b"})).await;
    eventually("the good rows are published", Duration::from_secs(10), || async {
        (env.count(&format!(
            "SELECT count(*) FROM outbox WHERE id IN ('{first}', '{after}') AND published_at IS NOT NULL"
        ))
        .await
            == 2)
            .then_some(())
    })
    .await;
    assert_eq!(env.queue_depth("jobs.payments").await, 2);

    let (attempts, error, published): (i32, String, bool) = sqlx::query_as(
        "SELECT attempts, last_error, published_at IS NOT NULL FROM outbox WHERE id = $1",
    )
    .bind(bad)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(
        attempts, 3,
        "parked after ROW_MAX_ATTEMPTS, not before, not after"
    );
    assert!(error.contains("jobs.nowhere"), "{error}");
    assert!(!published);
    let events = parked_events(&env, "outbox").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["what"], serde_json::json!("jobs.nowhere"));
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM system_events WHERE kind = 'row_parked' AND lead_id = '{lead}'"
        ))
        .await,
        1,
        "an outbox row naming a lead puts the event on that lead"
    );
    assert_eq!(parked_total("outbox"), parked_before + 1);
    assert_eq!(
        env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL")
            .await,
        0,
        "nothing else is waiting"
    );
}

#[tokio::test]
async fn a_full_queue_holds_its_rows_back_without_counting_and_other_queues_keep_flowing() {
    let mut env = TestEnv::new().await;
    env.extra_env.insert("QUEUE_MAX_LENGTH".into(), "1".into());
    env.extra_env.insert("ROW_MAX_ATTEMPTS".into(), "1".into());
    let shutdown = Shutdown::new();
    let fleet = workers::Fleet::connect(env.worker_config(), &shutdown)
        .await
        .unwrap();
    assert!(fleet.bus.wait_connected(Duration::from_secs(10)).await);
    // jobs.payments is full (no payments role is running): the broker refuses what comes next.
    let full = infra::bus::Outgoing::json("m0", b"{}".to_vec(), "c");
    let mut taken = 0;
    while fleet.bus.publish("jobs.payments", &full).await.is_ok() {
        taken += 1;
        assert!(taken < 10, "the queue never filled");
    }
    let held: Vec<Uuid> = vec![
        outbox_row(&env, "jobs.payments", serde_json::json!({"n": 1})).await,
        outbox_row(&env, "jobs.payments", serde_json::json!({"n": 2})).await,
    ];
    let send = outbox_row(&env, "outbound.whatsapp", serde_json::json!({"kind": "x"})).await;

    assert_eq!(
        workers::relay::relay_once(&fleet).await.unwrap(),
        workers::relay::Pass::Worked {
            published: 1,
            failed: 0,
            parked: 0,
            held: 2
        },
        "the full queue refuses its rows; the other queue takes its row"
    );
    assert_eq!(env.queue_depth("outbound.whatsapp").await, 1);
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM outbox WHERE id = '{send}' AND published_at IS NOT NULL"
        ))
        .await,
        1
    );
    // Held rows are not failures: even with ROW_MAX_ATTEMPTS=1 nothing is counted or parked.
    for id in &held {
        assert_eq!(
            env.count(&format!(
                "SELECT count(*) FROM outbox WHERE id = '{id}' AND published_at IS NULL AND attempts = 0
                 AND parked_at IS NULL AND next_attempt_at > now() AND last_error LIKE 'queue full%'"
            ))
            .await,
            1
        );
    }
    assert_eq!(
        workers::relay::relay_once(&fleet).await.unwrap(),
        workers::relay::Pass::Empty,
        "held rows wait a moment before the next try"
    );
    assert_eq!(parked_total("outbox"), 0);
    shutdown.trigger();
}

#[tokio::test]
async fn inkline_parked_lists_and_retries_from_the_command_line() {
    let env = TestEnv::new().await;
    let lead = seed_lead(&env, "447700900807", Status::Qualifying).await;
    let tick = due_tick(&env, lead).await;
    corrupt(&env, lead).await;
    let cfg = ParkingConfig {
        park_after: 1,
        ..ParkingConfig::default()
    };
    let own = anyhow::anyhow!("lead {lead} has an unreadable state");
    assert_eq!(
        workers::rows::on_row_error(&env.pool, Loop::Reminders, tick, own, &cfg)
            .await
            .unwrap(),
        Failure::Parked { attempts: 1 }
    );
    let inkline = |args: &[&str]| env.inkline(args);
    let out = inkline(&["parked", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next().unwrap_or_default();
    assert!(
        line.starts_with(&format!("reminders\t{tick}\ttick\t{lead}\t1 attempts\t")),
        "{text}"
    );
    assert!(line.contains("unreadable state"), "{line}");
    let out = inkline(&["parked", "list", "--loop", "outbox", "--json"]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "nothing parked in the outbox");

    let out = inkline(&["parked", "retry", "reminders"]);
    assert!(!out.status.success(), "one row or --all, not a guess");
    let out = inkline(&["parked", "retry", "reminders", &tick.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("1 reminders row(s) back in line"));
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM reminders WHERE id = '{tick}' AND parked_at IS NULL AND attempts = 0"
        ))
        .await,
        1
    );
    let out = inkline(&["parked", "list"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing is parked"));
}
