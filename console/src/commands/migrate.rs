//! `inkline migrate`: apply the embedded migrations.

pub async fn run() -> anyhow::Result<()> {
    let pool = super::connect().await?;
    infra::store::db::migrate(&pool).await?;
    println!(
        "database schema at version {}",
        infra::store::db::expected_version()
    );
    Ok(())
}
