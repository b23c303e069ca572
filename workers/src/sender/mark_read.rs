//! Read receipts (blue ticks) for inbound messages: idempotent at Meta, paced like a message,
//! skipped while the artist cannot send.

use super::SenderHandler;
use super::pacing::Wait;
use infra::bus::{Outcome, Received};
use inkline_core::sender::pacing::Limits;

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
        let limits = Limits::from_config(&artist.config.pacing);
        if let Wait::Later(d) = self.wait_for_slot(&artist, None, &limits).await {
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
