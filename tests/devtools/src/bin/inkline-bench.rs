//! `inkline-bench`: the ceilings the benchmarks are compared against, kept out of the production
//! binaries (it lives in the test crate). Used by `deploy/bench/run.sh`; see `docs/benchmarks.md`.
//!
//! - `confirm-ceiling`: raw lapin publish-with-confirms rate to the same quorum queue the ingress
//!   publishes to, with the same message size and headers, on one confirm channel with N
//!   publishes in flight (the ingress's own design), on a fresh vhost (`--queue-max-length`: the
//!   queue's `QUEUE_MAX_LENGTH`, so a long run is not cut short by a full queue's nacks).
//! - `worker-drain`: preloads `inbound.whatsapp` of a fresh database + vhost with scripted client
//!   messages, starts `inkline-worker conversation`, and times how fast it drains them. Keeps the
//!   database (named in the output) for the pgbench comparison; `teardown NAME` removes it.
//! - `teardown NAME`: drops a database + vhost created here.
//!
//! Every run is bounded in count and time and talks to loopback only.

use devtools::loadgen::script::{self, MAX_MESSAGES};
use fakes::payloads;
use infra::bus::message::{H_RECEIVED_AT, Outgoing};
use infra::bus::topology::{self, INBOUND_WHATSAPP};
use inkline_core::domain::ArtistConfig;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::ShortString;
use lapin::{Confirmation, Connection, ConnectionProperties};
use sqlx::postgres::PgPoolOptions;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn flags(args: &[String]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if let Some(k) = a.strip_prefix("--") {
            m.insert(k.to_owned(), it.next().cloned().unwrap_or_default());
        }
    }
    m
}

fn get<T: std::str::FromStr>(f: &HashMap<String, String>, k: &str, default: T) -> T {
    f.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn loopback(url: &str) -> Res<()> {
    let host = reqwest::Url::parse(url)?
        .host_str()
        .map(str::to_owned)
        .unwrap_or_default();
    if devtools::loadgen::config::is_loopback_host(&host) {
        Ok(())
    } else {
        Err(format!("{url}: loopback only").into())
    }
}

fn rabbitmqctl(args: &[&str]) -> Res<()> {
    let out = Command::new("rabbitmqctl").args(args).output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned().into())
    }
}

struct World {
    name: String,
    pg_admin: String,
    amqp_base: String,
}

impl World {
    async fn create(f: &HashMap<String, String>, with_db: bool) -> Res<World> {
        let pg_admin = f
            .get("pg-admin-url")
            .cloned()
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let amqp_base = f
            .get("amqp-base")
            .cloned()
            .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672".into());
        loopback(&pg_admin)?;
        loopback(&amqp_base)?;
        let name = format!(
            "inkline_bench_{}",
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..10)
                .unwrap_or("x")
        );
        rabbitmqctl(&["add_vhost", &name])?;
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"])?;
        let w = World {
            name,
            pg_admin,
            amqp_base,
        };
        if with_db {
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .connect(&w.pg_admin)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {}", w.name))
                .execute(&admin)
                .await?;
            admin.close().await;
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(&w.database_url())
                .await?;
            infra::store::db::migrate(&pool).await?;
            infra::store::artists::upsert(&pool, &ArtistConfig::demo()).await?;
            pool.close().await;
        }
        Ok(w)
    }

    fn database_url(&self) -> String {
        match self.pg_admin.rsplit_once('/') {
            Some((b, _)) => format!("{b}/{}", self.name),
            None => self.pg_admin.clone(),
        }
    }

    fn amqp_url(&self) -> String {
        format!("{}/{}", self.amqp_base.trim_end_matches('/'), self.name)
    }
}

