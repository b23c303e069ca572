//! The sender's rules, pure and unit-tested: how fast (`pacing`), when a template must replace a
//! free-form message (`window`) and how long to wait after a failure (`backoff`). The classes of
//! Meta's errors are in `clients::whatsapp_errors`; the shared limiter's SQL in `store::pacing`;
//! the role that applies all of this is `workers/src/sender.rs`.

pub mod backoff;
pub mod pacing;
pub mod window;
