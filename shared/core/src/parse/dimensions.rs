//! Sizes: "10x15cm", "4 by 6 inches", "palm sized" → width and height in centimetres.
//!
//! Read in this order, first hit wins:
//! 1. a pair joined by `x`, `*`, `×` or `by` ("10x15cm", "10cm by 15cm", `4"x6"`, "4 by 6 inches");
//!    a unit on either side applies to both unless each has its own;
//! 2. "10cm wide, 15cm tall" (wide/width/across and tall/high/long/height/length);
//! 3. a range ("10-15cm", "10 to 15 cm", "between 10 and 15cm") → its upper bound, square;
//! 4. one number with a unit ("15cm", "about 20 cm", "6 inches") → square;
//! 5. size words and paper sizes (see [`super::size_words`]);
//! 6. one bare number ("15") → centimetres, square.
//!
//! Units: cm (default), mm, m, inches (`in`, `inch`, `"`, × 2.54), feet. "7,5cm" is 7.5 cm.
//! Results are rounded to 0.01 cm; any side that is 0 or more than 300 cm makes the answer None.

use super::number_words::digits_for_words;
use super::size_words::size_from_words;
use super::text::fold;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Width × height in centimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dimensions {
    pub width_cm: f64,
    pub height_cm: f64,
}

impl Dimensions {
    pub fn area_cm2(&self) -> f64 {
        self.width_cm * self.height_cm
    }
}

/// The largest side taken seriously, in centimetres.
pub const MAX_SIDE_CM: f64 = 300.0;

static QUANTITY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>centimet(?:er|re)s?|cms|cm|millimet(?:er|re)s?|mm|inch(?:es)?|ins|in|"|''|met(?:er|re)s?|m|feet|foot|ft)?"#,
    )
    .ok()
});

static DECIMAL_COMMA: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(\d),(\d)").ok());

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Cm,
    Mm,
    M,
    Inch,
    Foot,
}

impl Unit {
    fn parse(s: &str) -> Option<Unit> {
        match s {
            "cm" | "cms" => Some(Unit::Cm),
            "mm" => Some(Unit::Mm),
            "m" => Some(Unit::M),
            "in" | "ins" | "\"" | "''" => Some(Unit::Inch),
            "feet" | "foot" | "ft" => Some(Unit::Foot),
            s if s.starts_with("centimet") => Some(Unit::Cm),
            s if s.starts_with("millimet") => Some(Unit::Mm),
            s if s.starts_with("met") => Some(Unit::M),
            s if s.starts_with("inch") => Some(Unit::Inch),
            _ => None,
        }
    }

