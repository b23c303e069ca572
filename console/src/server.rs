//! The console's HTTP server: the router (admin API and web pages) and serving until shutdown.

pub use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use infra::shutdown::Shutdown;
use tokio::net::TcpListener;

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
