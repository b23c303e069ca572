//! Outbound messages for the sender tests: a lead to write to, messages queued straight into the
//! transcript and the outbox (as the engine's transaction would), and what the fake Graph API saw.

use crate::env::TestEnv;
use infra::store::outbound::{self, Outbound};
use inkline_core::conversation::Recipient;
use inkline_core::domain::MessageBody;
use inkline_core::jobs::TemplateKind;
use uuid::Uuid;

/// A lead for `wa_id` whose last message arrived `hours_ago`.
pub async fn lead(env: &TestEnv, wa_id: &str, hours_ago: i64) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO leads (id, artist_id, wa_id, name, status, last_inbound_at)
         VALUES (gen_random_uuid(), $1, $2, 'Sam', 'QUALIFYING', now() - make_interval(hours => $3::int)) RETURNING id",
    )
    .bind(env.artist_id)
    .bind(wa_id)
    .bind(hours_ago as i32)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

/// One message to queue: lead, recipient, wa_id, body and template kind.
pub type Queued<'a> = (
    Option<Uuid>,
    Recipient,
    &'a str,
    MessageBody,
    Option<TemplateKind>,
);

/// Queues messages in one transaction, in order; returns their ids.
pub async fn enqueue(env: &TestEnv, msgs: Vec<Queued<'_>>) -> Vec<Uuid> {
    let mut tx = env.pool.begin().await.unwrap();
    let mut ids = Vec::new();
    for (lead_id, recipient, wa_id, body, template) in msgs {
        let m = Outbound {
            artist_id: env.artist_id,
            lead_id,
            recipient,
            wa_id,
            body,
            template,
            template_params: Vec::new(),
        };
        ids.push(
            outbound::enqueue_outbound(&mut tx, m, "test")
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    ids
}

/// Queues text messages to a client, in order; returns their ids.
pub async fn texts(env: &TestEnv, lead_id: Uuid, wa_id: &str, texts: &[&str]) -> Vec<Uuid> {
    let msgs = texts
        .iter()
        .map(|t| {
            (
                Some(lead_id),
                Recipient::Client,
                wa_id,
                MessageBody::text(*t),
                None,
            )
        })
        .collect();
    enqueue(env, msgs).await
}

/// The texts the fake Graph API accepted for `wa_id`, in the order it received them.
pub fn sent_texts(env: &TestEnv, wa_id: &str) -> Vec<String> {
    env.graph
        .sent_to(wa_id)
        .iter()
        .map(|m| m.text().unwrap_or_default().to_owned())
        .collect()
}

/// Sends that are messages (not mark-as-read calls), refused ones included.
pub fn message_requests(env: &TestEnv) -> usize {
    env.graph.requests_count() - env.graph.reads().len()
}
