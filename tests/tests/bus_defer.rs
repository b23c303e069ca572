//! The bus's one way to come back later, against the real broker: a handler defers, is
//! throttled or fails with its own delay, and the bus counts each on its own, brings the message
//! back after the wait (a long one in several stays, without running the handler in between)
//! and bounds every kind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harness::{TestEnv, eventually};
use infra::bus::retry::MAX_THROTTLES;
use infra::bus::topology::{INBOUND_STRIPE, dlq};
use infra::bus::{Bus, Handler, Outcome, Outgoing, Received};
use infra::shutdown::Shutdown;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One run of the handler: the payload and the counts the bus handed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    payload: String,
    attempts: u32,
    throttles: u32,
    deferrals: u32,
    failed_before: bool,
}

/// Answers by payload: `defer` (6 s, once), `throttle` (always), `fail` (always, after 50 ms).
#[derive(Default)]
struct Scripted {
    runs: Mutex<Vec<(Instant, Run)>>,
    dead: Mutex<Vec<String>>,
}

struct Probe(Arc<Scripted>);

#[async_trait::async_trait]
impl Handler for Probe {
    async fn handle(&self, msg: &Received) -> Outcome {
        let payload = String::from_utf8_lossy(&msg.payload).into_owned();
        let run = Run {
            payload: payload.clone(),
            attempts: msg.attempts,
            throttles: msg.throttles,
            deferrals: msg.deferrals,
            failed_before: msg.first_failure_at.is_some(),
        };
        self.0.runs.lock().unwrap().push((Instant::now(), run));
        match payload.as_str() {
            "defer" if msg.deferrals == 0 => Outcome::Defer(Duration::from_secs(6)),
            "throttle" => Outcome::Throttled(Duration::from_millis(1), "slow down".into()),
            "fail" => Outcome::RetryAfter(Duration::from_millis(50), "still broken".into()),
            _ => Outcome::Ack,
        }
    }

    async fn dead_lettered(&self, msg: &Received, reason: &str) {
        let payload = String::from_utf8_lossy(&msg.payload);
        self.0
            .dead
            .lock()
            .unwrap()
            .push(format!("{payload}: {reason}"));
    }
}

impl Scripted {
    fn runs_of(&self, payload: &str) -> Vec<(Instant, Run)> {
        let runs = self.runs.lock().unwrap();
        runs.iter()
            .filter(|(_, r)| r.payload == payload)
            .cloned()
            .collect()
    }
}

#[tokio::test]
async fn deferrals_throttles_and_retries_come_back_counted_apart_and_bounded() {
    let env = TestEnv::new().await;
    let cfg = env.worker_config();
    let max_attempts = cfg.bus.max_attempts;
    let shutdown = Shutdown::new();
    let bus = Bus::start(cfg.bus.clone(), "defer-test", shutdown.child());
    assert!(bus.wait_connected(Duration::from_secs(10)).await);
    let script = Arc::new(Scripted::default());
    let consumer = tokio::spawn(infra::bus::consume::run(
        bus.clone(),
        INBOUND_STRIPE,
        Arc::new(Probe(script.clone())),
        shutdown.clone(),
    ));
    let started = Instant::now();
    for payload in ["defer", "throttle", "fail"] {
        let out = Outgoing::json(payload, payload.as_bytes().to_vec(), payload);
        bus.publish(INBOUND_STRIPE, &out).await.unwrap();
    }

    eventually(
        "the deferred message is back",
        Duration::from_secs(20),
        || async { (script.runs_of("defer").len() == 2).then_some(()) },
    )
    .await;
    eventually("two dead letters", Duration::from_secs(20), || async {
        (env.queue_depth(&dlq(INBOUND_STRIPE)).await == 2).then_some(())
    })
    .await;
    env.wait_quiescent(Duration::from_secs(15)).await;

    // A 6 s deferral: two stays in the retry queue, the handler run only once more, at the end.
    let deferred = script.runs_of("defer");
    assert_eq!(deferred.len(), 2, "{deferred:?}");
    assert!(deferred[1].0 - started >= Duration::from_secs(6));
    let back = &deferred[1].1;
    assert_eq!(
        (back.attempts, back.deferrals, back.failed_before),
        (0, 1, false),
        "a deferral is not a failure"
    );

    // Throttles have their own count and cap; they never count as attempts.
    let throttled = script.runs_of("throttle");
    assert_eq!(throttled.len() as u32, MAX_THROTTLES + 1);
    let last = &throttled.last().unwrap().1;
    assert_eq!((last.attempts, last.throttles), (0, MAX_THROTTLES));
    assert!(
        last.failed_before,
        "the first throttle starts the retry budget"
    );

    // A failure with its own delay is a counted attempt, bounded like any retry.
    let failed = script.runs_of("fail");
    assert_eq!(failed.len() as u32, max_attempts);
    assert_eq!(failed.last().unwrap().1.attempts, max_attempts - 1);

    let mut dead = script.dead.lock().unwrap().clone();
    dead.sort();
    assert_eq!(dead, ["fail: still broken", "throttle: slow down"]);
    shutdown.trigger();
    consumer.await.unwrap();
}
