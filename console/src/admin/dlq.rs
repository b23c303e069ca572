//! `GET /admin/dlq` (dead letters and depth per queue) and `POST /admin/dlq/{queue}/replay`.

use super::error::ApiError;
use crate::queues;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

/// `{"queues": [{"queue", "dlq", "dead_letters", "depth", "consumers", "retry_depth"}]}`.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let stats = queues::stats(&state.bus)
        .await
        .map_err(|e| ApiError::unavailable(format!("cannot read the queues from RabbitMQ: {e}")))?;
    Ok(Json(json!({ "queues": stats })))
}

#[derive(Debug, Deserialize)]
pub struct ReplayQuery {
    limit: Option<String>,
}

/// Moves dead letters of `queue` back to it (all, or `?limit=N`): `{"queue", "replayed"}`.
pub async fn replay(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    Query(q): Query<ReplayQuery>,
) -> Result<Json<Value>, ApiError> {
    if !queues::is_queue(&queue) {
        return Err(ApiError::not_found(format!("no queue {queue:?}")));
    }
    let limit = match q.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(l) => Some(l.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::bad_request("invalid_limit", "limit must be a positive number")
        })?),
    };
    let replayed = infra::bus::dlq::replay(&state.bus, &queue, limit)
        .await
        .map_err(|e| ApiError::unavailable(format!("replay stopped: {e}")))?;
    tracing::info!(%queue, replayed, "dead letters replayed through the admin API");
    Ok(Json(json!({ "queue": queue, "replayed": replayed })))
}
