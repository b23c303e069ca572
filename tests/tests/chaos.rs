//! Chaos, the cheap parts (each well under a minute): while the load generator runs, worker
//! processes are killed with SIGKILL and restarted, the broker drops every connection of this
//! test's vhost, and the fake Graph API answers storms of 429s and 5xxs. Afterwards every inbound
//! message got exactly its replies and no lead is in an illegal state. Restarting RabbitMQ and
//! PostgreSQL themselves is only done by `deploy/chaos/run.sh` (other tests share those servers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devtools::loadgen::{self, Config, Pacing, Summary, Target};
use fakes::Fault;
use harness::TestEnv;
use std::process::Child;
use std::time::Duration;
use workers::Role;

fn load(env: &TestEnv, ingress_url: &str, clients: usize, rate: f64) -> Config {
    Config {
        target: Target::External {
            ingress_url: ingress_url.to_owned(),
        },
        app_secret: harness::env::APP_SECRET.into(),
        phone_number_id: env.artist.phone_number_id.clone(),
        clients,
        messages_per_client: 3,
        pacing: Pacing::Rate(rate),
        duration: Duration::from_secs(40),
        reply_timeout: Duration::from_secs(30),
        drain: Duration::from_secs(30),
        expect_replies: true,
        graph_addr: None,
        max_attempts: 8,
        progress: false,
        run_tag: 777,
        storms: Vec::new(),
        artists: 1,
    }
}

/// The invariants after recovery: exactly the predicted replies, the database agrees, and every
/// lead is where three answers take it.
async fn assert_recovered(env: &TestEnv, s: &Summary, clients: i64) {
    let report = s.render_text();
    assert_eq!(
        s.unacknowledged, 0,
        "every webhook was eventually acknowledged:\n{report}"
    );
    assert_eq!(
        (s.missing, s.duplicates, s.unexpected),
        (0, 0, 0),
        "{report}"
    );
    assert_eq!(s.replies_received, s.replies_expected, "{report}");
    assert_eq!(env.count("SELECT count(*) FROM leads").await, clients);
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status <> 'QUALIFYING'")
            .await,
        0,
        "no lead in an unexpected state"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'illegal_transition'")
            .await,
        0
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
            .await,
        clients * 3
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'")
            .await as u64,
        s.replies_received
    );
    assert_eq!(
        env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .await,
        0
    );
    assert_eq!(
        env.graph.sent().len() as u64,
        s.replies_received,
        "the fake saw nothing else"
    );
}

/// Worker processes of one test: killed when dropped, so a failing assertion leaks none.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// After `after`, SIGKILLs process `i` and starts a new one with the same roles 300 ms later.
async fn kill_and_restart(
    env: &TestEnv,
    procs: &std::sync::Mutex<Procs>,
    i: usize,
    roles: &[&str],
    after: Duration,
) {
    tokio::time::sleep(after).await;
    if let Some(c) = procs.lock().unwrap().0.get_mut(i) {
        c.kill().unwrap();
        let _ = c.wait();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fresh = env.spawn_worker_process(roles, &[]);
    procs.lock().unwrap().0.push(fresh);
}

#[tokio::test]
async fn kill_9_conversation_worker_and_relay_mid_load_loses_and_duplicates_nothing() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _sender = env.start_workers(&[Role::Sender]).await;
    let procs = std::sync::Mutex::new(Procs(vec![
        env.spawn_worker_process(&["conversation"], &[]),
        env.spawn_worker_process(&["relay"], &[]),
    ]));
    let url = ingress.url("");
    let cfg = load(&env, &url, 40, 25.0);
    let chaos = async {
        kill_and_restart(
            &env,
            &procs,
            0,
            &["conversation"],
            Duration::from_millis(1500),
        )
        .await;
        kill_and_restart(&env, &procs, 1, &["relay"], Duration::from_millis(1200)).await;
    };
    let (summary, ()) = tokio::join!(loadgen::run_against(&cfg, &url, &env.graph), chaos);
    assert_recovered(&env, &summary.unwrap(), 40).await;
}

#[tokio::test]
async fn kill_9_sender_mid_load_loses_nothing_and_resends_at_most_what_it_had_in_flight() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _others = env.start_workers(&[Role::Conversation, Role::Relay]).await;
    let procs = std::sync::Mutex::new(Procs(vec![env.spawn_worker_process(&["sender"], &[])]));
    let url = ingress.url("");
    let mut cfg = load(&env, &url, 40, 25.0);
    // A send the killed sender had made but not recorded is re-sent once its 30 s lease expires.
    cfg.reply_timeout = Duration::from_secs(45);
    cfg.drain = Duration::from_secs(45);
    let chaos = kill_and_restart(&env, &procs, 0, &["sender"], Duration::from_millis(2000));
    let (summary, ()) = tokio::join!(loadgen::run_against(&cfg, &url, &env.graph), chaos);
    let s = summary.unwrap();
    let report = s.render_text();
    assert_eq!(
        (s.unacknowledged, s.missing, s.unexpected),
        (0, 0, 0),
        "{report}"
    );
    assert_eq!(s.replies_received, s.replies_expected, "{report}");
    // The Graph API has no idempotency key: what the killed sender had sent but not yet recorded is
    // sent again. Bounded by the sends it had in flight (AMQP_PREFETCH).
    assert!(s.duplicates <= 32, "{report}");
    eprintln!(
        "sender kill -9: {} duplicate(s) re-sent after the lease expired",
        s.duplicates
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'illegal_transition'")
            .await,
        0
    );
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status <> 'QUALIFYING'")
            .await,
        0
    );
}

#[tokio::test]
async fn closing_every_broker_connection_of_the_vhost_mid_load_loses_nothing() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let url = ingress.url("");
    let cfg = load(&env, &url, 40, 25.0);
    let vhost = env.name.clone();
    let chaos = async {
        for at in [1500u64, 2500] {
            tokio::time::sleep(Duration::from_millis(at - 1000)).await;
            let v = vhost.clone();
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new("rabbitmqctl")
                    .args(["close_all_connections", "-p", &v, "chaos test"])
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
        }
    };
    let (summary, ()) = tokio::join!(loadgen::run_against(&cfg, &url, &env.graph), chaos);
    let s = summary.unwrap();
    assert_recovered(&env, &s, 40).await;
}

#[tokio::test]
async fn graph_429_and_5xx_storms_mid_load_are_ridden_out() {
    let mut env = TestEnv::new().await;
    // Enough attempts to outlast the storm (each retry doubles from RETRY_BASE_DELAY_MS=100).
    env.extra_env.insert("MAX_ATTEMPTS".into(), "10".into());
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let url = ingress.url("");
    let cfg = load(&env, &url, 30, 25.0);
    let chaos = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        env.graph
            .inject(Fault::for_code(130429).retry_after(1).times(20));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        env.graph.inject(Fault::new(503, 131000).times(20));
    };
    let (summary, ()) = tokio::join!(loadgen::run_against(&cfg, &url, &env.graph), chaos);
    let s = summary.unwrap();
    assert_recovered(&env, &s, 30).await;
    assert!(
        env.graph.requests_count() as u64 >= s.replies_received + 40,
        "the storms were really hit"
    );
}
