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
    pub bus: BusConfig,
    pub whatsapp_app_secret: Secret,
    pub whatsapp_verify_token: Option<Secret>,
    pub stripe_webhook_secret: Option<Secret>,
    pub max_body: usize,
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
            bus: BusConfig::read(&mut env),
            whatsapp_app_secret: env.required_secret(
                "WHATSAPP_APP_SECRET",
                "the ingress cannot verify WhatsApp webhooks without the app secret",
            ),
            whatsapp_verify_token: env.optional_secret("WHATSAPP_VERIFY_TOKEN"),
            stripe_webhook_secret: env.optional_secret("STRIPE_WEBHOOK_SECRET"),
            max_body: env.parse("INGRESS_MAX_BODY", 1024 * 1024, "a size in bytes"),
        };
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
    /// How long a queued outbound message may go unvisited by any sender, past when one was
    /// expected, before it is parked as stalled (its job lost to the DLQ without the handler
    /// knowing) and younger messages to the same client stop waiting for it (`SEND_STALL_SECS`).
    pub send_stall: Duration,
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
            send_stall: Duration::from_secs(env.parse(
                "SEND_STALL_SECS",
                900,
                "a positive number of seconds",
            ))
            .max(Duration::from_secs(1)),
        };
        env.finish().map(|()| cfg)
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
        assert!(!format!("{cfg:?}").contains("hunter2"));
        assert!(!format!("{cfg:?}").contains("guest:guest"));
        let w = WorkerConfig::read(env(&[("WHATSAPP_API_BASE", "http://127.0.0.1:9/")])).unwrap();
        assert_eq!(w.metrics_addr.to_string(), "127.0.0.1:9100");
        assert_eq!(w.api.whatsapp_api_base, "http://127.0.0.1:9");
        assert_eq!(w.api.whatsapp_api_version, "v21.0");
        assert_eq!(w.db.database_url.expose(), DEFAULT_DATABASE_URL);
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
