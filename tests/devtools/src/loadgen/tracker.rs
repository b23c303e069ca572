//! Matching the bot's replies (as the fake Graph API received them) to the simulated clients.
//!
//! A reply is matched by recipient, then by its visible text against the turns that client has
//! sent and whose replies are still outstanding. A reply whose text was already matched is a
//! duplicate; one that matches nothing at all is counted as unexpected (or, when the client still
//! waits for a reply with a different text, as a text mismatch and accepted).

use super::report::SendRate;
use super::script::Plan;
use fakes::SentMessage;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// One turn of one client as it happens.
#[derive(Debug)]
struct Turn {
    sent_at: Option<Instant>,
    acknowledged: bool,
    /// Expected reply texts and, once matched, when they arrived.
    replies: Vec<(String, Option<Instant>)>,
}

impl Turn {
    fn pending(&self) -> usize {
        self.replies.iter().filter(|(_, at)| at.is_none()).count()
    }
}

#[derive(Debug)]
struct ClientTrack {
    turns: Vec<Turn>,
    done: Arc<Notify>,
}

/// Counters the collector keeps.
#[derive(Debug, Default, Clone)]
pub struct ReplyCounts {
    pub matched: u64,
    pub duplicates: u64,
    pub text_mismatches: u64,
    pub unexpected: u64,
    pub artist_received: u64,
    pub unknown_recipient: u64,
}

/// Messages the fake accepted from one sending number, and when the first and last came.
#[derive(Debug, Clone, Copy)]
struct SendWindow {
    messages: u64,
    first: Instant,
    last: Instant,
}

struct Inner {
    clients: Vec<ClientTrack>,
    by_wa_id: HashMap<String, usize>,
    counts: ReplyCounts,
    latencies_us: Vec<u64>,
    seen_wamids: std::collections::HashSet<String>,
    /// Every accepted message, client's or artist's, by sending number.
    sends: HashMap<String, SendWindow>,
}

/// Shared between the driver (who records sends) and the collector (who records replies).
#[derive(Clone)]
pub struct Tracker {
    inner: Arc<Mutex<Inner>>,
    artist_wa_ids: Arc<std::collections::HashSet<String>>,
    ready: mpsc::UnboundedSender<usize>,
}

/// What the driver learns when it sends a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnState {
    /// Every expected reply arrived.
    Complete,
    Waiting,
}

