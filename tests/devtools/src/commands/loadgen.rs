//! `inkline loadgen`: drive the real fleet with simulated WhatsApp clients (see `docs/loadgen.md`).

use crate::loadgen::{self, Config, FleetOptions, Pacing, Target, config::parse_duration};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `inkline loadgen` (boxed: the subcommand enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub options: Box<Options>,
}

/// The flags of `inkline loadgen`.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Ingress base URL (loopback only). Not needed with --spawn-fleet.
    #[arg(long, env = "LOADGEN_INGRESS_URL")]
    pub ingress_url: Option<String>,
    /// Start a throwaway fleet (fresh database + vhost, inkline-ingress, inkline-worker
    /// conversation relay sender) pointed at loadgen's fake Graph API, and remove it afterwards.
    #[arg(long)]
    pub spawn_fleet: bool,
    /// With --spawn-fleet: a worker process and its roles (repeat for several processes; default
    /// one process "conversation relay sender"; "none" starts the ingress alone).
    #[arg(long = "worker-process")]
    pub worker_process: Vec<String>,
    /// With --spawn-fleet: keep the database and vhost afterwards.
    #[arg(long)]
    pub keep_fleet: bool,
    /// Where inkline-ingress and inkline-worker are (default: next to this binary).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Postgres server URL used to create the throwaway database (loopback only).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub pg_admin_url: String,
    /// RabbitMQ URL without vhost (loopback only).
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672")]
    pub amqp_base: String,
    /// The app secret the ingress verifies signatures with.
    #[arg(
        long,
        env = "WHATSAPP_APP_SECRET",
        default_value = "loadgen-app-secret",
        hide_env_values = true
    )]
    pub app_secret: String,
    /// The artist's phone number id the webhooks are addressed to (the demo artist's by default).
    #[arg(long, default_value = "100000000000001")]
    pub phone_number_id: String,
    /// Spread the clients over this many artists (each has its own number and send pacing, 80
    /// msg/s by default). With --spawn-fleet they are created; otherwise artists 2..N must exist
    /// (slug demo-lgI, phone number id 100000000000001+I).
    #[arg(long, default_value_t = 1)]
    pub artists: usize,
    /// Simulated clients (each one lead).
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Messages each client sends (1..=14; 14 plays the whole consultation).
    #[arg(long, default_value_t = 3)]
    pub messages_per_client: usize,
    /// Open loop: messages per second (to whichever client is ready). Excludes --concurrency.
    #[arg(long, conflicts_with = "concurrency")]
    pub rate: Option<f64>,
    /// Closed loop: clients talking at once (default 10 when --rate is not given).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Stop sending after this long (e.g. 30s, 2m); the run also stops when every message is sent.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How long a client waits for a turn's replies before giving up on its conversation.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub reply_timeout: Duration,
    /// After sending, how long to wait for the outstanding replies.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub drain: Duration,
    /// HTTP attempts per webhook (non-200 answers are retried with back-off, as Meta does).
    #[arg(long, default_value_t = 6)]
    pub max_attempts: u32,
    /// Only measure the ingress's acknowledgements; do not wait for replies (no workers needed).
    #[arg(long)]
    pub no_replies: bool,
    /// Serve the fake Graph API (also) on this loopback address, for an externally started fleet
    /// (`WHATSAPP_API_BASE=http://ADDR`).
    #[arg(long)]
    pub graph_addr: Option<SocketAddr>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON summary to this file.
    #[arg(long)]
    pub summary_file: Option<PathBuf>,
    /// Progress bar on stderr: auto (when stderr is a terminal), always or never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub progress: String,
    /// Fake Graph API storm AT:STATUS:COUNT (e.g. 10s:429:200; repeatable): from AT into the run
    /// the next COUNT sends fail with STATUS (429 or 5xx).
    #[arg(long = "storm")]
    pub storms: Vec<crate::loadgen::Storm>,
    /// With --spawn-fleet: before the fleet starts, fill the database with this many leads of
    /// clients loadgen never plays (numbers `31…`), spread over --seed-artists artists, with
    /// --seed-messages-per-lead transcript rows each (the cost-growth benchmark).
    #[arg(long, requires = "spawn_fleet")]
    pub seed_leads: Option<usize>,
    /// With --seed-leads: artists in the database in all (the run's --artists among them).
    #[arg(long, default_value_t = 100, requires = "seed_leads")]
    pub seed_artists: usize,
    /// With --seed-leads: messages per seeded lead (inbound and outbound alternately).
    #[arg(long, default_value_t = 3, requires = "seed_leads")]
    pub seed_messages_per_lead: usize,
    /// Exit 0 even when replies are missing or duplicated.
    #[arg(long)]
    pub allow_unclean: bool,
}

