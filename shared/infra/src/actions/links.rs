//! Artist action links (`PUBLIC_BASE_URL/a/{token}`): single use, time-limited, bound to one lead,
//! one action and the lead status they were issued for. The token is 256 random bits
//! (URL-safe base64, 43 characters); only its SHA-256 is stored (`action_tokens`).
//!
//! For the console (`GET /a/{token}` shows, `POST /a/{token}` acts — link previews must not act):
//!
//! ```text
//! links::peek(pool, token, now)                  -> Result<LinkPreview, LinkError>     // GET: what it would do
//! links::redeem(pool, token, now, correlation)   -> Result<ActionOutcome, LinkError>   // POST: do it, once
//! links::issue(tx, lead_id, &ArtistAction, for_status, ttl) -> Result<String, sqlx::Error>   // mint one (token)
//! links::url(base, token) / links::public_base_url()
//! ```
//! `LinkError::{Unknown (never issued, or forged), Expired, Used, WrongStatus {issued_for,
//! current}, Refused(ActionError), Db}`: in every error case nothing changed. `redeem` performs
//! the action through [`super::perform`]'s path and marks the token used in the same transaction,
//! so two clicks at once act once. The artist's notifications carry links in their
//! `Effect::Send`, which `decisions` turns into tokens with [`append`].

use super::{ActionError, ActionOutcome, perform_in};
use crate::store::ids::LeadId;
use crate::store::{action_tokens, leads};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use inkline_core::conversation::{ActionLink, ArtistAction};
use inkline_core::domain::{MessageBody, Status};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

/// Random bytes per token (256 bits).
const TOKEN_BYTES: usize = 32;
/// Characters of a token: URL-safe base64 of `TOKEN_BYTES` without padding.
const TOKEN_CHARS: usize = 43;
/// `PUBLIC_BASE_URL`'s default (INTERFACES.md).
const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8090";

/// Why a link did nothing.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid")]
    Unknown,
    #[error("this link has expired")]
    Expired,
    #[error("this link was already used")]
    Used,
    #[error("this link was for a lead in {issued_for}; it is {current} now")]
    WrongStatus { issued_for: String, current: Status },
    #[error("{0}")]
    Refused(ActionError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<ActionError> for LinkError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Db(e) => LinkError::Db(e),
            other => LinkError::Refused(other),
        }
    }
}

/// What a usable link will do, for the confirmation page.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPreview {
    pub lead_id: LeadId,
    pub action: ArtistAction,
    /// `action.describe()`.
    pub description: String,
    pub status: Status,
    pub expires_at: DateTime<Utc>,
}

static CONFIGURED_BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the base URL links are minted with, from `ApiConfig::public_base_url`; binaries call it once
/// at start (the first call wins).
pub fn configure_public_base_url(base: &str) {
    let _ = CONFIGURED_BASE.set(base.trim().trim_end_matches('/').to_owned());
}

/// The configured public base URL (see `configure_public_base_url`), else `PUBLIC_BASE_URL` from the
/// environment, without a trailing slash.
pub fn public_base_url() -> String {
    if let Some(base) = CONFIGURED_BASE.get() {
        return base.clone();
    }
    std::env::var("PUBLIC_BASE_URL")
        .ok()
        .map(|v| v.trim().trim_end_matches('/').to_owned())
        .filter(|v| url::Url::parse(v).is_ok_and(|u| u.scheme() == "http" || u.scheme() == "https"))
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned())
}

/// The link for `token`.
pub fn url(base: &str, token: &str) -> String {
    format!("{}/a/{token}", base.trim_end_matches('/'))
}

fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` could be one of ours (anything else is refused without a lookup).
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Mints a link for `action` on a lead in `for_status`, valid for `ttl`; returns the token (shown
/// once, never stored).
pub async fn issue(
    tx: &mut PgConnection,
    lead_id: LeadId,
    action: &ArtistAction,
    for_status: Status,
    ttl: Duration,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let params = serde_json::to_value(action).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    action_tokens::insert(
        tx,
        &hash(&token),
        lead_id,
        action.name(),
        for_status,
        &params,
        Utc::now() + ttl,
    )
    .await?;
    Ok(token)
}

/// Appends one "label: URL" line per link to an artist message, minting the tokens for the lead's
/// status after the decision, valid for `ttl`.
pub async fn append(
    tx: &mut PgConnection,
    lead_id: LeadId,
    ttl: Duration,
    for_status: Status,
    body: &MessageBody,
    links: &[ActionLink],
) -> Result<MessageBody, sqlx::Error> {
    let base = public_base_url();
    let mut lines = Vec::with_capacity(links.len());
    for link in links {
        let token = issue(tx, lead_id, &link.action, for_status, ttl).await?;
        lines.push(format!("{}: {}", link.label, url(&base, &token)));
    }
    Ok(match body {
        MessageBody::Text { text } => MessageBody::text(format!("{text}\n{}", lines.join("\n"))),
        other => other.clone(),
    })
}

/// Checks a stored link against `now` and the lead's current status.
fn check(
    row: &action_tokens::TokenRow,
    now: DateTime<Utc>,
    current: Status,
) -> Result<ArtistAction, LinkError> {
    if row.used_at.is_some() {
        return Err(LinkError::Used);
    }
    if row.expires_at <= now {
        return Err(LinkError::Expired);
    }
    if row.for_status != Some(current) {
        return Err(LinkError::WrongStatus {
            issued_for: row
                .for_status
                .map_or("an unknown status", Status::as_str)
                .to_owned(),
            current,
        });
    }
    serde_json::from_value(row.params.clone()).map_err(|_| LinkError::Unknown)
}

/// What `token` would do now, without doing it (the GET confirmation page).
pub async fn peek(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
) -> Result<LinkPreview, LinkError> {
    if !well_formed(token) {
        return Err(LinkError::Unknown);
    }
    let row = action_tokens::by_hash(pool, &hash(token))
        .await?
        .ok_or(LinkError::Unknown)?;
    let status = leads::status_of(pool, row.lead_id)
        .await?
        .ok_or(LinkError::Unknown)?;
    let action = check(&row, now, status)?;
    Ok(LinkPreview {
        lead_id: row.lead_id,
        description: action.describe(),
        action,
        status,
        expires_at: row.expires_at,
    })
}

/// Performs `token`'s action once (the POST), marking the token used in the same transaction.
pub async fn redeem(
    pool: &PgPool,
    token: &str,
    now: DateTime<Utc>,
    correlation_id: &str,
) -> Result<ActionOutcome, LinkError> {
    if !well_formed(token) {
        return Err(LinkError::Unknown);
    }
    let mut tx = pool.begin().await?;
    let row = action_tokens::lock_by_hash(&mut tx, &hash(token))
        .await?
        .ok_or(LinkError::Unknown)?;
    let status = leads::lock_status(&mut tx, row.lead_id)
        .await?
        .ok_or(LinkError::Unknown)?;
    let action = check(&row, now, status)?;
    let outcome = perform_in(&mut tx, row.lead_id, &action, "link", correlation_id, now).await?;
    action_tokens::mark_used(&mut tx, row.id, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_before_any_lookup() {
        assert!(well_formed(&"a".repeat(43)));
        assert!(well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123"));
        assert!(!well_formed(&"a".repeat(42)));
        assert!(!well_formed(&"a".repeat(44)));
        assert!(!well_formed(&format!("{}=", "a".repeat(42))));
        assert!(!well_formed(""));
        assert_eq!(url("http://x.test/", "tok"), "http://x.test/a/tok");
        assert_ne!(hash("a"), hash("b"));
    }
}
