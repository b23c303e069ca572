//! Waiting for a pacing slot, in memory: this process is the only one sending from the number
//! (its partition has a single active consumer), so the number's and each recipient's GCRA state
//! live in [`inkline_core::sender::pacer::Pacer`] and a wait is a timer in this process — it
//! neither blocks other deliveries nor goes through the broker.

use super::SenderHandler;
use infra::metrics::metrics;
use infra::store::artists::Artist;
use inkline_core::sender::pacer;
use inkline_core::sender::pacing::Limits;
use std::time::Duration;

/// The longest pacing wait held in memory; a longer one (a throttle hold Meta asked for) is a
/// deferral through the bus, so no handler runs near its timeout.
pub(super) const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// What waiting decided.
pub(super) enum Wait {
    /// Go on now.
    Done,
    /// Come back in this long (`Outcome::Defer`).
    Later(Duration),
}

impl SenderHandler {
    /// Waits while Meta has the number held after a throttle answer (for calls that take no
    /// message slot).
    pub(super) async fn wait_for_hold(&self, artist: &Artist) -> Wait {
        let pn = &artist.config.phone_number_id;
        let now = chrono::Utc::now();
        let Some(until) = self.pacer().held_until(pn, now) else {
            return Wait::Done;
        };
        let wait = pacer::until(until, now).to_std().unwrap_or_default();
        if wait > LONGEST_WAIT {
            return Wait::Later(wait);
        }
        tokio::time::sleep(wait).await;
        Wait::Done
    }

    /// Waits until the pair allows a message to `to`, then until the number's next slot, which
    /// it reserves.
    pub(super) async fn wait_for_slot(&self, artist: &Artist, to: &str, limits: &Limits) -> Wait {
        let pn = &artist.config.phone_number_id;
        loop {
            let now = chrono::Utc::now();
            let ready = self.pacer().pair_ready_at(pn, to, now, limits);
            let wait = pacer::until(ready, now).to_std().unwrap_or_default();
            if wait.is_zero() {
                break;
            }
            if wait > LONGEST_WAIT {
                return Wait::Later(wait);
            }
            metrics()
                .send_throttled
                .with_label_values(&["pair_pacing"])
                .inc();
            tokio::time::sleep(wait).await;
        }
        loop {
            let now = chrono::Utc::now();
            let reserved = {
                let mut p = self.pacer();
                let next = pacer::until(p.next_slot(pn, now), now)
                    .to_std()
                    .unwrap_or_default();
                // Held far off (Meta asked the number to slow down): leave the slot to later.
                (next <= LONGEST_WAIT)
                    .then(|| (p.reserve(pn, now, limits), p.tokens(pn, now, limits)))
                    .ok_or(next)
            };
            let (slot, tokens) = match reserved {
                Ok(r) => r,
                Err(next) => return Wait::Later(next),
            };
            metrics().bucket_tokens.with_label_values(&[pn]).set(tokens);
            let wait = pacer::until(slot, now).to_std().unwrap_or_default();
            if !wait.is_zero() {
                metrics()
                    .send_throttled
                    .with_label_values(&["number_pacing"])
                    .inc();
                tokio::time::sleep(wait).await;
            }
            let sent_at = chrono::Utc::now();
            let mut p = self.pacer();
            // Woken late together with the sleepers after us (a busy host): take a fresh slot.
            if !p.release(pn, sent_at, limits) {
                drop(p);
                metrics()
                    .send_throttled
                    .with_label_values(&["late_wakeup"])
                    .inc();
                continue;
            }
            p.count_pair(pn, to, sent_at, limits);
            return Wait::Done;
        }
    }
}
