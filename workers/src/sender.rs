//! Sender role: consume `outbound.whatsapp` and make each Graph API call at the right moment.
//!
//! For a message: skip it if already settled → hold it if the artist is paused → wait for its
//! turn (older messages to the same recipient go first) → take the send lease → wait for a pacing
//! slot (shared with every replica through Postgres) → pick free-form or template (24 h window) →
//! call Meta → record the wamid, or react to the error by its class. Waiting longer than a few
//! seconds never blocks the consumer: the job goes to the retry queue for a while (`later`),
//! without counting as a failed attempt. Failed calls are retried by the bus's rules
//! ([`RetryPolicy`]: at least `MAX_ATTEMPTS` and as long as the retry time budget lasts).
//! A send job that ends in the DLQ parks its message, whoever put it there; a message whose job
//! vanished without anyone being told (the broker's delivery limit) is parked by the stall sweep.
//! Mark-as-read and media downloads ride the same queue.

use crate::Fleet;
use infra::bus::consume::RetryPolicy;
use infra::bus::message::H_FIRST_FAILURE;
use infra::bus::topology::{OUTBOUND_WHATSAPP, retry_queue};
use infra::bus::{Handler, Outcome, Outgoing, Received};
use infra::clients::whatsapp::{GraphClient, GraphError};
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::artists::Artist;
use infra::store::failures::{self, Failure};
use infra::store::pacing::{self as limiter, Reservation};
use infra::store::{artists, media, messages, system_events};
use inkline_core::conversation::Severity;
use inkline_core::domain::MessageBody;
use inkline_core::graph::errors::{ErrorClass, classify_error, code_label};
use inkline_core::jobs::{MediaJob, OutboundJob, SendJob, WhatsAppJob};
use inkline_core::sender::headers::{
    ATTEMPTS as H_SEND_ATTEMPTS, NOT_BEFORE as H_NOT_BEFORE, THROTTLES as H_THROTTLES,
    WAITS as H_WAITS,
};
use inkline_core::sender::pacing::Limits;
use inkline_core::sender::{backoff, window};
use std::time::{Duration, Instant};

/// How long a sender may hold a message while waiting for its slot and calling the API.
const LEASE_SECS: i64 = 30;
/// The longest a handler sleeps for its turn or pacing slot before handing the job to the retry
/// queue (covers a 6 s pair spacing without a round trip through the broker).
const INLINE_WAIT: Duration = Duration::from_secs(8);
/// The longest a job sits in the retry queue before it looks again (per-message TTLs expire only
/// at the head of the queue, so short stays keep one long wait from delaying the others).
const DEFER_CAP: Duration = Duration::from_secs(5);
/// A pacing slot woken up later than this is not used (see `wait_for_slot`): well inside the
/// 10 % headroom of a one-second window.
const LATE_TOLERANCE: Duration = Duration::from_millis(20);
/// Trips through the retry queue for pacing or ordering before a job is parked in the DLQ (plus
/// one per [`DEFER_CAP`] of the retry time budget, so waiting out a long outage is not cut short).
const MAX_WAITS: u32 = 1000;
/// Largest inbound media object downloaded (WhatsApp images are at most 5 MB).
const MAX_MEDIA_BYTES: u64 = 16 * 1024 * 1024;

struct SenderHandler {
    fleet: Fleet,
    graph: GraphClient,
    /// Messages Meta accepted whose wamid could not be stored yet (the database went away right
    /// after the call): the held delivery's next run stores it instead of sending again.
    unrecorded: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, Accepted>>,
}

/// What Meta accepted for a message, kept until it is recorded.
#[derive(Clone)]
struct Accepted {
    wamid: String,
    body: MessageBody,
}

/// What waiting decided.
enum Wait {
    /// Go on now.
    Done,
    /// Come back in this long (through the retry queue).
    Later(Duration),
}

