//! One file per `inkline-dev` subcommand.

pub mod loadgen;
pub mod sandbox;
