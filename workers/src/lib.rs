//! Worker roles: each drains its own queue (or table) and is started by `inkline-worker ROLE...`.

pub mod artists;
pub mod conversation;
pub mod health;
pub mod observed;
pub mod payments;
pub mod relay;
pub mod reminders;
pub mod retention;
pub mod rows;
pub mod sender;

use infra::bus::Bus;
use infra::config::WorkerConfig;
use infra::shutdown::Shutdown;
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;

/// A worker role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Conversation,
    Payments,
    Sender,
    Relay,
    Reminders,
    Sheets,
    Calendar,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Conversation,
        Role::Payments,
        Role::Sender,
        Role::Relay,
        Role::Reminders,
        Role::Sheets,
        Role::Calendar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Conversation => "conversation",
            Role::Payments => "payments",
            Role::Sender => "sender",
            Role::Relay => "relay",
            Role::Reminders => "reminders",
            Role::Sheets => "sheets",
            Role::Calendar => "calendar",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?} (expected conversation, payments, sender, relay, reminders, sheets, calendar or all)"))
    }
}

/// Parses `ROLE...` arguments (`all` means every role).
pub fn parse_roles(args: &[String]) -> Result<Vec<Role>, String> {
    if args.is_empty() {
        return Err("name at least one role (or all)".into());
    }
    let mut roles = Vec::new();
    for a in args {
        if a == "all" {
            roles.extend(Role::ALL);
        } else {
            roles.push(a.parse()?);
        }
    }
    roles.dedup();
    Ok(roles)
}

/// Everything the roles share in one process.
#[derive(Clone)]
pub struct Fleet {
    pub cfg: Arc<WorkerConfig>,
    pub pool: PgPool,
    pub bus: Bus,
    pub http: reqwest::Client,
}

impl Fleet {
    /// Connects to Postgres (checking the schema version) and starts the bus.
    pub async fn connect(cfg: WorkerConfig, shutdown: &Shutdown) -> anyhow::Result<Fleet> {
        let pool = infra::store::db::connect(&cfg.db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
        infra::store::db::check_schema(&pool).await?;
        infra::actions::links::configure_public_base_url(&cfg.api.public_base_url);
        let bus = Bus::start(cfg.bus.clone(), "worker", shutdown.child());
        let http = reqwest::Client::builder()
            .timeout(cfg.api.http_timeout)
            .connect_timeout(cfg.api.http_timeout)
            .build()?;
        Ok(Fleet {
            cfg: Arc::new(cfg),
            pool,
            bus,
            http,
        })
    }
}

/// Runs `roles` until shutdown; returns when every role has finished its in-flight work.
pub async fn run_roles(fleet: Fleet, roles: &[Role], shutdown: Shutdown) {
    let mut tasks = tokio::task::JoinSet::new();
    for role in roles {
        let (fleet, shutdown) = (fleet.clone(), shutdown.clone());
        let role = *role;
        tracing::info!(role = role.as_str(), "starting role");
        match role {
            Role::Conversation => {
                tasks.spawn(conversation::run(fleet, shutdown));
            }
            Role::Relay => {
                tasks.spawn(relay::run(fleet, shutdown));
            }
            Role::Sender => {
                tasks.spawn(sender::run(fleet, shutdown));
            }
            Role::Reminders => {
                tasks.spawn(reminders::run(fleet, shutdown));
            }
            Role::Payments => {
                tasks.spawn(payments::run(fleet, shutdown));
            }
            Role::Sheets | Role::Calendar => {
                tasks.spawn(async move {
                    tracing::warn!(
                        role = role.as_str(),
                        "role not implemented in this build; idling"
                    );
                    shutdown.wait().await;
                });
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// The whole process: fleet, metrics endpoint, roles; until shutdown.
pub async fn run(cfg: WorkerConfig, roles: Vec<Role>, shutdown: Shutdown) -> anyhow::Result<()> {
    let metrics_addr = cfg.metrics_addr;
    let fleet = Fleet::connect(cfg, &shutdown).await?;
    let health = tokio::spawn(health::serve(metrics_addr, fleet.clone(), shutdown.clone()));
    run_roles(fleet, &roles, shutdown).await;
    let _ = health.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse() {
        assert_eq!(parse_roles(&["all".into()]).unwrap().len(), 7);
        assert_eq!(
            parse_roles(&["relay".into(), "sender".into()]).unwrap(),
            vec![Role::Relay, Role::Sender]
        );
        assert!(parse_roles(&[]).is_err());
        assert!(
            parse_roles(&["cook".into()])
                .unwrap_err()
                .contains("unknown role")
        );
    }
}
