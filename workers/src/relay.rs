//! Outbox relay: publishes committed outbox rows with confirms, then marks them. Several relays can
//! run (`FOR UPDATE SKIP LOCKED`); woken by LISTEN/NOTIFY with a polling fallback. A crash between
//! publish and mark republishes the rows; consumers drop those duplicates by message id.
//!
//! One bad row doesn't stop the others. A publish that fails because of the row (no queue routes
//! its topic) is counted against it, retried with back-off and parked after `ROW_MAX_ATTEMPTS`; a
//! full queue (nack) holds its rows back briefly without counting; a broker that is down, silent or
//! failing (`PublishError::is_unavailable`) counts nothing and the relay backs off.

use crate::Fleet;
use futures::future::join_all;
use infra::bus::PublishError;
use infra::failpoint;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::outbox;
use infra::store::parking::{self, Failure, Loop};
use sqlx::postgres::PgListener;
use std::time::Duration;
use uuid::Uuid;

const BATCH: i64 = 200;

/// How long rows wait when their queue refused them (full): not an attempt, just patience.
pub const QUEUE_FULL_WAIT: Duration = Duration::from_secs(5);

/// The result of one relay pass.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    /// Rows were handled: `published` confirmed; `failed` recorded against their rows (of which
    /// `parked` now wait for a person); `held` refused by a full queue and held back.
    Worked {
        published: usize,
        failed: usize,
        parked: usize,
        held: usize,
    },
    Empty,
}

/// What one publish result means for its row.
enum Verdict {
    Published,
    /// The queue is full: hold the row back, count nothing.
    Held,
    /// The row's own failure: counted, retried with back-off, parked eventually.
    Failed(String),
    /// The broker is down, silent or failing: count nothing, end the pass and back off.
    Outage(String),
}

fn verdict(result: Result<(), PublishError>) -> Verdict {
    match result {
        Ok(()) => Verdict::Published,
        Err(PublishError::Nacked) => Verdict::Held,
        Err(e) if e.is_unavailable() => Verdict::Outage(e.to_string()),
        Err(e) => Verdict::Failed(e.to_string()),
    }
}

/// Claims a batch, publishes every row (confirms awaited together), marks the published ones and
/// records the failures in the same transaction, commits. `Err` when the database or the broker
/// is unavailable (nothing is counted against any row).
pub async fn relay_once(fleet: &Fleet) -> anyhow::Result<Pass> {
    let mut tx = fleet.pool.begin().await?;
    let rows = outbox::claim(&mut tx, BATCH).await?;
    if rows.is_empty() {
        return Ok(Pass::Empty);
    }
    let results = join_all(rows.iter().map(|r| {
        let out = r.to_outgoing();
        let bus = fleet.bus.clone();
        async move { bus.publish(&r.topic, &out).await }
    }))
    .await;
    let mut done = Vec::with_capacity(rows.len());
    let mut held: Vec<Uuid> = Vec::new();
    let mut failed: Vec<(Uuid, String)> = Vec::new();
    let mut outage = None;
    let now = chrono::Utc::now();
    for (row, res) in rows.iter().zip(results) {
        match verdict(res) {
            Verdict::Published => {
                done.push(row.id);
                let lag = (now - row.created_at).num_milliseconds().max(0) as f64 / 1000.0;
                metrics().outbox_lag_seconds.observe(lag);
            }
            Verdict::Held => held.push(row.id),
            Verdict::Failed(e) => failed.push((row.id, e)),
            Verdict::Outage(e) => outage = Some(e),
        }
    }
    failpoint::hit("relay.after_publish");
    outbox::mark_published(&mut tx, &done).await?;
    if !held.is_empty() {
        outbox::defer(
            &mut tx,
            &held,
            QUEUE_FULL_WAIT,
            "queue full (publish refused)",
        )
        .await?;
    }
    let mut recorded = Vec::with_capacity(failed.len());
    for (id, error) in &failed {
        tracing::warn!(row_id = %id, %error, "outbox row not published; the others go on");
        recorded.push(
            parking::record_failure(&mut tx, Loop::Outbox, *id, error, &fleet.cfg.parking).await?,
        );
    }
    tx.commit().await?;
    metrics().outbox_published.inc_by(done.len() as u64);
    for f in &recorded {
        parking::count(Loop::Outbox, f);
    }
    if let Some(e) = outage {
        anyhow::bail!(
            "broker unavailable ({e}); {} of {} rows published",
            done.len(),
            rows.len()
        );
    }
    Ok(Pass::Worked {
        published: done.len(),
        failed: failed.len(),
        parked: recorded
            .iter()
            .filter(|f| matches!(f, Failure::Parked { .. }))
            .count(),
        held: held.len(),
    })
}

/// Runs until shutdown.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let mut listener = connect_listener(&fleet).await;
    let poll = fleet.cfg.outbox_poll;
    let mut failures = 0u32;
    while !shutdown.is_triggered() {
        if !fleet.bus.is_connected() {
            tokio::select! {
                _ = fleet.bus.wait_connected(Duration::from_secs(5)) => {}
                _ = shutdown.wait() => break,
            }
            continue;
        }
        match relay_once(&fleet).await {
            // Rows that failed or were held are out of the next claim until their time comes, so
            // going again at once cannot spin on them.
            Ok(Pass::Worked { .. }) => {
                failures = 0;
                continue;
            }
            Ok(Pass::Empty) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "relay pass failed");
                let delay = infra::bus::connection::backoff_delay(failures);
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.wait() => break,
                }
                continue;
            }
        }
        // Idle: wait for a NOTIFY, the poll interval, or shutdown.
        match listener.as_mut() {
            Some(l) => {
                tokio::select! {
                    n = l.recv() => if let Err(e) = n {
                        tracing::warn!(error = %e, "outbox LISTEN connection lost; polling until it is back");
                        listener = None;
                    },
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.wait() => break,
                }
            }
            None => {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.wait() => break,
                }
                listener = connect_listener(&fleet).await;
            }
        }
    }
    tracing::info!("relay stopped");
}

async fn connect_listener(fleet: &Fleet) -> Option<PgListener> {
    outbox::listen(&fleet.pool).await.ok()
}
