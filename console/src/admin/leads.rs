//! `GET /admin/leads`, `GET /admin/leads/{id}` and the artist actions `POST /admin/leads/{id}/{action}`.

use super::error::ApiError;
use crate::actions::{self, ActionInput, BuildError, PerformError};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use infra::actions::ActionError;
use infra::store::ids::LeadId;
use infra::store::lead_view::{self, Cursor, LeadFilter};
use inkline_core::domain::Status;
use serde::Deserialize;
use serde_json::{Value, json};

/// Page size when `limit` is not given, and the most one page may hold.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    artist: Option<String>,
    wa_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Leads, newest first: `{"leads": [...], "next_cursor": "..." | null}`.
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = match non_empty(q.status) {
        None => None,
        Some(s) => Some(
            s.parse::<Status>()
                .map_err(|e| ApiError::bad_request("invalid_status", e.to_string()))?,
        ),
    };
    let limit = match non_empty(q.limit) {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_limit",
                    format!("limit must be a number from 1 to {MAX_LIMIT}"),
                ));
            }
        },
    };
    let after = match non_empty(q.cursor) {
        None => None,
        Some(c) => Some(Cursor::parse(&c).map_err(|_| {
            ApiError::bad_request("invalid_cursor", "cursor is not one this API gave out")
        })?),
    };
    let filter = LeadFilter {
        status,
        artist: non_empty(q.artist),
        wa_id: non_empty(q.wa_id),
        search: None,
    };
    let page = lead_view::list(&state.pool, &filter, limit, after).await?;
    Ok(Json(
        json!({"leads": page.leads, "next_cursor": page.next.map(|c| c.encode())}),
    ))
}

fn lead_id(raw: &str) -> Result<LeadId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("no such lead"))
}

/// One lead with history and transcript.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = lead_id(&id)?;
    let lead = lead_view::detail(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such lead"))?;
    Ok(Json(json!(lead)))
}

/// An artist action: 200 with the updated lead, 409 with the current status when it does not apply.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    if !actions::NAMES.contains(&action.as_str()) {
        return Err(ApiError::not_found(format!("no action {action:?}")));
    }
    let id = lead_id(&id)?;
    let input = json_body::<ActionInput>(&body)?.unwrap_or_default();
    match actions::perform(&state.pool, id, &action, &input, "admin_api").await {
        Ok(_) => {}
        Err(e) => return Err(action_error(e)),
    }
    let lead = lead_view::detail(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such lead"))?;
    Ok(Json(json!(lead)))
}

/// The API's answer to a refused action.
pub fn action_error(e: PerformError) -> ApiError {
    match e {
        PerformError::Build(BuildError::Unknown(a)) => {
            ApiError::not_found(format!("no action {a:?}"))
        }
        PerformError::Build(BuildError::NotAvailable(a)) => ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_implemented",
            format!("{a} is not available in this build yet"),
        ),
        PerformError::Build(BuildError::Invalid(m))
        | PerformError::Action(ActionError::Invalid(m)) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", m)
        }
        PerformError::Action(ActionError::NotFound) => ApiError::not_found("no such lead"),
        PerformError::Action(e @ ActionError::NotAllowed { status, .. }) => {
            ApiError::conflict(e.to_string(), status)
        }
        PerformError::Action(e) => ApiError::internal("the action failed", e),
    }
}

/// An optional JSON body, with our error shape when it is malformed.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body).map(Some).map_err(|e| {
        ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON for this call: {e}"),
        )
    })
}
