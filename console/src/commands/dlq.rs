//! `inkline dlq list|replay`: inspect dead letters and move them back to their queue.

use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions};
use lapin::types::ShortString;
use shared::bus::message::{self, H_ATTEMPTS};
use shared::bus::topology::{self, QUEUES};
use shared::bus::{Bus, Outgoing};
use shared::config::{BusConfig, EnvReader};
use shared::shutdown::Shutdown;
use std::time::Duration;

async fn bus() -> anyhow::Result<(Bus, Shutdown)> {
    let mut env = EnvReader::from_env();
    let cfg = BusConfig::read(&mut env);
    env.finish()?;
    let shutdown = Shutdown::new();
    let bus = Bus::start(cfg, "cli", shutdown.clone());
    if !bus.wait_connected(Duration::from_secs(10)).await {
        anyhow::bail!("cannot connect to RabbitMQ (AMQP_URL)");
    }
    Ok((bus, shutdown))
}

/// Dead letters per queue.
pub async fn counts(bus: &Bus) -> anyhow::Result<Vec<(String, u32)>> {
    let ch = bus.channel().await?;
    let mut out = Vec::new();
    for q in QUEUES {
        match topology::depth(&ch, &topology::dlq(q)).await {
            Ok((depth, _)) => out.push((topology::dlq(q), depth)),
            Err(e) => {
                let _ = ch.close(200, ShortString::from("dlq counts")).await;
                return Err(e.into());
            }
        }
    }
    let _ = ch.close(200, ShortString::from("dlq counts")).await;
    Ok(out)
}

pub async fn list() -> anyhow::Result<()> {
    let (bus, shutdown) = bus().await?;
    for (q, n) in counts(&bus).await? {
        println!("{q}\t{n}");
    }
    shutdown.trigger();
    Ok(())
}

/// Moves up to `limit` messages from `QUEUE.dlq` back to `QUEUE` (attempt counter reset), each
/// published with a confirm before it is removed from the DLQ.
pub async fn replay(bus: &Bus, queue: &str, limit: Option<u32>) -> anyhow::Result<u32> {
    if !QUEUES.contains(&queue) {
        anyhow::bail!(
            "unknown queue {queue:?} (expected one of {})",
            QUEUES.join(", ")
        );
    }
    let ch = bus.channel().await?;
    let result = replay_on(bus, &ch, queue, limit).await;
    // Channels are per call: give this one back to the connection.
    let _ = ch.close(200, ShortString::from("replay done")).await;
    result
}

async fn replay_on(
    bus: &Bus,
    ch: &lapin::Channel,
    queue: &str,
    limit: Option<u32>,
) -> anyhow::Result<u32> {
    let dlq = topology::dlq(queue);
    let mut moved = 0u32;
    while limit.is_none_or(|l| moved < l) {
        let Some(msg) = ch
            .basic_get(ShortString::from(dlq.as_str()), BasicGetOptions::default())
            .await?
        else {
            break;
        };
        let mut headers = message::headers_of(&msg.delivery.properties);
        headers.insert(H_ATTEMPTS.to_owned(), "0".into());
        let out = Outgoing {
            message_id: msg
                .delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            content_type: "application/json",
            payload: msg.delivery.data.clone(),
            headers,
            expiration_ms: None,
        };
        match bus.publish(queue, &out).await {
            Ok(()) => {
                msg.delivery.ack(BasicAckOptions::default()).await?;
                moved += 1;
            }
            Err(e) => {
                let _ = msg
                    .delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        multiple: false,
                    })
                    .await;
                anyhow::bail!("replay stopped after {moved}: {e}");
            }
        }
    }
    Ok(moved)
}

pub async fn replay_cmd(queue: &str, limit: Option<u32>) -> anyhow::Result<()> {
    let (bus, shutdown) = bus().await?;
    let moved = replay(&bus, queue, limit).await?;
    println!(
        "replayed {moved} message(s) from {} to {queue}",
        topology::dlq(queue)
    );
    shutdown.trigger();
    Ok(())
}
