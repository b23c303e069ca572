//! `inkline-dev`: the developer tools (`inkline sandbox` and `inkline loadgen` run this).

use clap::{Parser, Subcommand};
use devtools::commands;

#[derive(Debug, Parser)]
#[command(name = "inkline-dev", about = "Inkline developer tools", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The one-command local demo: every role, fake WhatsApp and Stripe, a demo artist.
    Sandbox(commands::sandbox::Args),
    /// Drive the real fleet through the ingress with simulated clients and measure it.
    Loadgen(commands::loadgen::Args),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    infra::telemetry::init("console");
    let result = match cli.command {
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Loadgen(args) => commands::loadgen::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inkline-dev: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
