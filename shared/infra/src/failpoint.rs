//! Fault injection for the loss tests. `INKLINE_FAILPOINT=<name>` aborts the process at that point;
//! `INKLINE_FAILPOINT=<name>:<marker>` panics there (unwinding) for work whose text contains
//! `<marker>`, so one poisoned message can be followed through retries to the dead-letter queue.

use std::sync::LazyLock;

static ACTIVE: LazyLock<Option<String>> = LazyLock::new(|| std::env::var("INKLINE_FAILPOINT").ok());

/// Aborts the process (no unwinding, no cleanup, like `kill -9`) when `name` is the active failpoint.
pub fn hit(name: &str) {
    if ACTIVE.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

/// Panics when `name:<marker>` is the active failpoint and `subject` contains `<marker>`.
pub fn panic_if(name: &str, subject: &[u8]) {
    if let Some(marker) = ACTIVE
        .as_deref()
        .and_then(|a| a.strip_prefix(name)?.strip_prefix(':'))
        && !marker.is_empty()
        && subject
            .windows(marker.len())
            .any(|w| w == marker.as_bytes())
    {
        panic!("failpoint {name}: poisoned work");
    }
}
