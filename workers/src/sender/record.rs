//! Recording Meta's acceptances in batches: the sends that finish while one `UPDATE` runs share
//! the next one (one round trip for all of them), and each hears its own result before its
//! delivery is acknowledged.

use infra::store::messages::{self, Sent};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most acceptances one statement records.
const BATCH: usize = 256;

type Reply = oneshot::Sender<Result<bool, sqlx::Error>>;

/// The handle the senders record through; the batching task runs while one exists.
pub(super) struct Recorder {
    tx: mpsc::UnboundedSender<(Sent, Reply)>,
    pool: sqlx::PgPool,
}

impl Recorder {
    /// Starts the batching task.
    pub(super) fn start(pool: sqlx::PgPool) -> Recorder {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(batches(pool.clone(), rx));
        Recorder { tx, pool }
    }

    /// Records one acceptance; true if this call recorded it (false: it already was).
    pub(super) async fn record(&self, sent: Sent) -> Result<bool, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        let copy = sent.clone();
        if self.tx.send((sent, reply)).is_err() {
            return record_alone(&self.pool, copy).await;
        }
        match answer.await {
            Ok(result) => result,
            // The batching task is gone (it never should be): record it here.
            Err(_) => record_alone(&self.pool, copy).await,
        }
    }
}

async fn record_alone(pool: &sqlx::PgPool, sent: Sent) -> Result<bool, sqlx::Error> {
    let id = sent.id;
    Ok(messages::mark_sent(pool, &[sent]).await?.contains(&id))
}

/// Takes whatever is waiting (at least one), records it in one statement, answers each.
async fn batches(pool: sqlx::PgPool, mut rx: mpsc::UnboundedReceiver<(Sent, Reply)>) {
    let mut batch: Vec<(Sent, Reply)> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let (sent, replies): (Vec<Sent>, Vec<Reply>) = batch.drain(..).unzip();
        let ids: Vec<Uuid> = sent.iter().map(|s| s.id).collect();
        match messages::mark_sent(&pool, &sent).await {
            Ok(recorded) => {
                for (id, reply) in ids.iter().zip(replies) {
                    let _ = reply.send(Ok(recorded.contains(id)));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, n = ids.len(), "could not record accepted messages; each delivery keeps its wamid and records it again");
                let unavailable = infra::store::db::is_unavailable(&e);
                for reply in replies {
                    // sqlx errors cannot be cloned: an outage stays an outage for every sender.
                    let err = if unavailable {
                        sqlx::Error::PoolTimedOut
                    } else {
                        sqlx::Error::Protocol(e.to_string())
                    };
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
}
