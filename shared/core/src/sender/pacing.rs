//! Pacing arithmetic (pure): a GCRA ("generic cell rate algorithm") per key, the token-bucket
//! equivalent that needs one timestamp per key. Two keys are paced for every message: the sending
//! number (throughput, burst 1) and the (number, recipient) pair (pair rate, small burst); the
//! state of the keys one sender process owns is [`super::pacer::Pacer`].
//!
//! A key's state is its *theoretical arrival time* `tat`. With emission interval `T` and burst
//! `b`, a send at `now` conforms when `now >= tat - (b-1)·T`; it then moves `tat` to
//! `max(tat, now) + T`.

use crate::domain::artist::Pacing;
use chrono::{DateTime, Duration, Utc};

/// Share of the configured per-number rate the sender uses. Meta counts inbound and outbound
/// messages against the same limit, and network jitter can bunch sends that left on time: the
/// headroom keeps "never more than N in any second" true where Meta measures it.
pub const NUMBER_HEADROOM: f64 = 0.9;

/// The limits one artist's number is paced with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Time between two sends from the number (after the headroom).
    pub number_interval: Duration,
    /// Time between two sends to one recipient once the burst is used.
    pub pair_interval: Duration,
    /// Sends to one recipient allowed back to back.
    pub pair_burst: u32,
    /// The configured rate as a count: never more sends than this in any one second.
    pub per_second: u32,
}

fn micros(secs: f64) -> Duration {
    Duration::microseconds((secs.max(0.0) * 1e6).round() as i64)
}

impl Limits {
    /// From the artist's configuration (validated: rate in (0, 1000], spacing in [0, 3600]).
    pub fn from_config(p: &Pacing) -> Limits {
        let rate = (p.messages_per_second * NUMBER_HEADROOM).max(0.001);
        Limits {
            number_interval: micros(1.0 / rate),
            pair_interval: micros(p.pair_spacing_secs),
            pair_burst: p.pair_burst.max(1),
            per_second: p.messages_per_second.floor().max(1.0) as u32,
        }
    }

    /// How far ahead of `tat` a pair send may be (the burst allowance).
    pub fn pair_tolerance(&self) -> Duration {
        self.pair_interval * (self.pair_burst.saturating_sub(1) as i32)
    }
}

/// When the pair key allows the next send.
pub fn pair_ready_at(tat: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
    tat - limits.pair_tolerance()
}

/// The pair's new `tat` after a send at `at`.
pub fn pair_after_send(tat: DateTime<Utc>, at: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
    tat.max(at) + limits.pair_interval
}

/// The pair `tat` that makes the pair ready no earlier than `ready_at` (after a 131056).
pub fn pair_hold_until(ready_at: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
    ready_at + limits.pair_tolerance()
}

/// Reserves the number's next slot: sends leave exactly one interval apart. Returns (slot, new tat).
pub fn number_reserve(
    tat: DateTime<Utc>,
    now: DateTime<Utc>,
    limits: &Limits,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let slot = tat.max(now);
    (slot, slot + limits.number_interval)
}

/// Tokens left in the number's bucket (0 or 1 at burst 1; below zero = seconds of reserved
/// backlog expressed in sends), for the `sender_bucket_tokens` gauge.
pub fn number_tokens(tat: DateTime<Utc>, now: DateTime<Utc>, limits: &Limits) -> f64 {
    let interval = limits
        .number_interval
        .num_microseconds()
        .unwrap_or(1)
        .max(1) as f64;
    let ahead = (tat - now).num_microseconds().unwrap_or(0) as f64;
    (1.0 - ahead / interval).min(1.0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `ms` milliseconds after the epoch.
    pub(in crate::sender) fn t(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms)
    }

    /// The limits of a number configured with this rate, pair spacing and pair burst.
    pub(in crate::sender) fn limits(rate: f64, spacing: f64, burst: u32) -> Limits {
        Limits::from_config(&Pacing {
            messages_per_second: rate,
            pair_spacing_secs: spacing,
            pair_burst: burst,
        })
    }

    #[test]
    fn the_number_is_paced_below_the_configured_rate() {
        let l = limits(50.0, 6.0, 3);
        // 50/s × 0.9 = 45/s: one send every 22.2 ms.
        assert_eq!(l.number_interval, Duration::microseconds(22_222));
        let (mut tat, now) = (t(0), t(0));
        let mut slots = Vec::new();
        for _ in 0..200 {
            let (slot, next) = number_reserve(tat, now, &l);
            slots.push(slot);
            tat = next;
        }
        // In any one-second window at most 46 (45/s, both ends counted), below the configured 50.
        for (i, s) in slots.iter().enumerate() {
            let in_window = slots[i..]
                .iter()
                .take_while(|x| **x < *s + Duration::seconds(1))
                .count();
            assert!(in_window <= 46, "{in_window} sends in the second from {s}");
        }
    }

    #[test]
    fn an_idle_number_sends_at_once() {
        let l = limits(80.0, 6.0, 3);
        let (slot, tat) = number_reserve(t(0), t(10_000), &l);
        assert_eq!(slot, t(10_000));
        assert!(tat > slot);
        assert_eq!(number_tokens(t(0), t(10_000), &l), 1.0);
        assert!(number_tokens(tat + l.number_interval * 4, t(10_000), &l) < -3.0);
    }

    #[test]
    fn a_recipient_gets_a_burst_then_the_spacing() {
        let l = limits(80.0, 6.0, 3);
        let mut tat = t(0);
        let now = t(100_000);
        let mut sent_at = Vec::new();
        for _ in 0..5 {
            let ready = pair_ready_at(tat, &l).max(now);
            sent_at.push(ready);
            tat = pair_after_send(tat, ready, &l);
        }
        let offsets: Vec<i64> = sent_at
            .iter()
            .map(|s| (*s - now).num_milliseconds())
            .collect();
        assert_eq!(offsets, [0, 0, 0, 6_000, 12_000]);
    }

    #[test]
    fn a_pair_rate_error_holds_the_recipient_until_the_given_time() {
        let l = limits(80.0, 6.0, 3);
        let tat = pair_hold_until(t(4_000), &l);
        assert_eq!(pair_ready_at(tat, &l), t(4_000));
        let l1 = limits(80.0, 0.4, 1);
        assert_eq!(pair_ready_at(pair_hold_until(t(4_000), &l1), &l1), t(4_000));
    }
}
