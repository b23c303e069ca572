//! Consuming with manual acks. A handler says what became of a delivery, and only then is it
//! acknowledged: done (ack); a transient failure (back later — after the bus's growing delays or
//! the handler's own — bounded by `MAX_ATTEMPTS` and the retry time budget, then the `.dlq`); a
//! throttle or a "not now" (back later without counting a failed attempt, each with its own
//! bound); a dependency outage (held and run again in place — not the message's fault, no attempt
//! counted); or permanent (the `.dlq`). Every "back later" goes through [`super::defer`]. A
//! handler that panics or overruns its timeout is a failed attempt: the delivery is never leaked
//! and the consumer keeps consuming.

use super::connection::Bus;
use super::defer;
pub use super::message::Received;
use super::message::{
    self, H_ATTEMPTS, H_CORRELATION, H_DEFERRALS, H_FIRST_FAILURE, H_LAST_ERROR, H_SOURCE_QUEUE,
    H_THROTTLES, Outgoing,
};
use super::topology;
use crate::metrics::metrics;
use crate::shutdown::Shutdown;
use futures::FutureExt;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::{FieldTable, ShortString};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

pub use super::retry::{RetryPolicy, retry_delay};

/// What to do with a delivery once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or a harmless duplicate): acknowledge.
    Ack,
    /// A transient failure: try again later (bounded by attempts and the retry time budget).
    Retry(String),
    /// A transient failure to try again after this long rather than the bus's next delay (e.g. the
    /// API's Retry-After or a back-off of its own): counted and bounded exactly like `Retry`.
    RetryAfter(Duration, String),
    /// The downstream asked to slow down (a rate limit): try again after this long. Not a failed
    /// attempt; counted on its own (`x-throttles`), bounded by `retry::MAX_THROTTLES` and the
    /// retry time budget, which the first throttle starts if no failure did.
    Throttled(Duration, String),
    /// Not now, and not a failure (its turn has not come, a pacing slot is far off): deliver it
    /// again after this long. No attempt is counted; deferrals are (`x-deferrals`), bounded by
    /// `RetryPolicy::max_deferrals`.
    Defer(Duration),
    /// Postgres or the broker cannot be reached: not this message's fault. The delivery is held
    /// and handled again once the dependency answers; no attempt is counted.
    Unavailable(String),
    /// A permanent failure: park it in the dead-letter queue.
    Dead(String),
}

impl Outcome {
    /// The outcome of an error: Postgres or the broker out of reach anywhere in its chain is an
    /// outage ([`Outcome::Unavailable`]); anything else a transient failure of this message.
    pub fn of_error(e: &(dyn std::error::Error + 'static)) -> Outcome {
        let mut cause = Some(e);
        while let Some(c) = cause {
            let outage = c
                .downcast_ref::<sqlx::Error>()
                .is_some_and(crate::store::db::is_unavailable)
                || c.downcast_ref::<super::PublishError>()
                    .is_some_and(super::PublishError::is_unavailable);
            if outage {
                return Outcome::Unavailable(e.to_string());
            }
            cause = c.source();
        }
        Outcome::Retry(e.to_string())
    }
}

/// A queue's message handler.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, msg: &Received) -> Outcome;

    /// Deliveries with the same key are handled one after the other, in delivery order (e.g. one
    /// client's burst of messages); others run concurrently up to the prefetch.
    fn ordering_key(&self, _msg: &Received) -> Option<String> {
        None
    }

    /// Told after a delivery was parked in the dead-letter queue (e.g. to park what it was for).
    async fn dead_lettered(&self, _msg: &Received, _reason: &str) {}

    /// Told when handling a delivery panicked (before it is retried or dead-lettered).
    async fn panicked(&self, _msg: &Received, _panic: &str) {}
}

/// How long a delivery is held in place while a dependency is down before it moves to the retry
/// queue (without counting an attempt): well inside RabbitMQ's 30 min consumer timeout.
const HOLD_LIMIT: Duration = Duration::from_secs(600);
/// Pause between runs of a held delivery: from the first to the last, doubling.
const HOLD_PAUSE: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(3));
/// How long settling keeps trying to publish to the retry queue or DLQ before giving the delivery
/// back to the broker.
const SETTLE_PATIENCE: Duration = Duration::from_secs(30);

/// Per-key chains: each entry is the completion signal of the latest delivery with that key.
type Chains = Arc<
    std::sync::Mutex<std::collections::HashMap<String, (u64, tokio::sync::oneshot::Receiver<()>)>>,
>;

