//! The operator tool `inkline`: the console (web UI and admin API), the sandbox, migrations,
//! artist configuration, parsers, dead letters and the load generator.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod csrf;
pub mod funnel;
pub mod loadgen;
mod openapi_check;
pub mod pages;
pub mod queues;
pub mod sandbox;
pub mod server;
pub mod session;
