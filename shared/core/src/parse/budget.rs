//! Budgets: "£1.2k", "about 500 quid", "€300", "400" → minor units and an optional currency.
//!
//! Rules, in the client's terms:
//! - Amounts may carry a symbol or code before (`£`, `€`, `$`, `GBP`, `EUR`, `USD`) or a word after
//!   (`quid`, `pounds`, `sterling`, `euro(s)`, `eur`, `dollars`, `bucks`, `usd`, or a symbol).
//! - `k`, `grand`, `thousand` multiply by 1 000 and `hundred` by 100; "1.2k", "1,5k", "two grand".
//! - `1,500`, `1.500` and `1 500.50`-style thousands separators; `12.50` and `12,50` decimals.
//! - Spelled-out numbers ("four hundred pounds") are read.
//! - A range ("between 400 and 600", "400-600", "400 to 600", "up to 600") yields its **upper**
//!   bound: the question is what the client can spend, and the minimum-budget check asks whether
//!   that reaches the artist's minimum. More generally the largest amount mentioned wins, preferring
//!   amounts that carry a currency or multiplier over bare numbers ("2 pieces, £300 each" → £300).
//! - Numbers that are sizes, durations or ages ("10cm", "3 hours", "2 sessions") are not amounts.
//! - No amount, a negative amount ("-400"), zero, or more than 1 000 000 major units → None.
//! - The currency is the one attached to the chosen amount, else the only one named anywhere in
//!   the text, else None (the artist's currency applies).

use super::number_words::digits_for_words;
use super::text::fold;
use crate::domain::Currency;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// A budget as typed; `currency` is None when the client named none (the artist's applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedBudget {
    pub amount_minor: i64,
    pub currency: Option<Currency>,
}

/// The largest budget taken seriously, in major units.
pub const MAX_MAJOR: f64 = 1_000_000.0;

static AMOUNT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<pre>[£€$]|\b(?:gbp|eur|usd)\b)?\s*
        (?P<num>\d{1,3}(?:\x20\d{3})+(?:[.,]\d{1,2})?\b|\d[\d.,]*)
        (?:\s*(?P<mult>k\b|grand\b|thousand\b|hundred\b))?
        (?:\s*(?P<post>[£€$]|(?:gbp|eur|euros?|usd|dollars?|bucks|quid|pounds?|sterling)\b))?",
    )
    .ok()
});

static CURRENCY_WORD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"[£€$]|\b(?:gbp|eur|euros?|usd|dollars?|bucks|quid|pounds?|sterling)\b").ok()
});

/// Phone numbers ("+44 7700 900123", "07700 900123") are removed before amounts are read.
static PHONE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?:\+|\b0)\d[\d \-()]{7,}\d").ok());

/// Words before a year ("in 2025", "since 2019"): that number is a date, not money.
const BEFORE_YEAR: &[&str] = &[
    "in",
    "since",
    "by",
    "from",
    "until",
    "till",
    "of",
    "year",
    "early",
    "late",
    "mid",
    "summer",
    "winter",
    "spring",
    "autumn",
    "fall",
    "jan",
    "january",
    "feb",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "sept",
    "september",
    "oct",
    "october",
    "nov",
    "november",
    "dec",
    "december",
];

/// What follows a number that makes it a size, duration, count or age rather than money.
static NOT_MONEY_AFTER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*(?:cm|mm|centimet|millimet|inch|in\b|"|x\s*\d|by\s+\d|hours?\b|hrs?\b|h\b|sessions?\b|sittings?\b|days?\b|weeks?\b|months?\b|years?\b|yrs?\b|y/?o\b|tattoos?\b|pieces?\b|designs?\b|deposits?\b|people\b|%|am\b|pm\b|:\d|st\b|nd\b|rd\b|th\b)"#,
    )
    .ok()
});

#[derive(Debug, Clone, Copy)]
struct Candidate {
    major: f64,
    currency: Option<Currency>,
    /// A currency or multiplier was attached: this is clearly money.
    marked: bool,
    negative: bool,
}

