//! Typed configuration from environment variables (names in INTERFACES.md), with one clear error
//! line per missing or malformed variable and secrets redacted.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Every problem found in the environment, one line each.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

/// Reads variables from a map (the process environment in production, a literal map in tests),
/// collecting errors instead of stopping at the first.
pub struct EnvReader {
    vars: HashMap<String, String>,
    errors: Vec<String>,
}

impl EnvReader {
    pub fn from_env() -> Self {
        Self::from_map(std::env::vars().collect())
    }

    pub fn from_map(vars: HashMap<String, String>) -> Self {
        EnvReader {
            vars,
            errors: Vec::new(),
        }
    }

    fn raw(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// An optional string.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.raw(name)
    }

    /// A string with a default.
    pub fn string(&mut self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    /// A required secret; records an error when missing.
    pub fn required_secret(&mut self, name: &str, why: &str) -> Secret {
        match self.raw(name) {
            Some(v) => Secret(v),
            None => {
                self.errors.push(format!("{name} is not set: {why}"));
                Secret(String::new())
            }
        }
    }

    pub fn optional_secret(&mut self, name: &str) -> Option<Secret> {
        self.raw(name).map(Secret)
    }

    /// A parsed value with a default; a malformed value is an error naming what was expected.
    pub fn parse<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T {
        match self.raw(name) {
            None => default,
            Some(v) => match v.parse() {
                Ok(t) => t,
                Err(_) => {
                    self.errors
                        .push(format!("{name} is malformed: expected {expected}"));
                    default
                }
            },
        }
    }

    /// A URL with a default (http or https, no trailing slash kept).
    pub fn url(&mut self, name: &str, default: &str) -> String {
        let v = self.string(name, default);
        match url::Url::parse(&v) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {
                v.trim_end_matches('/').to_owned()
            }
            _ => {
                self.errors
                    .push(format!("{name} is malformed: expected an http(s) URL"));
                default.to_owned()
            }
        }
    }

    /// A database/broker URL with a default; only the scheme is checked here.
    pub fn dsn(&mut self, name: &str, default: &str, schemes: &[&str]) -> Secret {
        let v = self.string(name, default);
        match url::Url::parse(&v) {
            Ok(u) if schemes.contains(&u.scheme()) => Secret(v),
            _ => {
                self.errors.push(format!(
                    "{name} is malformed: expected a {} URL",
                    schemes.join("/")
                ));
                Secret(default.to_owned())
            }
        }
    }

    pub fn millis(&mut self, name: &str, default_ms: u64) -> Duration {
        Duration::from_millis(self.parse(name, default_ms, "a whole number of milliseconds"))
    }

    /// Ends reading: the errors, if any.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.errors))
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/inkline";
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Broker settings every binary shares.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub amqp_url: Secret,
    /// Unacknowledged deliveries per consumer (`AMQP_PREFETCH`).
    pub prefetch: u16,
    /// How long a publish waits for the broker's confirm (`PUBLISH_TIMEOUT_MS`).
    pub publish_timeout: Duration,
    /// Attempts before a message goes to its dead-letter queue (`MAX_ATTEMPTS`).
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt (`RETRY_BASE_DELAY_MS`).
    pub retry_base_delay: Duration,
    /// How long transient failures of one message keep being retried, counted from its first
    /// failure, even after `MAX_ATTEMPTS` (`RETRY_BUDGET_SECS`).
    pub retry_budget: Duration,
    /// The longest one handler run may take before it counts as a failed attempt
    /// (`HANDLER_TIMEOUT_MS`).
    pub handler_timeout: Duration,
    /// Maximum queue lengths declared with the topology (see [`QueueLimits`]).
    pub limits: QueueLimits,
}

impl BusConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        BusConfig {
            amqp_url: env.dsn("AMQP_URL", DEFAULT_AMQP_URL, &["amqp", "amqps"]),
            prefetch: env.parse("AMQP_PREFETCH", 32, "a number 1..65535"),
            publish_timeout: env.millis("PUBLISH_TIMEOUT_MS", 5_000),
            max_attempts: env.parse("MAX_ATTEMPTS", 5, "a positive number"),
            retry_base_delay: env.millis("RETRY_BASE_DELAY_MS", 1_000),
            retry_budget: Duration::from_secs(env.parse(
                "RETRY_BUDGET_SECS",
                3_600,
                "a number of seconds",
            )),
            handler_timeout: env.millis("HANDLER_TIMEOUT_MS", 60_000),
            limits: QueueLimits::read(env),
        }
    }
}

