//! `inkline`: the operator tool.

use clap::Parser;
use console::cli::{ArtistCommand, Cli, Command, DlqCommand, ParkedCommand};
use console::commands;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if !matches!(
        cli.command,
        Command::Parse { .. } | Command::Sandbox { .. } | Command::Loadgen { .. }
    ) {
        infra::telemetry::init("console");
    }
    let result = match cli.command {
        Command::Serve => commands::serve::run().await,
        Command::Sandbox { args } => commands::dev::forward("sandbox", args),
        Command::Loadgen { args } => commands::dev::forward("loadgen", args),
        Command::Migrate => commands::migrate::run().await,
        Command::Artist {
            command: ArtistCommand::Apply { file },
        } => commands::artist::apply(&file).await,
        Command::Artist {
            command: ArtistCommand::ResumeSending { slug },
        } => commands::artist::resume_sending(&slug).await,
        Command::Parse {
            field,
            text,
            options,
        } => commands::parse::run(&field, &text, options),
        Command::Dlq {
            command: DlqCommand::List,
        } => commands::dlq::list().await,
        Command::Dlq {
            command: DlqCommand::Replay { queue, limit },
        } => commands::dlq::replay_cmd(&queue, limit).await,
        Command::Parked {
            command: ParkedCommand::List { only, limit, json },
        } => commands::parked::list(only, limit, json).await,
        Command::Parked {
            command: ParkedCommand::Retry { lp, id, all },
        } => commands::parked::retry(lp, id, all).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inkline: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
