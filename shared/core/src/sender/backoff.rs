//! How long a send waits before its next try (pure): per error class, Meta's `Retry-After` first,
//! else an exponential schedule with jitter, always bounded. How many tries it gets is the bus's
//! rule (`infra::bus::retry`: attempts, throttles and the retry time budget).

use crate::graph::errors::ErrorClass;
use std::time::Duration;

/// The wait before try `attempt + 1`, after the `attempt`-th (1-based) failure of class `class`.
/// `base` is the transient base delay (`RETRY_BASE_DELAY_MS`), `jitter` a number in [0, 1).
pub fn delay(
    class: ErrorClass,
    attempt: u32,
    retry_after: Option<Duration>,
    base: Duration,
    jitter: f64,
) -> Duration {
    if let Some(ra) = retry_after.filter(|d| !d.is_zero()) {
        return ra.min(Duration::from_secs(3600));
    }
    let n = attempt.clamp(1, 16) - 1;
    let spread = 0.5 + jitter.clamp(0.0, 1.0);
    let (first, cap) = match class {
        ErrorClass::NumberThrottle => (Duration::from_secs(1), Duration::from_secs(60)),
        // "Back off for minutes."
        ErrorClass::AccountThrottle => (Duration::from_secs(60), Duration::from_secs(900)),
        // 1, 4, 16, 64 s: external-apis.md 1.7.
        ErrorClass::PairThrottle => return Duration::from_secs(4u64.pow(n.min(3))),
        _ => (base, Duration::from_secs(300)),
    };
    let exp = first.saturating_mul(1u32 << n.min(12));
    exp.mul_f64(spread).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_wins() {
        let d = delay(
            ErrorClass::AccountThrottle,
            3,
            Some(Duration::from_secs(2)),
            Duration::from_secs(1),
            0.9,
        );
        assert_eq!(d, Duration::from_secs(2));
    }

    #[test]
    fn the_pair_rate_backs_off_by_powers_of_four() {
        let d: Vec<u64> = (1..=6)
            .map(|a| delay(ErrorClass::PairThrottle, a, None, Duration::ZERO, 0.3).as_secs())
            .collect();
        assert_eq!(d, [1, 4, 16, 64, 64, 64]);
    }

    #[test]
    fn transient_failures_grow_exponentially_with_jitter_and_a_cap() {
        let base = Duration::from_millis(100);
        assert_eq!(
            delay(ErrorClass::Transient, 1, None, base, 0.5),
            Duration::from_millis(100)
        );
        assert_eq!(
            delay(ErrorClass::Transient, 3, None, base, 0.5),
            Duration::from_millis(400)
        );
        let low = delay(ErrorClass::Transient, 3, None, base, 0.0);
        let high = delay(ErrorClass::Transient, 3, None, base, 0.999);
        assert!(
            low == Duration::from_millis(200) && high > Duration::from_millis(590),
            "{low:?} {high:?}"
        );
        assert_eq!(
            delay(ErrorClass::Unknown, 30, None, Duration::from_secs(10), 0.5),
            Duration::from_secs(300)
        );
        assert!(delay(ErrorClass::AccountThrottle, 1, None, base, 0.5) >= Duration::from_secs(60));
    }
}
