//! Decodes WhatsApp Cloud API webhook payloads: every entry, change, message and status.

use crate::conversation::{Content, Inbound};
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

/// One thing a webhook POST told us about.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A client wrote to a business number.
    Message {
        phone_number_id: String,
        wa_id: String,
        inbound: Inbound,
    },
    /// A delivery receipt for one of our messages.
    Status(StatusUpdate),
}

/// Delivery states, in the order they may only move forward (failed is terminal). Serialized as
/// [`Delivery::as_str`] (the API's `delivery` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
            Delivery::Failed => "failed",
        }
    }
}

/// A receipt for an outbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub phone_number_id: String,
    /// Our message's wamid.
    pub id: String,
    pub delivery: Delivery,
    pub at: Option<DateTime<Utc>>,
    pub recipient_id: Option<String>,
    pub error_code: Option<i64>,
    pub error_detail: Option<String>,
}

/// A payload that is not a WhatsApp webhook at all.
#[derive(Debug, thiserror::Error)]
#[error("not a WhatsApp webhook payload: {0}")]
pub struct DecodeError(String);

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: Option<Value>,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<RawMessage>,
    #[serde(default)]
    statuses: Vec<RawStatus>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: String,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    from: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<TextBody>,
    #[serde(default)]
    image: Option<Media>,
    #[serde(default)]
    interactive: Option<Interactive>,
    #[serde(default)]
    button: Option<TemplateButton>,
    #[serde(default)]
    location: Option<RawLocation>,
    #[serde(default)]
    reaction: Option<Reaction>,
}

