//! `inkline-ingress`: the webhook edge.

use infra::config::IngressConfig;
use infra::shutdown::Shutdown;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    infra::telemetry::init("ingress");
    let cfg = match IngressConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("inkline-ingress: configuration error:\n{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let shutdown = Shutdown::new();
    shutdown.on_signals();
    match ingress::run(cfg, shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inkline-ingress: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
