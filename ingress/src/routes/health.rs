//! Liveness and readiness (broker connected) on both ports; Prometheus metrics on the internal one.

use crate::IngressState;
use crate::error::EdgeError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

pub async fn readyz(State(state): State<IngressState>) -> impl IntoResponse {
    if state.bus.is_connected() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "broker unavailable")
    }
}

pub async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        infra::metrics::metrics().render(),
    )
}

pub async fn not_found() -> EdgeError {
    EdgeError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
