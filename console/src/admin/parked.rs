//! `GET /admin/parked` (rows the time-driven loops parked after repeated failures) and
//! `POST /admin/parked/{loop}/retry` (put them back in line) — the API twin of `inkline parked`.

use super::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use infra::store::parking::{self, Loop};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "loop")]
    only: Option<String>,
}

fn parse_loop(s: &str) -> Result<Loop, ApiError> {
    s.parse()
        .map_err(|e: String| ApiError::bad_request("invalid_loop", e))
}

/// `{"parked": [{"loop", "id", "lead_id", "what", "attempts", "parked_at", "reason"}]}`, newest
/// first (at most 500).
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let only = match q.only.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_loop(s)?),
    };
    let rows = parking::list(&state.pool, only, 500)
        .await
        .map_err(|e| ApiError::internal("cannot list parked rows", e))?;
    Ok(Json(json!({ "parked": rows })))
}

#[derive(Debug, Deserialize)]
pub struct RetryQuery {
    id: Option<String>,
}

/// Puts the parked rows of a loop back in line (all, or `?id=`): `{"loop", "retried"}`.
pub async fn retry(
    State(state): State<AppState>,
    Path(lp): Path<String>,
    Query(q): Query<RetryQuery>,
) -> Result<Json<Value>, ApiError> {
    let lp = parse_loop(&lp).map_err(|_| ApiError::not_found(format!("no loop {lp:?}")))?;
    let id = match q.id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<Uuid>()
                .map_err(|_| ApiError::bad_request("invalid_id", "id must be a UUID"))?,
        ),
    };
    let retried = parking::retry(&state.pool, lp, id, "admin-api")
        .await
        .map_err(|e| ApiError::internal("cannot retry parked rows", e))?;
    if id.is_some() && retried == 0 {
        return Err(ApiError::not_found(format!(
            "no parked {lp} row with that id"
        )));
    }
    tracing::info!(%lp, retried, "parked rows put back through the admin API");
    Ok(Json(json!({ "loop": lp.as_str(), "retried": retried })))
}
