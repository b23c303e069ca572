//! Sending one message: a pacing slot (in memory) → the claim (one round trip: unsent, its turn,
//! the artist not paused, the lease, the 24 h window facts) → free-form or template → Meta → the
//! wamid (recorded in batches), or a reaction to the error by its class (external-apis.md 1.7,
//! docs/decisions.md). Every "later" is a bus outcome: `Defer` for long waits, `Throttled` for
//! rate limits, `RetryAfter` for failed calls.

use super::pacing::Wait;
use super::{SenderHandler, chrono_of, error_code};
use infra::bus::defer::MAX_STAY;
use infra::bus::{Outcome, Received};
use infra::clients::whatsapp::GraphError;
use infra::metrics::metrics;
use infra::store::artists::{self, Artist};
use infra::store::failures::{self, Failure};
use infra::store::messages::{self, Claim, SendFacts, Sent};
use infra::store::system_events;
use inkline_core::conversation::Severity;
use inkline_core::domain::MessageBody;
use inkline_core::graph::errors::{ErrorClass, classify_error, code_label};
use inkline_core::jobs::SendJob;
use inkline_core::sender::pacing::Limits;
use inkline_core::sender::{backoff, window};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a sender may hold a message while calling the API.
const LEASE_SECS: i64 = 30;
/// How long a message waits in memory for an older sibling to the same recipient whose job is
/// still on its way (published in the same relay batch) before its own job is deferred through
/// the bus. Short: an older sibling that is being retried comes back through this partition, and
/// it must not find its younger siblings blocking the recipient's line.
const TURN_WAIT: Duration = Duration::from_millis(300);

/// What Meta accepted for a message, kept until it is recorded.
#[derive(Clone)]
pub(super) struct Accepted {
    wamid: String,
    body: MessageBody,
}

/// Why there is nothing to send now.
type NotNow = Outcome;

