//! Prometheus metrics an operator needs, registered once per process and served at `/metrics`.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;

/// Every metric of every binary (a binary only moves the ones it uses).
pub struct Metrics {
    pub registry: Registry,
    /// Webhooks received by source (whatsapp, stripe).
    pub webhooks_received: IntCounterVec,
    /// Webhooks refused by source and reason.
    pub webhooks_rejected: IntCounterVec,
    pub published: IntCounterVec,
    pub publish_failures: IntCounterVec,
    pub publish_seconds: HistogramVec,
    pub consumed: IntCounterVec,
    pub acked: IntCounterVec,
    pub redelivered: IntCounterVec,
    pub retried: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub processing_seconds: HistogramVec,
    /// Handlers that panicked, by queue (the delivery is retried, then dead-lettered).
    pub handler_panics: IntCounterVec,
    /// Handlers that ran past `HANDLER_TIMEOUT_MS`, by queue.
    pub handler_timeouts: IntCounterVec,
    /// Handler runs that found Postgres or the broker unreachable, by queue (no attempt counted).
    pub dependency_waits: IntCounterVec,
    /// Deliveries held in place while a dependency is down, by queue.
    pub held_deliveries: IntGaugeVec,
    pub duplicates: IntCounterVec,
    pub illegal_transitions: IntCounterVec,
    pub transitions: IntCounterVec,
    pub outbox_published: IntCounter,
    pub outbox_lag_seconds: Histogram,
    pub bus_connected: IntGauge,
    pub bus_reconnects: IntCounter,
    pub messages_sent: IntCounterVec,
    pub send_failures: IntCounterVec,
    pub send_retries: IntCounterVec,
    pub send_throttled: IntCounterVec,
    pub send_seconds: Histogram,
    pub sending_paused: IntGaugeVec,
    pub bucket_tokens: prometheus::GaugeVec,
    pub receipts: IntCounterVec,
    pub unknown_numbers: IntCounter,
    /// Ingress: connections open, by port (`public`, `internal`).
    pub ingress_open_connections: IntGaugeVec,
    /// Ingress: webhook requests being handled now (bounded by `INGRESS_MAX_CONCURRENCY`).
    pub ingress_in_flight: IntGauge,
    /// Ingress: connections closed by a timeout, by port and phase (`header`, `idle`).
    pub ingress_connections_timed_out: IntCounterVec,
    /// Rows of a time-driven loop whose own processing failed, by loop.
    pub row_failures: IntCounterVec,
    /// Rows parked after repeated failures, by loop (`inkline parked list`).
    pub rows_parked: IntCounterVec,
    /// Rows deleted by retention, by table.
    pub retention_deleted: IntCounterVec,
    /// Jobs not queued because no role consumes their queue yet, by queue.
    pub jobs_withheld: IntCounterVec,
    /// 1 while a queue exists with other arguments than this build declares (an upgrade step).
    pub queue_arguments_mismatch: IntGaugeVec,
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(c.clone()))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    c
}

fn int_gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(g.clone()))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    g
}

fn histogram_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    let buckets = vec![
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let h = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(h.clone()))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    h
}

