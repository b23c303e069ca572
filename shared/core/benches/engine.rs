//! Throughput of the pure conversation core: a full consultation (greeting to PENDING_APPROVAL,
//! 14 client messages) through `step`, reported by criterion as events per second.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use inkline_core::conversation::{Content, Event, Inbound, LeadState, step};
use inkline_core::domain::{ArtistConfig, Status};
use std::hint::black_box;

const CONSULTATION: [&str; 14] = [
    "Hi",
    "A fine-line swallow with a small banner",
    "left forearm",
    "10x15cm",
    "fine line",
    "2",
    "no",
    "no",
    "about 600 quid",
    "London",
    "@sam.ink",
    "skip",
    "in the next couple of months",
    "thanks!",
];

fn events(start: DateTime<Utc>) -> Vec<(Event, DateTime<Utc>)> {
    CONSULTATION
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let at = start + Duration::seconds(30 * i as i64);
            let msg = Inbound {
                id: format!("wamid.{i}"),
                at,
                profile_name: Some("Sam".into()),
                content: Content::Text {
                    body: (*text).to_owned(),
                },
            };
            (Event::Inbound(msg), at)
        })
        .collect()
}

fn consultation(c: &mut Criterion) {
    let artist = ArtistConfig::demo();
    let start: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    let evs = events(start);
    // The consultation really completes (otherwise the figure would measure something else).
    let mut state = LeadState::new();
    for (e, at) in &evs {
        state = step(&state, e, &artist, *at).unwrap().state;
    }
    assert_eq!(state.status, Status::PendingApproval);

    let mut group = c.benchmark_group("conversation");
    group.throughput(Throughput::Elements(evs.len() as u64));
    group.bench_function("full_consultation", |b| {
        b.iter(|| {
            let mut state = LeadState::new();
            for (e, at) in &evs {
                state = step(black_box(&state), black_box(e), &artist, *at)
                    .unwrap()
                    .state;
            }
            black_box(state)
        })
    });
    group.finish();
}

criterion_group!(benches, consultation);
criterion_main!(benches);
