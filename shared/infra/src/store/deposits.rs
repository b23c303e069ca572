//! Deposits: one row per attempt (a Stripe Checkout Session or a payment recorded by hand), found
//! by lead + attempt (the checkout job), by session id (Stripe's checkout events), by payment
//! intent (`charge.refunded`) or by expiry (the sweep).

use super::ids::LeadId;
use super::text::{decode_error, text_enum};
use chrono::{DateTime, Utc};
use inkline_core::conversation::PaymentMethod;
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

text_enum! {
    /// Where one deposit attempt stands (`deposits.status`). The lead's own status lives on
    /// `leads`; this is the money's.
    pub enum AttemptStatus {
        /// The link is open.
        Pending = "pending",
        /// Completed with a delayed method (bank debit...): the async events decide.
        Processing = "processing",
        Paid = "paid",
        /// The link ran out (Stripe's event or our sweep).
        Expired = "expired",
        /// A delayed payment failed.
        Failed = "failed",
        /// We expired the session ourselves (a newer link replaced it).
        Cancelled = "cancelled",
        /// All of it went back.
        Refunded = "refunded",
    }
}

impl AttemptStatus {
    /// The money arrived (and maybe went back again).
    pub fn is_paid(self) -> bool {
        matches!(self, AttemptStatus::Paid | AttemptStatus::Refunded)
    }

    /// Stripe may still report a payment or a failure for it.
    pub fn is_open(self) -> bool {
        matches!(self, AttemptStatus::Pending | AttemptStatus::Processing)
    }
}

/// `deposits.method` as the core's [`PaymentMethod`].
fn method_of(text: &str) -> Result<PaymentMethod, sqlx::Error> {
    [
        PaymentMethod::Stripe,
        PaymentMethod::Cash,
        PaymentMethod::Bank,
    ]
    .into_iter()
    .find(|m| m.as_str() == text)
    .ok_or_else(|| decode_error("PaymentMethod", text))
}

/// A deposit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositRow {
    pub id: Uuid,
    pub lead_id: LeadId,
    pub attempt: i32,
    pub amount_minor: i64,
    /// Upper-case ISO 4217.
    pub currency: String,
    pub method: PaymentMethod,
    pub status: AttemptStatus,
    pub checkout_session_id: Option<String>,
    pub url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_intent: Option<String>,
    pub amount_refunded: i64,
    pub created_at: DateTime<Utc>,
}

const COLS: &str = "id, lead_id, attempt, amount_minor, currency, method, status, checkout_session_id, url, \
    expires_at, paid_at, payment_intent, amount_refunded, created_at";

fn from_row(r: &sqlx::postgres::PgRow) -> Result<DepositRow, sqlx::Error> {
    Ok(DepositRow {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        attempt: r.try_get("attempt")?,
        amount_minor: r.try_get("amount_minor")?,
        currency: r.try_get("currency")?,
        method: method_of(r.try_get("method")?)?,
        status: r.try_get("status")?,
        checkout_session_id: r.try_get("checkout_session_id")?,
        url: r.try_get("url")?,
        expires_at: r.try_get("expires_at")?,
        paid_at: r.try_get("paid_at")?,
        payment_intent: r.try_get("payment_intent")?,
        amount_refunded: r.try_get("amount_refunded")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A new Checkout Session for (lead, attempt). Stored once: false when that attempt already has
/// its row (a duplicate job or a retry after a crash).
#[allow(clippy::too_many_arguments)]
pub async fn insert_checkout(
    tx: &mut PgConnection,
    lead_id: LeadId,
    attempt: u32,
    amount_minor: i64,
    currency: &str,
    session_id: &str,
    url: &str,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "INSERT INTO deposits (id, lead_id, attempt, amount_minor, currency, method, status, checkout_session_id, url, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT DO NOTHING",
        Uuid::now_v7(),
        lead_id.uuid(),
        i32::try_from(attempt).unwrap_or(i32::MAX),
        amount_minor,
        currency,
        PaymentMethod::Stripe.as_str(),
        AttemptStatus::Pending.as_str(),
        session_id,
        url,
        expires_at,
    )
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A deposit the artist recorded as paid outside Stripe (`cash` or `bank`).
pub async fn insert_offline(
    tx: &mut PgConnection,
    lead_id: LeadId,
    attempt: u32,
    amount_minor: i64,
    currency: &str,
    method: PaymentMethod,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO deposits (id, lead_id, attempt, amount_minor, currency, method, status, paid_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT DO NOTHING",
        Uuid::now_v7(),
        lead_id.uuid(),
        i32::try_from(attempt).unwrap_or(i32::MAX),
        amount_minor,
        currency,
        method.as_str(),
        AttemptStatus::Paid.as_str(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether (lead, attempt) already has its row.
pub async fn exists(
    db: impl PgExecutor<'_>,
    lead_id: LeadId,
    attempt: u32,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM deposits WHERE lead_id = $1 AND attempt = $2) AS "exists!""#,
        lead_id.uuid(),
        i32::try_from(attempt).unwrap_or(i32::MAX),
    )
    .fetch_one(db)
    .await
}

/// The lead a session belongs to (unlocked; lock the lead, then the row).
pub async fn lead_of_session(
    db: impl PgExecutor<'_>,
    session_id: &str,
) -> Result<Option<LeadId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT lead_id AS "lead_id: LeadId" FROM deposits WHERE checkout_session_id = $1"#,
        session_id,
    )
    .fetch_optional(db)
    .await
}

/// The lead a payment intent belongs to (unlocked).
pub async fn lead_of_payment_intent(
    db: impl PgExecutor<'_>,
    payment_intent: &str,
) -> Result<Option<LeadId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT lead_id AS "lead_id: LeadId" FROM deposits
           WHERE payment_intent = $1 ORDER BY attempt DESC LIMIT 1"#,
        payment_intent,
    )
    .fetch_optional(db)
    .await
}

