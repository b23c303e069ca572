//! Driving the clients: presigned webhook posts (with Meta-like retries), open-loop pacing at a
//! fixed rate or closed-loop concurrency, and the final tally.

use super::config::{Config, Pacing};
use super::http1::{self, PostError};
use super::presign::{self, Presigned};
use super::report::{Latency, Summary};
use super::script::{Plan, plan};
use super::tracker::{self, Tracker, TurnState};
use fakes::FakeGraph;
use inkline_core::domain::ArtistConfig;
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

/// In-flight HTTP posts at most (open loop), so a stalled ingress cannot grow memory unbounded.
const MAX_IN_FLIGHT: usize = 4096;

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    attempts: AtomicU64,
    unacknowledged: AtomicU64,
    started: AtomicUsize,
    abandoned_closed: AtomicUsize,
    errors: Mutex<BTreeMap<String, u64>>,
    ack_us: Mutex<Vec<u64>>,
}

impl Counters {
    fn error(&self, kind: String) {
        *self
            .errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(kind)
            .or_insert(0) += 1;
    }
}

/// Everything a send needs; cheap to clone into tasks.
#[derive(Clone)]
struct Ctx {
    cfg: Arc<Config>,
    http: Arc<http1::Client>,
    plans: Arc<Vec<Arc<Plan>>>,
    /// Every webhook the run can send, signed before the clock started.
    webhooks: Arc<Presigned>,
    tracker: Tracker,
    counters: Arc<Counters>,
    ready: mpsc::UnboundedSender<usize>,
    stop: CancellationToken,
}

/// The webhook URL for an ingress base URL (or the full webhook URL as given).
pub fn webhook_url(ingress: &str) -> String {
    let trimmed = ingress.trim_end_matches('/');
    if trimmed.ends_with("/webhooks/whatsapp") {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/webhooks/whatsapp")
    }
}

impl Ctx {
    /// Posts turn `k` of `client`, retrying like Meta does on non-200 (bounded). True once acked.
    async fn send_turn(&self, client: usize, k: usize) -> bool {
        let Some(webhook) = self.webhooks.get(client, k) else {
            // Not reachable by construction (see `presign::reachable_clients`); said if it happens.
            self.counters.error("not_presigned".to_owned());
            return false;
        };
        self.counters.sent.fetch_add(1, Ordering::Relaxed);
        self.tracker.mark_sent(client, k, Instant::now());
        for attempt in 0..self.cfg.max_attempts {
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let t0 = Instant::now();
            let res = self.http.post(&webhook.request).await;
            let retryable = match res {
                Ok(200) => {
                    let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                    self.counters
                        .ack_us
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(us);
                    self.counters.acknowledged.fetch_add(1, Ordering::Relaxed);
                    if self.tracker.mark_acknowledged(client, k) == TurnState::Complete
                        || !self.cfg.expect_replies
                    {
                        let _ = self.ready.send(client);
                    }
                    return true;
                }
                Ok(code) => {
                    self.counters.error(format!("http_{code}"));
                    code == 429 || code >= 500
                }
                Err(e) => {
                    let kind = match e {
                        PostError::Timeout => "timeout",
                        PostError::Connect(_) => "connect",
                        PostError::Transport(_) | PostError::Malformed(_) => "transport",
                    };
                    self.counters.error(kind.to_owned());
                    true
                }
            };
            if !retryable || attempt + 1 >= self.cfg.max_attempts {
                break;
            }
            // Meta backs off between attempts; so do we (bounded, and cut short by a stop).
            let delay = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(4)))
                .min(Duration::from_secs(3));
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.stop.cancelled() => break,
            }
        }
        self.counters.unacknowledged.fetch_add(1, Ordering::Relaxed);
        false
    }
}

