//! Stripe's API as Inkline uses it: create a Checkout Session for a deposit, expire one, and find
//! the session behind a payment intent (a refund that overtook its payment's event).
//! Form-encoded bodies with bracket keys, `Idempotency-Key` on every POST, bounded retries on
//! network errors, 409, 429 and 5xx (honouring `Stripe-Should-Retry` and `Retry-After`), a
//! timeout on every call, and the secret key never logged.

use crate::config::Secret;
use inkline_core::domain::Money;
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

/// The API version Inkline pins (event payloads are rendered in it too).
pub const API_VERSION: &str = "2024-06-20";

/// What the payments worker asks Stripe for.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub lead_id: Uuid,
    /// The artist's slug (`metadata[artist]`).
    pub artist: String,
    pub amount: Money,
    /// The line item's name the client sees on the checkout page.
    pub product_name: String,
    pub success_url: String,
    pub cancel_url: String,
    /// Unix seconds (see `payments::checkout_expiry`).
    pub expires_at: i64,
    pub idempotency_key: String,
}

impl CheckoutRequest {
    /// The form pairs, in order (bracket keys flat, as Stripe reads them).
    pub fn form(&self) -> Vec<(String, String)> {
        let lead = self.lead_id.to_string();
        let pairs: [(&str, String); 12] = [
            ("mode", "payment".into()),
            (
                "line_items[0][price_data][currency]",
                self.amount.currency.lower(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                self.amount.amount_minor.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                self.product_name.clone(),
            ),
            ("line_items[0][quantity]", "1".into()),
            ("success_url", self.success_url.clone()),
            ("cancel_url", self.cancel_url.clone()),
            ("client_reference_id", lead.clone()),
            ("metadata[lead_id]", lead.clone()),
            ("metadata[artist]", self.artist.clone()),
            ("payment_intent_data[metadata][lead_id]", lead),
            ("expires_at", self.expires_at.to_string()),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

/// The parts of a Checkout Session Inkline keeps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub payment_status: Option<String>,
    /// `pi_…` once the customer paid (null before).
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// Our lead id.
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// A page of a Stripe list (`{"object": "list", "data": [...], "has_more": ...}`).
#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

/// What expiring a session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expired {
    /// It was open and is expired now.
    Now,
    /// It was already complete or expired (Stripe answers 400): nothing to do.
    AlreadyFinal,
}

/// A failed Stripe call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe answered {http_status} {error_type}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        http_status: u16,
        error_type: String,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
        should_retry: Option<bool>,
        retry_after: Option<Duration>,
    },
    #[error("cannot reach Stripe: {0}")]
    Transport(String),
    #[error("unexpected answer from Stripe: {0}")]
    Decode(String),
    #[error("STRIPE_SECRET_KEY is not set")]
    NoKey,
}

impl StripeError {
    /// Whether trying again with the same idempotency key may succeed (Stripe's SDK rules:
    /// `Stripe-Should-Retry` decides when present; else network errors, 409, 429 and 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            StripeError::Api {
                should_retry: Some(r),
                ..
            } => *r,
            StripeError::Api { http_status, .. } => {
                *http_status == 409 || *http_status == 429 || *http_status >= 500
            }
            StripeError::Transport(_) => true,
            StripeError::Decode(_) | StripeError::NoKey => false,
        }
    }
}

/// How often and how long to retry a call inside one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// SDK style: 0.5 s doubling, capped at 4 s, four tries.
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// The wait before try `n + 1` (n ≥ 1): Retry-After when Stripe gave one, else exponential with
    /// jitter; never above `max_delay`.
    pub fn delay(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << n.saturating_sub(1).min(10));
        let capped = exp.min(self.max_delay);
        // Up to 25% jitter so concurrent workers do not retry in step.
        let jitter = capped.mul_f64(rand::random::<f64>() * 0.25);
        (capped - jitter).max(Duration::from_millis(1))
    }
}

