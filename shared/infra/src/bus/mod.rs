//! RabbitMQ: connection with reconnect, topology, publish-with-confirm, consume-with-ack and
//! one way to come back later (`defer`).

pub mod connection;
pub mod consume;
pub mod defer;
pub mod dlq;
pub mod message;
pub mod retry;
pub mod topology;

pub use connection::{Bus, PublishError};
pub use consume::{Handler, Outcome, Received};
pub use message::Outgoing;
