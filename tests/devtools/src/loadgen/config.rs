//! A validated load-generator run: what to send, how fast, for how long, and where (loopback only).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Hard caps so a typo cannot turn a bounded run into an unbounded one.
pub const MAX_CLIENTS: usize = 1_000_000;
pub const MAX_RATE: f64 = 20_000.0;
pub const MAX_CONCURRENCY: usize = 10_000;
pub const MAX_DURATION: Duration = Duration::from_secs(3_600);

/// How messages are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Open loop: a new message every 1/rate seconds, to the next client that is ready.
    Rate(f64),
    /// Closed loop: this many clients talk at once, each waiting for its replies.
    Concurrency(usize),
}

/// How loadgen meets the fleet.
#[derive(Debug, Clone)]
pub enum Target {
    /// A fleet someone else started: its ingress URL; its workers must have
    /// `WHATSAPP_API_BASE` pointing at loadgen's fake (`graph_addr`).
    External { ingress_url: String },
    /// Loadgen starts the fleet itself against a fresh database and vhost.
    Spawn(FleetOptions),
}

/// `--spawn-fleet` settings.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    pub bin_dir: std::path::PathBuf,
    pub pg_admin_url: String,
    pub amqp_base: String,
    /// The worker processes to start, each with its roles (empty: ingress only).
    pub worker_processes: Vec<Vec<String>>,
    /// Keep the database and vhost afterwards (for inspection).
    pub keep: bool,
    /// Fill the fresh database with other artists' leads and messages before the fleet starts.
    pub seed: Option<super::Seed>,
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub target: Target,
    pub app_secret: String,
    pub phone_number_id: String,
    pub clients: usize,
    pub messages_per_client: usize,
    pub pacing: Pacing,
    pub duration: Duration,
    pub reply_timeout: Duration,
    pub drain: Duration,
    /// false: measure acknowledgements only (no fleet workers needed).
    pub expect_replies: bool,
    pub graph_addr: Option<SocketAddr>,
    pub max_attempts: u32,
    pub progress: bool,
    /// Digits that make this run's client numbers unique.
    pub run_tag: u32,
    /// Artists the clients are spread over (client c talks to artist c mod N; artist 0 is the one
    /// with `phone_number_id`, the others are `script::artist_variant`s that must exist in the fleet).
    pub artists: usize,
    /// Scripted failures of the fake Graph API during the run (429/5xx storms).
    pub storms: Vec<Storm>,
}

/// `--storm AT:STATUS:COUNT`: from `AT` into the run, the next `COUNT` sends are answered with
/// HTTP `STATUS` (and Meta's matching error code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storm {
    pub at: Duration,
    pub http_status: u16,
    pub count: usize,
}

impl std::str::FromStr for Storm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(':');
        let (Some(at), Some(status), Some(count), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "--storm wants AT:STATUS:COUNT (e.g. 10s:429:200), got {s:?}"
            ));
        };
        let at = parse_duration(at)?;
        let http_status: u16 = status
            .parse()
            .map_err(|_| format!("bad HTTP status in {s:?}"))?;
        if !(http_status == 429 || (500..600).contains(&http_status)) {
            return Err(format!("storms are 429 or 5xx, not {http_status}"));
        }
        let count: usize = count.parse().map_err(|_| format!("bad count in {s:?}"))?;
        if count > 1_000_000 {
            return Err("storm count at most 1000000".into());
        }
        Ok(Storm {
            at,
            http_status,
            count,
        })
    }
}