/// Database settings.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub database_url: Secret,
    pub max_connections: u32,
    /// Longest wait for a pooled connection before the caller hears "database unavailable"
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`).
    pub acquire_timeout: Duration,
    /// Postgres `statement_timeout` for every session of this process
    /// (`DATABASE_STATEMENT_TIMEOUT_MS`).
    pub statement_timeout: Duration,
    /// Postgres `lock_timeout` for every session of this process (`DATABASE_LOCK_TIMEOUT_MS`).
    pub lock_timeout: Duration,
}

impl DbConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        DbConfig {
            database_url: env.dsn(
                "DATABASE_URL",
                DEFAULT_DATABASE_URL,
                &["postgres", "postgresql"],
            ),
            max_connections: env.parse("DATABASE_MAX_CONNECTIONS", 10, "a positive number"),
            acquire_timeout: env.millis("DATABASE_ACQUIRE_TIMEOUT_MS", 5_000),
            statement_timeout: env.millis("DATABASE_STATEMENT_TIMEOUT_MS", 30_000),
            lock_timeout: env.millis("DATABASE_LOCK_TIMEOUT_MS", 10_000),
        }
    }
}

/// `inkline-ingress` settings.
#[derive(Debug, Clone)]
pub struct IngressConfig {
    pub addr: SocketAddr,
    /// The internal address for `/metrics`, `/healthz` and `/readyz` (`INGRESS_METRICS_ADDR`).
    pub metrics_addr: SocketAddr,
    pub bus: BusConfig,
    pub whatsapp_app_secret: Secret,
    pub whatsapp_verify_token: Option<Secret>,
    pub stripe_webhook_secret: Option<Secret>,
    pub max_body: usize,
    pub limits: IngressLimits,
}

/// How much of the ingress one client may hold, and for how long (docs/decisions.md, "Ingress under
/// abuse").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngressLimits {
    /// From accept (or the first byte after an idle pause) to a complete request head
    /// (`INGRESS_HEADER_TIMEOUT_MS`); the connection is closed after it.
    pub header_timeout: Duration,
    /// From the handler's start to the last body byte (`INGRESS_BODY_TIMEOUT_MS`); 408 after it.
    pub body_timeout: Duration,
    /// A keep-alive connection with no request is closed after this (`INGRESS_IDLE_TIMEOUT_MS`).
    pub idle_timeout: Duration,
    /// Webhook requests handled at once; the next one is answered 503 (`INGRESS_MAX_CONCURRENCY`).
    pub max_concurrency: usize,
    /// Open connections; beyond it new ones wait in the kernel's backlog (`INGRESS_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Body bytes all requests together may hold in memory; a request that would pass it is
    /// answered 503 (`INGRESS_MAX_BUFFERED`).
    pub max_buffered: usize,
}

impl Default for IngressLimits {
    fn default() -> Self {
        IngressLimits {
            header_timeout: Duration::from_millis(5_000),
            body_timeout: Duration::from_millis(10_000),
            idle_timeout: Duration::from_millis(30_000),
            max_concurrency: 256,
            max_connections: 1024,
            max_buffered: 32 * 1024 * 1024,
        }
    }
}

impl IngressLimits {
    pub fn read(env: &mut EnvReader) -> Self {
        let d = IngressLimits::default();
        IngressLimits {
            header_timeout: positive_millis(env, "INGRESS_HEADER_TIMEOUT_MS", d.header_timeout),
            body_timeout: positive_millis(env, "INGRESS_BODY_TIMEOUT_MS", d.body_timeout),
            idle_timeout: positive_millis(env, "INGRESS_IDLE_TIMEOUT_MS", d.idle_timeout),
            max_concurrency: positive(env, "INGRESS_MAX_CONCURRENCY", d.max_concurrency),
            max_connections: positive(env, "INGRESS_MAX_CONNECTIONS", d.max_connections),
            max_buffered: positive(env, "INGRESS_MAX_BUFFERED", d.max_buffered),
        }
    }
}

