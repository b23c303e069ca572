//! Queue names and their declaration: durable quorum queues, each with `.retry` and `.dlq`, every
//! one bounded (`x-max-length`, `x-overflow: reject-publish`: a full queue nacks the publisher).

use crate::config::QueueLimits;
use crate::metrics::metrics;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, Connection};

pub use inkline_core::jobs::Queue;
use inkline_core::jobs::partitions;

// The names are defined once, by `Queue` in the core; these are them as constants for matching.
pub const INBOUND_WHATSAPP: &str = Queue::InboundWhatsapp.name();
pub const INBOUND_STRIPE: &str = Queue::InboundStripe.name();
pub const OUTBOUND_WHATSAPP: &str = Queue::OutboundWhatsapp.name();
pub const JOBS_PAYMENTS: &str = Queue::JobsPayments.name();
pub const JOBS_SHEETS: &str = Queue::JobsSheets.name();
pub const JOBS_CALENDAR: &str = Queue::JobsCalendar.name();

/// Every work queue (INTERFACES.md).
pub const QUEUES: [&str; 6] = [
    INBOUND_WHATSAPP,
    INBOUND_STRIPE,
    OUTBOUND_WHATSAPP,
    JOBS_PAYMENTS,
    JOBS_SHEETS,
    JOBS_CALENDAR,
];

/// The partitions of `outbound.whatsapp` (see `jobs::partitions`): where send jobs travel, one
/// active sender on each. Each has its own `.retry` (a retried job comes back to its partition);
/// their dead letters share `outbound.whatsapp.dlq`, and a replay from there goes through
/// `outbound.whatsapp`, whose consumer forwards every job to its partition.
pub use partitions::NAMES as OUTBOUND_PARTITIONS;

/// Redeliveries (crashes, nacks with requeue) after which the broker dead-letters a poison message.
pub const DELIVERY_LIMIT: i64 = 10;

/// Whether some worker role consumes `queue`. Nothing may be published to a queue nobody drains
/// (it would only grow): `decisions` withholds jobs for the others. **The one switch**: when
/// the Sheets or Calendar role is implemented, add its queue here (and backfill, see
/// docs/decisions.md "Jobs for roles that do not exist yet").
pub fn has_consumer(queue: &str) -> bool {
    matches!(
        queue,
        INBOUND_WHATSAPP | INBOUND_STRIPE | OUTBOUND_WHATSAPP | JOBS_PAYMENTS
    ) || partitions::is_partition(queue)
}

/// The retry companion of a queue: messages wait there for their TTL, then dead-letter back.
pub fn retry_queue(queue: &str) -> String {
    format!("{queue}.retry")
}

/// The dead-letter companion of a queue (the partitions share `outbound.whatsapp`'s).
pub fn dlq(queue: &str) -> String {
    if partitions::is_partition(queue) {
        return dlq(OUTBOUND_WHATSAPP);
    }
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

/// One queue to declare: its name and arguments.
#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub name: String,
    pub args: FieldTable,
}

