//! Sender role: drain the partitions of `outbound.whatsapp` and make each Graph API call at the
//! right moment.
//!
//! Every job for one artist's number lands on the same partition queue, and each partition has a
//! single active consumer: exactly one process sends from a number, so it paces the number and
//! each recipient in memory ([`pacing`]) and keeps each recipient's order by handling one
//! delivery per recipient at a time (the bus's ordering key). Other replicas are hot standbys.
//!
//! - [`send`]: a message — a pacing slot (in memory) → the claim, one round trip that checks it
//!   is unsent, its turn and the artist not paused, takes the lease and reads the 24 h window →
//!   free-form or template → Meta → the wamid, recorded in batches ([`record`]: the second round
//!   trip), or a reaction to the error by its class.
//! - [`mark_read`]: blue ticks for an inbound message; [`media`]: download an inbound image.
//! - [`forward`]: jobs on the unpartitioned queue go to their partition; [`stall`]: parks a
//!   message whose job vanished. The artists' configuration is cached ([`crate::artists`]).
//!
//! The sender never keeps retry state of its own: a failure answers with the bus's outcomes. A
//! failed call is `Outcome::RetryAfter` with its back-off per error class, a throttle answer
//! `Outcome::Throttled`, and a wait longer than [`pacing::LONGEST_WAIT`] `Outcome::Defer`. The
//! bus counts them, bounds them ([`infra::bus::retry`]) and brings the job back through the
//! retry queue. A send job that ends in the DLQ parks its message, whoever put it there.

mod forward;
mod mark_read;
mod media;
mod pacing;
mod record;
mod send;
mod stall;

use crate::Fleet;
use infra::bus::consume::RetryPolicy;
use infra::bus::topology::{OUTBOUND_PARTITIONS, OUTBOUND_WHATSAPP};
use infra::bus::{Handler, Outcome, Received};
use infra::clients::whatsapp::{GraphClient, GraphError};
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use infra::store::artists::Artist;
use infra::store::{messages, system_events};
use inkline_core::conversation::Severity;
use inkline_core::graph::errors::{ErrorClass, classify_error, code_label};
use inkline_core::jobs::{OutboundJob, WhatsAppJob};
use inkline_core::sender::backoff;
use inkline_core::sender::pacer::Pacer;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

struct SenderHandler {
    fleet: Fleet,
    graph: GraphClient,
    /// Messages Meta accepted whose wamid could not be stored yet (the database went away right
    /// after the call): the held delivery's next run stores it instead of sending again.
    unrecorded: Mutex<std::collections::HashMap<uuid::Uuid, send::Accepted>>,
    /// The pacing state of the numbers this process sends from.
    pacer: Arc<Mutex<Pacer>>,
    artists: crate::artists::ArtistCache,
    recorder: record::Recorder,
}

/// The delivery's job, decoded once (the ordering key, every run of the handler and the
/// dead-letter hook share it through the delivery's memo).
fn decoded(msg: &Received) -> Arc<Result<OutboundJob, String>> {
    msg.memo.get_or_init(|| {
        serde_json::from_slice::<OutboundJob>(&msg.payload).map_err(|e| e.to_string())
    })
}

#[async_trait::async_trait]
impl Handler for SenderHandler {
    /// Messages to one recipient are handled one at a time, in queue order (read receipts and
    /// media downloads have no recipient and run concurrently).
    fn ordering_key(&self, msg: &Received) -> Option<String> {
        match decoded(msg).as_ref() {
            Ok(OutboundJob::Send(job)) => Some(format!("{}:{}", job.artist_id, job.to)),
            _ => None,
        }
    }

    async fn handle(&self, msg: &Received) -> Outcome {
        let decoded = decoded(msg);
        let job = match decoded.as_ref() {
            Ok(j) => j,
            Err(e) => return Outcome::Dead(format!("undecodable outbound job: {e}")),
        };
        let result = match job {
            OutboundJob::Send(job) => self.send(msg, job).await,
            OutboundJob::Other(WhatsAppJob::MarkRead { artist_id, wamid }) => {
                self.mark_read(msg, *artist_id, wamid).await
            }
            OutboundJob::Other(WhatsAppJob::FetchMedia(job)) => self.fetch_media(msg, job).await,
        };
        // Database trouble: the bus retries the delivery (bounded), nothing was sent.
        result.unwrap_or_else(|e| Outcome::of_error(e.as_ref()))
    }

    /// The bus put a job in the DLQ (attempts, throttles, deferrals or time budget used up,
    /// panics, or our own `Outcome::Dead`): park its message so younger ones to the same
    /// recipient stop waiting for it. If this fails (database down) the stall sweep parks it later.
    async fn dead_lettered(&self, msg: &Received, reason: &str) {
        let decoded = decoded(msg);
        let Ok(OutboundJob::Send(job)) = decoded.as_ref() else {
            return;
        };
        let why = format!("dead-lettered: {reason}");
        if let Err(e) = messages::park(&self.fleet.pool, job.message_id, &why).await {
            tracing::warn!(message_id = %job.message_id, error = %e, "could not park a dead-lettered message; the stall sweep will");
        }
    }
}

