//! `GET /admin/artists` and `PUT /admin/artists/{slug}`: artist configuration with the same fields
//! as the TOML of `inkline artist apply`. The artist's WhatsApp token is never shown; a PUT
//! without one keeps the stored token. `POST /admin/artists/{slug}/resume-sending` resumes an
//! artist the sender paused.

use super::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use infra::store::artists;
use inkline_core::domain::ArtistConfig;
use serde_json::{Value, json};

/// The configuration as the API shows it: every field, the token blanked.
pub fn public_json(cfg: &ArtistConfig) -> Value {
    let mut cfg = cfg.clone();
    cfg.whatsapp_access_token = None;
    serde_json::to_value(&cfg).unwrap_or(Value::Null)
}

/// `{"artists": [...]}`, by slug.
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = artists::list(&state.pool)
        .await
        .map_err(|e| ApiError::internal("cannot read artists", e))?;
    let out: Vec<Value> = all.iter().map(|a| public_json(&a.config)).collect();
    Ok(Json(json!({ "artists": out })))
}

/// Creates (201) or replaces (200) the configuration of `slug`.
pub async fn put(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut value: Value = super::leads::json_body(&body)?.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_json",
            "send the artist configuration as a JSON object",
        )
    })?;
    let Some(obj) = value.as_object_mut() else {
        return Err(ApiError::bad_request(
            "invalid_json",
            "send the artist configuration as a JSON object",
        ));
    };
    match obj.get("slug") {
        None => {
            obj.insert("slug".into(), json!(slug));
        }
        Some(s) if s.as_str() == Some(slug.as_str()) => {}
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "slug_mismatch",
                "the body's slug differs from the path's",
            ));
        }
    }
    let mut cfg = ArtistConfig::from_json(value).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_config",
            e.to_string(),
        )
    })?;
    if cfg.whatsapp_access_token.is_none() {
        let existing = artists::by_slug(&state.pool, &slug)
            .await
            .map_err(|e| ApiError::internal("cannot read the artist", e))?;
        cfg.whatsapp_access_token = existing.and_then(|a| a.config.whatsapp_access_token);
    }
    let (_, created) = artists::upsert(&state.pool, &cfg)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "another artist already uses this phone_number_id",
            ),
            _ => ApiError::internal("cannot save the artist", e),
        })?;
    tracing::info!(artist = %cfg.slug, created, "artist configuration saved through the admin API");
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(public_json(&cfg)),
    ))
}

/// `{"artist", "was_paused", "requeued"}`: sending resumed (or it was not paused).
pub async fn resume_sending(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let resumed = infra::actions::sending::resume(&state.pool, &slug, "admin")
        .await
        .map_err(|e| ApiError::internal("cannot resume sending", e))?
        .ok_or_else(|| ApiError::not_found(format!("no artist {slug:?}")))?;
    Ok(Json(json!(resumed)))
}
