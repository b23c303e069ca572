//! A connection's phase — reading a request head, handling a request, idle — and its deadline.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection stands between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a complete request head since `since` (accept, or the first byte after idle).
    Head { since: Instant },
    /// A request is being handled: the handler's own deadlines apply, not the connection's.
    Busy,
    /// The last response went out at `since`; nothing has arrived since.
    Idle { since: Instant },
}

/// Which timeout ended a connection (the metrics label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Header,
    Idle,
}

impl Expiry {
    pub fn label(self) -> &'static str {
        match self {
            Expiry::Header => "header",
            Expiry::Idle => "idle",
        }
    }
}

/// The phase of one connection, moved by its socket reader and its service, watched by its task.
#[derive(Debug)]
pub struct PhaseClock {
    phase: Mutex<Phase>,
    changed: Notify,
    header_timeout: Duration,
    idle_timeout: Duration,
}

impl PhaseClock {
    /// A new connection: its first request head is due within `header_timeout`.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Self {
        PhaseClock {
            phase: Mutex::new(Phase::Head {
                since: Instant::now(),
            }),
            changed: Notify::new(),
            header_timeout,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Phase> {
        // The lock is never held across a panic point that matters; take the value regardless.
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived: on an idle connection they start a request head, due within the header timeout.
    pub fn bytes_read(&self) {
        let mut phase = self.lock();
        if let Phase::Idle { .. } = *phase {
            *phase = Phase::Head {
                since: Instant::now(),
            };
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// A complete head reached the service.
    pub fn request_started(&self) {
        *self.lock() = Phase::Busy;
    }

    /// The service answered: the connection is idle until the next byte.
    pub fn request_finished(&self) {
        *self.lock() = Phase::Idle {
            since: Instant::now(),
        };
        self.changed.notify_one();
    }

    /// When the current phase runs out, and which timeout that is (None while busy).
    fn deadline(&self) -> Option<(Instant, Expiry)> {
        match *self.lock() {
            Phase::Head { since } => Some((since + self.header_timeout, Expiry::Header)),
            Phase::Busy => None,
            Phase::Idle { since } => Some((since + self.idle_timeout, Expiry::Idle)),
        }
    }

    /// Resolves once the connection has stayed in one phase past that phase's timeout.
    pub async fn expired(&self) -> Expiry {
        loop {
            match self.deadline() {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: Duration = Duration::from_millis(40);
    const IDLE: Duration = Duration::from_millis(600);

    #[tokio::test]
    async fn a_silent_new_connection_expires_after_the_header_timeout() {
        let clock = PhaseClock::new(HEAD, IDLE);
        let started = Instant::now();
        assert_eq!(clock.expired().await, Expiry::Header);
        assert!(started.elapsed() >= HEAD);
    }

    #[tokio::test]
    async fn a_busy_connection_never_expires_and_an_idle_one_gets_the_idle_timeout() {
        let clock = PhaseClock::new(HEAD, IDLE);
        clock.request_started();
        let busy = tokio::time::timeout(HEAD * 3, clock.expired()).await;
        assert!(
            busy.is_err(),
            "no connection deadline while a request is handled"
        );
        let finished = Instant::now();
        clock.request_finished();
        assert_eq!(clock.expired().await, Expiry::Idle);
        assert!(finished.elapsed() >= IDLE);
    }

    #[tokio::test]
    async fn bytes_after_idle_bring_the_earlier_header_deadline() {
        let clock = PhaseClock::new(HEAD, IDLE);
        clock.request_started();
        clock.request_finished();
        let watcher = clock.expired();
        tokio::pin!(watcher);
        // The watcher is asleep until the idle deadline when the first byte of a new head arrives.
        assert!(
            tokio::time::timeout(Duration::from_millis(5), &mut watcher)
                .await
                .is_err()
        );
        let first_byte = Instant::now();
        clock.bytes_read();
        assert_eq!(watcher.await, Expiry::Header);
        let waited = first_byte.elapsed();
        assert!(waited >= HEAD && waited < IDLE, "{waited:?}");
    }

    #[tokio::test]
    async fn bytes_during_a_head_or_a_request_move_nothing() {
        let clock = PhaseClock::new(HEAD, IDLE);
        let before = clock.deadline();
        clock.bytes_read();
        assert_eq!(
            clock.deadline(),
            before,
            "a dribbled head keeps its first deadline"
        );
        clock.request_started();
        clock.bytes_read();
        assert_eq!(clock.deadline(), None);
    }
}
