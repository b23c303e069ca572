//! Artist action links (`/a/{token}` in the artist's WhatsApp notifications): GET shows what the
//! link will do and asks to confirm — link previews and scanners must not act — and POST does it,
//! once. The unguessable token is the credential (and so also the CSRF protection).

use super::error::PageError;
use super::layout::{badge, shell};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use infra::actions::ActionError;
use infra::actions::links::{self, LinkError};
use maud::{Markup, html};

fn card(title: &str, body: Markup) -> Markup {
    shell(
        title,
        html! { main.login { div.card { h1 { (title) } (body) p.small.muted { "Inkline" } } } },
    )
}

fn refused(e: LinkError) -> Response {
    let (status, title) = match &e {
        LinkError::Unknown => (StatusCode::NOT_FOUND, "Link not valid"),
        LinkError::Expired | LinkError::Used => (StatusCode::GONE, "Link no longer works"),
        LinkError::WrongStatus { .. } | LinkError::Refused(ActionError::NotAllowed { .. }) => {
            (StatusCode::CONFLICT, "Already moved on")
        }
        LinkError::Refused(ActionError::NotFound) => (StatusCode::NOT_FOUND, "Link not valid"),
        LinkError::Refused(ActionError::Invalid(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "Not possible")
        }
        LinkError::Refused(_) | LinkError::Db(_) => {
            return PageError::internal("The action link failed", e).into_response();
        }
    };
    let body = card(
        title,
        html! { p { (e.to_string()) "." } p { "Open the console to see the lead as it is now." } p { a.button href="/leads" { "Open the console" } } },
    );
    (status, body).into_response()
}

/// `GET /a/{token}`: what the link will do, with a confirm button.
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match links::peek(&state.pool, &token, Utc::now()).await {
        Ok(p) => card(
            "Confirm",
            html! {
                p { (p.description) "?" }
                p.small.muted { "The lead is " (badge(p.status)) ". This link works once, until " (p.expires_at.format("%d %b %H:%M UTC")) "." }
                form method="post" action={"/a/" (token)} { button #confirm type="submit" { "Confirm" } }
            },
        )
        .into_response(),
        Err(e) => refused(e),
    }
}

/// `POST /a/{token}`: does it.
pub async fn act(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let correlation_id = uuid::Uuid::now_v7().to_string();
    match links::redeem(&state.pool, &token, Utc::now(), &correlation_id).await {
        Ok(outcome) => card(
            "Done",
            html! {
                p { "The lead is now " (badge(outcome.to)) "." }
                p { a.button href={"/leads/" (outcome.lead_id)} { "See the lead in the console" } }
            },
        )
        .into_response(),
        Err(e) => refused(e),
    }
}
