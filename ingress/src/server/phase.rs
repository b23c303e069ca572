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
///
/// The watcher sleeps until the earliest moment a deadline can pass and looks again then; a phase
/// change wakes it only when it brings a deadline earlier than that (a head after a long idle
/// stretch). So a stream of keep-alive requests costs no wake-up per request.
#[derive(Debug)]
pub struct PhaseClock {
    state: Mutex<State>,
    changed: Notify,
    header_timeout: Duration,
    idle_timeout: Duration,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// When the watcher looks next (None: it is not asleep on a deadline).
    wakes_at: Option<Instant>,
}

impl PhaseClock {
    /// A new connection: its first request head is due within `header_timeout`.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Self {
        PhaseClock {
            state: Mutex::new(State {
                phase: Phase::Head {
                    since: Instant::now(),
                },
                wakes_at: None,
            }),
            changed: Notify::new(),
            header_timeout,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock is never held across a panic point that matters; take the value regardless.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Enters `phase`; wakes the watcher if it now has a deadline before the watcher looks.
    fn enter(&self, mut state: MutexGuard<'_, State>, phase: Phase) {
        state.phase = phase;
        let sooner = match (self.deadline_of(phase), state.wakes_at) {
            (Some((at, _)), Some(wake)) => at < wake,
            (_, None) => true,
            (None, Some(_)) => false,
        };
        drop(state);
        if sooner {
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: on an idle connection they start a request head, due within the header timeout.
    pub fn bytes_read(&self) {
        let state = self.lock();
        if let Phase::Idle { .. } = state.phase {
            self.enter(
                state,
                Phase::Head {
                    since: Instant::now(),
                },
            );
        }
    }

    /// A complete head reached the service.
    pub fn request_started(&self) {
        let state = self.lock();
        self.enter(state, Phase::Busy);
    }

    /// The service answered: the connection is idle until the next byte.
    pub fn request_finished(&self) {
        let state = self.lock();
        self.enter(
            state,
            Phase::Idle {
                since: Instant::now(),
            },
        );
    }

    fn deadline_of(&self, phase: Phase) -> Option<(Instant, Expiry)> {
        match phase {
            Phase::Head { since } => Some((since + self.header_timeout, Expiry::Header)),
            Phase::Busy => None,
            Phase::Idle { since } => Some((since + self.idle_timeout, Expiry::Idle)),
        }
    }

    /// When the current phase runs out, and which timeout that is (None while busy).
    #[cfg(test)]
    fn deadline(&self) -> Option<(Instant, Expiry)> {
        self.deadline_of(self.lock().phase)
    }

    /// Resolves once the connection has stayed in one phase past that phase's timeout.
    pub async fn expired(&self) -> Expiry {
        // While busy, the earliest any later phase can run out (it starts now at the soonest).
        let shortest = self.header_timeout.min(self.idle_timeout);
        loop {
            let wake = {
                let mut state = self.lock();
                let now = Instant::now();
                let wake = match self.deadline_of(state.phase) {
                    Some((at, why)) if at <= now => return why,
                    Some((at, _)) => at,
                    None => now + shortest,
                };
                state.wakes_at = Some(wake);
                wake
            };
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                () = self.changed.notified() => {}
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
