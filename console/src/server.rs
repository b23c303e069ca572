//! The console's HTTP server: the state every handler shares, the router (admin API and web
//! pages) and serving until shutdown.

use crate::auth::Keys;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use infra::bus::Bus;
use infra::config::ConsoleConfig;
use infra::shutdown::Shutdown;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub bus: Bus,
    pub keys: Arc<Keys>,
    /// Where the media of reference images is kept (`MEDIA_DIR`).
    pub media_dir: Arc<PathBuf>,
    /// Mark cookies `Secure` (PUBLIC_BASE_URL is https).
    pub secure_cookies: bool,
    /// Where reference images not (yet) in `MEDIA_DIR` may be found (the sandbox's uploads).
    pub media_fallback: Option<Arc<dyn crate::pages::media::MediaSource>>,
}

impl AppState {
    /// Connects to Postgres (checking the schema version) and starts the bus.
    pub async fn connect(cfg: &ConsoleConfig, shutdown: &Shutdown) -> anyhow::Result<AppState> {
        let pool = infra::store::db::connect(&cfg.db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
        infra::store::db::check_schema(&pool).await?;
        let bus = Bus::start(cfg.bus.clone(), "console", shutdown.child());
        Ok(AppState::new(pool, bus, cfg))
    }

    /// The state from already-open connections.
    pub fn new(pool: PgPool, bus: Bus, cfg: &ConsoleConfig) -> AppState {
        infra::actions::links::configure_public_base_url(&cfg.api.public_base_url);
        AppState {
            pool,
            bus,
            keys: Arc::new(Keys::new(
                cfg.admin_api_key.clone(),
                cfg.session_secret.clone(),
            )),
            media_dir: Arc::new(PathBuf::from(&cfg.api.media_dir)),
            secure_cookies: cfg.api.public_base_url.starts_with("https://"),
            media_fallback: None,
        }
    }
}

/// Every console route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(crate::admin::router(state.clone()))
        .merge(crate::pages::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Serves on `listener` until `shutdown`, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    serve_router(listener, router(state), shutdown).await
}

/// Serves `app` (the console's router, perhaps with more routes merged) on `listener` until
/// `shutdown`, then finishes in-flight requests.
pub async fn serve_router(
    listener: TcpListener,
    app: Router,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "console listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}

async fn healthz() -> &'static str {
    "ok"
}

/// Database and broker reachable.
async fn readyz(State(state): State<AppState>) -> Response {
    let db = infra::store::db::ping(&state.pool).await;
    let broker = state.bus.is_connected();
    let status = if db && broker {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({"database": db, "broker": broker})),
    )
        .into_response()
}

/// JSON for API clients, a page for people.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/admin/") || uri.path() == "/admin" {
        crate::admin::error::ApiError::not_found("no such endpoint").into_response()
    } else {
        crate::pages::error::PageError::not_found().into_response()
    }
}

/// Headers every answer carries: no framing, no sniffing, no referrer leaking lead ids.
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}