/// Consumes `queue` until shutdown, surviving reconnects, with `AMQP_PREFETCH` deliveries in
/// flight. In-flight deliveries finish (and are acked or retried) before it returns.
pub async fn run(bus: Bus, queue: &'static str, handler: Arc<dyn Handler>, shutdown: Shutdown) {
    let prefetch = bus.config().prefetch;
    run_with_prefetch(bus, queue, handler, shutdown, prefetch).await
}

/// [`run`] with `prefetch` deliveries in flight (a handler that mostly waits in memory, like the
/// sender's pacing, wants many more than one that works).
pub async fn run_with_prefetch(
    bus: Bus,
    queue: &'static str,
    handler: Arc<dyn Handler>,
    shutdown: Shutdown,
    prefetch: u16,
) {
    let mut generations = bus.generations();
    while !shutdown.is_triggered() {
        if !bus.is_connected() {
            tokio::select! {
                _ = generations.changed() => continue,
                _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                _ = shutdown.wait() => break,
            }
        }
        if let Err(e) = consume_once(&bus, queue, &handler, &shutdown, prefetch).await {
            tracing::warn!(queue, error = %e, "consumer stopped; resubscribing");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = shutdown.wait() => break,
            }
        }
    }
    tracing::info!(queue, "consumer stopped");
}

async fn consume_once(
    bus: &Bus,
    queue: &'static str,
    handler: &Arc<dyn Handler>,
    shutdown: &Shutdown,
    prefetch: u16,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let prefetch = prefetch.max(1);
    let channel = bus.channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let tag = format!("{queue}-{}", uuid::Uuid::new_v4().simple());
    let mut consumer = channel
        .basic_consume(
            ShortString::from(queue),
            ShortString::from(tag.as_str()),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(queue, prefetch, "consuming");
    let slots = Arc::new(Semaphore::new(usize::from(prefetch)));
    let chains: Chains = Arc::default();
    let mut seq: u64 = 0;
    let mut inflight = JoinSet::new();
    let result = loop {
        tokio::select! {
            next = consumer.next() => match next {
                Some(Ok(delivery)) => {
                    let permit = match slots.clone().acquire_owned().await {
                        Ok(p) => p,
                        Err(_) => break Ok(()),
                    };
                    let (bus, handler, stop) = (bus.clone(), handler.clone(), shutdown.clone());
                    let msg = received(queue, &delivery);
                    seq += 1;
                    let me = seq;
                    let key = handler.ordering_key(&msg);
                    let (done, done_rx) = tokio::sync::oneshot::channel::<()>();
                    let before = key.as_ref().and_then(|k| chains.lock().ok()?.insert(k.clone(), (me, done_rx)));
                    let chains = chains.clone();
                    inflight.spawn(async move {
                        if let Some((_, previous)) = before {
                            // Resolves when the previous delivery with this key is settled.
                            let _ = previous.await;
                        }
                        process(&bus, handler.as_ref(), msg, delivery, &stop).await;
                        if let Some(k) = key
                            && let Ok(mut map) = chains.lock()
                            && map.get(&k).map(|e| e.0) == Some(me)
                        {
                            map.remove(&k);
                        }
                        drop(done);
                        drop(permit);
                    });
                }
                Some(Err(e)) => break Err(e.into()),
                None => break Err("consumer stream ended".into()),
            },
            Some(done) = inflight.join_next(), if !inflight.is_empty() => {
                if let Err(e) = done {
                    tracing::error!(queue, error = %e, "a delivery task failed outside its handler");
                }
            }
            _ = shutdown.wait() => {
                let _ = channel.basic_cancel(ShortString::from(tag.as_str()), BasicCancelOptions::default()).await;
                break Ok(());
            }
        }
    };
    // Finish what we started: each one acks (or retries) before we close the channel.
    while inflight.join_next().await.is_some() {}
    let _ = channel.close(200, ShortString::from("consumer done")).await;
    result
}

fn received(queue: &str, d: &Delivery) -> Received {
    let headers = message::headers_of(&d.properties);
    let attempts = headers
        .get(H_ATTEMPTS)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let first_failure_at = headers.get(H_FIRST_FAILURE).and_then(|t| t.parse().ok());
    let count = |h: &str| headers.get(h).and_then(|n| n.parse().ok()).unwrap_or(0);
    let (throttles, deferrals) = (count(H_THROTTLES), count(H_DEFERRALS));
    let correlation_id = headers
        .get(H_CORRELATION)
        .cloned()
        .or_else(|| {
            d.properties
                .correlation_id()
                .as_ref()
                .map(|c| c.as_str().to_owned())
        })
        .unwrap_or_else(crate::telemetry::new_correlation_id);
    Received {
        queue: queue.to_owned(),
        payload: d.data.clone(),
        headers,
        message_id: d
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned()),
        correlation_id,
        redelivered: d.redelivered,
        attempts,
        first_failure_at,
        throttles,
        deferrals,
        memo: Default::default(),
    }
}

