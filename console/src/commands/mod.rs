//! One file per `inkline` subcommand.

pub mod artist;
pub mod dlq;
pub mod migrate;
pub mod parse;
