//! Stripe's error answers (`{"error": {"type", "code", "message", "param", ...}}` plus the
//! `Request-Id` and `Stripe-Should-Retry` headers), and the scripted faults tests inject into
//! [`FakeStripe`](super::FakeStripe).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error the fake answers with (and what its driving functions return when a transition
/// does not apply, such as completing an expired session).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{http_status} {error_type}: {message}")]
pub struct StripeError {
    pub http_status: u16,
    /// `invalid_request_error`, `idempotency_error`, `api_error`, `card_error`.
    pub error_type: String,
    pub code: Option<String>,
    pub message: String,
    pub param: Option<String>,
    /// Sets `Stripe-Should-Retry` when present.
    pub should_retry: Option<bool>,
}

impl StripeError {
    fn new(
        http_status: u16,
        error_type: &str,
        code: Option<&str>,
        message: String,
        param: Option<String>,
    ) -> Self {
        Self {
            http_status,
            error_type: error_type.to_string(),
            code: code.map(str::to_string),
            message,
            param,
            should_retry: None,
        }
    }

    /// 400 `invalid_request_error` without a code.
    pub(crate) fn invalid_request(message: impl Into<String>, param: Option<String>) -> Self {
        Self::new(400, "invalid_request_error", None, message.into(), param)
    }

    /// 400 `parameter_missing`.
    pub(crate) fn missing(param: &str) -> Self {
        let message = format!("Missing required param: {param}.");
        Self::new(
            400,
            "invalid_request_error",
            Some("parameter_missing"),
            message,
            Some(param.to_string()),
        )
    }

    /// 400 `parameter_invalid_integer`.
    pub(crate) fn invalid_integer(param: &str, value: &str) -> Self {
        let message = format!("Invalid integer: {value}");
        Self::new(
            400,
            "invalid_request_error",
            Some("parameter_invalid_integer"),
            message,
            Some(param.to_string()),
        )
    }

    /// 400 `parameter_invalid_empty` / out-of-range values and other bad parameters.
    pub(crate) fn invalid_param(param: &str, code: &str, message: impl Into<String>) -> Self {
        Self::new(
            400,
            "invalid_request_error",
            Some(code),
            message.into(),
            Some(param.to_string()),
        )
    }

    /// 404 `resource_missing`.
    pub(crate) fn no_such(object: &str, id: &str, param: &str) -> Self {
        let message = format!("No such {object}: '{id}'");
        Self::new(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            message,
            Some(param.to_string()),
        )
    }

    /// 400 `idempotency_error`: the key was first used with other parameters.
    pub(crate) fn idempotency_mismatch(key: &str) -> Self {
        let message = format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
        );
        Self::new(400, "idempotency_error", None, message, None)
    }

    /// 401 for a missing or wrong secret key.
    pub(crate) fn unauthorized(given: Option<&str>) -> Self {
        let message = match given {
            None => "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".to_string(),
            Some(key) => {
                let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                format!("Invalid API Key provided: sk_****{tail}")
            }
        };
        Self::new(401, "invalid_request_error", None, message, None)
    }

    pub(crate) fn body(&self) -> serde_json::Value {
        let mut error = json!({"type": self.error_type, "message": self.message});
        if let Some(code) = &self.code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            ));
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(retry) = self.should_retry {
            response.headers_mut().insert(
                "Stripe-Should-Retry",
                HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
        }
        response
    }
}

/// One scripted failure of the fake's `/v1` API, consumed by the next `times` authenticated
/// requests (any endpoint). Like Stripe's rate limiter, it answers before the request runs, so
/// nothing is stored under the request's `Idempotency-Key` and a retry with it can succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeFault {
    pub http_status: u16,
    /// `api_error`, `invalid_request_error`, `idempotency_error`...
    pub error_type: String,
    /// `rate_limit`, `lock_timeout`...
    pub code: Option<String>,
    /// Sets `Stripe-Should-Retry: true|false` when present.
    pub should_retry: Option<bool>,
    pub times: usize,
}

impl StripeFault {
    /// A fault answering once.
    pub fn new(http_status: u16, error_type: &str, code: Option<&str>) -> Self {
        Self {
            http_status,
            error_type: error_type.to_string(),
            code: code.map(str::to_string),
            should_retry: None,
            times: 1,
        }
    }

    /// 429 `rate_limit`.
    pub fn rate_limited() -> Self {
        Self::new(429, "invalid_request_error", Some("rate_limit"))
    }

    /// 429 `lock_timeout` (another request holds the object).
    pub fn lock_timeout() -> Self {
        Self::new(429, "invalid_request_error", Some("lock_timeout"))
    }

    /// 500 `api_error`.
    pub fn api_error() -> Self {
        Self::new(500, "api_error", None)
    }

    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    pub fn should_retry(mut self, retry: bool) -> Self {
        self.should_retry = Some(retry);
        self
    }

    pub(crate) fn to_error(&self) -> StripeError {
        let mut e = StripeError::new(
            self.http_status,
            &self.error_type,
            self.code.as_deref(),
            format!(
                "Injected fault ({}).",
                self.code.as_deref().unwrap_or(&self.error_type)
            ),
            None,
        );
        e.should_retry = self.should_retry;
        e
    }
}
