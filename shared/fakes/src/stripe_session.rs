//! The Checkout Session the fake keeps: built from a `POST /v1/checkout/sessions` form with
//! Stripe's validation (mode, amounts, currency, `expires_at` range, metadata limits), and
//! rendered as Stripe's JSON (the session itself, and the Charge a refund event carries).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::stripe_error::StripeError;
use super::stripe_form::Form;

/// Shortest and longest `expires_at` Stripe accepts, seconds after creation.
const EXPIRES_MIN: i64 = 30 * 60;
const EXPIRES_MAX: i64 = 24 * 60 * 60;
/// Leeway for clients that compute `now + 30 min` a moment before the fake reads its clock.
const EXPIRES_SLACK: i64 = 10;
const METADATA_KEYS_MAX: usize = 50;
const METADATA_KEY_MAX: usize = 40;
const METADATA_VALUE_MAX: usize = 500;

/// `status` of a Checkout Session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

/// `payment_status` of a Checkout Session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Unpaid,
    Paid,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "unpaid",
            PaymentStatus::Paid => "paid",
        }
    }
}

/// One `line_items[N]` with inline `price_data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub name: String,
    /// Lowercase ISO code.
    pub currency: String,
    pub unit_amount: i64,
    pub quantity: i64,
}

/// A Checkout Session as the fake stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutSession {
    /// `cs_test_…`.
    pub id: String,
    pub status: SessionStatus,
    pub payment_status: PaymentStatus,
    pub line_items: Vec<LineItem>,
    /// Minor units: Σ unit_amount × quantity.
    pub amount_total: i64,
    pub currency: String,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `payment_intent_data[metadata]`: what the PaymentIntent and its Charge carry.
    pub payment_intent_metadata: BTreeMap<String, String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub customer_email: Option<String>,
    pub created: i64,
    pub expires_at: i64,
    /// `pi_test_…` once paid (or completed unpaid), else `None`.
    pub payment_intent: Option<String>,
    /// `ch_test_…`, assigned with the payment intent.
    pub charge: Option<String>,
    pub amount_refunded: i64,
    /// Where the client pays (the checkout page base + `/{id}`).
    pub url: String,
}

impl CheckoutSession {
    /// Validates `form` like Stripe and builds an open, unpaid session created at `now`.
    pub(crate) fn from_form(
        form: &Form,
        now: i64,
        page_base: &str,
    ) -> Result<CheckoutSession, StripeError> {
        match form.get("mode") {
            None => return Err(StripeError::missing("mode")),
            Some("payment") => {}
            Some(other) => {
                return Err(StripeError::invalid_param(
                    "mode",
                    "parameter_invalid",
                    format!("The fake supports only mode=payment, not '{other}'."),
                ));
            }
        }
        let indices = form.indices("line_items");
        if indices.is_empty() {
            return Err(StripeError::missing("line_items"));
        }
        let line_items = indices
            .into_iter()
            .map(|i| line_item(form, i))
            .collect::<Result<Vec<_>, _>>()?;
        let currency = line_items
            .first()
            .map(|l| l.currency.clone())
            .unwrap_or_default();
        if line_items.iter().any(|l| l.currency != currency) {
            return Err(StripeError::invalid_request(
                "All line items must use the same currency.",
                Some("line_items".into()),
            ));
        }
        let amount_total = line_items
            .iter()
            .try_fold(0i64, |sum, l| {
                l.unit_amount
                    .checked_mul(l.quantity)
                    .and_then(|a| sum.checked_add(a))
            })
            .ok_or_else(|| {
                StripeError::invalid_request(
                    "The total amount is too large.",
                    Some("line_items".into()),
                )
            })?;
        let expires_at = match form.get("expires_at") {
            None => now + EXPIRES_MAX,
            Some(raw) => {
                let at: i64 = raw
                    .parse()
                    .map_err(|_| StripeError::invalid_integer("expires_at", raw))?;
                if at < now + EXPIRES_MIN - EXPIRES_SLACK || at > now + EXPIRES_MAX + EXPIRES_SLACK
                {
                    return Err(StripeError::invalid_param(
                        "expires_at",
                        "parameter_invalid",
                        "The `expires_at` timestamp must be between 30 minutes and 24 hours after Checkout Session creation.",
                    ));
                }
                at
            }
        };
        let metadata = checked_metadata(form, "metadata")?;
        let payment_intent_metadata = checked_metadata(form, "payment_intent_data[metadata]")?;
        let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
        let url = format!("{}/{id}", page_base.trim_end_matches('/'));
        Ok(CheckoutSession {
            id,
            status: SessionStatus::Open,
            payment_status: PaymentStatus::Unpaid,
            line_items,
            amount_total,
            currency,
            client_reference_id: non_empty(form.get("client_reference_id")),
            metadata,
            payment_intent_metadata,
            success_url: non_empty(form.get("success_url")),
            cancel_url: non_empty(form.get("cancel_url")),
            customer_email: non_empty(form.get("customer_email")),
            created: now,
            expires_at,
            payment_intent: None,
            charge: None,
            amount_refunded: 0,
            url,
        })
    }

