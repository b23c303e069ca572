//! Retention, run by the reminders role every `RETENTION_INTERVAL_MS`: finished rows older than
//! their `RETENTION_*_DAYS` are deleted in batches of `RETENTION_BATCH` (SQL and the list of
//! tables in `infra::store::retention`). Safe with any number of replicas: batches skip rows
//! another replica holds.

use crate::Fleet;
use infra::config::RetentionConfig;
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::retention::{self, Table};
use sqlx::PgPool;

/// Rows deleted per table by one run.
pub type Deleted = Vec<(Table, u64)>;

/// Deletes everything that is past its age, table after table, batch after batch, until a batch
/// comes back short or shutdown is triggered.
pub async fn run_once(
    pool: &PgPool,
    cfg: &RetentionConfig,
    shutdown: &Shutdown,
) -> Result<Deleted, sqlx::Error> {
    let mut deleted = Vec::new();
    for table in Table::ALL {
        let Some(age) = table.age(cfg) else { continue };
        let mut total = 0u64;
        while !shutdown.is_triggered() {
            let n = retention::delete_batch(pool, table, age, cfg.batch).await?;
            total += n;
            metrics()
                .retention_deleted
                .with_label_values(&[table.as_str()])
                .inc_by(n);
            if n < cfg.batch.unsigned_abs() {
                break;
            }
            // Let the role's other work (and other queries on the pool) in between batches.
            tokio::task::yield_now().await;
        }
        deleted.push((table, total));
    }
    Ok(deleted)
}

/// Runs retention now and then every `RETENTION_INTERVAL_MS` until shutdown.
pub async fn run(fleet: &Fleet, shutdown: &Shutdown) {
    let cfg = &fleet.cfg.retention;
    while !shutdown.is_triggered() {
        match run_once(&fleet.pool, cfg, shutdown).await {
            Ok(deleted) => {
                let total: u64 = deleted.iter().map(|(_, n)| n).sum();
                if total > 0 {
                    let per_table: Vec<String> =
                        deleted.iter().map(|(t, n)| format!("{t}={n}")).collect();
                    tracing::info!(total, tables = %per_table.join(" "), "retention deleted old rows");
                }
            }
            // The next run starts where this one stopped.
            Err(e) => tracing::warn!(error = %e, "retention run stopped; next run retries"),
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.interval) => {}
            _ = shutdown.wait() => break,
        }
    }
}
