//! Money as integer minor units with an ISO 4217 currency code.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An upper-case three-letter ISO 4217 code, validated once at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    pub const GBP: Currency = Currency(*b"GBP");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");

    /// Parses `gbp`, `GBP`, ... Anything but three ASCII letters is refused.
    pub fn parse(s: &str) -> Result<Self, InvalidCurrency> {
        let b = s.trim().as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_alphabetic) {
            Ok(Currency([
                b[0].to_ascii_uppercase(),
                b[1].to_ascii_uppercase(),
                b[2].to_ascii_uppercase(),
            ]))
        } else {
            Err(InvalidCurrency(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Lower-case form, as Stripe spells it.
    pub fn lower(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }

    /// The symbol people type for it, when there is a common one.
    pub fn symbol(&self) -> Option<&'static str> {
        match &self.0 {
            b"GBP" => Some("£"),
            b"EUR" => Some("€"),
            b"USD" => Some("$"),
            _ => None,
        }
    }
}

/// A currency code that is not three letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency code {0:?} (expected three letters such as GBP)")]
pub struct InvalidCurrency(pub String);

impl TryFrom<String> for Currency {
    type Error = InvalidCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Human form for chat copy: `£150`, `€1,200.50`, `CHF 300`.
    pub fn display(&self) -> String {
        let major = self.amount_minor / 100;
        let minor = (self.amount_minor % 100).abs();
        let mut digits = major.abs().to_string();
        let mut grouped = String::new();
        while digits.len() > 3 {
            let tail = digits.split_off(digits.len() - 3);
            grouped = format!(",{tail}{grouped}");
        }
        grouped = format!("{digits}{grouped}");
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let cents = if minor == 0 {
            String::new()
        } else {
            format!(".{minor:02}")
        };
        match self.currency.symbol() {
            Some(sym) => format!("{sign}{sym}{grouped}{cents}"),
            None => format!("{sign}{} {grouped}{cents}", self.currency),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_parsing_is_strict_and_case_insensitive() {
        assert_eq!(Currency::parse("gbp"), Ok(Currency::GBP));
        assert_eq!(Currency::parse(" EUR "), Ok(Currency::EUR));
        assert!(Currency::parse("EURO").is_err());
        assert!(Currency::parse("£").is_err());
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn money_displays_like_people_write_it() {
        let cases = [
            (Money::new(15000, Currency::GBP), "£150"),
            (Money::new(120050, Currency::EUR), "€1,200.50"),
            (Money::new(100000000, Currency::USD), "$1,000,000"),
            (
                Money::new(30000, Currency::parse("chf").unwrap()),
                "CHF 300",
            ),
            (Money::new(-500, Currency::GBP), "-£5"),
        ];
        for (m, want) in cases {
            assert_eq!(m.display(), want);
        }
    }
}
