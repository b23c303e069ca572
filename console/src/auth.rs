//! Who may use the console: the admin API key, per-artist login keys derived from the session
//! secret, and sessions kept in HMAC-SHA256-signed cookies (see docs/console.md, "Sign-in").

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use infra::config::Secret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The session cookie's name.
pub const COOKIE: &str = "inkline_session";
/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;
/// Bytes of MAC kept in an artist login key (128 bits).
const ARTIST_KEY_MAC_BYTES: usize = 16;

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Everything: every artist, queues, artist configuration.
    Admin,
    /// One artist's leads and funnel only.
    Artist(String),
}

impl Principal {
    /// The artist this principal is limited to, if any.
    pub fn artist(&self) -> Option<&str> {
        match self {
            Principal::Admin => None,
            Principal::Artist(slug) => Some(slug),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin)
    }

    /// The actor recorded in audit events.
    pub fn actor(&self) -> String {
        match self {
            Principal::Admin => "console:admin".to_owned(),
            Principal::Artist(slug) => format!("console:artist:{slug}"),
        }
    }

    fn encode(&self) -> String {
        match self {
            Principal::Admin => "admin".to_owned(),
            Principal::Artist(slug) => format!("artist:{slug}"),
        }
    }

    fn decode(s: &str) -> Option<Principal> {
        match s.split_once(':') {
            None if s == "admin" => Some(Principal::Admin),
            Some(("artist", slug)) if !slug.is_empty() => Some(Principal::Artist(slug.to_owned())),
            _ => None,
        }
    }
}

/// A browser session: maybe signed in, always with a CSRF token (also before sign-in, so the
/// login form itself is protected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub who: Option<Principal>,
    pub csrf: String,
    /// Unix seconds after which the cookie is refused.
    pub expires: i64,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    w: Option<String>,
    c: String,
    e: i64,
}

impl Session {
    /// A fresh session for `who` with a new random CSRF token.
    pub fn new(who: Option<Principal>, now: i64) -> Session {
        Session {
            who,
            csrf: random_token(),
            expires: now + SESSION_HOURS * 3600,
        }
    }

