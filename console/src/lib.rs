//! The operator tool `inkline`: the console (web UI and admin API), migrations, artist
//! configuration, parsers, dead letters and parked rows. The sandbox and the load generator are
//! developer tools in `inkline-dev` (tests/devtools), which `inkline sandbox|loadgen` runs.

pub mod actions;
pub mod admin;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod csrf;
pub mod funnel;
mod openapi_check;
pub mod pages;
pub mod queues;
pub mod server;
pub mod session;
pub mod state;
