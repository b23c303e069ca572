//! [`FakeStripe`]: Stripe's Checkout Sessions and Refunds API on loopback, plus the customer's
//! side of a payment. Tests and the sandbox's checkout page call [`FakeStripe::complete`] and
//! friends; the fake then POSTs the signed event Stripe would send to the webhook URL.
//! The HTTP handlers live in `stripe_routes.rs`, the state and its moves in `stripe_core.rs`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::server::{Bound, LoopbackServer};
use super::stripe_core::StripeCore;
use super::stripe_error::{StripeError, StripeFault};
use super::stripe_events::{event_json, signed};
use super::stripe_session::CheckoutSession;
use inkline_core::webhook::signature::sign_stripe;

pub use super::stripe_core::StripeRequest;
pub use super::stripe_events::{API_VERSION, WebhookDelivery};

/// The fake Stripe API. Stops serving when dropped.
pub struct FakeStripe {
    core: Arc<StripeCore>,
    server: LoopbackServer,
}

impl FakeStripe {
    /// Starts the fake on `127.0.0.1:0`; events go to `webhook_url` signed with
    /// `webhook_secret`, and API calls must carry `secret_key`. Panics only if no loopback port
    /// can be bound.
    pub async fn start(
        webhook_url: Option<String>,
        webhook_secret: String,
        secret_key: String,
    ) -> FakeStripe {
        Self::try_start(webhook_url, webhook_secret, secret_key)
            .await
            .expect("bind a loopback port for the fake Stripe API")
    }

    /// Starts the fake on `127.0.0.1:0`.
    pub async fn try_start(
        webhook_url: Option<String>,
        webhook_secret: String,
        secret_key: String,
    ) -> std::io::Result<FakeStripe> {
        let bound = Bound::loopback().await?;
        let core = Arc::new(StripeCore::new(
            bound.base_url(),
            webhook_url,
            webhook_secret,
            secret_key,
        ));
        let server = bound.serve(super::stripe_routes::router(core.clone()));
        Ok(FakeStripe { core, server })
    }

    /// `http://127.0.0.1:PORT`: the value for `STRIPE_API_BASE`.
    pub fn base_url(&self) -> String {
        self.core.base_url.clone()
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Where events go from now on (`None`: nowhere; deliveries are still recorded).
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.core.lock().webhook_url = url;
    }

    /// Sessions created from now on get `url = <base>/{id}` (default `<fake base>/pay`).
    pub fn set_checkout_page_base(&self, base: &str) {
        self.core.lock().page_base = base.trim_end_matches('/').to_string();
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Vec<CheckoutSession> {
        self.core.sessions()
    }

    pub fn session(&self, id: &str) -> Option<CheckoutSession> {
        self.core.session(id).ok()
    }

    /// Every `/v1` request, oldest first, including refused and faulted ones.
    pub fn requests(&self) -> Vec<StripeRequest> {
        self.core.lock().requests.clone()
    }

    pub fn requests_count(&self) -> usize {
        self.core.lock().requests.len()
    }

    /// Every event delivered (or attempted), oldest first.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.core.lock().deliveries.clone()
    }

    /// Waits for a delivered event of `event_type` (API-caused events are sent in the background).
    pub async fn wait_for_event(
        &self,
        event_type: &str,
        timeout: Duration,
    ) -> Option<WebhookDelivery> {
        let find = || {
            self.deliveries()
                .into_iter()
                .find(|d| d.event_type() == Some(event_type))
        };
        let mut count = self.core.delivered_count.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(found) = find() {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, count.changed())
                .await
                .is_err()
            {
                return find();
            }
        }
    }

    /// Queues a scripted failure (see [`StripeFault`]).
    pub fn inject(&self, fault: StripeFault) {
        if fault.times > 0 {
            self.core.lock().faults.push_back(fault);
        }
    }

    /// Fails every API request with `fault` until [`clear_faults`](Self::clear_faults).
    pub fn fail_always(&self, fault: StripeFault) {
        self.core.lock().always = Some(fault);
    }

    pub fn clear_faults(&self) {
        let mut inner = self.core.lock();
        inner.faults.clear();
        inner.always = None;
    }

    /// The customer pays: open → complete + paid, with a `pi_test_…`; sends
    /// `checkout.session.completed` and returns the delivery (event and the receiver's status).
    pub async fn complete(&self, session_id: &str) -> Result<WebhookDelivery, StripeError> {
        self.core.drive(self.core.complete(session_id, true)).await
    }

    /// The customer pays with a delayed method: complete + unpaid, `checkout.session.completed`.
    pub async fn complete_unpaid(&self, session_id: &str) -> Result<WebhookDelivery, StripeError> {
        self.core.drive(self.core.complete(session_id, false)).await
    }

    /// The delayed payment succeeds: `checkout.session.async_payment_succeeded`.
    pub async fn async_succeeded(&self, session_id: &str) -> Result<WebhookDelivery, StripeError> {
        self.core.drive(self.core.settle(session_id, true)).await
    }

    /// The delayed payment fails: `checkout.session.async_payment_failed`.
    pub async fn async_failed(&self, session_id: &str) -> Result<WebhookDelivery, StripeError> {
        self.core.drive(self.core.settle(session_id, false)).await
    }

    /// The session runs out: open → expired, `checkout.session.expired`.
    pub async fn expire_now(&self, session_id: &str) -> Result<WebhookDelivery, StripeError> {
        self.core.drive(self.core.expire(session_id)).await
    }

    /// Refunds what is left of `payment_intent` (as from the Dashboard): `charge.refunded`.
    pub async fn refund(&self, payment_intent: &str) -> Result<WebhookDelivery, StripeError> {
        self.refund_partial(payment_intent, None).await
    }

    /// Refunds `amount` (or what is left) of `payment_intent`: `charge.refunded`.
    pub async fn refund_partial(
        &self,
        payment_intent: &str,
        amount: Option<i64>,
    ) -> Result<WebhookDelivery, StripeError> {
        let (_, event) = self.core.refund(payment_intent, amount)?;
        Ok(self.core.deliver(&event).await)
    }

    /// A new event envelope (`evt_…`, API version, `livemode: false`) around `object`, to edit
    /// before signing (wrong amounts, `livemode: true`...).
    pub fn event(&self, event_type: &str, object: Value) -> Value {
        event_json(event_type, object)
    }

    /// A new event around `object`, serialised and signed now: `(body, Stripe-Signature value)`.
    pub fn build_event(&self, event_type: &str, object: Value) -> (Vec<u8>, String) {
        signed(&self.core.webhook_secret, &event_json(event_type, object))
    }

    /// The `Stripe-Signature` value for `body` signed at `t` with the webhook secret (an old
    /// `t` makes a stale signature).
    pub fn sign(&self, body: &[u8], t: i64) -> String {
        sign_stripe(self.core.webhook_secret.as_bytes(), t, body)
    }

    /// POSTs a hand-made body and header to the webhook URL (replays, tampered bodies...).
    pub async fn send_event(&self, body: Vec<u8>, header: String) -> WebhookDelivery {
        self.core.send(body, header).await
    }

    /// Stops serving, letting in-flight requests finish briefly.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
