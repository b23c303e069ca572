//! The conversation engine: a pure function from (lead state, event, artist, now) to a decision.

pub mod engine;
pub mod types;

pub use engine::step;
pub use types::{Content, Decision, Effect, Event, Inbound, LeadState, Recipient, Severity};
