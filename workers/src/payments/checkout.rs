//! `jobs.payments`: create a deposit's Stripe Checkout Session and store it; expire one that must
//! no longer be paid.

use crate::Fleet;
use chrono::{DateTime, Utc};
use infra::bus::consume::RetryPolicy;
use infra::bus::{Handler, Outcome, Received};
use infra::clients::stripe::{CheckoutRequest, StripeClient, StripeError};
use infra::decisions::Locked;
use infra::metrics::metrics;
use infra::store::deposits::{self, AttemptStatus};
use infra::store::leads::{self};
use infra::store::system_events;
use inkline_core::conversation::{DepositStatus, PaymentEvent, Severity};
use inkline_core::domain::Money;
use inkline_core::jobs::{LeadJob, PaymentJob};
use inkline_core::payments;
use uuid::Uuid;

use super::decide;
use infra::decisions;

pub(super) struct JobHandler {
    pub(super) fleet: Fleet,
    pub(super) stripe: StripeClient,
}

#[async_trait::async_trait]
impl Handler for JobHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        let LeadJob { lead_id, job, .. }: LeadJob<PaymentJob> =
            match serde_json::from_slice(&msg.payload) {
                Ok(j) => j,
                Err(e) => return Outcome::Dead(format!("undecodable payments job: {e}")),
            };
        let last_try = RetryPolicy::of(&self.fleet.bus).is_last_attempt(msg);
        let result = match job {
            PaymentJob::CreateCheckout {
                attempt,
                amount_minor,
                currency,
                requested_at,
            } => {
                let ask = Ask {
                    lead_id,
                    attempt,
                    amount: Money::new(amount_minor, currency),
                    requested_at,
                };
                create_checkout(
                    &self.fleet,
                    &self.stripe,
                    &ask,
                    last_try,
                    &msg.correlation_id,
                )
                .await
            }
            PaymentJob::ExpireCheckout {
                checkout_session_id,
            } => {
                expire_checkout(
                    &self.fleet,
                    &self.stripe,
                    lead_id,
                    &checkout_session_id,
                    last_try,
                )
                .await
            }
        };
        result.unwrap_or_else(|e| Outcome::of_error(e.as_ref()))
    }
}

/// One deposit attempt to create a session for.
struct Ask {
    lead_id: Uuid,
    attempt: u32,
    amount: Money,
    requested_at: DateTime<Utc>,
}

