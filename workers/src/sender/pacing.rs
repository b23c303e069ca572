//! Waiting before a call: for a message's turn (older messages to the same recipient go first) and
//! for a pacing slot shared with every replica through Postgres (the maths in
//! `inkline_core::sender::pacing`, the SQL in `store::pacing`). A wait longer than a few seconds
//! does not hold a consumer: the caller defers the job through the bus.

use super::{SenderHandler, chrono_of};
use infra::bus::defer::MAX_STAY;
use infra::metrics::metrics;
use infra::store::artists::Artist;
use infra::store::messages;
use infra::store::pacing::{self as limiter, Reservation};
use inkline_core::jobs::SendJob;
use inkline_core::sender::pacing::Limits;
use std::time::{Duration, Instant};

/// The longest a handler sleeps for its turn or pacing slot before deferring the job (covers a
/// 6 s pair spacing without a round trip through the broker).
const INLINE_WAIT: Duration = Duration::from_secs(8);
/// A pacing slot woken up later than this is not used (see `wait_for_slot`): well inside the
/// 10 % headroom of a one-second window.
const LATE_TOLERANCE: Duration = Duration::from_millis(20);

/// What waiting decided.
pub(super) enum Wait {
    /// Go on now.
    Done,
    /// Come back in this long (`Outcome::Defer`).
    Later(Duration),
}

impl SenderHandler {
    /// Messages to one recipient leave in production order: wait while an older one is unsent.
    pub(super) async fn wait_for_turn(
        &self,
        job: &SendJob,
        limits: &Limits,
    ) -> anyhow::Result<Wait> {
        let started = Instant::now();
        let mut poll = Duration::from_millis(25);
        loop {
            let ahead = messages::unsent_before(&self.fleet.pool, job.message_id).await?;
            if ahead == 0 {
                return Ok(Wait::Done);
            }
            // Far back in the line (or waited long enough): don't hold a consumer slot.
            if ahead > 3 || started.elapsed() + poll > INLINE_WAIT {
                let guess = limits
                    .pair_interval
                    .to_std()
                    .unwrap_or_default()
                    .mul_f64(ahead as f64);
                return Ok(Wait::Later(
                    guess.clamp(Duration::from_millis(200), MAX_STAY),
                ));
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(Duration::from_millis(400));
        }
    }

    /// Reserves a pacing slot for the number (and the pair, for messages) and sleeps until it.
    pub(super) async fn wait_for_slot(
        &self,
        artist: &Artist,
        to: Option<&str>,
        limits: &Limits,
    ) -> anyhow::Result<Wait> {
        let pn = &artist.config.phone_number_id;
        let (number, pair) = (
            limiter::number_key(pn),
            to.map(|t| limiter::pair_key(pn, t)),
        );
        let started = Instant::now();
        loop {
            let budget = INLINE_WAIT.saturating_sub(started.elapsed());
            match limiter::reserve(
                &self.fleet.pool,
                &number,
                pair.as_deref(),
                limits,
                chrono_of(budget),
            )
            .await?
            {
                Reservation::Slot { wait, tokens_left } => {
                    metrics()
                        .bucket_tokens
                        .with_label_values(&[pn])
                        .set(tokens_left);
                    let wait = wait.to_std().unwrap_or_default();
                    if wait.is_zero() {
                        return Ok(Wait::Done);
                    }
                    metrics()
                        .send_throttled
                        .with_label_values(&["number_pacing"])
                        .inc();
                    let due = Instant::now() + wait;
                    tokio::time::sleep_until(due.into()).await;
                    // Woken late (a busy host): sending now would bunch with the slots after ours,
                    // so this slot is left unused and a fresh one taken.
                    if Instant::now().saturating_duration_since(due) <= LATE_TOLERANCE {
                        return Ok(Wait::Done);
                    }
                    metrics()
                        .send_throttled
                        .with_label_values(&["late_wakeup"])
                        .inc();
                }
                Reservation::NotBefore { wait } => {
                    metrics()
                        .send_throttled
                        .with_label_values(&["pair_pacing"])
                        .inc();
                    let wait = wait.to_std().unwrap_or_default();
                    if wait >= budget {
                        return Ok(Wait::Later(wait));
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}
