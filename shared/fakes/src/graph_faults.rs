//! Meta's error answers: the `{"error": {...}}` JSON the Graph API returns, and the scripted
//! faults tests inject into [`FakeGraph`](super::FakeGraph) to exercise the sender's reactions.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One scripted failure of `POST /{version}/{phone_number_id}/messages`.
///
/// Faults are consumed in the order they were injected, each by the next `times` sends it matches
/// (every send, or only sends to `only_to`). Mark-as-read calls never consume faults, so a read
/// receipt cannot eat a fault a test meant for a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// HTTP status of the answer (429, 400, 401, 500...).
    pub http_status: u16,
    /// Meta's `error.code`, the thing the sender must look at.
    pub code: i64,
    /// Seconds for a `Retry-After` header, when set.
    pub retry_after: Option<u64>,
    /// How many matching sends fail before the fault is used up.
    pub times: usize,
    /// Only sends to this wa_id match (others pass through untouched).
    pub only_to: Option<String>,
}

impl Fault {
    /// A fault answering once with `http_status` and Meta error `code`.
    pub fn new(http_status: u16, code: i64) -> Self {
        Self {
            http_status,
            code,
            retry_after: None,
            times: 1,
            only_to: None,
        }
    }

    /// A fault with the HTTP status Meta usually pairs with `code` (429 for throughput limits,
    /// 401 for 190, 500 for 1/2/131000, 403 for 368, 400 otherwise).
    pub fn for_code(code: i64) -> Self {
        let status = match code {
            130429 | 4 | 80007 => 429,
            190 => 401,
            368 => 403,
            1 | 2 | 131000 => 500,
            _ => 400,
        };
        Self::new(status, code)
    }

    /// Fails the next `n` matching sends instead of one.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Adds `Retry-After: secs` to the answer.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Matches only sends to `wa_id`.
    pub fn only_to(mut self, wa_id: impl Into<String>) -> Self {
        self.only_to = Some(wa_id.into());
        self
    }

    pub(crate) fn matches(&self, to: Option<&str>) -> bool {
        match &self.only_to {
            None => true,
            Some(wanted) => to == Some(wanted.as_str()),
        }
    }

    pub(crate) fn to_error(&self) -> MetaError {
        let (title, details) = describe(self.code);
        MetaError {
            http_status: self.http_status,
            code: self.code,
            message: format!("(#{}) {title}", self.code),
            details: details.to_string(),
            retry_after: self.retry_after,
        }
    }
}

/// An error answer in Meta's shape.
#[derive(Debug, Clone)]
pub(crate) struct MetaError {
    pub(crate) http_status: u16,
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) details: String,
    pub(crate) retry_after: Option<u64>,
}

impl MetaError {
    /// 400 with code 100 (a missing or malformed parameter); `what` becomes the message.
    pub(crate) fn invalid_parameter(what: impl Into<String>) -> Self {
        let what = what.into();
        Self {
            http_status: 400,
            code: 100,
            message: format!("(#100) {what}"),
            details: what,
            retry_after: None,
        }
    }

    /// 400 with code 131009 (a value outside Meta's limits); `details` says which.
    pub(crate) fn invalid_value(details: impl Into<String>) -> Self {
        Self {
            http_status: 400,
            code: 131009,
            message: "(#131009) Parameter value is not valid".to_string(),
            details: details.into(),
            retry_after: None,
        }
    }

    /// 401 with code 190: no token, or not the one configured for this number.
    pub(crate) fn bad_token() -> Self {
        Self {
            http_status: 401,
            code: 190,
            message: "Invalid OAuth access token - Cannot parse access token".to_string(),
            details: "The access token is missing, expired or not valid for this phone number."
                .to_string(),
            retry_after: None,
        }
    }

    pub(crate) fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "error_data": {"messaging_product": "whatsapp", "details": self.details},
            "fbtrace_id": format!("AFake{}", uuid::Uuid::new_v4().simple()),
        }})
    }
}

impl IntoResponse for MetaError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// Meta's title and `error_data.details` for the codes the sender reacts to.
pub(crate) fn describe(code: i64) -> (&'static str, &'static str) {
    match code {
        130429 => (
            "Rate limit hit",
            "Cloud API message throughput has been reached.",
        ),
        131056 => (
            "(Business Account, Consumer Account) pair rate limit hit",
            "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
        ),
        131047 => (
            "Re-engagement message",
            "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
        ),
        131026 => (
            "Message Undeliverable",
            "Unable to deliver message. The recipient may not be on WhatsApp.",
        ),
        131048 => (
            "Spam rate limit hit",
            "Message failed to send because there are restrictions on how many messages can be sent from this phone number.",
        ),
        131049 => (
            "This message was not delivered to maintain healthy ecosystem engagement.",
            "Meta chose not to deliver this message.",
        ),
        131009 => (
            "Parameter value is not valid",
            "One or more parameter values are invalid.",
        ),
        132000 => (
            "Number of parameters does not match the expected number of params",
            "The number of parameters does not match the template.",
        ),
        132001 => (
            "Template name does not exist in the translation",
            "The template does not exist in this language or is not approved.",
        ),
        190 => (
            "Error validating access token: Session has expired",
            "The access token has expired.",
        ),
        4 => (
            "Application request limit reached",
            "The app has reached its API call rate limit.",
        ),
        80007 => (
            "Rate limit issues",
            "The WhatsApp Business Account has reached its rate limit.",
        ),
        368 => (
            "Temporarily blocked for policies violations",
            "The account is temporarily blocked for policy violations.",
        ),
        131031 => (
            "Account has been locked",
            "The WhatsApp Business Account is locked.",
        ),
        131057 => (
            "Account in maintenance mode",
            "The business account is in maintenance mode.",
        ),
        1 => (
            "An unknown error occurred",
            "Invalid request or possible server error.",
        ),
        2 => (
            "Service temporarily unavailable",
            "Temporary due to downtime or due to being overloaded.",
        ),
        131000 => (
            "Something went wrong",
            "Message failed to send due to an unknown error.",
        ),
        100 => (
            "Invalid parameter",
            "The request included invalid or unsupported parameters.",
        ),
        _ => ("Unknown error", "An error the fake was told to return."),
    }
}
