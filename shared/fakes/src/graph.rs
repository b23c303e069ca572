//! [`FakeGraph`]: the WhatsApp Cloud API (Meta Graph) on loopback. It accepts sends and read
//! receipts the way Meta does, records them for assertions and live views, serves media, and can
//! be scripted to fail or slow down. The HTTP handlers live in `graph_routes.rs`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, watch};

use super::graph_faults::Fault;
use super::server::{Bound, LoopbackServer};

/// How many live messages a slow `subscribe()` reader may lag behind before it misses some.
const LIVE_BUFFER: usize = 1024;

/// A message the fake accepted (HTTP 200), as the sender sent it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// The id the fake answered with (`wamid.FAKE…`), what status webhooks refer to.
    pub wamid: String,
    pub phone_number_id: String,
    /// The `to` field as sent.
    pub to: String,
    /// The body's `type`: `text`, `interactive`, `template` or `image`.
    pub kind: String,
    /// The full request JSON.
    pub body: serde_json::Value,
    /// The bearer token the request carried.
    pub token: String,
    pub received_at: Instant,
    pub at: DateTime<Utc>,
}

impl SentMessage {
    /// The visible text: a text body, an interactive body, an image caption or a template name.
    pub fn text(&self) -> Option<&str> {
        let b = &self.body;
        match self.kind.as_str() {
            "text" => b.pointer("/text/body"),
            "interactive" => b.pointer("/interactive/body/text"),
            "image" => b.pointer("/image/caption"),
            "template" => b.pointer("/template/name"),
            _ => None,
        }
        .and_then(serde_json::Value::as_str)
    }
}

/// A mark-as-read call the fake accepted.
#[derive(Debug, Clone)]
pub struct ReadReceipt {
    pub phone_number_id: String,
    pub message_id: String,
    pub token: String,
    pub at: DateTime<Utc>,
}

/// `wait_for_sent` gave up; `sent` is what had arrived by then, for the failure message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("waited for {wanted} sent messages, got {}", sent.len())]
pub struct WaitTimeout {
    pub wanted: usize,
    pub sent: Vec<SentMessage>,
}

/// A media object served by `GET /{version}/{media_id}` and `GET /media-bytes/{media_id}`.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub(crate) bytes: Bytes,
    pub(crate) mime: String,
    pub(crate) sha256: String,
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

/// Everything the handlers share with [`FakeGraph`].
pub(crate) struct GraphState {
    pub(crate) base_url: String,
    inner: Mutex<GraphInner>,
    pub(crate) requests: AtomicUsize,
    seq: AtomicU64,
    sent_count: watch::Sender<usize>,
    live: broadcast::Sender<SentMessage>,
}

#[derive(Default)]
pub(crate) struct GraphInner {
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) always: Option<Fault>,
    pub(crate) delay: Duration,
    pub(crate) media: HashMap<String, Media>,
    sent: Vec<SentMessage>,
    reads: Vec<ReadReceipt>,
}

impl GraphState {
    fn new(base_url: String) -> Self {
        Self {
            base_url,
            inner: Mutex::new(GraphInner::default()),
            requests: AtomicUsize::new(0),
            seq: AtomicU64::new(1),
            sent_count: watch::Sender::new(0),
            live: broadcast::Sender::new(LIVE_BUFFER),
        }
    }

    /// A panic in one handler must not take the fake down for everyone else.
    pub(crate) fn lock(&self) -> MutexGuard<'_, GraphInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh, unique message id.
    pub(crate) fn next_wamid(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        format!(
            "wamid.FAKE{n:08}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )
    }

    /// The fault the next send to `to` must answer with, consuming one use of it.
    pub(crate) fn take_fault(&self, to: Option<&str>) -> Option<Fault> {
        let mut inner = self.lock();
        if let Some(pos) = inner.faults.iter().position(|f| f.matches(to)) {
            let fault = inner.faults.get_mut(pos)?;
            fault.times = fault.times.saturating_sub(1);
            let taken = fault.clone();
            if taken.times == 0 {
                inner.faults.remove(pos);
            }
            return Some(taken);
        }
        inner.always.clone()
    }

    pub(crate) fn record_sent(&self, message: SentMessage) {
        let mut inner = self.lock();
        inner.sent.push(message.clone());
        self.sent_count.send_replace(inner.sent.len());
        drop(inner);
        // Nobody watching live is fine.
        let _ = self.live.send(message);
    }

    pub(crate) fn record_read(&self, receipt: ReadReceipt) {
        self.lock().reads.push(receipt);
    }
}
