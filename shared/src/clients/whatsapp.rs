//! WhatsApp Cloud API client: message payloads as Meta expects them, send and mark-as-read, and
//! the error shape Meta answers with.

use crate::domain::MessageBody;
use serde::Deserialize as _;
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

/// A Graph API client for one base URL and version.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    base: String,
    version: String,
}

impl GraphClient {
    pub fn new(http: reqwest::Client, base: &str, version: &str) -> Self {
        GraphClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            version: version.to_owned(),
        }
    }

    async fn post(
        &self,
        phone_number_id: &str,
        token: &str,
        body: &Value,
    ) -> Result<Value, GraphError> {
        let url = format!(
            "{}/{}/{}/messages",
            self.base, self.version, phone_number_id
        );
        let resp = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let json: Value = match resp.json().await {
            Ok(j) => j,
            Err(_) if status >= 500 => {
                return Err(GraphError::Api {
                    http_status: status,
                    code: None,
                    message: "server error".into(),
                    retry_after,
                });
            }
            Err(_) => return Err(GraphError::Unexpected(status)),
        };
        if (200..300).contains(&status) {
            return Ok(json);
        }
        Err(Self::api_error(status, &json, retry_after))
    }

    /// Sends one message; returns Meta's message id (wamid).
    pub async fn send(
        &self,
        phone_number_id: &str,
        token: &str,
        to: &str,
        body: &MessageBody,
    ) -> Result<String, GraphError> {
        let json = self
            .post(phone_number_id, token, &payload(to, body))
            .await?;
        json["messages"][0]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or(GraphError::Unexpected(200))
    }

    /// Marks an inbound message (and the ones before it) as read.
    pub async fn mark_read(
        &self,
        phone_number_id: &str,
        token: &str,
        wamid: &str,
    ) -> Result<(), GraphError> {
        let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
        self.post(phone_number_id, token, &body).await.map(|_| ())
    }
}

/// What `GET /{version}/{media-id}` says about an inbound media object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct MediaInfo {
    /// Where the bytes are (not graph.facebook.com; valid about 5 minutes; needs the token too).
    pub url: String,
    pub mime_type: String,
    pub sha256: String,
    /// Meta sends it as a string.
    #[serde(deserialize_with = "size_from_string_or_number")]
    pub file_size: u64,
}

fn size_from_string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse().map_err(serde::de::Error::custom),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("file_size is not a size")),
        _ => Err(serde::de::Error::custom("file_size is not a size")),
    }
}

impl GraphClient {
    fn api_error(status: u16, json: &Value, retry_after: Option<Duration>) -> GraphError {
        let err = &json["error"];
        GraphError::Api {
            http_status: status,
            code: err["code"].as_i64(),
            message: err["message"]
                .as_str()
                .unwrap_or("unknown error")
                .to_owned(),
            retry_after,
        }
    }

    /// Step 1 of a media download: the short-lived URL, type, size and checksum.
    pub async fn media_info(&self, token: &str, media_id: &str) -> Result<MediaInfo, GraphError> {
        let url = format!("{}/{}/{}", self.base, self.version, media_id);
        let resp = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        let json: Value = resp
            .json()
            .await
            .map_err(|_| GraphError::Unexpected(status))?;
        if !(200..300).contains(&status) {
            return Err(Self::api_error(status, &json, None));
        }
        serde_json::from_value(json).map_err(|_| GraphError::Unexpected(status))
    }

    /// Step 2: the bytes, with the same bearer token, refusing more than `max_bytes`.
    pub async fn download(
        &self,
        token: &str,
        url: &str,
        max_bytes: u64,
    ) -> Result<bytes::Bytes, GraphError> {
        let mut resp = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            let json: Value = resp.json().await.unwrap_or(Value::Null);
            return Err(Self::api_error(status, &json, None));
        }
        if resp.content_length().is_some_and(|n| n > max_bytes) {
            return Err(GraphError::Unexpected(413));
        }
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() as u64 + chunk.len() as u64 > max_bytes {
                return Err(GraphError::Unexpected(413));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }
}

fn transport(e: reqwest::Error) -> GraphError {
    GraphError::Transport(if e.is_timeout() {
        "timeout".into()
    } else {
        e.without_url().to_string()
    })
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
