//! `inkline sandbox` (being built; see its issue).

/// Arguments of `inkline sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`inkline sandbox` is not part of this build yet")
}
