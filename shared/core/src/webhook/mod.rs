//! Inbound webhooks: signature verification and payload decoding.

pub mod signature;
pub mod stripe;
pub mod whatsapp;
