//! The browser side of sign-in: reading and writing the signed session cookie, and the
//! [`SignedIn`] extractor every console page takes (it redirects to the login page otherwise).

use crate::auth::{COOKIE, Principal, SESSION_HOURS, Session};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The session cookie's value, if the request has one.
fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The request's valid session, if any.
pub fn current(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    cookie_value(headers).and_then(|v| state.keys.open(v, now()))
}

/// The `Set-Cookie` value that stores `session` (None when sign-in is disabled).
pub fn set_cookie(state: &AppState, session: &Session) -> Option<HeaderValue> {
    let sealed = state.keys.seal(session)?;
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let max_age = SESSION_HOURS * 3600;
    HeaderValue::from_str(&format!(
        "{COOKIE}={sealed}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .ok()
}

/// The `Set-Cookie` value that signs out.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(
        "inkline_session=; Path=/; Max-Age=0",
    ))
}

/// A signed-in person and their session (whose CSRF token every form carries).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub who: Principal,
    pub session: Session,
}

impl SignedIn {
    /// Whether this person may see leads of `artist`.
    pub fn may_see(&self, artist: &str) -> bool {
        self.who.artist().is_none_or(|mine| mine == artist)
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match current(state, &parts.headers) {
            Some(Session {
                who: Some(who),
                csrf,
                expires,
            }) => Ok(SignedIn {
                who,
                session: Session {
                    who: None,
                    csrf,
                    expires,
                },
            }),
            _ => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let target = format!("/login?next={}", url_encode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Percent-encodes everything but unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to go to after sign-in; anything else (other hosts, `//evil`) goes home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.contains(['\r', '\n']) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/leads?status=NEW")), "/leads?status=NEW");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; inkline_session=abc.def; b=2"),
        );
        assert_eq!(cookie_value(&h), Some("abc.def"));
        assert_eq!(url_encode("/a b?c=d"), "%2Fa%20b%3Fc%3Dd");
    }
}
