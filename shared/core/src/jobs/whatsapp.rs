//! `outbound.whatsapp`: sends, mark-as-read and media downloads for the sender.

use crate::conversation::Recipient;
use crate::domain::MessageBody;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which of the artist's approved templates replaces a message outside the 24 h window
/// (docs/templates.md). A job without one gets `follow_up` (client) or `artist_notification`
/// (the artist's own number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateKind {
    FollowUp,
    DepositLink,
    BookingReminder,
    ArtistMessage,
    ArtistNotification,
    /// Only makes sense inside the window: outside it the message is recorded undeliverable and
    /// the artist told.
    NoTemplate,
}

/// `outbound.whatsapp`: send one message. `message_id` is the transcript row (and the outbox id),
/// which makes the sender idempotent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendJob {
    pub message_id: Uuid,
    pub artist_id: Uuid,
    #[serde(default)]
    pub lead_id: Option<Uuid>,
    pub recipient: Recipient,
    /// The recipient's WhatsApp id.
    pub to: String,
    pub body: MessageBody,
    /// The template equivalent outside the 24 h window (None: the recipient's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateKind>,
    /// The template's body parameters when the producer knows them (deposit amount, link...);
    /// empty: derived from the message (see `sender::window`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_params: Vec<String>,
}

/// `outbound.whatsapp`, besides sends: the other Graph API calls the sender makes for an artist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum WhatsAppJob {
    /// Mark an inbound message (and the ones before it) as read: blue ticks for the client.
    MarkRead { artist_id: Uuid, wamid: String },
    /// Download an inbound image (a reference photo) and keep it.
    FetchMedia(MediaJob),
}

/// An inbound media object to download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaJob {
    pub artist_id: Uuid,
    #[serde(default)]
    pub lead_id: Option<Uuid>,
    pub media_id: String,
    /// The inbound message that carried it.
    #[serde(default)]
    pub wamid: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// Anything on `outbound.whatsapp` (and its partitions).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OutboundJob {
    Send(SendJob),
    Other(WhatsAppJob),
}

impl OutboundJob {
    /// The artist whose number makes the call (it picks the partition).
    pub fn artist_id(&self) -> Uuid {
        match self {
            OutboundJob::Send(j) => j.artist_id,
            OutboundJob::Other(WhatsAppJob::MarkRead { artist_id, .. }) => *artist_id,
            OutboundJob::Other(WhatsAppJob::FetchMedia(j)) => j.artist_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_send_jobs_still_decode_and_other_jobs_are_told_apart() {
        let old = serde_json::json!({"message_id": Uuid::nil(), "artist_id": Uuid::nil(), "recipient": "client",
            "to": "1", "body": {"kind": "text", "text": "hi"}});
        let job: OutboundJob = serde_json::from_value(old).unwrap();
        assert!(matches!(
            job,
            OutboundJob::Send(SendJob { template: None, .. })
        ));
        let read = serde_json::to_value(WhatsAppJob::MarkRead {
            artist_id: Uuid::nil(),
            wamid: "wamid.X".into(),
        })
        .unwrap();
        assert_eq!(read["job"], "mark_read");
        let job: OutboundJob = serde_json::from_value(read).unwrap();
        assert!(matches!(
            job,
            OutboundJob::Other(WhatsAppJob::MarkRead { .. })
        ));
    }
}
