//! Admission for webhook requests: at most `INGRESS_MAX_CONCURRENCY` in flight — the next one is
//! answered 503 `overloaded` at once instead of queueing — and a deadline on every handler.

use crate::IngressState;
use crate::routes::body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use infra::metrics::metrics;
use std::time::Duration;

/// Slack on top of the body and publish timeouts before a handler is abandoned.
const HANDLER_SLACK: Duration = Duration::from_secs(1);

/// Runs the request if a slot is free (503 `overloaded` if not), within the handler deadline
/// (503 `timeout` after it; the body and publish timeouts normally answer first).
pub async fn admit(State(state): State<IngressState>, req: Request, next: Next) -> Response {
    let source = source_of(req.uri().path());
    let Ok(_slot) = state.in_flight.clone().try_acquire_owned() else {
        return body::reject(
            source,
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many webhooks in flight; retry shortly",
        )
        .closing()
        .into_response();
    };
    let _gauge = InFlightGauge::enter();
    match tokio::time::timeout(handler_deadline(&state), next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(
                source,
                "webhook handler ran past its deadline; answering 503"
            );
            body::reject(
                source,
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the webhook could not be handled in time; retry shortly",
            )
            .closing()
            .into_response()
        }
    }
}

/// The longest a webhook handler may run: reading the body, then waiting for the broker.
pub fn handler_deadline(state: &IngressState) -> Duration {
    state.cfg.limits.body_timeout + state.cfg.bus.publish_timeout + HANDLER_SLACK
}

/// The metrics label of a webhook path.
fn source_of(path: &str) -> &'static str {
    if path.starts_with("/webhooks/stripe") {
        "stripe"
    } else {
        "whatsapp"
    }
}

/// Counts a request in the in-flight gauge until dropped (answered or abandoned).
struct InFlightGauge;

impl InFlightGauge {
    fn enter() -> Self {
        metrics().ingress_in_flight.inc();
        InFlightGauge
    }
}

impl Drop for InFlightGauge {
    fn drop(&mut self) {
        metrics().ingress_in_flight.dec();
    }
}
