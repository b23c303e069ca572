//! What the fake Graph API records and serves, shared by [`super::graph::FakeGraph`] and the
//! HTTP handlers in `graph_routes.rs`: sent messages, read receipts, media, scripted faults.

use super::graph_faults::Fault;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};

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

/// A media object served by `GET /{version}/{media_id}` and `GET /media-bytes/{media_id}`.
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub(crate) bytes: Bytes,
    pub(crate) mime: String,
    pub(crate) sha256: String,
}

/// Everything the handlers share with [`FakeGraph`].
pub(crate) struct GraphState {
    pub(crate) base_url: String,
    pub(crate) inner: Mutex<GraphInner>,
    pub(crate) requests: AtomicUsize,
    pub(crate) seq: AtomicU64,
    pub(crate) sent_count: watch::Sender<usize>,
    pub(crate) live: broadcast::Sender<SentMessage>,
}

#[derive(Default)]
pub(crate) struct GraphInner {
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) always: Option<Fault>,
    pub(crate) delay: Duration,
    pub(crate) media: HashMap<String, Media>,
    pub(crate) sent: Vec<SentMessage>,
    pub(crate) reads: Vec<ReadReceipt>,
}

impl GraphState {
    pub(crate) fn new(base_url: String) -> Self {
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
