//! The client phone: chat as a made-up client. Text, image uploads and taps on the bot's buttons
//! become WhatsApp webhooks (text, image, button_reply, list_reply) signed like Meta's and posted
//! to the ingress; the bot's replies arrive live over server-sent events. Also the sandbox home.

use super::SandboxState;
use super::bubbles::{self, Phone};
use super::{ClientMessage, new_wamid};
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use console::pages::layout::shell;
use fakes::payloads::Change;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

/// The number and name the client phone starts with.
pub const DEFAULT_WA_ID: &str = "447700900123";
pub const DEFAULT_NAME: &str = "Sam";

/// Phone-shaped chat on top of the console's CSS.
pub const PHONE_CSS: &str = r#"
.phone{max-width:440px;margin:0 auto;min-height:100vh;display:flex;flex-direction:column;background:#efeae2}
.phone header{background:#075e54;color:#fff;padding:.7rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem}
.phone header a{color:#d7f5ee}.phone header .t{font-weight:600}.phone header .s{font-size:.75rem;opacity:.85}
.phone .chat{flex:1;padding:.8rem;overflow-y:auto}
.phone .bubble{box-shadow:0 1px .5px #0002}.phone .bubble img{max-width:100%;border-radius:8px;display:block;margin-bottom:.3rem}
.phone .choices{display:flex;flex-direction:column;gap:.3rem;margin-top:.45rem}
.phone .choices button{width:100%;background:#fff;color:#027eb5;border:1px solid #d6e9f2;border-radius:8px;padding:.4rem;text-align:center}
.phone .choices button small{display:block;color:var(--muted);font-size:.72rem}
.phone .choice{display:block;margin-top:.3rem;color:#027eb5;text-align:center;border-top:1px solid var(--line);padding-top:.3rem}
.phone details.list summary{cursor:pointer;color:#027eb5;text-align:center;margin-top:.4rem;border-top:1px solid var(--line);padding-top:.35rem;list-style:none}
.phone .footer{position:sticky;bottom:0;z-index:2}
.phone form.compose{display:flex;gap:.4rem;padding:.5rem;background:#f0f0f0;align-items:center}
.phone form.compose input[type=text]{flex:1;border-radius:20px}
.phone form.compose button{border-radius:20px;background:#075e54;border-color:#075e54}
.phone .attach{padding:.4rem .5rem;background:#f0f0f0;border-top:1px solid #e0e0e0}
.phone .attach summary{cursor:pointer;font-size:.85rem;color:#075e54}
.phone .attach form{display:flex;gap:.4rem;flex-wrap:wrap;margin-top:.4rem;align-items:center}
.phone .who{display:flex;gap:.3rem;flex-wrap:wrap;padding:.4rem .5rem;background:#e7f4ef;font-size:.8rem}
.phone .who input{padding:.25rem .4rem;font-size:.8rem;width:9.5rem}.phone .who button{padding:.25rem .6rem;font-size:.8rem}
.phone .bubble.failed{border:1px solid var(--bad)}.phone .tpl{font-size:.75rem;color:var(--muted)}
"#;

/// Live updates and sending without reloads; the page works (with reloads) without it.
const PHONE_JS: &str = r#"
(function(){
  const chat = document.getElementById('chat');
  const down = () => window.scrollTo(0, document.body.scrollHeight);
  const es = new EventSource(chat.dataset.events);
  es.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.reload) { location.reload(); return; }
    chat.insertAdjacentHTML('beforeend', m.html);
    document.body.dataset.received = String(Number(document.body.dataset.received || 0) + 1);
    down();
  };
  const mine = (text) => {
    const b = document.createElement('div');
    b.className = 'bubble out';
    b.textContent = text;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = new Date().toTimeString().slice(0, 5) + ' ✓';
    b.appendChild(meta);
    chat.appendChild(b);
    down();
    return b;
  };
  document.addEventListener('submit', async (ev) => {
    const f = ev.target;
    if (!f.dataset.ajax) return;
    ev.preventDefault();
    const data = new FormData(f);
    let b = null;
    if (f.dataset.ajax === 'text') { if (!data.get('text').trim()) return; b = mine(data.get('text')); f.reset(); }
    else if (f.dataset.ajax === 'tap') { b = mine(data.get('title')); }
    try {
      const r = await fetch(f.action, {method: 'POST', body: f.dataset.ajax === 'image' ? data : new URLSearchParams(data), headers: {'accept': 'application/json'}});
      const j = await r.json();
      if (!r.ok) throw new Error(j.error || r.status);
      if (f.dataset.ajax === 'image') { chat.insertAdjacentHTML('beforeend', j.html); f.reset(); f.closest('details').open = false; down(); }
    } catch (e) {
      if (b) { b.classList.add('failed'); b.title = 'not delivered: ' + e.message; }
      else alert('Not sent: ' + e.message);
    }
  });
  down();
})();
"#;

#[derive(Debug, Deserialize)]
pub struct PhoneQuery {
    wa: Option<String>,
    name: Option<String>,
}

/// A WhatsApp id as Meta sends it: digits only (6 to 15), else the default number.
pub fn clean_wa(wa: Option<&str>) -> String {
    let digits: String = wa
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if (6..=15).contains(&digits.len()) {
        digits
    } else {
        DEFAULT_WA_ID.to_owned()
    }
}

fn clean_name(name: Option<&str>) -> String {
    let n: String = name
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(60)
        .collect();
    if n.is_empty() {
        DEFAULT_NAME.to_owned()
    } else {
        n
    }
}

/// `GET /sandbox`: what is running and where.
pub async fn home(State(state): State<SandboxState>) -> Response {
    let sb = state.sandbox.clone();
    let a = &sb.artist;
    shell(
        "Sandbox",
        html! {
            main {
                h1 { "Inkline sandbox" }
                p.muted { "Everything here runs the production path: signed webhooks into the ingress, RabbitMQ, the workers, Postgres, the outbox and the sender. Only WhatsApp and Stripe are local fakes." }
                div.grid {
                    div.card {
                        h2 { "1 · Be the client" }
                        p { "Message " (a.name) " as a made-up client and go through the consultation." }
                        a.button href={"/sandbox/phone?wa=" (DEFAULT_WA_ID) "&name=" (DEFAULT_NAME)} { "Open the client phone" }
                    }
                    div.card {
                        h2 { "2 · Be the artist" }
                        p { "See the artist's WhatsApp notifications (to +" (a.artist_wa_id.as_deref().unwrap_or("?")) ")." }
                        a.button.secondary href="/sandbox/artist" { "Open the artist phone" }
                    }
                    div.card {
                        h2 { "3 · Run the studio" }
                        p { "Approve, reply, take over, watch the funnel and the queues in the console." }
                        a.button.secondary href="/login" { "Open the console" }
                        @if let Some(k) = &sb.admin_key_hint { p.small { "Admin key: " code id="admin-key" { (k) } } }
                    }
                }
                div.card.small {
                    h2 { "Endpoints" }
                    dl.kv {
                        dt { "Ingress" } dd { code { (sb.ingress_url) } }
                        dt { "Fake WhatsApp Graph API" } dd { code { (sb.graph.base_url()) } }
                        dt { "Fake Stripe API" } dd { code { (sb.stripe.base_url()) } }
                        dt { "Artist" } dd { (a.name) " (" (a.slug) "), phone number id " code { (a.phone_number_id) } }
                    }
                }
            }
        },
    )
    .into_response()
}

/// `GET /sandbox/phone?wa=&name=`.
pub async fn show(State(state): State<SandboxState>, Query(q): Query<PhoneQuery>) -> Response {
    let sb = state.sandbox.clone();
    let wa = clean_wa(q.wa.as_deref());
    let name = clean_name(q.name.as_deref());
    // The chat so far: the client's messages and the business's, in time order.
    let mut items: Vec<(chrono::DateTime<Utc>, Markup)> = sb
        .client_messages(&wa)
        .iter()
        .map(|m| (m.at, bubbles::from_client(m)))
        .collect();
    let from_business = sb.graph.sent_to(&wa);
    let received = from_business.len();
    items.extend(
        from_business
            .iter()
            .map(|m| (m.at, bubbles::from_business(m, Phone::Client, &name))),
    );
    items.sort_by_key(|(at, _)| *at);
    let events = format!(
        "/sandbox/phone/events?wa={wa}&name={}&after={received}",
        console::session::url_encode(&name)
    );
    let page = html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (name) " · client phone · Inkline sandbox" }
                style { (PreEscaped(console::pages::layout::CSS)) (PreEscaped(PHONE_CSS)) }
            }
            body data-received=(received) {
                div.phone {
                    header {
                        div { div.t { (sb.artist.name) } div.s { "You are " (name) " · +" (wa) } }
                        a href="/sandbox" { "Sandbox" }
                    }
                    form.who method="get" action="/sandbox/phone" {
                        input name="wa" value=(wa) aria-label="Your WhatsApp number" inputmode="numeric";
                        input name="name" value=(name) aria-label="Your name";
                        button.secondary type="submit" { "Switch client" }
                    }
                    div #chat .chat data-events=(events) {
                        @if items.is_empty() { p.small.muted style="text-align:center" { "Say hi to start a consultation." } }
                        @for (_, b) in &items { (b) }
                    }
                    div.footer {
                        details.attach {
                            summary { "📷 Send a photo" }
                            form method="post" action="/sandbox/phone/image" enctype="multipart/form-data" data-ajax="image" {
                                input type="hidden" name="wa" value=(wa);
                                input type="hidden" name="name" value=(name);
                                input type="file" name="file" accept="image/*" required;
                                input type="text" name="caption" placeholder="Caption (optional)";
                                button type="submit" { "Send photo" }
                            }
                        }
                        form.compose method="post" action="/sandbox/phone/send" data-ajax="text" {
                            input type="hidden" name="wa" value=(wa);
                            input type="hidden" name="name" value=(name);
                            input #text type="text" name="text" placeholder="Message" autocomplete="off" required autofocus;
                            button #send type="submit" { "Send" }
                        }
                    }
                }
                script { (PreEscaped(PHONE_JS)) }
            }
        }
    };
    page.into_response()
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The answer to a send: JSON for the page's script, a redirect back for plain forms.
fn sent(
    headers: &HeaderMap,
    wa: &str,
    name: &str,
    html: Option<Markup>,
    result: Result<(), super::WebhookError>,
) -> Response {
    match (result, wants_json(headers)) {
        (Ok(()), true) => {
            axum::Json(serde_json::json!({"ok": true, "html": html.map(|h| h.into_string())}))
                .into_response()
        }
        (Ok(()), false) => Redirect::to(&format!(
            "/sandbox/phone?wa={wa}&name={}",
            console::session::url_encode(name)
        ))
        .into_response(),
        (Err(e), true) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(serde_json::json!({"ok": false, "error": e.to_string()})),
        )
            .into_response(),
        (Err(e), false) => (StatusCode::BAD_GATEWAY, format!("not sent: {e}")).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SendForm {
    wa: Option<String>,
    name: Option<String>,
    text: Option<String>,
}

/// `POST /sandbox/phone/send`: a text message.
pub async fn send(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Form(f): Form<SendForm>,
) -> Response {
    let sb = state.sandbox.clone();
    let (wa, name) = (clean_wa(f.wa.as_deref()), clean_name(f.name.as_deref()));
    let text: String = f.text.unwrap_or_default().chars().take(4096).collect();
    if text.trim().is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({"ok": false, "error": "empty message"})),
        )
            .into_response();
    }
    let now = Utc::now();
    let body = Change::text(
        &sb.artist.phone_number_id,
        &wa,
        &name,
        &new_wamid(),
        now.timestamp(),
        &text,
    )
    .body();
    let result = sb.post_webhook(body).await;
    if result.is_ok() {
        sb.log_client(ClientMessage {
            wa_id: wa.clone(),
            at: now,
            text,
            media_id: None,
        });
    }
    sent(&headers, &wa, &name, None, result)
}

#[derive(Debug, Deserialize)]
pub struct TapForm {
    wa: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    id: Option<String>,
    title: Option<String>,
    context: Option<String>,
}

/// `POST /sandbox/phone/tap`: a reply button or list row.
pub async fn tap(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    Form(f): Form<TapForm>,
) -> Response {
    let sb = state.sandbox.clone();
    let (wa, name) = (clean_wa(f.wa.as_deref()), clean_name(f.name.as_deref()));
    let (id, title) = (f.id.unwrap_or_default(), f.title.unwrap_or_default());
    if id.is_empty() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({"ok": false, "error": "no choice id"})),
        )
            .into_response();
    }
    let now = Utc::now();
    let pnid = &sb.artist.phone_number_id;
    let change = match f.kind.as_deref() {
        Some("list") => {
            Change::list_reply(pnid, &wa, &name, &new_wamid(), now.timestamp(), &id, &title)
        }
        _ => Change::button_reply(pnid, &wa, &name, &new_wamid(), now.timestamp(), &id, &title),
    };
    let change = match f.context.as_deref().filter(|c| !c.is_empty()) {
        Some(ctx) => change.in_reply_to(ctx),
        None => change,
    };
    let result = sb.post_webhook(change.body()).await;
    if result.is_ok() {
        sb.log_client(ClientMessage {
            wa_id: wa.clone(),
            at: now,
            text: title,
            media_id: None,
        });
    }
    sent(&headers, &wa, &name, None, result)
}

/// `POST /sandbox/phone/image` (multipart: wa, name, caption, file): the upload becomes a media
/// item on the fake Graph API and an `image` webhook.
pub async fn image(
    State(state): State<SandboxState>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let sb = state.sandbox.clone();
    let (mut wa, mut name, mut caption, mut file) = (None, None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let field_name = field.name().unwrap_or_default().to_owned();
                let mime = field.content_type().unwrap_or("image/jpeg").to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return bad_upload("the upload was cut off");
                };
                let text = || String::from_utf8_lossy(&bytes).into_owned();
                match field_name.as_str() {
                    "wa" => wa = Some(text()),
                    "name" => name = Some(text()),
                    "caption" => caption = Some(text()).filter(|c| !c.trim().is_empty()),
                    "file" => file = Some((bytes.clone(), mime)),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return bad_upload("not a valid upload (at most 5 MB)"),
        }
    }
    let (wa, name) = (clean_wa(wa.as_deref()), clean_name(name.as_deref()));
    let Some((bytes, mime)) = file.filter(|(b, _)| !b.is_empty()) else {
        return bad_upload("choose an image");
    };
    let mime = if ["image/jpeg", "image/png", "image/webp"].contains(&mime.as_str()) {
        mime
    } else {
        "image/jpeg".to_owned()
    };
    let media_id = format!(
        "{}",
        1_000_000_000_000u64 + u64::from(rand::random::<u32>())
    );
    sb.add_media(&media_id, bytes, &mime);
    let now = Utc::now();
    let body = Change::image(
        &sb.artist.phone_number_id,
        &wa,
        &name,
        &new_wamid(),
        now.timestamp(),
        &media_id,
        caption.as_deref(),
    )
    .mime_type(&mime)
    .body();
    let result = sb.post_webhook(body).await;
    let message = ClientMessage {
        wa_id: wa.clone(),
        at: now,
        text: caption.unwrap_or_default(),
        media_id: Some(media_id),
    };
    let html = bubbles::from_client(&message);
    if result.is_ok() {
        sb.log_client(message);
    }
    sent(&headers, &wa, &name, Some(html), result)
}

fn bad_upload(why: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(serde_json::json!({"ok": false, "error": why})),
    )
        .into_response()
}

/// `GET /sandbox/media/{id}`: an image the client phone sent.
pub async fn media(State(state): State<SandboxState>, Path(id): Path<String>) -> Response {
    match state.sandbox.media(&id) {
        Some((bytes, mime)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