impl Metrics {
    fn new() -> Metrics {
        let r = Registry::new_custom(Some("inkline".into()), None)
            .unwrap_or_else(|e| panic!("registry: {e}"));
        let outbox_published = IntCounter::new(
            "outbox_published_total",
            "Outbox rows published by the relay",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(outbox_published.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let outbox_lag_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "outbox_lag_seconds",
                "Time from outbox insert to broker confirm",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(outbox_lag_seconds.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let bus_connected = IntGauge::new("bus_connected", "1 while connected to RabbitMQ")
            .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(bus_connected.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let bus_reconnects = IntCounter::new(
            "bus_reconnects_total",
            "Connections (re)established to RabbitMQ",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(bus_reconnects.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let send_seconds = Histogram::with_opts(
            HistogramOpts::new("send_seconds", "WhatsApp send call latency").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(send_seconds.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let sending_paused = IntGaugeVec::new(
            Opts::new(
                "sending_paused",
                "1 while sending is stopped for an artist (e.g. token expired: alert!)",
            ),
            &["artist"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(sending_paused.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let bucket_tokens = prometheus::GaugeVec::new(
            Opts::new(
                "sender_bucket_tokens",
                "Tokens left in the per-number send bucket",
            ),
            &["phone_number_id"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(bucket_tokens.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let unknown_numbers = IntCounter::new(
            "unknown_phone_numbers_total",
            "Inbound messages for a phone number id no artist has",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(unknown_numbers.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let ingress_open_connections = IntGaugeVec::new(
            Opts::new(
                "ingress_open_connections",
                "Connections open on the ingress, by port",
            ),
            &["port"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(ingress_open_connections.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let ingress_in_flight = IntGauge::new(
            "ingress_in_flight_requests",
            "Webhook requests the ingress is handling now",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        r.register(Box::new(ingress_in_flight.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        Metrics {
            ingress_open_connections,
            ingress_in_flight,
            ingress_connections_timed_out: counter_vec(
                &r,
                "ingress_connections_timed_out_total",
                "Ingress connections closed by the header or idle timeout",
                &["port", "phase"],
            ),
            webhooks_received: counter_vec(
                &r,
                "webhooks_received_total",
                "Webhooks received",
                &["source"],
            ),
            webhooks_rejected: counter_vec(
                &r,
                "webhooks_rejected_total",
                "Webhooks refused",
                &["source", "reason"],
            ),
            published: counter_vec(
                &r,
                "published_total",
                "Messages confirmed by the broker",
                &["queue"],
            ),
            publish_failures: counter_vec(
                &r,
                "publish_failures_total",
                "Publishes not confirmed",
                &["queue", "reason"],
            ),
            publish_seconds: histogram_vec(
                &r,
                "publish_seconds",
                "Publish-to-confirm latency",
                &["queue"],
            ),
            consumed: counter_vec(&r, "consumed_total", "Deliveries received", &["queue"]),
            acked: counter_vec(&r, "acked_total", "Deliveries acknowledged", &["queue"]),
            redelivered: counter_vec(
                &r,
                "redelivered_total",
                "Deliveries flagged as redelivered",
                &["queue"],
            ),
            retried: counter_vec(
                &r,
                "retried_total",
                "Deliveries sent to the retry queue",
                &["queue"],
            ),
            dead_lettered: counter_vec(
                &r,
                "dead_lettered_total",
                "Deliveries sent to the dead-letter queue",
                &["queue"],
            ),
            handler_panics: counter_vec(
                &r,
                "handler_panics_total",
                "Handlers that panicked (delivery retried, then dead-lettered)",
                &["queue"],
            ),
            handler_timeouts: counter_vec(
                &r,
                "handler_timeouts_total",
                "Handlers that ran past their timeout",
                &["queue"],
            ),
            dependency_waits: counter_vec(
                &r,
                "dependency_waits_total",
                "Handler runs that found Postgres or the broker unreachable (no attempt counted)",
                &["queue"],
            ),
            held_deliveries: int_gauge_vec(
                &r,
                "held_deliveries",
                "Deliveries held in place while a dependency is down",
                &["queue"],
            ),
            processing_seconds: histogram_vec(
                &r,
                "processing_seconds",
                "Handling time per delivery",
                &["queue"],
            ),
            duplicates: counter_vec(
                &r,
                "duplicates_total",
                "Events skipped because already processed",
                &["provider"],
            ),
            illegal_transitions: counter_vec(
                &r,
                "illegal_transitions_total",
                "Status changes refused by the transition table",
                &["from", "to"],
            ),
            transitions: counter_vec(
                &r,
                "transitions_total",
                "Status changes applied",
                &["from", "to"],
            ),
            messages_sent: counter_vec(
                &r,
                "messages_sent_total",
                "WhatsApp messages accepted by Meta",
                &["kind"],
            ),
            send_failures: counter_vec(
                &r,
                "send_failures_total",
                "WhatsApp sends failed, by error code",
                &["code"],
            ),
            send_retries: counter_vec(
                &r,
                "send_retries_total",
                "WhatsApp sends retried, by reason",
                &["reason"],
            ),
            send_throttled: counter_vec(
                &r,
                "send_throttled_total",
                "Sends delayed by pacing",
                &["limit"],
            ),
            receipts: counter_vec(
                &r,
                "receipts_total",
                "Delivery receipts by status",
                &["status"],
            ),
            outbox_published,
            outbox_lag_seconds,
            bus_connected,
            bus_reconnects,
            send_seconds,
            sending_paused,
            bucket_tokens,
            unknown_numbers,
            row_failures: counter_vec(
                &r,
                "row_failures_total",
                "Rows of a time-driven loop whose own processing failed",
                &["loop"],
            ),
            rows_parked: counter_vec(
                &r,
                "rows_parked_total",
                "Rows parked after repeated failures (inkline parked list)",
                &["loop"],
            ),
            retention_deleted: counter_vec(
                &r,
                "retention_deleted_total",
                "Rows deleted by retention",
                &["table"],
            ),
            jobs_withheld: counter_vec(
                &r,
                "jobs_withheld_total",
                "Jobs not queued because no role consumes their queue yet",
                &["queue"],
            ),
            queue_arguments_mismatch: {
                let g = IntGaugeVec::new(
                    Opts::new(
                        "queue_arguments_mismatch",
                        "1 while a queue exists with other arguments than this build declares",
                    ),
                    &["queue"],
                )
                .unwrap_or_else(|e| panic!("{e}"));
                r.register(Box::new(g.clone()))
                    .unwrap_or_else(|e| panic!("{e}"));
                g
            },
            registry: r,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// The process-wide metrics.
pub fn metrics() -> &'static Metrics {
    static M: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &M
}

#[cfg(test)]
mod tests {
    #[test]
    fn metrics_render_with_the_inkline_prefix() {
        let m = super::metrics();
        m.webhooks_received.with_label_values(&["whatsapp"]).inc();
        let text = m.render();
        assert!(text.contains("inkline_webhooks_received_total{source=\"whatsapp\"}"));
    }
}