impl SenderHandler {
    pub(super) async fn send(&self, msg: &Received, job: &SendJob) -> anyhow::Result<Outcome> {
        let pool = &self.fleet.pool;
        let accepted = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&job.message_id)
            .cloned();
        if let Some(sent) = accepted {
            return self.record_sent(job, sent).await;
        }
        let Some(mut artist) = self.artists.get(pool, job.artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
        };
        if self.token(&artist).is_none() {
            // Perhaps configured since it was cached.
            match self.artists.reload(pool, job.artist_id).await? {
                Some(a) if self.token(&a).is_some() => artist = a,
                _ => {
                    return Ok(Outcome::Retry(
                        "no WhatsApp access token configured for this artist".into(),
                    ));
                }
            }
        }
        let limits = Limits::from_config(&artist.config.pacing);
        let facts = match self.slot_and_claim(job, &artist, &limits).await? {
            Ok(facts) => facts,
            Err(not_now) => return Ok(not_now),
        };
        metrics()
            .sending_paused
            .with_label_values(&[&artist.config.slug])
            .set(0);
        // The row changed since the configuration was read (a new token, say): read it again.
        let Some(artist) = self
            .artists
            .current(pool, artist, facts.artist_version)
            .await?
        else {
            return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
        };
        let Some(token) = self.token(&artist) else {
            messages::release(pool, job.message_id).await?;
            return Ok(Outcome::Retry(
                "no WhatsApp access token configured for this artist".into(),
            ));
        };
        let Some(body) = body_for_window(job, &artist, &facts) else {
            let detail = "outside the 24 h window and the message has no template equivalent";
            self.undeliverable(msg, job, None, detail).await?;
            return Ok(Outcome::Ack);
        };
        let started = Instant::now();
        let result = self
            .graph
            .send(&artist.config.phone_number_id, &token, &job.to, &body)
            .await;
        metrics()
            .send_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(wamid) => {
                metrics()
                    .messages_sent
                    .with_label_values(&[body.kind()])
                    .inc();
                self.record_sent(job, Accepted { wamid, body }).await
            }
            Err(e) => self.react(msg, job, &artist, &limits, &body, e).await,
        }
    }

    /// Waits for a pacing slot, then claims the message. While older messages to the same
    /// recipient are still unsent (or another sender holds the lease) it waits in memory and
    /// takes a fresh slot each time, for up to [`TURN_WAIT`]; then the job is deferred.
    async fn slot_and_claim(
        &self,
        job: &SendJob,
        artist: &Artist,
        limits: &Limits,
    ) -> anyhow::Result<Result<SendFacts, NotNow>> {
        let pool = &self.fleet.pool;
        let started = Instant::now();
        let mut poll = Duration::from_millis(50);
        loop {
            if let Wait::Later(d) = self.wait_for_slot(artist, &job.to, limits).await {
                return Ok(Err(self.defer(job, d).await?));
            }
            let later = match messages::claim(pool, job.message_id, LEASE_SECS).await? {
                Claim::Mine(facts) => return Ok(Ok(facts)),
                Claim::Settled => return Ok(Err(duplicate(job))),
                Claim::Missing => {
                    return Ok(Err(Outcome::Dead(format!(
                        "no transcript row for message {}",
                        job.message_id
                    ))));
                }
                Claim::Paused { reason } => {
                    metrics()
                        .sending_paused
                        .with_label_values(&[&artist.config.slug])
                        .set(1);
                    let reason = reason.as_deref().unwrap_or("sending paused");
                    messages::park(pool, job.message_id, &format!("artist paused: {reason}"))
                        .await?;
                    return Ok(Err(Outcome::Ack));
                }
                // Far back in the line: a guess of how long the ones ahead take.
                Claim::NotYourTurn { ahead } => limits
                    .pair_interval
                    .to_std()
                    .unwrap_or_default()
                    .mul_f64(ahead as f64)
                    .clamp(Duration::from_millis(500), MAX_STAY),
                Claim::Busy => Duration::from_secs(1),
            };
            if started.elapsed() + poll > TURN_WAIT {
                return Ok(Err(self.defer(job, later).await?));
            }
            metrics().send_throttled.with_label_values(&["turn"]).inc();
            tokio::time::sleep(poll).await;
            poll *= 2;
        }
    }

    /// Stores the wamid of an accepted message (batched with the other senders' in one
    /// statement). If the database is gone, the acceptance is kept in memory so the held
    /// delivery's next run records it rather than sending a second time.
    async fn record_sent(&self, job: &SendJob, sent: Accepted) -> anyhow::Result<Outcome> {
        let substituted = (sent.body != job.body)
            .then(|| serde_json::to_value(&sent.body))
            .transpose()?;
        let stored = self
            .recorder
            .record(Sent {
                id: job.message_id,
                wamid: sent.wamid.clone(),
                kind: sent.body.kind(),
                body: substituted,
            })
            .await;
        let mut unrecorded = self
            .unrecorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match stored {
            Ok(_) => {
                unrecorded.remove(&job.message_id);
                Ok(Outcome::Ack)
            }
            Err(e) => {
                unrecorded.insert(job.message_id, sent);
                Err(e.into())
            }
        }
    }

    /// Meta refused the send: act on the error's class (external-apis.md 1.7, docs/decisions.md).
    async fn react(
        &self,
        msg: &Received,
        job: &SendJob,
        artist: &Artist,
        limits: &Limits,
        body: &MessageBody,
        e: GraphError,
    ) -> anyhow::Result<Outcome> {
        let pool = &self.fleet.pool;
        let (class, code) = (classify_error(&e), code_label(&e));
        let retry_after = match &e {
            GraphError::Api { retry_after, .. } => *retry_after,
            _ => None,
        };
        tracing::warn!(message_id = %job.message_id, code = %code, class = class.as_str(), error = %e, "send refused");
        let pn = &artist.config.phone_number_id;
        match class {
            ErrorClass::NumberThrottle | ErrorClass::AccountThrottle | ErrorClass::PairThrottle => {
                let n = msg.throttles + 1;
                let limit = if class == ErrorClass::PairThrottle {
                    "pair_rate"
                } else {
                    "number_rate"
                };
                metrics().send_throttled.with_label_values(&[limit]).inc();
                metrics().send_retries.with_label_values(&[&code]).inc();
                messages::release(pool, job.message_id).await?;
                let wait = backoff::delay(
                    class,
                    n,
                    retry_after,
                    self.base_delay(),
                    rand::random::<f64>(),
                );
                // Hold off: the number for throughput limits, the pair for 131056.
                let until = chrono::Utc::now() + chrono_of(wait);
                match class {
                    ErrorClass::PairThrottle => self.pacer().hold_pair(pn, &job.to, until, limits),
                    _ => self.pacer().hold_number(pn, until),
                }
                self.expect_back(job, wait).await?;
                let reason = format!("throttled {n} time{}, last {e}", plural(n));
                Ok(Outcome::Throttled(wait, reason))
            }
            ErrorClass::OutsideWindow => {
                let has_template = !matches!(body, MessageBody::Template { .. })
                    && window::template_body(
                        job,
                        &artist.config.templates,
                        &window::TemplateFacts::default(),
                    )
                    .is_some();
                if has_template {
                    messages::force_template(pool, job.message_id).await?;
                    metrics().send_retries.with_label_values(&[&code]).inc();
                    return self.defer(job, Duration::ZERO).await;
                }
                self.undeliverable(msg, job, error_code(&e), &e.to_string())
                    .await?;
                Ok(Outcome::Ack)
            }
            ErrorClass::StopTenant => {
                metrics().send_failures.with_label_values(&[&code]).inc();
                let reason = format!("WhatsApp error {code}: {e}");
                if artists::pause_sending(pool, artist.id, &reason).await? {
                    tracing::error!(artist = %artist.config.slug, code = %code, "sending paused for this artist: fix the token or account, then resume");
                    system_events::record(
                        pool,
                        Some(artist.id),
                        job.lead_id,
                        "sending_paused",
                        Severity::Error,
                        serde_json::json!({"code": error_code(&e), "reason": reason, "message_id": job.message_id}),
                    )
                    .await?;
                }
                metrics()
                    .sending_paused
                    .with_label_values(&[&artist.config.slug])
                    .set(1);
                messages::park(pool, job.message_id, &reason).await?;
                Ok(Outcome::Ack)
            }
            ErrorClass::Transient | ErrorClass::Unknown => {
                let n = msg.attempts + 1;
                metrics().send_retries.with_label_values(&[&code]).inc();
                messages::release(pool, job.message_id).await?;
                let wait = backoff::delay(
                    class,
                    n,
                    retry_after,
                    self.base_delay(),
                    rand::random::<f64>(),
                );
                self.expect_back(job, wait).await?;
                // The reason the message is parked with if the bus gives up on it now.
                let reason = format!("{n} attempt{}, last {e}", plural(n));
                Ok(Outcome::RetryAfter(wait, reason))
            }
            ErrorClass::Permanent => {
                metrics().send_failures.with_label_values(&[&code]).inc();
                messages::mark_failed(
                    pool,
                    job.message_id,
                    messages::MessageStatus::Failed,
                    error_code(&e),
                    &e.to_string(),
                )
                .await?;
                let failure = Failure {
                    message_id: job.message_id,
                    kind: "send_failed",
                    code: error_code(&e),
                    detail: &e.to_string(),
                };
                failures::report(pool, &failure, &msg.correlation_id).await?;
                Ok(Outcome::Ack)
            }
        }
    }

    /// Records that the message cannot reach its recipient and tells the artist (once).
    async fn undeliverable(
        &self,
        msg: &Received,
        job: &SendJob,
        code: Option<i64>,
        detail: &str,
    ) -> anyhow::Result<()> {
        let label = code
            .map(|c| c.to_string())
            .unwrap_or_else(|| "outside_window".into());
        metrics().send_failures.with_label_values(&[&label]).inc();
        messages::mark_failed(
            &self.fleet.pool,
            job.message_id,
            messages::MessageStatus::Undeliverable,
            code,
            detail,
        )
        .await?;
        let failure = Failure {
            message_id: job.message_id,
            kind: "message_undeliverable",
            code,
            detail,
        };
        failures::report(&self.fleet.pool, &failure, &msg.correlation_id).await?;
        Ok(())
    }

    /// Not now: the bus brings the job back in `wait`, without counting a failed attempt.
    async fn defer(&self, job: &SendJob, wait: Duration) -> anyhow::Result<Outcome> {
        self.expect_back(job, wait).await?;
        Ok(Outcome::Defer(wait))
    }

    /// Tells the transcript row when a sender will look at it again, when that is further off
    /// than one stay in the retry queue (so the stall sweep does not take a long planned wait for
    /// a lost job).
    async fn expect_back(&self, job: &SendJob, wait: Duration) -> anyhow::Result<()> {
        if wait > MAX_STAY {
            messages::expect_visit(&self.fleet.pool, job.message_id, wait).await?;
        }
        Ok(())
    }
}

fn duplicate(job: &SendJob) -> Outcome {
    metrics().duplicates.with_label_values(&["send_job"]).inc();
    tracing::debug!(message_id = %job.message_id, "already sent or settled; not sending again");
    Outcome::Ack
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The message itself inside the 24 h window; outside it (or after a 131047) its template, or
/// None when it has no template equivalent.
fn body_for_window(job: &SendJob, artist: &Arc<Artist>, facts: &SendFacts) -> Option<MessageBody> {
    if !facts.force_template && window::is_open(facts.last_inbound_at, chrono::Utc::now()) {
        return Some(job.body.clone());
    }
    let tf = window::TemplateFacts {
        client_name: facts.client_name.as_deref(),
        artist_name: &artist.config.name,
    };
    window::template_body(job, &artist.config.templates, &tf)
}
