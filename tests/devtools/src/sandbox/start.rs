//! Bringing the whole sandbox up in one process: a fresh database, the broker's queues, the fake
//! Graph and Stripe APIs, the ingress, every worker role and the console with the sandbox pages,
//! all configured through the same settings a deployment uses.

use super::{Sandbox, SandboxState};
use anyhow::Context;
use console::server::{self, AppState};
use fakes::{FakeGraph, FakeStripe};
use infra::bus::Bus;
use infra::bus::topology::{self, QUEUES};
use infra::config::{ConsoleConfig, EnvReader, IngressConfig, WorkerConfig};
use infra::shutdown::Shutdown;
use inkline_core::domain::ArtistConfig;
use inkline_core::domain::artist::DEMO_ARTIST_TOML;
use sqlx::postgres::PgPoolOptions;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The sandbox's WhatsApp access token (checked by the fake Graph API like Meta checks a token).
pub const ACCESS_TOKEN: &str = "EAAG-sandbox-token";

/// What to run the sandbox against.
pub struct Options {
    /// The sandbox database's URL; with `recreate_database` its database is dropped and created.
    pub database_url: String,
    pub recreate_database: bool,
    /// The broker (vhost included).
    pub amqp_url: String,
    /// Empty the sandbox's queues first (leftovers of an earlier run point at a dropped database).
    pub purge_queues: bool,
    pub console: TcpListener,
    pub ingress: TcpListener,
    /// The admin key; made up (and shown on the sandbox page) when None.
    pub admin_api_key: Option<String>,
}

/// A running sandbox; stopped with [`Running::stop`] or when its shutdown triggers.
pub struct Running {
    pub console_url: String,
    pub ingress_url: String,
    pub admin_api_key: String,
    pub sandbox: Arc<Sandbox>,
    pub pool: sqlx::PgPool,
    pub shutdown: Shutdown,
    tasks: JoinSet<()>,
}

impl Running {
    /// Stops every part and waits (briefly) for in-flight work.
    pub async fn stop(mut self) {
        self.shutdown.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(15), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
    }

    /// Resolves when any part stops on its own (or shutdown was triggered).
    pub async fn wait(&mut self) {
        let _ = self.tasks.join_next().await;
    }
}

/// The demo artist, made realistic for the sandbox: a tour stop a month ahead, snappy pacing.
pub fn demo_artist(today: chrono::NaiveDate) -> anyhow::Result<ArtistConfig> {
    let mut artist = ArtistConfig::from_toml(DEMO_ARTIST_TOML).context("the demo artist TOML")?;
    let from = today + chrono::Days::new(30);
    let to = from + chrono::Days::new(4);
    for stop in &mut artist.tour {
        stop.from = from;
        stop.to = to;
    }
    artist.tour.push(inkline_core::domain::artist::TourStop {
        city: "Amsterdam".into(),
        country: "NL".into(),
        from: to + chrono::Days::new(14),
        to: to + chrono::Days::new(17),
    });
    if artist.artist_wa_id.is_none() {
        artist.artist_wa_id = Some("447700900001".into());
    }
    // A person clicking through should not wait out Meta's per-recipient spacing.
    artist.pacing.pair_spacing_secs = 0.5;
    artist.pacing.pair_burst = 10;
    artist.whatsapp_access_token = None;
    artist.validate().context("the sandbox artist")?;
    Ok(artist)
}

/// `postgres://…/name` → (`postgres://…/postgres`, `name`), refusing names that need quoting.
fn split_database(url: &str) -> anyhow::Result<(String, String)> {
    let (base, rest) = url
        .rsplit_once('/')
        .context("DATABASE_URL has no database name")?;
    let (name, query) = match rest.split_once('?') {
        Some((n, q)) => (n, format!("?{q}")),
        None => (rest, String::new()),
    };
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    anyhow::ensure!(
        ok,
        "the sandbox database name {name:?} must be lower-case letters, digits and '_'"
    );
    Ok((format!("{base}/postgres{query}"), name.to_owned()))
}

