//! The WhatsApp Graph API as data: payloads Inkline sends and what Meta's errors mean.

pub mod errors;
pub mod payload;

pub use errors::{ErrorClass, classify, classify_error, code_label};
pub use payload::{GraphError, payload, truncate};