    /// Stripe's JSON for this session (`url` is null once the session is no longer open).
    pub fn to_json(&self) -> Value {
        let url = if self.status == SessionStatus::Open {
            json!(self.url)
        } else {
            Value::Null
        };
        let customer_details = match (&self.customer_email, self.status) {
            (Some(email), SessionStatus::Complete) => json!({"email": email}),
            _ => Value::Null,
        };
        json!({
            "id": self.id,
            "object": "checkout.session",
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "created": self.created,
            "currency": self.currency,
            "customer_details": customer_details,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": false,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": self.payment_intent,
            "payment_status": self.payment_status.as_str(),
            "status": self.status.as_str(),
            "success_url": self.success_url,
            "url": url,
        })
    }

    /// The Charge behind the payment, as `charge.refunded` carries it.
    pub fn charge_json(&self) -> Value {
        json!({
            "id": self.charge,
            "object": "charge",
            "amount": self.amount_total,
            "amount_captured": self.amount_total,
            "amount_refunded": self.amount_refunded,
            "captured": true,
            "created": self.created,
            "currency": self.currency,
            "livemode": false,
            "metadata": self.payment_intent_metadata,
            "paid": true,
            "payment_intent": self.payment_intent,
            "refunded": self.amount_refunded >= self.amount_total,
            "status": "succeeded",
        })
    }

    /// The session's name for people: the first line item's name.
    pub fn description(&self) -> &str {
        self.line_items
            .first()
            .map(|l| l.name.as_str())
            .unwrap_or("Payment")
    }
}

fn line_item(form: &Form, i: usize) -> Result<LineItem, StripeError> {
    let key = |rest: &str| format!("line_items[{i}]{rest}");
    if form.get(&key("[price]")).is_some() {
        return Err(StripeError::invalid_param(
            &key("[price]"),
            "parameter_unknown",
            "The fake supports only inline price_data.",
        ));
    }
    let currency_key = key("[price_data][currency]");
    let currency = form
        .get(&currency_key)
        .ok_or_else(|| StripeError::missing(&currency_key))?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(StripeError::invalid_param(
            &currency_key,
            "parameter_invalid",
            format!("Invalid currency: {currency}"),
        ));
    }
    let amount_key = key("[price_data][unit_amount]");
    let unit_amount = positive(form, &amount_key)?;
    let name_key = key("[price_data][product_data][name]");
    let name = non_empty(form.get(&name_key)).ok_or_else(|| StripeError::missing(&name_key))?;
    let quantity = positive(form, &key("[quantity]"))?;
    Ok(LineItem {
        name,
        currency: currency.to_ascii_lowercase(),
        unit_amount,
        quantity,
    })
}

fn positive(form: &Form, key: &str) -> Result<i64, StripeError> {
    let raw = form.get(key).ok_or_else(|| StripeError::missing(key))?;
    let n: i64 = raw
        .parse()
        .map_err(|_| StripeError::invalid_integer(key, raw))?;
    if n < 1 {
        return Err(StripeError::invalid_param(
            key,
            "parameter_invalid_integer",
            "This value must be greater than or equal to 1.",
        ));
    }
    Ok(n)
}

fn checked_metadata(form: &Form, prefix: &str) -> Result<BTreeMap<String, String>, StripeError> {
    let map = form.map(prefix);
    if map.len() > METADATA_KEYS_MAX {
        return Err(StripeError::invalid_param(
            prefix,
            "parameter_invalid",
            "Metadata can have at most 50 keys.",
        ));
    }
    for (k, v) in &map {
        if k.chars().count() > METADATA_KEY_MAX || v.chars().count() > METADATA_VALUE_MAX {
            let param = format!("{prefix}[{k}]");
            return Err(StripeError::invalid_param(
                &param,
                "parameter_invalid",
                "Metadata keys are limited to 40 characters and values to 500.",
            ));
        }
    }
    Ok(map)
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.filter(|s| !s.is_empty()).map(str::to_string)
}