#[async_trait::async_trait]
impl Handler for SenderHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        if let Some(wait) = not_yet(msg) {
            return self.later(msg, wait, None).await;
        }
        let job: OutboundJob = match serde_json::from_slice(&msg.payload) {
            Ok(j) => j,
            Err(e) => return Outcome::Dead(format!("undecodable outbound job: {e}")),
        };
        let result = match job {
            OutboundJob::Send(job) => self.send(msg, &job).await,
            OutboundJob::Other(WhatsAppJob::MarkRead { artist_id, wamid }) => {
                self.mark_read(msg, artist_id, &wamid).await
            }
            OutboundJob::Other(WhatsAppJob::FetchMedia(job)) => self.fetch_media(msg, &job).await,
        };
        // Database trouble: the bus retries the delivery (bounded), nothing was sent.
        result.unwrap_or_else(|e| Outcome::of_error(e.as_ref()))
    }

    /// The bus put a job in the DLQ (attempts or time budget used up, panics, or our own
    /// `Outcome::Dead`): park its message so younger ones to the same recipient stop waiting for
    /// it. If this fails (database down) the stall sweep parks it later.
    async fn dead_lettered(&self, msg: &Received, reason: &str) {
        let Ok(OutboundJob::Send(job)) = serde_json::from_slice::<OutboundJob>(&msg.payload) else {
            return;
        };
        let why = format!("dead-lettered: {reason}");
        if let Err(e) = messages::park(&self.fleet.pool, job.message_id, &why).await {
            tracing::warn!(message_id = %job.message_id, error = %e, "could not park a dead-lettered message; the stall sweep will");
        }
    }
}