impl Options {
    /// The validated run configuration.
    pub fn to_config(&self) -> anyhow::Result<Config> {
        let target = if self.spawn_fleet {
            Target::Spawn(FleetOptions {
                bin_dir: self
                    .bin_dir
                    .clone()
                    .unwrap_or_else(loadgen::fleet::default_bin_dir),
                pg_admin_url: self.pg_admin_url.clone(),
                amqp_base: self.amqp_base.clone(),
                worker_processes: worker_processes(&self.worker_process),
                keep: self.keep_fleet,
                seed: self.seed_leads.map(|leads| loadgen::Seed {
                    leads,
                    artists: self.seed_artists.max(self.artists),
                    messages_per_lead: self.seed_messages_per_lead,
                }),
            })
        } else {
            let Some(url) = self.ingress_url.clone() else {
                anyhow::bail!("name the fleet: --ingress-url URL, or --spawn-fleet");
            };
            Target::External { ingress_url: url }
        };
        let pacing = match (self.rate, self.concurrency) {
            (Some(r), _) => Pacing::Rate(r),
            (None, Some(c)) => Pacing::Concurrency(c),
            (None, None) => Pacing::Concurrency(10),
        };
        let progress = match self.progress.as_str() {
            "always" => true,
            "never" => false,
            _ => std::io::stderr().is_terminal(),
        };
        let run_tag =
            u32::try_from(chrono::Utc::now().timestamp_millis().rem_euclid(1_000_000)).unwrap_or(0);
        let cfg = Config {
            target,
            app_secret: self.app_secret.clone(),
            phone_number_id: self.phone_number_id.clone(),
            clients: self.clients,
            messages_per_client: self.messages_per_client,
            pacing,
            duration: self.duration,
            reply_timeout: self.reply_timeout,
            drain: self.drain,
            expect_replies: !self.no_replies,
            graph_addr: self.graph_addr,
            max_attempts: self.max_attempts,
            progress,
            run_tag,
            storms: self.storms.clone(),
            artists: self.artists,
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

/// `--worker-process` values as role lists (`none` or empty: no workers).
fn worker_processes(given: &[String]) -> Vec<Vec<String>> {
    if given.is_empty() {
        return vec![vec!["conversation".into(), "relay".into(), "sender".into()]];
    }
    given
        .iter()
        .map(|p| {
            p.split([' ', ','])
                .filter(|r| !r.is_empty() && *r != "none")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|roles| !roles.is_empty())
        .collect()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let args = args.options;
    let cfg = args.to_config()?;
    let summary = loadgen::run(&cfg).await?;
    let json = serde_json::to_string_pretty(&summary)?;
    if let Some(path) = &args.summary_file {
        std::fs::write(path, &json)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if args.json {
        println!("{json}");
    } else {
        eprint!("{}", summary.render_text());
    }
    if !summary.clean() && !args.allow_unclean {
        anyhow::bail!(
            "the run was not clean: {} missing, {} duplicates, {} unexpected, {} unacknowledged",
            summary.missing,
            summary.duplicates,
            summary.unexpected,
            summary.unacknowledged
        );
    }
    Ok(())
}
