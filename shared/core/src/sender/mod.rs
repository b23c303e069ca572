//! The sender's rules, pure and unit-tested: how fast (`pacing`, and the state of the numbers a
//! process paces in `pacer`), when a template must replace a free-form message (`window`) and how
//! long to wait after a failure (`backoff`). The classes of Meta's errors are in `graph::errors`;
//! how often a message may be retried, throttled or deferred is the bus's rule
//! (`infra::bus::retry`); the role that applies all of this is `workers/src/sender/`.

pub mod backoff;
pub mod pacer;
pub mod pacing;
pub mod window;
