//! The artists a worker serves, cached in memory: by id for the sender (read again when the
//! artist's row changed — every claim returns its `updated_at` — or after [`MAX_AGE`]), and by
//! phone number id for the conversation worker (read again after [`BY_NUMBER_AGE`]: a changed
//! artist file applies to messages from a few seconds later on).

use infra::store::artists::{self, Artist, ArtistError};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
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
    by_id: Entries<Uuid>,
    by_number: Entries<String>,
}

impl ArtistCache {
    /// The artist, from memory while fresh.
    pub async fn get(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        match self.by_id.fresh(&id, MAX_AGE) {
            Some(a) => Ok(Some(a)),
            None => self.reload(pool, id).await,
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
        self.reload(pool, artist.id).await
    }

    /// The artist read again now.
    pub async fn reload(
        &self,
        pool: &sqlx::PgPool,
        id: Uuid,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        let artist = artists::by_id(pool, id).await?.map(Arc::new);
        self.by_id.store(id, &artist);
        Ok(artist)
    }

    /// The artist whose number is `phone_number_id`, from memory for [`BY_NUMBER_AGE`]. An
    /// unknown number is not remembered.
    pub async fn by_number(
        &self,
        pool: &sqlx::PgPool,
        phone_number_id: &str,
    ) -> Result<Option<Arc<Artist>>, ArtistError> {
        if let Some(a) = self.by_number.fresh(phone_number_id, BY_NUMBER_AGE) {
            return Ok(Some(a));
        }
        let artist = artists::by_phone_number_id(pool, phone_number_id)
            .await?
            .map(Arc::new);
        self.by_number.store(phone_number_id.to_owned(), &artist);
        Ok(artist)
    }
}

/// Artist rows under one kind of key, with when each was read.
struct Entries<K>(Mutex<HashMap<K, (Arc<Artist>, Instant)>>);

impl<K> Default for Entries<K> {
    fn default() -> Self {
        Entries(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash> Entries<K> {
    /// The artist under `key` if it was read less than `max_age` ago.
    fn fresh<Q>(&self, key: &Q, max_age: Duration) -> Option<Arc<Artist>>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .filter(|(_, at)| at.elapsed() < max_age)
            .map(|(a, _)| a.clone())
    }

    /// Remembers what was just read under `key` (forgets the key when there is no such artist).
    fn store(&self, key: K, artist: &Option<Arc<Artist>>) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match artist {
            Some(a) => entries.insert(key, (a.clone(), Instant::now())),
            None => entries.remove(&key),
        };
    }
}
