//! Tracing setup: JSON (default) or pretty logs, filtered by `RUST_LOG`.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber once; later calls are no-ops (tests call it repeatedly).
pub fn init(service: &'static str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let pretty = std::env::var("LOG_FORMAT")
        .map(|v| v.eq_ignore_ascii_case("pretty"))
        .unwrap_or(false);
    let result = if pretty {
        tracing_subscriber::registry()
            .with(filter)
            .with(fmt::layer().with_target(false))
            .try_init()
    } else {
        tracing_subscriber::registry()
            .with(filter)
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init()
    };
    if result.is_ok() {
        tracing::debug!(service, "telemetry initialised");
    }
}

/// A fresh correlation id for a message entering the system.
pub fn new_correlation_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A W3C `traceparent` whose trace id is derived from the correlation id, so one id follows a
/// message across every hop.
pub fn traceparent_for(correlation_id: &str) -> String {
    let trace: String = correlation_id
        .chars()
        .filter(|c| c.is_ascii_hexdigit())
        .take(32)
        .collect();
    let trace = format!("{trace:0>32}");
    let span: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .take(16)
        .collect();
    format!("00-{trace}-{span}-01")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_has_the_w3c_shape_and_carries_the_correlation_id() {
        let cid = new_correlation_id();
        let tp = traceparent_for(&cid);
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(parts.len(), 4);
        assert_eq!(
            (parts[0], parts[1].len(), parts[2].len(), parts[3]),
            ("00", 32, 16, "01")
        );
        assert_eq!(parts[1], cid.replace('-', ""));
    }
}
