//! Coming back later — the bus's one way to delay a message, for retries, throttles and deferrals
//! alike: it waits in the queue's `.retry` companion for at most [`MAX_STAY`] (its per-message
//! expiration), then dead-letters back to the work queue. A longer wait is carried in the
//! `x-not-before` header and served in further stays, without running the handler in between.

use super::message::Received;
use super::message::{H_NOT_BEFORE, Outgoing};
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest one stay in a retry queue. Per-message expirations are only honoured at the head
/// of a queue, so a long one would hold back every shorter wait queued behind it; short stays
/// keep a 5-minute back-off from delaying a 1-second deferral.
pub const MAX_STAY: Duration = Duration::from_secs(5);

/// The message to publish to the retry queue so that `msg` (with `headers`, its retry state so
/// far) is delivered again after `wait`.
pub fn later(msg: &Received, mut headers: BTreeMap<String, String>, wait: Duration) -> Outgoing {
    headers.remove(H_NOT_BEFORE);
    if wait > MAX_STAY {
        let at = chrono::Utc::now()
            .timestamp_millis()
            .saturating_add(millis(wait));
        headers.insert(H_NOT_BEFORE.to_owned(), at.to_string());
    }
    msg.republish(headers, Some(wait.min(MAX_STAY).as_millis().max(1) as u64))
}

/// How much longer a delivery must wait, when its `x-not-before` is still ahead.
pub fn still_waiting(msg: &Received) -> Option<Duration> {
    let at: i64 = msg.headers.get(H_NOT_BEFORE)?.parse().ok()?;
    let left = at.saturating_sub(chrono::Utc::now().timestamp_millis());
    (left > 0).then(|| Duration::from_millis(left as u64))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(headers: &[(&str, String)]) -> Received {
        Received {
            queue: "q".into(),
            payload: b"{}".to_vec(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            message_id: Some("m-1".into()),
            correlation_id: "c-1".into(),
            redelivered: false,
            attempts: 0,
            first_failure_at: None,
            throttles: 0,
            deferrals: 0,
            memo: Default::default(),
        }
    }

    #[test]
    fn a_short_wait_is_one_stay() {
        let msg = received(&[(H_NOT_BEFORE, "1".into())]);
        let out = later(&msg, msg.headers.clone(), Duration::from_millis(1500));
        assert_eq!(out.expiration_ms, Some(1500));
        assert_eq!(out.message_id, "m-1");
        assert!(!out.headers.contains_key(H_NOT_BEFORE));
        let now = later(&msg, BTreeMap::new(), Duration::ZERO);
        assert_eq!(
            now.expiration_ms,
            Some(1),
            "never an expiration of 0 (= none)"
        );
    }

    #[test]
    fn a_long_wait_is_served_in_stays_of_at_most_five_seconds() {
        let msg = received(&[]);
        let out = later(&msg, BTreeMap::new(), Duration::from_secs(64));
        assert_eq!(out.expiration_ms, Some(5000));
        let back = received(&[(H_NOT_BEFORE, out.headers[H_NOT_BEFORE].clone())]);
        let left = still_waiting(&back).expect("still ahead");
        assert!(
            left > Duration::from_secs(63) && left <= Duration::from_secs(64),
            "{left:?}"
        );
        let past = chrono::Utc::now().timestamp_millis() - 1;
        assert_eq!(
            still_waiting(&received(&[(H_NOT_BEFORE, past.to_string())])),
            None
        );
        assert_eq!(
            still_waiting(&received(&[(H_NOT_BEFORE, "soon".into())])),
            None
        );
    }
}
