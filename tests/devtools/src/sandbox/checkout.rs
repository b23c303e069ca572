//! The fake checkout page the deposit links point at: "Pay" or "Let it expire" drive FakeStripe,
//! which sends the signed Stripe event to the ingress exactly as Stripe would.

use super::SandboxState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use console::pages::layout::{money, shell};
use fakes::{CheckoutSession, SessionStatus, WebhookDelivery};
use maud::{Markup, html};

/// The client phone of the lead this session is for.
async fn client_link(state: &SandboxState, s: &CheckoutSession) -> Option<String> {
    let id: infra::store::ids::LeadId = s
        .metadata
        .get("lead_id")
        .or(s.client_reference_id.as_ref())?
        .parse()
        .ok()?;
    let lead = infra::store::lead_view::summary(&state.pool, id)
        .await
        .ok()??;
    let name = console::session::url_encode(lead.name.as_deref().unwrap_or_default());
    Some(format!("/sandbox/phone?wa={}&name={name}", lead.wa_id))
}

fn summary(s: &CheckoutSession) -> Markup {
    html! {
        dl.kv {
            dt { "Amount" } dd { b { (money(s.amount_total, &s.currency.to_ascii_uppercase())) } }
            @for item in &s.line_items { dt { "Item" } dd { (item.name) } }
            dt { "Session" } dd { code { (s.id) } }
            dt { "Status" } dd { (s.status.as_str()) " / " (s.payment_status.as_str()) }
            @if let Some(lead) = s.metadata.get("lead_id") { dt { "Lead" } dd { a href={"/leads/" (lead)} { (lead) } } }
        }
    }
}

fn page(title: &str, body: Markup) -> Response {
    shell(title, html! { main.login { div.card { h1 { "🔒 " (title) } (body) p.small.muted { "Fake Stripe Checkout · Inkline sandbox" } } } }).into_response()
}

/// `GET /sandbox/checkout/{id}`.
pub async fn show(State(state): State<SandboxState>, Path(id): Path<String>) -> Response {
    let sb = state.sandbox.clone();
    let Some(s) = sb.stripe.session(&id) else {
        return (
            StatusCode::NOT_FOUND,
            page(
                "No such checkout",
                html! { p { "This checkout session does not exist." } },
            ),
        )
            .into_response();
    };
    page(
        "Pay your deposit",
        html! {
            (summary(&s))
            @if s.status == SessionStatus::Open {
                div.actions {
                    form method="post" action={"/sandbox/checkout/" (s.id) "/pay"} { button #pay type="submit" { "Pay " (money(s.amount_total, &s.currency.to_ascii_uppercase())) } }
                    form method="post" action={"/sandbox/checkout/" (s.id) "/expire"} { button.secondary #expire type="submit" { "Let it expire" } }
                }
            } @else {
                p.muted { "This checkout session is " (s.status.as_str()) "." }
            }
        },
    )
}

async fn drive(state: &SandboxState, id: &str, pay: bool) -> Response {
    let sb = state.sandbox.clone();
    let outcome = if pay {
        sb.stripe.complete(id).await
    } else {
        sb.stripe.expire_now(id).await
    };
    let session = sb.stripe.session(id);
    let back = match &session {
        Some(s) => client_link(state, s).await,
        None => None,
    };
    match outcome {
        Ok(delivery) => page(
            if pay { "Payment complete" } else { "Checkout expired" },
            html! {
                @if let Some(s) = &session { (summary(s)) }
                (delivery_note(&delivery))
                @if let Some(b) = back { p { a.button href=(b) { "Back to the chat" } } }
            },
        ),
        Err(e) => (
            StatusCode::CONFLICT,
            page("Not possible", html! { p.flash.err { (e.message) } @if let Some(b) = back { p { a href=(b) { "Back to the chat" } } } }),
        )
            .into_response(),
    }
}

fn delivery_note(d: &WebhookDelivery) -> Markup {
    html! {
        p #delivery {
            "Stripe sent " code { (d.event_type().unwrap_or("an event")) } " to the ingress: "
            @match (d.status, &d.error) {
                (Some(s), _) if d.accepted() => { "accepted (HTTP " (s) ")." },
                (Some(s), _) => span style="color:var(--bad)" { "refused (HTTP " (s) ")." },
                (None, Some(e)) => span style="color:var(--bad)" { "not delivered: " (e) },
                (None, None) => "no webhook URL set.",
            }
        }
    }
}

/// `POST /sandbox/checkout/{id}/pay`.
pub async fn pay(State(state): State<SandboxState>, Path(id): Path<String>) -> Response {
    drive(&state, &id, true).await
}

/// `POST /sandbox/checkout/{id}/expire`.
pub async fn expire(State(state): State<SandboxState>, Path(id): Path<String>) -> Response {
    drive(&state, &id, false).await
}
