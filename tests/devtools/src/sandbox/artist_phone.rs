//! The artist phone: the WhatsApp notifications Inkline sent to the artist's own number, live,
//! with their links (action links, console links) clickable.

use super::SandboxState;
use super::bubbles::{self, Phone};
use super::phone::PHONE_CSS;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{PreEscaped, html};

const ARTIST_JS: &str = r#"
(function(){
  const chat = document.getElementById('chat');
  const es = new EventSource(chat.dataset.events);
  es.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.reload) { location.reload(); return; }
    chat.insertAdjacentHTML('beforeend', m.html);
    window.scrollTo(0, document.body.scrollHeight);
  };
  window.scrollTo(0, document.body.scrollHeight);
})();
"#;

/// `GET /sandbox/artist`.
pub async fn show(State(state): State<SandboxState>) -> Response {
    let sb = state.sandbox.clone();
    let Some(wa) = sb.artist.artist_wa_id.clone() else {
        return (StatusCode::NOT_FOUND, "the demo artist has no artist_wa_id").into_response();
    };
    let messages = sb.graph.sent_to(&wa);
    let events = format!("/sandbox/artist/events?after={}", messages.len());
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (sb.artist.name) " · artist phone · Inkline sandbox" }
                style { (PreEscaped(console::pages::layout::CSS)) (PreEscaped(PHONE_CSS)) }
            }
            body {
                div.phone {
                    header {
                        div { div.t { "Inkline" } div.s { "Notifications to " (sb.artist.name) " · +" (wa) } }
                        a href="/sandbox" { "Sandbox" }
                    }
                    div #chat .chat data-events=(events) {
                        @if messages.is_empty() { p.small.muted style="text-align:center" { "Nothing yet: new requests show up here when a client finishes a consultation." } }
                        @for m in &messages { (bubbles::from_business(m, Phone::Artist, "")) }
                    }
                    p.small.muted style="padding:.5rem;text-align:center" { "Links open the console; approve or reply there." }
                }
                script { (PreEscaped(ARTIST_JS)) }
            }
        }
    }
    .into_response()
}
