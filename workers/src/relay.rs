//! Outbox relay: publishes committed outbox rows with confirms, then marks them. Several relays can
//! run (`FOR UPDATE SKIP LOCKED`); woken by LISTEN/NOTIFY with a polling fallback. A crash between
//! publish and mark republishes the rows; consumers drop those duplicates by message id.

use crate::Fleet;
use futures::future::join_all;
use shared::failpoint;
use shared::metrics::metrics;
use shared::shutdown::Shutdown;
use shared::store::outbox;
use sqlx::postgres::PgListener;
use std::time::Duration;

const BATCH: i64 = 200;

/// The result of one relay pass.
#[derive(Debug, PartialEq, Eq)]
pub enum Pass {
    Published(usize),
    Empty,
}

/// Claims a batch, publishes every row (confirms awaited together), marks them, commits.
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
    let mut failed = Vec::new();
    let now = chrono::Utc::now();
    for (row, res) in rows.iter().zip(results) {
        match res {
            Ok(()) => {
                done.push(row.id);
                let lag = (now - row.created_at).num_milliseconds().max(0) as f64 / 1000.0;
                metrics().outbox_lag_seconds.observe(lag);
            }
            Err(e) => failed.push((row.id, e.to_string())),
        }
    }
    failpoint::hit("relay.after_publish");
    outbox::mark_published(&mut tx, &done).await?;
    tx.commit().await?;
    metrics().outbox_published.inc_by(done.len() as u64);
    if let Some((_, err)) = failed.first() {
        let ids: Vec<_> = failed.iter().map(|(id, _)| *id).collect();
        let _ = outbox::mark_failed(&fleet.pool, &ids, err).await;
        anyhow::bail!("{} outbox rows not published: {err}", failed.len());
    }
    Ok(Pass::Published(done.len()))
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
            Ok(Pass::Published(_)) => {
                failures = 0;
                continue;
            }
            Ok(Pass::Empty) => failures = 0,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "relay pass failed");
                let delay = shared::bus::connection::backoff_delay(failures);
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
    let mut l = PgListener::connect_with(&fleet.pool).await.ok()?;
    l.listen("inkline_outbox").await.ok()?;
    Some(l)
}