    fn to_cm(self, n: f64) -> f64 {
        match self {
            Unit::Cm => n,
            Unit::Mm => n / 10.0,
            Unit::M => n * 100.0,
            Unit::Inch => n * 2.54,
            Unit::Foot => n * 30.48,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Quantity {
    value: f64,
    unit: Option<Unit>,
    start: usize,
    end: usize,
}

/// Parses a size; None when no size can be read.
pub fn dimensions(text: &str) -> Option<Dimensions> {
    let folded = fold(text);
    let folded = match DECIMAL_COMMA.as_ref() {
        Some(re) => re.replace_all(&folded, "$1.$2").into_owned(),
        None => folded,
    };
    let normalised = digits_for_words(&folded).replace('*', " x ");
    let quantities = quantities(&normalised);
    let bare_number = match quantities.as_slice() {
        [only] => Some((only.value, only.value)),
        _ => None,
    };
    let (w, h) = pair(&normalised, &quantities)
        .or_else(|| wide_and_tall(&normalised, &quantities))
        .or_else(|| range(&normalised, &quantities))
        .or_else(|| {
            quantities
                .iter()
                .find_map(|q| q.unit.map(|u| (u.to_cm(q.value), u.to_cm(q.value))))
        })
        .or_else(|| size_from_words(&normalised))
        .or(bare_number)?;
    let (w, h) = (round(w), round(h));
    let sane = |v: f64| v.is_finite() && v > 0.0 && v <= MAX_SIDE_CM;
    (sane(w) && sane(h)).then_some(Dimensions {
        width_cm: w,
        height_cm: h,
    })
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Every number in the text with the unit written right after it, if any.
fn quantities(normalised: &str) -> Vec<Quantity> {
    let Some(re) = QUANTITY.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for caps in re.captures_iter(normalised) {
        let Some(n) = caps.name("n") else { continue };
        // Digits glued to a word ("a4", "3d") are not measurements; "x15" is.
        let before = normalised[..n.start()].chars().next_back();
        if before.is_some_and(|c| (c.is_alphabetic() && c != 'x') || c == '.') {
            continue;
        }
        let Ok(value) = n.as_str().parse::<f64>() else {
            continue;
        };
        let mut unit = None;
        let mut end = n.end();
        if let Some(u) = caps.name("u") {
            let rest = &normalised[u.end()..];
            let letter_unit = u.as_str().chars().all(|c| c.is_ascii_alphabetic());
            if !letter_unit || unit_ends_cleanly(u.as_str(), rest) {
                unit = Unit::parse(u.as_str());
                end = u.end();
            }
        }
        out.push(Quantity {
            value,
            unit,
            start: n.start(),
            end,
        });
    }
    out
}

/// "15cm" and "4inx6in" end cleanly; "15 minutes" or "15 in total" is not a unit.
fn unit_ends_cleanly(unit: &str, rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        None => true,
        Some('x') => !chars.next().is_some_and(char::is_alphabetic),
        Some(c) if c.is_alphabetic() => false,
        Some(_) if unit == "in" || unit == "m" => {
            // "in"/"m" followed by a word is usually English ("15 in total"), not a unit.
            let next_word = rest
                .trim_start()
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("");
            next_word.is_empty()
                || next_word.starts_with(|c: char| c.is_ascii_digit())
                || matches!(
                    next_word,
                    "x" | "by"
                        | "wide"
                        | "tall"
                        | "high"
                        | "long"
                        | "square"
                        | "and"
                        | "or"
                        | "ish"
                )
        }
        Some(_) => true,
    }
}

fn between<'a>(text: &'a str, a: &Quantity, b: &Quantity) -> &'a str {
    text.get(a.end..b.start).map_or("", str::trim)
}

fn both_cm(a: &Quantity, b: &Quantity) -> (f64, f64) {
    let (ua, ub) = match (a.unit, b.unit) {
        (Some(ua), Some(ub)) => (ua, ub),
        (Some(u), None) | (None, Some(u)) => (u, u),
        (None, None) => (Unit::Cm, Unit::Cm),
    };
    (ua.to_cm(a.value), ub.to_cm(b.value))
}

fn pair(text: &str, qs: &[Quantity]) -> Option<(f64, f64)> {
    qs.windows(2).find_map(|w| {
        matches!(between(text, &w[0], &w[1]), "x" | "by" | "x by").then(|| both_cm(&w[0], &w[1]))
    })
}

fn range(text: &str, qs: &[Quantity]) -> Option<(f64, f64)> {
    qs.windows(2).find_map(|w| {
        matches!(
            between(text, &w[0], &w[1]),
            "-" | "to" | "and" | "or" | "/" | "~"
        )
        .then(|| {
            let (a, b) = both_cm(&w[0], &w[1]);
            let upper = a.max(b);
            (upper, upper)
        })
    })
}

/// "10cm wide and 15cm tall", "width 10 height 15".
fn wide_and_tall(text: &str, qs: &[Quantity]) -> Option<(f64, f64)> {
    let word_after = |q: &Quantity| {
        text.get(q.end..)
            .and_then(|r| r.split_whitespace().next())
            .map(trim_punct)
    };
    let word_before = |q: &Quantity| {
        text.get(..q.start)
            .and_then(|r| r.split_whitespace().next_back())
            .map(trim_punct)
    };
    let is_width = |w: &str| matches!(w, "wide" | "width" | "across" | "w");
    let is_height = |w: &str| matches!(w, "tall" | "high" | "height" | "long" | "length" | "h");
    let side = |pred: &dyn Fn(&str) -> bool| {
        qs.iter()
            .find(|q| word_after(q).is_some_and(pred) || word_before(q).is_some_and(pred))
    };
    let w = side(&is_width)?;
    let h = side(&is_height)?;
    Some(both_cm(w, h))
}

fn trim_punct(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(w: f64, h: f64) -> Option<Dimensions> {
        Some(Dimensions {
            width_cm: w,
            height_cm: h,
        })
    }

    #[test]
    fn reads_real_sizes() {
        let cases: &[(&str, Option<Dimensions>)] = &[
            ("10x15cm", d(10.0, 15.0)),
            ("10 x 15", d(10.0, 15.0)),
            ("10X15", d(10.0, 15.0)),
            ("10 × 15 cm", d(10.0, 15.0)),
            ("10cm by 15cm", d(10.0, 15.0)),
            ("10cmx15cm", d(10.0, 15.0)),
            ("10*15", d(10.0, 15.0)),
            ("4 by 6 inches", d(10.16, 15.24)),
            ("4x6in", d(10.16, 15.24)),
            ("4inx6in", d(10.16, 15.24)),
            ("4\"x6\"", d(10.16, 15.24)),
            ("4”x6”", d(10.16, 15.24)),
            ("15cm", d(15.0, 15.0)),
            ("about 20 cm", d(20.0, 20.0)),
            ("around 20cm ish", d(20.0, 20.0)),
            ("A4", d(21.0, 29.7)),
            ("A4 size", d(21.0, 29.7)),
            ("palm sized", d(8.0, 10.0)),
            ("Palm-sized 🌹", d(8.0, 10.0)),
            ("hand sized", d(10.0, 18.0)),
            ("half sleeve", d(30.0, 35.0)),
            ("full sleeve", d(30.0, 75.0)),
            ("full back", d(45.0, 60.0)),
            ("75mm", d(7.5, 7.5)),
            ("70 x 100 mm", d(7.0, 10.0)),
            ("7,5cm", d(7.5, 7.5)),
            ("7,5 x 10", d(7.5, 10.0)),
            ("15", d(15.0, 15.0)),
            ("6 inches", d(15.24, 15.24)),
            ("10-15cm", d(15.0, 15.0)),
            ("between 10 and 15 cm", d(15.0, 15.0)),
            ("10cm wide and 15cm tall", d(10.0, 15.0)),
            ("ten by fifteen", d(10.0, 15.0)),
            ("  12  X  8  CM ", d(12.0, 8.0)),
            ("1m", d(100.0, 100.0)),
            ("small, palm sized, about 8cm", d(8.0, 8.0)),
        ];
        for (input, want) in cases {
            assert_eq!(dimensions(input), *want, "{input:?}");
        }
    }

    #[test]
    fn refuses_nonsense() {
        for input in [
            "",
            "not sure",
            "0",
            "0x10",
            "10x0cm",
            "500cm",
            "4m",
            "10 by 400",
            "🌹",
            "-",
            "x",
            "cm",
        ] {
            assert_eq!(dimensions(input), None, "{input:?}");
        }
    }
}
