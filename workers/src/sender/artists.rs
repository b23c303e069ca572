//! The artists a sender works for, cached in memory: a configuration is read once, and again
//! when the artist's row changed (every claim returns its `updated_at`) or after [`MAX_AGE`].

use infra::store::artists::{self, Artist, ArtistError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The longest a cached configuration is used without looking at the row (read receipts and
/// media downloads, which do not claim a row).
const MAX_AGE: Duration = Duration::from_secs(30);

/// Artist rows by id, with when each was read.
#[derive(Default)]
pub(super) struct ArtistCache {
    entries: Mutex<HashMap<Uuid, (Arc<Artist>, Instant)>>,
}

impl ArtistCache {
    /// The artist, from memory while fresh.
    pub(super) async fn get(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        let cached = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .filter(|(_, at)| at.elapsed() < MAX_AGE)
            .map(|(a, _)| a.clone());
        match cached {
            Some(a) => Ok(Some(a)),
            None => self.load(pool, id).await,
        }
    }

    /// `artist` if its row has not changed since it was read (`version` is the row's
    /// `updated_at` now), else the row read again.
    pub(super) async fn current(
        &self,
        pool: &sqlx::PgPool,
        artist: Arc<Artist>,
        version: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        if artist.updated_at == version {
            return Ok(Some(artist));
        }
        self.load(pool, artist.id).await
    }

    /// The artist read again now.
    pub(super) async fn reload(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        self.load(pool, id).await
    }

    async fn load(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        let artist = artists::by_id(pool, id).await?.map(Arc::new);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match &artist {
            Some(a) => entries.insert(id, (a.clone(), Instant::now())),
            None => entries.remove(&id),
        };
        Ok(artist)
    }
}