/// The three queues of a work queue, in declaration order (dead letters first, so the queues
/// that dead-letter into them find them): `.dlq`, `.retry`, the work queue.
pub fn specs(queue: &str, limits: &QueueLimits) -> [QueueSpec; 3] {
    let quorum = || ("x-queue-type", s("quorum"));
    // A full queue refuses new messages (the publisher gets a nack) rather than dropping old ones.
    let bounded = |max: i64| {
        [
            ("x-max-length", AMQPValue::LongLongInt(max)),
            ("x-overflow", s("reject-publish")),
        ]
    };
    let mut dead = vec![quorum()];
    dead.extend(bounded(limits.dead_letters));
    // Delayed messages carry their own expiration; when it passes they go back to the work queue.
    let mut retry = vec![
        quorum(),
        ("x-dead-letter-exchange", s("")),
        ("x-dead-letter-routing-key", s(queue)),
        ("x-dead-letter-strategy", s("at-least-once")),
    ];
    retry.extend(bounded(limits.work));
    let mut work = vec![
        quorum(),
        ("x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT)),
        ("x-dead-letter-exchange", s("")),
        ("x-dead-letter-routing-key", s(&dlq(queue))),
        ("x-dead-letter-strategy", s("at-least-once")),
    ];
    work.extend(bounded(limits.work));
    if partitions::is_partition(queue) {
        // Exactly one process paces a number: the others wait as hot standbys.
        work.push(("x-single-active-consumer", AMQPValue::Boolean(true)));
    }
    [
        QueueSpec {
            name: dlq(queue),
            args: args(dead),
        },
        QueueSpec {
            name: retry_queue(queue),
            args: args(retry),
        },
        QueueSpec {
            name: queue.to_owned(),
            args: args(work),
        },
    ]
}

/// Declares every queue with the same arguments each time, so it is idempotent across processes.
///
/// A queue that already exists with other arguments (declared by an older Inkline, or before
/// `QUEUE_MAX_LENGTH` changed) cannot be redeclared: the broker closes the channel with
/// PRECONDITION_FAILED. It is then used as it is — the fleet keeps running — and reported: an
/// error log naming the queue and `inkline_queue_arguments_mismatch{queue}` = 1 (an alert). The
/// upgrade steps are in docs/decisions.md ("Queue limits on an existing deployment").
pub async fn declare(conn: &Connection, limits: &QueueLimits) -> Result<(), lapin::Error> {
    let mut channel = conn.create_channel().await?;
    for q in QUEUES.iter().chain(OUTBOUND_PARTITIONS.iter()) {
        for spec in specs(q, limits) {
            let declared = channel
                .queue_declare(ShortString::from(spec.name.as_str()), durable(), spec.args)
                .await;
            let mismatch = metrics()
                .queue_arguments_mismatch
                .with_label_values(&[spec.name.as_str()]);
            match declared {
                Ok(_) => mismatch.set(0),
                Err(e) if is_precondition_failed(&e) => {
                    mismatch.set(1);
                    tracing::error!(
                        queue = %spec.name,
                        error = %e,
                        "queue exists with other arguments than this version declares; using it as it is \
                         (its length limit may be missing): see docs/decisions.md, \"Queue limits on an existing deployment\""
                    );
                    // The broker closed that channel; the next queue needs a fresh one.
                    channel = conn.create_channel().await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    let _ = channel
        .close(200, ShortString::from("topology declared"))
        .await;
    Ok(())
}

/// The broker's answer to a redeclaration with other arguments (406 PRECONDITION_FAILED).
fn is_precondition_failed(e: &lapin::Error) -> bool {
    matches!(e.kind(), lapin::ErrorKind::ProtocolError(amqp) if amqp.get_id() == 406)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(spec: &'a QueueSpec, key: &str) -> Option<&'a AMQPValue> {
        spec.args.inner().get(&ShortString::from(key))
    }

    #[test]
    fn every_queue_is_bounded_and_refuses_publishes_when_full() {
        let limits = QueueLimits {
            work: 7,
            dead_letters: 70,
        };
        for &q in QUEUES.iter().chain(OUTBOUND_PARTITIONS.iter()) {
            let [dead, retry, work] = specs(q, &limits);
            assert_eq!(dead.name, dlq(q));
            if OUTBOUND_PARTITIONS.contains(&q) {
                assert_eq!(dead.name, "outbound.whatsapp.dlq");
            }
            assert_eq!(retry.name, format!("{q}.retry"));
            assert_eq!(work.name, q);
            for (spec, max) in [(&dead, 70), (&retry, 7), (&work, 7)] {
                assert_eq!(
                    get(spec, "x-max-length"),
                    Some(&AMQPValue::LongLongInt(max)),
                    "{}",
                    spec.name
                );
                assert_eq!(
                    get(spec, "x-overflow"),
                    Some(&s("reject-publish")),
                    "{}",
                    spec.name
                );
                assert_eq!(get(spec, "x-queue-type"), Some(&s("quorum")));
            }
            assert_eq!(get(&work, "x-dead-letter-routing-key"), Some(&s(&dlq(q))));
            assert_eq!(get(&retry, "x-dead-letter-routing-key"), Some(&s(q)));
            assert_eq!(
                dead.args,
                specs(OUTBOUND_WHATSAPP, &limits)[0].args,
                "{q}: one shape"
            );
            let single = get(&work, "x-single-active-consumer") == Some(&AMQPValue::Boolean(true));
            assert_eq!(single, OUTBOUND_PARTITIONS.contains(&q), "{q}");
        }
    }

    #[test]
    fn only_queues_a_role_drains_have_consumers() {
        assert!(has_consumer(OUTBOUND_WHATSAPP));
        assert!(OUTBOUND_PARTITIONS.iter().all(|p| has_consumer(p)));
        assert!(has_consumer(JOBS_PAYMENTS));
        assert!(!has_consumer(JOBS_SHEETS));
        assert!(!has_consumer(JOBS_CALENDAR));
        assert!(!has_consumer("jobs.unknown"));
    }
}