/// Parses a budget; None when the text holds no usable positive amount.
pub fn budget(text: &str) -> Option<ParsedBudget> {
    let (Some(amount), Some(not_money)) = (AMOUNT.as_ref(), NOT_MONEY_AFTER.as_ref()) else {
        return None;
    };
    let normalised = digits_for_words(&fold(text));
    let normalised = match PHONE.as_ref() {
        Some(phone) => phone.replace_all(&normalised, " ").into_owned(),
        None => normalised,
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut previous_end: Option<usize> = None;
    for caps in amount.captures_iter(&normalised) {
        let (Some(whole), Some(num)) = (caps.get(0), caps.name("num")) else {
            continue;
        };
        let before = &normalised[..whole.start()];
        // Digits glued to letters ("a4", "covid19") are not amounts.
        let glued = normalised[..num.start()]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic);
        if caps.name("pre").is_none() && glued {
            continue;
        }
        let mult = caps.name("mult").map(|m| m.as_str());
        let pre = caps.name("pre").map(|m| m.as_str());
        let post = caps.name("post").map(|m| m.as_str());
        let after = &normalised[num.end()..];
        if mult.is_none() && post.is_none() && not_money.is_match(after) {
            previous_end = Some(whole.end());
            continue;
        }
        // "x 15" or "by 15": the second half of a size.
        let before_trimmed = before.trim_end();
        if pre.is_none() && (before_trimmed.ends_with(" x") || before_trimmed.ends_with(" by")) {
            previous_end = Some(whole.end());
            continue;
        }
        let Some(value) = parse_number(num.as_str(), mult.is_some()) else {
            continue;
        };
        let factor = match mult {
            Some("hundred") => 100.0,
            Some(_) => 1000.0,
            None => 1.0,
        };
        let is_year = mult.is_none()
            && pre.is_none()
            && post.is_none()
            && num.as_str().len() == 4
            && (1900.0..=2100.0).contains(&value)
            && before
                .split_whitespace()
                .next_back()
                .is_some_and(|w| BEFORE_YEAR.contains(&w));
        if is_year {
            previous_end = Some(whole.end());
            continue;
        }
        let negative = is_negative(before, previous_end);
        previous_end = Some(whole.end());
        let currency = pre
            .and_then(currency_of)
            .or_else(|| post.and_then(currency_of));
        candidates.push(Candidate {
            major: value * factor,
            currency,
            marked: currency.is_some() || mult.is_some(),
            negative,
        });
    }
    if candidates.iter().any(|c| c.negative) {
        return None;
    }
    let any_marked = candidates.iter().any(|c| c.marked);
    let chosen = candidates
        .iter()
        .filter(|c| c.marked || !any_marked)
        .max_by(|a, b| a.major.total_cmp(&b.major))?;
    if !chosen.major.is_finite() || chosen.major <= 0.0 || chosen.major > MAX_MAJOR {
        return None;
    }
    let amount_minor = (chosen.major * 100.0).round() as i64;
    if amount_minor <= 0 {
        return None;
    }
    let currency = chosen
        .currency
        .or_else(|| candidates.iter().find_map(|c| c.currency))
        .or_else(|| only_currency_named(&normalised));
    Some(ParsedBudget {
        amount_minor,
        currency,
    })
}

/// A minus sign right before the amount that does not join it to a previous amount ("400-600").
fn is_negative(before: &str, previous_end: Option<usize>) -> bool {
    let trimmed = before.trim_end();
    let Some(rest) = trimmed.strip_suffix('-') else {
        return false;
    };
    let rest = rest.trim_end();
    match previous_end {
        Some(end) => rest.len() > end || rest.is_empty(),
        None => true,
    }
}

/// The currency a symbol or word stands for.
fn currency_of(marker: &str) -> Option<Currency> {
    match marker {
        "£" | "gbp" | "quid" | "pound" | "pounds" | "sterling" => Some(Currency::GBP),
        "€" | "eur" | "euro" | "euros" => Some(Currency::EUR),
        "$" | "usd" | "dollar" | "dollars" | "bucks" => Some(Currency::USD),
        _ => None,
    }
}

/// The one currency named anywhere in the text; None when none or several are.
fn only_currency_named(normalised: &str) -> Option<Currency> {
    let re = CURRENCY_WORD.as_ref()?;
    let mut found: Option<Currency> = None;
    for m in re.find_iter(normalised) {
        let c = currency_of(m.as_str())?;
        match found {
            Some(f) if f != c => return None,
            _ => found = Some(c),
        }
    }
    found
}

