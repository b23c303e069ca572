//! The per-request identifiers and stamp a webhook is published with — a UUIDv7 correlation id, a
//! W3C `traceparent` carrying it, the RFC 3339 receive time — made without a system call or a
//! formatting pass per request (the random bits come from a per-thread generator seeded once).

use std::cell::{Cell, RefCell};
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// SplitMix64 state, seeded from the OS once per thread.
    static RNG: Cell<u64> = Cell::new(seed());
    /// The RFC 3339 text of the current second (`2025-11-25T10:00:00`), and which second it is.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

fn seed() -> u64 {
    let (a, b) = uuid::Uuid::new_v4().as_u64_pair();
    a ^ b.rotate_left(32)
}

/// The next 64 random bits of this thread (SplitMix64: fast, well mixed; not for secrets).
fn next_u64() -> u64 {
    RNG.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

fn since_epoch() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A fresh correlation id (UUIDv7, as `infra::telemetry::new_correlation_id` makes) and the
/// `traceparent` whose trace id is that id's 32 hex digits (as `infra::telemetry::traceparent_for`
/// derives it), with a random span id.
pub fn new_correlation() -> (String, String) {
    let millis = u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&next_u64().to_le_bytes());
    random[8..].copy_from_slice(&next_u64().to_le_bytes()[..2]);
    let id = uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid();
    let mut buf = uuid::Uuid::encode_buffer();
    let cid = id.hyphenated().encode_lower(&mut buf).to_owned();
    let mut traceparent = String::with_capacity(55);
    traceparent.push_str("00-");
    traceparent.push_str(id.simple().encode_lower(&mut buf));
    traceparent.push('-');
    push_hex(&mut traceparent, next_u64());
    traceparent.push_str("-01");
    (cid, traceparent)
}

/// Appends `v` as 16 lowercase hex digits.
fn push_hex(out: &mut String, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        let nibble = usize::try_from((v >> (shift * 4)) & 0xf).unwrap_or(0);
        out.push(char::from(HEX.get(nibble).copied().unwrap_or(b'0')));
    }
}

/// Now as RFC 3339 with nanoseconds (`2025-11-25T10:00:00.123456789+00:00`, what chrono's
/// `to_rfc3339` gives), the date and time of day formatted once per second per thread.
pub fn received_at() -> String {
    let now = since_epoch();
    let secs = now.as_secs();
    SECOND.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs {
            let text = i64::try_from(secs)
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_default();
            *cache = (secs, text);
        }
        let mut out = String::with_capacity(cache.1.len() + 16);
        out.push_str(&cache.1);
        out.push('.');
        let nanos = now.subsec_nanos();
        let mut digits = [b'0'; 9];
        let mut n = nanos;
        for d in digits.iter_mut().rev() {
            *d = b'0' + u8::try_from(n % 10).unwrap_or(0);
            n /= 10;
        }
        out.push_str(std::str::from_utf8(&digits).unwrap_or("000000000"));
        out.push_str("+00:00");
        out
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn correlation_ids_are_v7_and_the_traceparent_carries_them() {
        let (cid, tp) = new_correlation();
        let id = uuid::Uuid::parse_str(&cid).unwrap();
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(
            tp.get(..35).unwrap(),
            infra::telemetry::traceparent_for(&cid).get(..35).unwrap(),
            "same version and trace id as infra derives"
        );
        assert!(tp.len() == 55 && tp.ends_with("-01"), "{tp}");
        let (cid2, tp2) = new_correlation();
        assert_ne!(cid, cid2);
        assert_ne!(tp.get(36..52), tp2.get(36..52), "a new span id each time");
        let ms = id.get_timestamp().unwrap().to_unix();
        assert!((chrono::Utc::now().timestamp() - ms.0 as i64).abs() <= 1);
    }

    #[test]
    fn received_at_is_rfc3339_as_chrono_writes_it() {
        let before = chrono::Utc::now();
        let text = received_at();
        let after = chrono::Utc::now();
        let parsed = chrono::DateTime::parse_from_rfc3339(&text).unwrap();
        assert!(parsed >= before && parsed <= after, "{text}");
        assert_eq!(
            text.len(),
            "2025-11-25T10:00:00.123456789+00:00".len(),
            "{text}"
        );
        assert!(text.ends_with("+00:00"));
        // The cached second is reused within the second and replaced after it.
        let again = received_at();
        assert!(chrono::DateTime::parse_from_rfc3339(&again).unwrap() >= parsed);
    }
}
