//! The console's web pages (server-rendered with maud): sign-in, leads, one lead with its
//! actions, the funnel, queue health, artists and reference media.

pub mod action_link;
pub mod artists;
pub mod error;
pub mod funnel;
pub mod layout;
pub mod lead;
pub mod leads;
pub mod login;
pub mod media;
pub mod queues;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(leads::index))
        .route("/leads", get(leads::index))
        .route("/leads/{id}", get(lead::show))
        .route("/leads/{id}/actions/{action}", post(lead::act))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/funnel", get(funnel::show))
        .route("/queues", get(queues::show))
        .route("/queues/{queue}/replay", post(queues::replay))
        .route("/artists", get(artists::show))
        .route(
            "/artists/{slug}/resume-sending",
            post(artists::resume_sending),
        )
        .route("/media/{media_id}", get(media::show))
        .route("/a/{token}", get(action_link::show).post(action_link::act))
}

/// Every console page path (the HTTP tests check each needs sign-in).
pub const PAGES: [&str; 5] = ["/", "/leads", "/funnel", "/queues", "/artists"];
