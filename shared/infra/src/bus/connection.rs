//! One RabbitMQ connection per process, kept up by a supervisor with back-off; topology declared on
//! every (re)connect; publishing always waits for the broker's confirm.

use super::message::Outgoing;
use super::topology;
use crate::config::BusConfig;
use crate::metrics::metrics;
use crate::shutdown::Shutdown;
use futures::StreamExt;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{LongString, ShortString};
use lapin::{Channel, Connection, ConnectionProperties};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Why a publish was not confirmed. All of them mean "not durably stored": the caller must not
/// acknowledge upstream (the ingress answers 503, a consumer retries).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("not connected to the broker")]
    NotConnected,
    /// The broker refused to store the message (`basic.nack`). Every queue is declared with
    /// `x-max-length` and `x-overflow: reject-publish`, so this is what a **full queue** answers
    /// (or a quorum queue without a leader): back off and try again later — the ingress answers
    /// 503 with `Retry-After`; the relay holds the row back without counting an attempt.
    #[error("the broker refused the message (nack): the queue is full or cannot take it now")]
    Nacked,
    #[error("no queue {0} to route to")]
    Unroutable(String),
    #[error("no confirm within the timeout")]
    Timeout,
    /// The channel was not in confirm mode (a bug): nothing says the message was stored.
    #[error("no publisher confirm was requested")]
    Unconfirmed,
    #[error("broker error: {0}")]
    Broker(#[from] lapin::Error),
}

impl PublishError {
    /// The broker is out of reach or pushing back (a full queue refuses with a nack): not the
    /// fault of the message being published. An unroutable message is a missing queue, and an
    /// unconfirmed one a channel without confirms — both bugs.
    pub fn is_unavailable(&self) -> bool {
        !matches!(
            self,
            PublishError::Unroutable(_) | PublishError::Unconfirmed
        )
    }

    pub fn reason(&self) -> &'static str {
        match self {
            PublishError::NotConnected => "not_connected",
            PublishError::Nacked => "nacked",
            PublishError::Unroutable(_) => "unroutable",
            PublishError::Timeout => "timeout",
            PublishError::Unconfirmed => "unconfirmed",
            PublishError::Broker(_) => "broker_error",
        }
    }
}

#[derive(Clone)]
struct Live {
    conn: Arc<Connection>,
    publisher: Channel,
}

struct Inner {
    cfg: BusConfig,
    name: String,
    live: RwLock<Option<Live>>,
    generation: watch::Sender<u64>,
}

/// A handle to the process's broker connection. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Bus({}, connected: {})",
            self.inner.name,
            self.is_connected()
        )
    }
}

impl Bus {
    /// Starts the supervisor; the connection comes up in the background (see `wait_connected`).
    pub fn start(cfg: BusConfig, name: &str, shutdown: Shutdown) -> Bus {
        let (generation, _) = watch::channel(0);
        let bus = Bus {
            inner: Arc::new(Inner {
                cfg,
                name: name.to_owned(),
                live: RwLock::new(None),
                generation,
            }),
        };
        let me = bus.clone();
        tokio::spawn(async move { me.supervise(shutdown).await });
        bus
    }

    pub fn config(&self) -> &BusConfig {
        &self.inner.cfg
    }

    fn current(&self) -> Option<Live> {
        self.inner.live.read().ok().and_then(|g| g.clone())
    }

    fn set(&self, live: Option<Live>) {
        if let Ok(mut g) = self.inner.live.write() {
            *g = live;
        }
    }

    pub fn is_connected(&self) -> bool {
        self.current()
            .is_some_and(|l| l.conn.status().connected() && l.publisher.status().connected())
    }