/// Reads "1,500", "1.500", "1.5", "1,5", "1,500.50", "1.500,50". With a multiplier ("1,500k" is
/// nonsense, "1,5k" is 1.5k) a single separator is always a decimal point.
fn parse_number(raw: &str, has_multiplier: bool) -> Option<f64> {
    let spaced = raw.replace(' ', "");
    let raw = spaced.trim_end_matches(['.', ',']);
    let commas = raw.matches(',').count();
    let dots = raw.matches('.').count();
    let cleaned: String = match (commas, dots) {
        (0, 0) => raw.to_owned(),
        (c, d) if c > 0 && d > 0 => {
            // The last separator is the decimal one; the others group thousands.
            let decimal = if raw.rfind(',') > raw.rfind('.') {
                ','
            } else {
                '.'
            };
            let (int, frac) = raw.rsplit_once(decimal)?;
            let int: String = int.chars().filter(char::is_ascii_digit).collect();
            if frac.contains([',', '.']) {
                return None;
            }
            format!("{int}.{frac}")
        }
        (c, d) => {
            let sep = if c > 0 { ',' } else { '.' };
            let parts: Vec<&str> = raw.split(sep).collect();
            let grouped = parts.len() > 1
                && parts.iter().skip(1).all(|p| p.len() == 3)
                && parts.first().is_some_and(|p| (1..=3).contains(&p.len()));
            if c + d > 1 {
                if !grouped {
                    return None;
                }
                parts.concat()
            } else if grouped && !has_multiplier {
                parts.concat()
            } else {
                raw.replace(sep, ".")
            }
        }
    };
    let value: f64 = cleaned.parse().ok()?;
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(minor: i64, currency: Option<Currency>) -> Option<ParsedBudget> {
        Some(ParsedBudget {
            amount_minor: minor,
            currency,
        })
    }

    const GBP: Option<Currency> = Some(Currency::GBP);
    const EUR: Option<Currency> = Some(Currency::EUR);
    const USD: Option<Currency> = Some(Currency::USD);

    #[test]
    fn reads_real_budgets() {
        let cases: &[(&str, Option<ParsedBudget>)] = &[
            ("£1.2k", b(120_000, GBP)),
            ("about 500 quid", b(50_000, GBP)),
            ("€300", b(30_000, EUR)),
            ("300 euros", b(30_000, EUR)),
            ("300€", b(30_000, EUR)),
            ("$1,500", b(150_000, USD)),
            ("1500 USD", b(150_000, USD)),
            ("USD 1500", b(150_000, USD)),
            ("1.5k", b(150_000, None)),
            ("1,5k", b(150_000, None)),
            ("between 400 and 600", b(60_000, None)),
            ("400-600", b(60_000, None)),
            ("£400 - £600", b(60_000, GBP)),
            ("400 to 600 pounds", b(60_000, GBP)),
            ("£400ish", b(40_000, GBP)),
            ("four hundred pounds", b(40_000, GBP)),
            ("a grand", b(100_000, None)),
            ("two grand", b(200_000, None)),
            ("5 hundred", b(50_000, None)),
            ("400", b(40_000, None)),
            ("  400  ", b(40_000, None)),
            ("£ 250.50", b(25_050, GBP)),
            ("€1.500", b(150_000, EUR)),
            ("1.500,50 €", b(150_050, EUR)),
            ("1,500.50", b(150_050, None)),
            ("up to 800 bucks", b(80_000, USD)),
            ("GBP 750", b(75_000, GBP)),
            ("around 2k gbp", b(200_000, GBP)),
            ("max 1000 dollars 💸", b(100_000, USD)),
            ("2 pieces, £300 each", b(30_000, GBP)),
            ("10x15cm for 300", b(30_000, None)),
            ("I'm flexible, 500 or so, in euros", b(50_000, EUR)),
            ("£500!", b(50_000, GBP)),
            ("500.", b(50_000, None)),
            ("£1,000,000", b(100_000_000, GBP)),
            ("€1 500", b(150_000, EUR)),
            ("in 2025 I have 600", b(60_000, None)),
            ("2000", b(200_000, None)),
            ("400/500", b(50_000, None)),
            ("around two and a half grand", b(250_000, None)),
            ("£500 deposit? my budget is around 1200", b(120_000, GBP)),
            ("call me on +44 7700 900123, budget 300", b(30_000, None)),
            ("07700 900123", None),
            ("1 500 €", b(150_000, EUR)),
        ];
        for (input, want) in cases {
            assert_eq!(budget(input), *want, "{input:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_budget() {
        for input in [
            "no budget",
            "not sure",
            "",
            "   ",
            "-400",
            "- 400",
            "budget: -400",
            "0",
            "£0",
            "0.00",
            "2000000",
            "£5,000,000",
            "depends on the price",
            "🤷",
            "3 hours",
            "10cm",
        ] {
            assert_eq!(budget(input), None, "{input:?}");
        }
    }

    #[test]
    fn numbers_with_separators() {
        assert_eq!(parse_number("1,500", false), Some(1500.0));
        assert_eq!(parse_number("1.500", false), Some(1500.0));
        assert_eq!(parse_number("1.5", false), Some(1.5));
        assert_eq!(parse_number("1,5", true), Some(1.5));
        assert_eq!(parse_number("1,500", true), Some(1.5));
        assert_eq!(parse_number("1,2,3", false), None);
        assert_eq!(parse_number("1.2.3.4", false), None);
    }
}
