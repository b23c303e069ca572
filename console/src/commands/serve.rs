//! `inkline serve` (being built; see its issue).

pub async fn run() -> anyhow::Result<()> {
    anyhow::bail!("`inkline serve` is not part of this build yet")
}
