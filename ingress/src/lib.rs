//! The HTTP edge: verifies webhook signatures, publishes raw bodies to RabbitMQ with confirms,
//! answers 2xx only once the broker has the message. No database.

pub mod error;
pub mod routes;

use axum::Router;
use axum::routing::{get, post};
use shared::bus::Bus;
use shared::config::IngressConfig;
use shared::shutdown::Shutdown;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<IngressConfig>,
    pub bus: Bus,
    /// Unix seconds now (a function so tests can pin Stripe's clock).
    pub clock: fn() -> i64,
}

pub fn system_clock() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The ingress routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/webhooks/whatsapp",
            get(routes::whatsapp::handshake).post(routes::whatsapp::receive),
        )
        .route("/webhooks/stripe", post(routes::stripe::receive))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/metrics", get(routes::health::metrics))
        .fallback(routes::health::not_found)
        .with_state(state)
}

/// Serves on `listener` until `shutdown`, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    cfg: IngressConfig,
    bus: Bus,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let state = AppState {
        cfg: Arc::new(cfg),
        bus,
        clock: system_clock,
    };
    let app = router(state);
    tracing::info!(addr = %listener.local_addr()?, "ingress listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}

/// Binds the configured address, connects the bus and serves until shutdown.
pub async fn run(cfg: IngressConfig, shutdown: Shutdown) -> anyhow::Result<()> {
    let listener = TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on INGRESS_ADDR {}: {e}", cfg.addr))?;
    let bus = Bus::start(cfg.bus.clone(), "ingress", shutdown.child());
    serve(listener, cfg, bus, shutdown).await?;
    Ok(())
}
