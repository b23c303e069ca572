//! Inkline's infrastructure: the store (Postgres), the bus (RabbitMQ), HTTP clients of the
//! third-party APIs, configuration, telemetry and metrics, and the service that applies the
//! core's decisions. Everything with I/O that more than one binary needs lives here.

pub mod actions;
pub mod bus;
pub mod clients;
pub mod config;
pub mod decisions;
pub mod failpoint;
pub mod metrics;
pub mod shutdown;
pub mod store;
pub mod telemetry;
