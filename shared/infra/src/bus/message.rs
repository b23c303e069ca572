//! What travels on the bus: payload plus the headers that follow a message across hops.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use std::collections::BTreeMap;

pub const H_CORRELATION: &str = "x-correlation-id";
pub const H_TRACEPARENT: &str = "traceparent";
pub const H_ATTEMPTS: &str = "x-attempts";
pub const H_LAST_ERROR: &str = "x-last-error";
pub const H_RECEIVED_AT: &str = "x-received-at";
pub const H_SOURCE_QUEUE: &str = "x-source-queue";
/// When the first failed attempt of this message happened (Unix ms): the retry time budget counts from it.
pub const H_FIRST_FAILURE: &str = "x-first-failure-at";
/// How many times a downstream asked to slow down for this message (`Outcome::Throttled`).
pub const H_THROTTLES: &str = "x-throttles";
/// How many times a handler said "not now" to this message (`Outcome::Defer`).
pub const H_DEFERRALS: &str = "x-deferrals";
/// Not to be handled before this time (Unix ms): a wait longer than one stay in the retry queue.
pub const H_NOT_BEFORE: &str = "x-not-before";

/// The retry state a message carries, all of it the bus's: a replay from the dead-letter queue
/// removes it, so the message starts over with a full set of tries and the whole time budget.
pub const RETRY_STATE: [&str; 5] = [
    H_ATTEMPTS,
    H_FIRST_FAILURE,
    H_THROTTLES,
    H_DEFERRALS,
    H_NOT_BEFORE,
];

/// A message to publish: payload, id, content type and string headers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub message_id: String,
    pub content_type: &'static str,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    /// Per-message expiration in milliseconds (only used for delayed retries).
    pub expiration_ms: Option<u64>,
}

impl Outgoing {
    pub fn json(message_id: impl Into<String>, payload: Vec<u8>, correlation_id: &str) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert(H_CORRELATION.to_owned(), correlation_id.to_owned());
        headers.insert(
            H_TRACEPARENT.to_owned(),
            crate::telemetry::traceparent_for(correlation_id),
        );
        Outgoing {
            message_id: message_id.into(),
            content_type: "application/json",
            payload,
            headers,
            expiration_ms: None,
        }
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.insert(k.to_owned(), v.into());
        self
    }

    /// AMQP properties: persistent, with id, type, timestamp and headers.
    pub fn properties(&self) -> BasicProperties {
        let mut table = FieldTable::default();
        for (k, v) in &self.headers {
            table.insert(
                ShortString::from(k.as_str()),
                AMQPValue::LongString(LongString::from(v.as_str())),
            );
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let mut props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_message_id(ShortString::from(self.message_id.as_str()))
            .with_content_type(ShortString::from(self.content_type))
            .with_timestamp(now)
            .with_headers(table);
        if let Some(c) = self.headers.get(H_CORRELATION) {
            props = props.with_correlation_id(ShortString::from(c.as_str()));
        }
        if let Some(ms) = self.expiration_ms {
            props = props.with_expiration(ShortString::from(ms.to_string()));
        }
        props
    }
}

/// Reads string headers back from a delivery's properties.
pub fn headers_of(props: &BasicProperties) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(table) = props.headers() {
        for (k, v) in table.inner() {
            let val = match v {
                AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                AMQPValue::ShortString(s) => s.as_str().to_owned(),
                AMQPValue::LongLongInt(i) => i.to_string(),
                AMQPValue::LongInt(i) => i.to_string(),
                AMQPValue::LongUInt(i) => i.to_string(),
                AMQPValue::ShortInt(i) => i.to_string(),
                _ => continue,
            };
            out.insert(k.as_str().to_owned(), val);
        }
    }
    out
}

/// A delivery as a handler sees it.
#[derive(Debug, Clone)]
pub struct Received {
    pub queue: String,
    pub payload: Vec<u8>,
    pub headers: BTreeMap<String, String>,
    pub message_id: Option<String>,
    pub correlation_id: String,
    pub redelivered: bool,
    /// Previous attempts that ended in a retry (0 on the first delivery).
    pub attempts: u32,
    /// When the first failed attempt (or throttle) happened (Unix ms), if one did.
    pub first_failure_at: Option<i64>,
    /// Previous runs that ended in [`super::Outcome::Throttled`].
    pub throttles: u32,
    /// Previous runs that ended in [`super::Outcome::Defer`].
    pub deferrals: u32,
    /// What the handler derived from the payload once (its decoded form), for its later calls
    /// on the same delivery (the ordering key, then each run of `handle`).
    pub memo: Memo,
}

/// A value computed once per delivery and shared by the handler's calls on it.
#[derive(Clone, Default)]
pub struct Memo(std::sync::Arc<std::sync::OnceLock<MemoValue>>);

type MemoValue = std::sync::Arc<dyn std::any::Any + Send + Sync>;

impl Memo {
    /// The value `init` computes, computed on the first call only. A caller asking for another
    /// type than the stored one gets a fresh, unstored value.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> std::sync::Arc<T> {
        if let Some(stored) = self.0.get() {
            return match stored.clone().downcast::<T>() {
                Ok(value) => value,
                Err(_) => std::sync::Arc::new(init()),
            };
        }
        let value = std::sync::Arc::new(init());
        let erased: MemoValue = value.clone();
        // Set once per delivery; a lost race stored an equal value.
        let _ = self.0.set(erased);
        value
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Memo(set)"
        } else {
            "Memo(empty)"
        })
    }
}

impl Received {
    /// This delivery published again as it is (same id and payload) with `headers`, expiring
    /// after `expiration_ms` when given (a stay in a retry queue).
    pub fn republish(
        &self,
        headers: BTreeMap<String, String>,
        expiration_ms: Option<u64>,
    ) -> Outgoing {
        Outgoing {
            message_id: self
                .message_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            content_type: "application/json",
            payload: self.payload.clone(),
            headers,
            expiration_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_is_computed_once_per_delivery_and_shared_by_its_copies() {
        let memo = Memo::default();
        let mut runs = 0;
        let first = memo.get_or_init(|| {
            runs += 1;
            vec![1, 2, 3]
        });
        let copy = memo.clone();
        let again = copy.get_or_init(|| {
            runs += 1;
            vec![9]
        });
        assert_eq!(
            (runs, &*first, &*again),
            (1, &vec![1, 2, 3], &vec![1, 2, 3])
        );
        // Another type is computed, not confused with the stored one.
        assert_eq!(*memo.get_or_init(|| "text"), "text");
        assert_eq!(format!("{memo:?}"), "Memo(set)");
    }
}
