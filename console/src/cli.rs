//! Command-line interface of `inkline` (clap).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "inkline", about = "Inkline operator tool", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console web UI and the admin JSON API (CONSOLE_ADDR).
    Serve,
    /// The one-command local demo: every role, fake WhatsApp and Stripe, a demo artist
    /// (runs `inkline-dev sandbox`, a developer tool production images do not carry).
    #[command(disable_help_flag = true)]
    Sandbox {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Drive the real fleet through the ingress with simulated clients and measure it
    /// (runs `inkline-dev loadgen`).
    #[command(disable_help_flag = true)]
    Loadgen {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
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
    /// Rows the time-driven loops gave up on after repeated failures (ROW_MAX_ATTEMPTS).
    Parked {
        #[command(subcommand)]
        command: ParkedCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ArtistCommand {
    /// Create or update an artist from a TOML file (upserted by slug).
    Apply { file: PathBuf },
    /// Resume sending for an artist the sender paused (after fixing the cause, e.g. a new
    /// token); messages parked meanwhile go out in their original order.
    ResumeSending { slug: String },
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

#[derive(Debug, Subcommand)]
pub enum ParkedCommand {
    /// List parked rows, newest first: loop, row id, what, lead, attempts, parked at, reason.
    List {
        /// Only this loop: reminders, expiry_sweep or outbox.
        #[arg(long = "loop")]
        only: Option<infra::store::parking::Loop>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Put parked rows back in line (attempts start again from zero): one, or all of a loop.
    Retry {
        /// reminders, expiry_sweep or outbox.
        #[arg(value_name = "LOOP")]
        lp: infra::store::parking::Loop,
        /// The row's id (as `inkline parked list` prints it).
        id: Option<uuid::Uuid>,
        /// Every parked row of LOOP.
        #[arg(long)]
        all: bool,
    },
}