/// A duration of at least 1 ms (zero would close every connection at once).
fn positive_millis(env: &mut EnvReader, name: &str, default: Duration) -> Duration {
    let default_ms = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
    let v = env.millis(name, default_ms);
    if v.is_zero() {
        env.errors.push(format!(
            "{name} is malformed: expected at least 1 millisecond"
        ));
        return default;
    }
    v
}

/// A count of at least 1 (zero would refuse everything).
fn positive(env: &mut EnvReader, name: &str, default: usize) -> usize {
    match env.parse(name, default, "a positive number") {
        0 => {
            env.errors
                .push(format!("{name} is malformed: expected a positive number"));
            default
        }
        v => v,
    }
}

impl IngressConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(EnvReader::from_env())
    }

    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let cfg = IngressConfig {
            addr: env.parse(
                "INGRESS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8080)),
                "host:port",
            ),
            metrics_addr: env.parse(
                "INGRESS_METRICS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9101)),
                "host:port",
            ),
            bus: BusConfig::read(&mut env),
            whatsapp_app_secret: env.required_secret(
                "WHATSAPP_APP_SECRET",
                "the ingress cannot verify WhatsApp webhooks without the app secret",
            ),
            whatsapp_verify_token: env.optional_secret("WHATSAPP_VERIFY_TOKEN"),
            stripe_webhook_secret: env.optional_secret("STRIPE_WEBHOOK_SECRET"),
            max_body: env.parse("INGRESS_MAX_BODY", 1024 * 1024, "a size in bytes"),
            limits: IngressLimits::read(&mut env),
        };
        if cfg.limits.max_buffered < cfg.max_body {
            env.errors.push(
                "INGRESS_MAX_BUFFERED is malformed: expected at least INGRESS_MAX_BODY".to_owned(),
            );
        }
        env.finish().map(|()| cfg)
    }
}

/// Third-party API endpoints and credentials used by the workers and the console.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub whatsapp_access_token: Option<Secret>,
    pub whatsapp_api_base: String,
    pub whatsapp_api_version: String,
    pub stripe_secret_key: Option<Secret>,
    pub stripe_api_base: String,
    pub public_base_url: String,
    /// Timeout of every outbound HTTP call (`HTTP_TIMEOUT_MS`).
    pub http_timeout: Duration,
    /// Where inbound media bytes are kept (`MEDIA_DIR`).
    pub media_dir: String,
}

impl ApiConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        ApiConfig {
            whatsapp_access_token: env.optional_secret("WHATSAPP_ACCESS_TOKEN"),
            whatsapp_api_base: env.url("WHATSAPP_API_BASE", "https://graph.facebook.com"),
            whatsapp_api_version: env.string("WHATSAPP_API_VERSION", "v21.0"),
            stripe_secret_key: env.optional_secret("STRIPE_SECRET_KEY"),
            stripe_api_base: env.url("STRIPE_API_BASE", "https://api.stripe.com"),
            public_base_url: env.url("PUBLIC_BASE_URL", "http://127.0.0.1:8090"),
            http_timeout: env.millis("HTTP_TIMEOUT_MS", 10_000),
            media_dir: env.string("MEDIA_DIR", "./var/media"),
        }
    }
}

/// `inkline-worker` settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub db: DbConfig,
    pub bus: BusConfig,
    pub api: ApiConfig,
    pub metrics_addr: SocketAddr,
    /// Relay polling fallback when no NOTIFY arrives (`OUTBOX_POLL_MS`).
    pub outbox_poll: Duration,
    /// How often the reminders role looks for due reminders (`REMINDERS_POLL_MS`).
    pub reminders_poll: Duration,
    /// Per-row retries and parking of the time-driven loops.
    pub parking: ParkingConfig,
    /// How long finished rows are kept.
    pub retention: RetentionConfig,
    /// How long a queued outbound message may go unvisited by any sender, past when one was
    /// expected, before it is parked as stalled (its job lost to the DLQ without the handler
    /// knowing) and younger messages to the same client stop waiting for it (`SEND_STALL_SECS`).
    pub send_stall: Duration,
    /// Deliveries in flight per sender partition (`SENDER_PREFETCH`): the messages waiting for a
    /// pacing slot in memory. At least the number's rate × the longest pacing wait worth holding.
    pub sender_prefetch: u16,
}

