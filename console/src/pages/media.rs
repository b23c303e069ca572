//! Reference images: `GET /media/{media_id}` serves the bytes the media store kept under
//! `MEDIA_DIR` (or, in the sandbox, what the client phone uploaded). Signed-in people only.

use crate::server::AppState;
use crate::session::SignedIn;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Whether `id` is safe to use as a file name (Meta's media ids are digits; ours are word chars).
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn mime_for(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        _ => "image/jpeg",
    }
}

/// `GET /media/{media_id}`.
pub async fn show(
    State(state): State<AppState>,
    _who: SignedIn,
    Path(id): Path<String>,
) -> Response {
    if !safe_id(&id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some((bytes, mime)) = state.sandbox.as_ref().and_then(|s| s.media(&id)) {
        return (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            ],
            bytes,
        )
            .into_response();
    }
    // The media store's layout: `MEDIA_DIR/<id>` or `MEDIA_DIR/<id>.<ext>` (first match wins).
    let dir = state.media_dir.as_ref().clone();
    let found = tokio::task::spawn_blocking(move || {
        let entries = std::fs::read_dir(&dir).ok()?;
        entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == id || n.split_once('.').is_some_and(|(stem, _)| stem == id))
        })
    })
    .await
    .ok()
    .flatten();
    let Some(path) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mime = mime_for(&path.to_string_lossy());
            (
                [
                    (header::CONTENT_TYPE, mime.to_owned()),
                    (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_escape_the_media_dir() {
        assert!(safe_id("1234567890"));
        assert!(safe_id("sbx_abc-1"));
        assert!(!safe_id("../etc/passwd"));
        assert!(!safe_id("a/b"));
        assert!(!safe_id(""));
    }
}