#[derive(Deserialize)]
struct TextBody {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct Media {
    #[serde(default)]
    id: String,
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    caption: Option<String>,
}

#[derive(Deserialize)]
struct Interactive {
    #[serde(default)]
    button_reply: Option<Reply>,
    #[serde(default)]
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
}

#[derive(Deserialize)]
struct TemplateButton {
    #[serde(default)]
    payload: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct RawLocation {
    #[serde(default)]
    latitude: f64,
    #[serde(default)]
    longitude: f64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Deserialize)]
struct Reaction {
    #[serde(default)]
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct RawStatus {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    recipient_id: Option<String>,
    #[serde(default)]
    errors: Vec<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

fn unix(ts: Option<&str>) -> Option<DateTime<Utc>> {
    let secs: i64 = ts?.trim().parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// PostgreSQL refuses U+0000 in text and JSON: a client who types one gets U+FFFD instead of a
/// message stuck in retries.
fn clean(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s
    }
}

fn clean_content(c: Content) -> Content {
    let o = |v: Option<String>| v.map(clean);
    match c {
        Content::Text { body } => Content::Text { body: clean(body) },
        Content::Image {
            media_id,
            mime_type,
            caption,
        } => Content::Image {
            media_id: clean(media_id),
            mime_type: o(mime_type),
            caption: o(caption),
        },
        Content::Choice { id, title } => Content::Choice {
            id: clean(id),
            title: clean(title),
        },
        Content::TemplateButton { payload, text } => Content::TemplateButton {
            payload: clean(payload),
            text: clean(text),
        },
        Content::Location {
            latitude,
            longitude,
            name,
            address,
        } => Content::Location {
            latitude,
            longitude,
            name: o(name),
            address: o(address),
        },
        Content::Reaction { emoji } => Content::Reaction { emoji: o(emoji) },
        Content::Other { kind } => Content::Other { kind: clean(kind) },
    }
}

fn content(m: RawMessage) -> Content {
    match m.kind.as_str() {
        "text" => Content::Text {
            body: m.text.map(|t| t.body).unwrap_or_default(),
        },
        "image" => match m.image {
            Some(img) => Content::Image {
                media_id: img.id,
                mime_type: img.mime_type,
                caption: img.caption,
            },
            None => Content::Other {
                kind: "image".into(),
            },
        },
        "interactive" => match m.interactive.and_then(|i| i.button_reply.or(i.list_reply)) {
            Some(r) => Content::Choice {
                id: r.id,
                title: r.title,
            },
            None => Content::Other {
                kind: "interactive".into(),
            },
        },
        "button" => match m.button {
            Some(b) => Content::TemplateButton {
                payload: b.payload,
                text: b.text,
            },
            None => Content::Other {
                kind: "button".into(),
            },
        },
        "location" => match m.location {
            Some(l) => Content::Location {
                latitude: l.latitude,
                longitude: l.longitude,
                name: l.name,
                address: l.address,
            },
            None => Content::Other {
                kind: "location".into(),
            },
        },
        "reaction" => Content::Reaction {
            emoji: m.reaction.and_then(|r| r.emoji).filter(|e| !e.is_empty()),
        },
        "" => Content::Other {
            kind: "unknown".into(),
        },
        other => Content::Other {
            kind: other.to_owned(),
        },
    }
}

/// Decodes every message and status in a webhook body. Changes other than `messages` are skipped;
/// messages without an id or sender are dropped (they cannot be deduplicated or answered).
/// `received_at` stands in for a missing or unreadable timestamp.
pub fn decode(body: &[u8], received_at: DateTime<Utc>) -> Result<Vec<Item>, DecodeError> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| DecodeError(e.to_string()))?;
    let mut items = Vec::new();
    for entry in env.entry {
        for change in entry.changes {
            if change.field != "messages" {
                continue;
            }
            let Some(value) = change.value else { continue };
            let phone_number_id = value
                .metadata
                .map(|m| m.phone_number_id)
                .unwrap_or_default();
            let name_of = |wa_id: &str| {
                value
                    .contacts
                    .iter()
                    .find(|c| c.wa_id == wa_id)
                    .and_then(|c| c.profile.as_ref()?.name.clone())
            };
            for m in value.messages {
                if m.id.is_empty() || m.from.is_empty() {
                    continue;
                }
                let wa_id = m.from.clone();
                let inbound = Inbound {
                    id: m.id.clone(),
                    at: unix(m.timestamp.as_deref()).unwrap_or(received_at),
                    profile_name: name_of(&wa_id).map(clean),
                    content: clean_content(content(m)),
                };
                items.push(Item::Message {
                    phone_number_id: phone_number_id.clone(),
                    wa_id,
                    inbound,
                });
            }
            for s in value.statuses {
                let delivery = match s.status.as_str() {
                    "sent" => Delivery::Sent,
                    "delivered" => Delivery::Delivered,
                    "read" | "played" => Delivery::Read,
                    "failed" => Delivery::Failed,
                    _ => continue,
                };
                if s.id.is_empty() {
                    continue;
                }
                let err = s.errors.into_iter().next();
                items.push(Item::Status(StatusUpdate {
                    phone_number_id: phone_number_id.clone(),
                    id: s.id,
                    delivery,
                    at: unix(s.timestamp.as_deref()),
                    recipient_id: s.recipient_id,
                    error_code: err.as_ref().and_then(|e| e.code),
                    error_detail: err
                        .and_then(|e| e.error_data.and_then(|d| d.details).or(e.title)),
                }));
            }
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn batch_of_entries_changes_messages_and_statuses_is_fully_decoded() {
        let body = serde_json::json!({"object":"whatsapp_business_account","entry":[
          {"id":"1","changes":[
            {"field":"messages","value":{"metadata":{"phone_number_id":"P1"},
              "contacts":[{"wa_id":"111","profile":{"name":"Ann"}}],
              "messages":[{"from":"111","id":"wamid.A","timestamp":"1764064800","type":"text","text":{"body":"hi"}},
                          {"from":"222","id":"wamid.B","timestamp":"bad","type":"image","image":{"id":"M1","mime_type":"image/jpeg"}}],
              "statuses":[{"id":"wamid.OUT","status":"read","timestamp":"1764064900","recipient_id":"111"}]}},
            {"field":"account_update","value":{}}]},
          {"id":"2","changes":[
            {"field":"messages","value":{"metadata":{"phone_number_id":"P2"},
              "messages":[{"from":"333","id":"wamid.C","timestamp":"1764064800","type":"interactive",
                 "interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes"}}},
                 {"from":"333","id":"wamid.D","type":"sticker","sticker":{}},
                 {"from":"333","id":"wamid.E","type":"reaction","reaction":{"message_id":"x","emoji":""}}],
              "statuses":[{"id":"wamid.OUT2","status":"failed","errors":[{"code":131047,"title":"Re-engagement message",
                 "error_data":{"details":"more than 24 hours"}}]}]}}]}]});
        let items = decode(body.to_string().as_bytes(), now()).unwrap();
        assert_eq!(items.len(), 7);
        let Item::Message {
            phone_number_id,
            wa_id,
            inbound,
        } = &items[0]
        else {
            panic!()
        };
        assert_eq!((phone_number_id.as_str(), wa_id.as_str()), ("P1", "111"));
        assert_eq!(inbound.profile_name.as_deref(), Some("Ann"));
        assert_eq!(inbound.at.timestamp(), 1764064800);
        assert_eq!(inbound.content, Content::Text { body: "hi".into() });
        let Item::Message { inbound, .. } = &items[1] else {
            panic!()
        };
        assert_eq!(
            inbound.at,
            now(),
            "unreadable timestamp falls back to receive time"
        );
        assert!(matches!(&inbound.content, Content::Image { media_id, .. } if media_id == "M1"));
        assert!(
            matches!(&items[2], Item::Status(s) if s.delivery == Delivery::Read && s.phone_number_id == "P1")
        );
        let Item::Message { inbound, .. } = &items[3] else {
            panic!()
        };
        assert_eq!(
            inbound.content,
            Content::Choice {
                id: "yes".into(),
                title: "Yes".into()
            }
        );
        let Item::Message { inbound, .. } = &items[4] else {
            panic!()
        };
        assert_eq!(
            inbound.content,
            Content::Other {
                kind: "sticker".into()
            }
        );
        let Item::Message { inbound, .. } = &items[5] else {
            panic!()
        };
        assert_eq!(inbound.content, Content::Reaction { emoji: None });
        let Item::Status(s) = &items[6] else { panic!() };
        assert_eq!((s.delivery, s.error_code), (Delivery::Failed, Some(131047)));
        assert_eq!(s.error_detail.as_deref(), Some("more than 24 hours"));
    }