impl WorkerConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(EnvReader::from_env())
    }

    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let cfg = WorkerConfig {
            db: DbConfig::read(&mut env),
            bus: BusConfig::read(&mut env),
            api: ApiConfig::read(&mut env),
            metrics_addr: env.parse(
                "WORKER_METRICS_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 9100)),
                "host:port",
            ),
            outbox_poll: env.millis("OUTBOX_POLL_MS", 1_000),
            reminders_poll: env.millis("REMINDERS_POLL_MS", 5_000),
            parking: ParkingConfig::read(&mut env),
            retention: RetentionConfig::read(&mut env),
            send_stall: Duration::from_secs(env.parse(
                "SEND_STALL_SECS",
                900,
                "a positive number of seconds",
            ))
            .max(Duration::from_secs(1)),
            sender_prefetch: env.parse("SENDER_PREFETCH", 512, "a number 1..65535"),
        };
        env.finish().map(|()| cfg)
    }
}

/// Maximum lengths of the queues (`x-max-length`, with `x-overflow: reject-publish`: a full
/// queue refuses new messages and the publisher gets a nack, `PublishError::Rejected`). Every
/// process declares the topology, so every process must read the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueLimits {
    /// Ready messages in a work queue and in its `.retry` companion (`QUEUE_MAX_LENGTH`).
    pub work: i64,
    /// Ready messages in a `.dlq` (`DLQ_MAX_LENGTH`): larger, dead letters wait for a person.
    pub dead_letters: i64,
}

impl QueueLimits {
    pub const DEFAULT_WORK: i64 = 100_000;
    pub const DEFAULT_DEAD_LETTERS: i64 = 1_000_000;

    pub fn read(env: &mut EnvReader) -> Self {
        let positive = |env: &mut EnvReader, name: &str, default: i64| {
            let v = env.parse(name, default, "a positive number of messages");
            if v > 0 {
                v
            } else {
                env.errors.push(format!(
                    "{name} is malformed: expected a positive number of messages"
                ));
                default
            }
        };
        QueueLimits {
            work: positive(env, "QUEUE_MAX_LENGTH", Self::DEFAULT_WORK),
            dead_letters: positive(env, "DLQ_MAX_LENGTH", Self::DEFAULT_DEAD_LETTERS),
        }
    }
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            work: Self::DEFAULT_WORK,
            dead_letters: Self::DEFAULT_DEAD_LETTERS,
        }
    }
}

/// How the time-driven loops (reminders, deposit-expiry sweep, outbox relay) treat a row whose
/// own processing fails: retried after `retry_base` × 2^(attempts−1) (at most `retry_max`), and
/// parked after `park_after` attempts (`infra::store::parking`). Outages count nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingConfig {
    /// Failed attempts after which a row is parked (`ROW_MAX_ATTEMPTS`, default 10).
    pub park_after: u32,
    /// Delay after the first failure (`ROW_RETRY_BASE_MS`, default 5 s).
    pub retry_base: Duration,
    /// Longest delay between two attempts (`ROW_RETRY_MAX_MS`, default 15 min).
    pub retry_max: Duration,
}

impl ParkingConfig {
    pub fn read(env: &mut EnvReader) -> Self {
        let park_after = env.parse("ROW_MAX_ATTEMPTS", 10u32, "a positive number");
        if park_after == 0 {
            env.errors
                .push("ROW_MAX_ATTEMPTS is malformed: expected a positive number".into());
        }
        ParkingConfig {
            park_after: park_after.max(1),
            retry_base: env.millis("ROW_RETRY_BASE_MS", 5_000),
            retry_max: env.millis("ROW_RETRY_MAX_MS", 15 * 60 * 1_000),
        }
    }
}

impl Default for ParkingConfig {
    fn default() -> Self {
        ParkingConfig::read(&mut EnvReader::from_map(HashMap::new()))
    }
}

/// How long finished rows are kept; `None` keeps them forever (a value of `0`). Run by the
/// reminders role every `interval`, deleting `batch` rows per statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// Dedup records (`RETENTION_PROCESSED_EVENTS_DAYS`, default 30, at least 8: Meta retries a
    /// webhook for up to 7 days, Stripe for up to 3; a younger record must still catch it).
    pub processed_events: Option<Duration>,
    /// Published outbox rows (`RETENTION_OUTBOX_DAYS`, default 7); unpublished and parked rows stay.
    pub outbox: Option<Duration>,
    /// The audit trail (`RETENTION_SYSTEM_EVENTS_DAYS`, default 180).
    pub system_events: Option<Duration>,
    /// Action tokens, counted from their expiry (`RETENTION_ACTION_TOKENS_DAYS`, default 30).
    pub action_tokens: Option<Duration>,
    /// Time between two retention runs (`RETENTION_INTERVAL_MS`, default 1 h).
    pub interval: Duration,
    /// Rows deleted per statement (`RETENTION_BATCH`, default 1000): short locks, small WAL bursts.
    pub batch: i64,
}

