//! Decoding Stripe events (external-apis.md 2.2–2.3): the envelope (id, type, livemode, created)
//! and the fields Inkline reads from a Checkout Session or a Charge. Unknown fields and event
//! types are tolerated; nothing here panics on any input.

use serde_json::Value;
use std::collections::BTreeMap;

/// One Stripe event, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct StripeEvent {
    /// `evt_...`: the dedup key.
    pub id: String,
    /// `checkout.session.completed`, `charge.refunded`...
    pub event_type: String,
    pub livemode: bool,
    /// Unix seconds.
    pub created: i64,
    pub api_version: Option<String>,
    pub object: EventObject,
}

/// The part of `data.object` Inkline reads.
#[derive(Debug, Clone, PartialEq)]
pub enum EventObject {
    Session(SessionObject),
    Charge(ChargeObject),
    /// Any other object (for event types Inkline ignores).
    Other {
        object: Option<String>,
    },
}

/// A Checkout Session as events carry it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionObject {
    pub id: String,
    /// `open`, `complete`, `expired`.
    pub status: Option<String>,
    /// `paid`, `unpaid`, `no_payment_required`.
    pub payment_status: Option<String>,
    /// Minor units.
    pub amount_total: Option<i64>,
    /// Lower-case ISO code.
    pub currency: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub payment_intent: Option<String>,
    pub expires_at: Option<i64>,
}

/// A Charge as `charge.refunded` carries it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChargeObject {
    pub id: Option<String>,
    pub amount: Option<i64>,
    pub amount_refunded: i64,
    pub refunded: bool,
    pub currency: Option<String>,
    pub payment_intent: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// Why a body is not a Stripe event we can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a Stripe event: {0} is missing")]
    Missing(&'static str),
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A field that is an id string or an expanded object with an `id`.
fn id_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn metadata(v: &Value) -> BTreeMap<String, String> {
    v.get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// Decodes one event body.
pub fn decode(body: &[u8]) -> Result<StripeEvent, DecodeError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| DecodeError::NotJson(e.to_string()))?;
    let id = text(&v, "id")
        .filter(|s| !s.is_empty())
        .ok_or(DecodeError::Missing("id"))?;
    let event_type = text(&v, "type")
        .filter(|s| !s.is_empty())
        .ok_or(DecodeError::Missing("type"))?;
    let livemode = v
        .get("livemode")
        .and_then(Value::as_bool)
        .ok_or(DecodeError::Missing("livemode"))?;
    let created = v.get("created").and_then(Value::as_i64).unwrap_or(0);
    let obj = v
        .get("data")
        .and_then(|d| d.get("object"))
        .ok_or(DecodeError::Missing("data.object"))?;
    let kind = text(obj, "object");
    let object = match kind.as_deref() {
        Some("checkout.session") => EventObject::Session(SessionObject {
            id: text(obj, "id").ok_or(DecodeError::Missing("data.object.id"))?,
            status: text(obj, "status"),
            payment_status: text(obj, "payment_status"),
            amount_total: obj.get("amount_total").and_then(Value::as_i64),
            currency: text(obj, "currency"),
            client_reference_id: text(obj, "client_reference_id"),
            metadata: metadata(obj),
            payment_intent: id_of(obj, "payment_intent"),
            expires_at: obj.get("expires_at").and_then(Value::as_i64),
        }),
        Some("charge") => EventObject::Charge(ChargeObject {
            id: text(obj, "id"),
            amount: obj.get("amount").and_then(Value::as_i64),
            amount_refunded: obj
                .get("amount_refunded")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            refunded: obj
                .get("refunded")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            currency: text(obj, "currency"),
            payment_intent: id_of(obj, "payment_intent"),
            metadata: metadata(obj),
        }),
        _ => EventObject::Other { object: kind },
    };
    Ok(StripeEvent {
        id,
        event_type,
        livemode,
        created,
        api_version: text(&v, "api_version"),
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// external-apis.md 6.b, byte for byte.
    const VECTOR: &str = r#"{"id":"evt_test_0001","object":"event","api_version":"2024-06-20","created":1764064800,"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"checkout.session.completed","data":{"object":{"id":"cs_test_0001","object":"checkout.session","amount_total":5000,"currency":"eur","client_reference_id":"lead_42","metadata":{"lead_id":"lead_42","artist_id":"artist_7"},"mode":"payment","payment_intent":"pi_test_0001","payment_status":"paid","status":"complete"}}}"#;

    #[test]
    fn the_reference_event_decodes() {
        let e = decode(VECTOR.as_bytes()).unwrap();
        assert_eq!(e.id, "evt_test_0001");
        assert_eq!(e.event_type, "checkout.session.completed");
        assert!(!e.livemode);
        assert_eq!(e.created, 1_764_064_800);
        let EventObject::Session(s) = e.object else {
            panic!("a session")
        };
        assert_eq!(s.id, "cs_test_0001");
        assert_eq!(s.amount_total, Some(5000));
        assert_eq!(s.currency.as_deref(), Some("eur"));
        assert_eq!(s.payment_status.as_deref(), Some("paid"));
        assert_eq!(s.payment_intent.as_deref(), Some("pi_test_0001"));
        assert_eq!(
            s.metadata.get("lead_id").map(String::as_str),
            Some("lead_42")
        );
    }

    #[test]
    fn charges_unknown_objects_and_expanded_ids_decode() {
        let charge = br#"{"id":"evt_2","type":"charge.refunded","livemode":true,"created":1,"data":{"object":{"object":"charge","id":"ch_1","amount":5000,"amount_refunded":5000,"refunded":true,"currency":"gbp","payment_intent":{"id":"pi_9"},"metadata":{"lead_id":"x","n":3}}}}"#;
        let e = decode(charge).unwrap();
        assert!(e.livemode);
        let EventObject::Charge(c) = e.object else {
            panic!("a charge")
        };
        assert_eq!((c.amount_refunded, c.refunded), (5000, true));
        assert_eq!(c.payment_intent.as_deref(), Some("pi_9"));
        assert_eq!(
            c.metadata.len(),
            1,
            "non-string metadata values are skipped"
        );
        let other = br#"{"id":"evt_3","type":"customer.created","livemode":false,"data":{"object":{"object":"customer","id":"cus_1"}},"extra":[1,2]}"#;
        assert_eq!(
            decode(other).unwrap().object,
            EventObject::Other {
                object: Some("customer".into())
            }
        );
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        for body in [&b""[..], b"null", b"[]", b"{}", b"{\"id\":1}", b"{\"id\":\"evt\",\"type\":\"x\"}", b"\xff\xfe", br#"{"id":"evt","type":"x","livemode":false}"#, br#"{"id":"evt","type":"x","livemode":false,"data":{"object":{"object":"checkout.session"}}}"#] {
            assert!(decode(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
    }
}
