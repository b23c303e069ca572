//! What every console handler shares: the database, the bus, the keys and the media directory.

use crate::auth::Keys;
use infra::bus::Bus;
use infra::config::ConsoleConfig;
use infra::shutdown::Shutdown;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;

/// Media that is not (yet) in `MEDIA_DIR`: the bytes and the MIME type of a media id.
pub trait MediaSource: Send + Sync {
    fn media(&self, id: &str) -> Option<(bytes::Bytes, String)>;
}

/// What every handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub bus: Bus,
    pub keys: Arc<Keys>,
    /// Where the media of reference images is kept (`MEDIA_DIR`).
    pub media_dir: Arc<PathBuf>,
    /// Mark cookies `Secure` (PUBLIC_BASE_URL is https).
    pub secure_cookies: bool,
    /// Where reference images not (yet) in `MEDIA_DIR` may be found (the sandbox's uploads).
    pub media_fallback: Option<Arc<dyn MediaSource>>,
}

impl AppState {
    /// Connects to Postgres (checking the schema version) and starts the bus.
    pub async fn connect(cfg: &ConsoleConfig, shutdown: &Shutdown) -> anyhow::Result<AppState> {
        let pool = infra::store::db::connect(&cfg.db)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
        infra::store::db::check_schema(&pool).await?;
        let bus = Bus::start(cfg.bus.clone(), "console", shutdown.child());
        Ok(AppState::new(pool, bus, cfg))
    }

    /// The state from already-open connections.
    pub fn new(pool: PgPool, bus: Bus, cfg: &ConsoleConfig) -> AppState {
        infra::actions::links::configure_public_base_url(&cfg.api.public_base_url);
        AppState {
            pool,
            bus,
            keys: Arc::new(Keys::new(
                cfg.admin_api_key.clone(),
                cfg.session_secret.clone(),
            )),
            media_dir: Arc::new(PathBuf::from(&cfg.api.media_dir)),
            secure_cookies: cfg.api.public_base_url.starts_with("https://"),
            media_fallback: None,
        }
    }
}