    /// Whether `presented` is this session's CSRF token (constant time).
    pub fn csrf_ok(&self, presented: &str) -> bool {
        !self.csrf.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// 32 random bytes, URL-safe.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the `X-Admin-API-Key` header amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyCheck {
    Ok,
    /// No header: 401.
    Missing,
    /// A header that is not the key: 403.
    Wrong,
    /// ADMIN_API_KEY is not set: every call is refused (403).
    Disabled,
}

/// The console's secrets and what is derived from them. Never printed.
pub struct Keys {
    admin_api_key: Option<Secret>,
    /// Signs cookies and derives artist keys; None when neither secret is configured.
    session_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys([redacted])")
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; an all-zero MAC would only ever
    // mismatch.
    let Ok(mut m) = HmacSha256::new_from_slice(key) else {
        return [0; 32];
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

impl Keys {
    /// `session_secret` (CONSOLE_SESSION_SECRET) or, failing that, ADMIN_API_KEY keys the sessions.
    pub fn new(admin_api_key: Option<Secret>, session_secret: Option<Secret>) -> Keys {
        let root = session_secret
            .as_ref()
            .or(admin_api_key.as_ref())
            .map(|s| s.expose().to_owned());
        let session_key = root.map(|r| mac(r.as_bytes(), &[b"inkline-console-session-v1"]));
        Keys {
            admin_api_key,
            session_key,
        }
    }

    /// Whether anyone at all can sign in to the web console.
    pub fn login_enabled(&self) -> bool {
        self.session_key.is_some()
    }

    pub fn check_api_key(&self, presented: Option<&str>) -> ApiKeyCheck {
        let Some(presented) = presented else {
            return ApiKeyCheck::Missing;
        };
        let Some(key) = &self.admin_api_key else {
            return ApiKeyCheck::Disabled;
        };
        if bool::from(key.expose().as_bytes().ct_eq(presented.trim().as_bytes())) {
            ApiKeyCheck::Ok
        } else {
            ApiKeyCheck::Wrong
        }
    }

    /// The login key of artist `slug`: `slug.` followed by a MAC of the slug. An admin hands it to
    /// the artist (Artists page); changing the session secret changes every artist key.
    pub fn artist_key(&self, slug: &str) -> Option<String> {
        let key = self.session_key?;
        let m = mac(&key, &[b"artist-login-v1:", slug.as_bytes()]);
        Some(format!(
            "{slug}.{}",
            URL_SAFE_NO_PAD.encode(&m[..ARTIST_KEY_MAC_BYTES])
        ))
    }

    /// Who `key` signs in as: the admin API key, or a valid artist key (the caller checks that
    /// the artist exists).
    pub fn principal_for(&self, key: &str) -> Option<Principal> {
        let key = key.trim();
        if key.is_empty() {
            return None;
        }
        if self.check_api_key(Some(key)) == ApiKeyCheck::Ok {
            return Some(Principal::Admin);
        }
        let (slug, _) = key.rsplit_once('.')?;
        let expected = self.artist_key(slug)?;
        bool::from(expected.as_bytes().ct_eq(key.as_bytes()))
            .then(|| Principal::Artist(slug.to_owned()))
    }

    /// The cookie value for `session`: `base64url(json).base64url(hmac)`.
    pub fn seal(&self, session: &Session) -> Option<String> {
        let key = self.session_key?;
        let wire = Wire {
            w: session.who.as_ref().map(Principal::encode),
            c: session.csrf.clone(),
            e: session.expires,
        };
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).ok()?);
        let sig = mac(&key, &[b"session.", payload.as_bytes()]);
        Some(format!("{payload}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// The session in a cookie value, if it is ours, intact and not expired.
    pub fn open(&self, value: &str, now: i64) -> Option<Session> {
        let key = self.session_key?;
        let (payload, sig) = value.split_once('.')?;
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let expected = mac(&key, &[b"session.", payload.as_bytes()]);
        if !bool::from(expected.as_slice().ct_eq(sig.as_slice())) {
            return None;
        }
        let wire: Wire = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        if wire.e <= now {
            return None;
        }
        let who = match wire.w {
            None => None,
            Some(w) => Some(Principal::decode(&w)?),
        };
        Some(Session {
            who,
            csrf: wire.c,
            expires: wire.e,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn keys() -> Keys {
        Keys::new(Some(Secret::new("admin-key")), None)
    }

    #[test]
    fn api_key_outcomes() {
        let k = keys();
        assert_eq!(k.check_api_key(None), ApiKeyCheck::Missing);
        assert_eq!(k.check_api_key(Some("nope")), ApiKeyCheck::Wrong);
        assert_eq!(k.check_api_key(Some("admin-key")), ApiKeyCheck::Ok);
        let off = Keys::new(None, None);
        assert_eq!(off.check_api_key(Some("admin-key")), ApiKeyCheck::Disabled);
        assert!(!off.login_enabled());
        assert!(off.seal(&Session::new(None, 0)).is_none());
    }

    #[test]
    fn sessions_round_trip_and_tampering_or_expiry_is_refused() {
        let k = keys();
        let s = Session::new(Some(Principal::Artist("demo".into())), 1_000);
        let sealed = k.seal(&s).unwrap();
        assert_eq!(k.open(&sealed, 1_001), Some(s.clone()));
        assert_eq!(k.open(&sealed, s.expires), None, "expired");
        let (payload, sig) = sealed.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"w":"admin","c":"x","e":99999999999}"#);
        assert_eq!(
            k.open(&format!("{forged}.{sig}"), 1_001),
            None,
            "payload swapped"
        );
        assert_eq!(
            k.open(&format!("{payload}.AAAA"), 1_001),
            None,
            "signature changed"
        );
        let other = Keys::new(Some(Secret::new("other")), None);
        assert_eq!(
            other.open(&sealed, 1_001),
            None,
            "another deployment's cookie"
        );
        assert_eq!(k.open("garbage", 1_001), None);
    }

    #[test]
    fn artist_keys_sign_in_as_that_artist_only() {
        let k = keys();
        let demo = k.artist_key("demo").unwrap();
        assert!(demo.starts_with("demo."));
        assert_eq!(
            k.principal_for(&demo),
            Some(Principal::Artist("demo".into()))
        );
        assert_eq!(k.principal_for("admin-key"), Some(Principal::Admin));
        let forged = demo.replacen("demo.", "other.", 1);
        assert_eq!(k.principal_for(&forged), None);
        assert_eq!(k.principal_for(""), None);
        let rotated = Keys::new(
            Some(Secret::new("admin-key")),
            Some(Secret::new("new-secret")),
        );
        assert_eq!(
            rotated.principal_for(&demo),
            None,
            "a new session secret rotates artist keys"
        );
    }

    #[test]
    fn csrf_compare() {
        let s = Session::new(None, 0);
        assert!(s.csrf_ok(&s.csrf.clone()));
        assert!(!s.csrf_ok(""));
        assert!(!s.csrf_ok("x"));
    }
}
