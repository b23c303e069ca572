//! The transcript: inbound and outbound messages, provider ids and delivery status.

use super::text::{decode_error, text_enum};
use inkline_core::conversation::{Content, Recipient};
use inkline_core::webhook::whatsapp::{Delivery, StatusUpdate};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

text_enum! {
    /// Where a message stands (`messages.status`): inbound rows are `received`; outbound ones are
    /// `queued` until Meta accepts them, then move forward with its receipts.
    pub enum MessageStatus {
        Received = "received",
        Queued = "queued",
        Sent = "sent",
        Delivered = "delivered",
        Read = "read",
        /// Meta refused it or reported it failed.
        Failed = "failed",
        /// Never sent: outside the 24 h window with no template to fall back on.
        Undeliverable = "undeliverable",
    }
}

impl MessageStatus {
    /// What the status says about delivery, in the API's words (`None`: not seen by Meta).
    pub fn delivery(self) -> Option<Delivery> {
        match self {
            MessageStatus::Sent => Some(Delivery::Sent),
            MessageStatus::Delivered => Some(Delivery::Delivered),
            MessageStatus::Read => Some(Delivery::Read),
            MessageStatus::Failed | MessageStatus::Undeliverable => Some(Delivery::Failed),
            MessageStatus::Received | MessageStatus::Queued => None,
        }
    }
}

impl From<Delivery> for MessageStatus {
    fn from(d: Delivery) -> Self {
        match d {
            Delivery::Sent => MessageStatus::Sent,
            Delivery::Delivered => MessageStatus::Delivered,
            Delivery::Read => MessageStatus::Read,
            Delivery::Failed => MessageStatus::Failed,
        }
    }
}

text_enum! {
    /// Which way a message went (`messages.direction`).
    pub enum Direction {
        /// From the client.
        In = "in",
        /// To the client or the artist.
        Out = "out",
    }
}

/// `messages.recipient`'s spelling of the core's [`Recipient`].
pub(super) fn recipient_text(r: Recipient) -> &'static str {
    match r {
        Recipient::Client => "client",
        Recipient::Artist => "artist",
    }
}

/// `messages.recipient` as the core's [`Recipient`].
pub(super) fn recipient_of(text: &str) -> Result<Recipient, sqlx::Error> {
    [Recipient::Client, Recipient::Artist]
        .into_iter()
        .find(|r| recipient_text(*r) == text)
        .ok_or_else(|| decode_error("Recipient", text))
}

pub(super) fn inbound_kind_and_text(c: &Content) -> (&str, Option<String>) {
    match c {
        Content::Text { body } => ("text", Some(body.clone())),
        Content::Image { caption, .. } => ("image", caption.clone()),
        Content::Choice { title, .. } => ("interactive", Some(title.clone())),
        Content::TemplateButton { text, .. } => ("button", Some(text.clone())),
        Content::Location { name, address, .. } => {
            ("location", name.clone().or_else(|| address.clone()))
        }
        Content::Reaction { emoji } => ("reaction", emoji.clone()),
        Content::Other { kind } => (kind.as_str(), None),
    }
}

/// What the sender needs to know about an outbound message before sending it.
#[derive(Debug, Clone)]
pub struct OutboundState {
    pub provider_id: Option<String>,
    pub status: MessageStatus,
}

impl OutboundState {
    /// Accepted by Meta (wamid recorded) or settled as failed: nothing left to send.
    pub fn is_settled(&self) -> bool {
        self.provider_id.is_some() || self.status != MessageStatus::Queued
    }
}

/// Says when a sender will look at a queued message again (its job waits in the retry queue for
/// `wait`), so a long planned wait is not mistaken for a lost job.
pub async fn expect_visit(
    db: impl PgExecutor<'_>,
    id: Uuid,
    wait: std::time::Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET next_visit_at = now() + make_interval(secs => $2)
         WHERE id = $1 AND status = 'queued' AND provider_id IS NULL",
    )
    .bind(id)
    .bind(wait.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}

/// The answer to "may I call the API for this message now?" ([`claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The send lease is this sender's: call the API now, with these facts.
    Mine(SendFacts),
    /// Already accepted by Meta (wamid recorded) or settled as failed: nothing to do.
    Settled,
    /// Older messages to the same recipient are still unsent (and not parked): they go first.
    NotYourTurn { ahead: i64 },
    /// The artist's sending is paused (token expired, account restricted…).
    Paused { reason: Option<String> },
    /// Another sender holds the lease right now.
    Busy,
    /// No such outbound message.
    Missing,
}

