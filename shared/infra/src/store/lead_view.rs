//! The read side of leads: the "Lead JSON" of INTERFACES.md projected from the database (the
//! admin API, the console and tests all use this one projection), keyset pagination with an
//! opaque cursor, and the transcript, history and audit events of one lead.

use super::ids::LeadId;
use super::messages::{Direction, MessageStatus};
use super::system_events::severity_of;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use inkline_core::conversation::{LeadState, Severity};
use inkline_core::domain::Status;
use inkline_core::webhook::whatsapp::Delivery;
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool, Row};

/// One lead as INTERFACES.md "Lead JSON" spells it. `history` and `transcript` are only present
/// on the detail view (`GET /admin/leads/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeadJson {
    pub id: LeadId,
    /// The artist's slug.
    pub artist: String,
    pub wa_id: String,
    pub name: Option<String>,
    pub status: Status,
    pub step: Option<String>,
    pub answers: Value,
    pub estimate: Option<Value>,
    pub deposit: Option<Value>,
    pub references: Value,
    pub booking: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The client's last message: the WhatsApp 24 h customer-service window runs from here.
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub last_outbound_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptEntry>>,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub from: String,
    pub to: String,
    pub at: DateTime<Utc>,
    pub cause: String,
}

/// One message of the chat with the client, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptEntry {
    /// `in` (from the client) or `out` (to the client).
    pub direction: Direction,
    pub kind: String,
    pub text: Option<String>,
    pub at: DateTime<Utc>,
    /// `sent`, `delivered`, `read` or `failed` for outbound messages Meta has seen; null otherwise.
    pub delivery: Option<Delivery>,
    /// The stored body (interactive choices, template parameters, image ids), for rich views.
    pub body: Value,
    /// Why an unsent outbound message is parked (its send job in the dead-letter queue, or the
    /// artist's sending paused); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked: Option<String>,
}

/// A notification sent to the artist's own number about this lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtistNotification {
    pub text: Option<String>,
    pub at: DateTime<Utc>,
    pub delivery: Option<Delivery>,
    /// Why it is parked, as in [`TranscriptEntry::parked`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked: Option<String>,
}

/// An audit event about the lead.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventEntry {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub severity: Severity,
    pub detail: Value,
}

/// What the leads list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<Status>,
    /// Artist slug.
    pub artist: Option<String>,
    /// Exact WhatsApp id.
    pub wa_id: Option<String>,
    /// Case-insensitive substring of the name or the number (console search).
    pub search: Option<String>,
}

/// Where the next page starts: the (created_at, id) of the last lead shown. Opaque on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: LeadId,
}

/// A cursor string that was not made by [`Cursor::encode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor")]
pub struct InvalidCursor;

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    pub fn parse(s: &str) -> Result<Cursor, InvalidCursor> {
        let raw = URL_SAFE_NO_PAD
            .decode(s.trim())
            .map_err(|_| InvalidCursor)?;
        let raw = String::from_utf8(raw).map_err(|_| InvalidCursor)?;
        let (micros, id) = raw.split_once('|').ok_or(InvalidCursor)?;
        let micros: i64 = micros.parse().map_err(|_| InvalidCursor)?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or(InvalidCursor)?;
        let id = id.parse().map_err(|_| InvalidCursor)?;
        Ok(Cursor { created_at, id })
    }
}

/// One page of leads, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadPage {
    pub leads: Vec<LeadJson>,
    pub next: Option<Cursor>,
}

/// Errors reading the projection.
#[derive(Debug, thiserror::Error)]
pub enum LeadViewError {
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

const COLS: &str = "l.id, a.slug, l.wa_id, l.name, l.status, l.step, l.answers, l.estimate, l.state, \
    l.created_at, l.updated_at, l.last_inbound_at, l.last_outbound_at";

fn from_row(row: &PgRow) -> Result<LeadJson, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let status: Status =
        status
            .parse()
            .map_err(|e: inkline_core::domain::status::UnknownStatus| {
                sqlx::Error::Decode(Box::new(e))
            })?;
    let state: Value = row.try_get("state")?;
    let parsed = serde_json::from_value::<LeadState>(state.clone()).ok();
    Ok(LeadJson {
        id: row.try_get("id")?,
        artist: row.try_get("slug")?,
        wa_id: row.try_get("wa_id")?,
        name: row.try_get("name")?,
        status,
        step: row.try_get("step")?,
        answers: row.try_get("answers")?,
        estimate: row.try_get("estimate")?,
        deposit: parsed.as_ref().and_then(deposit_of),
        references: match &parsed {
            Some(s) => s.references_json(),
            None => raw_references(&state),
        },
        booking: None,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_inbound_at: row.try_get("last_inbound_at")?,
        last_outbound_at: row.try_get("last_outbound_at")?,
        history: None,
        transcript: None,
    })
}

