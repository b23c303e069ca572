//! Stripe webhook events: the event envelope (external-apis.md 2.2), its `Stripe-Signature`, and
//! the POST to the configured webhook URL. What was delivered, and how the receiver answered,
//! comes back as a [`WebhookDelivery`].

use std::time::Duration;

use serde_json::{Value, json};

use inkline_core::webhook::signature::sign_stripe;

/// The API version the fake's events claim to be rendered with (the one Inkline pins).
pub const API_VERSION: &str = "2024-06-20";
/// How long the fake waits for the webhook receiver to answer.
pub(crate) const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One event sent (or meant to be sent) to the webhook URL.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    /// The event JSON (`Value::Null` when a hand-made body was not JSON).
    pub event: Value,
    /// The exact bytes posted (and signed).
    pub body: Vec<u8>,
    /// The `Stripe-Signature` header value sent.
    pub signature: String,
    /// The receiver's HTTP status; `None` when there is no webhook URL or the POST failed.
    pub status: Option<u16>,
    /// Why the POST failed, or `"no webhook URL configured"`.
    pub error: Option<String>,
}

impl WebhookDelivery {
    /// The event's `type` (`checkout.session.completed`...), if any.
    pub fn event_type(&self) -> Option<&str> {
        self.event.get("type").and_then(Value::as_str)
    }

    /// True when the receiver answered 2xx.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The event envelope around `object`, caused by no API request (the HTTP handlers fill in
/// `request` for events their call caused).
pub(crate) fn event_json(event_type: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "api_version": API_VERSION,
        "created": chrono::Utc::now().timestamp(),
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

/// Serialises and signs `event` at the current time.
pub(crate) fn signed(secret: &str, event: &Value) -> (Vec<u8>, String) {
    // Serialising a JSON value cannot fail.
    let body = serde_json::to_vec(event).unwrap_or_default();
    let header = sign_stripe(secret.as_bytes(), chrono::Utc::now().timestamp(), &body);
    (body, header)
}

/// POSTs `body` with `header` to `url` (when there is one) and reports the outcome.
pub(crate) async fn post(
    http: &reqwest::Client,
    url: Option<&str>,
    body: Vec<u8>,
    header: String,
) -> WebhookDelivery {
    let event = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut delivery = WebhookDelivery {
        event,
        body,
        signature: header,
        status: None,
        error: None,
    };
    let Some(url) = url else {
        delivery.error = Some("no webhook URL configured".to_string());
        return delivery;
    };
    let sent = http
        .post(url)
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Stripe-Signature", &delivery.signature)
        .header(
            "User-Agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        )
        .body(delivery.body.clone())
        .timeout(DELIVERY_TIMEOUT)
        .send()
        .await;
    match sent {
        Ok(response) => delivery.status = Some(response.status().as_u16()),
        Err(e) => delivery.error = Some(e.to_string()),
    }
    delivery
}
