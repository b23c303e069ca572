//! The fake Graph API's HTTP surface: `POST /{version}/{phone_number_id}/messages`,
//! `GET /{version}/{media_id}` and `GET /media-bytes/{media_id}`. Each handler checks the bearer
//! token, applies the scripted delay and faults, then validates and records.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::graph_faults::MetaError;
use super::graph_state::{GraphState, ReadReceipt, SentMessage};
use super::graph_validate::{Outgoing, classify};

type Shared = Arc<GraphState>;

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/media-bytes/{media_id}", get(media_bytes))
        .route("/{version}/{phone_number_id}/messages", post(send))
        .route("/{version}/{media_id}", get(media_info))
        .fallback(unknown_path)
        .with_state(state)
}

async fn send(
    State(state): State<Shared>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    delay(&state).await;
    let token = match authorize(&state, Some(&phone_number_id), &headers) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let json: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return MetaError::invalid_parameter(format!(
                "The request body is not valid JSON: {e}"
            ))
            .into_response();
        }
    };
    // Faults stand for Meta refusing the send before looking at it; reads never consume them.
    if json.get("status").is_none() {
        let to = json.get("to").and_then(Value::as_str);
        if let Some(fault) = state.take_fault(to) {
            return fault.to_error().into_response();
        }
    }
    match classify(&json) {
        Err(e) => e.into_response(),
        Ok(Outgoing::Read { message_id }) => {
            state.record_read(ReadReceipt {
                phone_number_id,
                message_id,
                token,
                at: Utc::now(),
            });
            axum::Json(json!({"success": true})).into_response()
        }
        Ok(Outgoing::Send { to, kind }) => {
            let wamid = state.next_wamid();
            let mut message = json!({"id": wamid});
            if kind == "template" {
                message["message_status"] = json!("accepted");
            }
            let answer = json!({
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to.trim_start_matches('+')}],
                "messages": [message],
            });
            state.record_sent(SentMessage {
                wamid,
                phone_number_id,
                to,
                kind,
                body: json,
                token,
                received_at: std::time::Instant::now(),
                at: Utc::now(),
            });
            axum::Json(answer).into_response()
        }
    }
}

async fn media_info(
    State(state): State<Shared>,
    Path((_version, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    delay(&state).await;
    if let Err(e) = authorize(&state, None, &headers) {
        return e.into_response();
    }
    let Some(media) = state.lock().media.get(&media_id).cloned() else {
        return unknown_object(&media_id).into_response();
    };
    axum::Json(json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/media-bytes/{media_id}", state.base_url),
        "mime_type": media.mime,
        "sha256": media.sha256,
        "file_size": media.bytes.len().to_string(),
        "id": media_id,
    }))
    .into_response()
}

async fn media_bytes(
    State(state): State<Shared>,
    Path(media_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    delay(&state).await;
    if let Err(e) = authorize(&state, None, &headers) {
        return e.into_response();
    }
    match state.lock().media.get(&media_id).cloned() {
        Some(media) => ([(header::CONTENT_TYPE, media.mime)], media.bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "media not found").into_response(),
    }
}

async fn unknown_path() -> Response {
    let mut e = MetaError::invalid_parameter("Unknown path components");
    e.http_status = 404;
    e.into_response()
}

/// Meta's answer for an id that does not exist (or that this token cannot see).
fn unknown_object(id: &str) -> MetaError {
    MetaError::invalid_parameter(format!(
        "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
    ))
}

async fn delay(state: &GraphState) {
    let delay = state.lock().delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// The bearer token, if acceptable: the configured one for `phone_number_id` when there is one;
/// for media (no number), any configured token, or any non-empty token when none is configured.
fn authorize(
    state: &GraphState,
    phone_number_id: Option<&str>,
    headers: &HeaderMap,
) -> Result<String, MetaError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(MetaError::bad_token)?;
    let inner = state.lock();
    let accepted = match phone_number_id.and_then(|id| inner.tokens.get(id)) {
        Some(expected) => expected == token,
        None if phone_number_id.is_some() => true,
        None => inner.tokens.is_empty() || inner.tokens.values().any(|t| t == token),
    };
    if accepted {
        Ok(token.to_string())
    } else {
        Err(MetaError::bad_token())
    }
}
