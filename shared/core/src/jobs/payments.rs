//! `jobs.payments`: what the engine asks of the payments role.

use crate::domain::Currency;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A Stripe Checkout job for one lead (travels as [`super::LeadJob<PaymentJob>`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PaymentJob {
    /// Create the Checkout Session of deposit `attempt` (idempotent per lead and attempt).
    CreateCheckout {
        attempt: u32,
        amount_minor: i64,
        currency: Currency,
        requested_at: DateTime<Utc>,
    },
    /// Close a session that can still be paid (the deposit was settled another way).
    ExpireCheckout { checkout_session_id: String },
}
