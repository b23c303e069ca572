//! Test harness: a fresh database and RabbitMQ vhost per test, fake third-party APIs on loopback,
//! and helpers that start the real ingress and worker roles in-process (or as processes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod consult;
pub mod env;
pub mod fleet;
pub mod outbound;
pub mod proxy;
pub mod wait;

pub use env::TestEnv;
pub use fleet::{KillOnDrop, Running};
pub use wait::eventually;
