//! Client regions that drive minimum budgets: the UK, the EU, and the rest of the world.

use serde::{Deserialize, Serialize};

/// A pricing region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Region {
    #[serde(rename = "UK")]
    Uk,
    #[serde(rename = "EU")]
    Eu,
    #[serde(rename = "ROW")]
    Row,
}

/// EU member states (ISO 3166-1 alpha-2).
const EU: [&str; 27] = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
];

impl Region {
    /// The region of an ISO alpha-2 country code (GB → UK, EU members → EU, anything else → ROW).
    pub fn of_country(code: &str) -> Region {
        let code = code.to_ascii_uppercase();
        if code == "GB" || code == "UK" {
            Region::Uk
        } else if EU.contains(&code.as_str()) {
            Region::Eu
        } else {
            Region::Row
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Uk => "UK",
            Region::Eu => "EU",
            Region::Row => "ROW",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_map_to_regions() {
        assert_eq!(Region::of_country("GB"), Region::Uk);
        assert_eq!(Region::of_country("de"), Region::Eu);
        assert_eq!(Region::of_country("IE"), Region::Eu);
        assert_eq!(Region::of_country("US"), Region::Row);
        assert_eq!(Region::of_country("CH"), Region::Row);
        assert_eq!(serde_json::to_string(&Region::Row).unwrap(), "\"ROW\"");
    }
}