/// What a sender needs to know to send a message it has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFacts {
    /// The 24 h window: the recipient's last message to this artist's number — the lead's
    /// `last_inbound_at` or the newest inbound transcript row, whichever is later.
    pub last_inbound_at: Option<chrono::DateTime<chrono::Utc>>,
    pub client_name: Option<String>,
    /// Meta already refused this message as outside the window (131047).
    pub force_template: bool,
    /// When the artist's row last changed: a sender caching the configuration reloads it when
    /// this moves (a new token, new pacing).
    pub artist_version: chrono::DateTime<chrono::Utc>,
}

/// In one round trip: records that a sender looked at the message (`next_visit_at`, see
/// [`park_stalled`]), checks that it is still unsent, that its older siblings to the same
/// recipient are gone and that the artist is not paused, and if so takes the send lease
/// (`lease_secs`, so concurrent deliveries of the same job cannot both call the API; a crashed
/// holder's lease simply expires) and un-parks it (e.g. after a replay from the DLQ). The lease
/// is checked on the row as locked, so two claims never both win.
pub async fn claim(
    db: impl PgExecutor<'_>,
    id: Uuid,
    lease_secs: i64,
) -> Result<Claim, sqlx::Error> {
    let row = sqlx::query(
        "WITH m AS (
             SELECT id, artist_id, wa_id, lead_id, send_seq, force_template, provider_id, status
               FROM messages WHERE id = $1 AND direction = 'out'
         ), a AS (
             SELECT a.sending_paused_at IS NOT NULL AS paused, a.sending_paused_reason, a.updated_at
               FROM artists a JOIN m ON a.id = m.artist_id
         ), ahead AS (
             SELECT count(*) AS n FROM messages p JOIN m ON p.artist_id = m.artist_id AND p.wa_id = m.wa_id
              WHERE p.direction = 'out' AND p.status = 'queued' AND p.parked_at IS NULL
                AND p.send_seq < m.send_seq
         ), go AS (
             SELECT (SELECT n FROM ahead) = 0 AND NOT COALESCE((SELECT paused FROM a), false) AS ok
         ), upd AS (
             UPDATE messages x SET next_visit_at = now(),
                 lease_until = CASE WHEN go.ok AND (x.lease_until IS NULL OR x.lease_until < now())
                                    THEN now() + make_interval(secs => $2) ELSE x.lease_until END,
                 parked_at = CASE WHEN go.ok AND (x.lease_until IS NULL OR x.lease_until < now())
                                  THEN NULL ELSE x.parked_at END,
                 parked_reason = CASE WHEN go.ok AND (x.lease_until IS NULL OR x.lease_until < now())
                                      THEN NULL ELSE x.parked_reason END
               FROM go
              WHERE x.id = $1 AND x.direction = 'out' AND x.provider_id IS NULL AND x.status = 'queued'
             RETURNING x.lease_until = now() + make_interval(secs => $2) AS won
         )
         SELECT m.provider_id, m.status, m.force_template, (SELECT n FROM ahead) AS ahead,
                a.paused, a.sending_paused_reason, a.updated_at AS artist_version, l.name AS client_name,
                GREATEST(l.last_inbound_at,
                         (SELECT max(i.created_at) FROM messages i
                           WHERE i.artist_id = m.artist_id AND i.wa_id = m.wa_id AND i.direction = 'in')) AS last_inbound_at,
                COALESCE((SELECT won FROM upd), false) AS won
           FROM m LEFT JOIN a ON true LEFT JOIN leads l ON l.id = m.lead_id",
    )
    .bind(id)
    .bind(lease_secs as f64)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else {
        return Ok(Claim::Missing);
    };
    if r.try_get::<bool, _>("won")? {
        return Ok(Claim::Mine(SendFacts {
            last_inbound_at: r.try_get("last_inbound_at")?,
            client_name: r.try_get("client_name")?,
            force_template: r.try_get("force_template")?,
            artist_version: r.try_get("artist_version")?,
        }));
    }
    let state = OutboundState {
        provider_id: r.try_get("provider_id")?,
        status: r.try_get("status")?,
    };
    if state.is_settled() {
        return Ok(Claim::Settled);
    }
    if r.try_get::<Option<bool>, _>("paused")?.unwrap_or(false) {
        return Ok(Claim::Paused {
            reason: r.try_get("sending_paused_reason")?,
        });
    }
    let ahead: i64 = r.try_get("ahead")?;
    if ahead > 0 {
        return Ok(Claim::NotYourTurn { ahead });
    }
    Ok(Claim::Busy)
}

