//! Sender role: consume `outbound.whatsapp`, call the Graph API with the artist's token, record the
//! wamid. Idempotent by message id: a job whose message already has a wamid is not sent again.

use crate::Fleet;
use shared::bus::topology::OUTBOUND_WHATSAPP;
use shared::bus::{Handler, Outcome, Received};
use shared::clients::whatsapp::{GraphClient, GraphError};
use shared::conversation::Severity;
use shared::jobs::SendJob;
use shared::metrics::metrics;
use shared::shutdown::Shutdown;
use shared::store::{artists, messages, system_events};
use std::sync::Arc;
use std::time::Instant;

/// How long a sender may hold a message while calling the API (well above the HTTP timeout).
const LEASE_SECS: i64 = 30;

struct SenderHandler {
    fleet: Fleet,
    graph: GraphClient,
}

#[async_trait::async_trait]
impl Handler for SenderHandler {
    async fn handle(&self, msg: &Received) -> Outcome {
        let job: SendJob = match serde_json::from_slice(&msg.payload) {
            Ok(j) => j,
            Err(e) => return Outcome::Dead(format!("undecodable send job: {e}")),
        };
        match send(&self.fleet, &self.graph, &job).await {
            Ok(o) => o,
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}

async fn send(fleet: &Fleet, graph: &GraphClient, job: &SendJob) -> Result<Outcome, anyhow::Error> {
    match messages::claim(&fleet.pool, job.message_id, LEASE_SECS).await? {
        messages::Claim::Mine => {}
        messages::Claim::Missing => return Ok(Outcome::Dead(format!("no transcript row for message {}", job.message_id))),
        messages::Claim::Settled => {
            metrics().duplicates.with_label_values(&["send_job"]).inc();
            tracing::debug!(message_id = %job.message_id, "already sent or settled; not sending again");
            return Ok(Outcome::Ack);
        }
        messages::Claim::Busy => return Ok(Outcome::Retry("another sender holds this message".into())),
    }
    let Some(artist) = artists::by_id(&fleet.pool, job.artist_id).await? else {
        return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
    };
    let token = artist
        .config
        .whatsapp_access_token
        .clone()
        .or_else(|| fleet.cfg.api.whatsapp_access_token.as_ref().map(|s| s.expose().to_owned()));
    let Some(token) = token else {
        messages::release(&fleet.pool, job.message_id).await?;
        return Ok(Outcome::Retry("no WhatsApp access token configured for this artist".into()));
    };
    let started = Instant::now();
    let result = graph.send(&artist.config.phone_number_id, &token, &job.to, &job.body).await;
    metrics().send_seconds.observe(started.elapsed().as_secs_f64());
    match result {
        Ok(wamid) => {
            messages::mark_sent(&fleet.pool, job.message_id, &wamid, job.body.kind(), None).await?;
            metrics().messages_sent.with_label_values(&[job.body.kind()]).inc();
            Ok(Outcome::Ack)
        }
        Err(GraphError::Api { http_status, code, message, .. }) if http_status < 500 && http_status != 429 => {
            let code_label = code.map(|c| c.to_string()).unwrap_or_else(|| "none".into());
            metrics().send_failures.with_label_values(&[&code_label]).inc();
            messages::mark_failed(&fleet.pool, job.message_id, "failed", code, &message).await?;
            system_events::record(
                &fleet.pool,
                Some(artist.id),
                job.lead_id,
                "send_failed",
                Severity::Error,
                serde_json::json!({"message_id": job.message_id, "code": code, "http_status": http_status, "message": message}),
            )
            .await?;
            Ok(Outcome::Ack)
        }
        Err(e) => {
            let code_label = match &e {
                GraphError::Api { code: Some(c), .. } => c.to_string(),
                GraphError::Api { http_status, .. } => format!("http_{http_status}"),
                GraphError::Transport(_) => "transport".into(),
                GraphError::Unexpected(s) => format!("unexpected_{s}"),
            };
            metrics().send_retries.with_label_values(&[&code_label]).inc();
            messages::release(&fleet.pool, job.message_id).await?;
            Ok(Outcome::Retry(e.to_string()))
        }
    }
}

/// Runs the role until shutdown.
pub async fn run(fleet: Fleet, shutdown: Shutdown) {
    let graph = GraphClient::new(fleet.http.clone(), &fleet.cfg.api.whatsapp_api_base, &fleet.cfg.api.whatsapp_api_version);
    let handler = Arc::new(SenderHandler { fleet: fleet.clone(), graph });
    shared::bus::consume::run(fleet.bus.clone(), OUTBOUND_WHATSAPP, handler, shutdown).await;
}