impl SenderHandler {
    /// A read receipt or media download failed: retry what is transient (bounded, and not on
    /// the last attempt), otherwise record it and move on — neither is worth blocking anything for.
    async fn chore_failed(
        &self,
        msg: &Received,
        artist: &Artist,
        what: &str,
        e: &GraphError,
    ) -> anyhow::Result<Outcome> {
        let (class, code) = (classify_error(e), code_label(e));
        tracing::warn!(artist = %artist.config.slug, what, code = %code, error = %e, "WhatsApp call failed");
        match class {
            ErrorClass::Transient
            | ErrorClass::Unknown
            | ErrorClass::NumberThrottle
            | ErrorClass::AccountThrottle
                if !RetryPolicy::of(&self.fleet.bus).is_last_attempt(msg) =>
            {
                metrics().send_retries.with_label_values(&[&code]).inc();
                let n = msg.attempts + 1;
                let wait = backoff::delay(class, n, None, self.base_delay(), rand::random::<f64>());
                return Ok(Outcome::RetryAfter(wait, e.to_string()));
            }
            ErrorClass::StopTenant => {
                if infra::store::artists::pause_sending(
                    &self.fleet.pool,
                    artist.id,
                    &format!("WhatsApp error {code}: {e}"),
                )
                .await?
                {
                    let detail = serde_json::json!({"code": error_code(e), "during": what});
                    system_events::record(
                        &self.fleet.pool,
                        Some(artist.id),
                        None,
                        "sending_paused",
                        Severity::Error,
                        detail,
                    )
                    .await?;
                }
                metrics()
                    .sending_paused
                    .with_label_values(&[&artist.config.slug])
                    .set(1);
            }
            _ => {}
        }
        metrics().send_failures.with_label_values(&[&code]).inc();
        let kind = if what == "media" {
            "media_download_failed"
        } else {
            "mark_read_failed"
        };
        let detail = serde_json::json!({"code": error_code(e), "detail": e.to_string(), "job": String::from_utf8_lossy(&msg.payload)});
        system_events::record(
            &self.fleet.pool,
            Some(artist.id),
            None,
            kind,
            Severity::Warning,
            detail,
        )
        .await?;
        Ok(Outcome::Ack)
    }

    /// The artist's own token, else the deployment's `WHATSAPP_ACCESS_TOKEN`.
    fn token(&self, artist: &Artist) -> Option<String> {
        artist.config.whatsapp_access_token.clone().or_else(|| {
            self.fleet
                .cfg
                .api
                .whatsapp_access_token
                .as_ref()
                .map(|s| s.expose().to_owned())
        })
    }

    fn base_delay(&self) -> Duration {
        self.fleet.cfg.bus.retry_base_delay
    }

    fn pacer(&self) -> MutexGuard<'_, Pacer> {
        self.pacer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn error_code(e: &GraphError) -> Option<i64> {
    match e {
        GraphError::Api { code, .. } => *code,
        _ => None,
    }
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Runs the role until shutdown: a consumer on every partition (this process becomes the active
/// one where it registered first, a standby elsewhere), the forwarder of the unpartitioned queue,
/// the stall sweep, and the pruning of idle pacing state.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let graph = GraphClient::new(
        fleet.http.clone(),
        &fleet.cfg.api.whatsapp_api_base,
        &fleet.cfg.api.whatsapp_api_version,
    );
    let pacer = Arc::new(Mutex::new(Pacer::default()));
    let handler = crate::observed::observe(
        &fleet,
        SenderHandler {
            fleet: fleet.clone(),
            graph,
            unrecorded: Default::default(),
            pacer: pacer.clone(),
            artists: Default::default(),
            recorder: record::Recorder::start(fleet.pool.clone()),
        },
    );
    let prefetch = fleet.cfg.sender_prefetch;
    let partitions = futures::future::join_all(OUTBOUND_PARTITIONS.iter().map(|q| {
        infra::bus::consume::run_with_prefetch(
            fleet.bus.clone(),
            q,
            handler.clone(),
            shutdown.clone(),
            prefetch,
        )
    }));
    let forwarder = forward::Forwarder {
        bus: fleet.bus.clone(),
    };
    tokio::join!(
        partitions,
        crate::observed::consume(&fleet, OUTBOUND_WHATSAPP, forwarder, shutdown.clone()),
        stall::sweep(fleet.clone(), shutdown.clone()),
        forget_idle(pacer, shutdown),
    );
}

/// Drops the pacing state of numbers and recipients that have been idle, once a minute.
async fn forget_idle(pacer: Arc<Mutex<Pacer>>, shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = shutdown.wait() => return,
        }
        pacer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .forget_idle(chrono::Utc::now());
    }
}