async fn create_checkout(
    fleet: &Fleet,
    stripe: &StripeClient,
    ask: &Ask,
    last_try: bool,
    cid: &str,
) -> anyhow::Result<Outcome> {
    if deposits::exists(&fleet.pool, ask.lead_id.into(), ask.attempt).await? {
        metrics()
            .duplicates
            .with_label_values(&["payments_job"])
            .inc();
        return Ok(Outcome::Ack);
    }
    let Locked { lead, artist } = {
        let mut tx = fleet.pool.begin().await?;
        let Some(found) = decisions::lock(&mut tx, ask.lead_id.into()).await? else {
            return Ok(Outcome::Dead(format!("no lead {}", ask.lead_id)));
        };
        found
    };
    let wanted = lead
        .state
        .deposit
        .as_ref()
        .is_some_and(|d| d.attempt == ask.attempt && d.status == DepositStatus::Requested);
    if !wanted {
        tracing::info!(lead_id = %ask.lead_id, attempt = ask.attempt, "checkout job for an attempt no longer asked for; skipped");
        return Ok(Outcome::Ack);
    }
    let expires_at = match payments::checkout_expiry(
        ask.requested_at,
        artist.config.timeouts.deposit_expiry_minutes,
        Utc::now(),
    ) {
        Ok(at) => at,
        Err(e) => {
            return fail(
                fleet,
                ask,
                &e.to_string(),
                serde_json::json!({"error": e.to_string()}),
                cid,
            )
            .await;
        }
    };
    let base = &fleet.cfg.api.public_base_url;
    let request = CheckoutRequest {
        lead_id: ask.lead_id,
        artist: artist.config.slug.clone(),
        amount: ask.amount,
        product_name: format!("Tattoo deposit – {}", artist.config.name),
        success_url: format!("{base}/paid?session_id={{CHECKOUT_SESSION_ID}}"),
        cancel_url: format!("{base}/cancelled"),
        expires_at: expires_at.timestamp(),
        idempotency_key: payments::idempotency_key(ask.lead_id, ask.attempt),
    };
    let session = match stripe.create_checkout_session(&request).await {
        Ok(s) => s,
        Err(e) if e.is_retryable() && !last_try => return Ok(Outcome::Retry(e.to_string())),
        Err(e) => return fail(fleet, ask, &short_reason(&e), stripe_detail(&e), cid).await,
    };
    let Some(url) = session.url.clone() else {
        let detail = serde_json::json!({"session": session.id, "error": "no url in the session"});
        return fail(
            fleet,
            ask,
            "Stripe returned a session without a link",
            detail,
            cid,
        )
        .await;
    };
    let expires_at = session
        .expires_at
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .unwrap_or(expires_at);
    let mut tx = fleet.pool.begin().await?;
    let Some(locked) = decisions::lock(&mut tx, ask.lead_id.into()).await? else {
        return Ok(Outcome::Dead(format!("no lead {}", ask.lead_id)));
    };
    let lead = &locked.lead;
    let currency = ask.amount.currency;
    if deposits::insert_checkout(
        &mut tx,
        lead.id,
        ask.attempt,
        ask.amount.amount_minor,
        currency.as_str(),
        &session.id,
        &url,
        expires_at,
    )
    .await?
    {
        let event = PaymentEvent::CheckoutCreated {
            attempt: ask.attempt,
            session_id: session.id.clone(),
            url,
            amount: ask.amount,
            expires_at,
        };
        decide(&mut tx, &locked, event, cid).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// A permanent failure: the artist takes over (the engine tells both sides), audited.
async fn fail(
    fleet: &Fleet,
    ask: &Ask,
    reason: &str,
    detail: serde_json::Value,
    cid: &str,
) -> anyhow::Result<Outcome> {
    tracing::error!(lead_id = %ask.lead_id, attempt = ask.attempt, reason, "deposit link could not be created");
    let mut tx = fleet.pool.begin().await?;
    let Some(locked) = decisions::lock(&mut tx, ask.lead_id.into()).await? else {
        return Ok(Outcome::Dead(format!("no lead {}", ask.lead_id)));
    };
    let (lead, artist) = (&locked.lead, &locked.artist);
    let detail = serde_json::json!({"attempt": ask.attempt, "amount": ask.amount, "reason": reason, "stripe": detail});
    system_events::record(
        &mut *tx,
        Some(artist.id),
        Some(lead.id.uuid()),
        "stripe_checkout_failed",
        Severity::Error,
        detail,
    )
    .await?;
    decide(
        &mut tx,
        &locked,
        PaymentEvent::CheckoutFailed {
            attempt: ask.attempt,
            reason: reason.to_owned(),
        },
        cid,
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// What the artist reads about a Stripe failure (no secrets: Stripe's own message and code).
fn short_reason(e: &StripeError) -> String {
    match e {
        StripeError::Api {
            error_type,
            code,
            message,
            ..
        } => {
            let msg: String = message.chars().take(160).collect();
            format!("{}: {msg}", code.as_deref().unwrap_or(error_type))
        }
        StripeError::Transport(_) => "Stripe could not be reached".into(),
        StripeError::Decode(_) => "Stripe gave an unexpected answer".into(),
        StripeError::NoKey => "Stripe is not configured (STRIPE_SECRET_KEY)".into(),
    }
}

fn stripe_detail(e: &StripeError) -> serde_json::Value {
    match e {
        StripeError::Api {
            http_status,
            error_type,
            code,
            message,
            request_id,
            ..
        } => serde_json::json!({
            "http_status": http_status, "type": error_type, "code": code, "message": message, "request_id": request_id,
        }),
        other => serde_json::json!({"error": other.to_string()}),
    }
}

async fn expire_checkout(
    fleet: &Fleet,
    stripe: &StripeClient,
    lead_id: Uuid,
    session_id: &str,
    last_try: bool,
) -> anyhow::Result<Outcome> {
    match stripe
        .expire_checkout_session(session_id, &payments::expire_key(session_id))
        .await
    {
        Ok(_) => {}
        Err(e) if e.is_retryable() && !last_try => return Ok(Outcome::Retry(e.to_string())),
        Err(e) => {
            let detail = serde_json::json!({"session": session_id, "stripe": stripe_detail(&e)});
            system_events::record(
                &fleet.pool,
                None,
                Some(lead_id),
                "stripe_expire_failed",
                Severity::Warning,
                detail,
            )
            .await?;
            return Ok(Outcome::Ack);
        }
    }
    let mut tx = fleet.pool.begin().await?;
    if leads::lock(&mut tx, lead_id.into()).await?.is_some()
        && let Some(dep) = deposits::lock_by_session(&mut tx, session_id).await?
        && dep.status == AttemptStatus::Pending
    {
        deposits::set_status(&mut tx, dep.id, AttemptStatus::Cancelled).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}
