//! JSON error answers: `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer with its HTTP status.
#[derive(Debug)]
pub struct EdgeError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Ask the client to close the connection (the request body was not, or not fully, read).
    pub close: bool,
}

impl EdgeError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        EdgeError {
            status,
            code,
            message: message.into(),
            close: false,
        }
    }

    /// The same answer with `Connection: close`: what is left of the body is never read.
    pub fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

impl IntoResponse for EdgeError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if self.close {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        resp
    }
}
