//! The state behind [`FakeStripe`](super::FakeStripe), shared with its HTTP handlers and its
//! checkout page: sessions and the moves between their states (pay, expire, refund), the
//! idempotency store, scripted faults and recordings. Every move that Stripe would announce
//! returns the event to send; `drive` sends it and waits for the receiver's answer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::stripe_error::{StripeError, StripeFault};
use super::stripe_events::{WebhookDelivery, event_json, post, signed};
use super::stripe_form::Form;
use super::stripe_session::{CheckoutSession, PaymentStatus, SessionStatus};

/// One `/v1` request the fake received, whatever it answered.
#[derive(Debug, Clone)]
pub struct StripeRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The form pairs as sent (bracket keys kept flat: `metadata[lead_id]`).
    pub params: Vec<(String, String)>,
    /// The HTTP status the fake answered.
    pub status: u16,
    pub at: DateTime<Utc>,
}

impl StripeRequest {
    /// The value of a form parameter, if sent.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A response stored under an `Idempotency-Key`, and what it was for.
#[derive(Debug, Clone)]
pub(crate) struct StoredResponse {
    pub(crate) method_path: String,
    pub(crate) fingerprint: Vec<(String, String)>,
    pub(crate) status: u16,
    pub(crate) body: Value,
}

pub(crate) struct StripeCore {
    pub(crate) base_url: String,
    pub(crate) secret_key: String,
    pub(crate) webhook_secret: String,
    inner: Mutex<StripeInner>,
    /// Held while a keyed request runs, so two requests with one key cannot both execute.
    pub(crate) idempotency: Mutex<HashMap<String, StoredResponse>>,
    http: reqwest::Client,
    pub(crate) delivered_count: watch::Sender<usize>,
}

pub(crate) struct StripeInner {
    pub(crate) webhook_url: Option<String>,
    pub(crate) page_base: String,
    sessions: HashMap<String, CheckoutSession>,
    order: Vec<String>,
    pub(crate) faults: VecDeque<StripeFault>,
    pub(crate) always: Option<StripeFault>,
    pub(crate) requests: Vec<StripeRequest>,
    pub(crate) deliveries: Vec<WebhookDelivery>,
}

impl StripeCore {
    pub(crate) fn new(
        base_url: String,
        webhook_url: Option<String>,
        webhook_secret: String,
        secret_key: String,
    ) -> Self {
        let inner = StripeInner {
            webhook_url,
            page_base: format!("{base_url}/pay"),
            sessions: HashMap::new(),
            order: Vec::new(),
            faults: VecDeque::new(),
            always: None,
            requests: Vec::new(),
            deliveries: Vec::new(),
        };
        Self {
            base_url,
            secret_key,
            webhook_secret,
            inner: Mutex::new(inner),
            idempotency: Mutex::new(HashMap::new()),
            http: reqwest::Client::new(),
            delivered_count: watch::Sender::new(0),
        }
    }

    /// A panic in one handler must not take the fake down for everyone else.
    pub(crate) fn lock(&self) -> MutexGuard<'_, StripeInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn lock_idempotency(&self) -> MutexGuard<'_, HashMap<String, StoredResponse>> {
        self.idempotency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The fault the next API request must answer with, consuming one use of it.
    pub(crate) fn take_fault(&self) -> Option<StripeFault> {
        let mut inner = self.lock();
        if let Some(front) = inner.faults.front_mut() {
            front.times = front.times.saturating_sub(1);
            let taken = front.clone();
            if taken.times == 0 {
                inner.faults.pop_front();
            }
            return Some(taken);
        }
        inner.always.clone()
    }

    pub(crate) fn sessions(&self) -> Vec<CheckoutSession> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.sessions.get(id).cloned())
            .collect()
    }

    pub(crate) fn session(&self, id: &str) -> Result<CheckoutSession, StripeError> {
        self.lock()
            .sessions
            .get(id)
            .cloned()
            .ok_or_else(|| StripeError::no_such("checkout.session", id, "session"))
    }

