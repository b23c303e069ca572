//! Queue health for the console and the admin API: depth, consumers, retry and dead letters of
//! every work queue, read with passive declares on a short-lived channel.

use infra::bus::Bus;
use infra::bus::topology::{self, QUEUES};
use serde::Serialize;

/// One work queue and its companions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub queue: String,
    pub depth: u32,
    pub consumers: u32,
    pub retry_depth: u32,
    pub dlq: String,
    pub dead_letters: u32,
}

/// Every work queue, in INTERFACES.md order.
pub async fn stats(bus: &Bus) -> anyhow::Result<Vec<QueueStats>> {
    let ch = bus.channel().await?;
    let mut out = Vec::with_capacity(QUEUES.len());
    let result: anyhow::Result<()> = async {
        for q in QUEUES {
            let (depth, consumers) = topology::depth(&ch, q).await?;
            let (retry_depth, _) = topology::depth(&ch, &topology::retry_queue(q)).await?;
            let (dead_letters, _) = topology::depth(&ch, &topology::dlq(q)).await?;
            out.push(QueueStats {
                queue: q.to_owned(),
                depth,
                consumers,
                retry_depth,
                dlq: topology::dlq(q),
                dead_letters,
            });
        }
        Ok(())
    }
    .await;
    let _ = ch.close(200, "queue stats read".into()).await;
    result.map(|()| out)
}

/// Whether `name` is one of our work queues.
pub fn is_queue(name: &str) -> bool {
    QUEUES.contains(&name)
}
