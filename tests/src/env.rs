//! `TestEnv`: an isolated database + vhost + fake Graph API, removed again on drop.

use fakes::FakeGraph;
use infra::config::{EnvReader, IngressConfig, WorkerConfig};
use inkline_core::domain::ArtistConfig;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::collections::HashMap;
use uuid::Uuid;

/// Postgres server admin URL (`INKLINE_TEST_PG`, default the local trust-auth server).
pub fn pg_admin_url() -> String {
    std::env::var("INKLINE_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// RabbitMQ base URL without vhost (`INKLINE_TEST_AMQP`).
pub fn amqp_base() -> String {
    std::env::var("INKLINE_TEST_AMQP")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672".into())
}

pub const APP_SECRET: &str = "test_app_secret";
pub const VERIFY_TOKEN: &str = "verify-me";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_test_secret";
pub const ACCESS_TOKEN: &str = "EAAG-test-token";

/// One isolated world for one test.
pub struct TestEnv {
    pub name: String,
    pub database_url: String,
    pub amqp_url: String,
    pub pool: PgPool,
    pub graph: FakeGraph,
    pub artist: ArtistConfig,
    pub artist_id: Uuid,
    /// Extra environment for every config built from this env.
    pub extra_env: HashMap<String, String>,
}

fn rabbitmqctl(args: &[&str]) {
    let out = std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (tests need a local RabbitMQ)");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestEnv {
    /// Creates the database (migrated), the vhost, the demo artist and a fake Graph API.
    pub async fn new() -> TestEnv {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .with_test_writer()
            .try_init();
        let name = format!(
            "inkline_t_{}",
            Uuid::new_v4().simple().to_string().get(..12).unwrap_or("x")
        );
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&pg_admin_url())
            .await
            .expect("postgres reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        admin.close().await;
        let database_url = pg_admin_url()
            .rsplit_once('/')
            .map(|(b, _)| format!("{b}/{name}"))
            .unwrap();
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(&database_url)
            .await
            .expect("test database");
        infra::store::db::migrate(&pool)
            .await
            .expect("migrations apply");
        let vhost = name.clone();
        tokio::task::spawn_blocking(move || {
            rabbitmqctl(&["add_vhost", &vhost]);
            rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"]);
        })
        .await
        .unwrap();
        let amqp_url = format!("{}/{name}", amqp_base());
        let graph = FakeGraph::start().await;
        let mut artist = ArtistConfig::demo();
        artist.whatsapp_access_token = Some(ACCESS_TOKEN.into());
        // Meta's real pair rate (one message per 6 s to a client) would make every consultation
        // test take minutes; pacing itself is tested with explicit settings in sender_pacing.rs.
        artist.pacing.pair_spacing_secs = 0.05;
        artist.pacing.pair_burst = 5;
        graph.expect_token(&artist.phone_number_id, ACCESS_TOKEN);
        let (artist_id, _) = infra::store::artists::upsert(&pool, &artist)
            .await
            .expect("artist");
        TestEnv {
            name,
            database_url,
            amqp_url,
            pool,
            graph,
            artist,
            artist_id,
            extra_env: HashMap::new(),
        }
    }

    /// The environment variables a production deployment would set for this world.
    pub fn env_vars(&self) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("DATABASE_URL", self.database_url.clone()),
            ("AMQP_URL", self.amqp_url.clone()),
            ("WHATSAPP_APP_SECRET", APP_SECRET.into()),
            ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN.into()),
            ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET.into()),
            ("WHATSAPP_API_BASE", self.graph.base_url()),
            ("INGRESS_ADDR", "127.0.0.1:0".into()),
            ("INGRESS_METRICS_ADDR", "127.0.0.1:0".into()),
            ("WORKER_METRICS_ADDR", "127.0.0.1:0".into()),
            ("RETRY_BASE_DELAY_MS", "100".into()),
            ("MAX_ATTEMPTS", "4".into()),
            // Count-based retries keep failure tests short; the time budget has its own tests.
            ("RETRY_BUDGET_SECS", "0".into()),
            ("OUTBOX_POLL_MS", "200".into()),
            ("REMINDERS_POLL_MS", "200".into()),
            ("HTTP_TIMEOUT_MS", "2000".into()),
            ("PUBLISH_TIMEOUT_MS", "2000".into()),
            ("DATABASE_MAX_CONNECTIONS", "8".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        m.extend(self.extra_env.clone());
        m
    }

    pub fn worker_config(&self) -> WorkerConfig {
        WorkerConfig::read(EnvReader::from_map(self.env_vars())).expect("worker config")
    }

    pub fn ingress_config(&self) -> IngressConfig {
        IngressConfig::read(EnvReader::from_map(self.env_vars())).expect("ingress config")
    }

    /// Depth of a queue in this env's vhost.
    pub async fn queue_depth(&self, queue: &str) -> u32 {
        let conn =
            lapin::Connection::connect(&self.amqp_url, lapin::ConnectionProperties::default())
                .await
                .expect("amqp");
        let ch = conn.create_channel().await.expect("channel");
        let depth = infra::bus::topology::depth(&ch, queue)
            .await
            .map(|(d, _)| d)
            .unwrap_or(0);
        let _ = conn.close(200, "done".into()).await;
        depth
    }

    /// Messages delivered but not yet acknowledged, over every queue of this env's vhost.
    pub async fn unacked_total(&self) -> u64 {
        self.queue_stats().await.iter().map(|q| q.unacked).sum()
    }

    /// Depth of every dead-letter queue that holds something.
    pub async fn nonempty_dlqs(&self) -> Vec<(String, u64)> {
        self.queue_stats()
            .await
            .into_iter()
            .filter(|q| q.name.ends_with(".dlq") && q.ready > 0)
            .map(|q| (q.name, q.ready))
            .collect()
    }

    /// Every queue of this env's vhost (one `rabbitmqctl list_queues`).
    pub async fn queue_stats(&self) -> Vec<QueueStats> {
        let vhost = self.name.clone();
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("rabbitmqctl")
                .args([
                    "list_queues",
                    "-q",
                    "--no-table-headers",
                    "-p",
                    &vhost,
                    "name",
                    "messages_ready",
                    "messages_unacknowledged",
                    "consumers",
                ])
                .output()
                .expect("rabbitmqctl runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    Some(QueueStats {
                        name: f.next()?.to_owned(),
                        ready: f.next()?.parse().ok()?,
                        unacked: f.next()?.parse().ok()?,
                        consumers: f.next()?.parse().ok()?,
                    })
                })
                .collect()
        })
        .await
        .expect("list_queues")
    }

    /// Waits until nothing is moving: every outbox row published (or parked), no outbound message still
    /// queued (parked ones aside), every consumed work queue and every retry queue empty, nothing
    /// unacknowledged. The way to make a negative assertion ("nothing more was sent") honest.
    pub async fn wait_quiescent(&self, timeout: std::time::Duration) {
        crate::eventually("the fleet is quiescent", timeout, || async {
            let unpublished = self
                .count("SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL")
                .await;
            let queued = self
                .count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'queued' AND parked_at IS NULL")
                .await;
            if unpublished + queued > 0 {
                return None;
            }
            // A work queue no running role consumes is not "moving"; a retry queue always is.
            let moving = self.queue_stats().await.into_iter().any(|q| {
                q.unacked > 0
                    || (q.ready > 0 && (q.name.ends_with(".retry") || q.consumers > 0))
            });
            (!moving).then_some(())
        })
        .await
    }

    /// A lead of the test artist for `wa_id` in `state`, as the conversation worker would have
    /// saved it (the columns the workers read are filled from the state).
    pub async fn insert_lead(
        &self,
        wa_id: &str,
        state: &inkline_core::conversation::LeadState,
    ) -> uuid::Uuid {
        let id = uuid::Uuid::now_v7();
        sqlx::query(
            "INSERT INTO leads (id, artist_id, wa_id, name, status, state, last_inbound_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(self.artist_id)
        .bind(wa_id)
        .bind(state.name.as_deref())
        .bind(state.status.as_str())
        .bind(serde_json::to_value(state).expect("a lead state is JSON"))
        .bind(state.last_inbound_at)
        .execute(&self.pool)
        .await
        .expect("insert a lead");
        id
    }

    /// A scalar from the test database.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin_url = pg_admin_url();
        // Drop runs outside async context; use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let _ = std::process::Command::new("rabbitmqctl")
                .args(["delete_vhost", &name])
                .output();
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Ok(admin) = PgPoolOptions::new()
                        .max_connections(1)
                        .connect(&admin_url)
                        .await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&admin)
                                .await;
                    }
                });
            }
        })
        .join();
    }
}

/// One queue as `rabbitmqctl list_queues` reports it.
#[derive(Debug, Clone)]
pub struct QueueStats {
    pub name: String,
    pub ready: u64,
    pub unacked: u64,
    pub consumers: u64,
}
