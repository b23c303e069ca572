//! Deposit rules with no I/O: the Stripe idempotency key of an attempt, the Checkout Session's
//! expiry (checked before Stripe sees it), the amount the artist may ask for, whether a Stripe
//! event's mode matches our key, and whether what was paid is what we asked for.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// Stripe accepts `expires_at` between 30 minutes and 24 hours after the session is created.
pub const EXPIRY_MIN_MINUTES: i64 = 30;
pub const EXPIRY_MAX_MINUTES: i64 = 24 * 60;
/// Added to the configured lifetime so a job picked up a moment after approval is still valid.
const EXPIRY_GRACE_MINUTES: i64 = 2;

/// The smallest and largest deposit the artist may ask for, in minor units (Stripe's own minimum
/// charge is about 0.50 in most currencies; its maximum is 99,999,999).
pub const DEPOSIT_MIN_MINOR: i64 = 100;
pub const DEPOSIT_MAX_MINOR: i64 = 99_999_999;

/// The `Idempotency-Key` of deposit `attempt` of a lead: a retry after a crash, a duplicate job or
/// a concurrent worker reuses the same Checkout Session.
pub fn idempotency_key(lead_id: Uuid, attempt: u32) -> String {
    format!("inkline-deposit-{lead_id}-{attempt}")
}

/// The `Idempotency-Key` of expiring a session.
pub fn expire_key(session_id: &str) -> String {
    format!("inkline-expire-{session_id}")
}

/// Why a Checkout Session's expiry cannot be sent to Stripe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    #[error("deposit_expiry_minutes must be between 30 and 1440 (is {0})")]
    OutOfRange(i64),
    #[error(
        "the checkout job waited too long: its link would expire less than 30 minutes after creation"
    )]
    TooLate,
}

/// When the session of a deposit requested at `requested_at` expires. Derived from the request,
/// not the clock, so a retried call sends the same parameters (Stripe refuses a reused
/// idempotency key with different ones); refused when Stripe would refuse it at `now`.
pub fn checkout_expiry(
    requested_at: DateTime<Utc>,
    minutes: i64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ExpiryError> {
    if !(EXPIRY_MIN_MINUTES..=EXPIRY_MAX_MINUTES).contains(&minutes) {
        return Err(ExpiryError::OutOfRange(minutes));
    }
    let lifetime = (minutes + EXPIRY_GRACE_MINUTES).min(EXPIRY_MAX_MINUTES);
    // Whole seconds: Stripe takes a Unix timestamp.
    let at = requested_at + Duration::minutes(lifetime);
    let at = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
    if at < now + Duration::minutes(EXPIRY_MIN_MINUTES)
        || at > now + Duration::minutes(EXPIRY_MAX_MINUTES)
    {
        return Err(ExpiryError::TooLate);
    }
    Ok(at)
}

/// Checks a deposit amount the artist typed (minor units).
pub fn validate_deposit_minor(minor: i64) -> Result<(), String> {
    if (DEPOSIT_MIN_MINOR..=DEPOSIT_MAX_MINOR).contains(&minor) {
        Ok(())
    } else {
        Err(format!(
            "the deposit must be between {DEPOSIT_MIN_MINOR} and {DEPOSIT_MAX_MINOR} minor units"
        ))
    }
}

/// The mode events must have for the configured secret key: `sk_live_`/`rk_live_` → live,
/// anything else (test keys, no key in the sandbox) → test.
pub fn expects_livemode(secret_key: Option<&str>) -> bool {
    secret_key.is_some_and(|k| k.starts_with("sk_live_") || k.starts_with("rk_live_"))
}

/// What a paid session says against the deposit we asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaidMismatch {
    #[error("amount {got:?} differs from the deposit {expected}")]
    Amount { expected: i64, got: Option<i64> },
    #[error("currency {got:?} differs from the deposit's {expected}")]
    Currency {
        expected: String,
        got: Option<String>,
    },
}

/// Accepts a payment only when it is exactly the deposit we asked for (Stripe spells currencies
/// in lower case, we store upper case).
pub fn check_paid(
    expected_minor: i64,
    expected_currency: &str,
    amount_total: Option<i64>,
    currency: Option<&str>,
) -> Result<(), PaidMismatch> {
    if !currency.is_some_and(|c| c.eq_ignore_ascii_case(expected_currency)) {
        return Err(PaidMismatch::Currency {
            expected: expected_currency.to_owned(),
            got: currency.map(str::to_owned),
        });
    }
    if amount_total != Some(expected_minor) {
        return Err(PaidMismatch::Amount {
            expected: expected_minor,
            got: amount_total,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2025-11-25T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_idempotency_key_is_stable_per_lead_and_attempt() {
        let lead = Uuid::nil();
        assert_eq!(idempotency_key(lead, 1), idempotency_key(lead, 1));
        assert_ne!(idempotency_key(lead, 1), idempotency_key(lead, 2));
        assert!(idempotency_key(lead, 1).len() <= 255);
    }

    #[test]
    fn expiry_is_derived_from_the_request_and_checked_against_stripes_range() {
        let at = checkout_expiry(t0(), 60, t0()).unwrap();
        assert_eq!(at, t0() + Duration::minutes(62));
        // A retry a minute later sends the same value.
        assert_eq!(
            checkout_expiry(t0(), 60, t0() + Duration::minutes(1)),
            Ok(at)
        );
        assert_eq!(
            checkout_expiry(t0(), 1440, t0()),
            Ok(t0() + Duration::minutes(1440))
        );
        assert_eq!(
            checkout_expiry(t0(), 29, t0()),
            Err(ExpiryError::OutOfRange(29))
        );
        assert_eq!(
            checkout_expiry(t0(), 1441, t0()),
            Err(ExpiryError::OutOfRange(1441))
        );
        assert!(checkout_expiry(t0(), 30, t0() + Duration::seconds(90)).is_ok());
        assert_eq!(
            checkout_expiry(t0(), 30, t0() + Duration::minutes(5)),
            Err(ExpiryError::TooLate)
        );
        assert_eq!(
            checkout_expiry(t0(), 1440, t0() + Duration::minutes(1430)),
            Err(ExpiryError::TooLate)
        );
    }

    #[test]
    fn livemode_follows_the_key() {
        assert!(expects_livemode(Some("sk_live_abc")));
        assert!(expects_livemode(Some("rk_live_abc")));
        assert!(!expects_livemode(Some("sk_test_abc")));
        assert!(!expects_livemode(None));
    }

    #[test]
    fn only_the_exact_deposit_is_accepted() {
        assert_eq!(check_paid(15_000, "GBP", Some(15_000), Some("gbp")), Ok(()));
        assert!(matches!(
            check_paid(15_000, "GBP", Some(14_999), Some("gbp")),
            Err(PaidMismatch::Amount { .. })
        ));
        assert!(matches!(
            check_paid(15_000, "GBP", None, Some("gbp")),
            Err(PaidMismatch::Amount { .. })
        ));
        assert!(matches!(
            check_paid(15_000, "GBP", Some(15_000), Some("eur")),
            Err(PaidMismatch::Currency { .. })
        ));
        assert!(matches!(
            check_paid(15_000, "GBP", Some(15_000), None),
            Err(PaidMismatch::Currency { .. })
        ));
    }

    #[test]
    fn deposit_amounts_are_bounded() {
        assert!(validate_deposit_minor(15_000).is_ok());
        assert!(validate_deposit_minor(0).is_err());
        assert!(validate_deposit_minor(-5).is_err());
        assert!(validate_deposit_minor(100_000_000).is_err());
    }
}
