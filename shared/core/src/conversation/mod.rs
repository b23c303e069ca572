//! The conversation engine: a pure function from (lead state, event, artist, now) to a decision.
//!
//! The modules are layered; read them bottom-up. Each uses only modules listed before it here
//! (checked by `layers.rs`), so no two modules depend on each other:
//!
//! 1. Data and text, no decisions: `copy` (every sentence, from `catalog.toml`), `extract`
//!    (snippets in free text), `questions` (the consultation's questions), `state` (what is
//!    persisted: the lead, its answers, estimate and deposit), `types` (events, effects, the
//!    decision), `input` (an inbound message, classified), `answer` (reading one answer through
//!    the parsers), `estimate` (size and money rules), `summary` (the client's summary and the
//!    artist's brief), `timers` (when a lead next needs a `Tick`).
//! 2. `context`: `Ctx`, the decision being built; every status change goes through it.
//! 3. The stages. A stage may use the stages a lead moves on to (listed before it), never one it
//!    came from: `handover` (the artist owns the chat), `waiting` (the client waits on someone),
//!    `deposit` (links, payments, expiry, refunds), `approval` (the request goes to the artist:
//!    approve, decline, ask for more), `tour` (guest spots), `outcome` (where a finished
//!    consultation goes), `qualifying` (the questions), `lifecycle` (time passing, a paused lead
//!    coming back, the artist handing the chat back), `policy` (intents that apply in every status).
//! 4. `engine`: `step`, dispatching by event and then by status.

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
#[cfg(test)]
mod layers;
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
