//! `GET /admin/messages?parked=true[&artist=SLUG][&limit=N]`: outbound messages that are set
//! aside unsent — their send job went to the dead-letter queue, the sender found the job lost
//! (stalled), or the artist's sending is paused. The console's Queues page shows the same list.

use super::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use infra::store::messages;
use serde::Deserialize;
use serde_json::{Value, json};

/// Most messages one call returns (and the default).
const MAX_LIMIT: i64 = 500;
const DEFAULT_LIMIT: i64 = 100;

#[derive(Debug, Deserialize)]
pub struct MessagesQuery {
    parked: Option<String>,
    artist: Option<String>,
    limit: Option<String>,
}

/// `{"messages": [ParkedMessage...]}`, oldest first.
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<MessagesQuery>,
) -> Result<Json<Value>, ApiError> {
    // Only the parked ones are listed: the transcript of a lead is at GET /admin/leads/{id}.
    if q.parked.as_deref().map(str::trim) != Some("true") {
        return Err(ApiError::bad_request(
            "invalid_filter",
            "only parked=true is supported (a lead's messages are in GET /admin/leads/{id})",
        ));
    }
    let limit = match q.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::bad_request("invalid_limit", "limit must be 1 to 500"))?,
    };
    let artist = q.artist.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let parked = messages::parked(&state.pool, artist, limit)
        .await
        .map_err(|e| ApiError::internal("cannot read the parked messages", e))?;
    Ok(Json(json!({ "messages": parked })))
}
