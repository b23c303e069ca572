//! The operator tool `inkline`: migrations, artist configuration, parsers, dead letters (and,
//! as they land, the console web UI, sandbox and load generator).

pub mod cli;
pub mod commands;
pub mod loadgen;
