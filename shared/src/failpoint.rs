//! Crash injection for the loss tests: `INKLINE_FAILPOINT=<name>` aborts the process at that point.

use std::sync::LazyLock;

static ACTIVE: LazyLock<Option<String>> = LazyLock::new(|| std::env::var("INKLINE_FAILPOINT").ok());

/// Aborts the process (no unwinding, no cleanup, like `kill -9`) when `name` is the active failpoint.
pub fn hit(name: &str) {
    if ACTIVE.as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
