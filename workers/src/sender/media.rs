//! Inbound images: metadata, then the bytes with the same token, checked for size and sha256,
//! kept content-addressed under `MEDIA_DIR` with a reference row. A download that cannot succeed
//! is recorded as a system event, never blocks anything.

use super::SenderHandler;
use infra::bus::{Outcome, Received};
use infra::clients::whatsapp::GraphError;
use infra::metrics::metrics;
use infra::store::{media, system_events};
use inkline_core::conversation::Severity;
use inkline_core::jobs::MediaJob;

/// Largest inbound media object downloaded (WhatsApp images are at most 5 MB).
const MAX_MEDIA_BYTES: u64 = 16 * 1024 * 1024;

impl SenderHandler {
    /// Downloads an inbound image (metadata, then bytes with the same token), verifies size and
    /// sha256, keeps it content-addressed under `MEDIA_DIR` and records the reference row.
    pub(super) async fn fetch_media(
        &self,
        msg: &Received,
        job: &MediaJob,
    ) -> anyhow::Result<Outcome> {
        let pool = &self.fleet.pool;
        if media::exists(pool, job.artist_id, &job.media_id).await? {
            return Ok(Outcome::Ack);
        }
        let Some(artist) = self.artists.get(pool, job.artist_id).await? else {
            return Ok(Outcome::Dead(format!("unknown artist {}", job.artist_id)));
        };
        let Some(token) = self.token(&artist) else {
            return Ok(Outcome::Retry(
                "no WhatsApp access token configured for this artist".into(),
            ));
        };
        let info = match self.graph.media_info(&token, &job.media_id).await {
            Ok(i) if i.file_size <= MAX_MEDIA_BYTES => i,
            Ok(i) => {
                return self
                    .media_failed(
                        job,
                        &format!("{} bytes is over the {MAX_MEDIA_BYTES} limit", i.file_size),
                    )
                    .await;
            }
            Err(e) => return self.chore_failed(msg, &artist, "media", &e).await,
        };
        let bytes = match self
            .graph
            .download(&token, &info.url, MAX_MEDIA_BYTES)
            .await
        {
            Ok(b) => b,
            Err(e) => return self.chore_failed(msg, &artist, "media", &e).await,
        };
        let sha256 = media::sha256_hex(&bytes);
        if bytes.len() as u64 != info.file_size || !sha256.eq_ignore_ascii_case(&info.sha256) {
            let e = GraphError::Transport(format!(
                "download of {} does not match its size or sha256",
                job.media_id
            ));
            return self.chore_failed(msg, &artist, "media", &e).await;
        }
        let path = media::write_file(&self.fleet.cfg.api.media_dir, &sha256, &bytes).await?;
        let stored = media::StoredMedia {
            artist_id: job.artist_id,
            lead_id: job.lead_id,
            media_id: &job.media_id,
            wamid: job.wamid.as_deref(),
            mime_type: &info.mime_type,
            sha256: &sha256,
            size_bytes: bytes.len() as i64,
            storage_path: &path,
        };
        media::record(pool, &stored).await?;
        Ok(Outcome::Ack)
    }

    async fn media_failed(&self, job: &MediaJob, detail: &str) -> anyhow::Result<Outcome> {
        metrics().send_failures.with_label_values(&["media"]).inc();
        let detail =
            serde_json::json!({"media_id": job.media_id, "wamid": job.wamid, "detail": detail});
        system_events::record(
            &self.fleet.pool,
            Some(job.artist_id),
            job.lead_id,
            "media_download_failed",
            Severity::Warning,
            detail,
        )
        .await?;
        Ok(Outcome::Ack)
    }
}
