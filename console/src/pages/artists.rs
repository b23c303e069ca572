//! Artists (administrators): each artist's routing and limits, the login key to hand to the
//! artist for the console, and resuming an artist whose sending was paused.

use super::error::PageError;
use super::layout::{Nav, money, page};
use crate::session::SignedIn;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

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
                        @match &a.sending_paused_reason {
                            Some(r) => {
                                span style="color:var(--bad)" { "paused: " (r) }
                                form.inline method="post" action={"/artists/" (c.slug) "/resume-sending"} {
                                    (crate::csrf::field(&who.session))
                                    button type="submit" { "Resume sending" }
                                }
                                p.small.muted { "Fix the cause first (e.g. a new token), then resume: the parked messages go out in order." }
                            },
                            None => "active",
                        }
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

#[derive(Debug, Deserialize)]
pub struct ResumeForm {
    csrf: Option<String>,
}

/// `POST /artists/{slug}/resume-sending`: resumes sending, then back to the page.
pub async fn resume_sending(
    State(state): State<AppState>,
    who: SignedIn,
    Path(slug): Path<String>,
    Form(f): Form<ResumeForm>,
) -> Result<Response, PageError> {
    crate::csrf::check(&who.session, f.csrf.as_deref())?;
    if !who.who.is_admin() {
        return Err(PageError::forbidden());
    }
    let actor = who.who.actor();
    match infra::actions::sending::resume(&state.pool, &slug, &actor).await {
        Ok(Some(_)) => Ok(Redirect::to("/artists").into_response()),
        Ok(None) => Err(PageError::not_found()),
        Err(e) => Err(PageError::internal("Cannot resume sending", e)),
    }
}