/// Gives the lease back after a transient failure, so a retry can take it at once.
pub async fn release(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE messages SET lease_until = NULL, attempts = attempts + 1 WHERE id = $1 AND provider_id IS NULL")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets a queued message aside (artist paused, job dead-lettered): it keeps its place in the
/// transcript and can be sent later, but younger messages to the recipient stop waiting for it.
/// Parking a parked message again only updates the reason. A sender that takes the message's
/// lease ([`claim`], e.g. after a replay from the DLQ) un-parks it.
pub async fn park(db: impl PgExecutor<'_>, id: Uuid, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET parked_at = COALESCE(parked_at, now()), parked_reason = $2, lease_until = NULL
         WHERE id = $1 AND status = 'queued' AND provider_id IS NULL",
    )
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// Parks every queued message no sender has looked at for `stall` past its expected visit (and
/// whose lease, if any, ran out): its job is gone from the work and retry queues — in practice
/// dead-lettered by the broker's `x-delivery-limit` after the handler crashed on it again and
/// again, which no handler is told about. Parked, it stops holding younger messages to the same
/// recipient; a replay of its job from the DLQ un-parks and sends it. Returns what it parked.
pub async fn park_stalled(
    db: impl PgExecutor<'_>,
    stall: std::time::Duration,
) -> Result<Vec<Stalled>, sqlx::Error> {
    let reason = format!(
        "stalled: no sender looked at it for {} s; its job is probably in outbound.whatsapp.dlq (broker delivery limit) — replay it from there",
        stall.as_secs()
    );
    sqlx::query(
        "UPDATE messages SET parked_at = now(), parked_reason = $2, lease_until = NULL
         WHERE direction = 'out' AND status = 'queued' AND provider_id IS NULL AND parked_at IS NULL
           AND (lease_until IS NULL OR lease_until < now())
           AND COALESCE(next_visit_at, created_at) < now() - make_interval(secs => $1)
         RETURNING id, artist_id, lead_id",
    )
    .bind(stall.as_secs_f64())
    .bind(reason)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        Ok(Stalled {
            id: r.try_get("id")?,
            artist_id: r.try_get("artist_id")?,
            lead_id: r.try_get("lead_id")?,
        })
    })
    .collect()
}

/// A message [`park_stalled`] set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled {
    pub id: Uuid,
    pub artist_id: Uuid,
    pub lead_id: Option<Uuid>,
}

/// A queued message set aside, as the console lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParkedMessage {
    pub id: Uuid,
    /// The artist's slug.
    pub artist: String,
    pub lead_id: Option<Uuid>,
    /// The client, or the artist (a notification to the artist's own number).
    pub recipient: Recipient,
    pub wa_id: String,
    pub kind: String,
    pub text: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub parked_at: chrono::DateTime<chrono::Utc>,
    pub parked_reason: Option<String>,
    /// Calls to the API made for it so far.
    pub attempts: i32,
}

/// Parked messages (of one artist, by slug, or all), oldest first, at most `limit`.
pub async fn parked(
    db: impl PgExecutor<'_>,
    artist: Option<&str>,
    limit: i64,
) -> Result<Vec<ParkedMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id, a.slug, m.lead_id, m.recipient, m.wa_id, m.kind, m.text, m.created_at, m.parked_at,
                m.parked_reason, m.attempts
           FROM messages m JOIN artists a ON a.id = m.artist_id
          WHERE m.direction = 'out' AND m.status = 'queued' AND m.parked_at IS NOT NULL
            AND ($1::text IS NULL OR a.slug = $1)
          ORDER BY m.send_seq, m.created_at
          LIMIT $2",
    )
    .bind(artist)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ParkedMessage {
                id: r.try_get("id")?,
                artist: r.try_get("slug")?,
                lead_id: r.try_get("lead_id")?,
                recipient: recipient_of(r.try_get("recipient")?)?,
                wa_id: r.try_get("wa_id")?,
                kind: r.try_get("kind")?,
                text: r.try_get("text")?,
                created_at: r.try_get("created_at")?,
                parked_at: r.try_get("parked_at")?,
                parked_reason: r.try_get("parked_reason")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

/// Meta said the 24 h window is closed: the next attempt sends the template equivalent.
pub async fn force_template(db: impl PgExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET force_template = true, lease_until = NULL, attempts = attempts + 1 WHERE id = $1 AND provider_id IS NULL",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Meta's acceptance of one message, to record.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: Uuid,
    pub wamid: String,
    /// What went out: `text`, `template`…
    pub kind: &'static str,
    /// The body actually sent when it differs from the queued one (a template substitute).
    pub body: Option<serde_json::Value>,
}

/// Records Meta's acceptances (wamids) in one statement. Only the first acceptance of a message
/// counts; returns the ids this call recorded.
pub async fn mark_sent(db: impl PgExecutor<'_>, sent: &[Sent]) -> Result<Vec<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> = sent.iter().map(|s| s.id).collect();
    let wamids: Vec<&str> = sent.iter().map(|s| s.wamid.as_str()).collect();
    let kinds: Vec<&str> = sent.iter().map(|s| s.kind).collect();
    let bodies: Vec<Option<serde_json::Value>> = sent.iter().map(|s| s.body.clone()).collect();
    sqlx::query_scalar(
        "UPDATE messages m SET provider_id = v.wamid, status = 'sent', sent_at = now(),
                attempts = m.attempts + 1, kind = v.kind, lease_until = NULL, body = COALESCE(v.body, m.body)
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[]) AS v(id, wamid, kind, body)
          WHERE m.id = v.id AND m.provider_id IS NULL
         RETURNING m.id",
    )
    .bind(ids)
    .bind(wamids)
    .bind(kinds)
    .bind(bodies)
    .fetch_all(db)
    .await
}

