//! Server-sent events for the sandbox phones: every message the fake Graph API accepts for a
//! number, as a rendered bubble, from `FakeGraph::subscribe()`. A reconnecting browser resumes
//! after the last event it saw (`Last-Event-ID`), so nothing shows twice or goes missing.

use super::Sandbox;
use super::SandboxState;
use super::bubbles::{self, Phone};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use fakes::SentMessage;
use futures::{Stream, StreamExt, stream};
use serde::Deserialize;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    wa: Option<String>,
    name: Option<String>,
    /// Messages the page already shows.
    after: Option<usize>,
}

fn resume_point(headers: &HeaderMap, q: &EventsQuery) -> usize {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .or(q.after)
        .unwrap_or(0)
}

/// `GET /sandbox/phone/events?wa=&name=&after=`: the client phone's live feed.
pub async fn client(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    let sb = state.sandbox.clone();
    let wa = super::phone::clean_wa(q.wa.as_deref());
    let name = q
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| super::phone::DEFAULT_NAME.to_owned());
    let after = resume_point(&headers, &q);
    feed(sb, wa, after, Phone::Client, name).into_response()
}

/// `GET /sandbox/artist/events?after=`: the artist phone's live feed.
pub async fn artist(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Response {
    let sb = state.sandbox.clone();
    let Some(wa) = sb.artist.artist_wa_id.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let after = resume_point(&headers, &q);
    feed(sb, wa, after, Phone::Artist, String::new()).into_response()
}

fn event(n: usize, m: &SentMessage, phone: Phone, name: &str) -> Result<Event, Infallible> {
    let html = bubbles::from_business(m, phone, name).into_string();
    Ok(Event::default()
        .id(n.to_string())
        .json_data(serde_json::json!({"html": html}))
        .unwrap_or_else(|_| Event::default().data("{}")))
}

fn same_number(a: &str, b: &str) -> bool {
    a.trim_start_matches('+') == b.trim_start_matches('+')
}

/// Backlog after `after`, then live messages to `wa`, until the sandbox shuts down.
fn feed(
    sb: Arc<Sandbox>,
    wa: String,
    after: usize,
    phone: Phone,
    name: String,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Subscribe before reading the backlog so nothing falls between the two.
    let rx = sb.graph.subscribe();
    let backlog = sb.graph.sent_to(&wa);
    let seen: HashSet<String> = backlog.iter().map(|m| m.wamid.clone()).collect();
    let count = backlog.len();
    let first: Vec<Result<Event, Infallible>> = backlog
        .iter()
        .enumerate()
        .skip(after)
        .map(|(i, m)| event(i + 1, m, phone, &name))
        .collect();
    let live = stream::unfold(
        (rx, seen, count, wa, name),
        move |(mut rx, seen, mut n, wa, name)| async move {
            loop {
                match rx.recv().await {
                    Ok(m) if same_number(&m.to, &wa) && !seen.contains(&m.wamid) => {
                        n += 1;
                        let ev = event(n, &m, phone, &name);
                        return Some((ev, (rx, seen, n, wa, name)));
                    }
                    Ok(_) => continue,
                    // Too far behind to patch up: the page reloads and draws everything again.
                    Err(RecvError::Lagged(_)) => {
                        let ev = Ok(Event::default().data(r#"{"reload":true}"#));
                        return Some((ev, (rx, seen, n, wa, name)));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    let shutdown = sb.shutdown.clone();
    let stream = stream::iter(first)
        .chain(live)
        .take_until(async move { shutdown.wait().await });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
