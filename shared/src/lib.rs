//! Inkline's shared library: the pure domain and conversation engine, and the store, bus, clients,
//! configuration and telemetry every binary builds on.

pub mod actions;
pub mod bus;
pub mod clients;
pub mod config;
pub mod conversation;
pub mod domain;
pub mod failpoint;
pub mod fakes;
pub mod jobs;
pub mod metrics;
pub mod parse;
pub mod payments;
pub mod sender;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhook;