impl Storm {
    /// The Meta error code the fake answers with: 130429 (throughput) for 429, 131000 otherwise.
    pub fn code(&self) -> i64 {
        if self.http_status == 429 {
            130_429
        } else {
            131_000
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("{0} must be a loopback address (127.0.0.0/8, ::1 or localhost): {1}")]
    NotLoopback(&'static str, String),
    #[error("{0} is not a valid URL: {1}")]
    BadUrl(&'static str, String),
    #[error("{0}")]
    OutOfRange(String),
}

/// Whether `host` names this machine's loopback interface.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks that `url` (http, amqp, postgres...) points at loopback.
pub fn require_loopback_url(what: &'static str, url: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| ConfigError::BadUrl(what, e.to_string()))?;
    match parsed.host_str() {
        Some(h) if is_loopback_host(h) => Ok(()),
        // postgres URLs may name a Unix socket directory instead of a host.
        None if parsed.scheme().starts_with("postgres") => Ok(()),
        Some(h) => Err(ConfigError::NotLoopback(what, h.to_owned())),
        None => Err(ConfigError::NotLoopback(what, url.to_owned())),
    }
}

impl Config {
    /// Checks bounds and that every address is on loopback.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.target {
            Target::External { ingress_url } => require_loopback_url("--ingress-url", ingress_url)?,
            Target::Spawn(f) => {
                require_loopback_url("--pg-admin-url", &f.pg_admin_url)?;
                require_loopback_url("--amqp-base", &f.amqp_base)?;
            }
        }
        if let Some(addr) = self.graph_addr
            && !addr.ip().is_loopback()
        {
            return Err(ConfigError::NotLoopback("--graph-addr", addr.to_string()));
        }
        let range = |ok: bool, msg: String| {
            if ok {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange(msg))
            }
        };
        range(
            (1..=MAX_CLIENTS).contains(&self.clients),
            format!("--clients must be 1..={MAX_CLIENTS}"),
        )?;
        range(
            (1..=super::script::MAX_MESSAGES).contains(&self.messages_per_client),
            format!(
                "--messages-per-client must be 1..={} (one consultation)",
                super::script::MAX_MESSAGES
            ),
        )?;
        match self.pacing {
            Pacing::Rate(r) => range(
                r > 0.0 && r <= MAX_RATE,
                format!("--rate must be in (0, {MAX_RATE}]"),
            )?,
            Pacing::Concurrency(c) => range(
                (1..=MAX_CONCURRENCY).contains(&c),
                format!("--concurrency must be 1..={MAX_CONCURRENCY}"),
            )?,
        }
        range(
            !self.duration.is_zero() && self.duration <= MAX_DURATION,
            "--duration must be 1s..=1h".into(),
        )?;
        range(
            self.reply_timeout <= Duration::from_secs(600),
            "--reply-timeout must be at most 600s".into(),
        )?;
        range(
            self.drain <= Duration::from_secs(600),
            "--drain must be at most 600s".into(),
        )?;
        range(
            (1..=20).contains(&self.max_attempts),
            "--max-attempts must be 1..=20".into(),
        )?;
        range(
            (1..=100).contains(&self.artists),
            "--artists must be 1..=100".into(),
        )?;
        range(
            super::presign::count(self) <= super::presign::MAX_PRESIGNED,
            format!(
                "a run builds every webhook it can send before it starts: at most {} \
                 (--clients × --messages-per-client, or --rate × --duration clients); lower them",
                super::presign::MAX_PRESIGNED
            ),
        )?;
        if let Target::Spawn(FleetOptions {
            seed: Some(seed), ..
        }) = &self.target
        {
            use super::seed::{MAX_SEED_ARTISTS, MAX_SEED_LEADS, MAX_SEED_MESSAGES_PER_LEAD};
            range(
                seed.leads <= MAX_SEED_LEADS,
                format!("--seed-leads must be at most {MAX_SEED_LEADS}"),
            )?;
            range(
                (1..=MAX_SEED_ARTISTS).contains(&seed.artists),
                format!("--seed-artists must be 1..={MAX_SEED_ARTISTS}"),
            )?;
            range(
                seed.messages_per_lead <= MAX_SEED_MESSAGES_PER_LEAD,
                format!("--seed-messages-per-lead must be at most {MAX_SEED_MESSAGES_PER_LEAD}"),
            )?;
        }
        Ok(())
    }

    /// The client's WhatsApp id: `49` + run tag + client number (digits only, unique per run).
    pub fn wa_id(&self, client: usize) -> String {
        format!("49{:06}{:07}", self.run_tag % 1_000_000, client)
    }
}

/// Parses `30s`, `500ms`, `2m` or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (try 30s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" | "" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s:?} (ms, s or m)")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        return Err(format!("duration out of range: {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
impl Config {
    /// A small closed-loop run against `ingress_url`, for the load generator's unit tests.
    pub(crate) fn sample(ingress_url: &str) -> Config {
        Config {
            target: Target::External {
                ingress_url: ingress_url.into(),
            },
            app_secret: "s".into(),
            phone_number_id: "1".into(),
            clients: 2,
            messages_per_client: 3,
            pacing: Pacing::Concurrency(2),
            duration: Duration::from_secs(5),
            reply_timeout: Duration::from_secs(5),
            drain: Duration::from_secs(1),
            expect_replies: true,
            graph_addr: None,
            max_attempts: 3,
            progress: false,
            run_tag: 7,
            storms: Vec::new(),
            artists: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn cfg(url: &str) -> Config {
        Config::sample(url)
    }

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(cfg("http://127.0.0.1:8080").validate().is_ok());
        assert!(cfg("http://localhost:8080").validate().is_ok());
        assert!(cfg("http://[::1]:8080").validate().is_ok());
        assert!(cfg("http://127.8.9.10:1").validate().is_ok());
        for bad in [
            "http://10.0.0.1:8080",
            "http://192.168.1.2",
            "http://example.com",
            "http://0.0.0.0:1",
            "nonsense",
        ] {
            assert!(cfg(bad).validate().is_err(), "{bad}");
        }
        let mut c = cfg("http://127.0.0.1:1");
        c.graph_addr = Some("10.1.1.1:80".parse().unwrap());
        assert!(matches!(c.validate(), Err(ConfigError::NotLoopback(..))));
    }

    #[test]
    fn bounds_and_ids() {
        let mut c = cfg("http://127.0.0.1:1");
        c.messages_per_client = 99;
        assert!(c.validate().is_err());
        c.messages_per_client = 3;
        c.pacing = Pacing::Rate(0.0);
        assert!(c.validate().is_err());
        c.pacing = Pacing::Concurrency(10);
        c.clients = 100_000;
        c.messages_per_client = 14;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("before it starts"),
            "1.4 M webhooks are more than a run builds ahead"
        );
        c.pacing = Pacing::Rate(100.0);
        assert!(
            c.validate().is_ok(),
            "100 msg/s for 5 s reaches 501 clients"
        );
        c.clients = 2;
        c.messages_per_client = 3;
        assert_eq!(c.wa_id(12), "490000070000012");
        assert!(c.wa_id(999_999).chars().all(|ch| ch.is_ascii_digit()));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("1h").is_err());
        let storm: Storm = "10s:429:200".parse().unwrap();
        assert_eq!(
            (storm.at, storm.http_status, storm.count, storm.code()),
            (Duration::from_secs(10), 429, 200, 130_429)
        );
        assert!("1s:404:1".parse::<Storm>().is_err());
        assert!("1s:500".parse::<Storm>().is_err());
    }
}
