//! `inkline loadgen` against a real fleet: every acknowledged message gets exactly its replies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devtools::loadgen::{self, Config, Pacing, Target};
use harness::TestEnv;
use std::time::Duration;
use workers::Role;

const ALL: [Role; 3] = [Role::Conversation, Role::Relay, Role::Sender];

/// A small bounded run against `ingress_url`.
pub fn small(
    env: &TestEnv,
    ingress_url: &str,
    clients: usize,
    messages: usize,
    pacing: Pacing,
) -> Config {
    Config {
        target: Target::External {
            ingress_url: ingress_url.to_owned(),
        },
        app_secret: harness::env::APP_SECRET.into(),
        phone_number_id: env.artist.phone_number_id.clone(),
        clients,
        messages_per_client: messages,
        pacing,
        duration: Duration::from_secs(60),
        reply_timeout: Duration::from_secs(20),
        drain: Duration::from_secs(20),
        expect_replies: true,
        graph_addr: None,
        max_attempts: 3,
        progress: false,
        run_tag: 4242,
        storms: Vec::new(),
        artists: 1,
    }
}

#[tokio::test]
async fn twenty_clients_three_messages_closed_loop_no_missing_no_duplicates() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let cfg = small(&env, &ingress.url(""), 20, 3, Pacing::Concurrency(10));
    let s = loadgen::run_against(&cfg, &ingress.url(""), &env.graph)
        .await
        .unwrap();
    assert_eq!(
        (s.sent, s.acknowledged, s.unacknowledged),
        (60, 60, 0),
        "{}",
        s.render_text()
    );
    assert!(s.replies_expected >= 60, "{}", s.render_text());
    assert_eq!(
        s.replies_received,
        s.replies_expected,
        "{}",
        s.render_text()
    );
    assert_eq!(
        (s.missing, s.duplicates, s.unexpected),
        (0, 0, 0),
        "{}",
        s.render_text()
    );
    assert_eq!(s.clients_finished, 20);
    assert!(s.latency.count as u64 == s.replies_received && s.latency.p50_ms > 0.0);
    // The database agrees with what the fake Graph API saw.
    assert_eq!(env.count("SELECT count(*) FROM leads").await, 20);
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
            .await,
        60
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'")
            .await as u64,
        s.replies_received
    );
    assert_eq!(env.graph.sent().len() as u64, s.replies_received);
}

#[tokio::test]
async fn open_loop_at_a_fixed_rate_reports_latency_and_stays_clean() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let cfg = small(&env, &ingress.url(""), 10, 4, Pacing::Rate(40.0));
    let s = loadgen::run_against(&cfg, &ingress.url(""), &env.graph)
        .await
        .unwrap();
    assert_eq!(s.acknowledged, 40, "{}", s.render_text());
    assert!(s.clean(), "{}", s.render_text());
    assert_eq!(s.clients_finished, 10, "{}", s.render_text());
    assert!(s.latency.p99_ms >= s.latency.p50_ms);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["missing"], 0);
    assert!(json["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn the_whole_consultation_reaches_pending_approval_and_notifies_the_artist() {
    let env = TestEnv::new().await;
    // Without the 6 s pair spacing (Meta's per-recipient rate), 14 turns take seconds, not a minute.
    let mut artist = env.artist.clone();
    artist.pacing.pair_spacing_secs = 0.0;
    infra::store::artists::upsert(&env.pool, &artist)
        .await
        .unwrap();
    let ingress = env.start_ingress().await;
    let _workers = env.start_workers(&ALL).await;
    let cfg = small(
        &env,
        &ingress.url(""),
        3,
        devtools::loadgen::script::MAX_MESSAGES,
        Pacing::Concurrency(3),
    );
    let s = loadgen::run_against(&cfg, &ingress.url(""), &env.graph)
        .await
        .unwrap();
    assert!(s.clean(), "{}", s.render_text());
    assert_eq!(
        s.text_mismatches,
        0,
        "the engine's prediction matched every reply: {}",
        s.render_text()
    );
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status = 'PENDING_APPROVAL'")
            .await,
        3
    );
    assert_eq!(s.artist_replies_received, s.artist_replies_expected);
    assert!(s.artist_replies_received >= 3);
}

#[tokio::test]
async fn ack_only_mode_needs_no_workers() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let mut cfg = small(&env, &ingress.url(""), 5, 2, Pacing::Concurrency(5));
    cfg.expect_replies = false;
    let s = loadgen::run_against(&cfg, &ingress.url(""), &env.graph)
        .await
        .unwrap();
    assert_eq!(
        (s.acknowledged, s.replies_expected, s.missing),
        (10, 0, 0),
        "{}",
        s.render_text()
    );
    assert_eq!(
        env.queue_depth(infra::bus::topology::INBOUND_WHATSAPP)
            .await,
        10
    );
}

#[tokio::test]
async fn a_wrong_app_secret_is_reported_as_unacknowledged_403s() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let mut cfg = small(&env, &ingress.url(""), 2, 1, Pacing::Concurrency(2));
    cfg.app_secret = "not-the-secret".into();
    let s = loadgen::run_against(&cfg, &ingress.url(""), &env.graph)
        .await
        .unwrap();
    assert_eq!((s.acknowledged, s.unacknowledged), (0, 2));
    assert_eq!(
        s.errors.get("http_403"),
        Some(&2),
        "403 is not retried: {:?}",
        s.errors
    );
    assert!(!s.clean());
}

#[tokio::test]
async fn spawn_fleet_runs_the_real_binaries_and_reports_their_memory() {
    let bin_dir = TestEnv::binary("inkline-worker")
        .parent()
        .unwrap()
        .to_path_buf();
    let cfg = Config {
        target: Target::Spawn(loadgen::FleetOptions {
            bin_dir,
            pg_admin_url: harness::env::pg_admin_url(),
            amqp_base: harness::env::amqp_base(),
            worker_processes: vec![vec!["conversation".into(), "relay".into(), "sender".into()]],
            keep: false,
            seed: None,
        }),
        app_secret: "spawned-secret".into(),
        phone_number_id: "100000000000001".into(),
        clients: 5,
        messages_per_client: 2,
        pacing: Pacing::Concurrency(5),
        duration: Duration::from_secs(60),
        reply_timeout: Duration::from_secs(20),
        drain: Duration::from_secs(10),
        expect_replies: true,
        graph_addr: None,
        max_attempts: 3,
        progress: false,
        run_tag: 4343,
        storms: Vec::new(),
        artists: 1,
    };
    let s = loadgen::run(&cfg).await.unwrap();
    assert!(s.clean(), "{}", s.render_text());
    assert_eq!(s.acknowledged, 10);
    assert_eq!(s.processes.len(), 2, "ingress + one worker process");
    assert!(
        s.processes.iter().all(|p| p.vm_hwm_kb.unwrap_or(0) > 0),
        "{:?}",
        s.processes
    );
}

#[test]
fn non_loopback_targets_are_refused() {
    let cfg = Config {
        target: Target::External {
            ingress_url: "http://192.168.1.10:8080".into(),
        },
        app_secret: "x".into(),
        phone_number_id: "1".into(),
        clients: 1,
        messages_per_client: 1,
        pacing: Pacing::Concurrency(1),
        duration: Duration::from_secs(1),
        reply_timeout: Duration::from_secs(1),
        drain: Duration::from_secs(1),
        expect_replies: true,
        graph_addr: None,
        max_attempts: 1,
        progress: false,
        run_tag: 1,
        storms: Vec::new(),
        artists: 1,
    };
    assert!(cfg.validate().unwrap_err().to_string().contains("loopback"));
}
