//! `jobs.sheets`: a lead's row in the artist's spreadsheet needs writing.

use crate::domain::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Sheets job for one lead (travels as [`super::LeadJob<SheetJob>`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SheetJob {
    /// Write the lead's row as it is now.
    UpsertLead {
        status: Status,
        name: Option<String>,
        /// The answers in the INTERFACES.md lead shape.
        answers: Value,
        estimate: Option<Value>,
        /// How many reference images the client sent.
        references: usize,
    },
}
