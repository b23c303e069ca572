//! `inkline sandbox`: the one-command demo (see docs/console.md, "Sandbox").

use crate::sandbox::start::{self, Options};
use infra::config::{DEFAULT_AMQP_URL, DEFAULT_DATABASE_URL};
use std::net::SocketAddr;

/// Arguments of `inkline sandbox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the console and the sandbox pages listen.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub console_addr: SocketAddr,
    /// Where the ingress listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub ingress_addr: SocketAddr,
    /// The sandbox database, dropped and created again at every start (default: DATABASE_URL's
    /// server with the database `inkline_sandbox`).
    #[arg(long, env = "SANDBOX_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The broker (default: AMQP_URL); the sandbox empties its queues in this vhost at start.
    #[arg(long, env = "SANDBOX_AMQP_URL")]
    pub amqp_url: Option<String>,
    /// Keep whatever is in the queues instead of emptying them.
    #[arg(long)]
    pub keep_queues: bool,
}

/// The server of `DATABASE_URL` (or the default one) with the database `inkline_sandbox`: the
/// sandbox never touches the real database.
fn sandbox_database_url(database_url: Option<String>) -> String {
    let url = database_url
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let (without_query, query) = match url.split_once('?') {
        Some((u, q)) => (u.to_owned(), format!("?{q}")),
        None => (url.clone(), String::new()),
    };
    match without_query.rsplit_once('/') {
        Some((server, _)) if server.contains("://") => {
            format!("{server}/inkline_sandbox{query}")
        }
        _ => format!("{without_query}/inkline_sandbox{query}"),
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let bind = |addr: SocketAddr, what: &'static str| async move {
        tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {addr} for the {what}: {e} (choose another with --{what}-addr)"
            )
        })
    };
    let console = bind(args.console_addr, "console").await?;
    let ingress = bind(args.ingress_addr, "ingress").await?;
    let mut running = start::start(Options {
        database_url: args
            .database_url
            .unwrap_or_else(|| sandbox_database_url(std::env::var("DATABASE_URL").ok())),
        recreate_database: true,
        amqp_url: args
            .amqp_url
            .or_else(|| {
                std::env::var("AMQP_URL")
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_AMQP_URL.to_owned()),
        purge_queues: !args.keep_queues,
        console,
        ingress,
        admin_api_key: std::env::var("ADMIN_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty()),
    })
    .await?;
    running.shutdown.on_signals();
    let c = &running.console_url;
    let key = running
        .sandbox
        .admin_key_hint
        .clone()
        .unwrap_or_else(|| "your ADMIN_API_KEY".into());
    println!(
        "\nInkline sandbox is running (Ctrl-C to stop).\n\n  Start here      {c}/sandbox\n  Client phone    {c}/sandbox/phone\n  Artist phone    {c}/sandbox/artist\n  Console         {c}/login   (admin key: {key})\n  Admin API       {c}/admin/leads   (header X-Admin-API-Key)\n  Ingress         {}\n  Fake Graph API  {}\n  Fake Stripe     {}\n",
        running.ingress_url,
        running.sandbox.graph.base_url(),
        running.sandbox.stripe.base_url(),
    );
    running.wait().await;
    running.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_database_sits_beside_the_real_one() {
        assert_eq!(
            sandbox_database_url(None),
            "postgres://postgres@127.0.0.1:5432/inkline_sandbox"
        );
        assert_eq!(
            sandbox_database_url(Some(
                "postgres://u:p@db:5432/inkline?sslmode=disable".into()
            )),
            "postgres://u:p@db:5432/inkline_sandbox?sslmode=disable"
        );
        assert_eq!(
            sandbox_database_url(Some("postgres://db".into())),
            "postgres://db/inkline_sandbox"
        );
    }
}
