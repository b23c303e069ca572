//! `--spawn-fleet`: a throwaway fleet for one run — a fresh database (migrated, the run's artists,
//! optionally seeded with other artists' history) and RabbitMQ vhost, `inkline-ingress` and
//! `inkline-worker conversation relay sender` as child processes whose `WHATSAPP_API_BASE` is
//! loadgen's fake. Everything is removed afterwards, also when the run is interrupted.

use super::config::FleetOptions;
use super::report::{ProcessMemory, process_memory};
use super::seed::{self, Seeded};
use inkline_core::domain::ArtistConfig;
use sqlx::postgres::PgPoolOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The token the spawned sender presents to the fake (any non-empty token is accepted).
const ACCESS_TOKEN: &str = "loadgen-token";

/// A running throwaway fleet; [`SpawnedFleet::teardown`] stops it and removes its database and vhost.
pub struct SpawnedFleet {
    pub name: String,
    pub ingress_url: String,
    pub log_dir: PathBuf,
    /// What `--seed-leads` wrote before the fleet started.
    pub seeded: Option<Seeded>,
    children: Vec<(String, Child)>,
    opts: FleetOptions,
}

/// Why the fleet could not start.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Setup(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

fn free_port() -> Result<SocketAddr, std::io::Error> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    l.local_addr()
}

