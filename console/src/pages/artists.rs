//! Artists (administrators): each artist's routing and limits, and the login key to hand to the
//! artist for the console.

use super::error::PageError;
use super::layout::{Nav, money, page};
use crate::server::AppState;
use crate::session::SignedIn;
use axum::extract::State;
use maud::{Markup, html};

/// `GET /artists`.
pub async fn show(State(state): State<AppState>, who: SignedIn) -> Result<Markup, PageError> {
    if !who.who.is_admin() {
        return Err(PageError::forbidden());
    }
    let artists = infra::store::artists::list(&state.pool)
        .await
        .map_err(|e| PageError::internal("Cannot read artists", e))?;
    let body = html! {
        h1 { "Artists" }
        @if artists.is_empty() { div.card { p.muted { "No artists yet: `inkline artist apply FILE` or PUT /admin/artists/{slug}." } } }
        @for a in &artists {
            @let c = &a.config;
            div.card {
                h2 { (c.name) " " span.muted.small { "(" (c.slug) ")" } }
                dl.kv {
                    dt { "Phone number id" } dd { code { (c.phone_number_id) } }
                    dt { "Notifications to" } dd { @if let Some(w) = &c.artist_wa_id { "+" (w) } @else { span.muted { "nobody (no artist_wa_id)" } } }
                    dt { "Time zone" } dd { (c.timezone) }
                    dt { "Home cities" } dd { @if c.home_cities.is_empty() { span.muted { "anywhere" } } @else { (c.home_cities.join(", ")) } }
                    dt { "Minimum budget" } dd {
                        "UK " (money(c.minimum_budget.uk, c.currency.as_str())) " · EU " (money(c.minimum_budget.eu, c.currency.as_str()))
                        " · elsewhere " (money(c.minimum_budget.row, c.currency.as_str()))
                    }
                    dt { "Tour" } dd {
                        @if c.tour.is_empty() { span.muted { "no guest spots" } }
                        @for t in &c.tour { (t.city) ", " (t.country) " " (t.from) " – " (t.to) br; }
                    }
                    dt { "Sending" } dd {
                        @match &a.sending_paused_reason { Some(r) => span style="color:var(--bad)" { "paused: " (r) }, None => "active" }
                    }
                    dt { "Console key" } dd {
                        @match state.keys.artist_key(&c.slug) {
                            Some(k) => details { summary { "show" } code { (k) } p.small.muted { "Hand this to the artist: it signs in to their own leads only." } },
                            None => span.muted { "sign-in disabled" },
                        }
                    }
                }
            }
        }
    };
    Ok(page("Artists", &who, Nav::Artists, body))
}
