//! The partitions of `outbound.whatsapp`: every job for one artist's number goes to the same
//! partition queue, and each partition has a single active consumer, so exactly one sender process
//! paces a number (in memory) and keeps its recipients' order (docs/decisions.md, "Sender
//! partitions").

use uuid::Uuid;

/// How many partition queues there are. Changing it moves numbers between partitions: drain the
/// partitions first (docs/operations.md).
pub const COUNT: usize = 4;

/// The partition queues' names at the broker (each with `.retry` and `.dlq` companions).
pub const NAMES: [&str; COUNT] = [
    "outbound.whatsapp.p0",
    "outbound.whatsapp.p1",
    "outbound.whatsapp.p2",
    "outbound.whatsapp.p3",
];

/// The partition of an artist's jobs: FNV-1a of the artist id, stable across processes and
/// releases. An artist has exactly one number (`phone_number_id` is unique), so this is the
/// number's partition, and it survives a change of number.
pub fn of(artist_id: Uuid) -> &'static str {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in artist_id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    NAMES[(h % COUNT as u64) as usize]
}

/// Whether `queue` is one of the partitions.
pub fn is_partition(queue: &str) -> bool {
    NAMES.contains(&queue)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_artist_always_lands_on_the_same_partition_and_artists_spread() {
        let id = Uuid::parse_str("0192f1b0-0000-7000-8000-000000000001").unwrap();
        assert_eq!(of(id), of(id));
        // Pinned: a release that moved numbers between partitions would reorder in-flight sends.
        assert_eq!(of(Uuid::nil()), "outbound.whatsapp.p1");
        let mut seen = [0usize; COUNT];
        for i in 0..4000u128 {
            let p = of(Uuid::from_u128(i * 0x9e37_79b9_7f4a_7c15));
            seen[NAMES.iter().position(|n| *n == p).unwrap()] += 1;
        }
        for n in seen {
            assert!((700..1300).contains(&n), "{seen:?}");
        }
        assert!(NAMES.iter().all(|n| is_partition(n)));
        assert!(!is_partition("outbound.whatsapp"));
    }
}
