//! Inkline's shared library: the pure domain and conversation engine, and the store, bus, clients,
//! configuration and telemetry every binary builds on.

pub mod conversation;
pub mod domain;
pub mod parse;
pub mod webhook;
