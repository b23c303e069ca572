//! WhatsApp Cloud API client: send, mark-as-read and media download over HTTP, with timeouts.

use inkline_core::domain::MessageBody;
pub use inkline_core::graph::{GraphError, payload};
use serde::Deserialize as _;
use serde_json::{Value, json};
use std::time::Duration;

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