/// How one run of the handler ended.
enum Ran {
    Returned(Outcome),
    Panicked(String),
    TimedOut,
}

/// Runs the handler once, turning a panic or an overrun into a value.
async fn run_handler(handler: &dyn Handler, msg: &Received, timeout: Duration) -> Ran {
    let guarded = AssertUnwindSafe(handler.handle(msg)).catch_unwind();
    match tokio::time::timeout(timeout, guarded).await {
        Ok(Ok(outcome)) => Ran::Returned(outcome),
        Ok(Err(panic)) => Ran::Panicked(panic_text(panic.as_ref())),
        Err(_) => Ran::TimedOut,
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-text payload".to_owned())
}

/// Where a delivery goes once handling is over.
enum Settle {
    Ack,
    /// Back after `delay` (see [`defer::later`]), carrying `headers`: its retry state so far.
    Later {
        why: Later,
        headers: BTreeMap<String, String>,
        delay: Duration,
    },
    Dead {
        reason: String,
        attempts: u32,
    },
    /// Back to the broker untouched (shutting down while holding it).
    GiveBack,
}

/// Why a delivery comes back later (for the log and the metrics).
enum Later {
    /// Failed attempt number `attempts` (or an outage that outlasted the hold, uncounted).
    Retry { reason: String, attempts: u32 },
    /// Throttle number `throttles`.
    Throttled { reason: String, throttles: u32 },
    /// The handler said "not now".
    Deferred,
    /// The rest of a wait longer than one stay; the handler did not run.
    Waiting,
}

async fn process(
    bus: &Bus,
    handler: &dyn Handler,
    msg: Received,
    delivery: Delivery,
    shutdown: &Shutdown,
) {
    let span = tracing::info_span!("handle", queue = %msg.queue, correlation_id = %msg.correlation_id, message_id = msg.message_id.as_deref().unwrap_or(""));
    process_in_span(bus, handler, msg, delivery, shutdown)
        .instrument(span)
        .await
}

async fn process_in_span(
    bus: &Bus,
    handler: &dyn Handler,
    msg: Received,
    delivery: Delivery,
    shutdown: &Shutdown,
) {
    let m = metrics();
    let queue = msg.queue.as_str();
    m.consumed.with_label_values(&[queue]).inc();
    if delivery.redelivered {
        m.redelivered.with_label_values(&[queue]).inc();
    }
    let started = Instant::now();
    let settle = decide(bus, handler, &msg, shutdown).await;
    m.processing_seconds
        .with_label_values(&[queue])
        .observe(started.elapsed().as_secs_f64());
    let forwarded = match &settle {
        Settle::Ack => Ok(()),
        Settle::GiveBack => Err("shutting down".to_owned()),
        Settle::Later {
            why,
            headers,
            delay,
        } => {
            let delay_ms = delay.as_millis() as u64;
            match why {
                Later::Retry { reason, attempts } => {
                    tracing::warn!(attempt = *attempts, delay_ms, %reason, "retrying later")
                }
                Later::Throttled { reason, throttles } => {
                    tracing::info!(throttle = *throttles, delay_ms, %reason, "throttled; trying again later")
                }
                Later::Deferred => tracing::debug!(delay_ms, "deferred"),
                Later::Waiting => tracing::trace!(delay_ms, "still waiting"),
            }
            let out = defer::later(&msg, headers.clone(), *delay);
            let r = publish_patiently(bus, &topology::retry_queue(queue), &out, shutdown).await;
            if r.is_ok() && matches!(why, Later::Retry { .. } | Later::Throttled { .. }) {
                m.retried.with_label_values(&[queue]).inc();
            }
            r
        }
        Settle::Dead { reason, attempts } => {
            tracing::error!(attempts = *attempts, %reason, "dead-lettering");
            let out = forward(&msg, failed(&msg, reason, *attempts));
            let r = publish_patiently(bus, &topology::dlq(queue), &out, shutdown).await;
            if r.is_ok() {
                m.dead_lettered.with_label_values(&[queue]).inc();
                let told = AssertUnwindSafe(handler.dead_lettered(&msg, reason)).catch_unwind();
                if told.await.is_err() {
                    tracing::error!("the dead-letter hook panicked");
                }
            }
            r
        }
    };
    match forwarded {
        Ok(()) => {
            if delivery.ack(BasicAckOptions::default()).await.is_ok() {
                m.acked.with_label_values(&[queue]).inc();
            }
        }
        Err(e) => {
            // Could not park it anywhere: give it back to the broker (x-delivery-limit bounds this).
            tracing::warn!(error = %e, "could not forward; requeueing");
            let _ = delivery
                .nack(BasicNackOptions {
                    requeue: true,
                    multiple: false,
                })
                .await;
        }
    }
}

/// Runs the handler — again and again while a dependency is down — and judges the result. A
/// delivery still inside a long wait goes back for the rest of it without running the handler.
async fn decide(bus: &Bus, handler: &dyn Handler, msg: &Received, shutdown: &Shutdown) -> Settle {
    if let Some(left) = defer::still_waiting(msg) {
        return Settle::Later {
            why: Later::Waiting,
            headers: msg.headers.clone(),
            delay: left,
        };
    }
    let m = metrics();
    let queue = msg.queue.as_str();
    let policy = RetryPolicy::of(bus);
    let mut held: Option<Instant> = None;
    let mut pause = HOLD_PAUSE.0;
    let result = loop {
        let ran = run_handler(handler, msg, bus.config().handler_timeout).await;
        let Ran::Returned(Outcome::Unavailable(reason)) = ran else {
            break ran;
        };
        m.dependency_waits.with_label_values(&[queue]).inc();
        let since = match held {
            Some(t) => t,
            None => {
                tracing::warn!(%reason, "a dependency is unreachable; holding the delivery until it answers");
                m.held_deliveries.with_label_values(&[queue]).inc();
                *held.insert(Instant::now())
            }
        };
        if since.elapsed() >= HOLD_LIMIT {
            // Still down: let the retry queue hold it for a while, the attempt count unchanged.
            break Ran::Returned(Outcome::Unavailable(reason));
        }
        let jitter = Duration::from_millis(rand::random::<u64>() % 100);
        tokio::select! {
            _ = tokio::time::sleep(pause + jitter) => {}
            _ = shutdown.wait() => {
                m.held_deliveries.with_label_values(&[queue]).dec();
                return Settle::GiveBack;
            }
        }
        pause = (pause * 2).min(HOLD_PAUSE.1);
    };
    if held.is_some() {
        m.held_deliveries.with_label_values(&[queue]).dec();
        tracing::info!(
            held_ms = held.map_or(0, |t| t.elapsed().as_millis() as u64),
            "dependency back; delivery handled"
        );
    }
    let now = chrono::Utc::now().timestamp_millis();
    let attempt = msg.attempts + 1;
    let first = msg.first_failure_at.unwrap_or(now);
    // A failed attempt: back after `delay` (the handler's, else the bus's next), or the DLQ.
    let retry = |reason: String, delay: Option<Duration>, budgeted: bool| match policy
        .next(attempt, first, now, budgeted)
    {
        Some(next) => Settle::Later {
            headers: failed(msg, &reason, attempt),
            delay: delay.unwrap_or(next),
            why: Later::Retry {
                reason,
                attempts: attempt,
            },
        },
        None => Settle::Dead {
            reason,
            attempts: attempt,
        },
    };
    match result {
        Ran::Returned(Outcome::Ack) => Settle::Ack,
        Ran::Returned(Outcome::Retry(reason)) => retry(reason, None, true),
        Ran::Returned(Outcome::RetryAfter(delay, reason)) => retry(reason, Some(delay), true),
        Ran::Returned(Outcome::Throttled(delay, reason)) => {
            let throttles = msg.throttles + 1;
            if !policy.throttle_allows(throttles, first, now) {
                return Settle::Dead {
                    reason,
                    attempts: attempt,
                };
            }
            let mut headers = failed(msg, &reason, msg.attempts);
            headers.insert(H_THROTTLES.to_owned(), throttles.to_string());
            Settle::Later {
                why: Later::Throttled { reason, throttles },
                headers,
                delay,
            }
        }
        Ran::Returned(Outcome::Defer(delay)) => {
            let (deferrals, max) = (msg.deferrals + 1, policy.max_deferrals());
            if deferrals > max {
                return Settle::Dead {
                    reason: format!("still not ready after {max} deferrals"),
                    attempts: attempt,
                };
            }
            let mut headers = msg.headers.clone();
            headers.insert(H_DEFERRALS.to_owned(), deferrals.to_string());
            Settle::Later {
                why: Later::Deferred,
                headers,
                delay,
            }
        }
        Ran::Returned(Outcome::Dead(reason)) => Settle::Dead {
            reason,
            attempts: attempt,
        },
        Ran::Returned(Outcome::Unavailable(reason)) => {
            let reason = format!("dependency unavailable: {reason}");
            Settle::Later {
                headers: failed(msg, &reason, msg.attempts),
                delay: HOLD_PAUSE.1 * 10,
                why: Later::Retry {
                    reason,
                    attempts: msg.attempts,
                },
            }
        }
        Ran::TimedOut => {
            m.handler_timeouts.with_label_values(&[queue]).inc();
            let limit = bus.config().handler_timeout;
            tracing::error!(
                timeout_ms = limit.as_millis() as u64,
                "handler ran past its timeout"
            );
            retry(
                format!("handler timed out after {} ms", limit.as_millis()),
                None,
                true,
            )
        }
        Ran::Panicked(text) => {
            m.handler_panics.with_label_values(&[queue]).inc();
            tracing::error!(panic = %text, attempt, "handler panicked");
            let told = AssertUnwindSafe(handler.panicked(msg, &text)).catch_unwind();
            if told.await.is_err() {
                tracing::error!("the panic hook panicked");
            }
            retry(format!("handler panicked: {text}"), None, false)
        }
    }
}

/// Publishes to a retry queue or DLQ, trying again for a while (the broker may be reconnecting or
/// the queue briefly full) before giving up.
async fn publish_patiently(
    bus: &Bus,
    queue: &str,
    out: &Outgoing,
    shutdown: &Shutdown,
) -> Result<(), String> {
    let started = Instant::now();
    let mut pause = HOLD_PAUSE.0;
    loop {
        match bus.publish(queue, out).await {
            Ok(()) => return Ok(()),
            Err(e) if started.elapsed() >= SETTLE_PATIENCE || shutdown.is_triggered() => {
                return Err(e.to_string());
            }
            Err(e) => {
                tracing::warn!(queue, error = %e, "could not forward yet; trying again");
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.wait() => {}
                }
                pause = (pause * 2).min(HOLD_PAUSE.1);
            }
        }
    }
}

