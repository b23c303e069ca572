//! Inbound WhatsApp webhook bodies exactly as Meta POSTs them (external-apis.md 1.3–1.5): compact
//! JSON, Meta's key order, numbers as strings. Tests, the sandbox and the load generator build
//! them here and sign them with [`signed`], so ingress sees what production sees.
//!
//! The free functions return one complete body; for batches or extras (a reply `context`, a
//! missing profile), build [`Change`]s and combine them with [`batch`].

use serde::Serialize;
use serde_json::{Map, Value, json};

use inkline_core::webhook::signature::sign_whatsapp;

/// The WhatsApp Business Account id every fake entry carries (from the section 6.a vector).
pub const WABA_ID: &str = "102290129340398";
/// The business display number every fake change carries (from the section 6.a vector).
pub const DISPLAY_PHONE_NUMBER: &str = "15550783881";

/// One `entry[].changes[]` item: messages from one client, or statuses, for one business number.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    value: ChangeValue,
    field: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct ChangeValue {
    messaging_product: &'static str,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contacts: Vec<Contact>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<Message>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
struct Metadata {
    display_phone_number: &'static str,
    phone_number_id: String,
}

#[derive(Debug, Clone, Serialize)]
struct Contact {
    profile: Profile,
    wa_id: String,
}

#[derive(Debug, Clone, Serialize)]
struct Profile {
    name: String,
}

#[derive(Debug, Clone, Serialize)]
struct Message {
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Value>,
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(flatten)]
    content: Map<String, Value>,
}

impl Change {
    /// A message of any `kind` (`location`, `reaction`, `audio`, `unsupported`...) whose
    /// type-specific object is `content`, e.g. `kind = "location"`, `content = {"latitude": ...}`.
    pub fn message(
        phone_number_id: &str,
        wa_id: &str,
        name: &str,
        wamid: &str,
        unix_ts: i64,
        kind: &str,
        content: Value,
    ) -> Change {
        let mut fields = Map::new();
        fields.insert(kind.to_string(), content);
        let message = Message {
            context: None,
            from: wa_id.to_string(),
            id: wamid.to_string(),
            timestamp: unix_ts.to_string(),
            kind: kind.to_string(),
            content: fields,
        };
        let contact = Contact {
            profile: Profile {
                name: name.to_string(),
            },
            wa_id: wa_id.to_string(),
        };
        Change::new(phone_number_id, vec![contact], vec![message], Vec::new())
    }

    /// A text message.
    pub fn text(
        phone_number_id: &str,
        wa_id: &str,
        name: &str,
        wamid: &str,
        unix_ts: i64,
        body: &str,
    ) -> Change {
        Change::message(
            phone_number_id,
            wa_id,
            name,
            wamid,
            unix_ts,
            "text",
            json!({"body": body}),
        )
    }

    /// An image (`image/jpeg`; see [`Change::mime_type`]) with an optional caption.
    pub fn image(
        phone_number_id: &str,
        wa_id: &str,
        name: &str,
        wamid: &str,
        unix_ts: i64,
        media_id: &str,
        caption: Option<&str>,
    ) -> Change {
        let mut image =
            json!({"mime_type": "image/jpeg", "sha256": fake_sha256(media_id), "id": media_id});
        if let Some(c) = caption {
            image["caption"] = json!(c);
        }
        Change::message(phone_number_id, wa_id, name, wamid, unix_ts, "image", image)
    }

    /// A tap on one of our reply buttons.
    pub fn button_reply(
        phone_number_id: &str,
        wa_id: &str,
        name: &str,
        wamid: &str,
        unix_ts: i64,
        id: &str,
        title: &str,
    ) -> Change {
        let reply = json!({"type": "button_reply", "button_reply": {"id": id, "title": title}});
        Change::message(
            phone_number_id,
            wa_id,
            name,
            wamid,
            unix_ts,
            "interactive",
            reply,
        )
    }

    /// A pick from one of our lists.
    pub fn list_reply(
        phone_number_id: &str,
        wa_id: &str,
        name: &str,
        wamid: &str,
        unix_ts: i64,
        id: &str,
        title: &str,
    ) -> Change {
        let reply = json!({"type": "list_reply", "list_reply": {"id": id, "title": title}});
        Change::message(
            phone_number_id,
            wa_id,
            name,
            wamid,
            unix_ts,
            "interactive",
            reply,
        )
    }

    /// A status update for our message `wamid` (`sent`, `delivered`, `read`, `failed`); a
    /// `failed` status carries `errors[0].code = error_code`.
    pub fn status(
        phone_number_id: &str,
        recipient_id: Option<&str>,
        wamid: &str,
        status: &str,
        unix_ts: i64,
        error_code: Option<i64>,
    ) -> Change {
        let mut s = Map::new();
        s.insert("id".into(), json!(wamid));
        s.insert("status".into(), json!(status));
        s.insert("timestamp".into(), json!(unix_ts.to_string()));
        if let Some(r) = recipient_id {
            s.insert("recipient_id".into(), json!(r));
        }
        if let Some(code) = error_code {
            let (title, details) = super::graph_faults::describe(code);
            s.insert(
                "errors".into(),
                json!([{"code": code, "title": title, "message": title, "error_data": {"details": details}}]),
            );
        } else if status != "failed" {
            s.insert(
                "conversation".into(),
                json!({"id": format!("CONV{wamid}"), "origin": {"type": "service"}}),
            );
            s.insert(
                "pricing".into(),
                json!({"billable": false, "pricing_model": "PMP", "category": "service"}),
            );
        }
        Change::new(
            phone_number_id,
            Vec::new(),
            Vec::new(),
            vec![Value::Object(s)],
        )
    }

