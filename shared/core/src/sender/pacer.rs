//! The pacing state of the numbers one sender process paces (pure; the process owns each number
//! through its partition, so no other process needs to see it): per number the GCRA time of its
//! next slot, per (number, recipient) pair the pair's, and the holds Meta's throttles ask for.
//! The arithmetic is [`super::pacing`]'s.

use super::pacing::{self, Limits};
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};

/// Pacing state of several numbers and their recipients.
#[derive(Debug, Default)]
pub struct Pacer {
    numbers: HashMap<String, DateTime<Utc>>,
    pairs: HashMap<String, DateTime<Utc>>,
    /// When each number actually sent within the last second.
    released: HashMap<String, VecDeque<DateTime<Utc>>>,
    /// Until when Meta asked each number to slow down.
    holds: HashMap<String, DateTime<Utc>>,
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

    /// Reserves the number's next slot: sends leave one interval apart.
    pub fn reserve(&mut self, number: &str, now: DateTime<Utc>, limits: &Limits) -> DateTime<Utc> {
        let tat = self.numbers.get(number).copied().unwrap_or(now);
        let (slot, next) = pacing::number_reserve(tat, now, limits);
        self.numbers.insert(number.to_owned(), next);
        slot
    }

    /// A send whose slot has come leaves at `now` — unless the number already sent its
    /// configured rate (`Limits::per_second`) within the last second, which can only happen when
    /// sleepers wake late together on a busy host: then it must take a fresh slot. Whatever the
    /// timers do, no second holds more sends than the configured rate.
    pub fn release(&mut self, number: &str, now: DateTime<Utc>, limits: &Limits) -> bool {
        let sent = self.released.entry(number.to_owned()).or_default();
        let window = now - Duration::seconds(1);
        while sent.front().is_some_and(|at| *at <= window) {
            sent.pop_front();
        }
        if sent.len() >= limits.per_second as usize {
            return false;
        }
        sent.push_back(now);
        true
    }

    /// Counts a message to `to` sent at `at` against the pair.
    pub fn count_pair(&mut self, number: &str, to: &str, at: DateTime<Utc>, limits: &Limits) {
        let key = pair(number, to);
        let tat = self.pairs.get(&key).copied().unwrap_or(at);
        self.pairs
            .insert(key, pacing::pair_after_send(tat, at, limits));
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
        let held = self.holds.entry(number.to_owned()).or_insert(until);
        *held = (*held).max(until);
    }

    /// Until when the number is held after a throttle answer, if it still is at `now` (calls that
    /// are not messages, like read receipts, wait for this and nothing else).
    pub fn held_until(&self, number: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.holds.get(number).copied().filter(|until| *until > now)
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
        let recent = now - Duration::seconds(1);
        self.released
            .retain(|_, sent| sent.back().is_some_and(|at| *at > recent));
        self.holds.retain(|_, until| *until > now);
    }

    /// Numbers and pairs currently remembered.
    pub fn len(&self) -> usize {
        self.numbers.len() + self.pairs.len() + self.released.len() + self.holds.len()
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
    use crate::sender::pacing::tests::{limits, t};

    /// Sends as fast as the pacer allows: each message waits for its pair, then takes a slot.
    fn run(p: &mut Pacer, msgs: &[(&str, &str)], now: DateTime<Utc>, l: &Limits) -> Vec<i64> {
        msgs.iter()
            .map(|(n, to)| {
                let ready = p.pair_ready_at(n, to, now, l);
                let slot = p.reserve(n, ready, l);
                p.count_pair(n, to, slot, l);
                (slot - now).num_milliseconds()
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
        assert_eq!(p.reserve("n", now, &l), now);
        assert_eq!(p.held_until("n", now), None);
        p.hold_number("n", t(2_000));
        assert_eq!(p.held_until("n", now), Some(t(2_000)));
        assert_eq!(p.held_until("n", t(2_000)), None);
        assert_eq!(p.next_slot("n", now), t(2_000));
        assert_eq!(p.next_slot("m", now), now);
        assert_eq!(p.reserve("n", now, &l), t(2_000));
        // A shorter hold never shortens a longer one.
        p.hold_number("n", t(1_000));
        assert!(p.reserve("n", now, &l) > t(2_000));
    }

    #[test]
    fn late_sleepers_never_exceed_the_configured_rate_in_a_second() {
        // 5/s configured: slots 222 ms apart (4.5/s); a stall wakes eight sleepers together.
        let l = limits(5.0, 6.0, 3);
        let mut p = Pacer::default();
        assert!(p.release("n", t(0), &l));
        let went: Vec<bool> = (0..8).map(|_| p.release("n", t(900), &l)).collect();
        assert_eq!(went, [true, true, true, true, false, false, false, false]);
        assert!(!p.release("n", t(999), &l));
        assert!(
            p.release("n", t(1_000), &l),
            "the first send left the window"
        );
        assert!(
            p.release("m", t(1_000), &l),
            "another number is not affected"
        );
    }

    #[test]
    fn idle_keys_are_forgotten_and_behave_as_new() {
        let l = limits(80.0, 6.0, 3);
        let mut p = Pacer::default();
        run(&mut p, &[("n", "a"), ("n", "a"), ("n", "a")], t(0), &l);
        p.release("n", t(0), &l);
        assert_eq!(p.len(), 3);
        p.forget_idle(t(1_000));
        assert_eq!(p.len(), 1, "the number is idle, the pair is not");
        assert_eq!(p.pair_ready_at("n", "a", t(1_000), &l), t(6_000));
        p.forget_idle(t(60_000));
        assert!(p.is_empty());
        assert_eq!(p.pair_ready_at("n", "a", t(60_000), &l), t(60_000));
        assert_eq!(p.tokens("n", t(60_000), &l), 1.0);
    }

    proptest::proptest! {
        /// Whatever the wake-up times (sleepers late, in bunches), the sends `release` lets go
        /// never number more than the configured rate in any one second.
        #[test]
        fn no_second_holds_more_than_the_configured_rate(
            rate in 1u32..40,
            gaps in proptest::collection::vec(0i64..120, 1..400),
        ) {
            let l = limits(f64::from(rate), 0.0, 1);
            let mut p = Pacer::default();
            let mut now = 0;
            let mut sent = Vec::new();
            for g in gaps {
                now += g;
                if p.release("n", t(now), &l) {
                    sent.push(now);
                }
            }
            for (i, a) in sent.iter().enumerate() {
                let in_second = sent[i..].iter().take_while(|b| **b < a + 1000).count();
                proptest::prop_assert!(in_second <= rate as usize, "{in_second} sends within 1 s of {a}");
            }
        }
    }
}
