//! The sandbox's pages, served beside the console by `inkline-dev sandbox`: a client phone, the
//! artist's phone and a fake checkout. They drive the production path — signed webhooks into the ingress,
//! replies out of the sender into [`FakeGraph`] — and only Meta and Stripe are fakes.

pub mod artist_phone;
pub mod bubbles;
pub mod checkout;
pub mod events;
pub mod phone;
pub mod start;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use bytes::Bytes;
use console::server;
use console::state::MediaSource;
use fakes::{FakeGraph, FakeStripe};
use infra::shutdown::Shutdown;
use inkline_core::domain::ArtistConfig;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};

/// Largest image the client phone uploads.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Something the person playing the client sent, kept to redraw the chat on reload.
#[derive(Debug, Clone)]
pub struct ClientMessage {
    pub wa_id: String,
    pub at: chrono::DateTime<chrono::Utc>,
    /// What the bubble shows.
    pub text: String,
    /// The uploaded image's media id, for image messages.
    pub media_id: Option<String>,
}

/// The fakes and what the sandbox pages share.
pub struct Sandbox {
    pub graph: FakeGraph,
    pub stripe: FakeStripe,
    pub artist: ArtistConfig,
    /// `http://127.0.0.1:PORT` of the ingress.
    pub ingress_url: String,
    /// `http://127.0.0.1:PORT` of the console.
    pub console_url: String,
    /// Shown on the sandbox home page when the sandbox made it up (never a real secret).
    pub admin_key_hint: Option<String>,
    app_secret: String,
    http: reqwest::Client,
    media: Mutex<HashMap<String, (Bytes, String)>>,
    client_log: Mutex<Vec<ClientMessage>>,
    /// Ends the live streams so the server can shut down.
    pub shutdown: Shutdown,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("ingress_url", &self.ingress_url)
            .finish_non_exhaustive()
    }
}

/// Why a webhook did not reach the ingress.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the ingress is unreachable: {0}")]
    Unreachable(String),
    #[error("the ingress answered {0}")]
    Refused(u16),
}

impl Sandbox {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        graph: FakeGraph,
        stripe: FakeStripe,
        artist: ArtistConfig,
        ingress_url: String,
        console_url: String,
        app_secret: String,
        admin_key_hint: Option<String>,
        shutdown: Shutdown,
    ) -> Sandbox {
        Sandbox {
            graph,
            stripe,
            artist,
            ingress_url,
            console_url,
            admin_key_hint,
            app_secret,
            http: reqwest::Client::new(),
            media: Mutex::new(HashMap::new()),
            client_log: Mutex::new(Vec::new()),
            shutdown,
        }
    }

    /// An uploaded image, for the console's reference view.
    pub fn media(&self, id: &str) -> Option<(Bytes, String)> {
        self.media
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Keeps an upload and offers it on the fake Graph API (so media downloads work).
    pub fn add_media(&self, id: &str, bytes: Bytes, mime: &str) {
        self.graph.add_media(id, bytes.clone(), mime);
        self.media
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), (bytes, mime.to_owned()));
    }

    pub fn log_client(&self, m: ClientMessage) {
        self.client_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(m);
    }

    /// What the person playing `wa_id` sent, oldest first.
    pub fn client_messages(&self, wa_id: &str) -> Vec<ClientMessage> {
        self.client_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|m| m.wa_id == wa_id)
            .cloned()
            .collect()
    }

    /// POSTs a webhook body to the ingress signed the way Meta signs it.
    pub async fn post_webhook(&self, body: Vec<u8>) -> Result<(), WebhookError> {
        let signature =
            inkline_core::webhook::signature::sign_whatsapp(self.app_secret.as_bytes(), &body);
        let resp = self
            .http
            .post(format!("{}/webhooks/whatsapp", self.ingress_url))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| WebhookError::Unreachable(e.to_string()))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(WebhookError::Refused(resp.status().as_u16()))
        }
    }
}

/// A fresh WhatsApp-looking message id for something the sandbox's client sent.
pub fn new_wamid() -> String {
    format!("wamid.SBX{}", uuid::Uuid::new_v4().simple())
}

/// What the sandbox pages share.
#[derive(Clone)]
pub struct SandboxState {
    pub sandbox: Arc<Sandbox>,
    pub pool: PgPool,
}

/// The console shows what the client phone uploaded before the media download finished.
impl MediaSource for Sandbox {
    fn media(&self, id: &str) -> Option<(Bytes, String)> {
        Sandbox::media(self, id)
    }
}

/// The sandbox routes, with the console's security headers.
pub fn router(state: SandboxState) -> Router {
    Router::new()
        .route("/sandbox", get(phone::home))
        .route("/sandbox/phone", get(phone::show))
        .route("/sandbox/phone/send", post(phone::send))
        .route("/sandbox/phone/tap", post(phone::tap))
        .route(
            "/sandbox/phone/image",
            post(phone::image).layer(DefaultBodyLimit::max(MAX_IMAGE_BYTES + 64 * 1024)),
        )
        .route("/sandbox/phone/events", get(events::client))
        .route("/sandbox/media/{id}", get(phone::media))
        .route("/sandbox/artist", get(artist_phone::show))
        .route("/sandbox/artist/events", get(events::artist))
        .route("/sandbox/checkout/{id}", get(checkout::show))
        .route("/sandbox/checkout/{id}/pay", post(checkout::pay))
        .route("/sandbox/checkout/{id}/expire", post(checkout::expire))
        .layer(axum::middleware::map_response(server::security_headers))
        .with_state(state)
}
