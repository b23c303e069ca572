//! Stripe webhooks: `Stripe-Signature` with a 300 s tolerance, then publish.

use super::body;
use crate::AppState;
use crate::error::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use shared::bus::topology::INBOUND_STRIPE;
use shared::metrics::metrics;
use shared::webhook::signature::{STRIPE_TOLERANCE_SECS, verify_stripe};

/// `POST /webhooks/stripe`: 400 on a bad or stale signature (or when no secret is configured).
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: Body,
) -> Result<impl IntoResponse, ApiError> {
    const SOURCE: &str = "stripe";
    metrics()
        .webhooks_received
        .with_label_values(&[SOURCE])
        .inc();
    let bytes = body::read(SOURCE, &headers, raw, state.cfg.max_body).await?;
    let Some(secret) = state.cfg.stripe_webhook_secret.as_ref() else {
        metrics()
            .webhooks_rejected
            .with_label_values(&[SOURCE, "not_configured"])
            .inc();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "not_configured",
            "STRIPE_WEBHOOK_SECRET is not set",
        ));
    };
    if headers.get_all("stripe-signature").iter().count() > 1 {
        metrics()
            .webhooks_rejected
            .with_label_values(&[SOURCE, "signature_duplicated"])
            .inc();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "signature_duplicated",
            "more than one Stripe-Signature header",
        ));
    }
    let sig = headers
        .get("stripe-signature")
        .map(|v| v.to_str().unwrap_or(""));
    if let Err(e) = verify_stripe(
        secret.expose().as_bytes(),
        sig,
        &bytes,
        (state.clock)(),
        STRIPE_TOLERANCE_SECS,
    ) {
        metrics()
            .webhooks_rejected
            .with_label_values(&[SOURCE, e.reason()])
            .inc();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            e.reason(),
            e.to_string(),
        ));
    }
    body::require_json(SOURCE, &headers, &bytes)?;
    body::publish(
        &state,
        SOURCE,
        INBOUND_STRIPE,
        bytes,
        body::correlation_id(&headers),
    )
    .await
}
