//! Ingress routes: one file per webhook source, plus health.

pub mod body;
pub mod health;
pub mod stripe;
pub mod whatsapp;