impl Tracker {
    /// A tracker for `plans` (one per client, index = client number). Completed turns are
    /// announced on the returned receiver (client index).
    pub fn new(
        wa_ids: &[String],
        plans: &[Arc<Plan>],
        artist_wa_ids: Vec<String>,
    ) -> (Tracker, mpsc::UnboundedReceiver<usize>) {
        let clients = plans
            .iter()
            .map(|p| ClientTrack {
                turns: p
                    .turns
                    .iter()
                    .map(|t| Turn {
                        sent_at: None,
                        acknowledged: false,
                        replies: t.client_replies.iter().map(|r| (r.clone(), None)).collect(),
                    })
                    .collect(),
                done: Arc::new(Notify::new()),
            })
            .collect();
        let by_wa_id = wa_ids
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i))
            .collect();
        let (ready, rx) = mpsc::unbounded_channel();
        let inner = Inner {
            clients,
            by_wa_id,
            counts: ReplyCounts::default(),
            latencies_us: Vec::new(),
            seen_wamids: Default::default(),
            sends: HashMap::new(),
        };
        (
            Tracker {
                inner: Arc::new(Mutex::new(inner)),
                artist_wa_ids: Arc::new(artist_wa_ids.into_iter().collect()),
                ready,
            },
            rx,
        )
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The notifier a closed-loop client waits on.
    pub fn done_signal(&self, client: usize) -> Option<Arc<Notify>> {
        self.lock().clients.get(client).map(|c| c.done.clone())
    }

    /// Records that turn `k` of `client` is about to be posted (latency starts here).
    pub fn mark_sent(&self, client: usize, k: usize, at: Instant) {
        if let Some(t) = self
            .lock()
            .clients
            .get_mut(client)
            .and_then(|c| c.turns.get_mut(k))
        {
            t.sent_at = Some(at);
        }
    }

    /// Records the ingress's 200 for turn `k`; tells whether its replies are all in already.
    pub fn mark_acknowledged(&self, client: usize, k: usize) -> TurnState {
        let mut g = self.lock();
        match g.clients.get_mut(client).and_then(|c| c.turns.get_mut(k)) {
            Some(t) => {
                t.acknowledged = true;
                if t.pending() == 0 {
                    TurnState::Complete
                } else {
                    TurnState::Waiting
                }
            }
            None => TurnState::Complete,
        }
    }

    /// Clients whose every turn was acknowledged and got all its replies (or, with `replies`
    /// false, was acknowledged).
    pub fn finished_clients(&self, replies: bool) -> usize {
        self.lock()
            .clients
            .iter()
            .filter(|c| {
                c.turns
                    .iter()
                    .all(|t| t.acknowledged && (!replies || t.pending() == 0))
            })
            .count()
    }

    /// Messages expected at the artist's number for acknowledged turns.
    pub fn artist_expected(&self, plans: &[Arc<Plan>]) -> u64 {
        let g = self.lock();
        g.clients
            .iter()
            .zip(plans)
            .map(|(c, p)| {
                c.turns
                    .iter()
                    .zip(&p.turns)
                    .filter(|(t, _)| t.acknowledged)
                    .map(|(_, pt)| pt.artist_replies as u64)
                    .sum::<u64>()
            })
            .sum()
    }

    /// Whether turn `k` of `client` has all its replies.
    pub fn is_complete(&self, client: usize, k: usize) -> bool {
        self.lock()
            .clients
            .get(client)
            .and_then(|c| c.turns.get(k))
            .is_none_or(|t| t.pending() == 0)
    }

    /// Takes one message the fake accepted. Returns false when it was seen before (by wamid).
    pub fn record_reply(&self, msg: &SentMessage) -> bool {
        let mut g = self.lock();
        if !g.seen_wamids.insert(msg.wamid.clone()) {
            return false;
        }
        let at = msg.received_at;
        g.sends
            .entry(msg.phone_number_id.clone())
            .and_modify(|w| {
                w.messages += 1;
                w.first = w.first.min(at);
                w.last = w.last.max(at);
            })
            .or_insert(SendWindow {
                messages: 1,
                first: at,
                last: at,
            });
        let to = msg.to.trim_start_matches('+');
        if self.artist_wa_ids.contains(to) {
            g.counts.artist_received += 1;
            return true;
        }
        let Some(&idx) = g.by_wa_id.get(to) else {
            g.counts.unknown_recipient += 1;
            return true;
        };
        let text = msg.text().unwrap_or_default().to_owned();
        let received = msg.received_at;
        let inner = &mut *g;
        let Some(client) = inner.clients.get_mut(idx) else {
            return true;
        };
        let sent_turns = || client_sent_turns(&client.turns);
        // 1. The earliest sent turn still waiting for exactly this text.
        let exact = sent_turns().into_iter().find_map(|k| {
            client.turns.get(k).and_then(|t| {
                t.replies
                    .iter()
                    .position(|(r, at)| at.is_none() && *r == text)
                    .map(|i| (k, i))
            })
        });
        let slot = match exact {
            Some(s) => Some(s),
            None => {
                let already = client
                    .turns
                    .iter()
                    .any(|t| t.replies.iter().any(|(r, at)| at.is_some() && *r == text));
                if already {
                    inner.counts.duplicates += 1;
                    return true;
                }
                // 2. A different text than predicted, while the client still waits for a reply.
                let loose = sent_turns().into_iter().find_map(|k| {
                    client.turns.get(k).and_then(|t| {
                        t.replies
                            .iter()
                            .position(|(_, at)| at.is_none())
                            .map(|i| (k, i))
                    })
                });
                if loose.is_some() {
                    inner.counts.text_mismatches += 1;
                }
                loose
            }
        };
        let Some((k, i)) = slot else {
            inner.counts.unexpected += 1;
            return true;
        };
        let Some(turn) = client.turns.get_mut(k) else {
            return true;
        };
        if let Some(r) = turn.replies.get_mut(i) {
            r.1 = Some(received);
        }
        inner.counts.matched += 1;
        if let Some(sent) = turn.sent_at {
            let us = received.saturating_duration_since(sent).as_micros();
            inner
                .latencies_us
                .push(u64::try_from(us).unwrap_or(u64::MAX));
        }
        // The driver learns of a turn completed before its 200 from `mark_acknowledged`.
        if turn.pending() == 0 && turn.acknowledged {
            client.done.notify_one();
            let _ = self.ready.send(idx);
        }
        true
    }

    /// Replies expected for acknowledged turns, and how many of them have not arrived.
    pub fn expected_and_missing(&self) -> (u64, u64) {
        let g = self.lock();
        let mut expected = 0u64;
        let mut missing = 0u64;
        for c in &g.clients {
            for t in c.turns.iter().filter(|t| t.acknowledged) {
                expected += t.replies.len() as u64;
                missing += t.pending() as u64;
            }
        }
        (expected, missing)
    }

    /// Acknowledged turns still waiting for replies.
    pub fn outstanding_turns(&self) -> usize {
        self.lock()
            .clients
            .iter()
            .flat_map(|c| c.turns.iter())
            .filter(|t| t.acknowledged && t.pending() > 0)
            .count()
    }

    /// The rate of every sending number from its first to its last accepted message, busiest first.
    pub fn send_rates(&self) -> Vec<SendRate> {
        let mut rates: Vec<SendRate> = self
            .lock()
            .sends
            .iter()
            .map(|(number, w)| {
                let seconds = w.last.saturating_duration_since(w.first).as_secs_f64();
                SendRate {
                    phone_number_id: number.clone(),
                    messages: w.messages,
                    seconds,
                    // n messages span n - 1 intervals.
                    per_s: if seconds > 0.0 {
                        w.messages.saturating_sub(1) as f64 / seconds
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        rates.sort_by_key(|r| std::cmp::Reverse(r.messages));
        rates
    }

    pub fn counts(&self) -> ReplyCounts {
        self.lock().counts.clone()
    }

    /// Every reply latency so far, in microseconds (unsorted).
    pub fn latencies_us(&self) -> Vec<u64> {
        self.lock().latencies_us.clone()
    }

    /// The latest `n` latencies (for the live p99).
    pub fn recent_latencies(&self, n: usize) -> Vec<u64> {
        let g = self.lock();
        let from = g.latencies_us.len().saturating_sub(n);
        g.latencies_us
            .get(from..)
            .map(<[u64]>::to_vec)
            .unwrap_or_default()
    }
}

fn client_sent_turns(turns: &[Turn]) -> Vec<usize> {
    turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.sent_at.is_some())
        .map(|(k, _)| k)
        .collect()
}

/// Runs until `stop`: feeds every message the fake accepts into the tracker. If the live feed
/// lags (more than the fake's buffer behind), catches up from the fake's full record.
pub async fn collect(
    graph_live: tokio::sync::broadcast::Receiver<SentMessage>,
    snapshot: impl Fn() -> Vec<SentMessage>,
    tracker: Tracker,
    stop: tokio_util::sync::CancellationToken,
) -> u64 {
    use tokio::sync::broadcast::error::RecvError;
    let mut live = graph_live;
    let mut lagged = 0u64;
    loop {
        tokio::select! {
            m = live.recv() => match m {
                Ok(msg) => { tracker.record_reply(&msg); }
                Err(RecvError::Lagged(n)) => {
                    lagged += n;
                    for msg in snapshot() {
                        tracker.record_reply(&msg);
                    }
                }
                Err(RecvError::Closed) => break,
            },
            _ = stop.cancelled() => break,
        }
    }
    // Whatever is still buffered, then a final sweep of the full record.
    while let Ok(msg) = live.try_recv() {
        tracker.record_reply(&msg);
    }
    for msg in snapshot() {
        tracker.record_reply(&msg);
    }
    lagged
}

/// p-th percentile (0..=100) of sorted microsecond values, in milliseconds.
pub fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64)).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    sorted.get(idx).map(|us| *us as f64 / 1000.0).unwrap_or(0.0)
}

