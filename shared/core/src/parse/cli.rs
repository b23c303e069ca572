//! `inkline parse FIELD TEXT [--options N]`: one parser's answer as the JSON INTERFACES.md specifies.
//!
//! Unparseable text is `null`. `slot` needs the number of options; without it the answer is
//! `null` (no choice can be checked against an unknown list), never an error, so callers always
//! get JSON.

use super::{budget, complexity, dimensions, instagram, intent, location, slot, yes_no};
use serde_json::{Value, json};

/// Every field `inkline parse` accepts, in the order of the interface table.
pub const FIELDS: &[&str] = &[
    "budget",
    "dimensions",
    "location",
    "complexity",
    "yes_no",
    "instagram",
    "intent",
    "slot",
];

/// A FIELD that `inkline parse` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown field {field:?}; expected one of: budget, dimensions, location, complexity, yes_no, instagram, intent, slot"
)]
pub struct UnknownField {
    pub field: String,
}

/// The JSON answer for one field and text.
pub fn to_json(field: &str, text: &str, options: Option<usize>) -> Result<Value, UnknownField> {
    let value = match field {
        "budget" => budget(text).map_or(Value::Null, |b| {
            json!({ "amount_minor": b.amount_minor, "currency": b.currency.map(|c| c.as_str().to_owned()) })
        }),
        "dimensions" => dimensions(text).map_or(Value::Null, |d| json!({ "width_cm": d.width_cm, "height_cm": d.height_cm })),
        "location" => location(text).map_or(Value::Null, |l| {
            json!({
                "city": l.city,
                "country": l.country,
                "region": l.region.map(|r| r.as_str()),
                "flexible": l.flexible,
            })
        }),
        "complexity" => complexity(text).map_or(Value::Null, |c| json!(c)),
        "yes_no" => yes_no(text).map_or(Value::Null, Value::Bool),
        "instagram" => instagram(text).map_or(Value::Null, Value::String),
        "intent" => json!(intent(text).as_str()),
        "slot" => options.and_then(|n| slot(text, n)).map_or(Value::Null, |s| json!(s)),
        other => return Err(UnknownField { field: other.to_owned() }),
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_the_interface_shapes() {
        let cases: &[(&str, &str, Option<usize>, Value)] = &[
            (
                "budget",
                "£500",
                None,
                json!({"amount_minor": 50000, "currency": "GBP"}),
            ),
            (
                "budget",
                "500",
                None,
                json!({"amount_minor": 50000, "currency": null}),
            ),
            ("budget", "-400", None, Value::Null),
            (
                "dimensions",
                "10x15cm",
                None,
                json!({"width_cm": 10.0, "height_cm": 15.0}),
            ),
            (
                "location",
                "Berlin",
                None,
                json!({"city": "Berlin", "country": "DE", "region": "EU", "flexible": false}),
            ),
            (
                "location",
                "anywhere",
                None,
                json!({"city": null, "country": null, "region": null, "flexible": true}),
            ),
            ("complexity", "3", None, json!(3)),
            ("yes_no", "yes", None, json!(true)),
            ("instagram", "@Sam.Ink", None, json!("sam.ink")),
            ("intent", "STOP", None, json!("opt_out")),
            ("intent", "hello", None, json!("none")),
            ("slot", "2", Some(3), json!(2)),
            ("slot", "2", None, Value::Null),
            ("slot", "5", Some(3), Value::Null),
        ];
        for (field, text, options, want) in cases {
            assert_eq!(
                to_json(field, text, *options).as_ref(),
                Ok(want),
                "{field} {text:?}"
            );
        }
    }

    #[test]
    fn dimensions_print_as_floats() {
        let printed = to_json("dimensions", "10x15", None).map(|v| v.to_string());
        assert!(
            printed
                .as_ref()
                .is_ok_and(|s| s.contains(":10.0") && s.contains(":15.0")),
            "{printed:?}"
        );
    }

    #[test]
    fn unknown_fields_name_the_valid_ones() {
        let err = to_json("colour", "red", None).err();
        assert_eq!(err.as_ref().map(|e| e.field.as_str()), Some("colour"));
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        for field in FIELDS {
            assert!(msg.contains(field), "{msg}");
        }
    }
}
