//! Job payloads that travel through the outbox to worker queues (their JSON is the wire format).

use crate::conversation::Recipient;
use crate::domain::MessageBody;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
}
