//! `inkline migrate`: apply the embedded migrations.

use infra::config::{DbConfig, EnvReader};

pub async fn run() -> anyhow::Result<()> {
    let mut env = EnvReader::from_env();
    let db = DbConfig::read(&mut env);
    env.finish()?;
    let pool = infra::store::db::connect(&db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    infra::store::db::migrate(&pool).await?;
    println!(
        "database schema at version {}",
        infra::store::db::expected_version()
    );
    Ok(())
}
