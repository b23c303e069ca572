//! [`FakeGraph`]: the WhatsApp Cloud API (Meta Graph) on loopback. It accepts sends and read
//! receipts the way Meta does, records them for assertions and live views, serves media, and can
//! be scripted to fail or slow down. The HTTP handlers live in `graph_routes.rs`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;

use super::graph_faults::Fault;
use super::graph_state::{GraphState, Media};
pub use super::graph_state::{ReadReceipt, SentMessage};
use super::server::{Bound, LoopbackServer};

/// `wait_for_sent` gave up; `sent` is what had arrived by then, for the failure message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("waited for {wanted} sent messages, got {}", sent.len())]
pub struct WaitTimeout {
    pub wanted: usize,
    pub sent: Vec<SentMessage>,
}

/// The fake Graph API. Stops serving when dropped.
pub struct FakeGraph {
    state: Arc<GraphState>,
    server: LoopbackServer,
}

impl FakeGraph {
    /// Starts the fake on `127.0.0.1:0`. Panics only if no loopback port can be bound.
    pub async fn start() -> FakeGraph {
        Self::try_start()
            .await
            .expect("bind a loopback port for the fake Graph API")
    }

    /// Starts the fake on `127.0.0.1:0`.
    pub async fn try_start() -> std::io::Result<FakeGraph> {
        let bound = Bound::loopback().await?;
        let state = Arc::new(GraphState::new(bound.base_url()));
        let server = bound.serve(super::graph_routes::router(state.clone()));
        Ok(FakeGraph { state, server })
    }

    /// `http://127.0.0.1:PORT`: the value for `WHATSAPP_API_BASE` (any version segment works).
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }

    /// Requires `token` for sends from `phone_number_id` (others accept any non-empty token).
    pub fn expect_token(&self, phone_number_id: &str, token: &str) {
        self.state
            .lock()
            .tokens
            .insert(phone_number_id.to_string(), token.to_string());
    }

    /// Queues a scripted failure (see [`Fault`]).
    pub fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            self.state.lock().faults.push_back(fault);
        }
    }

    /// Fails every send with `http_status` and Meta `code` until [`clear_faults`](Self::clear_faults).
    pub fn fail_always(&self, http_status: u16, code: i64) {
        self.state.lock().always = Some(Fault::new(http_status, code));
    }

    /// Drops every queued and permanent fault.
    pub fn clear_faults(&self) {
        let mut inner = self.state.lock();
        inner.faults.clear();
        inner.always = None;
    }

    /// Holds every API answer for `delay` (zero turns it off), to test client timeouts.
    pub fn set_delay(&self, delay: Duration) {
        self.state.lock().delay = delay;
    }

    /// Registers media for download; the sha256 is computed from `bytes`.
    pub fn add_media(&self, media_id: &str, bytes: impl Into<Bytes>, mime: &str) {
        let bytes = bytes.into();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let media = Media {
            bytes,
            mime: mime.to_string(),
            sha256,
        };
        self.state.lock().media.insert(media_id.to_string(), media);
    }

    /// Every accepted message, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.state.lock().sent.clone()
    }

    /// Accepted messages whose `to` is `wa_id` (a leading `+` is ignored).
    pub fn sent_to(&self, wa_id: &str) -> Vec<SentMessage> {
        let wanted = wa_id.trim_start_matches('+');
        self.state
            .lock()
            .sent
            .iter()
            .filter(|m| m.to.trim_start_matches('+') == wanted)
            .cloned()
            .collect()
    }

    /// Every accepted mark-as-read call, oldest first.
    pub fn reads(&self) -> Vec<ReadReceipt> {
        self.state.lock().reads.clone()
    }

    /// Every `POST .../messages` attempt, including refused and faulted ones.
    pub fn requests_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` messages were accepted in total, then returns all of them.
    pub async fn wait_for_sent(
        &self,
        n: usize,
        timeout: Duration,
    ) -> Result<Vec<SentMessage>, WaitTimeout> {
        let mut count = self.state.sent_count.subscribe();
        let reached = matches!(
            tokio::time::timeout(timeout, count.wait_for(|c| *c >= n)).await,
            Ok(Ok(_))
        );
        let sent = self.sent();
        if reached || sent.len() >= n {
            Ok(sent)
        } else {
            Err(WaitTimeout { wanted: n, sent })
        }
    }

    /// Every message accepted from now on, as it happens (for the sandbox's live chat view).
    pub fn subscribe(&self) -> broadcast::Receiver<SentMessage> {
        self.state.live.subscribe()
    }

    /// Stops serving, letting in-flight requests finish briefly.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}