/// The references of a state this build cannot read: its raw list, if any.
fn raw_references(state: &Value) -> Value {
    state
        .get("references")
        .cloned()
        .filter(Value::is_array)
        .unwrap_or(Value::Array(Vec::new()))
}

/// The latest deposit in the INTERFACES.md shape (`status`, amount, session, link, expiry).
fn deposit_of(state: &LeadState) -> Option<Value> {
    let d = state.deposit.as_ref()?;
    Some(serde_json::json!({
        "status": d.status,
        "amount_minor": d.amount.amount_minor,
        "currency": d.amount.currency,
        "checkout_session_id": d.session_id,
        "url": d.url,
        "expires_at": d.expires_at,
        "attempt": d.attempt,
        "method": d.method,
        "paid_at": d.paid_at,
    }))
}

/// The leads matching `filter`, newest first, `limit` at most, after `after`.
pub async fn list(
    db: &PgPool,
    filter: &LeadFilter,
    limit: u32,
    after: Option<Cursor>,
) -> Result<LeadPage, LeadViewError> {
    let limit = limit.clamp(1, 500);
    let search = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(like_pattern);
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM leads l JOIN artists a ON a.id = l.artist_id
         WHERE ($1::text IS NULL OR l.status = $1)
           AND ($2::text IS NULL OR a.slug = $2)
           AND ($3::text IS NULL OR l.wa_id = $3)
           AND ($4::text IS NULL OR l.wa_id ILIKE $4 OR l.name ILIKE $4)
           AND ($5::timestamptz IS NULL OR (l.created_at, l.id) < ($5, $6))
         ORDER BY l.created_at DESC, l.id DESC
         LIMIT $7"
    ))
    .bind(filter.status.map(Status::as_str))
    .bind(filter.artist.as_deref())
    .bind(filter.wa_id.as_deref())
    .bind(search)
    .bind(after.map(|c| c.created_at))
    .bind(after.map(|c| c.id))
    .bind(i64::from(limit) + 1)
    .fetch_all(db)
    .await?;
    let mut leads = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next = if leads.len() > limit as usize {
        leads.truncate(limit as usize);
        leads.last().map(|l| Cursor {
            created_at: l.created_at,
            id: l.id,
        })
    } else {
        None
    };
    Ok(LeadPage { leads, next })
}

/// `%text%` with LIKE's wildcards in `text` taken literally.
fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

/// One lead without history or transcript.
pub async fn summary(
    db: impl PgExecutor<'_>,
    id: LeadId,
) -> Result<Option<LeadJson>, LeadViewError> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM leads l JOIN artists a ON a.id = l.artist_id WHERE l.id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// One lead with its status history and the transcript of the chat with the client.
pub async fn detail(db: &PgPool, id: LeadId) -> Result<Option<LeadJson>, LeadViewError> {
    let Some(mut lead) = summary(db, id).await? else {
        return Ok(None);
    };
    lead.history = Some(history(db, id).await?);
    lead.transcript = Some(transcript(db, id).await?);
    Ok(Some(lead))
}