impl RetentionConfig {
    /// The shortest dedup retention accepted: longer than the longest provider redelivery window.
    pub const MIN_PROCESSED_EVENTS_DAYS: u64 = 8;

    pub fn read(env: &mut EnvReader) -> Self {
        let days = |env: &mut EnvReader, name: &str, default: u64, min: u64| {
            let d: u64 = env.parse(name, default, "a whole number of days (0 keeps forever)");
            if d != 0 && d < min {
                env.errors.push(format!(
                    "{name} is too short: at least {min} days (or 0 to keep forever)"
                ));
                return Some(Duration::from_secs(default * 86_400));
            }
            (d > 0).then(|| Duration::from_secs(d * 86_400))
        };
        let processed_events = days(
            env,
            "RETENTION_PROCESSED_EVENTS_DAYS",
            30,
            Self::MIN_PROCESSED_EVENTS_DAYS,
        );
        let outbox = days(env, "RETENTION_OUTBOX_DAYS", 7, 1);
        let system_events = days(env, "RETENTION_SYSTEM_EVENTS_DAYS", 180, 1);
        let action_tokens = days(env, "RETENTION_ACTION_TOKENS_DAYS", 30, 1);
        let batch: i64 = env.parse("RETENTION_BATCH", 1_000, "a positive number of rows");
        if batch <= 0 {
            env.errors
                .push("RETENTION_BATCH is malformed: expected a positive number of rows".into());
        }
        RetentionConfig {
            processed_events,
            outbox,
            system_events,
            action_tokens,
            interval: env.millis("RETENTION_INTERVAL_MS", 60 * 60 * 1_000),
            batch: batch.max(1),
        }
    }
}

/// `inkline serve` (console) settings.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub db: DbConfig,
    pub bus: BusConfig,
    pub api: ApiConfig,
    pub addr: SocketAddr,
    pub admin_api_key: Option<Secret>,
    /// Signs console session cookies and derives per-artist login keys (`CONSOLE_SESSION_SECRET`;
    /// when unset, derived from `ADMIN_API_KEY`).
    pub session_secret: Option<Secret>,
}

