//! `inkline-worker ROLE...`: runs one or more worker roles in one process.

use infra::config::WorkerConfig;
use infra::shutdown::Shutdown;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    infra::telemetry::init("worker");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: inkline-worker ROLE... (conversation, payments, sender, relay, reminders, sheets, calendar, all)"
        );
        return std::process::ExitCode::SUCCESS;
    }
    let roles = match workers::parse_roles(&args) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("inkline-worker: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let cfg = match WorkerConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inkline-worker: configuration error:\n{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    match workers::run(cfg, roles, shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inkline-worker: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
