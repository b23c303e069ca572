//! One file per `inkline` subcommand.

pub mod artist;
pub mod dlq;
pub mod loadgen;
pub mod migrate;
pub mod parked;
pub mod parse;
pub mod sandbox;
pub mod serve;