impl ConsoleConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(EnvReader::from_env())
    }

    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let cfg = ConsoleConfig {
            db: DbConfig::read(&mut env),
            bus: BusConfig::read(&mut env),
            api: ApiConfig::read(&mut env),
            addr: env.parse(
                "CONSOLE_ADDR",
                SocketAddr::from(([127, 0, 0, 1], 8090)),
                "host:port",
            ),
            admin_api_key: env.optional_secret("ADMIN_API_KEY"),
            session_secret: env.optional_secret("CONSOLE_SESSION_SECRET"),
        };
        env.finish().map(|()| cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvReader {
        EnvReader::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn ingress_needs_the_app_secret_and_reports_every_problem() {
        let err = IngressConfig::read(env(&[("INGRESS_ADDR", "nope"), ("INGRESS_MAX_BODY", "-1")]))
            .unwrap_err();
        let lines = err.0;
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("INGRESS_ADDR is malformed"));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("WHATSAPP_APP_SECRET is not set"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("INGRESS_MAX_BODY is malformed"))
        );
    }

    #[test]
    fn defaults_follow_interfaces_md_and_secrets_are_redacted() {
        let cfg = IngressConfig::read(env(&[("WHATSAPP_APP_SECRET", "hunter2")])).unwrap();
        assert_eq!(cfg.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.max_body, 1024 * 1024);
        assert_eq!(cfg.metrics_addr.to_string(), "127.0.0.1:9101");
        assert_eq!(cfg.limits, IngressLimits::default());
        assert_eq!(cfg.limits.header_timeout, Duration::from_secs(5));
        assert_eq!(cfg.limits.max_concurrency, 256);
        assert!(!format!("{cfg:?}").contains("hunter2"));
        assert!(!format!("{cfg:?}").contains("guest:guest"));
        let w = WorkerConfig::read(env(&[("WHATSAPP_API_BASE", "http://127.0.0.1:9/")])).unwrap();
        assert_eq!(w.metrics_addr.to_string(), "127.0.0.1:9100");
        assert_eq!(w.api.whatsapp_api_base, "http://127.0.0.1:9");
        assert_eq!(w.api.whatsapp_api_version, "v21.0");
        assert_eq!(w.db.database_url.expose(), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn ingress_limits_are_read_and_zero_is_refused() {
        let cfg = IngressConfig::read(env(&[
            ("WHATSAPP_APP_SECRET", "s"),
            ("INGRESS_METRICS_ADDR", "0.0.0.0:9999"),
            ("INGRESS_HEADER_TIMEOUT_MS", "250"),
            ("INGRESS_BODY_TIMEOUT_MS", "750"),
            ("INGRESS_IDLE_TIMEOUT_MS", "1500"),
            ("INGRESS_MAX_CONCURRENCY", "3"),
            ("INGRESS_MAX_CONNECTIONS", "7"),
            ("INGRESS_MAX_BUFFERED", "2000000"),
        ]))
        .unwrap();
        assert_eq!(cfg.metrics_addr.to_string(), "0.0.0.0:9999");
        assert_eq!(
            cfg.limits,
            IngressLimits {
                header_timeout: Duration::from_millis(250),
                body_timeout: Duration::from_millis(750),
                idle_timeout: Duration::from_millis(1500),
                max_concurrency: 3,
                max_connections: 7,
                max_buffered: 2_000_000,
            }
        );
        let err = IngressConfig::read(env(&[
            ("WHATSAPP_APP_SECRET", "s"),
            ("INGRESS_HEADER_TIMEOUT_MS", "0"),
            ("INGRESS_MAX_CONCURRENCY", "0"),
            ("INGRESS_MAX_CONNECTIONS", "many"),
            ("INGRESS_METRICS_ADDR", "9101"),
            ("INGRESS_MAX_BUFFERED", "1000"),
        ]))
        .unwrap_err();
        for name in [
            "INGRESS_HEADER_TIMEOUT_MS",
            "INGRESS_MAX_CONCURRENCY",
            "INGRESS_MAX_CONNECTIONS",
            "INGRESS_METRICS_ADDR",
            "INGRESS_MAX_BUFFERED",
        ] {
            assert!(
                err.0
                    .iter()
                    .any(|l| l.starts_with(&format!("{name} is malformed"))),
                "{name}: {:?}",
                err.0
            );
        }
        assert_eq!(err.0.len(), 5, "{:?}", err.0);
    }

    #[test]
    fn growth_settings_have_documented_defaults_and_guard_rails() {
        let w = WorkerConfig::read(env(&[])).unwrap();
        assert_eq!(w.bus.limits, QueueLimits::default());
        assert_eq!(w.bus.limits.work, 100_000);
        assert_eq!(w.parking.park_after, 10);
        let day = Duration::from_secs(86_400);
        assert_eq!(w.retention.processed_events, Some(day * 30));
        assert_eq!(w.retention.outbox, Some(day * 7));
        assert_eq!(w.retention.system_events, Some(day * 180));
        assert_eq!(w.retention.action_tokens, Some(day * 30));
        let kept = WorkerConfig::read(env(&[("RETENTION_OUTBOX_DAYS", "0")])).unwrap();
        assert_eq!(kept.retention.outbox, None, "0 keeps forever");
        let err = WorkerConfig::read(env(&[
            ("RETENTION_PROCESSED_EVENTS_DAYS", "3"),
            ("QUEUE_MAX_LENGTH", "0"),
            ("ROW_MAX_ATTEMPTS", "0"),
        ]))
        .unwrap_err();
        assert_eq!(err.0.len(), 3, "{:?}", err.0);
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("RETENTION_PROCESSED_EVENTS_DAYS is too short"))
        );
    }

    #[test]
    fn malformed_urls_are_named() {
        let err = WorkerConfig::read(env(&[
            ("DATABASE_URL", "mysql://x"),
            ("STRIPE_API_BASE", "ftp://x"),
        ]))
        .unwrap_err();
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("DATABASE_URL is malformed"))
        );
        assert!(
            err.0
                .iter()
                .any(|l| l.starts_with("STRIPE_API_BASE is malformed"))
        );
    }
}
