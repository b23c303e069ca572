//! `inkline migrate`: apply the embedded migrations.

use shared::config::{DbConfig, EnvReader};

pub async fn run() -> anyhow::Result<()> {
    let mut env = EnvReader::from_env();
    let db = DbConfig::read(&mut env);
    env.finish()?;
    let pool = shared::store::db::connect(&db)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    shared::store::db::migrate(&pool).await?;
    println!(
        "database schema at version {}",
        shared::store::db::expected_version()
    );
    Ok(())
}