fn rabbitmqctl(args: &[&str]) -> Result<(), FleetError> {
    let out = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .map_err(|e| {
            FleetError::Setup(format!(
                "rabbitmqctl: {e} (--spawn-fleet needs the local RabbitMQ's rabbitmqctl)"
            ))
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(FleetError::Setup(format!(
            "rabbitmqctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Resolves on Ctrl-C or SIGTERM (never, if the handlers cannot be installed).
pub async fn interrupted() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => if r.is_err() { std::future::pending::<()>().await },
        () = term => {}
    }
}

/// The directory the other workspace binaries live in (next to this one, unless told).
pub fn default_bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}

impl SpawnedFleet {
    /// Creates the database and vhost, then starts the processes and waits until they are ready.
    pub async fn start(
        opts: &FleetOptions,
        graph_base_url: &str,
        app_secret: &str,
        artists: &[ArtistConfig],
    ) -> Result<SpawnedFleet, FleetError> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("inkline_lg_{}", tag.get(..10).unwrap_or("x"));
        for bin in ["inkline-ingress", "inkline-worker"] {
            if !opts.bin_dir.join(bin).exists() {
                return Err(FleetError::Setup(format!(
                    "{} not found in {} (build the workspace binaries, or pass --bin-dir)",
                    bin,
                    opts.bin_dir.display()
                )));
            }
        }
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&opts.pg_admin_url)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let database_url = match opts.pg_admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => {
                return Err(FleetError::Setup(
                    "--pg-admin-url has no database part".into(),
                ));
            }
        };
        let log_dir = std::env::temp_dir().join(format!("inkline-loadgen-{name}"));
        std::fs::create_dir_all(&log_dir)?;
        let mut fleet = SpawnedFleet {
            name: name.clone(),
            ingress_url: String::new(),
            log_dir,
            seeded: None,
            children: Vec::new(),
            opts: opts.clone(),
        };
        // From here on a failure (or Ctrl-C, SIGTERM) tears down what exists.
        let setup = tokio::select! {
            r = fleet.setup(&database_url, graph_base_url, app_secret, artists) => r,
            () = interrupted() => Err(FleetError::Setup("interrupted".into())),
        };
        match setup {
            Ok(()) => Ok(fleet),
            Err(e) => {
                fleet.teardown().await;
                Err(e)
            }
        }
    }

    async fn setup(
        &mut self,
        database_url: &str,
        graph_base_url: &str,
        app_secret: &str,
        artists: &[ArtistConfig],
    ) -> Result<(), FleetError> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(10))
            .connect(database_url)
            .await?;
        infra::store::db::migrate(&pool).await?;
        for artist in artists {
            infra::store::artists::upsert(&pool, artist).await?;
        }
        if let (Some(plan), Some(base)) = (&self.opts.seed, artists.first()) {
            self.seeded = Some(seed::run(&pool, base, artists.len(), plan).await?);
        }
        pool.close().await;
        let vhost = self.name.clone();
        tokio::task::spawn_blocking(move || {
            rabbitmqctl(&["add_vhost", &vhost])?;
            rabbitmqctl(&["set_permissions", "-p", &vhost, "guest", ".*", ".*", ".*"])
        })
        .await
        .map_err(|e| FleetError::Setup(e.to_string()))??;
        let amqp_url = format!(
            "{}/{}",
            self.opts.amqp_base.trim_end_matches('/'),
            self.name
        );
        let ingress_addr = free_port()?;
        let env: Vec<(&str, String)> = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("AMQP_URL", amqp_url),
            ("WHATSAPP_APP_SECRET", app_secret.to_owned()),
            ("WHATSAPP_API_BASE", graph_base_url.to_owned()),
            ("WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN.to_owned()),
            ("INGRESS_ADDR", ingress_addr.to_string()),
            ("INGRESS_METRICS_ADDR", "127.0.0.1:0".to_owned()),
            ("LOG_FORMAT", "json".to_owned()),
        ];
        self.spawn("ingress", "inkline-ingress", &[], &env, None)?;
        let mut health = Vec::new();
        for roles in self.opts.worker_processes.clone() {
            let metrics = free_port()?;
            let r: Vec<&str> = roles.iter().map(String::as_str).collect();
            self.spawn(
                &format!("worker[{}]", r.join(" ")),
                "inkline-worker",
                &r,
                &env,
                Some(metrics),
            )?;
            health.push(format!("http://{metrics}/readyz"));
        }
        self.ingress_url = format!("http://{ingress_addr}");
        health.push(format!("{}/readyz", self.ingress_url));
        self.wait_ready(&health, Duration::from_secs(30)).await
    }

    fn spawn(
        &mut self,
        name: &str,
        bin: &str,
        args: &[&str],
        env: &[(&str, String)],
        metrics: Option<SocketAddr>,
    ) -> Result<(), FleetError> {
        let log_name: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let log = std::fs::File::create(self.log_dir.join(format!("{log_name}.log")))?;
        let mut cmd = Command::new(self.opts.bin_dir.join(bin));
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(m) = metrics {
            cmd.env("WORKER_METRICS_ADDR", m.to_string());
        }
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let child = cmd.spawn()?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    async fn wait_ready(&mut self, urls: &[String], timeout: Duration) -> Result<(), FleetError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| FleetError::Setup(e.to_string()))?;
        let deadline = Instant::now() + timeout;
        for url in urls {
            loop {
                if let Some((name, status)) = self
                    .children
                    .iter_mut()
                    .find_map(|(n, c)| c.try_wait().ok().flatten().map(|s| (n.clone(), s)))
                {
                    return Err(FleetError::Setup(format!(
                        "{name} exited at start ({status}); see {}",
                        self.log_dir.display()
                    )));
                }
                if http
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(FleetError::Setup(format!(
                        "{url} not ready after {timeout:?}; see {}",
                        self.log_dir.display()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// VmRSS/VmHWM of every fleet process, now.
    pub fn memory(&self) -> Vec<ProcessMemory> {
        self.children
            .iter()
            .map(|(n, c)| process_memory(n, c.id()))
            .collect()
    }

    /// Stops the processes and, unless `--keep-fleet`, drops the database and vhost.
    pub async fn teardown(mut self) {
        for (_, c) in &mut self.children {
            // SIGTERM first (graceful), SIGKILL if still running after a grace period.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for (_, c) in &mut self.children {
            while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = c.kill();
            let _ = c.wait();
        }
        if self.opts.keep {
            eprintln!(
                "loadgen: kept database and vhost {} (logs in {})",
                self.name,
                self.log_dir.display()
            );
            return;
        }
        let vhost = self.name.clone();
        let _ = tokio::task::spawn_blocking(move || rabbitmqctl(&["delete_vhost", &vhost])).await;
        if let Ok(admin) = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&self.opts.pg_admin_url)
            .await
        {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&admin)
            .await;
            admin.close().await;
        }
        let _ = std::fs::remove_dir_all(&self.log_dir);
    }
}
