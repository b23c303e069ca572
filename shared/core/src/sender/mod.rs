//! The sender's rules, pure and unit-tested: how fast (`pacing`), when a template must replace a
//! free-form message (`window`) and how long to wait after a failure (`backoff`). The classes of
//! Meta's errors are in `clients::whatsapp_errors`; the shared limiter's SQL in `store::pacing`;
//! the role that applies all of this is `workers/src/sender.rs`.

pub mod backoff;
pub mod pacing;
pub mod window;

/// Headers the sender keeps on a send job while it travels through the retry queue: failed calls
/// (`x-send-attempts`), throttle answers, trips for pacing or ordering, and the time before which
/// it must not be tried. A replay from the dead-letter queue removes them (with the bus's own
/// attempt count and first-failure time), so a replayed job gets a fresh set of tries.
pub mod headers {
    pub const ATTEMPTS: &str = "x-send-attempts";
    pub const THROTTLES: &str = "x-send-throttles";
    pub const WAITS: &str = "x-send-waits";
    pub const NOT_BEFORE: &str = "x-not-before";

    /// Everything a replay resets.
    pub const RETRY_STATE: [&str; 4] = [ATTEMPTS, THROTTLES, WAITS, NOT_BEFORE];
}
