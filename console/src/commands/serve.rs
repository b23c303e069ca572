//! `inkline serve`: the console web UI and the admin JSON API on CONSOLE_ADDR until SIGTERM.

use crate::server::{self, AppState};
use infra::config::ConsoleConfig;
use infra::shutdown::Shutdown;

pub async fn run() -> anyhow::Result<()> {
    let cfg = ConsoleConfig::from_env()?;
    if cfg.admin_api_key.is_none() {
        tracing::warn!("ADMIN_API_KEY is not set: the admin API refuses every call");
    }
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on CONSOLE_ADDR {}: {e}", cfg.addr))?;
    let state = AppState::connect(&cfg, &shutdown).await?;
    server::serve(listener, state, shutdown).await?;
    Ok(())
}
