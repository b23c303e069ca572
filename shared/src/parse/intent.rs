//! Intents that apply in every status: opt-out, opt-in, human, refund, data deletion.

use serde::{Deserialize, Serialize};

/// What a message asks for, beyond answering the current question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    OptOut,
    OptIn,
    Human,
    Refund,
    DeleteData,
    None,
}

/// Classifies a message.
pub fn intent(text: &str) -> Intent {
    match text.trim().to_lowercase().as_str() {
        "stop" => Intent::OptOut,
        "start" => Intent::OptIn,
        _ => Intent::None,
    }
}
