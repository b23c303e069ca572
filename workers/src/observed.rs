//! Every role's consumer goes through here: a handler that panics or a delivery that reaches its
//! dead-letter queue leaves a system event the artist and the operator can see.

use crate::Fleet;
use infra::bus::{Handler, Outcome, Received};
use infra::shutdown::Shutdown;
use infra::store::system_events;
use inkline_core::conversation::Severity;
use std::sync::Arc;

/// A handler whose panics and dead letters are recorded as system events.
struct Observed<H> {
    inner: H,
    fleet: Fleet,
}

impl<H> Observed<H> {
    async fn record(&self, msg: &Received, kind: &str, detail: &str) {
        let event = serde_json::json!({
            "queue": msg.queue,
            "message_id": msg.message_id,
            "correlation_id": msg.correlation_id,
            "attempt": msg.attempts + 1,
            "detail": detail.chars().take(500).collect::<String>(),
        });
        let recorded =
            system_events::record(&self.fleet.pool, None, None, kind, Severity::Error, event).await;
        if let Err(e) = recorded {
            tracing::warn!(kind, error = %e, "could not record the system event");
        }
    }
}

#[async_trait::async_trait]
impl<H: Handler> Handler for Observed<H> {
    async fn handle(&self, msg: &Received) -> Outcome {
        self.inner.handle(msg).await
    }

    fn ordering_key(&self, msg: &Received) -> Option<String> {
        self.inner.ordering_key(msg)
    }

    async fn dead_lettered(&self, msg: &Received, reason: &str) {
        self.inner.dead_lettered(msg, reason).await;
        self.record(msg, "message_dead_lettered", reason).await;
    }

    async fn panicked(&self, msg: &Received, panic: &str) {
        self.inner.panicked(msg, panic).await;
        self.record(msg, "handler_panicked", panic).await;
    }
}

/// Consumes `queue` with `handler` until shutdown (see `infra::bus::consume::run`).
pub async fn consume<H: Handler>(
    fleet: &Fleet,
    queue: &'static str,
    handler: H,
    shutdown: Shutdown,
) {
    infra::bus::consume::run(fleet.bus.clone(), queue, observe(fleet, handler), shutdown).await;
}

/// `handler`, its panics and dead letters recorded as system events.
pub fn observe<H: Handler>(fleet: &Fleet, handler: H) -> Arc<dyn Handler> {
    Arc::new(Observed {
        inner: handler,
        fleet: fleet.clone(),
    })
}
