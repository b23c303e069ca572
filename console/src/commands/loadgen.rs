//! `inkline loadgen` (being built; see its issue).

/// Arguments of `inkline loadgen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`inkline loadgen` is not part of this build yet")
}
