//! The HTTP edge: verifies webhook signatures, publishes raw bodies to RabbitMQ with confirms,
//! answers 2xx only once the broker has the message. No database.

pub mod error;
pub mod ids;
pub mod json_depth;
pub mod json_syntax;
pub mod routes;
pub mod server;
pub mod shed;

use axum::Router;
use axum::routing::{get, post};
use infra::bus::Bus;
use infra::config::IngressConfig;
use infra::shutdown::Shutdown;
use server::PortLimits;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What every handler needs.
#[derive(Clone)]
pub struct IngressState {
    pub cfg: Arc<IngressConfig>,
    pub bus: Bus,
    /// Unix seconds now (a function so tests can pin Stripe's clock).
    pub clock: fn() -> i64,
    /// One permit per webhook request in flight (`INGRESS_MAX_CONCURRENCY`).
    pub in_flight: Arc<Semaphore>,
    /// One permit per body byte held in memory (`INGRESS_MAX_BUFFERED`).
    pub body_budget: Arc<Semaphore>,
}

impl IngressState {
    pub fn new(cfg: IngressConfig, bus: Bus) -> Self {
        IngressState {
            in_flight: Arc::new(Semaphore::new(
                cfg.limits.max_concurrency.min(Semaphore::MAX_PERMITS),
            )),
            body_budget: Arc::new(Semaphore::new(
                cfg.limits.max_buffered.min(Semaphore::MAX_PERMITS),
            )),
            cfg: Arc::new(cfg),
            bus,
            clock: system_clock,
        }
    }
}

pub fn system_clock() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The public port: the webhooks (admitted by [`shed::admit`]) and health. Everything else,
/// `/metrics` included, is 404.
pub fn router(state: IngressState) -> Router {
    let webhooks = Router::new()
        .route(
            "/webhooks/whatsapp",
            get(routes::whatsapp::handshake).post(routes::whatsapp::receive),
        )
        .route("/webhooks/stripe", post(routes::stripe::receive))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            shed::admit,
        ));
    Router::new()
        .merge(webhooks)
        .merge(health_routes())
        .fallback(routes::health::not_found)
        .with_state(state)
}

/// The internal port (`INGRESS_METRICS_ADDR`): Prometheus metrics and health, for the cluster only.
pub fn internal_router(state: IngressState) -> Router {
    health_routes()
        .route("/metrics", get(routes::health::metrics))
        .fallback(routes::health::not_found)
        .with_state(state)
}

fn health_routes() -> Router<IngressState> {
    Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
}

/// The ingress's two sockets: webhooks on `public`, metrics and health on `internal`.
#[derive(Debug)]
pub struct Listeners {
    pub public: TcpListener,
    pub internal: TcpListener,
}

impl Listeners {
    /// Binds `INGRESS_ADDR` and `INGRESS_METRICS_ADDR`; an error names the variable.
    pub async fn bind(cfg: &IngressConfig) -> anyhow::Result<Listeners> {
        let public = TcpListener::bind(cfg.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on INGRESS_ADDR {}: {e}", cfg.addr))?;
        let internal = bind_internal(cfg).await?;
        Ok(Listeners { public, internal })
    }
}

async fn bind_internal(cfg: &IngressConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind(cfg.metrics_addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "cannot listen on INGRESS_METRICS_ADDR {}: {e}",
                cfg.metrics_addr
            ),
        )
    })
}

/// Serves webhooks on `listener` and metrics on a newly bound `INGRESS_METRICS_ADDR` until
/// `shutdown`, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    cfg: IngressConfig,
    bus: Bus,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let internal = bind_internal(&cfg).await?;
    serve_on(
        Listeners {
            public: listener,
            internal,
        },
        cfg,
        bus,
        shutdown,
    )
    .await
}

/// Serves both ports until `shutdown`, then finishes in-flight requests.
pub async fn serve_on(
    listeners: Listeners,
    cfg: IngressConfig,
    bus: Bus,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let state = IngressState::new(cfg, bus);
    let limits = state.cfg.limits;
    tracing::info!(
        addr = %listeners.public.local_addr()?,
        metrics_addr = %listeners.internal.local_addr()?,
        "ingress listening"
    );
    tokio::join!(
        server::serve(
            listeners.public,
            router(state.clone()),
            PortLimits::public(&limits),
            shutdown.clone(),
        ),
        server::serve(
            listeners.internal,
            internal_router(state),
            PortLimits::internal(&limits),
            shutdown,
        ),
    );
    Ok(())
}

/// Binds the configured addresses, connects the bus and serves until shutdown.
pub async fn run(cfg: IngressConfig, shutdown: Shutdown) -> anyhow::Result<()> {
    let listeners = Listeners::bind(&cfg).await?;
    // The bus stops only after both servers have drained, so a webhook in flight at shutdown
    // still gets its publisher confirm (and its 200) instead of a 503.
    let bus_stop = Shutdown::new();
    let bus = Bus::start(cfg.bus.clone(), "ingress", bus_stop.clone());
    let served = serve_on(listeners, cfg, bus, shutdown).await;
    bus_stop.trigger();
    served?;
    Ok(())
}
