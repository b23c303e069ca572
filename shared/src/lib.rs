//! Inkline's shared library: the pure domain and conversation engine, and the store, bus, clients,
//! configuration and telemetry every binary builds on.

pub mod conversation;
pub mod domain;
pub mod parse;
pub mod webhook;
pub mod bus;
pub mod config;
pub mod failpoint;
pub mod metrics;
pub mod shutdown;
pub mod telemetry;
pub mod jobs;
pub mod store;
pub mod clients;
pub mod fakes;
pub mod actions;
pub mod payments;
pub mod sender;
