//! Error pages: what a person sees when a page cannot be shown (never a stack trace).

use super::layout::shell;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

/// A page-level failure with the status it answers with.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> PageError {
        PageError {
            status,
            title,
            message: message.into(),
        }
    }

    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, "Not found", "There is nothing here.")
    }

    pub fn forbidden() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "This page is for administrators.",
        )
    }

    pub fn csrf() -> PageError {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form was not sent from this console session. Go back, reload the page and try again.",
        )
    }

    /// Something broke on our side: logged in full, shown briefly.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %err, "{context}");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            format!("{context}. The details are in the console's log."),
        )
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = shell(
            self.title,
            html! {
                main.login {
                    div.card {
                        h1 { (self.title) }
                        p { (self.message) }
                        p { a href="/" { "Back to the console" } }
                    }
                }
            },
        );
        (self.status, body).into_response()
    }
}

impl From<infra::store::lead_view::LeadViewError> for PageError {
    fn from(e: infra::store::lead_view::LeadViewError) -> Self {
        PageError::internal("Cannot read leads", e)
    }
}

impl From<crate::csrf::Refused> for PageError {
    fn from(_: crate::csrf::Refused) -> Self {
        PageError::csrf()
    }
}