impl SenderHandler {
    async fn send(&self, msg: &Received, job: &SendJob) -> anyhow::Result<Outcome> {
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
        match messages::visit(pool, job.message_id).await? {
            None => {
                return Ok(Outcome::Dead(format!(
                    "no transcript row for message {}",
                    job.message_id
                )));
            }
            Some(s) if s.is_settled() => {
                return Ok(duplicate(job));
            }
            Some(_) => {}
        }
        let Some(artist) = artists::by_id(pool, job.artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
        };
        let paused = artist.sending_paused_at.is_some();
        metrics()
            .sending_paused
            .with_label_values(&[&artist.config.slug])
            .set(i64::from(paused));
        if paused {
            let reason = artist
                .sending_paused_reason
                .as_deref()
                .unwrap_or("sending paused");
            messages::park(pool, job.message_id, &format!("artist paused: {reason}")).await?;
            return Ok(Outcome::Ack);
        }
        let limits = Limits::from_config(&artist.config.pacing);
        if let Wait::Later(d) = self.wait_for_turn(job, &limits).await? {
            return self.defer_send(msg, job, d, None).await;
        }
        match messages::claim(pool, job.message_id, LEASE_SECS).await? {
            messages::Claim::Mine => {}
            messages::Claim::Settled => return Ok(duplicate(job)),
            messages::Claim::Missing => {
                return Ok(Outcome::Dead(format!(
                    "no transcript row for message {}",
                    job.message_id
                )));
            }
            messages::Claim::Busy => {
                return self
                    .defer_send(msg, job, Duration::from_secs(1), None)
                    .await;
            }
        }
        let Some(token) = self.token(&artist) else {
            messages::give_back(pool, job.message_id).await?;
            return Ok(Outcome::Retry(
                "no WhatsApp access token configured for this artist".into(),
            ));
        };
        // Another replica may have paused this artist (token expired) while we waited our turn.
        if artists::sending_paused(pool, artist.id).await? {
            messages::park(pool, job.message_id, "artist paused").await?;
            return Ok(Outcome::Ack);
        }
        let Some(body) = self.body_for_window(job, &artist).await? else {
            let detail = "outside the 24 h window and the message has no template equivalent";
            self.undeliverable(msg, job, None, detail).await?;
            return Ok(Outcome::Ack);
        };
        // Last step before the call, so nothing slow sits between the slot and Meta.
        if let Wait::Later(d) = self.wait_for_slot(&artist, Some(&job.to), &limits).await? {
            messages::give_back(pool, job.message_id).await?;
            return self.defer_send(msg, job, d, None).await;
        }
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

    /// Stores the wamid of an accepted message. If the database is gone, the acceptance is kept in
    /// memory so the held delivery's next run records it rather than sending a second time.
    async fn record_sent(&self, job: &SendJob, sent: Accepted) -> anyhow::Result<Outcome> {
        let substituted = (sent.body != job.body).then_some(&sent.body);
        let stored = messages::mark_sent(
            &self.fleet.pool,
            job.message_id,
            &sent.wamid,
            sent.body.kind(),
            substituted,
        )
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
                let n = counter(msg, H_THROTTLES) + 1;
                let limit = if class == ErrorClass::PairThrottle {
                    "pair_rate"
                } else {
                    "number_rate"
                };
                metrics().send_throttled.with_label_values(&[limit]).inc();
                metrics().send_retries.with_label_values(&[&code]).inc();
                messages::release(pool, job.message_id).await?;
                if self.gives_up(msg, n, backoff::MAX_THROTTLES + 1) {
                    return self
                        .dead_letter(job, &format!("throttled {n} times, last {e}"))
                        .await;
                }
                let wait = backoff::delay(
                    class,
                    n,
                    retry_after,
                    self.base_delay(),
                    rand::random::<f64>(),
                );
                // Every replica holds off: the number for throughput limits, the pair for 131056.
                let hold = chrono_of(wait);
                match class {
                    ErrorClass::PairThrottle => {
                        limiter::hold(
                            pool,
                            &limiter::pair_key(pn, &job.to),
                            hold + limits.pair_tolerance(),
                        )
                        .await?
                    }
                    _ => limiter::hold(pool, &limiter::number_key(pn), hold).await?,
                }
                self.defer_send(msg, job, wait, Some((H_THROTTLES, n)))
                    .await
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
                    return self.defer_send(msg, job, Duration::ZERO, None).await;
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
                let n = counter(msg, H_SEND_ATTEMPTS) + 1;
                metrics().send_retries.with_label_values(&[&code]).inc();
                messages::release(pool, job.message_id).await?;
                if self.gives_up(msg, n, self.fleet.cfg.bus.max_attempts) {
                    return self
                        .dead_letter(job, &format!("{n} attempts, last {e}"))
                        .await;
                }
                let wait = backoff::delay(
                    class,
                    n,
                    retry_after,
                    self.base_delay(),
                    rand::random::<f64>(),
                );
                self.defer_send(msg, job, wait, Some((H_SEND_ATTEMPTS, n)))
                    .await
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

    /// Messages to one recipient leave in production order: wait while an older one is unsent.
    async fn wait_for_turn(&self, job: &SendJob, limits: &Limits) -> anyhow::Result<Wait> {
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
                    guess.clamp(Duration::from_millis(200), DEFER_CAP),
                ));
            }
            tokio::time::sleep(poll).await;
            poll = (poll * 2).min(Duration::from_millis(400));
        }
    }

    /// Reserves a pacing slot for the number (and the pair, for messages) and sleeps until it.
    async fn wait_for_slot(
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

    /// The message itself inside the 24 h window; outside it (or after a 131047) its template,
    /// or None when it has no template equivalent.
    async fn body_for_window(
        &self,
        job: &SendJob,
        artist: &Artist,
    ) -> anyhow::Result<Option<MessageBody>> {
        let facts = messages::window_facts(&self.fleet.pool, job.message_id).await?;
        if !facts.force_template && window::is_open(facts.last_inbound_at, chrono::Utc::now()) {
            return Ok(Some(job.body.clone()));
        }
        let tf = window::TemplateFacts {
            client_name: facts.client_name.as_deref(),
            artist_name: &artist.config.name,
        };
        Ok(window::template_body(job, &artist.config.templates, &tf))
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

    /// Whether failure number `n` (1-based) of this job ends its tries: the bus's rule — at least
    /// `max` tries, and more while the retry time budget since the first failure lasts — so a
    /// Graph outage shorter than the budget never dead-letters a message.
    fn gives_up(&self, msg: &Received, n: u32, max: u32) -> bool {
        let policy = RetryPolicy {
            max_attempts: max.max(1),
            ..RetryPolicy::of(&self.fleet.bus)
        };
        let now = chrono::Utc::now().timestamp_millis();
        let first = msg.first_failure_at.unwrap_or(now);
        policy.next(n, first, now, true).is_none()
    }

    /// [`Self::later`] for a send job, first telling the transcript row when a sender will look
    /// at it again when that is further off than one trip through the retry queue (so the stall
    /// sweep does not take a long planned wait for a lost job).
    async fn defer_send(
        &self,
        msg: &Received,
        job: &SendJob,
        wait: Duration,
        bump: Option<(&str, u32)>,
    ) -> anyhow::Result<Outcome> {
        if wait > DEFER_CAP {
            messages::expect_visit(&self.fleet.pool, job.message_id, wait).await?;
        }
        Ok(self.later(msg, wait, bump).await)
    }

    /// Retries are used up: park the message (younger ones stop waiting for it) and dead-letter
    /// the job, from where an operator can replay it.
    async fn dead_letter(&self, job: &SendJob, reason: &str) -> anyhow::Result<Outcome> {
        messages::park(
            &self.fleet.pool,
            job.message_id,
            &format!("dead-lettered: {reason}"),
        )
        .await?;
        Ok(Outcome::Dead(reason.to_owned()))
    }

    /// Sends the job through the retry queue to come back in `wait` (at most [`DEFER_CAP`] per
    /// trip; a longer wait is remembered in a header). Does not count as a failed attempt.
    async fn later(&self, msg: &Received, wait: Duration, bump: Option<(&str, u32)>) -> Outcome {
        let waits = counter(msg, H_WAITS) + 1;
        let max_waits = self.max_waits();
        if waits > max_waits {
            return Outcome::Dead(format!(
                "still waiting after {max_waits} trips through the retry queue"
            ));
        }
        let mut headers = msg.headers.clone();
        headers.insert(H_WAITS.to_owned(), waits.to_string());
        if let Some((h, n)) = bump {
            headers.insert(h.to_owned(), n.to_string());
            // A failure: the retry time budget counts from the first one (the bus's header).
            headers
                .entry(H_FIRST_FAILURE.to_owned())
                .or_insert_with(|| chrono::Utc::now().timestamp_millis().to_string());
        }
        headers.remove(H_NOT_BEFORE);
        if wait > DEFER_CAP {
            let at = chrono::Utc::now() + chrono_of(wait);
            headers.insert(H_NOT_BEFORE.to_owned(), at.timestamp_millis().to_string());
        }
        let out = Outgoing {
            message_id: msg
                .message_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            content_type: "application/json",
            payload: msg.payload.clone(),
            headers,
            expiration_ms: Some(wait.min(DEFER_CAP).as_millis().max(1) as u64),
        };
        match self
            .fleet
            .bus
            .publish(&retry_queue(OUTBOUND_WHATSAPP), &out)
            .await
        {
            Ok(()) => Outcome::Ack,
            Err(e) if e.is_unavailable() => Outcome::Unavailable(format!("could not defer: {e}")),
            Err(e) => Outcome::Retry(format!("could not defer: {e}")),
        }
    }

    /// Marks an inbound message read (blue ticks). Idempotent at Meta; paced like a message.
    async fn mark_read(
        &self,
        msg: &Received,
        artist_id: uuid::Uuid,
        wamid: &str,
    ) -> anyhow::Result<Outcome> {
        let Some(artist) = artists::by_id(&self.fleet.pool, artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {artist_id}")));
        };
        let Some(token) = self
            .token(&artist)
            .filter(|_| artist.sending_paused_at.is_none())
        else {
            tracing::debug!(%wamid, "artist cannot send now; read receipt skipped");
            return Ok(Outcome::Ack);
        };
        let limits = Limits::from_config(&artist.config.pacing);
        if let Wait::Later(d) = self.wait_for_slot(&artist, None, &limits).await? {
            return Ok(self.later(msg, d, None).await);
        }
        match self
            .graph
            .mark_read(&artist.config.phone_number_id, &token, wamid)
            .await
        {
            Ok(()) => Ok(Outcome::Ack),
            Err(e) => self.chore_failed(msg, &artist, "mark_read", &e).await,
        }
    }

    /// Downloads an inbound image (metadata, then bytes with the same token), verifies size and
    /// sha256, keeps it content-addressed under `MEDIA_DIR` and records the reference row.
    async fn fetch_media(&self, msg: &Received, job: &MediaJob) -> anyhow::Result<Outcome> {
        let pool = &self.fleet.pool;
        if media::exists(pool, job.artist_id, &job.media_id).await? {
            return Ok(Outcome::Ack);
        }
        let Some(artist) = artists::by_id(pool, job.artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
        };
        let Some(token) = self.token(&artist) else {
            return Ok(Outcome::Retry(
                "no WhatsApp access token configured for this artist".into(),
            ));
        };
        let info = match self.graph.media_info(&token, &job.media_id).await {
            Ok(i) if i.file_size <= MAX_MEDIA_BYTES => i,
            Ok(i) => {
                return self
                    .media_failed(
                        job,
                        &format!("{} bytes is over the {MAX_MEDIA_BYTES} limit", i.file_size),
                    )
                    .await;
            }
            Err(e) => return self.chore_failed(msg, &artist, "media", &e).await,
        };
        let bytes = match self
            .graph
            .download(&token, &info.url, MAX_MEDIA_BYTES)
            .await
        {
            Ok(b) => b,
            Err(e) => return self.chore_failed(msg, &artist, "media", &e).await,
        };
        let sha256 = media::sha256_hex(&bytes);
        if bytes.len() as u64 != info.file_size || !sha256.eq_ignore_ascii_case(&info.sha256) {
            let e = GraphError::Transport(format!(
                "download of {} does not match its size or sha256",
                job.media_id
            ));
            return self.chore_failed(msg, &artist, "media", &e).await;
        }
        let path = media::write_file(&self.fleet.cfg.api.media_dir, &sha256, &bytes).await?;
        let stored = media::StoredMedia {
            artist_id: job.artist_id,
            lead_id: job.lead_id,
            media_id: &job.media_id,
            wamid: job.wamid.as_deref(),
            mime_type: &info.mime_type,
            sha256: &sha256,
            size_bytes: bytes.len() as i64,
            storage_path: &path,
        };
        media::record(pool, &stored).await?;
        Ok(Outcome::Ack)
    }

    async fn media_failed(&self, job: &MediaJob, detail: &str) -> anyhow::Result<Outcome> {
        metrics().send_failures.with_label_values(&["media"]).inc();
        let detail =
            serde_json::json!({"media_id": job.media_id, "wamid": job.wamid, "detail": detail});
        system_events::record(
            &self.fleet.pool,
            Some(job.artist_id),
            job.lead_id,
            "media_download_failed",
            Severity::Warning,
            detail,
        )
        .await?;
        Ok(Outcome::Ack)
    }

    /// A read receipt or media download failed: retry what is transient (bounded), otherwise
    /// record it and move on — neither is worth blocking anything for.
    async fn chore_failed(
        &self,
        msg: &Received,
        artist: &Artist,
        what: &str,
        e: &GraphError,
    ) -> anyhow::Result<Outcome> {
        let (class, code) = (classify_error(e), code_label(e));
        tracing::warn!(artist = %artist.config.slug, what, code = %code, error = %e, "WhatsApp call failed");
        match class {
            ErrorClass::Transient
            | ErrorClass::Unknown
            | ErrorClass::NumberThrottle
            | ErrorClass::AccountThrottle => {
                let n = counter(msg, H_SEND_ATTEMPTS) + 1;
                if !self.gives_up(msg, n, self.fleet.cfg.bus.max_attempts) {
                    metrics().send_retries.with_label_values(&[&code]).inc();
                    let wait =
                        backoff::delay(class, n, None, self.base_delay(), rand::random::<f64>());
                    return Ok(self.later(msg, wait, Some((H_SEND_ATTEMPTS, n))).await);
                }
            }
            ErrorClass::StopTenant => {
                if artists::pause_sending(
                    &self.fleet.pool,
                    artist.id,
                    &format!("WhatsApp error {code}: {e}"),
                )
                .await?
                {
                    let detail = serde_json::json!({"code": error_code(e), "during": what});
                    system_events::record(
                        &self.fleet.pool,
                        Some(artist.id),
                        None,
                        "sending_paused",
                        Severity::Error,
                        detail,
                    )
                    .await?;
                }
                metrics()
                    .sending_paused
                    .with_label_values(&[&artist.config.slug])
                    .set(1);
            }
            _ => {}
        }
        metrics().send_failures.with_label_values(&[&code]).inc();
        let kind = if what == "media" {
            "media_download_failed"
        } else {
            "mark_read_failed"
        };
        let detail = serde_json::json!({"code": error_code(e), "detail": e.to_string(), "job": String::from_utf8_lossy(&msg.payload)});
        system_events::record(
            &self.fleet.pool,
            Some(artist.id),
            None,
            kind,
            Severity::Warning,
            detail,
        )
        .await?;
        Ok(Outcome::Ack)
    }

    /// The artist's own token, else the deployment's `WHATSAPP_ACCESS_TOKEN`.
    fn token(&self, artist: &Artist) -> Option<String> {
        artist.config.whatsapp_access_token.clone().or_else(|| {
            self.fleet
                .cfg
                .api
                .whatsapp_access_token
                .as_ref()
                .map(|s| s.expose().to_owned())
        })
    }

    fn base_delay(&self) -> Duration {
        self.fleet.cfg.bus.retry_base_delay
    }

    fn max_waits(&self) -> u32 {
        let budget_trips = self.fleet.cfg.bus.retry_budget.as_secs() / DEFER_CAP.as_secs();
        MAX_WAITS.saturating_add(u32::try_from(budget_trips).unwrap_or(u32::MAX))
    }
}

fn duplicate(job: &SendJob) -> Outcome {
    metrics().duplicates.with_label_values(&["send_job"]).inc();
    tracing::debug!(message_id = %job.message_id, "already sent or settled; not sending again");
    Outcome::Ack
}

/// A counter header of a deferred job (0 when absent).
fn counter(msg: &Received, header: &str) -> u32 {
    msg.headers
        .get(header)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// How much longer a deferred job must wait, if its `x-not-before` is still ahead.
fn not_yet(msg: &Received) -> Option<Duration> {
    let at: i64 = msg.headers.get(H_NOT_BEFORE)?.parse().ok()?;
    let left = at - chrono::Utc::now().timestamp_millis();
    (left > 0).then(|| Duration::from_millis(left as u64))
}

fn error_code(e: &GraphError) -> Option<i64> {
    match e {
        GraphError::Api { code, .. } => *code,
        _ => None,
    }
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Runs the role until shutdown.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let graph = GraphClient::new(
        fleet.http.clone(),
        &fleet.cfg.api.whatsapp_api_base,
        &fleet.cfg.api.whatsapp_api_version,
    );
    let handler = SenderHandler {
        fleet: fleet.clone(),
        graph,
        unrecorded: Default::default(),
    };
    tokio::join!(
        crate::observed::consume(&fleet, OUTBOUND_WHATSAPP, handler, shutdown.clone()),
        stall_sweep(fleet.clone(), shutdown),
    );
}

/// Parks queued messages whose send job vanished (see [`messages::park_stalled`]), every
/// quarter of `SEND_STALL_SECS` (between 1 s and a minute). It starts judging only once this
/// process has run for `SEND_STALL_SECS`: after the senders were all down for a while, every
/// queued message is overdue, yet its job is still in the queue and about to be handled.
async fn stall_sweep(fleet: Fleet, shutdown: Shutdown) {
    let stall = fleet.cfg.send_stall;
    let every = (stall / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    tokio::select! {
        _ = tokio::time::sleep(stall) => {}
        _ = shutdown.wait() => return,
    }
    loop {
        match messages::park_stalled(&fleet.pool, stall).await {
            Ok(parked) => {
                for m in parked {
                    metrics()
                        .send_failures
                        .with_label_values(&["stalled"])
                        .inc();
                    tracing::warn!(message_id = %m.id, "no sender looked at this queued message for too long: parked (replay outbound.whatsapp.dlq)");
                    let detail =
                        serde_json::json!({"message_id": m.id, "stall_secs": stall.as_secs()});
                    let recorded = system_events::record(
                        &fleet.pool,
                        Some(m.artist_id),
                        m.lead_id,
                        "message_stalled",
                        Severity::Warning,
                        detail,
                    )
                    .await;
                    if let Err(e) = recorded {
                        tracing::warn!(error = %e, "could not record the stalled message");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "stall sweep failed; the next round retries"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.wait() => return,
        }
    }
}
