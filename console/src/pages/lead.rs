//! One lead: answers, estimate, references, the transcript with delivery ticks, status history,
//! audit events, and the artist actions that apply in its current status.

use super::error::PageError;
use super::layout::{Nav, badge, money, page, ticks, when, when_long};
use crate::actions::{self, ActionInput, BuildError, PerformError};
use crate::session::SignedIn;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use infra::actions::ActionError;
use infra::store::ids::LeadId;
use infra::store::lead_view::{self, LeadJson};
use infra::store::messages::Direction;
use inkline_core::conversation::Severity;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// A message shown above the lead after an action.
enum Flash {
    Ok(String),
    Err(String),
}

async fn load(state: &AppState, who: &SignedIn, id: &str) -> Result<LeadJson, PageError> {
    let id: LeadId = id.parse().map_err(|_| PageError::not_found())?;
    let lead = lead_view::detail(&state.pool, id)
        .await?
        .ok_or_else(PageError::not_found)?;
    // Another artist's lead does not exist as far as this artist can tell.
    if !who.may_see(&lead.artist) {
        return Err(PageError::not_found());
    }
    Ok(lead)
}

/// `GET /leads/{id}`.
pub async fn show(
    State(state): State<AppState>,
    who: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Markup, PageError> {
    let lead = load(&state, &who, &id).await?;
    let flash = q
        .done
        .filter(|a| actions::NAMES.contains(&a.as_str()))
        .map(|a| Flash::Ok(format!("Done: {a}.")));
    render(&state, &who, &lead, flash).await
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
    deposit: Option<String>,
    reason: Option<String>,
    text: Option<String>,
    note: Option<String>,
    method: Option<String>,
}

/// `POST /leads/{id}/actions/{action}`: performs it, then back to the lead (303), or the lead page
/// with the reason it was refused (409/422).
pub async fn act(
    State(state): State<AppState>,
    who: SignedIn,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> Result<Response, PageError> {
    crate::csrf::check(&who.session, f.csrf.as_deref())?;
    if !actions::NAMES.contains(&action.as_str()) {
        return Err(PageError::not_found());
    }
    let lead = load(&state, &who, &id).await?;
    let input = ActionInput {
        deposit_minor: None,
        deposit: f.deposit,
        reason: f.reason,
        text: f.text,
        note: f.note,
        method: f.method,
    };
    let (status, message) =
        match actions::perform(&state.pool, lead.id, &action, &input, &who.who.actor()).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/leads/{}?done={action}", lead.id)).into_response()
                );
            }
            Err(PerformError::Action(ActionError::NotAllowed { status, .. })) => (
                StatusCode::CONFLICT,
                format!("{action} is not possible while the lead is {status}."),
            ),
            Err(
                PerformError::Build(BuildError::Invalid(m))
                | PerformError::Action(ActionError::Invalid(m)),
            ) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            Err(PerformError::Build(e @ BuildError::NotAvailable(_))) => {
                (StatusCode::NOT_IMPLEMENTED, e.to_string())
            }
            Err(
                PerformError::Build(BuildError::Unknown(_))
                | PerformError::Action(ActionError::NotFound),
            ) => return Err(PageError::not_found()),
            Err(PerformError::Action(e)) => {
                return Err(PageError::internal("The action failed", e));
            }
        };
    let lead = load(&state, &who, &id).await?;
    let body = render(&state, &who, &lead, Some(Flash::Err(message))).await?;
    Ok((status, body).into_response())
}

