//! Sign-in with the admin key or an artist's login key, and sign-out. The login form is CSRF-
//! protected too: the first visit gets an anonymous session carrying the token.

use super::layout::shell;
use crate::auth::{Principal, Session};
use crate::session::{self, SignedIn};
use crate::state::AppState;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    key: Option<String>,
    next: Option<String>,
}

fn login_page(session: Option<&Session>, next: &str, error: Option<&str>, enabled: bool) -> Markup {
    shell(
        "Sign in",
        html! {
            main.login {
                div.card {
                    h1 { "Inkline console" }
                    @if !enabled {
                        p.flash.err { "Sign-in is disabled: set ADMIN_API_KEY (or CONSOLE_SESSION_SECRET) and restart the console." }
                    } @else if let Some(session) = session {
                        @if let Some(e) = error { p.flash.err role="alert" { (e) } }
                        form method="post" action="/login" {
                            (crate::csrf::field(session))
                            input type="hidden" name="next" value=(next);
                            p {
                                label for="key" { "Access key" }
                                input #key type="password" name="key" autocomplete="current-password" required autofocus
                                    placeholder="admin key or artist key";
                            }
                            p { button type="submit" { "Sign in" } }
                        }
                        p.small.muted { "Administrators use the ADMIN_API_KEY. Artists use the key their administrator gave them (it starts with the artist's name)." }
                    }
                }
            }
        },
    )
}

/// `GET /login`.
pub async fn form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = session::safe_next(q.next.as_deref());
    let existing = session::current(&state, &headers);
    if existing.as_ref().is_some_and(|s| s.who.is_some()) {
        return Redirect::to(&next).into_response();
    }
    let session = existing.unwrap_or_else(|| Session::new(None, session::now()));
    let page = login_page(Some(&session), &next, None, state.keys.login_enabled());
    match session::set_cookie(&state, &session) {
        Some(cookie) => ([(header::SET_COOKIE, cookie)], page).into_response(),
        None => page.into_response(),
    }
}

/// `POST /login`: a new session (new CSRF token) for whoever the key names.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let Some(anon) = session::current(&state, &headers) else {
        return super::error::PageError::csrf().into_response();
    };
    if let Err(refused) = crate::csrf::check(&anon, f.csrf.as_deref()) {
        return super::error::PageError::from(refused).into_response();
    }
    let next = session::safe_next(f.next.as_deref());
    let who = match state
        .keys
        .principal_for(f.key.as_deref().unwrap_or_default())
    {
        Some(Principal::Artist(slug)) => {
            match infra::store::artists::by_slug(&state.pool, &slug).await {
                Ok(Some(_)) => Some(Principal::Artist(slug)),
                Ok(None) => None,
                Err(e) => {
                    return super::error::PageError::internal("Cannot check the artist", e)
                        .into_response();
                }
            }
        }
        other => other,
    };
    let Some(who) = who else {
        tracing::warn!("console sign-in refused");
        let page = login_page(Some(&anon), &next, Some("That key is not valid."), true);
        return (StatusCode::UNAUTHORIZED, page).into_response();
    };
    tracing::info!(actor = %who.actor(), "console sign-in");
    let fresh = Session::new(Some(who), session::now());
    match session::set_cookie(&state, &fresh) {
        Some(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response(),
        None => {
            super::error::PageError::internal("Cannot sign in", "sign-in disabled").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    who: SignedIn,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(refused) = crate::csrf::check(&who.session, f.csrf.as_deref()) {
        return super::error::PageError::from(refused).into_response();
    }
    (
        [(header::SET_COOKIE, session::clear_cookie(&state))],
        Redirect::to("/login"),
    )
        .into_response()
}