/// How long a closed-loop client waits for its turn's replies.
pub async fn wait_turn(
    done: &Notify,
    tracker: &Tracker,
    client: usize,
    k: usize,
    timeout: Duration,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if tracker.is_complete(client, k) {
            return true;
        }
        match tokio::time::timeout_at(deadline, done.notified()).await {
            Ok(()) => {}
            Err(_) => return tracker.is_complete(client, k),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::loadgen::script::PlannedTurn;

    fn sent(to: &str, text: &str, wamid: &str) -> SentMessage {
        SentMessage {
            wamid: wamid.into(),
            phone_number_id: "1".into(),
            to: to.into(),
            kind: "text".into(),
            body: serde_json::json!({"type": "text", "text": {"body": text}}),
            token: "t".into(),
            received_at: Instant::now(),
            at: chrono::Utc::now(),
        }
    }

    #[test]
    fn matches_by_text_counts_duplicates_and_unexpected() {
        let plan = Arc::new(Plan {
            turns: vec![
                PlannedTurn {
                    text: "hi",
                    client_replies: vec!["a".into(), "b".into()],
                    artist_replies: 0,
                },
                PlannedTurn {
                    text: "x",
                    client_replies: vec!["c".into()],
                    artist_replies: 0,
                },
            ],
            final_status: "QUALIFYING".into(),
        });
        let (t, mut ready) = Tracker::new(&["111".into()], &[plan], vec!["999".into()]);
        t.mark_sent(0, 0, Instant::now());
        assert_eq!(t.mark_acknowledged(0, 0), TurnState::Waiting);
        t.record_reply(&sent("111", "b", "w1"));
        assert!(!t.is_complete(0, 0));
        t.record_reply(&sent("111", "a", "w2"));
        assert!(t.is_complete(0, 0));
        assert_eq!(ready.try_recv().unwrap(), 0);
        t.record_reply(&sent("111", "a", "w3"));
        assert!(
            !t.record_reply(&sent("111", "a", "w3")),
            "same wamid twice is one message"
        );
        t.record_reply(&sent("999", "new request", "w4"));
        t.record_reply(&sent("222", "?", "w5"));
        t.record_reply(&sent("111", "zzz", "w6"));
        let c = t.counts();
        assert_eq!(
            (
                c.matched,
                c.duplicates,
                c.unexpected,
                c.artist_received,
                c.unknown_recipient
            ),
            (2, 1, 1, 1, 1)
        );
        assert_eq!(t.expected_and_missing(), (2, 0));
        assert_eq!(t.latencies_us().len(), 2);
        let rates = t.send_rates();
        assert_eq!(rates.len(), 1, "one sending number");
        assert_eq!(
            rates[0].messages, 6,
            "every accepted message once, the artist's included"
        );
    }

    #[test]
    fn percentiles() {
        let v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        assert_eq!(percentile_ms(&v, 50.0), 50.0);
        assert_eq!(percentile_ms(&v, 99.0), 99.0);
        assert_eq!(percentile_ms(&v, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}
