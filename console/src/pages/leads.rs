//! The leads list (also the dashboard at `/`): counts per status, filters by status and artist,
//! search by name or number, newest first, paginated with the API's cursor.

use super::error::PageError;
use super::layout::{Nav, badge, page, when};
use crate::session::{SignedIn, url_encode};
use crate::state::AppState;
use axum::extract::{Query, State};
use infra::store::lead_view::{self, Cursor, LeadFilter};
use inkline_core::domain::Status;
use maud::{Markup, html};
use serde::Deserialize;

/// Leads per page.
const PAGE_SIZE: u32 = 25;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    artist: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `GET /` and `GET /leads`.
pub async fn index(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let status = non_empty(&q.status).and_then(|s| s.parse::<Status>().ok());
    // An artist only ever sees their own leads, whatever the query says.
    let artist = match who.who.artist() {
        Some(mine) => Some(mine.to_owned()),
        None => non_empty(&q.artist),
    };
    let search = non_empty(&q.q);
    let after = non_empty(&q.cursor).and_then(|c| Cursor::parse(&c).ok());
    let filter = LeadFilter {
        status,
        artist: artist.clone(),
        wa_id: None,
        search: search.clone(),
    };
    let leads = lead_view::list(&state.pool, &filter, PAGE_SIZE, after).await?;
    let counts = lead_view::status_counts(&state.pool, artist.as_deref()).await?;
    let artists = if who.who.is_admin() {
        infra::store::artists::list(&state.pool)
            .await
            .map_err(|e| PageError::internal("Cannot read artists", e))?
    } else {
        Vec::new()
    };
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let query_for = |cursor: Option<&str>, status_over: Option<Option<Status>>| {
        let mut parts = Vec::new();
        let st = status_over.unwrap_or(status);
        if let Some(s) = st {
            parts.push(format!("status={}", s.as_str()));
        }
        if who.who.is_admin()
            && let Some(a) = &artist
        {
            parts.push(format!("artist={}", url_encode(a)));
        }
        if let Some(s) = &search {
            parts.push(format!("q={}", url_encode(s)));
        }
        if let Some(c) = cursor {
            parts.push(format!("cursor={c}"));
        }
        if parts.is_empty() {
            "/leads".to_owned()
        } else {
            format!("/leads?{}", parts.join("&"))
        }
    };
    let body = html! {
        h1 { "Leads" }
        div.tiles {
            a.tile href=(query_for(None, Some(None))) { b { (total) } "all" }
            @for (s, n) in &counts {
                a.tile href=(query_for(None, Some(Some(*s)))) { b { (n) } (badge(*s)) }
            }
        }
        div.card {
            form.filters method="get" action="/leads" {
                div {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" { "Any status" }
                        @for s in Status::ALL {
                            option value=(s.as_str()) selected[status == Some(s)] { (s.as_str()) }
                        }
                    }
                }
                @if who.who.is_admin() {
                    div {
                        label for="artist" { "Artist" }
                        select #artist name="artist" {
                            option value="" { "Every artist" }
                            @for a in &artists {
                                option value=(a.config.slug) selected[artist.as_deref() == Some(a.config.slug.as_str())] { (a.config.name) }
                            }
                        }
                    }
                }
                div {
                    label for="q" { "Name or number" }
                    input #q type="search" name="q" value=[search.as_deref()] placeholder="Sam or 4477…";
                }
                div { button type="submit" { "Filter" } }
            }
        }
        div.card {
            @if leads.leads.is_empty() {
                p.muted { "No leads match." }
            } @else {
                table {
                    thead { tr {
                        th { "Client" } th { "Status" } th.hide-sm { "Idea" } th.hide-sm { "Artist" } th { "Arrived" }
                    } }
                    tbody {
                        @for l in &leads.leads {
                            tr {
                                td {
                                    a href={"/leads/" (l.id)} { (l.name.as_deref().unwrap_or("(no name)")) }
                                    br; span.small.muted { "+" (l.wa_id) }
                                }
                                td { (badge(l.status)) }
                                td.hide-sm.small { (l.answers.get("idea").and_then(|v| v.as_str()).map(|s| truncate(s, 60)).unwrap_or_default()) }
                                td.hide-sm.small { (l.artist) }
                                td.small { (when(l.created_at)) }
                            }
                        }
                    }
                }
            }
            div.pager {
                @if after.is_some() { a href=(query_for(None, None)) { "← Newest" } } @else { span {} }
                @if let Some(next) = leads.next { a href=(query_for(Some(&next.encode()), None)) { "Older →" } }
            }
        }
    };
    Ok(page("Leads", &who, Nav::Leads, body))
}

/// At most `n` characters, with an ellipsis when cut.
pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
