//! Payments role: three loops.
//!
//! - `jobs.payments`: `create_checkout` → Stripe Checkout Session (outside any transaction, with
//!   the attempt's idempotency key), then ONE transaction: store the `deposits` row, let the engine
//!   send the link (→ stays AWAITING_DEPOSIT) — a duplicate job finds the row and stops.
//!   `expire_checkout` closes a session that must no longer be paid.
//! - `inbound.stripe`: decode, check livemode against the key, then ONE transaction per event:
//!   dedup by event id, lock the lead and its deposit, check amount and currency, apply the engine.
//!   A refund that overtook its payment's event is matched through Stripe (the session behind the
//!   payment intent): the payment is applied first, then the refund.
//! - The expiry sweep: open links whose `expires_at` passed without Stripe's event.
//!
//! Stripe failures: transient ones are retried (in the client, then through the retry queue);
//! permanent ones (and transient ones on the last attempt) hand the lead to the artist.

use crate::Fleet;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::bus::consume::RetryPolicy;
use shared::bus::topology::{INBOUND_STRIPE, JOBS_PAYMENTS};
use shared::bus::{Handler, Outcome, Received};
use shared::clients::stripe::{CheckoutRequest, CheckoutSession, StripeClient, StripeError};
use shared::config::ParkingConfig;
use shared::conversation::copy::Phrases;
use shared::conversation::{DepositStatus, Event, ExpiryReason, PaymentEvent, Recipient, Severity};
use shared::domain::{Currency, Money};
use shared::metrics::metrics;
use shared::payments;
use shared::shutdown::Shutdown;
use shared::store::artists::{self, Artist};
use shared::store::deposits::{self, DepositRow};
use shared::store::effects::{self, Subject};
use shared::store::leads::{self, LeadRow};
use shared::store::parking::Loop;
use shared::store::{processed, system_events};
use shared::webhook::stripe::{
    self as stripe_event, ChargeObject, EventObject, SessionObject, StripeEvent,
};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// How often the sweep looks for links that ran out.
pub const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Expired links handled per sweep round.
const SWEEP_BATCH: i64 = 100;

/// A `jobs.payments` message (the engine's job payload plus the lead id and artist slug).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentJob {
    CreateCheckout {
        lead_id: Uuid,
        attempt: u32,
        amount_minor: i64,
        currency: String,
        requested_at: DateTime<Utc>,
    },
    ExpireCheckout {
        lead_id: Uuid,
        checkout_session_id: String,
    },
}

/// Runs the role until shutdown.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let api = &fleet.cfg.api;
    let stripe = StripeClient::new(
        fleet.http.clone(),
        &api.stripe_api_base,
        api.stripe_secret_key.clone(),
        api.http_timeout,
    );
    if api.stripe_secret_key.is_none() {
        tracing::warn!(
            "STRIPE_SECRET_KEY is not set: deposit links cannot be created (artists are told)"
        );
    }
    let events = EventHandler {
        fleet: fleet.clone(),
        livemode: stripe.expects_livemode(),
        stripe: stripe.clone(),
    };
    let jobs = JobHandler {
        fleet: fleet.clone(),
        stripe,
    };
    tokio::join!(
        crate::observed::consume(&fleet, JOBS_PAYMENTS, jobs, shutdown.clone()),
        crate::observed::consume(&fleet, INBOUND_STRIPE, events, shutdown.clone()),
        sweep_loop(
            fleet.pool.clone(),
            fleet.cfg.parking.clone(),
            shutdown.clone()
        ),
    );
}

struct JobHandler {
    fleet: Fleet,
    stripe: StripeClient,
}