async fn render(
    state: &AppState,
    who: &SignedIn,
    lead: &LeadJson,
    flash: Option<Flash>,
) -> Result<Markup, PageError> {
    let events = lead_view::events(&state.pool, lead.id, 50).await?;
    let notifications = lead_view::artist_notifications(&state.pool, lead.id).await?;
    let title = lead
        .name
        .clone()
        .unwrap_or_else(|| format!("+{}", lead.wa_id));
    let window = lead
        .last_inbound_at
        .map(|at| at + chrono::Duration::hours(24));
    let body = html! {
        p.small { a href="/leads" { "← Leads" } }
        h1 { (title) " " (badge(lead.status)) }
        @match flash {
            Some(Flash::Ok(m)) => p.flash.ok role="status" { (m) },
            Some(Flash::Err(m)) => p.flash.err role="alert" { (m) },
            None => {},
        }
        div.card {
            dl.kv {
                dt { "WhatsApp" } dd { "+" (lead.wa_id) }
                dt { "Artist" } dd { (lead.artist) }
                dt { "Step" } dd { (lead.step.as_deref().unwrap_or("–")) }
                dt { "Arrived" } dd { (when_long(lead.created_at)) }
                dt { "24 h window" } dd {
                    @match window {
                        Some(until) if until > Utc::now() => { "open until " (when(until)) " UTC — free-form replies allowed" },
                        Some(_) => span.muted { "closed — only approved templates reach the client" },
                        None => span.muted { "no message from the client yet" },
                    }
                }
            }
        }
        (actions_card(who, lead))
        div.grid {
            div.card { h2 { "Answers" } (answers(&lead.answers)) }
            div.card {
                h2 { "Estimate" }
                (estimate(lead.estimate.as_ref()))
                @if let Some(d) = &lead.deposit { h2 { "Deposit" } (deposit(d)) }
                @if let Some(b) = &lead.booking { h2 { "Booking" } pre { (pretty(b)) } }
            }
        }
        div.card { h2 { "References" } (references(&lead.references)) }
        div.card {
            h2 { "Conversation" }
            div.chat {
                @for m in lead.transcript.iter().flatten() {
                    div class={"bubble " (m.direction)} {
                        (m.text.as_deref().unwrap_or(if m.kind == "image" { "📷 image" } else { "" }))
                        span.meta {
                            @if m.kind != "text" { (m.kind) " · " }
                            (when(m.at))
                            @if m.direction == Direction::Out { " " (ticks(m.delivery)) }
                        }
                        @if let Some(why) = &m.parked { (parked(why)) }
                    }
                }
                @if lead.transcript.as_ref().is_none_or(Vec::is_empty) { p.muted { "No messages yet." } }
            }
        }
        @if !notifications.is_empty() {
            div.card {
                h2 { "Notifications to the artist" }
                table { tbody {
                    @for n in &notifications {
                        tr {
                            td.small { (when(n.at)) }
                            td { pre { (n.text.as_deref().unwrap_or("")) } }
                            td.small { (ticks(n.delivery)) @if let Some(why) = &n.parked { (parked(why)) } }
                        }
                    }
                } }
            }
        }
        div.grid {
            div.card {
                h2 { "Status history" }
                table {
                    thead { tr { th { "When" } th { "From" } th { "To" } th { "Cause" } } }
                    tbody {
                        @for h in lead.history.iter().flatten() {
                            tr { td.small { (when(h.at)) } td.small { (h.from) } td.small { (h.to) } td.small { (h.cause) } }
                        }
                    }
                }
            }
            div.card {
                h2 { "System events" }
                @if events.is_empty() { p.muted { "None." } } @else {
                    table {
                        thead { tr { th { "When" } th { "Event" } th { "Detail" } } }
                        tbody {
                            @for e in &events {
                                tr {
                                    td.small { (when(e.at)) }
                                    td.small { span class={"badge" @if e.severity != Severity::Info { " b-pending_approval" }} { (e.kind) } }
                                    td { pre.small { (compact(&e.detail)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&title, who, Nav::Leads, body))
}

/// An unsent message set aside: why, and where to look (the queues page lists every one).
fn parked(why: &str) -> Markup {
    html! {
        span.meta.tick-failed title="not sent: replay outbound.whatsapp on the Queues page (or resume the artist's sending) to send it" {
            "⏸ parked: " (why)
        }
    }
}

fn actions_card(who: &SignedIn, lead: &LeadJson) -> Markup {
    let offered = actions::offered(lead.status);
    let action_url = |a: &str| format!("/leads/{}/actions/{a}", lead.id);
    let default_deposit = lead
        .estimate
        .as_ref()
        .and_then(|e| e.pointer("/deposit/amount_minor"))
        .and_then(Value::as_i64)
        .map(|m| format!("{}.{:02}", m / 100, m % 100));
    let soon = |a: &str| {
        (!actions::available(a))
            .then_some("Arrives with the payments work; not available in this build yet.")
    };
    html! {
        div.card {
            h2 { "Actions" }
            @if offered.is_empty() { p.muted { "No action applies to a lead in this status." } }
            div.actions {
                @if offered.contains(&"approve") {
                    form method="post" action=(action_url("approve")) {
                        (crate::csrf::field(&who.session))
                        label for="deposit" { "Approve with deposit" }
                        input #deposit name="deposit" inputmode="decimal" value=[default_deposit.as_deref()] size="8";
                        " "
                        button type="submit" name="go" disabled[soon("approve").is_some()] title=[soon("approve")] { "Approve" }
                    }
                }
                @if offered.contains(&"reject") {
                    form method="post" action=(action_url("reject")) {
                        (crate::csrf::field(&who.session))
                        label for="reason" { "Reject" }
                        input #reason name="reason" placeholder="Reason (optional)";
                        " "
                        button.danger type="submit" disabled[soon("reject").is_some()] title=[soon("reject")] { "Reject" }
                    }
                }
                @if offered.contains(&"send-deposit") {
                    form method="post" action=(action_url("send-deposit")) {
                        (crate::csrf::field(&who.session))
                        label { "Deposit link" }
                        button type="submit" disabled[soon("send-deposit").is_some()] title=[soon("send-deposit")] { "Send deposit link" }
                    }
                }
                @if offered.contains(&"ask-more") {
                    form method="post" action=(action_url("ask-more")) {
                        (crate::csrf::field(&who.session))
                        label for="note" { "Ask the client for more" }
                        input #note name="note" placeholder="What do you need to know?";
                        " "
                        button.secondary type="submit" { "Ask" }
                    }
                }
                @if offered.contains(&"mark-paid") {
                    form method="post" action=(action_url("mark-paid")) {
                        (crate::csrf::field(&who.session))
                        label for="method" { "Paid outside Stripe" }
                        select #method name="method" { option value="cash" { "Cash" } option value="bank" { "Bank transfer" } }
                        " "
                        button.secondary type="submit" { "Mark deposit paid" }
                    }
                }
                @if offered.contains(&"handover") {
                    form method="post" action=(action_url("handover")) {
                        (crate::csrf::field(&who.session))
                        label { "The bot is answering" }
                        button.secondary type="submit" { "Take over the chat" }
                    }
                }
                @if offered.contains(&"resume") {
                    form method="post" action=(action_url("resume")) {
                        (crate::csrf::field(&who.session))
                        label { "You own this chat" }
                        button.secondary type="submit" { "Give it back to the bot" }
                    }
                }
                @if offered.contains(&"reply") {
                    form method="post" action=(action_url("reply")) {
                        (crate::csrf::field(&who.session))
                        label for="reply-text" { "Reply as the artist" }
                        textarea #reply-text name="text" maxlength="4096" required placeholder="Goes out through the sender; outside the 24 h window only templates are delivered." {}
                        button type="submit" { "Send" }
                    }
                }
            }
        }
    }
}

fn answers(a: &Value) -> Markup {
    let Some(obj) = a.as_object().filter(|o| !o.is_empty()) else {
        return html! { p.muted { "Nothing answered yet." } };
    };
    html! {
        dl.kv {
            @for (k, v) in obj {
                dt { (k.replace('_', " ")) }
                dd { (answer_text(k, v)) }
            }
        }
    }
}

/// An answer as a person would write it.
fn answer_text(key: &str, v: &Value) -> String {
    match (key, v) {
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        ("dimensions", d) => format!(
            "{} × {} cm",
            d.get("width_cm")
                .and_then(Value::as_f64)
                .unwrap_or_default(),
            d.get("height_cm")
                .and_then(Value::as_f64)
                .unwrap_or_default()
        ),
        ("budget", b) => match (
            b.get("amount_minor").and_then(Value::as_i64),
            b.get("currency").and_then(Value::as_str),
        ) {
            (Some(m), Some(c)) => money(m, c),
            (Some(m), None) => money(m, "???"),
            _ => compact(b),
        },
        ("location", l) => {
            let parts: Vec<&str> = ["city", "country", "region"]
                .iter()
                .filter_map(|k| l.get(*k).and_then(Value::as_str))
                .collect();
            let flexible = l.get("flexible").and_then(Value::as_bool) == Some(true);
            format!(
                "{}{}",
                parts.join(", "),
                if flexible { " (flexible)" } else { "" }
            )
        }
        (_, other) => compact(other),
    }
}

fn estimate(e: Option<&Value>) -> Markup {
    let Some(e) = e else {
        return html! { p.muted { "Not estimated yet (the consultation is not complete)." } };
    };
    let deposit = match (
        e.pointer("/deposit/amount_minor").and_then(Value::as_i64),
        e.pointer("/deposit/currency").and_then(Value::as_str),
    ) {
        (Some(m), Some(c)) => money(m, c),
        _ => "–".to_owned(),
    };
    html! {
        dl.kv {
            dt { "Size" } dd { (e.get("category").and_then(Value::as_str).unwrap_or("–")) }
            dt { "Days" } dd { (e.get("days").and_then(Value::as_i64).map(|d| d.to_string()).unwrap_or_else(|| "–".into())) }
            dt { "Suggested deposit" } dd { (deposit) }
        }
    }
}

fn references(r: &Value) -> Markup {
    let items = r.as_array().cloned().unwrap_or_default();
    if items.is_empty() {
        return html! { p.muted { "No references." } };
    }
    html! {
        div.refs {
            @for item in &items {
                @match (item.get("kind").and_then(Value::as_str), item.get("media_id").and_then(Value::as_str), item.get("url").and_then(Value::as_str)) {
                    (Some("image"), Some(media), _) => {
                        figure style="margin:0" {
                            a href={"/media/" (media)} { img src={"/media/" (media)} alt={"reference image " (media)} loading="lazy"; }
                            @if let Some(c) = item.get("caption").and_then(Value::as_str) { figcaption.small { (c) } }
                        }
                    },
                    (_, _, Some(url)) if url.starts_with("https://") || url.starts_with("http://") => {
                        a href=(url) rel="noopener noreferrer nofollow" target="_blank" { (url) }
                    },
                    _ => { pre.small { (compact(item)) } },
                }
            }
        }
    }
}

fn deposit(d: &Value) -> Markup {
    let s = |k: &str| d.get(k).and_then(Value::as_str);
    let amount = match (d.get("amount_minor").and_then(Value::as_i64), s("currency")) {
        (Some(m), Some(c)) => money(m, c),
        _ => "–".to_owned(),
    };
    html! {
        dl.kv {
            dt { "Amount" } dd { (amount) }
            dt { "Status" } dd { (s("status").unwrap_or("–")) }
            @if let Some(m) = s("method") { dt { "Method" } dd { (m) } }
            @if let Some(u) = s("url") { dt { "Link" } dd { a href=(u) rel="noopener noreferrer" target="_blank" { "checkout" } } }
            @if let Some(e) = s("expires_at") { dt { "Expires" } dd.small { (e) } }
            @if let Some(p) = s("paid_at") { dt { "Paid" } dd.small { (p) } }
        }
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
