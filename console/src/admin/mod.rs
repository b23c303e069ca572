//! The admin JSON API of INTERFACES.md under `/admin`, every call keyed with `X-Admin-API-Key`
//! (401 without, 403 wrong or when ADMIN_API_KEY is unset). Documented in `docs/openapi.yaml`.

pub mod artists;
pub mod dlq;
pub mod error;
pub mod funnel;
pub mod leads;
pub mod messages;
pub mod parked;

use crate::auth::ApiKeyCheck;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use error::ApiError;

/// The header carrying the admin key.
pub const KEY_HEADER: &str = "x-admin-api-key";

/// Every (method, path) the admin API serves, as the OpenAPI document spells them. The action
/// paths are one route (`/admin/leads/{id}/{action}`) with `crate::actions::NAMES` as actions.
pub fn routes() -> Vec<(&'static str, String)> {
    let mut r: Vec<(&'static str, String)> = vec![
        ("get", "/admin/leads".into()),
        ("get", "/admin/leads/{id}".into()),
        ("get", "/admin/artists".into()),
        ("put", "/admin/artists/{slug}".into()),
        ("post", "/admin/artists/{slug}/resume-sending".into()),
        ("get", "/admin/dlq".into()),
        ("post", "/admin/dlq/{queue}/replay".into()),
        ("get", "/admin/messages".into()),
        ("get", "/admin/funnel".into()),
        ("get", "/admin/parked".into()),
        ("post", "/admin/parked/{loop}/retry".into()),
    ];
    r.extend(
        crate::actions::NAMES
            .iter()
            .map(|a| ("post", format!("/admin/leads/{{id}}/{a}"))),
    );
    r
}

/// The `/admin` routes, behind the key check.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/leads", get(leads::list))
        .route("/admin/leads/{id}", get(leads::show))
        .route("/admin/leads/{id}/{action}", post(leads::act))
        .route("/admin/artists", get(artists::list))
        .route("/admin/artists/{slug}", put(artists::put))
        .route(
            "/admin/artists/{slug}/resume-sending",
            post(artists::resume_sending),
        )
        .route("/admin/dlq", get(dlq::list))
        .route("/admin/dlq/{queue}/replay", post(dlq::replay))
        .route("/admin/messages", get(messages::list))
        .route("/admin/funnel", get(funnel::show))
        .route("/admin/parked", get(parked::list))
        .route("/admin/parked/{loop}/retry", post(parked::retry))
        .route_layer(axum::middleware::from_fn_with_state(state, require_key))
}

async fn require_key(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(KEY_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    match state.keys.check_api_key(presented) {
        ApiKeyCheck::Ok => next.run(request).await,
        ApiKeyCheck::Missing => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the admin key in the X-Admin-API-Key header",
        )
        .into_response(),
        ApiKeyCheck::Wrong => ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the admin key is not valid",
        )
        .into_response(),
        ApiKeyCheck::Disabled => ApiError::new(
            StatusCode::FORBIDDEN,
            "admin_api_disabled",
            "the admin API is disabled: ADMIN_API_KEY is not set",
        )
        .into_response(),
    }
}
