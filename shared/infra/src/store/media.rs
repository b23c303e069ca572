//! Inbound media references: what was downloaded, verified and where its bytes are kept.

use sqlx::PgExecutor;
use uuid::Uuid;

/// A downloaded, verified media object.
#[derive(Debug, Clone)]
pub struct StoredMedia<'a> {
    pub artist_id: Uuid,
    pub lead_id: Option<Uuid>,
    pub media_id: &'a str,
    pub wamid: Option<&'a str>,
    pub mime_type: &'a str,
    pub sha256: &'a str,
    pub size_bytes: i64,
    /// Relative to `MEDIA_DIR`.
    pub storage_path: &'a str,
}

/// Whether this artist's media object was already downloaded (a redelivered job does nothing).
pub async fn exists(
    db: impl PgExecutor<'_>,
    artist_id: Uuid,
    media_id: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM media WHERE artist_id = $1 AND media_id = $2) AS "exists!""#,
        artist_id,
        media_id,
    )
    .fetch_one(db)
    .await
}

/// Records a download (the first record wins).
pub async fn record(db: impl PgExecutor<'_>, m: &StoredMedia<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO media (id, artist_id, lead_id, media_id, wamid, mime_type, sha256, size_bytes, storage_path)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (artist_id, media_id) DO NOTHING",
        Uuid::now_v7(),
        m.artist_id,
        m.lead_id,
        m.media_id,
        m.wamid,
        m.mime_type,
        m.sha256,
        m.size_bytes,
        m.storage_path,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Where the bytes of a downloaded media object are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFile {
    /// Relative to `MEDIA_DIR`.
    pub storage_path: String,
    pub mime_type: String,
}

/// The newest download of `media_id`, of the artist with slug `artist` (of any artist when None).
pub async fn find(
    db: impl PgExecutor<'_>,
    media_id: &str,
    artist: Option<&str>,
) -> Result<Option<MediaFile>, sqlx::Error> {
    sqlx::query_as!(
        MediaFile,
        "SELECT m.storage_path, m.mime_type FROM media m JOIN artists a ON a.id = m.artist_id
         WHERE m.media_id = $1 AND ($2::text IS NULL OR a.slug = $2) ORDER BY m.fetched_at DESC LIMIT 1",
        media_id,
        artist,
    )
    .fetch_optional(db)
    .await
}

/// The lowercase hex sha256 of `bytes` (what Meta's media metadata gives to check against).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Writes `bytes` under `dir` at `<sha256[..2]>/<sha256>` (content-addressed: the same photo sent
/// twice is kept once), atomically through a temporary file. Returns the path relative to `dir`.
pub async fn write_file(dir: &str, sha256: &str, bytes: &[u8]) -> std::io::Result<String> {
    let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a sha256 hex digest",
        ));
    }
    let sha = sha256.to_ascii_lowercase();
    let relative = format!("{}/{}", &sha[..2], sha);
    let path = std::path::Path::new(dir).join(&relative);
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(relative);
    }
    let parent = std::path::Path::new(dir).join(&sha[..2]);
    tokio::fs::create_dir_all(&parent).await?;
    let tmp = parent.join(format!(".{}.{}.tmp", sha, Uuid::new_v4().simple()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, &path).await?;
    Ok(relative)
}
