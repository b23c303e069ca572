//! The one way a decision is applied: lock the lead, step the pure engine, then persist the new
//! state and every effect in the caller's transaction — or refuse an illegal transition and
//! record it. Every caller (conversation, reminders, payments, artist actions) goes through
//! [`decide`]; nothing else writes a lead's status.

use crate::actions::links;
use crate::metrics::metrics;
use crate::store::artists::{self, Artist, ArtistError};
use crate::store::ids::{ArtistId, LeadId};
use crate::store::leads::{self, LeadError, LeadRow};
use crate::store::{outbound, outbox, reminders, system_events};
use chrono::{DateTime, Utc};
use inkline_core::conversation::{Decision, Effect, Event, Recipient, Severity};
use inkline_core::domain::IllegalTransition;
use inkline_core::jobs::{Job, LeadJob};
use sqlx::PgConnection;
use uuid::Uuid;

/// A lead held under its row lock with its artist. Only [`lock`] and [`lock_or_create`] make
/// one, so a decision is never applied to a lead that is not locked.
#[derive(Debug)]
pub struct Locked {
    pub lead: LeadRow,
    pub artist: Artist,
}

/// Why a decision could not be made or persisted (the cause is kept as `source()`, so an outage
/// is told apart from a bad row).
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("{0}")]
    Lead(#[from] LeadError),
    #[error("{0}")]
    Artist(#[from] ArtistError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Locks lead `lead_id` and loads its artist; `None` when either is gone.
pub async fn lock(tx: &mut PgConnection, lead_id: LeadId) -> Result<Option<Locked>, DecideError> {
    let Some(lead) = leads::lock(tx, lead_id).await? else {
        return Ok(None);
    };
    let Some(artist) = artists::by_id(&mut *tx, lead.artist_id.uuid()).await? else {
        return Ok(None);
    };
    Ok(Some(Locked { lead, artist }))
}

/// Locks the lead of (`artist`, `wa_id`), creating it when this is a new client; `true` when
/// created.
pub async fn lock_or_create(
    tx: &mut PgConnection,
    artist: Artist,
    wa_id: &str,
) -> Result<(Locked, bool), DecideError> {
    let (lead, created) = leads::lock_or_create(tx, ArtistId::from(artist.id), wa_id).await?;
    Ok((Locked { lead, artist }, created))
}

/// What caused a decision, for the outbox rows, the answers' history and a refusal's record.
#[derive(Debug, Clone)]
pub struct Cause<'a> {
    pub correlation_id: &'a str,
    /// The inbound message that caused the decision, if any.
    pub source_message_id: Option<&'a str>,
    /// What triggered it, recorded with a refused transition (`{"wamid": …}`, `{"event": …}`).
    pub context: serde_json::Value,
}

/// Who asks, which decides what a do-nothing or refused decision means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// Something happened (a message, a reminder, a payment): the decision is saved even when
    /// nothing visible happens (the engine may have updated bookkeeping), and a refused
    /// transition is a defect — logged, counted and recorded.
    Event,
    /// The artist asked for an action: one that would do nothing is [`Verdict::NothingToDo`]
    /// and one the table refuses is [`Verdict::Refused`]; both are the artist's "not now"
    /// (the API's 409), and nothing is written or counted.
    Artist,
}

/// The result of [`decide`].
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Persisted with all its effects.
    Applied(Box<Decision>),
    /// The transition table refused it; nothing else changed (for [`Asker::Event`] it was
    /// logged, counted and recorded).
    Refused(IllegalTransition),
    /// Nothing to do, nothing written (only for [`Asker::Artist`]).
    NothingToDo,
}

/// Steps the engine for `event` on a locked lead and applies the decision, or refuses it.
pub async fn decide(
    tx: &mut PgConnection,
    locked: &Locked,
    event: &Event,
    now: DateTime<Utc>,
    cause: &Cause<'_>,
    asker: Asker,
) -> Result<Verdict, DecideError> {
    let Locked { lead, artist } = locked;
    match inkline_core::conversation::step(&lead.state, event, &artist.config, now) {
        Ok(decision) => {
            if asker == Asker::Artist
                && decision.transitions.is_empty()
                && decision.effects.is_empty()
            {
                return Ok(Verdict::NothingToDo);
            }
            apply(tx, locked, cause, &decision).await?;
            Ok(Verdict::Applied(Box::new(decision)))
        }
        Err(illegal) => {
            if asker == Asker::Event {
                refuse(tx, locked, &illegal, cause).await?;
            }
            Ok(Verdict::Refused(illegal))
        }
    }
}

