//! A usable default checkout page at `GET /pay/{id}` on the fake Stripe server: it shows the
//! session and offers "Pay" and "Let it expire", which drive the fake exactly like a test would
//! (signed webhook included) and then show what happened. The sandbox may serve its own page
//! instead (see `FakeStripe::set_checkout_page_base`).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::stripe_core::StripeCore;
use super::stripe_events::WebhookDelivery;
use super::stripe_session::{CheckoutSession, SessionStatus};

type Shared = Arc<StripeCore>;

/// Currencies whose amounts have no minor unit.
const ZERO_DECIMAL: [&str; 6] = ["jpy", "krw", "vnd", "clp", "isk", "pyg"];

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/pay/{id}", get(show))
        .route("/pay/{id}/complete", post(pay))
        .route("/pay/{id}/expire", post(expire))
}

async fn show(State(core): State<Shared>, Path(id): Path<String>) -> Response {
    let Ok(session) = core.session(&id) else {
        return not_found(&id);
    };
    let actions = if session.status == SessionStatus::Open {
        let id = escape(&session.id);
        format!(
            r#"<form method="post" action="/pay/{id}/complete"><button class="pay">Pay</button></form>
<form method="post" action="/pay/{id}/expire"><button>Let it expire</button></form>"#
        )
    } else {
        format!(
            "<p>This checkout session is {}.</p>",
            session.status.as_str()
        )
    };
    page(
        "Fake checkout",
        &format!("{}\n{actions}", summary(&session)),
    )
}

async fn pay(State(core): State<Shared>, Path(id): Path<String>) -> Response {
    let outcome = core.drive(core.complete(&id, true)).await;
    result(&core, &id, "Payment complete.", outcome, |s| {
        s.success_url.clone()
    })
}

async fn expire(State(core): State<Shared>, Path(id): Path<String>) -> Response {
    let outcome = core.drive(core.expire(&id)).await;
    result(
        &core,
        &id,
        "The checkout session has expired.",
        outcome,
        |s| s.cancel_url.clone(),
    )
}

/// What a button did: the new state, how the webhook receiver answered, and where to go next.
fn result(
    core: &StripeCore,
    id: &str,
    done: &str,
    outcome: Result<WebhookDelivery, super::StripeError>,
    next: impl Fn(&CheckoutSession) -> Option<String>,
) -> Response {
    let Ok(session) = core.session(id) else {
        return not_found(id);
    };
    let report = match outcome {
        Err(e) => format!(r#"<p class="error">{}</p>"#, escape(&e.message)),
        Ok(delivery) => {
            let webhook = match (delivery.status, &delivery.error) {
                (Some(status), _) => format!("the webhook answered HTTP {status}"),
                (None, Some(error)) => format!("the webhook was not delivered: {}", escape(error)),
                (None, None) => "the webhook was not delivered".to_string(),
            };
            format!(
                "<p>{done} Event <code>{}</code>: {webhook}.</p>",
                escape(delivery.event_type().unwrap_or("?"))
            )
        }
    };
    let link = match next(&session) {
        Some(url) => {
            let url = url.replace("{CHECKOUT_SESSION_ID}", &session.id);
            format!(r#"<p><a href="{}">Continue</a></p>"#, escape(&url))
        }
        None => String::new(),
    };
    let back = format!(
        r#"<p><a href="/pay/{}">Back to the session</a></p>"#,
        escape(&session.id)
    );
    page(
        "Fake checkout",
        &format!("{}\n{report}\n{link}\n{back}", summary(&session)),
    )
}

fn summary(s: &CheckoutSession) -> String {
    format!(
        r#"<h1>{}</h1>
<p class="amount">{} {}</p>
<p class="meta">Session <code>{}</code> · status {} · payment {}</p>"#,
        escape(s.description()),
        amount(s.amount_total, &s.currency),
        escape(&s.currency.to_uppercase()),
        escape(&s.id),
        s.status.as_str(),
        s.payment_status.as_str(),
    )
}

fn amount(minor: i64, currency: &str) -> String {
    if ZERO_DECIMAL.contains(&currency) {
        minor.to_string()
    } else {
        format!("{}.{:02}", minor / 100, (minor % 100).abs())
    }
}

fn not_found(id: &str) -> Response {
    let body = format!(
        "<h1>No such checkout session</h1><p><code>{}</code></p>",
        escape(id)
    );
    (StatusCode::NOT_FOUND, page("Not found", &body)).into_response()
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
.amount{{font-size:2rem;margin:.5rem 0}}.meta{{color:#666;font-size:.85rem}}.error{{color:#b00}}
form{{display:inline-block;margin-right:.5rem}}button{{font-size:1rem;padding:.5rem 1.2rem}}
button.pay{{background:#635bff;color:#fff;border:0;border-radius:4px}}</style></head>
<body><p class="meta">Inkline test mode · fake Stripe</p>
{body}
</body></html>"#
    ))
    .into_response()
}

/// Session fields come from API requests, so everything shown is escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