    /// Waits until connected, up to `timeout`.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.generation.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.is_connected() {
                return true;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return self.is_connected();
            }
        }
    }

    /// A counter that changes on every (re)connect and disconnect; consumers watch it.
    pub fn generations(&self) -> watch::Receiver<u64> {
        self.inner.generation.subscribe()
    }

    async fn connect_once(&self) -> Result<Live, lapin::Error> {
        let props = ConnectionProperties::default()
            .with_connection_name(LongString::from(format!("inkline-{}", self.inner.name)));
        let conn = Connection::connect(self.inner.cfg.amqp_url.expose(), props).await?;
        topology::declare(&conn, &self.inner.cfg.limits).await?;
        let publisher = conn.create_channel().await?;
        publisher
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Live {
            conn: Arc::new(conn),
            publisher,
        })
    }

    async fn supervise(self, shutdown: Shutdown) {
        let mut failures: u32 = 0;
        let mut generation: u64 = 0;
        while !shutdown.is_triggered() {
            match self.connect_once().await {
                Ok(live) => {
                    failures = 0;
                    generation += 1;
                    tracing::info!(service = %self.inner.name, "connected to RabbitMQ");
                    metrics().bus_connected.set(1);
                    metrics().bus_reconnects.inc();
                    let conn = live.conn.clone();
                    let publisher = live.publisher.clone();
                    self.set(Some(live));
                    self.inner.generation.send_replace(generation);
                    wait_closed(&conn, &publisher, &shutdown).await;
                    self.set(None);
                    metrics().bus_connected.set(0);
                    generation += 1;
                    self.inner.generation.send_replace(generation);
                    if shutdown.is_triggered() {
                        // Consumers close their channels first (see consume.rs); give them a moment.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let _ = conn.close(200, ShortString::from("shutting down")).await;
                        break;
                    }
                    tracing::warn!(service = %self.inner.name, "lost the RabbitMQ connection; reconnecting");
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let delay = backoff_delay(failures);
                    tracing::warn!(service = %self.inner.name, error = %e, retry_in_ms = delay.as_millis() as u64, "cannot connect to RabbitMQ");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.wait() => break,
                    }
                }
            }
        }
    }

    /// Publishes to `queue` (default exchange, mandatory) and waits for the confirm.
    pub async fn publish(&self, queue: &str, msg: &Outgoing) -> Result<(), PublishError> {
        let started = Instant::now();
        let result = self.publish_inner(queue, msg).await;
        let m = metrics();
        match &result {
            Ok(()) => {
                m.published.with_label_values(&[queue]).inc();
                m.publish_seconds
                    .with_label_values(&[queue])
                    .observe(started.elapsed().as_secs_f64());
            }
            Err(e) => m
                .publish_failures
                .with_label_values(&[queue, e.reason()])
                .inc(),
        }
        result
    }

    async fn publish_inner(&self, queue: &str, msg: &Outgoing) -> Result<(), PublishError> {
        let live = self.current().ok_or(PublishError::NotConnected)?;
        let confirm = async {
            let pending = live
                .publisher
                .basic_publish(
                    ShortString::from(""),
                    ShortString::from(queue),
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &msg.payload,
                    msg.properties(),
                )
                .await?;
            pending.await
        };
        match tokio::time::timeout(self.inner.cfg.publish_timeout, confirm).await {
            Err(_) => Err(PublishError::Timeout),
            Ok(Err(e)) => Err(PublishError::Broker(e)),
            Ok(Ok(Confirmation::Ack(None))) => Ok(()),
            Ok(Ok(Confirmation::Ack(Some(_)))) => Err(PublishError::Unroutable(queue.to_owned())),
            Ok(Ok(Confirmation::Nack(_))) => Err(PublishError::Nacked),
            Ok(Ok(Confirmation::NotRequested)) => Err(PublishError::Unconfirmed),
        }
    }

    /// A fresh channel on the current connection (consumers own theirs).
    pub async fn channel(&self) -> Result<Channel, PublishError> {
        let live = self.current().ok_or(PublishError::NotConnected)?;
        Ok(live.conn.create_channel().await?)
    }
}

/// Exponential back-off with jitter: 250 ms doubling, capped at 15 s.
pub fn backoff_delay(failures: u32) -> Duration {
    let base = 250u64
        .saturating_mul(1u64 << failures.min(6).saturating_sub(1))
        .min(15_000);
    let jitter = rand::random::<u64>() % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

async fn wait_closed(conn: &Connection, publisher: &Channel, shutdown: &Shutdown) {
    let mut events = Box::pin(conn.events_listener());
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                Some(lapin::Event::Error(e)) => {
                    tracing::warn!(error = %e, "RabbitMQ connection error");
                    return;
                }
                Some(_) => {}
                None => return,
            },
            _ = tick.tick() => {
                if !conn.status().connected() || !publisher.status().connected() {
                    return;
                }
            }
            _ = shutdown.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for f in 1..20 {
            let d = backoff_delay(f);
            assert!(d <= Duration::from_millis(15_000), "{f}: {d:?}");
            assert!(d >= Duration::from_millis(125), "{f}: {d:?}");
        }
        assert!(backoff_delay(1) <= Duration::from_millis(250));
    }
}
