//! The artists a worker serves, cached in memory: by id for the sender (read again when the
//! artist's row changed — every claim returns its `updated_at` — or after [`MAX_AGE`]), and by
//! phone number id for the conversation worker (read again after [`BY_NUMBER_AGE`]: a changed
//! artist file applies to messages from a few seconds later on).

use infra::store::artists::{self, Artist, ArtistError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The longest a cached configuration is used without looking at the row (read receipts and
/// media downloads, which do not claim a row).
const MAX_AGE: Duration = Duration::from_secs(30);
/// How long the conversation worker uses an artist's configuration without reading it again.
const BY_NUMBER_AGE: Duration = Duration::from_secs(5);

/// Artist rows by id and by phone number id, with when each was read.
#[derive(Default)]
pub struct ArtistCache {
    entries: Mutex<HashMap<Uuid, (Arc<Artist>, Instant)>>,
    by_number: Mutex<HashMap<String, (Arc<Artist>, Instant)>>,
}

impl ArtistCache {
    /// The artist, from memory while fresh.
    pub async fn get(
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
    pub async fn current(
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
    pub async fn reload(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        self.load(pool, id).await
    }

    /// The artist whose number is `phone_number_id`, from memory for [`BY_NUMBER_AGE`]. An
    /// unknown number is not remembered.
    pub async fn by_number(
        &self,
        pool: &sqlx::PgPool,
        phone_number_id: &str,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        let cached = self
            .by_number
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(phone_number_id)
            .filter(|(_, at)| at.elapsed() < BY_NUMBER_AGE)
            .map(|(a, _)| a.clone());
        if cached.is_some() {
            return Ok(cached);
        }
        let artist = artists::by_phone_number_id(pool, phone_number_id)
            .await?
            .map(Arc::new);
        let mut entries = self
            .by_number
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &artist {
            Some(a) => entries.insert(phone_number_id.to_owned(), (a.clone(), Instant::now())),
            None => entries.remove(phone_number_id),
        };
        Ok(artist)
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
