//! The Graph API's wire format: message payloads as Meta expects them (limits applied) and the
//! error shape Meta answers with. Pure; the HTTP client lives in the infrastructure crate.

use crate::domain::MessageBody;
use serde_json::{Value, json};
use std::time::Duration;

/// Meta's limits for interactive messages (external-apis.md 1.6).
pub const MAX_BUTTONS: usize = 3;
pub const MAX_BUTTON_TITLE: usize = 20;
pub const MAX_LIST_ROWS: usize = 10;
pub const MAX_ROW_TITLE: usize = 24;
pub const MAX_ROW_DESCRIPTION: usize = 72;
pub const MAX_LIST_BUTTON: usize = 20;
pub const MAX_TEXT: usize = 4096;
pub const MAX_INTERACTIVE_BODY: usize = 1024;

/// Cuts `s` to at most `max` characters (not bytes), ending with "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The JSON body of `POST /{version}/{phone_number_id}/messages` for one message; titles and
/// bodies are truncated to Meta's limits, extra buttons/rows dropped.
pub fn payload(to: &str, body: &MessageBody) -> Value {
    match body {
        MessageBody::Text { text } => json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"preview_url": false, "body": truncate(text, MAX_TEXT)}
        }),
        MessageBody::Buttons { text, buttons } => {
            let mut seen = std::collections::HashSet::new();
            let buttons: Vec<Value> = buttons
                .iter()
                .filter(|b| seen.insert(truncate(&b.title, MAX_BUTTON_TITLE)))
                .take(MAX_BUTTONS)
                .map(|b| json!({"type": "reply", "reply": {"id": truncate(&b.id, 256), "title": truncate(&b.title, MAX_BUTTON_TITLE)}}))
                .collect();
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive",
                "interactive": {"type": "button", "body": {"text": truncate(text, MAX_INTERACTIVE_BODY)}, "action": {"buttons": buttons}}
            })
        }
        MessageBody::List { text, button, rows } => {
            let rows: Vec<Value> = rows
                .iter()
                .take(MAX_LIST_ROWS)
                .map(|r| {
                    let mut row = json!({"id": truncate(&r.id, 200), "title": truncate(&r.title, MAX_ROW_TITLE)});
                    if let Some(d) = &r.description {
                        row["description"] = json!(truncate(d, MAX_ROW_DESCRIPTION));
                    }
                    row
                })
                .collect();
            json!({
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive",
                "interactive": {"type": "list", "body": {"text": truncate(text, MAX_TEXT)},
                    "action": {"button": truncate(button, MAX_LIST_BUTTON), "sections": [{"title": "Options", "rows": rows}]}}
            })
        }
        MessageBody::Template {
            name,
            language,
            params,
        } => {
            let mut template = json!({"name": name, "language": {"code": language}});
            if !params.is_empty() {
                let params: Vec<Value> = params
                    .iter()
                    .map(|p| json!({"type": "text", "text": truncate(p, 1024)}))
                    .collect();
                template["components"] = json!([{"type": "body", "parameters": params}]);
            }
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template", "template": template})
        }
    }
}

/// A failed call to the Graph API.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with an error object.
    #[error("Graph API error {code:?} (HTTP {http_status}): {message}")]
    Api {
        http_status: u16,
        code: Option<i64>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// No answer: connection refused, timeout, reset.
    #[error("Graph API unreachable: {0}")]
    Transport(String),
    /// An answer we cannot read.
    #[error("unexpected Graph API answer (HTTP {0})")]
    Unexpected(u16),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Choice;

    #[test]
    fn text_payload_has_meta_shape() {
        let p = payload("447700900123", &MessageBody::text("Hi"));
        assert_eq!(p["messaging_product"], "whatsapp");
        assert_eq!(p["to"], "447700900123");
        assert_eq!(p["type"], "text");
        assert_eq!(p["text"]["body"], "Hi");
    }

    #[test]
    fn buttons_are_capped_truncated_and_unique() {
        let body = MessageBody::Buttons {
            text: "Pick".into(),
            buttons: vec![
                Choice::new("a", "A very long button title that overflows"),
                Choice::new("b", "Yes"),
                Choice::new("c", "Yes"),
                Choice::new("d", "No"),
                Choice::new("e", "Maybe"),
            ],
        };
        let p = payload("1", &body);
        let buttons = p["interactive"]["action"]["buttons"].as_array().unwrap();
        assert_eq!(buttons.len(), 3);
        let titles: Vec<&str> = buttons
            .iter()
            .map(|b| b["reply"]["title"].as_str().unwrap())
            .collect();
        assert!(titles.iter().all(|t| t.chars().count() <= 20));
        assert_eq!(titles[1..], ["Yes", "No"]);
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("ééééé", 5), "ééééé");
        assert_eq!(truncate("éééééé", 5), "éééé…");
        assert_eq!(truncate("🙂🙂🙂", 2).chars().count(), 2);
    }

    #[test]
    fn template_payload_carries_parameters() {
        let p = payload(
            "1",
            &MessageBody::Template {
                name: "t".into(),
                language: "en_GB".into(),
                params: vec!["Sam".into()],
            },
        );
        assert_eq!(p["template"]["language"]["code"], "en_GB");
        assert_eq!(
            p["template"]["components"][0]["parameters"][0]["text"],
            "Sam"
        );
    }
}
