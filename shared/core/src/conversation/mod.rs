//! The conversation engine: a pure function from (lead state, event, artist, now) to a decision.
//!
//! `engine` dispatches by event and status; `policy` handles what applies in every status;
//! `qualifying` runs the questions (`questions` + `catalog.toml` + `copy`), reading answers
//! through `answer`/`extract` and the parsers; `outcome`, `estimate` and `tour` decide where a
//! finished consultation goes; `handover`, `lifecycle` and `waiting` cover the artist owning the
//! chat, time passing, and statuses where the client waits; `approval` (approve, decline, ask for
//! more) and `deposit` (links, payments, expiry, refunds) cover the artist's decision and the
//! money. `state` is what is persisted.

mod answer;
mod approval;
mod context;
pub mod copy;
pub mod deposit;
pub mod engine;
pub mod estimate;
mod extract;
mod handover;
mod input;
mod lifecycle;
mod outcome;
mod policy;
#[cfg(test)]
mod properties;
mod qualifying;
pub mod questions;
pub mod state;
mod summary;
mod timers;
pub mod tour;
pub mod types;
mod waiting;

pub use engine::step;
pub use questions::QuestionKey;
pub use state::{
    Answers, Deposit, DepositStatus, Estimate, Handover, LeadState, PaymentMethod, Reference,
    SizeCategory, TourOffer,
};
pub use types::{
    ActionLink, ArtistAction, Content, Decision, Effect, Event, ExpiryReason, Inbound,
    PaymentEvent, Recipient, Severity,
};
