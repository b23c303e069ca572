//! Queue names and their declaration: durable quorum queues, each with `.retry` and `.dlq`.

use lapin::Channel;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

pub const INBOUND_WHATSAPP: &str = "inbound.whatsapp";
pub const INBOUND_STRIPE: &str = "inbound.stripe";
pub const OUTBOUND_WHATSAPP: &str = "outbound.whatsapp";
pub const JOBS_PAYMENTS: &str = "jobs.payments";
pub const JOBS_SHEETS: &str = "jobs.sheets";
pub const JOBS_CALENDAR: &str = "jobs.calendar";

/// Every work queue (INTERFACES.md).
pub const QUEUES: [&str; 6] = [
    INBOUND_WHATSAPP,
    INBOUND_STRIPE,
    OUTBOUND_WHATSAPP,
    JOBS_PAYMENTS,
    JOBS_SHEETS,
    JOBS_CALENDAR,
];

/// Redeliveries (crashes, nacks with requeue) after which the broker dead-letters a poison message.
pub const DELIVERY_LIMIT: i64 = 10;

/// The retry companion of a queue: messages wait there for their TTL, then dead-letter back.
pub fn retry_queue(queue: &str) -> String {
    format!("{queue}.retry")
}

/// The dead-letter companion of a queue.
pub fn dlq(queue: &str) -> String {
    format!("{queue}.dlq")
}

fn s(v: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(v))
}

fn args(pairs: Vec<(&str, AMQPValue)>) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in pairs {
        t.insert(ShortString::from(k), v);
    }
    t
}

fn durable() -> QueueDeclareOptions {
    QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    }
}

/// Declares every queue with the same arguments each time, so it is idempotent across processes.
pub async fn declare(channel: &Channel) -> Result<(), lapin::Error> {
    for q in QUEUES {
        declare_one(channel, q).await?;
    }
    Ok(())
}

async fn declare_one(channel: &Channel, queue: &str) -> Result<(), lapin::Error> {
    let quorum = || ("x-queue-type", s("quorum"));
    channel
        .queue_declare(
            ShortString::from(dlq(queue)),
            durable(),
            args(vec![quorum()]),
        )
        .await?;
    // Delayed messages carry their own expiration; when it passes they go back to the work queue.
    channel
        .queue_declare(
            ShortString::from(retry_queue(queue)),
            durable(),
            args(vec![
                quorum(),
                ("x-dead-letter-exchange", s("")),
                ("x-dead-letter-routing-key", s(queue)),
                ("x-dead-letter-strategy", s("at-least-once")),
                ("x-overflow", s("reject-publish")),
            ]),
        )
        .await?;
    channel
        .queue_declare(
            ShortString::from(queue),
            durable(),
            args(vec![
                quorum(),
                ("x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT)),
                ("x-dead-letter-exchange", s("")),
                ("x-dead-letter-routing-key", s(&dlq(queue))),
                ("x-dead-letter-strategy", s("at-least-once")),
                ("x-overflow", s("reject-publish")),
            ]),
        )
        .await?;
    Ok(())
}

/// Depth and consumers of one queue (passive declare).
pub async fn depth(channel: &Channel, queue: &str) -> Result<(u32, u32), lapin::Error> {
    let q = channel
        .queue_declare(
            ShortString::from(queue),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((q.message_count(), q.consumer_count()))
}