    /// Marks the messages as a reply to (or a button tap on) our message `our_wamid`.
    pub fn in_reply_to(mut self, our_wamid: &str) -> Change {
        for m in &mut self.value.messages {
            m.context = Some(json!({"from": DISPLAY_PHONE_NUMBER, "id": our_wamid}));
        }
        self
    }

    /// Replaces the image's mime type.
    pub fn mime_type(mut self, mime: &str) -> Change {
        for m in &mut self.value.messages {
            if let Some(Value::Object(image)) = m.content.get_mut("image") {
                image.insert("mime_type".into(), json!(mime));
            }
        }
        self
    }

    /// This change alone in a complete webhook body.
    pub fn body(self) -> Vec<u8> {
        batch(vec![self])
    }

    fn new(
        phone_number_id: &str,
        contacts: Vec<Contact>,
        messages: Vec<Message>,
        statuses: Vec<Value>,
    ) -> Change {
        let metadata = Metadata {
            display_phone_number: DISPLAY_PHONE_NUMBER,
            phone_number_id: phone_number_id.to_string(),
        };
        let value = ChangeValue {
            messaging_product: "whatsapp",
            metadata,
            contacts,
            messages,
            statuses,
        };
        Change {
            value,
            field: "messages",
        }
    }
}

#[derive(Serialize)]
struct Envelope {
    object: &'static str,
    entry: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    id: String,
    changes: Vec<Change>,
}

/// Several changes in one POST: one `entry` per business number (first-seen order), each change
/// its own `changes[]` item, as Meta batches under load.
pub fn batch(changes: Vec<Change>) -> Vec<u8> {
    let mut entry: Vec<Entry> = Vec::new();
    for change in changes {
        let pnid = change.value.metadata.phone_number_id.clone();
        match entry.iter_mut().find(|e| {
            e.changes
                .first()
                .is_some_and(|c| c.value.metadata.phone_number_id == pnid)
        }) {
            Some(e) => e.changes.push(change),
            None => entry.push(Entry {
                id: WABA_ID.to_string(),
                changes: vec![change],
            }),
        }
    }
    let envelope = Envelope {
        object: "whatsapp_business_account",
        entry,
    };
    // Serialising plain structs and JSON values cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// A text message webhook body.
pub fn text(
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    unix_ts: i64,
    body: &str,
) -> Vec<u8> {
    Change::text(phone_number_id, wa_id, name, wamid, unix_ts, body).body()
}

/// An image message webhook body (`image/jpeg`).
pub fn image(
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    unix_ts: i64,
    media_id: &str,
    caption: Option<&str>,
) -> Vec<u8> {
    Change::image(
        phone_number_id,
        wa_id,
        name,
        wamid,
        unix_ts,
        media_id,
        caption,
    )
    .body()
}

/// A reply-button tap webhook body.
pub fn button_reply(
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    unix_ts: i64,
    id: &str,
    title: &str,
) -> Vec<u8> {
    Change::button_reply(phone_number_id, wa_id, name, wamid, unix_ts, id, title).body()
}

/// A list-row pick webhook body.
pub fn list_reply(
    phone_number_id: &str,
    wa_id: &str,
    name: &str,
    wamid: &str,
    unix_ts: i64,
    id: &str,
    title: &str,
) -> Vec<u8> {
    Change::list_reply(phone_number_id, wa_id, name, wamid, unix_ts, id, title).body()
}

/// A status webhook body for our message `wamid` (no `recipient_id`; see [`status_to`]).
pub fn status(
    phone_number_id: &str,
    wamid: &str,
    status: &str,
    unix_ts: i64,
    error_code: Option<i64>,
) -> Vec<u8> {
    Change::status(phone_number_id, None, wamid, status, unix_ts, error_code).body()
}

/// A status webhook body with `recipient_id`, as Meta sends it.
pub fn status_to(
    phone_number_id: &str,
    recipient_id: &str,
    wamid: &str,
    status: &str,
    unix_ts: i64,
    error_code: Option<i64>,
) -> Vec<u8> {
    Change::status(
        phone_number_id,
        Some(recipient_id),
        wamid,
        status,
        unix_ts,
        error_code,
    )
    .body()
}

/// The body with its `X-Hub-Signature-256` header value (`sha256=<hex>`).
pub fn signed(app_secret: impl AsRef<[u8]>, body: Vec<u8>) -> (Vec<u8>, String) {
    let header = sign_whatsapp(app_secret.as_ref(), &body);
    (body, header)
}

/// A stable stand-in for the media's sha256 (the fake never sees the bytes here).
fn fake_sha256(media_id: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(media_id.as_bytes()))
}
