//! Stripe webhooks: `Stripe-Signature` with a 300 s tolerance, then publish.

use super::body;
use crate::IngressState;
use crate::error::EdgeError;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use infra::bus::topology::INBOUND_STRIPE;
use infra::metrics::metrics;
use inkline_core::webhook::signature::{STRIPE_TOLERANCE_SECS, verify_stripe};

/// `POST /webhooks/stripe`: 400 without a configured secret or a `Stripe-Signature` header (both
/// before the body is read), or on a bad or stale signature; then JSON check, publish, 200.
pub async fn receive(
    State(state): State<IngressState>,
    req: Request,
) -> Result<impl IntoResponse, EdgeError> {
    // The request taken apart, not the headers cloned by an extractor.
    let (parts, raw) = req.into_parts();
    let headers = &parts.headers;
    const SOURCE: &str = "stripe";
    metrics()
        .webhooks_received
        .with_label_values(&[SOURCE])
        .inc();
    let Some(secret) = state.cfg.stripe_webhook_secret.as_ref() else {
        return Err(body::reject(
            SOURCE,
            StatusCode::BAD_REQUEST,
            "not_configured",
            "STRIPE_WEBHOOK_SECRET is not set",
        )
        .closing());
    };
    let sig =
        body::require_signature(SOURCE, headers, "Stripe-Signature", StatusCode::BAD_REQUEST)?;
    // Held (and counted against INGRESS_MAX_BUFFERED) until the publish is confirmed.
    let (bytes, budget) = body::read(&state, SOURCE, headers, raw).await?.into_parts();
    if let Err(e) = verify_stripe(
        secret.expose().as_bytes(),
        Some(sig),
        &bytes,
        (state.clock)(),
        STRIPE_TOLERANCE_SECS,
    ) {
        return Err(body::reject(
            SOURCE,
            StatusCode::BAD_REQUEST,
            e.reason(),
            e.to_string(),
        ));
    }
    body::require_json(SOURCE, headers, &bytes)?;
    body::publish(
        &state,
        SOURCE,
        INBOUND_STRIPE,
        (bytes, budget),
        body::correlation(headers),
    )
    .await
}
