//! One file per `inkline` subcommand.

pub mod artist;
pub mod dev;
pub mod dlq;
pub mod migrate;
pub mod parked;
pub mod parse;
pub mod serve;
