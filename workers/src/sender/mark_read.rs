//! Read receipts (blue ticks) for inbound messages: idempotent at Meta, skipped while the artist
//! cannot send. A read receipt is not a message: it does not take one of the number's message
//! slots (docs/decisions.md, "Read receipts are not paced as messages"), but it waits while Meta
//! has the number held after a throttle answer.

use super::SenderHandler;
use super::pacing::Wait;
use infra::bus::{Outcome, Received};

impl SenderHandler {
    /// Marks an inbound message read.
    pub(super) async fn mark_read(
        &self,
        msg: &Received,
        artist_id: uuid::Uuid,
        wamid: &str,
    ) -> anyhow::Result<Outcome> {
        let Some(artist) = self.artists.get(&self.fleet.pool, artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {artist_id}")));
        };
        let Some(token) = self
            .token(&artist)
            .filter(|_| artist.sending_paused_at.is_none())
        else {
            tracing::debug!(%wamid, "artist cannot send now; read receipt skipped");
            return Ok(Outcome::Ack);
        };
        if let Wait::Later(d) = self.wait_for_hold(&artist).await {
            return Ok(Outcome::Defer(d));
        }
        match self
            .graph
            .mark_read(&artist.config.phone_number_id, &token, wamid)
            .await
        {
            Ok(()) => Ok(Outcome::Ack),
            Err(e) => self.chore_failed(msg, &artist, "mark_read", &e).await,
        }
    }
}
