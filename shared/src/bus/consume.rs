//! Consuming with manual acks: a handler decides Ack / Retry / Dead, and only then is the delivery
//! acknowledged — retries go through the `.retry` queue with growing delays, bounded by
//! `MAX_ATTEMPTS`, then the `.dlq`.

use super::connection::Bus;
use super::message::{self, H_ATTEMPTS, H_CORRELATION, H_LAST_ERROR, H_SOURCE_QUEUE, Outgoing};
use super::topology;
use crate::metrics::metrics;
use crate::shutdown::Shutdown;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::{FieldTable, ShortString};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// A delivery as a handler sees it.
#[derive(Debug, Clone)]
pub struct Received {
    pub queue: String,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    pub message_id: Option<String>,
    pub correlation_id: String,
    pub redelivered: bool,
    /// Previous attempts that ended in a retry (0 on the first delivery).
    pub attempts: u32,
}

/// What to do with a delivery once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done (or a harmless duplicate): acknowledge.
    Ack,
    /// A transient failure: try again later (bounded).
    Retry(String),
    /// A permanent failure: park it in the dead-letter queue.
    Dead(String),
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
}

/// Per-key chains: each entry is the completion signal of the latest delivery with that key.
type Chains = Arc<
    std::sync::Mutex<std::collections::HashMap<String, (u64, tokio::sync::oneshot::Receiver<()>)>>,
>;

/// The delay before retry number `attempt` (1-based): base × 2^(attempt-1), capped at 5 minutes.
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(12);
    (base * factor).min(Duration::from_secs(300))
}

/// Consumes `queue` until shutdown, surviving reconnects. In-flight deliveries finish (and are
/// acked or retried) before it returns.
pub async fn run(bus: Bus, queue: &'static str, handler: Arc<dyn Handler>, shutdown: Shutdown) {
    let mut generations = bus.generations();
    while !shutdown.is_triggered() {
        if !bus.is_connected() {
            tokio::select! {
                _ = generations.changed() => continue,
                _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                _ = shutdown.wait() => break,
            }
        }
        if let Err(e) = consume_once(&bus, queue, &handler, &shutdown).await {
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
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let prefetch = bus.config().prefetch.max(1);
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
                    let (bus, handler) = (bus.clone(), handler.clone());
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
                        process(&bus, handler.as_ref(), msg, delivery).await;
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
            Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
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
    }
}

async fn process(bus: &Bus, handler: &dyn Handler, msg: Received, delivery: Delivery) {
    let m = metrics();
    let queue = msg.queue.as_str();
    m.consumed.with_label_values(&[queue]).inc();
    if delivery.redelivered {
        m.redelivered.with_label_values(&[queue]).inc();
    }
    let span = tracing::info_span!("handle", queue = %queue, correlation_id = %msg.correlation_id, message_id = msg.message_id.as_deref().unwrap_or(""));
    let started = Instant::now();
    let outcome = tracing::Instrument::instrument(handler.handle(&msg), span.clone()).await;
    m.processing_seconds
        .with_label_values(&[queue])
        .observe(started.elapsed().as_secs_f64());
    let _enter = span.enter();
    let settled = match outcome {
        Outcome::Ack => Ok(()),
        Outcome::Retry(reason) if msg.attempts + 1 < bus.config().max_attempts => {
            let attempt = msg.attempts + 1;
            let delay = retry_delay(bus.config().retry_base_delay, attempt);
            tracing::warn!(attempt, delay_ms = delay.as_millis() as u64, %reason, "retrying later");
            let mut out = forward(&msg, &reason, attempt);
            out.expiration_ms = Some(delay.as_millis() as u64);
            let r = bus.publish(&topology::retry_queue(queue), &out).await;
            if r.is_ok() {
                m.retried.with_label_values(&[queue]).inc();
            }
            r
        }
        Outcome::Retry(reason) | Outcome::Dead(reason) => {
            tracing::error!(attempts = msg.attempts + 1, %reason, "dead-lettering");
            let r = bus
                .publish(
                    &topology::dlq(queue),
                    &forward(&msg, &reason, msg.attempts + 1),
                )
                .await;
            if r.is_ok() {
                m.dead_lettered.with_label_values(&[queue]).inc();
            }
            r
        }
    };
    match settled {
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

fn forward(msg: &Received, reason: &str, attempts: u32) -> Outgoing {
    let mut headers = msg.headers.clone();
    headers.insert(H_ATTEMPTS.to_owned(), attempts.to_string());
    headers.insert(H_LAST_ERROR.to_owned(), reason.chars().take(500).collect());
    headers.insert(H_SOURCE_QUEUE.to_owned(), msg.queue.clone());
    Outgoing {
        message_id: msg
            .message_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        content_type: "application/json",
        payload: msg.payload.clone(),
        headers,
        expiration_ms: None,
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
}
