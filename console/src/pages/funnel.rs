//! The funnel page: enquiries → qualified → approved → paid → booked, with the conversion of each
//! step, per artist and per week (cohorts by arrival week).

use super::error::PageError;
use super::layout::{Nav, page, percent};
use crate::funnel::{self, FunnelRow, STEPS};
use crate::session::SignedIn;
use crate::state::AppState;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct FunnelQuery {
    artist: Option<String>,
    weeks: Option<String>,
}

/// `GET /funnel`.
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Query(q): Query<FunnelQuery>,
) -> Result<Markup, PageError> {
    let weeks = q
        .weeks
        .as_deref()
        .and_then(|w| w.trim().parse::<i64>().ok())
        .filter(|w| (1..=104).contains(w))
        .unwrap_or(8);
    let artist = match who.who.artist() {
        Some(mine) => Some(mine.to_owned()),
        None => q
            .artist
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    };
    let f = funnel::read(&state.pool, artist.as_deref(), weeks)
        .await
        .map_err(|e| PageError::internal("Cannot read the funnel", e))?;
    let body = html! {
        h1 { "Funnel" }
        div.card {
            form.filters method="get" action="/funnel" {
                @if who.who.is_admin() {
                    div { label for="artist" { "Artist (slug)" } input #artist name="artist" value=[artist.as_deref()] placeholder="every artist"; }
                }
                div {
                    label for="weeks" { "Weeks" }
                    select #weeks name="weeks" {
                        @for w in [4, 8, 13, 26, 52] { option value=(w) selected[w == weeks] { "last " (w) } }
                    }
                }
                div { button type="submit" { "Show" } }
            }
        }
        div.card {
            h2 { "All leads in range" }
            (bars(&f.total))
        }
        div.card {
            h2 { "Per artist" }
            (table(&f.per_artist, false))
        }
        div.card {
            h2 { "Per week (by arrival)" }
            (table(&f.rows, true))
        }
        p.small.muted { "Qualified: finished the consultation (reached PENDING_APPROVAL). Approved: the artist approved. Paid: deposit paid. Booked: a session was booked. Each lead counts in the week it arrived." }
    };
    Ok(page("Funnel", &who, Nav::Funnel, body))
}

fn bars(row: &FunnelRow) -> Markup {
    let top = row.counts[0].max(1) as f64;
    let conv = row.conversion();
    html! {
        table {
            tbody {
                @for (i, step) in STEPS.iter().enumerate() {
                    tr {
                        td style="width:8rem" { (step) }
                        td.num style="width:4rem" { (row.counts[i]) }
                        td { div.bar { span style={"width:" (format!("{:.1}", row.counts[i] as f64 / top * 100.0)) "%"} {} } }
                        td.num.small.muted style="width:5rem" { @if i > 0 { (percent(conv[i - 1])) } }
                    }
                }
            }
        }
        p.small.muted { "Enquiry to booked: " (percent(row.overall())) }
    }
}

fn table(rows: &[FunnelRow], by_week: bool) -> Markup {
    if rows.is_empty() {
        return html! { p.muted { "No leads in this range." } };
    }
    html! {
        div style="overflow-x:auto" {
            table {
                thead { tr {
                    @if by_week { th { "Week of" } }
                    th { "Artist" }
                    @for (i, s) in STEPS.iter().enumerate() {
                        th.num { (s) }
                        @if i > 0 { th.num.hide-sm { "→" } }
                    }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            @if by_week { td.small { (r.week.map(|w| w.format("%d %b %Y").to_string()).unwrap_or_default()) } }
                            td { (r.artist) }
                            @for (i, n) in r.counts.iter().enumerate() {
                                td.num { (n) }
                                @if i > 0 { td.num.small.muted.hide-sm { (percent(r.conversion()[i - 1])) } }
                            }
                        }
                    }
                }
            }
        }
    }
}
