//! Chat bubbles for the sandbox phones, rendered on the server (for the first page and for each
//! live event alike): the bot's text, its reply buttons and list rows as tappable forms, templates,
//! and links made clickable. Everything from a message is escaped by maud.

use super::ClientMessage;
use chrono::{DateTime, Utc};
use fakes::SentMessage;
use maud::{Markup, html};
use serde_json::Value;

/// Which phone the bubble is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phone {
    /// Buttons and list rows tap back as the client.
    Client,
    /// Read-only; links are what matter.
    Artist,
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%H:%M").to_string()
}

/// Text with http(s) links turned into anchors (each piece escaped).
pub fn linkify(text: &str) -> Markup {
    let mut pieces: Vec<(bool, String)> = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            pieces.push((false, " ".to_owned()));
        }
        for (j, line) in word.split('\n').enumerate() {
            if j > 0 {
                pieces.push((false, "\n".to_owned()));
            }
            let trimmed = line.trim_end_matches(['.', ',', ')', '!', '?']);
            if (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
                && trimmed.len() > 8
            {
                pieces.push((true, trimmed.to_owned()));
                pieces.push((false, line[trimmed.len()..].to_owned()));
            } else {
                pieces.push((false, line.to_owned()));
            }
        }
    }
    html! {
        @for (is_link, p) in &pieces {
            @if *is_link { a href=(p) target="_blank" rel="noopener" { (p) } } @else { (p) }
        }
    }
}

/// A message from the business (the bot, the artist replying, or a notification).
pub fn from_business(m: &SentMessage, phone: Phone, client_name: &str) -> Markup {
    let b = &m.body;
    let text = m.text().unwrap_or_default();
    html! {
        div.bubble.in data-wamid=(m.wamid) {
            @match m.kind.as_str() {
                "interactive" => {
                    (linkify(text))
                    @if b.pointer("/interactive/type").and_then(Value::as_str) == Some("list") {
                        (list(m, phone, client_name))
                    } @else {
                        div.choices {
                            @for btn in b.pointer("/interactive/action/buttons").and_then(Value::as_array).into_iter().flatten() {
                                (choice(m, phone, client_name, "button", btn.pointer("/reply/id"), btn.pointer("/reply/title"), None))
                            }
                        }
                    }
                },
                "template" => {
                    span.tpl { "Template " code { (text) } }
                    @for p in b.pointer("/template/components/0/parameters").and_then(Value::as_array).into_iter().flatten() {
                        div { (linkify(p.get("text").and_then(Value::as_str).unwrap_or_default())) }
                    }
                },
                "image" => { "📷 " (linkify(text)) },
                _ => (linkify(text)),
            }
            span.meta { (time(m.at)) }
        }
    }
}

fn list(m: &SentMessage, phone: Phone, client_name: &str) -> Markup {
    let b = &m.body;
    let label = b
        .pointer("/interactive/action/button")
        .and_then(Value::as_str)
        .unwrap_or("Choose");
    html! {
        details.list {
            summary { "☰ " (label) }
            div.choices.rows {
                @for section in b.pointer("/interactive/action/sections").and_then(Value::as_array).into_iter().flatten() {
                    @for row in section.get("rows").and_then(Value::as_array).into_iter().flatten() {
                        (choice(m, phone, client_name, "list", row.get("id"), row.get("title"), row.get("description").and_then(Value::as_str)))
                    }
                }
            }
        }
    }
}

fn choice(
    m: &SentMessage,
    phone: Phone,
    client_name: &str,
    kind: &str,
    id: Option<&Value>,
    title: Option<&Value>,
    description: Option<&str>,
) -> Markup {
    let id = id.and_then(Value::as_str).unwrap_or_default();
    let title = title.and_then(Value::as_str).unwrap_or_default();
    html! {
        @if phone == Phone::Client {
            form.tap method="post" action="/sandbox/phone/tap" data-ajax="tap" {
                input type="hidden" name="wa" value=(m.to);
                input type="hidden" name="name" value=(client_name);
                input type="hidden" name="kind" value=(kind);
                input type="hidden" name="id" value=(id);
                input type="hidden" name="title" value=(title);
                input type="hidden" name="context" value=(m.wamid);
                button type="submit" { (title) @if let Some(d) = description { small { (d) } } }
            }
        } @else {
            span.choice { (title) }
        }
    }
}

/// A message the person playing the client sent.
pub fn from_client(m: &ClientMessage) -> Markup {
    html! {
        div.bubble.out {
            @if let Some(media) = &m.media_id {
                img src={"/sandbox/media/" (media)} alt="sent image";
            }
            (m.text)
            span.meta { (time(m.at)) " ✓" }
        }
    }
}
