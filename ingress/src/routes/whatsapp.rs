//! WhatsApp webhooks: the GET verification handshake and signed POST notifications.

use super::body;
use crate::IngressState;
use crate::error::EdgeError;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use infra::bus::topology::INBOUND_WHATSAPP;
use infra::metrics::metrics;
use inkline_core::webhook::signature::verify_whatsapp;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// `GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` → `C` or 403.
pub async fn handshake(
    State(state): State<IngressState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let expected = state.cfg.whatsapp_verify_token.as_ref();
    let mode_ok = q.get("hub.mode").map(String::as_str) == Some("subscribe");
    let token_ok = match (expected, q.get("hub.verify_token")) {
        (Some(want), Some(got)) => bool::from(want.expose().as_bytes().ct_eq(got.as_bytes())),
        _ => false,
    };
    match q.get("hub.challenge") {
        Some(challenge) if mode_ok && token_ok => {
            (StatusCode::OK, challenge.clone()).into_response()
        }
        _ => EdgeError::new(
            StatusCode::FORBIDDEN,
            "verification_failed",
            "verify token or mode does not match",
        )
        .into_response(),
    }
}

/// `POST /webhooks/whatsapp`: refuse a request without `X-Hub-Signature-256` before reading its
/// body, then verify the signature over the raw body, check it is JSON, publish, then 200.
pub async fn receive(
    State(state): State<IngressState>,
    req: Request,
) -> Result<impl IntoResponse, EdgeError> {
    // The request taken apart, not the headers cloned by an extractor.
    let (parts, raw) = req.into_parts();
    let headers = &parts.headers;
    const SOURCE: &str = "whatsapp";
    metrics()
        .webhooks_received
        .with_label_values(&[SOURCE])
        .inc();
    let sig = body::require_signature(
        SOURCE,
        headers,
        "X-Hub-Signature-256",
        StatusCode::FORBIDDEN,
    )?;
    // Held (and counted against INGRESS_MAX_BUFFERED) until the publish is confirmed.
    let (bytes, budget) = body::read(&state, SOURCE, headers, raw).await?.into_parts();
    if let Err(e) = verify_whatsapp(
        state.cfg.whatsapp_app_secret.expose().as_bytes(),
        Some(sig),
        &bytes,
    ) {
        return Err(body::reject(
            SOURCE,
            StatusCode::FORBIDDEN,
            e.reason(),
            e.to_string(),
        ));
    }
    body::require_json(SOURCE, headers, &bytes)?;
    body::publish(
        &state,
        SOURCE,
        INBOUND_WHATSAPP,
        (bytes, budget),
        body::correlation(headers),
    )
    .await
}