/// Records a permanent failure to send (`Failed` or `Undeliverable`).
pub async fn mark_failed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: MessageStatus,
    code: Option<i64>,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE messages SET status = $2, error_code = $3, error_detail = $4, failed_at = now(), attempts = attempts + 1, lease_until = NULL
         WHERE id = $1 AND provider_id IS NULL",
    )
    .bind(id)
    .bind(status)
    .bind(code.map(|c| c as i32))
    .bind(detail)
    .execute(db)
    .await?;
    Ok(())
}

/// Applies a delivery receipt, only ever moving forward (sent < delivered < read; failed is
/// terminal). Returns the message's (id, lead id) when a row changed.
pub async fn apply_receipt(
    db: impl PgExecutor<'_>,
    s: &StatusUpdate,
) -> Result<Option<(Uuid, Option<Uuid>)>, sqlx::Error> {
    let rank = |d: Delivery| match d {
        Delivery::Sent => 1,
        Delivery::Delivered => 2,
        Delivery::Read => 3,
        Delivery::Failed => 4,
    };
    let col = match s.delivery {
        Delivery::Sent => "sent_at",
        Delivery::Delivered => "delivered_at",
        Delivery::Read => "read_at",
        Delivery::Failed => "failed_at",
    };
    let sql = format!(
        "UPDATE messages SET status = $2, {col} = COALESCE($3, now()), error_code = COALESCE($5, error_code),
            error_detail = COALESCE($6, error_detail)
         WHERE provider_id = $1 AND direction = 'out'
           AND (CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END) < $4
         RETURNING id, lead_id"
    );
    let row = sqlx::query(&sql)
        .bind(&s.id)
        .bind(MessageStatus::from(s.delivery))
        .bind(s.at)
        .bind(rank(s.delivery))
        .bind(s.error_code.map(|c| c as i32))
        .bind(&s.error_detail)
        .fetch_optional(db)
        .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("lead_id")?)))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::text::check_values;

    const FOUNDATION: &str = include_str!("../../../../migrations/20261125000001_foundation.sql");

    #[test]
    fn spellings_are_the_columns_checks() {
        let statuses: Vec<_> = MessageStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(check_values(FOUNDATION, "messages", "status"), statuses);
        let directions: Vec<_> = Direction::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(
            check_values(FOUNDATION, "messages", "direction"),
            directions
        );
        for r in check_values(FOUNDATION, "messages", "recipient") {
            assert_eq!(recipient_of(&r).map(recipient_text).ok(), Some(r.as_str()));
        }
    }

    #[test]
    fn receipts_and_statuses_agree() {
        for d in [
            Delivery::Sent,
            Delivery::Delivered,
            Delivery::Read,
            Delivery::Failed,
        ] {
            assert_eq!(MessageStatus::from(d).as_str(), d.as_str());
            assert_eq!(MessageStatus::from(d).delivery(), Some(d));
        }
        assert_eq!(MessageStatus::Queued.delivery(), None);
        assert_eq!(MessageStatus::Received.delivery(), None);
        assert_eq!(
            MessageStatus::Undeliverable.delivery(),
            Some(Delivery::Failed)
        );
    }
}