/// Persists `decision` (guarded on the locked lead's status) and all its effects.
async fn apply(
    tx: &mut PgConnection,
    locked: &Locked,
    cause: &Cause<'_>,
    decision: &Decision,
) -> Result<(), DecideError> {
    let Locked { lead, artist } = locked;
    leads::save(
        tx,
        lead.id,
        lead.state.status,
        &decision.state,
        &decision.transitions,
    )
    .await?;
    for t in &decision.transitions {
        metrics()
            .transitions
            .with_label_values(&[t.from.as_str(), t.to.as_str()])
            .inc();
    }
    for effect in &decision.effects {
        match effect {
            Effect::Send { to, body, links } => {
                let wa_id = match to {
                    Recipient::Client => Some(lead.wa_id.clone()),
                    Recipient::Artist => artist.config.artist_wa_id.clone(),
                };
                let Some(wa_id) = wa_id else {
                    system_events::record(
                        &mut *tx,
                        Some(artist.id),
                        Some(lead.id.uuid()),
                        "artist_notification_skipped",
                        Severity::Warning,
                        serde_json::json!({"reason": "artist has no artist_wa_id", "text": body.preview()}),
                    )
                    .await?;
                    continue;
                };
                // Minted here because the core is pure: bound to the lead's status after this.
                let body = if links.is_empty() {
                    body.clone()
                } else {
                    let ttl = chrono::Duration::hours(artist.config.timeouts.action_link_hours);
                    links::append(tx, lead.id, ttl, decision.state.status, body, links).await?
                };
                outbound::enqueue_send(
                    tx,
                    artist.id,
                    Some(lead.id.uuid()),
                    *to,
                    &wa_id,
                    body,
                    cause.correlation_id,
                )
                .await?;
            }
            Effect::RecordAnswer { key, value, raw } => {
                leads::record_answer(
                    tx,
                    lead.id,
                    key,
                    value,
                    raw.as_deref(),
                    cause.source_message_id,
                )
                .await?;
            }
            Effect::Job(job) => enqueue_job(tx, locked, job, cause.correlation_id).await?,
            Effect::ScheduleReminder { kind, at } => {
                reminders::schedule(tx, lead.id, kind, *at).await?
            }
            Effect::CancelReminders { kind } => {
                reminders::cancel(tx, lead.id, kind.as_deref()).await?
            }
            Effect::SystemEvent {
                kind,
                severity,
                detail,
            } => {
                system_events::record(
                    &mut *tx,
                    Some(artist.id),
                    Some(lead.id.uuid()),
                    kind,
                    *severity,
                    detail.clone(),
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// Writes a job, with the lead and artist it is about, to the outbox for its queue. No role
/// drains some queues yet (Sheets, Calendar): queueing would only grow them, so those jobs are
/// counted and withheld (`topology::has_consumer` is the switch; docs/decisions.md says how to
/// backfill).
async fn enqueue_job(
    tx: &mut PgConnection,
    locked: &Locked,
    job: &Job,
    correlation_id: &str,
) -> Result<(), DecideError> {
    let queue = job.queue();
    if !crate::bus::topology::has_consumer(queue.name()) {
        metrics()
            .jobs_withheld
            .with_label_values(&[queue.name()])
            .inc();
        return Ok(());
    }
    let envelope = LeadJob {
        lead_id: locked.lead.id.uuid(),
        artist: locked.artist.config.slug.clone(),
        job,
    };
    outbox::insert(tx, Uuid::now_v7(), queue.name(), &envelope, correlation_id).await?;
    Ok(())
}

/// A decision the transition table refused: logged with lead, from, to and cause, counted, and
/// recorded as a system event (with the cause's context). Nothing else changes.
async fn refuse(
    tx: &mut PgConnection,
    locked: &Locked,
    illegal: &IllegalTransition,
    cause: &Cause<'_>,
) -> Result<(), sqlx::Error> {
    let lead_id = locked.lead.id;
    metrics()
        .illegal_transitions
        .with_label_values(&[illegal.from.as_str(), illegal.to.as_str()])
        .inc();
    tracing::error!(%lead_id, from = %illegal.from, to = %illegal.to, cause = %illegal.cause, "illegal transition refused");
    let detail = serde_json::json!({"from": illegal.from, "to": illegal.to, "cause": illegal.cause, "context": cause.context});
    system_events::record(
        &mut *tx,
        Some(locked.artist.id),
        Some(lead_id.uuid()),
        "illegal_transition",
        Severity::Error,
        detail,
    )
    .await
}