async fn recreate_database(url: &str) -> anyhow::Result<()> {
    let (admin_url, name) = split_database(url)?;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&admin_url)
        .await
        .context("cannot connect to PostgreSQL (is it running? see DATABASE_URL)")?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .context("drop the sandbox database")?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .context("create the sandbox database")?;
    admin.close().await;
    Ok(())
}

async fn purge(bus: &Bus) -> anyhow::Result<()> {
    let ch = bus.channel().await?;
    for q in QUEUES {
        for name in [q.to_owned(), topology::retry_queue(q), topology::dlq(q)] {
            ch.queue_purge(
                name.as_str().into(),
                lapin::options::QueuePurgeOptions::default(),
            )
            .await?;
        }
    }
    let _ = ch.close(200, "purged".into()).await;
    Ok(())
}

/// Starts everything; returns once the console and ingress are listening and the broker is up.
pub async fn start(opts: Options) -> anyhow::Result<Running> {
    let shutdown = Shutdown::new();
    let console_url = format!("http://{}", opts.console.local_addr()?);
    let ingress_url = format!("http://{}", opts.ingress.local_addr()?);
    if opts.recreate_database {
        recreate_database(&opts.database_url).await?;
    }
    let made_up_key = opts.admin_api_key.is_none();
    let admin_api_key = opts
        .admin_api_key
        .unwrap_or_else(|| format!("sandbox-{}", &console::auth::random_token()[..16]));
    let app_secret = console::auth::random_token();
    let stripe_webhook_secret = format!("whsec_{}", console::auth::random_token());
    let stripe_secret_key = format!("sk_test_{}", &console::auth::random_token()[..24]);

    let graph = FakeGraph::try_start()
        .await
        .context("start the fake Graph API")?;
    graph.expect_token(
        &demo_artist(chrono::Utc::now().date_naive())?.phone_number_id,
        ACCESS_TOKEN,
    );
    let stripe = FakeStripe::try_start(
        Some(format!("{ingress_url}/webhooks/stripe")),
        stripe_webhook_secret.clone(),
        stripe_secret_key.clone(),
    )
    .await
    .context("start the fake Stripe API")?;
    stripe.set_checkout_page_base(&format!("{console_url}/sandbox/checkout"));

    let media_dir = std::env::temp_dir().join("inkline-sandbox-media");
    let env: HashMap<String, String> = [
        ("DATABASE_URL", opts.database_url.clone()),
        ("AMQP_URL", opts.amqp_url.clone()),
        ("WHATSAPP_APP_SECRET", app_secret.clone()),
        ("WHATSAPP_VERIFY_TOKEN", "sandbox-verify".into()),
        ("WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN.into()),
        ("WHATSAPP_API_BASE", graph.base_url()),
        ("STRIPE_SECRET_KEY", stripe_secret_key),
        ("STRIPE_WEBHOOK_SECRET", stripe_webhook_secret),
        ("STRIPE_API_BASE", stripe.base_url()),
        ("PUBLIC_BASE_URL", console_url.clone()),
        ("ADMIN_API_KEY", admin_api_key.clone()),
        ("INGRESS_ADDR", opts.ingress.local_addr()?.to_string()),
        ("INGRESS_METRICS_ADDR", "127.0.0.1:0".into()),
        ("CONSOLE_ADDR", opts.console.local_addr()?.to_string()),
        ("WORKER_METRICS_ADDR", "127.0.0.1:0".into()),
        ("OUTBOX_POLL_MS", "200".into()),
        ("MEDIA_DIR", media_dir.to_string_lossy().into_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let ingress_cfg = IngressConfig::read(EnvReader::from_map(env.clone()))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let worker_cfg =
        WorkerConfig::read(EnvReader::from_map(env.clone())).map_err(|e| anyhow::anyhow!("{e}"))?;
    let console_cfg =
        ConsoleConfig::read(EnvReader::from_map(env)).map_err(|e| anyhow::anyhow!("{e}"))?;

    let pool = infra::store::db::connect(&console_cfg.db)
        .await
        .context("cannot connect to the sandbox database")?;
    infra::store::db::migrate(&pool)
        .await
        .context("migrate the sandbox database")?;
    let artist = demo_artist(chrono::Utc::now().date_naive())?;
    infra::store::artists::upsert(&pool, &artist)
        .await
        .context("seed the demo artist")?;

    let console_bus = Bus::start(console_cfg.bus.clone(), "sandbox-console", shutdown.child());
    anyhow::ensure!(
        console_bus.wait_connected(Duration::from_secs(15)).await,
        "cannot connect to RabbitMQ at AMQP_URL (is it running?)"
    );
    if opts.purge_queues {
        purge(&console_bus)
            .await
            .context("empty the sandbox's queues")?;
    }

    let mut tasks = JoinSet::new();
    let ingress_bus = Bus::start(ingress_cfg.bus.clone(), "sandbox-ingress", shutdown.child());
    // Ready means ready: the first message a person types must not meet a 503.
    anyhow::ensure!(
        ingress_bus.wait_connected(Duration::from_secs(15)).await,
        "the sandbox ingress cannot connect to RabbitMQ"
    );
    let s = shutdown.clone();
    let ingress_listener = opts.ingress;
    tasks.spawn(async move {
        if let Err(e) = ingress::serve(ingress_listener, ingress_cfg, ingress_bus, s.clone()).await
        {
            tracing::error!(error = %e, "sandbox ingress stopped");
            s.trigger();
        }
    });

    let fleet = workers::Fleet::connect(worker_cfg, &shutdown).await?;
    anyhow::ensure!(
        fleet.bus.wait_connected(Duration::from_secs(15)).await,
        "the sandbox workers cannot connect to RabbitMQ"
    );
    let s = shutdown.clone();
    tasks.spawn(async move { workers::run_roles(fleet, &workers::Role::ALL, s).await });

    let sandbox = Arc::new(Sandbox::new(
        graph,
        stripe,
        artist,
        ingress_url.clone(),
        console_url.clone(),
        app_secret,
        made_up_key.then(|| admin_api_key.clone()),
        shutdown.clone(),
    ));
    let mut state = AppState::new(pool.clone(), console_bus, &console_cfg);
    state.media_fallback = Some(sandbox.clone());
    let app = server::router(state).merge(super::router(SandboxState {
        sandbox: sandbox.clone(),
        pool: pool.clone(),
    }));
    let s = shutdown.clone();
    let console_listener = opts.console;
    tasks.spawn(async move {
        if let Err(e) = server::serve_router(console_listener, app, s.clone()).await {
            tracing::error!(error = %e, "sandbox console stopped");
            s.trigger();
        }
    });
    Ok(Running {
        console_url,
        ingress_url,
        admin_api_key,
        sandbox,
        pool,
        shutdown,
        tasks,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn database_urls_split_and_odd_names_are_refused() {
        let (admin, name) =
            split_database("postgres://postgres@127.0.0.1:5432/inkline_sandbox").unwrap();
        assert_eq!(admin, "postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(name, "inkline_sandbox");
        let (admin, _) = split_database("postgres://u@h/inkline_sandbox?sslmode=disable").unwrap();
        assert_eq!(admin, "postgres://u@h/postgres?sslmode=disable");
        assert!(split_database("postgres://h/Bad-Name").is_err());
        assert!(split_database("postgres://h/x;drop").is_err());
    }

    #[test]
    fn the_sandbox_artist_is_valid_with_upcoming_tours() {
        let today = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let a = demo_artist(today).unwrap();
        assert!(a.tour.iter().all(|t| t.from > today));
        assert_eq!(a.tour.len(), 2);
        assert!(a.artist_wa_id.is_some());
    }
}