/// The Stripe API client.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: String,
    key: Option<Secret>,
    timeout: Duration,
    retry: RetryPolicy,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    error_type: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl StripeClient {
    /// A client of `base` (`STRIPE_API_BASE`) with the secret key, calling with `timeout`.
    pub fn new(http: reqwest::Client, base: &str, key: Option<Secret>, timeout: Duration) -> Self {
        StripeClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            timeout,
            retry: RetryPolicy::default(),
        }
    }

    /// Whether events must be live mode for this key.
    pub fn expects_livemode(&self) -> bool {
        inkline_core::payments::expects_livemode(self.key.as_ref().map(Secret::expose))
    }

    /// `POST /v1/checkout/sessions`, retried within the policy with the same idempotency key.
    pub async fn create_checkout_session(
        &self,
        req: &CheckoutRequest,
    ) -> Result<CheckoutSession, StripeError> {
        let body = encode(&req.form());
        let value = self
            .post_retrying("/v1/checkout/sessions", &body, &req.idempotency_key)
            .await?;
        serde_json::from_value(value).map_err(|e| StripeError::Decode(e.to_string()))
    }

    /// `POST /v1/checkout/sessions/{id}/expire`; a session that is no longer open is "already final".
    pub async fn expire_checkout_session(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<Expired, StripeError> {
        let path = format!("/v1/checkout/sessions/{}/expire", urlencode_segment(id));
        match self.post_retrying(&path, "", idempotency_key).await {
            Ok(_) => Ok(Expired::Now),
            Err(StripeError::Api {
                http_status: 400,
                error_type,
                ..
            }) if error_type == "invalid_request_error" => Ok(Expired::AlreadyFinal),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/checkout/sessions?payment_intent=…`: the Checkout Session that created a payment
    /// intent, or None when no session did (a payment made some other way).
    pub async fn find_session_by_payment_intent(
        &self,
        payment_intent: &str,
    ) -> Result<Option<CheckoutSession>, StripeError> {
        let query = encode(&[
            ("payment_intent".to_owned(), payment_intent.to_owned()),
            ("limit".to_owned(), "1".to_owned()),
        ]);
        let value = self
            .call_retrying(
                reqwest::Method::GET,
                &format!("/v1/checkout/sessions?{query}"),
                "",
                None,
            )
            .await?;
        let list: List<CheckoutSession> =
            serde_json::from_value(value).map_err(|e| StripeError::Decode(e.to_string()))?;
        Ok(list.data.into_iter().next())
    }

    async fn post_retrying(
        &self,
        path: &str,
        body: &str,
        key: &str,
    ) -> Result<serde_json::Value, StripeError> {
        self.call_retrying(reqwest::Method::POST, path, body, Some(key))
            .await
    }

    /// One call, retried within the policy (a POST always with the same idempotency key).
    async fn call_retrying(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
        key: Option<&str>,
    ) -> Result<serde_json::Value, StripeError> {
        let mut n = 0;
        loop {
            n += 1;
            match self.call_once(method.clone(), path, body, key).await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && n < self.retry.attempts => {
                    let after = match &e {
                        StripeError::Api { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    let wait = self.retry.delay(n, after);
                    tracing::warn!(path, attempt = n, wait_ms = wait.as_millis() as u64, error = %e, "Stripe call failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn call_once(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
        key: Option<&str>,
    ) -> Result<serde_json::Value, StripeError> {
        let secret = self.key.as_ref().ok_or(StripeError::NoKey)?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(secret.expose())
            .header("Stripe-Version", API_VERSION)
            .timeout(self.timeout);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if method == reqwest::Method::POST {
            request = request
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.to_owned());
        }
        let resp = request
            .send()
            .await
            .map_err(|e| StripeError::Transport(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("request-id");
        let should_retry = header("stripe-should-retry").map(|v| v.eq_ignore_ascii_case("true"));
        let retry_after = header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| StripeError::Transport(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()));
        }
        let detail = serde_json::from_slice::<ErrorBody>(&bytes)
            .ok()
            .map(|b| b.error);
        Err(StripeError::Api {
            http_status: status,
            error_type: detail
                .as_ref()
                .and_then(|d| d.error_type.clone())
                .unwrap_or_else(|| "unknown".into()),
            code: detail.as_ref().and_then(|d| d.code.clone()),
            message: detail
                .and_then(|d| d.message)
                .unwrap_or_else(|| format!("HTTP {status}")),
            request_id,
            should_retry,
            retry_after,
        })
    }
}

/// `application/x-www-form-urlencoded` (brackets percent-encoded, which Stripe decodes).
pub fn encode(pairs: &[(String, String)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

fn urlencode_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use inkline_core::domain::Currency;

    fn request() -> CheckoutRequest {
        CheckoutRequest {
            lead_id: Uuid::nil(),
            artist: "demo".into(),
            amount: Money::new(15_000, Currency::GBP),
            product_name: "Tattoo deposit – Demo Ink".into(),
            success_url: "https://x.test/paid?session_id={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://x.test/cancelled".into(),
            expires_at: 1_764_066_600,
            idempotency_key: "k".into(),
        }
    }

    #[test]
    fn the_form_has_brackets_minor_units_and_lowercase_currency() {
        let body = encode(&request().form());
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("gbp"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("15000"));
        assert_eq!(
            get("metadata[lead_id]"),
            Some("00000000-0000-0000-0000-000000000000")
        );
        assert_eq!(get("metadata[artist]"), Some("demo"));
        assert_eq!(
            get("payment_intent_data[metadata][lead_id]"),
            get("client_reference_id")
        );
        assert_eq!(get("expires_at"), Some("1764066600"));
        assert_eq!(
            get("success_url"),
            Some("https://x.test/paid?session_id={CHECKOUT_SESSION_ID}")
        );
        assert!(body.contains("metadata%5Blead_id%5D="), "{body}");
        assert!(
            body.contains("%7BCHECKOUT_SESSION_ID%7D"),
            "braces are encoded: {body}"
        );
    }

    #[test]
    fn retry_classification_follows_stripes_sdks() {
        let api = |status: u16, should_retry: Option<bool>| StripeError::Api {
            http_status: status,
            error_type: "x".into(),
            code: None,
            message: String::new(),
            request_id: None,
            should_retry,
            retry_after: None,
        };
        assert!(api(429, None).is_retryable());
        assert!(api(500, None).is_retryable());
        assert!(api(409, None).is_retryable());
        assert!(!api(400, None).is_retryable());
        assert!(!api(402, None).is_retryable());
        assert!(!api(500, Some(false)).is_retryable());
        assert!(api(400, Some(true)).is_retryable());
        assert!(StripeError::Transport("reset".into()).is_retryable());
        assert!(!StripeError::NoKey.is_retryable());
    }

    #[test]
    fn delays_grow_are_capped_and_honour_retry_after() {
        let p = RetryPolicy::default();
        assert!(p.delay(1, None) <= Duration::from_millis(500));
        assert!(p.delay(3, None) <= Duration::from_secs(2));
        assert!(p.delay(9, None) <= Duration::from_secs(4));
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(4)
        );
    }
}