async fn teardown(name: &str, pg_admin: &str) {
    let _ = rabbitmqctl(&["delete_vhost", name]);
    if let Ok(admin) = PgPoolOptions::new()
        .max_connections(1)
        .connect(pg_admin)
        .await
    {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
}

/// A webhook body of the size the load generator posts, wrapped as the ingress wraps it.
fn sample_message(n: u64) -> Outgoing {
    let body = payloads::text(
        "100000000000001",
        "491234567890123",
        "Load Client 1",
        &format!("wamid.CEIL{n}"),
        1_764_064_800,
        "left forearm",
    );
    let cid = infra::telemetry::new_correlation_id();
    Outgoing::json(cid.clone(), body, &cid).header(H_RECEIVED_AT, chrono::Utc::now().to_rfc3339())
}

async fn confirm_ceiling(f: &HashMap<String, String>) -> Res<serde_json::Value> {
    let concurrency: usize = get(f, "concurrency", 64).clamp(1, 4096);
    let seconds: f64 = get(f, "seconds", 10.0f64).clamp(1.0, 300.0);
    // A long run fills the production-sized queue (nobody consumes here): the ingress run it is
    // compared with gets the same QUEUE_MAX_LENGTH.
    let limits = infra::config::QueueLimits {
        work: get(
            f,
            "queue-max-length",
            infra::config::QueueLimits::DEFAULT_WORK,
        )
        .clamp(1, 100_000_000),
        ..infra::config::QueueLimits::default()
    };
    let w = World::create(f, false).await?;
    let result = async {
        let conn = Connection::connect(&w.amqp_url(), ConnectionProperties::default()).await?;
        topology::declare(&conn, &limits).await?;
        let ch = conn.create_channel().await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        let size = sample_message(0).payload.len();
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for t in 0..concurrency {
            let (ch, done, failed) = (ch.clone(), done.clone(), failed.clone());
            tasks.spawn(async move {
                let mut n = t as u64 * 1_000_000_000;
                while Instant::now() < deadline {
                    n += 1;
                    // Built per publish, as the ingress does per request.
                    let msg = sample_message(n);
                    let confirm = async {
                        ch.basic_publish(
                            ShortString::from(""),
                            ShortString::from(INBOUND_WHATSAPP),
                            BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() },
                            &msg.payload,
                            msg.properties(),
                        )
                        .await?
                        .await
                    };
                    match tokio::time::timeout(Duration::from_secs(5), confirm).await {
                        Ok(Ok(Confirmation::Ack(None))) => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let secs = started.elapsed().as_secs_f64();
        let _ = conn.close(200, ShortString::from("done")).await;
        let n = done.load(Ordering::Relaxed);
        Res::Ok(serde_json::json!({
            "bench": "confirm-ceiling", "confirmed": n, "failed": failed.load(Ordering::Relaxed),
            "seconds": secs, "rate_per_s": n as f64 / secs, "message_bytes": size, "concurrency": concurrency,
            "queue_max_length": limits.work,
        }))
    }
    .await;
    teardown(&w.name, &w.pg_admin).await;
    result
}

fn memory(pid: u32) -> (Option<u64>, Option<u64>) {
    let m = devtools::loadgen::report::process_memory("worker", pid);
    (m.vm_rss_kb, m.vm_hwm_kb)
}

async fn worker_drain(f: &HashMap<String, String>) -> Res<serde_json::Value> {
    let clients: usize = get(f, "clients", 1000).clamp(1, 100_000);
    let turns: usize = get(f, "messages", 3).clamp(1, MAX_MESSAGES);
    let bin_dir = f
        .get("bin-dir")
        .cloned()
        .unwrap_or_else(|| "target/release".into());
    let timeout = Duration::from_secs(get(f, "timeout-secs", 300u64).clamp(1, 1800));
    let w = World::create(f, true).await?;
    let result = async {
        let conn = Connection::connect(&w.amqp_url(), ConnectionProperties::default()).await?;
        topology::declare(&conn, &infra::config::QueueLimits::default()).await?;
        let ch = conn.create_channel().await?;
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
        let artist = ArtistConfig::demo();
        let base = script::base_time();
        let plan = script::plan(&artist, "Load Client", turns, base);
        // Turn by turn across all clients, so a client's messages queue in order.
        let mut pending = Vec::new();
        for (k, t) in plan.turns.iter().enumerate() {
            for c in 0..clients {
                let wa = format!("4930{c:011}");
                let body = payloads::text(&artist.phone_number_id, &wa, "Load Client", &format!("wamid.DRAIN.{c}.{k}"), script::turn_time(base, k).timestamp(), t.text);
                let cid = infra::telemetry::new_correlation_id();
                let msg = Outgoing::json(cid.clone(), body, &cid).header(H_RECEIVED_AT, chrono::Utc::now().to_rfc3339());
                let confirm = ch
                    .basic_publish(
                        ShortString::from(""),
                        ShortString::from(INBOUND_WHATSAPP),
                        BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() },
                        &msg.payload,
                        msg.properties(),
                    )
                    .await?;
                pending.push(confirm);
                if pending.len() >= 256 {
                    for p in pending.drain(..) {
                        p.await?;
                    }
                }
            }
        }
        for p in pending.drain(..) {
            p.await?;
        }
        let _ = conn.close(200, ShortString::from("loaded")).await;
        let total = (clients * plan.turns.len()) as i64;
        let mut child = Command::new(format!("{bin_dir}/inkline-worker"))
            .arg("conversation")
            .env("DATABASE_URL", w.database_url())
            .env("AMQP_URL", w.amqp_url())
            .env("WORKER_METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        let pool = PgPoolOptions::new().max_connections(1).connect(&w.database_url()).await?;
        let started = Instant::now();
        let mut peak = (None, None);
        let mut done = 0i64;
        while started.elapsed() < timeout {
            done = sqlx::query_scalar("SELECT count(*) FROM processed_events").fetch_one(&pool).await?;
            let m = memory(child.id());
            peak = (m.0.max(peak.0), m.1.max(peak.1));
            if done >= total {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let _ = tokio::time::timeout(Duration::from_secs(10), tokio::task::spawn_blocking(move || child.wait())).await;
        // The rate between the first and the last commit (excludes process start and connect).
        let (first, last): (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) =
            sqlx::query_as("SELECT min(processed_at), max(processed_at) FROM processed_events").fetch_one(&pool).await?;
        let span = match (first, last) {
            (Some(a), Some(b)) => (b - a).num_microseconds().unwrap_or(0) as f64 / 1e6,
            _ => 0.0,
        };
        let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&pool).await?;
        pool.close().await;
        Res::Ok(serde_json::json!({
            "bench": "worker-drain", "database": w.name, "messages": total, "processed": done,
            "seconds": span, "rate_per_s": if span > 0.0 { (done - 1).max(0) as f64 / span } else { 0.0 },
            "wall_seconds": started.elapsed().as_secs_f64(), "outbox_rows": outbox,
            "worker_vm_rss_kb": peak.0, "worker_vm_hwm_kb": peak.1,
        }))
    }
    .await;
    if !f.contains_key("keep") || result.is_err() {
        teardown(&w.name, &w.pg_admin).await;
    }
    result
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let f = flags(&args);
    let result = match args.first().map(String::as_str) {
        Some("confirm-ceiling") => confirm_ceiling(&f).await,
        Some("worker-drain") => worker_drain(&f).await,
        Some("teardown") => match args.get(1) {
            Some(name) if name.starts_with("inkline_bench_") => {
                let pg = f
                    .get("pg-admin-url")
                    .cloned()
                    .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
                teardown(name, &pg).await;
                Ok(serde_json::json!({"teardown": name}))
            }
            _ => Err("teardown NAME (an inkline_bench_* database)".into()),
        },
        _ => {
            Err("usage: inkline-bench confirm-ceiling|worker-drain|teardown NAME [--flags]".into())
        }
    };
    match result {
        Ok(v) => {
            println!("{v}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("inkline-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
