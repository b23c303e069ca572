//! `inbound.stripe`: Stripe's events, deduplicated by event id and applied to the lead and its
//! deposit in one transaction each (amount and currency checked; refunds that overtake their
//! payment matched through Stripe).

use crate::Fleet;
use infra::bus::consume::RetryPolicy;
use infra::bus::{Handler, Outcome, Received};
use infra::clients::stripe::{CheckoutSession, StripeClient};
use infra::decisions::Locked;
use infra::metrics::metrics;
use infra::store::artists::Artist;
use infra::store::deposits::{self, AttemptStatus, DepositRow};
use infra::store::ids::LeadId;
use infra::store::leads::{self, LeadRow};
use infra::store::outbound;
use infra::store::{processed, system_events};
use inkline_core::conversation::copy::Phrases;
use inkline_core::conversation::{ExpiryReason, PaymentEvent, Recipient, Severity};
use inkline_core::domain::{Currency, Money};
use inkline_core::payments;
use inkline_core::webhook::stripe::{
    self as stripe_event, ChargeObject, EventObject, SessionObject, StripeEvent,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::decide;
use infra::decisions;

pub(super) struct EventHandler {
    pub(super) fleet: Fleet,
    /// The mode events must be in for the configured key.
    pub(super) livemode: bool,
    /// Asked when an event names a payment we have not seen (see `refund_event`).
    pub(super) stripe: StripeClient,
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
    lead_id: LeadId,
) -> anyhow::Result<Option<(sqlx::Transaction<'p, sqlx::Postgres>, Locked)>> {
    let mut tx = pool.begin().await?;
    if !processed::first_time(&mut tx, "stripe", &evt.id).await? {
        metrics().duplicates.with_label_values(&["stripe"]).inc();
        return Ok(None);
    }
    Ok(decisions::lock(&mut tx, lead_id)
        .await?
        .map(|locked| (tx, locked)))
}

/// The lead id a session or charge names in its metadata (for the audit trail only).
fn named_lead(metadata: &std::collections::BTreeMap<String, String>) -> Option<LeadId> {
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
            && leads::exists(pool, named).await?
        {
            return Ok(Outcome::Retry(format!(
                "session {} of lead {named} is not recorded yet",
                s.id
            )));
        }
        let detail = serde_json::json!({"event": evt.id, "type": evt.event_type, "session": s.id, "metadata": s.metadata});
        return unknown(pool, evt, named_lead(&s.metadata), detail).await;
    };
    let Some((mut tx, locked)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let (lead, artist) = (&locked.lead, &locked.artist);
    let Some(dep) = deposits::lock_by_session(&mut tx, &s.id).await? else {
        tx.commit().await?;
        return Ok(Outcome::Ack);
    };
    let attempt = u32::try_from(dep.attempt).unwrap_or(0);
    let event = match (evt.event_type.as_str(), s.payment_status.as_deref()) {
        ("checkout.session.completed", Some("unpaid")) => {
            // A delayed method: the async events decide.
            if dep.status == AttemptStatus::Pending {
                deposits::set_status(&mut tx, dep.id, AttemptStatus::Processing).await?;
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
                Some(lead.id.uuid()),
                "stripe_payment_status_unexpected",
                Severity::Warning,
                detail,
            )
            .await?;
            None
        }
        ("checkout.session.completed", _) | ("checkout.session.async_payment_succeeded", _) => {
            paid(&mut tx, &evt.id, s, &dep, lead, artist, cid).await?
        }
        ("checkout.session.async_payment_failed", _) if dep.status.is_open() => {
            deposits::set_status(&mut tx, dep.id, AttemptStatus::Failed).await?;
            Some(PaymentEvent::Expired {
                attempt,
                reason: ExpiryReason::PaymentFailed,
            })
        }
        ("checkout.session.expired", _) if dep.status == AttemptStatus::Pending => {
            deposits::set_status(&mut tx, dep.id, AttemptStatus::Expired).await?;
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
                Some(lead.id.uuid()),
                "stripe_event_out_of_order",
                Severity::Info,
                detail,
            )
            .await?;
            None
        }
    };
    if let Some(event) = event {
        decide(&mut tx, &locked, event, cid).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// Whether a deposit's money arrived (and maybe went back again).
fn is_paid(dep: &DepositRow) -> bool {
    dep.status.is_paid()
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
            Some(lead.id.uuid()),
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
    let body = inkline_core::domain::MessageBody::text(copy.fill(key, &all));
    outbound::enqueue_send(
        tx,
        artist.id,
        Some(lead.id.uuid()),
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
    named: Option<LeadId>,
    detail: serde_json::Value,
) -> anyhow::Result<Outcome> {
    tracing::warn!(event = %evt.id, kind = %evt.event_type, "Stripe event for a session or charge Inkline did not create; recorded");
    // Only name a lead that exists (the metadata is not ours to trust).
    let lead = match named {
        Some(id) if leads::exists(pool, id).await? => Some(id.uuid()),
        _ => None,
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
    lead_id: LeadId,
    pi: &str,
    cid: &str,
) -> anyhow::Result<Outcome> {
    let Some((mut tx, locked)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_payment_intent(&mut tx, pi).await? else {
        tx.commit().await?;
        return Ok(Outcome::Ack);
    };
    apply_refund(&mut tx, c, &dep, &locked, cid).await?;
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
    lead_id: LeadId,
    cid: &str,
) -> anyhow::Result<Outcome> {
    let Some((mut tx, locked)) = begin_event(pool, evt, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let (lead, artist) = (&locked.lead, &locked.artist);
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
        match paid(&mut tx, &evt.id, &seen, &dep, lead, artist, cid).await? {
            Some(payment) => decide(&mut tx, &locked, payment, cid).await?,
            None => {
                // Not the deposit we asked for (alerted as a mismatch): nothing of ours to refund.
                let detail = serde_json::json!({"event": evt.id, "session": session.id, "charge": c.id, "amount_refunded": c.amount_refunded});
                system_events::record(
                    &mut *tx,
                    Some(artist.id),
                    Some(lead.id.uuid()),
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
    let Some(locked) = decisions::lock(&mut tx, lead_id).await? else {
        return Ok(Outcome::Ack);
    };
    let Some(dep) = deposits::lock_by_session(&mut tx, &session.id).await? else {
        return Ok(Outcome::Ack);
    };
    apply_refund(&mut tx, c, &dep, &locked, cid).await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}

/// Records how much of a paid deposit went back and lets the engine react (once per amount).
async fn apply_refund(
    tx: &mut PgConnection,
    c: &ChargeObject,
    dep: &DepositRow,
    locked: &Locked,
    cid: &str,
) -> anyhow::Result<()> {
    let artist = &locked.artist;
    let full = c.refunded || c.amount_refunded >= dep.amount_minor;
    let news =
        c.amount_refunded > dep.amount_refunded || (full && dep.status != AttemptStatus::Refunded);
    if news && c.amount_refunded > 0 {
        deposits::mark_refunded(tx, dep.id, c.amount_refunded, full).await?;
        let currency = Currency::parse(&dep.currency).unwrap_or(artist.config.currency);
        let event = PaymentEvent::Refunded {
            amount_refunded: Money::new(c.amount_refunded, currency),
            full,
        };
        decide(tx, locked, event, cid).await?;
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
