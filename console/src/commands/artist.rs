//! `inkline artist apply FILE` (validate an artist TOML and upsert it by slug) and
//! `inkline artist resume-sending SLUG`.

use super::pool;
use inkline_core::domain::ArtistConfig;
use std::path::Path;

pub async fn apply(file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let cfg =
        ArtistConfig::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let pool = pool().await?;
    let (id, created) = infra::store::artists::upsert(&pool, &cfg)
        .await
        .map_err(|e| anyhow::anyhow!("cannot save artist {:?}: {e}", cfg.slug))?;
    println!(
        "{} artist {} ({id})",
        if created { "created" } else { "updated" },
        cfg.slug
    );
    Ok(())
}

pub async fn resume_sending(slug: &str) -> anyhow::Result<()> {
    let pool = pool().await?;
    match infra::actions::sending::resume(&pool, slug, "cli").await? {
        None => anyhow::bail!("no artist {slug:?}"),
        Some(r) if !r.was_paused => println!("artist {slug} was not paused; nothing changed"),
        Some(r) => println!(
            "artist {slug}: sending resumed, {} parked message(s) queued again",
            r.requeued
        ),
    }
    Ok(())
}
