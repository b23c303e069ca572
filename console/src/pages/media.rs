//! Reference images: `GET /media/{media_id}` serves the bytes the sender's media download kept
//! (the `media` table names the file under `MEDIA_DIR`), or what the state's
//! `crate::state::MediaSource` holds (the sandbox's client phone uploads, before the download
//! finished). Signed-in people only; an artist only their own.

use crate::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use infra::store::media;
use std::path::{Component, PathBuf};

/// Whether `id` looks like a media id (Meta's are digits; the sandbox's too).
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `MEDIA_DIR/<relative>`, refusing anything that could leave the directory.
fn inside(dir: &std::path::Path, relative: &str) -> Option<PathBuf> {
    let rel = std::path::Path::new(relative);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(rel))
}

fn image(bytes: impl Into<axum::body::Body>, mime: &str) -> Response {
    // Only image types are served as such; anything else is a download, never rendered.
    let mime = if mime.starts_with("image/") {
        mime.to_owned()
    } else {
        "application/octet-stream".to_owned()
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        bytes.into(),
    )
        .into_response()
}

/// `GET /media/{media_id}`.
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if !safe_id(&id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match media::find(&state.pool, &id, who.who.artist()).await {
        Ok(Some(file)) => {
            if let Some(path) = inside(&state.media_dir, &file.storage_path)
                && let Ok(bytes) = tokio::fs::read(&path).await
            {
                return image(bytes, &file.mime_type);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot look up media"),
    }
    match state.media_fallback.as_ref().and_then(|s| s.media(&id)) {
        Some((bytes, mime)) => image(bytes, &mime),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_paths_cannot_escape_the_media_dir() {
        assert!(safe_id("1234567890"));
        assert!(safe_id("sbx_abc-1"));
        assert!(!safe_id("../etc/passwd"));
        assert!(!safe_id("a/b"));
        assert!(!safe_id(""));
        let dir = std::path::Path::new("/m");
        assert_eq!(
            inside(dir, "ab/abcdef"),
            Some(PathBuf::from("/m/ab/abcdef"))
        );
        assert_eq!(inside(dir, "../x"), None);
        assert_eq!(inside(dir, "/etc/passwd"), None);
    }
}
