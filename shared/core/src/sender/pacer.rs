//! The pacing state of the numbers one sender process paces (pure; the process owns each number
//! through its partition, so no other process needs to see it): per number the GCRA time of its
//! next slot, per (number, recipient) pair the pair's, and the holds Meta's throttles ask for.
//! The arithmetic is [`super::pacing`]'s.

use super::pacing::{self, Limits};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// Pacing state of several numbers and their recipients.
#[derive(Debug, Default)]
pub struct Pacer {
    numbers: HashMap<String, DateTime<Utc>>,
    pairs: HashMap<String, DateTime<Utc>>,
}

fn pair(number: &str, to: &str) -> String {
    format!("{number}\u{1f}{to}")
}

impl Pacer {
    /// The earliest time a message from `number` to `to` may go as far as the pair is concerned.
    pub fn pair_ready_at(
        &self,
        number: &str,
        to: &str,
        now: DateTime<Utc>,
        limits: &Limits,
    ) -> DateTime<Utc> {
        match self.pairs.get(&pair(number, to)) {
            Some(tat) => pacing::pair_ready_at(*tat, limits).max(now),
            None => now,
        }
    }

    /// When the number's next slot is, without reserving it.
    pub fn next_slot(&self, number: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        self.numbers.get(number).map_or(now, |tat| (*tat).max(now))
    }

    /// Reserves the number's next slot (sends leave one interval apart) and, for a message to
    /// `to`, counts it against the pair at that slot. Call once the pair is ready.
    pub fn reserve(
        &mut self,
        number: &str,
        to: Option<&str>,
        now: DateTime<Utc>,
        limits: &Limits,
    ) -> DateTime<Utc> {
        let tat = self.numbers.get(number).copied().unwrap_or(now);
        let (slot, next) = pacing::number_reserve(tat, now, limits);
        self.numbers.insert(number.to_owned(), next);
        if let Some(to) = to {
            let key = pair(number, to);
            let tat = self.pairs.get(&key).copied().unwrap_or(slot);
            self.pairs
                .insert(key, pacing::pair_after_send(tat, slot, limits));
        }
        slot
    }

    /// Tokens left in the number's bucket (the `sender_bucket_tokens` gauge).
    pub fn tokens(&self, number: &str, now: DateTime<Utc>, limits: &Limits) -> f64 {
        let tat = self.numbers.get(number).copied().unwrap_or(now);
        pacing::number_tokens(tat, now, limits)
    }

    /// Meta said the number is over its throughput: nothing leaves it before `until`.
    pub fn hold_number(&mut self, number: &str, until: DateTime<Utc>) {
        let tat = self.numbers.entry(number.to_owned()).or_insert(until);
        *tat = (*tat).max(until);
    }

    /// Meta said the pair is over its rate (131056): nothing goes to `to` before `until`.
    pub fn hold_pair(&mut self, number: &str, to: &str, until: DateTime<Utc>, limits: &Limits) {
        let held = pacing::pair_hold_until(until, limits);
        let tat = self.pairs.entry(pair(number, to)).or_insert(held);
        *tat = (*tat).max(held);
    }

    /// Forgets keys that are idle at `now` (an idle key behaves exactly like an absent one), so
    /// the state holds only numbers and recipients with something recent.
    pub fn forget_idle(&mut self, now: DateTime<Utc>) {
        self.numbers.retain(|_, tat| *tat > now);
        self.pairs.retain(|_, tat| *tat > now);
    }

    /// Numbers and pairs currently remembered.
    pub fn len(&self) -> usize {
        self.numbers.len() + self.pairs.len()
    }

    /// Nothing remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How far `at` is from `now`, never negative.
pub fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).max(Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::artist::Pacing;

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::milliseconds(ms)
    }

    fn limits(rate: f64, spacing: f64, burst: u32) -> Limits {
        Limits::from_config(&Pacing {
            messages_per_second: rate,
            pair_spacing_secs: spacing,
            pair_burst: burst,
        })
    }

    /// Sends as fast as the pacer allows: each message waits for its pair, then takes a slot.
    fn run(p: &mut Pacer, msgs: &[(&str, &str)], now: DateTime<Utc>, l: &Limits) -> Vec<i64> {
        msgs.iter()
            .map(|(n, to)| {
                let ready = p.pair_ready_at(n, to, now, l);
                (p.reserve(n, Some(to), ready, l) - now).num_milliseconds()
            })
            .collect()
    }

    /// A case: what it shows, the messages (number, recipient), their slots in ms.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [i64]);

    #[test]
    fn slots_by_number_and_pair() {
        // 50/s → 45/s after headroom: 22.2 ms apart; pair burst 3 then 6 s.
        let l = limits(50.0, 6.0, 3);
        let cases: &[Case] = &[
            (
                "one number, many recipients: one interval apart",
                &[("n", "a"), ("n", "b"), ("n", "c"), ("n", "d")],
                &[0, 22, 44, 66],
            ),
            (
                "two numbers do not wait for each other",
                &[("n", "a"), ("m", "a"), ("n", "b"), ("m", "b")],
                &[0, 0, 22, 22],
            ),
            (
                "one recipient: the burst, then the spacing",
                &[("n", "a"), ("n", "a"), ("n", "a"), ("n", "a")],
                &[0, 22, 44, 6000],
            ),
        ];
        for (what, msgs, want) in cases {
            let mut p = Pacer::default();
            assert_eq!(run(&mut p, msgs, t(1_000_000), &l), *want, "{what}");
        }
    }

    #[test]
    fn holds_delay_the_number_or_only_the_pair() {
        let l = limits(80.0, 6.0, 3);
        let now = t(0);
        let mut p = Pacer::default();
        p.hold_pair("n", "a", t(5_000), &l);
        assert_eq!(p.pair_ready_at("n", "a", now, &l), t(5_000));
        assert_eq!(p.pair_ready_at("n", "b", now, &l), now);
        assert_eq!(p.reserve("n", Some("b"), now, &l), now);
        p.hold_number("n", t(2_000));
        assert_eq!(p.next_slot("n", now), t(2_000));
        assert_eq!(p.next_slot("m", now), now);
        assert_eq!(p.reserve("n", Some("c"), now, &l), t(2_000));
        // A shorter hold never shortens a longer one.
        p.hold_number("n", t(1_000));
        assert!(p.reserve("n", None, now, &l) > t(2_000));
    }

    #[test]
    fn idle_keys_are_forgotten_and_behave_as_new() {
        let l = limits(80.0, 6.0, 3);
        let mut p = Pacer::default();
        run(&mut p, &[("n", "a"), ("n", "a"), ("n", "a")], t(0), &l);
        assert_eq!(p.len(), 2);
        p.forget_idle(t(1_000));
        assert_eq!(p.len(), 1, "the number is idle, the pair is not");
        assert_eq!(p.pair_ready_at("n", "a", t(1_000), &l), t(6_000));
        p.forget_idle(t(60_000));
        assert!(p.is_empty());
        assert_eq!(p.pair_ready_at("n", "a", t(60_000), &l), t(60_000));
        assert_eq!(p.tokens("n", t(60_000), &l), 1.0);
    }
}
