//! `inkline parked list|retry`: rows the time-driven loops (reminders, the deposit-expiry sweep,
//! the outbox relay) parked after repeated failures (`infra::store::parking`), and putting them
//! back once the cause is fixed.

use super::pool;
use infra::store::parking::{self, Loop};
use uuid::Uuid;

/// Prints parked rows, newest first: one tab-separated line each, or JSON lines with `--json`.
pub async fn list(only: Option<Loop>, limit: i64, json: bool) -> anyhow::Result<()> {
    let rows = parking::list(&pool().await?, only, limit.max(1)).await?;
    for r in &rows {
        if json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            println!(
                "{}\t{}\t{}\t{}\t{} attempts\t{}\t{}",
                r.lp,
                r.id,
                r.what.as_deref().unwrap_or("-"),
                r.lead_id
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "-".into()),
                r.attempts,
                r.parked_at.to_rfc3339(),
                r.reason.as_deref().unwrap_or(""),
            );
        }
    }
    if rows.is_empty() && !json {
        eprintln!("nothing is parked");
    }
    Ok(())
}

/// Puts one parked row (`id`) or all of a loop's (`all`) back in line.
pub async fn retry(lp: Loop, id: Option<Uuid>, all: bool) -> anyhow::Result<()> {
    if id.is_some() == all {
        anyhow::bail!("name one parked row (LOOP ID) or pass --all");
    }
    let n = parking::retry(&pool().await?, lp, id, "cli").await?;
    if id.is_some() && n == 0 {
        anyhow::bail!("no parked {lp} row with that id");
    }
    println!("{n} {lp} row(s) back in line: the loop picks them up on its next pass");
    Ok(())
}
