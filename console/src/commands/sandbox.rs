//! `inkline sandbox`: the one-command demo (see docs/console.md, "Sandbox").

use crate::sandbox::start::{self, Options};
use shared::config::DEFAULT_AMQP_URL;
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
    /// The sandbox database, dropped and created again at every start.
    #[arg(
        long,
        env = "SANDBOX_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/inkline_sandbox"
    )]
    pub database_url: String,
    /// The broker; the sandbox empties its queues in this vhost at start.
    #[arg(long, env = "SANDBOX_AMQP_URL", default_value = DEFAULT_AMQP_URL)]
    pub amqp_url: String,
    /// Keep whatever is in the queues instead of emptying them.
    #[arg(long)]
    pub keep_queues: bool,
}

fn args_console_is_not_default(console_url: &str) -> bool {
    console_url != "http://127.0.0.1:8090"
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
        database_url: args.database_url,
        recreate_database: true,
        amqp_url: args.amqp_url,
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
    if std::env::var("PUBLIC_BASE_URL").is_err()
        && args_console_is_not_default(&running.console_url)
    {
        println!(
            "  Note: action links in artist notifications use PUBLIC_BASE_URL (default http://127.0.0.1:8090);\n        start the sandbox with PUBLIC_BASE_URL={c} so they point here.\n"
        );
    }
    running.wait().await;
    running.stop().await;
    Ok(())
}