/// Locks the row of a session (after its lead).
pub async fn lock_by_session(
    tx: &mut PgConnection,
    session_id: &str,
) -> Result<Option<DepositRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM deposits WHERE checkout_session_id = $1 FOR UPDATE"
    ))
    .bind(session_id)
    .fetch_optional(tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Locks the row of a payment intent (after its lead).
pub async fn lock_by_payment_intent(
    tx: &mut PgConnection,
    payment_intent: &str,
) -> Result<Option<DepositRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM deposits WHERE payment_intent = $1 ORDER BY attempt DESC LIMIT 1 FOR UPDATE"
    ))
    .bind(payment_intent)
    .fetch_optional(tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Sets the status of one row.
pub async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: AttemptStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deposits SET status = $2, updated_at = now() WHERE id = $1",
        id,
        status.as_str(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Marks a session's deposit paid.
pub async fn mark_paid(
    tx: &mut PgConnection,
    id: Uuid,
    payment_intent: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deposits SET status = $3, paid_at = COALESCE(paid_at, now()),
            payment_intent = COALESCE($2, payment_intent), updated_at = now() WHERE id = $1",
        id,
        payment_intent,
        AttemptStatus::Paid.as_str(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Records how much of a deposit went back (`refunded` once nothing is left).
pub async fn mark_refunded(
    tx: &mut PgConnection,
    id: Uuid,
    amount_refunded: i64,
    full: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deposits SET amount_refunded = GREATEST(amount_refunded, $2),
            status = CASE WHEN $3 THEN $4 ELSE status END, updated_at = now() WHERE id = $1",
        id,
        amount_refunded,
        full,
        AttemptStatus::Refunded.as_str(),
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Open links whose time passed, oldest first (candidates; each is re-checked under locks). Links
/// the sweep parked, or whose last expiry attempt failed less than its back-off ago, wait
/// (`store::parking`).
pub async fn due_for_expiry(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Uuid, LeadId)>, sqlx::Error> {
    // 'pending' is spelled out (not bound) so the planner can use the partial index on it.
    let rows = sqlx::query!(
        r#"SELECT id, lead_id AS "lead_id: LeadId" FROM deposits
         WHERE status = 'pending' AND expires_at <= $1 AND expiry_parked_at IS NULL
           AND (expiry_next_attempt_at IS NULL OR expiry_next_attempt_at <= $1)
         ORDER BY expires_at LIMIT $2"#,
        now,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.lead_id)).collect())
}

/// Locks one due row, skipping it if another sweeper holds it or it is no longer open and due.
pub async fn lock_due(
    tx: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<DepositRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM deposits WHERE id = $1 AND status = 'pending' AND expires_at <= $2
         AND expiry_parked_at IS NULL FOR UPDATE SKIP LOCKED"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(tx)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every attempt of a lead, newest first (the console's lead view shows the first).
pub async fn for_lead(
    db: impl PgExecutor<'_>,
    lead_id: LeadId,
) -> Result<Vec<DepositRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLS} FROM deposits WHERE lead_id = $1 ORDER BY attempt DESC"
    ))
    .bind(lead_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The newest attempt of a lead.
pub async fn latest_for_lead(
    db: impl PgExecutor<'_>,
    lead_id: LeadId,
) -> Result<Option<DepositRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLS} FROM deposits WHERE lead_id = $1 ORDER BY attempt DESC LIMIT 1"
    ))
    .bind(lead_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_methods_are_the_columns_checks() {
        let sql = include_str!("../../../../migrations/20261125000021_deposits.sql");
        let statuses: Vec<_> = AttemptStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            super::super::text::check_values(sql, "deposits", "status"),
            statuses
        );
        let methods = super::super::text::check_values(sql, "deposits", "method");
        for m in &methods {
            assert_eq!(
                method_of(m).map(PaymentMethod::as_str).ok(),
                Some(m.as_str())
            );
        }
        assert_eq!(methods.len(), 3);
        assert!("open".parse::<AttemptStatus>().is_err());
    }
}