/// Runs the clients against `ingress` (base URL), with replies arriving at `graph`.
pub async fn drive(
    cfg: &Config,
    ingress: &str,
    graph: &FakeGraph,
    artists: &[ArtistConfig],
) -> anyhow::Result<Summary> {
    let Some(artist) = artists.first() else {
        anyhow::bail!("no artist to talk to");
    };
    let base = super::script::base_time();
    // Every client plays the same script; plan it once.
    let one = Arc::new(plan(artist, "Load Client", cfg.messages_per_client, base));
    let plans: Vec<Arc<Plan>> = (0..cfg.clients).map(|_| one.clone()).collect();
    let wa_ids: Vec<String> = (0..cfg.clients).map(|c| cfg.wa_id(c)).collect();
    let notify: Vec<String> = artists
        .iter()
        .filter_map(|a| a.artist_wa_id.clone())
        .collect();
    let (tracker, completed) = Tracker::new(&wa_ids, &plans, notify);
    // Artist 0 answers on the configured number; the others on their own.
    let numbers: Vec<String> = artists
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                cfg.phone_number_id.clone()
            } else {
                a.phone_number_id.clone()
            }
        })
        .collect();
    let target = http1::Target::parse(&webhook_url(ingress)).map_err(|e| anyhow::anyhow!(e))?;
    // Built before the clock starts (and before any connection is made).
    let webhooks = Presigned::build(&presign::Inputs {
        cfg,
        plans: &plans,
        wa_ids: &wa_ids,
        numbers: &numbers,
        base,
        target: &target,
    });
    if cfg.progress {
        eprintln!(
            "loadgen: {} webhooks signed in {:.1} s",
            webhooks.len(),
            webhooks.took.as_secs_f64()
        );
    }
    let started = Instant::now();
    let http = Arc::new(http1::Client::new(
        target,
        Duration::from_secs(10),
        Duration::from_secs(3),
    ));
    let (ready_tx, from_ack) = mpsc::unbounded_channel();
    let ctx = Ctx {
        cfg: Arc::new(cfg.clone()),
        http,
        plans: Arc::new(plans),
        webhooks: Arc::new(webhooks),
        tracker: tracker.clone(),
        counters: Arc::new(Counters::default()),
        ready: ready_tx,
        stop: CancellationToken::new(),
    };
    let stop_collect = CancellationToken::new();
    let collector = tracker::collect(
        graph.subscribe(),
        || graph.sent(),
        tracker.clone(),
        stop_collect.clone(),
    );
    let progress = spawn_progress(cfg.progress, ctx.clone(), started);
    let storms = async {
        let mut storms = cfg.storms.clone();
        storms.sort_by_key(|s| s.at);
        for s in storms {
            tokio::select! {
                _ = tokio::time::sleep_until(tokio::time::Instant::from_std(started + s.at)) => {}
                _ = stop_collect.cancelled() => return,
            }
            graph.inject(fakes::Fault::new(s.http_status, s.code()).times(s.count));
            if cfg.progress {
                eprintln!(
                    "\nloadgen: storm: the next {} sends answer {}",
                    s.count, s.http_status
                );
            }
        }
    };

    let main = async {
        let send_started = Instant::now();
        let deadline = tokio::time::Instant::now() + cfg.duration;
        let stalled = match cfg.pacing {
            Pacing::Concurrency(c) => {
                closed_loop(&ctx, c, deadline).await;
                0
            }
            Pacing::Rate(r) => open_loop(&ctx, r, deadline, completed, from_ack).await,
        };
        let send_seconds = send_started.elapsed().as_secs_f64();
        // Drain: wait for the replies still on their way, bounded.
        if cfg.expect_replies {
            let drain_deadline = Instant::now() + cfg.drain;
            while tracker.outstanding_turns() > 0 && Instant::now() < drain_deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // Late duplicates show up a little after the last expected reply.
            tokio::time::sleep(Duration::from_millis(300).min(cfg.drain)).await;
        }
        ctx.stop.cancel();
        stop_collect.cancel();
        (stalled, send_seconds)
    };
    let (lagged, (stalled, send_seconds), ()) = tokio::join!(collector, main, storms);
    if let Some(p) = progress {
        p.abort();
        eprintln!();
    }

    let counts = tracker.counts();
    let (expected, missing) = if cfg.expect_replies {
        tracker.expected_and_missing()
    } else {
        (0, 0)
    };
    let c = &ctx.counters;
    let acknowledged = c.acknowledged.load(Ordering::Relaxed);
    let started_clients = c.started.load(Ordering::Relaxed);
    let finished = tracker.finished_clients(cfg.expect_replies);
    let ack_us = std::mem::take(&mut *c.ack_us.lock().unwrap_or_else(PoisonError::into_inner));
    let errors = c
        .errors
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let total_seconds = started.elapsed().as_secs_f64();
    let (target_rate, concurrency) = match cfg.pacing {
        Pacing::Rate(r) => (Some(r), None),
        Pacing::Concurrency(n) => (None, Some(n)),
    };
    Ok(Summary {
        mode: if target_rate.is_some() {
            "open".into()
        } else {
            "closed".into()
        },
        target_rate,
        concurrency,
        clients_planned: cfg.clients,
        clients_started: started_clients,
        clients_finished: finished,
        clients_abandoned: started_clients.saturating_sub(finished),
        sent: c.sent.load(Ordering::Relaxed),
        acknowledged,
        attempts: c.attempts.load(Ordering::Relaxed),
        unacknowledged: c.unacknowledged.load(Ordering::Relaxed),
        replies_expected: expected,
        replies_received: counts.matched,
        missing,
        duplicates: counts.duplicates,
        unexpected: counts.unexpected,
        text_mismatches: counts.text_mismatches,
        artist_replies_expected: if cfg.expect_replies {
            tracker.artist_expected(&ctx.plans)
        } else {
            0
        },
        artist_replies_received: counts.artist_received,
        unknown_recipient: counts.unknown_recipient,
        stalled_ticks: stalled,
        live_feed_lagged: lagged,
        send_seconds,
        total_seconds,
        throughput_per_s: if send_seconds > 0.0 {
            acknowledged as f64 / send_seconds
        } else {
            0.0
        },
        replies_per_s: if total_seconds > 0.0 {
            counts.matched as f64 / send_seconds.max(0.001)
        } else {
            0.0
        },
        send_rates: tracker.send_rates(),
        latency: Latency::from_us(tracker.latencies_us()),
        ack_latency: Latency::from_us(ack_us),
        errors,
        processes: Vec::new(),
        presigned: ctx.webhooks.len(),
        presign_seconds: ctx.webhooks.took.as_secs_f64(),
        seeded: None,
        graph_base_url: graph.base_url(),
        ingress_url: ingress.to_owned(),
    })
}