    #[test]
    fn nul_characters_become_replacement_characters() {
        let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"contacts":[{"wa_id":"1","profile":{"name":"A\u0000B"}}],"messages":[{"from":"1","id":"w","type":"text","text":{"body":"hi\u0000there"}}]}}]}]}"#;
        let items = decode(body, now()).unwrap();
        let Item::Message { inbound, .. } = &items[0] else {
            panic!()
        };
        assert_eq!(
            inbound.content,
            Content::Text {
                body: "hi\u{FFFD}there".into()
            }
        );
        assert_eq!(inbound.profile_name.as_deref(), Some("A\u{FFFD}B"));
    }

    #[test]
    fn garbage_is_an_error_and_odd_shapes_are_tolerated() {
        assert!(decode(b"not json", now()).is_err());
        assert!(decode(b"[1,2]", now()).is_err());
        assert_eq!(decode(b"{}", now()).unwrap(), vec![]);
        let no_contacts = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","id":"w","type":"text"}]}}]}]}"#;
        let items = decode(no_contacts, now()).unwrap();
        assert!(
            matches!(&items[0], Item::Message { phone_number_id, inbound, .. } if phone_number_id.is_empty() && inbound.profile_name.is_none())
        );
        let no_id = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"from":"1","type":"text"}]}}]}]}"#;
        assert!(decode(no_id, now()).unwrap().is_empty());
    }
}