/// The status history, oldest first.
pub async fn history(
    db: impl PgExecutor<'_>,
    id: LeadId,
) -> Result<Vec<HistoryEntry>, LeadViewError> {
    let rows = sqlx::query("SELECT from_status, to_status, at, cause FROM lead_status_history WHERE lead_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db)
        .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(HistoryEntry {
                from: r.try_get("from_status")?,
                to: r.try_get("to_status")?,
                at: r.try_get("at")?,
                cause: r.try_get("cause")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(entries)
}

/// The parked reason of a message row that is still unsent, else NULL.
const PARKED: &str = "CASE WHEN status = 'queued' AND parked_at IS NOT NULL THEN COALESCE(parked_reason, 'parked') END AS parked";

/// The chat with the client, oldest first (notifications to the artist are not part of it).
pub async fn transcript(
    db: impl PgExecutor<'_>,
    id: LeadId,
) -> Result<Vec<TranscriptEntry>, LeadViewError> {
    let rows = sqlx::query(&format!(
        "SELECT direction, kind, text, body, status, COALESCE(provider_at, created_at) AS at, {PARKED} FROM messages
         WHERE lead_id = $1 AND recipient = 'client' ORDER BY created_at, id",
    ))
    .bind(id)
    .fetch_all(db)
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            let status: MessageStatus = r.try_get("status")?;
            Ok(TranscriptEntry {
                direction: r.try_get("direction")?,
                kind: r.try_get("kind")?,
                text: r.try_get("text")?,
                at: r.try_get("at")?,
                delivery: status.delivery(),
                body: r.try_get("body")?,
                parked: r.try_get("parked")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(entries)
}

/// Notifications about this lead sent to the artist's own number, oldest first.
pub async fn artist_notifications(
    db: impl PgExecutor<'_>,
    id: LeadId,
) -> Result<Vec<ArtistNotification>, LeadViewError> {
    let rows = sqlx::query(&format!(
        "SELECT text, status, created_at, {PARKED} FROM messages WHERE lead_id = $1 AND recipient = 'artist' ORDER BY created_at, id",
    ))
    .bind(id)
    .fetch_all(db)
    .await?;
    let entries = rows
        .iter()
        .map(|r| {
            let status: MessageStatus = r.try_get("status")?;
            Ok(ArtistNotification {
                text: r.try_get("text")?,
                at: r.try_get("created_at")?,
                delivery: status.delivery(),
                parked: r.try_get("parked")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(entries)
}

/// The audit events about this lead, newest first (at most `limit`).
pub async fn events(
    db: impl PgExecutor<'_>,
    id: LeadId,
    limit: i64,
) -> Result<Vec<EventEntry>, LeadViewError> {
    let rows = sqlx::query("SELECT at, kind, severity, detail FROM system_events WHERE lead_id = $1 ORDER BY id DESC LIMIT $2")
        .bind(id)
        .bind(limit)
        .fetch_all(db)
        .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(EventEntry {
                at: r.try_get("at")?,
                kind: r.try_get("kind")?,
                severity: severity_of(r.try_get("severity")?)?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(entries)
}

/// Number of leads per status for `artist` (all artists when None).
pub async fn status_counts(
    db: impl PgExecutor<'_>,
    artist: Option<&str>,
) -> Result<Vec<(Status, i64)>, LeadViewError> {
    let rows = sqlx::query(
        "SELECT l.status, count(*) AS n FROM leads l JOIN artists a ON a.id = l.artist_id
         WHERE ($1::text IS NULL OR a.slug = $1) GROUP BY l.status",
    )
    .bind(artist)
    .fetch_all(db)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let status: String = r.try_get("status")?;
        if let Ok(s) = status.parse::<Status>() {
            out.push((s, r.try_get("n")?));
        }
    }
    out.sort_by_key(|(s, _)| Status::ALL.iter().position(|x| x == s));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor {
            created_at: DateTime::from_timestamp_micros(1_764_064_800_123_456).unwrap(),
            id: LeadId::new(),
        };
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "abc",
            "!!!",
            &URL_SAFE_NO_PAD.encode("12|nope"),
            &URL_SAFE_NO_PAD.encode("x|00000000-0000-0000-0000-000000000000"),
        ] {
            assert_eq!(Cursor::parse(bad), Err(InvalidCursor), "{bad}");
        }
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn delivery_words_follow_the_api() {
        let word = |s: MessageStatus| s.delivery().map(|d| serde_json::json!(d));
        assert_eq!(word(MessageStatus::Queued), None);
        assert_eq!(word(MessageStatus::Received), None);
        assert_eq!(word(MessageStatus::Read), Some(serde_json::json!("read")));
        assert_eq!(
            word(MessageStatus::Undeliverable),
            Some(serde_json::json!("failed"))
        );
        assert_eq!(serde_json::json!(Direction::Out), serde_json::json!("out"));
    }
}
