//! Figures, not assertions: run with `cargo nextest run -p inkline-tests --test measure --run-ignored only`
//! (or `cargo test -p inkline-tests --test measure -- --ignored --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::TestEnv;
use std::time::{Duration, Instant};
use workers::Role;

#[tokio::test]
#[ignore = "measurement: prints the e2e latency of 100 sequential messages"]
async fn e2e_latency_of_sequential_messages() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let mut rx = env.graph.subscribe();
    let mut samples = Vec::new();
    for i in 0..100 {
        // A new client each time: the first message always produces exactly one reply.
        let wa = format!("4477009{i:05}");
        let body = payloads::text(
            &env.artist.phone_number_id,
            &wa,
            "Sam",
            &format!("wamid.M{i}"),
            chrono::Utc::now().timestamp(),
            "Hi",
        );
        let started = Instant::now();
        assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
        loop {
            let m = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap()
                .unwrap();
            if m.to == wa {
                break;
            }
        }
        samples.push(started.elapsed());
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "e2e latency over {} sequential messages (debug build): p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        samples.len(),
        ms(samples[49]),
        ms(samples[89]),
        ms(samples[99])
    );
}