    pub(crate) fn create_session(&self, form: &Form) -> Result<CheckoutSession, StripeError> {
        let mut inner = self.lock();
        let session =
            CheckoutSession::from_form(form, chrono::Utc::now().timestamp(), &inner.page_base)?;
        inner.order.push(session.id.clone());
        inner.sessions.insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// Open → expired; the event is `checkout.session.expired`.
    pub(crate) fn expire(&self, id: &str) -> Result<(CheckoutSession, Value), StripeError> {
        self.update(id, |s| {
            if s.status != SessionStatus::Open {
                return Err(not_open(s, "expired"));
            }
            s.status = SessionStatus::Expired;
            Ok("checkout.session.expired")
        })
    }

    /// Open → complete, paid or (a delayed method) unpaid; the event is `checkout.session.completed`.
    pub(crate) fn complete(
        &self,
        id: &str,
        paid: bool,
    ) -> Result<(CheckoutSession, Value), StripeError> {
        self.update(id, |s| {
            if s.status != SessionStatus::Open {
                return Err(not_open(s, "completed"));
            }
            s.status = SessionStatus::Complete;
            s.payment_status = if paid {
                PaymentStatus::Paid
            } else {
                PaymentStatus::Unpaid
            };
            s.payment_intent = Some(format!("pi_test_{}", uuid::Uuid::new_v4().simple()));
            s.charge = Some(format!("ch_test_{}", uuid::Uuid::new_v4().simple()));
            Ok("checkout.session.completed")
        })
    }

    /// Settles a session completed unpaid: `async_payment_succeeded` (paid) or `..._failed`.
    pub(crate) fn settle(
        &self,
        id: &str,
        succeeded: bool,
    ) -> Result<(CheckoutSession, Value), StripeError> {
        self.update(id, |s| {
            if s.status != SessionStatus::Complete || s.payment_status != PaymentStatus::Unpaid {
                return Err(StripeError::invalid_request(
                    format!("Session {} is not awaiting a delayed payment (status {}, payment_status {}).", s.id, s.status.as_str(), s.payment_status.as_str()),
                    None,
                ));
            }
            if succeeded {
                s.payment_status = PaymentStatus::Paid;
                Ok("checkout.session.async_payment_succeeded")
            } else {
                Ok("checkout.session.async_payment_failed")
            }
        })
    }

    /// Refunds `amount` (default: everything left) of the payment `payment_intent`; answers the
    /// refund object and the `charge.refunded` event.
    pub(crate) fn refund(
        &self,
        payment_intent: &str,
        amount: Option<i64>,
    ) -> Result<(Value, Value), StripeError> {
        let mut inner = self.lock();
        let session = inner
            .sessions
            .values_mut()
            .find(|s| s.payment_intent.as_deref() == Some(payment_intent))
            .ok_or_else(|| {
                StripeError::no_such("payment_intent", payment_intent, "payment_intent")
            })?;
        if session.payment_status != PaymentStatus::Paid {
            return Err(StripeError::invalid_request(
                format!("PaymentIntent {payment_intent} has no successful charge to refund."),
                Some("payment_intent".into()),
            ));
        }
        let left = session.amount_total - session.amount_refunded;
        if left <= 0 {
            return Err(StripeError::invalid_param(
                "payment_intent",
                "charge_already_refunded",
                format!(
                    "Charge {} has already been refunded.",
                    session.charge.as_deref().unwrap_or("")
                ),
            ));
        }
        let amount = amount.unwrap_or(left);
        if amount > left {
            return Err(StripeError::invalid_param(
                "amount",
                "amount_too_large",
                format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})."
                ),
            ));
        }
        session.amount_refunded += amount;
        let refund = json!({
            "id": format!("re_test_{}", uuid::Uuid::new_v4().simple()),
            "object": "refund",
            "amount": amount,
            "charge": session.charge,
            "created": chrono::Utc::now().timestamp(),
            "currency": session.currency,
            "metadata": {},
            "payment_intent": payment_intent,
            "reason": null,
            "status": "succeeded",
        });
        let event = event_json("charge.refunded", session.charge_json());
        Ok((refund, event))
    }

    /// Changes one session with `change`, which names the event to announce.
    fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut CheckoutSession) -> Result<&'static str, StripeError>,
    ) -> Result<(CheckoutSession, Value), StripeError> {
        let mut inner = self.lock();
        let session = inner
            .sessions
            .get_mut(id)
            .ok_or_else(|| StripeError::no_such("checkout.session", id, "session"))?;
        let event_type = change(session)?;
        let event = event_json(event_type, session.to_json());
        Ok((session.clone(), event))
    }

    /// Signs and POSTs `event` to the webhook URL, records the delivery, and returns it.
    pub(crate) async fn deliver(&self, event: &Value) -> WebhookDelivery {
        let (body, header) = signed(&self.webhook_secret, event);
        self.send(body, header).await
    }

    /// POSTs a prepared body and signature header, recording the delivery.
    pub(crate) async fn send(&self, body: Vec<u8>, header: String) -> WebhookDelivery {
        let url = self.lock().webhook_url.clone();
        let delivery = post(&self.http, url.as_deref(), body, header).await;
        let mut inner = self.lock();
        inner.deliveries.push(delivery.clone());
        self.delivered_count.send_replace(inner.deliveries.len());
        delivery
    }

    /// Applies a move and delivers its event (what the checkout page and the driving API call).
    pub(crate) async fn drive(
        &self,
        moved: Result<(CheckoutSession, Value), StripeError>,
    ) -> Result<WebhookDelivery, StripeError> {
        let (_, event) = moved?;
        Ok(self.deliver(&event).await)
    }
}

fn not_open(s: &CheckoutSession, verb: &str) -> StripeError {
    StripeError::invalid_request(
        format!(
            "Only Checkout Sessions with a status in [\"open\"] can be {verb}; {} is {}.",
            s.id,
            s.status.as_str()
        ),
        Some("session".into()),
    )
}
