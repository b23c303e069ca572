//! When a delivery that did not succeed is tried again: failed attempts get delays doubling from
//! `RETRY_BASE_DELAY_MS` (capped at 5 min), at least `MAX_ATTEMPTS` tries, and for transient
//! failures as long as the time budget (`RETRY_BUDGET_SECS`) since the first failure lasts;
//! throttles get [`MAX_THROTTLES`] and the same budget; deferrals [`MAX_DEFERRALS`] and more
//! with the budget. Nothing is retried forever.

use super::connection::Bus;
use super::defer::MAX_STAY;
use super::message::Received;
use std::time::Duration;

/// Throttle answers (`Outcome::Throttled`) a message may collect, once the retry time budget is
/// spent, before it goes to the dead-letter queue: a throttle is not the message's failure, so it
/// gets more tries than a failed attempt, but not endless ones.
pub const MAX_THROTTLES: u32 = 20;

/// Deferrals (`Outcome::Defer`) a message may collect before it goes to the dead-letter queue,
/// plus one per [`MAX_STAY`] of the retry time budget, so that waiting behind a message that
/// retries through a long outage is not cut short.
pub const MAX_DEFERRALS: u32 = 1000;

/// The delay before retry number `attempt` (1-based): base × 2^(attempt-1), capped at 5 minutes.
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(12);
    (base * factor).min(Duration::from_secs(300))
}

/// The retry rules one failed attempt is judged by.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub budget: Duration,
}

impl RetryPolicy {
    pub fn of(bus: &Bus) -> Self {
        let c = bus.config();
        RetryPolicy {
            max_attempts: c.max_attempts.max(1),
            base_delay: c.retry_base_delay,
            budget: c.retry_budget,
        }
    }

    /// True when a transient failure of this delivery now would send it to the DLQ: the last
    /// chance to do something else (e.g. tell the artist) instead of retrying.
    pub fn is_last_attempt(&self, msg: &Received) -> bool {
        let now = chrono::Utc::now().timestamp_millis();
        let first = msg.first_failure_at.unwrap_or(now);
        self.next(msg.attempts + 1, first, now, true).is_none()
    }

    /// After throttle number `throttle` (1-based) of a message: retry (after the handler's
    /// delay), or give up — at least [`MAX_THROTTLES`] retries, then as long as the time budget
    /// since the first failure or throttle lasts.
    pub fn throttle_allows(&self, throttle: u32, first_failure_ms: i64, now_ms: i64) -> bool {
        let throttles = RetryPolicy {
            max_attempts: MAX_THROTTLES + 1,
            ..*self
        };
        throttles
            .next(throttle, first_failure_ms, now_ms, true)
            .is_some()
    }

    /// How many deferrals a message may collect before it goes to the dead-letter queue.
    pub fn max_deferrals(&self) -> u32 {
        let budget_stays = self.budget.as_secs() / MAX_STAY.as_secs().max(1);
        MAX_DEFERRALS.saturating_add(u32::try_from(budget_stays).unwrap_or(u32::MAX))
    }

    /// After failed attempt number `attempt` (1-based) of a message that first failed at
    /// `first_failure_ms`: retry after a delay, or give up. Transient failures are retried at
    /// least `max_attempts` times and for as long as the time budget lasts; a bug (a panic) only
    /// gets its `max_attempts`.
    pub fn next(
        &self,
        attempt: u32,
        first_failure_ms: i64,
        now_ms: i64,
        budgeted: bool,
    ) -> Option<Duration> {
        let delay = retry_delay(self.base_delay, attempt);
        if attempt < self.max_attempts {
            return Some(delay);
        }
        let elapsed = Duration::from_millis(now_ms.saturating_sub(first_failure_ms).max(0) as u64);
        (budgeted && elapsed + delay <= self.budget).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_cap() {
        let b = Duration::from_millis(100);
        assert_eq!(retry_delay(b, 1), Duration::from_millis(100));
        assert_eq!(retry_delay(b, 2), Duration::from_millis(200));
        assert_eq!(retry_delay(b, 4), Duration::from_millis(800));
        assert_eq!(
            retry_delay(Duration::from_secs(10), 30),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn transient_failures_retry_for_attempts_and_then_for_the_budget() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            budget: Duration::from_secs(3600),
        };
        let min = 60_000;
        // (attempt, minutes since the first failure, budgeted, retried after)
        let table: &[(u32, i64, bool, Option<u64>)] = &[
            (1, 0, true, Some(1)),
            (4, 0, true, Some(8)),
            (4, 0, false, Some(8)),
            (5, 1, true, Some(16)),
            (5, 1, false, None),
            (12, 50, true, Some(300)),
            (12, 56, true, None),
            (30, 61, true, None),
        ];
        for &(attempt, minutes, budgeted, want) in table {
            let got = p.next(attempt, 0, minutes * min, budgeted);
            assert_eq!(
                got.map(|d| d.as_secs()),
                want,
                "attempt {attempt} after {minutes} min (budgeted {budgeted})"
            );
        }
    }

    #[test]
    fn throttles_get_their_own_count_and_the_same_budget() {
        let p = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            budget: Duration::ZERO,
        };
        assert!(p.throttle_allows(MAX_THROTTLES, 0, 0));
        assert!(!p.throttle_allows(MAX_THROTTLES + 1, 0, 0));
        let with_budget = RetryPolicy {
            budget: Duration::from_secs(3600),
            ..p
        };
        assert!(with_budget.throttle_allows(MAX_THROTTLES + 5, 0, 60_000));
        assert!(!with_budget.throttle_allows(MAX_THROTTLES + 5, 0, 3_600_000));
    }

    #[test]
    fn deferrals_are_bounded_and_grow_with_the_budget() {
        let p = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            budget: Duration::ZERO,
        };
        assert_eq!(p.max_deferrals(), MAX_DEFERRALS);
        let hour = RetryPolicy {
            budget: Duration::from_secs(3600),
            ..p
        };
        assert_eq!(hour.max_deferrals(), MAX_DEFERRALS + 720);
    }

    #[test]
    fn no_budget_means_attempts_alone_decide() {
        let p = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            budget: Duration::ZERO,
        };
        assert!(p.next(3, 0, 0, true).is_some());
        assert_eq!(p.next(4, 0, 0, true), None);
    }

    #[test]
    fn a_clock_that_went_backwards_is_not_a_negative_age() {
        let p = RetryPolicy {
            max_attempts: 1,
            base_delay: Duration::from_secs(1),
            budget: Duration::from_secs(10),
        };
        assert_eq!(p.next(1, 5_000, 0, true), Some(Duration::from_secs(1)));
    }
}
