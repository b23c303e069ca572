//! Resuming an artist's sending after an operator fixed why it stopped (Meta answered that the
//! token or the account cannot send: the sender paused the artist and parked its messages). The
//! CLI (`inkline artist resume-sending SLUG`), the admin API and the console call this.

use crate::store::artists::{self, ArtistError};
use crate::store::system_events;
use inkline_core::conversation::Severity;
use serde::Serialize;
use sqlx::PgPool;

/// What resuming did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resumed {
    pub artist: String,
    /// Whether sending was paused (resuming an artist that was not paused changes nothing).
    pub was_paused: bool,
    /// Messages parked while paused, queued again in their original order.
    pub requeued: u64,
}

/// Resumes sending for the artist `slug` on behalf of `actor`; `None` when there is no such
/// artist. Audited as a `sending_resumed` system event.
pub async fn resume(
    pool: &PgPool,
    slug: &str,
    actor: &str,
) -> Result<Option<Resumed>, ArtistError> {
    let Some(artist) = artists::by_slug(pool, slug).await? else {
        return Ok(None);
    };
    let was_paused = artist.sending_paused_at.is_some();
    let requeued = if was_paused {
        let n = artists::resume_sending(pool, artist.id).await?;
        system_events::record(
            pool,
            Some(artist.id),
            None,
            "sending_resumed",
            Severity::Info,
            serde_json::json!({"actor": actor, "requeued": n, "was": artist.sending_paused_reason}),
        )
        .await?;
        tracing::info!(artist = %slug, actor, requeued = n, "sending resumed");
        n
    } else {
        0
    };
    Ok(Some(Resumed {
        artist: slug.to_owned(),
        was_paused,
        requeued,
    }))
}
