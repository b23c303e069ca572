//! Queue health (administrators): depth, consumers, retry and dead letters of every work queue,
//! with a replay button per dead-letter queue, and the outbound messages parked unsent.

use super::error::PageError;
use super::layout::{Nav, page, when};
use crate::queues;
use crate::session::SignedIn;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use infra::store::messages::{self, ParkedMessage};
use inkline_core::conversation::Recipient;
use maud::{Markup, html};
use serde::Deserialize;

/// Parked messages shown on the page (the admin API pages through more).
const PARKED_SHOWN: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    replayed: Option<u32>,
    queue: Option<String>,
}

/// `GET /queues`.
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<ShowQuery>,
) -> Result<Markup, PageError> {
    if !who.who.is_admin() {
        return Err(PageError::forbidden());
    }
    let stats = queues::stats(&state.bus).await;
    let db_ok = infra::store::db::ping(&state.pool).await;
    let parked = messages::parked(&state.pool, None, PARKED_SHOWN).await;
    let body = html! {
        h1 { "Queues" }
        @if let (Some(n), Some(queue)) = (q.replayed, q.queue.as_deref().filter(|q| queues::is_queue(q))) {
            p.flash.ok role="status" { "Replayed " (n) " message(s) from " (queue) ".dlq." }
        }
        div.tiles {
            span.tile { b { @if state.bus.is_connected() { "✓" } @else { "✗" } } "RabbitMQ" }
            span.tile { b { @if db_ok { "✓" } @else { "✗" } } "PostgreSQL" }
        }
        div.card {
            @match &stats {
                Err(e) => p.flash.err { "Cannot read the queues: " (e.to_string()) },
                Ok(stats) => table {
                    thead { tr {
                        th { "Queue" } th.num { "Ready" } th.num { "Consumers" } th.num.hide-sm { "Retrying" } th.num { "Dead letters" } th {}
                    } }
                    tbody {
                        @for s in stats {
                            tr {
                                td { code { (s.queue) } }
                                td.num { (s.depth) }
                                td.num { @if s.consumers == 0 { span.muted title="no worker consumes this queue" { "0" } } @else { (s.consumers) } }
                                td.num.hide-sm { (s.retry_depth) }
                                td.num { @if s.dead_letters > 0 { b style="color:var(--bad)" { (s.dead_letters) } } @else { "0" } }
                                td {
                                    @if s.dead_letters > 0 {
                                        form.inline method="post" action={"/queues/" (s.queue) "/replay"} {
                                            (crate::csrf::field(&who.session))
                                            button.secondary type="submit" { "Replay" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
            }
        }
        p.small.muted { "Ready: waiting for a worker. Retrying: waiting out a back-off before going back. Dead letters: gave up after the attempt limit; replay moves them back for another try. The same numbers are at GET /admin/dlq." }
        (parked_card(&parked))
    };
    Ok(page("Queues", &who, Nav::Queues, body))
}

/// Outbound messages set aside unsent, oldest first.
fn parked_card(parked: &Result<Vec<ParkedMessage>, sqlx::Error>) -> Markup {
    html! {
        div.card #parked {
            h2 { "Parked messages" }
            @match parked {
                Err(e) => p.flash.err { "Cannot read the parked messages: " (e.to_string()) },
                Ok(list) if list.is_empty() => p.muted { "None: every outbound message was sent or is on its way." },
                Ok(list) => table {
                    thead { tr { th { "Parked" } th { "To" } th { "Message" } th { "Why" } } }
                    tbody {
                        @for m in list {
                            tr {
                                td.small { (when(m.parked_at)) }
                                td.small {
                                    @if let Some(lead) = m.lead_id { a href={"/leads/" (lead)} { (m.wa_id) } } @else { (m.wa_id) }
                                    @if m.recipient == Recipient::Artist { " (artist)" }
                                    br; span.muted { (m.artist) }
                                }
                                td { (m.text.as_deref().unwrap_or(&m.kind).chars().take(120).collect::<String>()) }
                                td.small { (m.parked_reason.as_deref().unwrap_or("parked")) }
                            }
                        }
                    }
                },
            }
            p.small.muted { "A parked message stays unsent and no longer holds back younger messages to the same person. Dead-lettered or stalled ones are sent by replaying outbound.whatsapp above (each goes once, after any younger messages already sent); a paused artist's are sent when sending resumes. The same list is at GET /admin/messages?parked=true." }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ReplayForm {
    csrf: Option<String>,
}

/// `POST /queues/{queue}/replay`: replays what is dead-lettered now, then back to the page.
pub async fn replay(
    State(state): State<AppState>,
    who: SignedIn,
    Path(queue): Path<String>,
    Form(f): Form<ReplayForm>,
) -> Result<Response, PageError> {
    crate::csrf::check(&who.session, f.csrf.as_deref())?;
    if !who.who.is_admin() {
        return Err(PageError::forbidden());
    }
    if !queues::is_queue(&queue) {
        return Err(PageError::not_found());
    }
    // Only what is there now: a message that dies again at once is not replayed in a loop.
    let now = queues::stats(&state.bus)
        .await
        .map_err(|e| PageError::internal("Cannot read the queues", e))?
        .into_iter()
        .find(|s| s.queue == queue)
        .map(|s| s.dead_letters)
        .unwrap_or(0);
    let moved = if now == 0 {
        0
    } else {
        infra::bus::dlq::replay(&state.bus, &queue, Some(now))
            .await
            .map_err(|e| PageError::internal("The replay stopped", e))?
    };
    tracing::info!(%queue, moved, actor = %who.who.actor(), "dead letters replayed from the console");
    Ok(Redirect::to(&format!("/queues?replayed={moved}&queue={queue}")).into_response())
}