/// `concurrency` clients at a time, each playing its whole conversation turn by turn.
async fn closed_loop(ctx: &Ctx, concurrency: usize, deadline: tokio::time::Instant) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(ctx.cfg.clients) {
        let (ctx, next) = (ctx.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let client = next.fetch_add(1, Ordering::Relaxed);
                if client >= ctx.cfg.clients || tokio::time::Instant::now() >= deadline {
                    break;
                }
                ctx.counters.started.fetch_add(1, Ordering::Relaxed);
                let turns = ctx.plans.get(client).map_or(0, |p| p.turns.len());
                let Some(done) = ctx.tracker.done_signal(client) else {
                    break;
                };
                for k in 0..turns {
                    if tokio::time::Instant::now() >= deadline {
                        break;
                    }
                    if !ctx.send_turn(client, k).await {
                        break;
                    }
                    if ctx.cfg.expect_replies
                        && !tracker::wait_turn(
                            &done,
                            &ctx.tracker,
                            client,
                            k,
                            ctx.cfg.reply_timeout,
                        )
                        .await
                    {
                        ctx.counters
                            .abandoned_closed
                            .fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// A new message every 1/rate s to the next ready client (a client is ready when its previous
/// turn's replies are all in). Returns how many ticks found no ready client.
async fn open_loop(
    ctx: &Ctx,
    rate: f64,
    deadline: tokio::time::Instant,
    mut completed: mpsc::UnboundedReceiver<usize>,
    mut from_ack: mpsc::UnboundedReceiver<usize>,
) -> u64 {
    let turns_of = |c: usize| ctx.plans.get(c).map_or(0, |p| p.turns.len());
    let total: usize = (0..ctx.cfg.clients).map(turns_of).sum();
    let mut next_turn = vec![0usize; ctx.cfg.clients];
    let mut ready: VecDeque<usize> = VecDeque::new();
    let mut next_new = 0usize;
    let mut stalled = 0u64;
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = tokio::task::JoinSet::new();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut sent = 0usize;
    while sent < total {
        let due = start + interval.mul_f64(sent as f64);
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due).await;
        while let Ok(c) = completed.try_recv().or_else(|_| from_ack.try_recv()) {
            ready.push_back(c);
        }
        while tasks.try_join_next().is_some() {}
        // Continuing conversations first; a new client only when nobody is ready.
        let client = loop {
            if let Some(c) = ready.pop_front() {
                if next_turn.get(c).copied().unwrap_or(usize::MAX) < turns_of(c) {
                    break Some(c);
                }
                continue;
            }
            if next_new < ctx.cfg.clients {
                let c = next_new;
                next_new += 1;
                ctx.counters.started.fetch_add(1, Ordering::Relaxed);
                break Some(c);
            }
            stalled += 1;
            // Everyone is waiting for replies: wait for one (the schedule slips, and says so).
            let wait = tokio::time::sleep_until(
                deadline.min(tokio::time::Instant::now() + ctx.cfg.reply_timeout),
            );
            tokio::select! {
                Some(c) = completed.recv() => ready.push_back(c),
                Some(c) = from_ack.recv() => ready.push_back(c),
                _ = wait => break None,
            }
        };
        let Some(client) = client else { break };
        let Some(k) = next_turn.get_mut(client).map(|t| {
            *t += 1;
            *t - 1
        }) else {
            break;
        };
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let ctx2 = ctx.clone();
        tasks.spawn(async move {
            ctx2.send_turn(client, k).await;
            drop(permit);
        });
        sent += 1;
    }
    // Let the posts in flight finish (each is bounded by its attempts and timeouts).
    while tasks.join_next().await.is_some() {}
    stalled
}

/// A live status line on stderr, redrawn twice a second.
fn spawn_progress(
    enabled: bool,
    ctx: Ctx,
    started: Instant,
) -> Option<tokio::task::JoinHandle<()>> {
    if !enabled {
        return None;
    }
    let planned = ctx
        .plans
        .iter()
        .map(|p| p.turns.len())
        .sum::<usize>()
        .max(1);
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let c = &ctx.counters;
            let sent = c.sent.load(Ordering::Relaxed);
            let acked = c.acknowledged.load(Ordering::Relaxed);
            let counts = ctx.tracker.counts();
            let mut recent = ctx.tracker.recent_latencies(2000);
            recent.sort_unstable();
            let p99 = tracker::percentile_ms(&recent, 99.0);
            let elapsed = started.elapsed().as_secs_f64();
            let done = (sent as f64 / planned as f64).min(1.0);
            let width = 24usize;
            let filled = (done * width as f64) as usize;
            let bar: String = "#".repeat(filled) + &"-".repeat(width.saturating_sub(filled));
            let errors: u64 = c
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .sum();
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r[{bar}] {:>5.1}s sent {sent} acked {acked} replies {} dup {} p99 {p99:.0}ms errors {errors}   ",
                elapsed, counts.matched, counts.duplicates
            );
            let _ = err.flush();
        }
    }))
}
