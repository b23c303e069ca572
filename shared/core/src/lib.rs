//! Inkline's pure core: the domain, the conversation engine, parsers, pricing, sender rules,
//! deposit rules, webhook decoding and the job contracts. Nothing here does I/O; the
//! infrastructure crate loads, calls and persists.

pub mod conversation;
pub mod domain;
pub mod graph;
pub mod jobs;
pub mod parse;
pub mod payments;
pub mod sender;
pub mod webhook;
