//! Command-line interface of `inkline` (clap).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "inkline", about = "Inkline operator tool", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply database migrations (DATABASE_URL).
    Migrate,
    /// Artist configuration.
    Artist {
        #[command(subcommand)]
        command: ArtistCommand,
    },
    /// Run a conversation parser on TEXT and print one JSON value (null when unparseable).
    Parse {
        /// budget, dimensions, location, complexity, yes_no, instagram, intent or slot
        field: String,
        /// The text, verbatim (may be empty or start with '-').
        #[arg(allow_hyphen_values = true)]
        text: String,
        /// Number of options (for `slot`).
        #[arg(long)]
        options: Option<usize>,
    },
    /// Dead-letter queues.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArtistCommand {
    /// Create or update an artist from a TOML file (upserted by slug).
    Apply { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Count dead letters per queue.
    List,
    /// Move dead letters of QUEUE back to it for another try.
    Replay {
        queue: String,
        #[arg(long)]
        limit: Option<u32>,
    },
}
