//! `outbound.whatsapp` itself: jobs published before the partitions existed (an upgrade with
//! jobs in flight, a replay from its DLQ) are forwarded to their artist's partition, so exactly
//! one process still paces each number.

use infra::bus::{Bus, Handler, Outcome, Received};
use inkline_core::jobs::{OutboundJob, partitions};

/// Forwards each job to its partition (published with a confirm before the ack).
pub(super) struct Forwarder {
    pub(super) bus: Bus,
}

#[async_trait::async_trait]
impl Handler for Forwarder {
    async fn handle(&self, msg: &Received) -> Outcome {
        let job: OutboundJob = match serde_json::from_slice(&msg.payload) {
            Ok(j) => j,
            Err(e) => return Outcome::Dead(format!("undecodable outbound job: {e}")),
        };
        let partition = partitions::of(job.artist_id());
        match self
            .bus
            .publish(partition, &msg.republish(msg.headers.clone(), None))
            .await
        {
            Ok(()) => Outcome::Ack,
            Err(e) => Outcome::of_error(&e),
        }
    }
}