#[async_trait::async_trait]
impl Handler for JobHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        let job: PaymentJob = match serde_json::from_slice(&msg.payload) {
            Ok(j) => j,
            Err(e) => return Outcome::Dead(format!("undecodable payments job: {e}")),
        };
        let last_try = RetryPolicy::of(&self.fleet.bus).is_last_attempt(msg);
        let result = match job {
            PaymentJob::CreateCheckout {
                lead_id,
                attempt,
                amount_minor,
                currency,
                requested_at,
            } => {
                let Ok(currency) = Currency::parse(&currency) else {
                    return Outcome::Dead(format!("bad currency {currency:?}"));
                };
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
                lead_id,
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

/// Loads a lead and its artist under the lead's row lock.
async fn lock_lead(
    tx: &mut PgConnection,
    lead_id: Uuid,
) -> anyhow::Result<Option<(LeadRow, Artist)>> {
    let Some(lead) = leads::lock(tx, lead_id).await? else {
        return Ok(None);
    };
    let artist = artists::by_id(&mut *tx, lead.artist_id).await?;
    Ok(artist.map(|a| (lead, a)))
}

/// Runs the engine on `event` and applies the decision; an illegal transition is recorded.
async fn decide(
    tx: &mut PgConnection,
    lead: &LeadRow,
    artist: &Artist,
    event: PaymentEvent,
    correlation_id: &str,
) -> anyhow::Result<()> {
    let event = Event::Payment(event);
    match shared::conversation::step(&lead.state, &event, &artist.config, Utc::now()) {
        Ok(decision) => {
            let who = Subject {
                artist,
                lead_id: lead.id,
                client_wa_id: &lead.wa_id,
                correlation_id,
                source_message_id: None,
            };
            effects::apply(tx, &who, lead.state.status, &decision).await?;
        }
        Err(illegal) => {
            effects::refuse_illegal(
                tx,
                artist.id,
                lead.id,
                &illegal,
                serde_json::json!({"event": event}),
            )
            .await?;
        }
    }
    Ok(())
}

async fn create_checkout(
    fleet: &Fleet,
    stripe: &StripeClient,
    ask: &Ask,
    last_try: bool,
    cid: &str,
) -> anyhow::Result<Outcome> {
    if deposits::exists(&fleet.pool, ask.lead_id, ask.attempt).await? {
        metrics()
            .duplicates
            .with_label_values(&["payments_job"])
            .inc();
        return Ok(Outcome::Ack);
    }
    let (lead, artist) = {
        let mut tx = fleet.pool.begin().await?;
        let Some(found) = lock_lead(&mut tx, ask.lead_id).await? else {
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
    let Some((lead, artist)) = lock_lead(&mut tx, ask.lead_id).await? else {
        return Ok(Outcome::Dead(format!("no lead {}", ask.lead_id)));
    };
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
        decide(&mut tx, &lead, &artist, event, cid).await?;
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
    let Some((lead, artist)) = lock_lead(&mut tx, ask.lead_id).await? else {
        return Ok(Outcome::Dead(format!("no lead {}", ask.lead_id)));
    };
    let detail = serde_json::json!({"attempt": ask.attempt, "amount": ask.amount, "reason": reason, "stripe": detail});
    system_events::record(
        &mut *tx,
        Some(artist.id),
        Some(lead.id),
        "stripe_checkout_failed",
        Severity::Error,
        detail,
    )
    .await?;
    decide(
        &mut tx,
        &lead,
        &artist,
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
    if leads::lock(&mut tx, lead_id).await?.is_some()
        && let Some(dep) = deposits::lock_by_session(&mut tx, session_id).await?
        && dep.status == "pending"
    {
        deposits::set_status(&mut tx, dep.id, "cancelled").await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}

struct EventHandler {
    fleet: Fleet,
    /// The mode events must be in for the configured key.
    livemode: bool,
    /// Asked when an event names a payment we have not seen (see `refund_event`).
    stripe: StripeClient,
}

#[async_trait::async_trait]
impl Handler for EventHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        let last_try = RetryPolicy::of(&self.fleet.bus).is_last_attempt(msg);
        match handle_event(
            &self.fleet.pool,
            &self.stripe,
            self.livemode,
            &msg.payload,
            &msg.correlation_id,
            last_try,
        )
        .await
        {
            Ok(o) => o,
            Err(e) => Outcome::of_error(e.as_ref()),
        }
    }
}

/// Handles one Stripe event body (already signature-checked by the ingress). `last_try`: a retry
/// now would dead-letter the event, so what cannot be matched is recorded as unknown instead.
pub async fn handle_event(
    pool: &PgPool,
    stripe: &StripeClient,
    expect_livemode: bool,
    body: &[u8],
    cid: &str,
    last_try: bool,
) -> anyhow::Result<Outcome> {
    let evt = match stripe_event::decode(body) {
        Ok(e) => e,
        Err(e) => return Ok(Outcome::Dead(format!("undecodable Stripe event: {e}"))),
    };
    if evt.livemode != expect_livemode {
        tracing::warn!(event = %evt.id, livemode = evt.livemode, "Stripe event in the other mode than our key; ignored");
        let detail =
            serde_json::json!({"event": evt.id, "type": evt.event_type, "livemode": evt.livemode});
        return record_only(
            pool,
            &evt,
            None,
            "stripe_livemode_mismatch",
            Severity::Warning,
            detail,
        )
        .await;
    }
    let kind = evt.event_type.as_str();
    match &evt.object {
        EventObject::Session(s)
            if matches!(
                kind,
                "checkout.session.completed"
                    | "checkout.session.async_payment_succeeded"
                    | "checkout.session.async_payment_failed"
                    | "checkout.session.expired"
            ) =>
        {
            session_event(pool, &evt, s, cid, last_try).await
        }
        EventObject::Charge(c) if kind == "charge.refunded" => {
            refund_event(pool, stripe, &evt, c, cid).await
        }
        _ => {
            tracing::debug!(event = %evt.id, kind, "Stripe event type Inkline does not handle; acked");
            Ok(Outcome::Ack)
        }
    }
}

/// Records an event that changes nothing (once per event id) and acks it.
async fn record_only(
    pool: &PgPool,
    evt: &StripeEvent,
    lead_id: Option<Uuid>,
    kind: &str,
    severity: Severity,
    detail: serde_json::Value,
) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    if processed::first_time(&mut tx, "stripe", &evt.id).await? {
        system_events::record(&mut *tx, None, lead_id, kind, severity, detail).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// Opens the transaction of an event about `lead_id`: records the event as processed and locks the
/// lead. None when the event was processed before (a duplicate, counted) or the lead is gone —
/// nothing to do, and nothing recorded (the transaction is dropped).
async fn begin_event<'p>(
    pool: &'p PgPool,
    evt: &StripeEvent,
    lead_id: Uuid,
) -> anyhow::Result<Option<(sqlx::Transaction<'p, sqlx::Postgres>, LeadRow, Artist)>> {
    let mut tx = pool.begin().await?;
    if !processed::first_time(&mut tx, "stripe", &evt.id).await? {
        metrics().duplicates.with_label_values(&["stripe"]).inc();
        return Ok(None);
    }
    Ok(lock_lead(&mut tx, lead_id)
        .await?
        .map(|(lead, artist)| (tx, lead, artist)))
}

/// `id` when it is a lead of ours (a session's metadata is not ours to trust).
async fn existing_lead(pool: &PgPool, id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM leads WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The lead id a session or charge names in its metadata (for the audit trail only).
fn named_lead(metadata: &std::collections::BTreeMap<String, String>) -> Option<Uuid> {
    metadata.get("lead_id").and_then(|l| l.parse().ok())
}

async fn session_event(
    pool: &PgPool,
    evt: &StripeEvent,
    s: &SessionObject,
    cid: &str,
    last_try: bool,
) -> anyhow::Result<Outcome> {
    let Some(lead_id) = deposits::lead_of_session(pool, &s.id).await? else {
        // The event may have overtaken the commit of the checkout job that created the session:
        // while the session names one of our leads, wait for that commit (bounded by the retry
        // budget) rather than record the event without its effect.
        if !last_try
            && let Some(named) = named_lead(&s.metadata)
            && existing_lead(pool, named).await?.is_some()
        {
            return Ok(Outcome::Retry(format!(
                "session {} of lead {named} is not recorded yet",
                s.id
            )));
        }
        let detail = serde_json::json!({"event": evt.id, "type": evt.event_type, "session": s.id, "metadata": s.metadata});
        return unknown(pool, evt, named_lead(&s.metadata), detail).await;
    };
    let Some((mut tx, lead, artist)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_session(&mut tx, &s.id).await? else {
        tx.commit().await?;
        return Ok(Outcome::Ack);
    };
    let attempt = u32::try_from(dep.attempt).unwrap_or(0);
    let event = match (evt.event_type.as_str(), s.payment_status.as_deref()) {
        ("checkout.session.completed", Some("unpaid")) => {
            // A delayed method: the async events decide.
            if dep.status == "pending" {
                deposits::set_status(&mut tx, dep.id, "processing").await?;
            }
            None
        }
        ("checkout.session.completed", payment_status)
            if payment_status != Some("paid") && !is_paid(&dep) =>
        {
            // `no_payment_required` or something new: not money we asked for.
            let detail = serde_json::json!({"event": evt.id, "session": s.id, "payment_status": s.payment_status});
            system_events::record(
                &mut *tx,
                Some(artist.id),
                Some(lead.id),
                "stripe_payment_status_unexpected",
                Severity::Warning,
                detail,
            )
            .await?;
            None
        }
        ("checkout.session.completed", _) | ("checkout.session.async_payment_succeeded", _) => {
            paid(&mut tx, &evt.id, s, &dep, &lead, &artist, cid).await?
        }
        ("checkout.session.async_payment_failed", _)
            if matches!(dep.status.as_str(), "pending" | "processing") =>
        {
            deposits::set_status(&mut tx, dep.id, "failed").await?;
            Some(PaymentEvent::Expired {
                attempt,
                reason: ExpiryReason::PaymentFailed,
            })
        }
        ("checkout.session.expired", _) if dep.status == "pending" => {
            deposits::set_status(&mut tx, dep.id, "expired").await?;
            Some(PaymentEvent::Expired {
                attempt,
                reason: ExpiryReason::LinkExpired,
            })
        }
        (kind, _) => {
            // Late or out of order (expired after paid, a failure after the sweep...): nothing to undo.
            let detail = serde_json::json!({"event": evt.id, "type": kind, "session": s.id, "deposit_status": dep.status});
            system_events::record(
                &mut *tx,
                Some(artist.id),
                Some(lead.id),
                "stripe_event_out_of_order",
                Severity::Info,
                detail,
            )
            .await?;
            None
        }
    };
    if let Some(event) = event {
        decide(&mut tx, &lead, &artist, event, cid).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// Whether a deposit's money arrived (and maybe went back again).
fn is_paid(dep: &DepositRow) -> bool {
    matches!(dep.status.as_str(), "paid" | "refunded")
}

/// A session says paid: accepted only when it is exactly the deposit we asked for. `event_id` is
/// the Stripe event that told us (for the audit trail).
async fn paid(
    tx: &mut PgConnection,
    event_id: &str,
    s: &SessionObject,
    dep: &DepositRow,
    lead: &LeadRow,
    artist: &Artist,
    cid: &str,
) -> anyhow::Result<Option<PaymentEvent>> {
    if is_paid(dep) {
        return Ok(None);
    }
    if let Err(mismatch) = payments::check_paid(
        dep.amount_minor,
        &dep.currency,
        s.amount_total,
        s.currency.as_deref(),
    ) {
        tracing::error!(lead_id = %lead.id, session = %s.id, %mismatch, "paid session does not match the deposit");
        let detail = serde_json::json!({
            "event": event_id, "session": s.id, "expected": {"amount_minor": dep.amount_minor, "currency": dep.currency},
            "got": {"amount_minor": s.amount_total, "currency": s.currency}, "problem": mismatch.to_string(),
        });
        system_events::record(
            &mut *tx,
            Some(artist.id),
            Some(lead.id),
            "stripe_amount_mismatch",
            Severity::Error,
            detail,
        )
        .await?;
        alert_artist(
            tx,
            lead,
            artist,
            "artist.payment_mismatch",
            &[("problem", &mismatch.to_string())],
            cid,
        )
        .await?;
        return Ok(None);
    }
    deposits::mark_paid(tx, dep.id, s.payment_intent.as_deref()).await?;
    let amount = Money::new(
        dep.amount_minor,
        Currency::parse(&dep.currency).unwrap_or(artist.config.currency),
    );
    Ok(Some(PaymentEvent::Paid {
        attempt: u32::try_from(dep.attempt).unwrap_or(0),
        amount,
    }))
}

/// A notification to the artist's own number that is not an engine decision.
async fn alert_artist(
    tx: &mut PgConnection,
    lead: &LeadRow,
    artist: &Artist,
    key: &str,
    vars: &[(&str, &str)],
    cid: &str,
) -> anyhow::Result<()> {
    let Some(to) = artist.config.artist_wa_id.as_deref() else {
        return Ok(());
    };
    let copy = Phrases::new(&artist.config, lead.state.name.as_deref());
    let client = lead
        .state
        .name
        .clone()
        .unwrap_or_else(|| "A client".to_owned());
    let mut all: Vec<(&str, &str)> = vec![("client", &client)];
    all.extend_from_slice(vars);
    let body = shared::domain::MessageBody::text(copy.fill(key, &all));
    effects::enqueue_send(
        tx,
        artist.id,
        Some(lead.id),
        Recipient::Artist,
        to,
        body,
        cid,
    )
    .await?;
    Ok(())
}

async fn unknown(
    pool: &PgPool,
    evt: &StripeEvent,
    named: Option<Uuid>,
    detail: serde_json::Value,
) -> anyhow::Result<Outcome> {
    tracing::warn!(event = %evt.id, kind = %evt.event_type, "Stripe event for a session or charge Inkline did not create; recorded");
    // Only name a lead that exists (the metadata is not ours to trust).
    let lead = match named {
        Some(id) => existing_lead(pool, id).await?,
        None => None,
    };
    record_only(
        pool,
        evt,
        lead,
        "stripe_unknown_object",
        Severity::Warning,
        detail,
    )
    .await
}

/// `charge.refunded`. Stripe does not order events, so the refund may overtake the
/// `checkout.session.completed` of the payment it gives back — or that event may never reach us.
/// A refund of a payment we do not know as paid is matched through Stripe: the Checkout Session
/// behind its payment intent (`GET /v1/checkout/sessions?payment_intent=`). When that is one of
/// our deposits and Stripe shows it paid, the payment is applied first (as its own event would
/// have), then the refund, in one transaction; the payment's event, if it comes later, finds the
/// deposit settled and changes nothing. The refund event is recorded as processed only with its
/// effect: while Stripe cannot be asked (or does not show the payment as paid yet) it is retried
/// within the bus's retry budget and then dead-lettered (replayable), never dropped.
async fn refund_event(
    pool: &PgPool,
    stripe: &StripeClient,
    evt: &StripeEvent,
    c: &ChargeObject,
    cid: &str,
) -> anyhow::Result<Outcome> {
    let unknown_charge = || serde_json::json!({"event": evt.id, "type": evt.event_type, "charge": c.id, "payment_intent": c.payment_intent});
    let Some(pi) = c.payment_intent.as_deref() else {
        return unknown(pool, evt, named_lead(&c.metadata), unknown_charge()).await;
    };
    if let Some(lead_id) = deposits::lead_of_payment_intent(pool, pi).await? {
        return refund_known_payment(pool, evt, c, lead_id, pi, cid).await;
    }
    let session = match stripe.find_session_by_payment_intent(pi).await {
        Ok(found) => found,
        Err(e) if e.is_retryable() => {
            return Ok(Outcome::Retry(format!(
                "refund of {pi}, a payment not seen yet: cannot ask Stripe now: {e}"
            )));
        }
        Err(e) => {
            return Ok(Outcome::Dead(format!(
                "refund of {pi}, a payment not seen yet: Stripe cannot tell whose it is: {e}"
            )));
        }
    };
    let ours = match &session {
        Some(s) => deposits::lead_of_session(pool, &s.id).await?,
        None => None,
    };
    let (Some(session), Some(lead_id)) = (session, ours) else {
        // No Checkout Session made this payment, or not one of ours.
        return unknown(pool, evt, named_lead(&c.metadata), unknown_charge()).await;
    };
    if session.payment_status.as_deref() != Some("paid") {
        return Ok(Outcome::Retry(format!(
            "refund of {pi}: Stripe does not show session {} as paid yet",
            session.id
        )));
    }
    refund_unseen_payment(pool, evt, c, &session, lead_id, cid).await
}

/// A refund of a payment we recorded.
async fn refund_known_payment(
    pool: &PgPool,
    evt: &StripeEvent,
    c: &ChargeObject,
    lead_id: Uuid,
    pi: &str,
    cid: &str,
) -> anyhow::Result<Outcome> {
    let Some((mut tx, lead, artist)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_payment_intent(&mut tx, pi).await? else {
        tx.commit().await?;
        return Ok(Outcome::Ack);
    };
    apply_refund(&mut tx, c, &dep, &lead, &artist, cid).await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// A refund of a payment whose own event we have not processed: Stripe's `session` (looked up
/// by the payment intent) stands in for it.
async fn refund_unseen_payment(
    pool: &PgPool,
    evt: &StripeEvent,
    c: &ChargeObject,
    session: &CheckoutSession,
    lead_id: Uuid,
    cid: &str,
) -> anyhow::Result<Outcome> {
    let Some((mut tx, lead, artist)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_session(&mut tx, &session.id).await? else {
        return Ok(Outcome::Retry(format!(
            "deposit of session {} vanished",
            session.id
        )));
    };
    // The payment's event may have been applied since we asked Stripe.
    if !is_paid(&dep) {
        tracing::info!(event = %evt.id, session = %session.id, "refund overtook its payment's event: applying the payment as Stripe reports it first");
        let seen = session_object(session);
        match paid(&mut tx, &evt.id, &seen, &dep, &lead, &artist, cid).await? {
            Some(payment) => decide(&mut tx, &lead, &artist, payment, cid).await?,
            None => {
                // Not the deposit we asked for (alerted as a mismatch): nothing of ours to refund.
                let detail = serde_json::json!({"event": evt.id, "session": session.id, "charge": c.id, "amount_refunded": c.amount_refunded});
                system_events::record(
                    &mut *tx,
                    Some(artist.id),
                    Some(lead.id),
                    "stripe_refund_of_unaccepted_payment",
                    Severity::Warning,
                    detail,
                )
                .await?;
                tx.commit().await?;
                return Ok(Outcome::Ack);
            }
        }
    }
    // The payment's decision moved the lead: read it (and the deposit) again under the same locks.
    let Some((lead, artist)) = lock_lead(&mut tx, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_session(&mut tx, &session.id).await? else {
        return Ok(Outcome::Ack);
    };
    apply_refund(&mut tx, c, &dep, &lead, &artist, cid).await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// Records how much of a paid deposit went back and lets the engine react (once per amount).
async fn apply_refund(
    tx: &mut PgConnection,
    c: &ChargeObject,
    dep: &DepositRow,
    lead: &LeadRow,
    artist: &Artist,
    cid: &str,
) -> anyhow::Result<()> {
    let full = c.refunded || c.amount_refunded >= dep.amount_minor;
    let news = c.amount_refunded > dep.amount_refunded || (full && dep.status != "refunded");
    if news && c.amount_refunded > 0 {
        deposits::mark_refunded(tx, dep.id, c.amount_refunded, full).await?;
        let currency = Currency::parse(&dep.currency).unwrap_or(artist.config.currency);
        let event = PaymentEvent::Refunded {
            amount_refunded: Money::new(c.amount_refunded, currency),
            full,
        };
        decide(tx, lead, artist, event, cid).await?;
    }
    Ok(())
}

/// A session as Stripe's API answered it, in the shape events carry.
fn session_object(s: &CheckoutSession) -> SessionObject {
    SessionObject {
        id: s.id.clone(),
        status: s.status.clone(),
        payment_status: s.payment_status.clone(),
        amount_total: s.amount_total,
        currency: s.currency.clone(),
        client_reference_id: s.client_reference_id.clone(),
        metadata: s.metadata.clone(),
        payment_intent: s.payment_intent.clone(),
        expires_at: s.expires_at,
    }
}

/// Expires open links whose time passed (Stripe's own event may come later or never reach us).
/// Returns how many were expired. Safe to run on several replicas at once. Each link is handled
/// in its own transaction: one that fails is recorded against its deposit (retried with back-off,
/// parked after `ROW_MAX_ATTEMPTS`) and the others go on; `Err` means the database is unreachable.
pub async fn sweep_expired(
    pool: &PgPool,
    now: DateTime<Utc>,
    parking: &ParkingConfig,
) -> anyhow::Result<usize> {
    let mut done = 0;
    for (id, lead_id) in deposits::due_for_expiry(pool, now, SWEEP_BATCH).await? {
        match expire_one(pool, id, lead_id, now).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => {
                crate::rows::on_row_error(pool, Loop::ExpirySweep, id, e, parking).await?;
            }
        }
    }
    Ok(done)
}

/// Expires one link under the lead's and the deposit's locks; false when there was nothing to do.
async fn expire_one(
    pool: &PgPool,
    id: Uuid,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let Some((lead, artist)) = lock_lead(&mut tx, lead_id).await? else {
        return Ok(false);
    };
    let Some(dep) = deposits::lock_due(&mut tx, id, now).await? else {
        return Ok(false);
    };
    deposits::set_status(&mut tx, dep.id, "expired").await?;
    let attempt = u32::try_from(dep.attempt).unwrap_or(0);
    let cid = shared::telemetry::new_correlation_id();
    decide(
        &mut tx,
        &lead,
        &artist,
        PaymentEvent::Expired {
            attempt,
            reason: ExpiryReason::LinkExpired,
        },
        &cid,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn sweep_loop(pool: PgPool, parking: ParkingConfig, shutdown: Shutdown) {
    let mut outages = 0u32;
    loop {
        let wait = match sweep_expired(&pool, Utc::now(), &parking).await {
            Ok(n) => {
                outages = 0;
                if n > 0 {
                    tracing::info!(expired = n, "deposit links expired");
                }
                SWEEP_EVERY
            }
            Err(e) => {
                crate::rows::back_off_after_failed_pass(&mut outages, "deposit expiry sweep", &e)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => break,
        }
    }
}
