//! Payments role: three loops, one file each.
//!
//! - [`checkout`] drains `jobs.payments`: `create_checkout` → Stripe Checkout Session (outside any
//!   transaction, with the attempt's idempotency key), then ONE transaction: store the `deposits`
//!   row, let the engine send the link (→ stays AWAITING_DEPOSIT) — a duplicate job finds the row
//!   and stops. `expire_checkout` closes a session that must no longer be paid.
//! - [`events`] drains `inbound.stripe`: decode, check livemode against the key, then ONE
//!   transaction per event: dedup by event id, lock the lead and its deposit, check amount and
//!   currency, apply the engine. A refund that overtook its payment's event is matched through
//!   Stripe (the session behind the payment intent): the payment is applied first, then the refund.
//! - [`sweep`]: open links whose `expires_at` passed without Stripe's event.
//!
//! Stripe failures: transient ones are retried (in the client, then through the retry queue);
//! permanent ones (and transient ones on the last attempt) hand the lead to the artist.

mod checkout;
mod events;
mod sweep;

pub use events::handle_event;
pub use sweep::{SWEEP_EVERY, sweep_expired};

use crate::Fleet;
use chrono::Utc;
use infra::bus::topology::{INBOUND_STRIPE, JOBS_PAYMENTS};
use infra::clients::stripe::StripeClient;
use infra::decisions::{self, Asker, Cause, Locked};
use infra::shutdown::Shutdown;
use inkline_core::conversation::{Event, PaymentEvent};
use sqlx::PgConnection;

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
    let events = events::EventHandler {
        fleet: fleet.clone(),
        livemode: stripe.expects_livemode(),
        stripe: stripe.clone(),
    };
    let jobs = checkout::JobHandler {
        fleet: fleet.clone(),
        stripe,
    };
    tokio::join!(
        crate::observed::consume(&fleet, JOBS_PAYMENTS, jobs, shutdown.clone()),
        crate::observed::consume(&fleet, INBOUND_STRIPE, events, shutdown.clone()),
        sweep::sweep_loop(
            fleet.pool.clone(),
            fleet.cfg.parking.clone(),
            shutdown.clone()
        ),
    );
}

/// Runs the engine on a payment event and applies the decision (`infra::decisions`).
pub(super) async fn decide(
    tx: &mut PgConnection,
    locked: &Locked,
    event: PaymentEvent,
    correlation_id: &str,
) -> anyhow::Result<()> {
    let event = Event::Payment(event);
    let cause = Cause {
        correlation_id,
        source_message_id: None,
        context: serde_json::json!({"event": event}),
    };
    decisions::decide(tx, locked, &event, Utc::now(), &cause, Asker::Event).await?;
    Ok(())
}
