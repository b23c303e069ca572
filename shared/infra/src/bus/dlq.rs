//! Dead letters: how many each queue holds, and replaying them to their queue.
//!
//! A replayed message starts over: the bus's retry state (attempts, first-failure time, throttles,
//! deferrals, a pending wait) is reset, so it gets a full set of tries and the full retry time
//! budget. A replayed send job un-parks its message when the sender takes it (see
//! `docs/decisions.md`: it is then sent after any younger messages that already went out).

use super::message::{self, H_ATTEMPTS, RETRY_STATE};
use super::topology::{self, QUEUES};
use super::{Bus, Outgoing};
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions};
use lapin::types::ShortString;

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

/// Moves up to `limit` messages (default: as many as are there now) from `QUEUE.dlq` back to
/// `QUEUE` with their retry state reset, each published with a confirm before it is removed from
/// the DLQ. Bounded by the depth at the start, so a message that dies again at once is not
/// replayed in a loop.
pub async fn replay(bus: &Bus, queue: &str, limit: Option<u32>) -> anyhow::Result<u32> {
    if !QUEUES.contains(&queue) {
        anyhow::bail!(
            "unknown queue {queue:?} (expected one of {})",
            QUEUES.join(", ")
        );
    }
    let ch = bus.channel().await?;
    let there = match topology::depth(&ch, &topology::dlq(queue)).await {
        Ok((depth, _)) => depth,
        Err(e) => {
            let _ = ch.close(200, ShortString::from("replay done")).await;
            return Err(e.into());
        }
    };
    let limit = Some(limit.map_or(there, |l| l.min(there)));
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
        fresh_start(&mut headers);
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

/// Resets the retry state a message carries (all of it the bus's headers).
fn fresh_start(headers: &mut std::collections::BTreeMap<String, String>) {
    for h in RETRY_STATE {
        headers.remove(h);
    }
    headers.insert(H_ATTEMPTS.to_owned(), "0".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_resets_every_retry_counter_and_keeps_the_rest() {
        let mut h: std::collections::BTreeMap<String, String> = [
            ("x-attempts", "4"),
            ("x-first-failure-at", "1764064800000"),
            ("x-throttles", "2"),
            ("x-deferrals", "999"),
            ("x-not-before", "1764064900000"),
            ("x-correlation-id", "c-1"),
            ("x-last-error", "boom"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        fresh_start(&mut h);
        let left: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            left,
            [
                ("x-attempts", "0"),
                ("x-correlation-id", "c-1"),
                ("x-last-error", "boom")
            ]
        );
    }
}
