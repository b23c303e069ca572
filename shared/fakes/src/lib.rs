//! Loopback fakes of the third-party HTTP APIs Inkline calls (the WhatsApp Graph API and Stripe).
//!
//! Integration tests, `inkline sandbox` and the load generator never talk to Meta or Stripe: they
//! start these fakes on `127.0.0.1:0` and point `WHATSAPP_API_BASE` / `STRIPE_API_BASE` at
//! [`FakeGraph::base_url`] / [`FakeStripe::base_url`]. The fakes validate requests the way the
//! real services do, record what they accepted, can be scripted to fail, and (for Stripe) drive
//! payments by sending signed webhooks. A bad request gets a 4xx JSON error, never a panic,
//! because a person may be clicking around the sandbox.

mod checkout_page;
pub mod graph;
mod graph_faults;
mod graph_routes;
mod graph_state;
mod graph_validate;
mod server;
pub mod stripe;
mod stripe_core;
mod stripe_error;
mod stripe_events;
mod stripe_form;
mod stripe_routes;
mod stripe_session;
pub mod whatsapp_payloads;

/// Builders of inbound WhatsApp webhook bodies, as Meta would POST them.
pub use whatsapp_payloads as payloads;

pub use graph::{FakeGraph, ReadReceipt, SentMessage, WaitTimeout};
pub use graph_faults::Fault;
pub use stripe::{FakeStripe, StripeRequest, WebhookDelivery};
pub use stripe_error::{StripeError, StripeFault};
pub use stripe_session::{CheckoutSession, LineItem, PaymentStatus, SessionStatus};
