//! The workers' `/metrics`, `/healthz` and `/readyz` on `WORKER_METRICS_ADDR`.

use crate::Fleet;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use infra::shutdown::Shutdown;
use std::net::SocketAddr;

async fn readyz(State(fleet): State<Fleet>) -> impl IntoResponse {
    let db = infra::store::db::ping(&fleet.pool).await;
    let bus = fleet.bus.is_connected();
    let status = if db && bus {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({"database": db, "broker": bus})),
    )
}

pub fn router(fleet: Fleet) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(|| async {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    infra::metrics::metrics().render(),
                )
            }),
        )
        .with_state(fleet)
}

/// Serves until shutdown. A bind failure is logged, not fatal (several test workers share a host).
pub async fn serve(addr: SocketAddr, fleet: Fleet, shutdown: Shutdown) {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => {
            tracing::info!(%addr, "worker metrics listening");
            let _ = axum::serve(listener, router(fleet))
                .with_graceful_shutdown(async move { shutdown.wait().await })
                .await;
        }
        Err(e) => {
            tracing::error!(%addr, error = %e, "cannot listen on WORKER_METRICS_ADDR; metrics unavailable")
        }
    }
}