/// The headers of a delivery that did not succeed: its attempt count, last error and source
/// queue, and the time of its first failure (kept from the first one).
fn failed(msg: &Received, reason: &str, attempts: u32) -> BTreeMap<String, String> {
    let mut headers = msg.headers.clone();
    headers.insert(H_ATTEMPTS.to_owned(), attempts.to_string());
    headers.insert(H_LAST_ERROR.to_owned(), reason.chars().take(500).collect());
    headers.insert(H_SOURCE_QUEUE.to_owned(), msg.queue.clone());
    headers
        .entry(H_FIRST_FAILURE.to_owned())
        .or_insert_with(|| chrono::Utc::now().timestamp_millis().to_string());
    headers
}

/// The delivery again, with `headers`, to publish as it is (to the dead-letter queue).
fn forward(msg: &Received, headers: BTreeMap<String, String>) -> Outgoing {
    msg.republish(headers, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_text() {
        let r = std::panic::catch_unwind(|| panic!("boom {}", 7));
        assert_eq!(panic_text(r.unwrap_err().as_ref()), "boom 7");
        let r = std::panic::catch_unwind(|| panic!("static"));
        assert_eq!(panic_text(r.unwrap_err().as_ref()), "static");
    }

    #[derive(Debug, thiserror::Error)]
    enum Wrapped {
        #[error("loading the lead: {0}")]
        Db(#[from] sqlx::Error),
    }

    #[test]
    fn an_outage_anywhere_in_the_error_chain_holds_the_delivery() {
        let unavailable = |o: Outcome| matches!(o, Outcome::Unavailable(_));
        assert!(unavailable(Outcome::of_error(&sqlx::Error::PoolTimedOut)));
        assert!(unavailable(Outcome::of_error(&Wrapped::from(
            sqlx::Error::PoolTimedOut
        ))));
        let any = anyhow::Error::from(sqlx::Error::PoolClosed).context("sending");
        assert!(unavailable(Outcome::of_error(any.as_ref())));
        let nack = anyhow::Error::from(super::super::PublishError::Nacked);
        assert!(unavailable(Outcome::of_error(nack.as_ref())));
        assert_eq!(
            Outcome::of_error(&Wrapped::from(sqlx::Error::RowNotFound)),
            Outcome::Retry("loading the lead: no rows returned by a query that expected to return at least one row".into())
        );
        let unroutable = super::super::PublishError::Unroutable("x".into());
        assert!(matches!(Outcome::of_error(&unroutable), Outcome::Retry(_)));
    }
}
