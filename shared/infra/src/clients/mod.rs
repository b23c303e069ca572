//! Typed clients of third-party HTTP APIs (base URLs from config, timeouts on every call).

pub mod stripe;
pub mod whatsapp;
