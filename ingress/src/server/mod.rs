//! The accept loop of both ingress ports: at most `max_connections` open, one task per
//! connection, and a stop that lets every connection finish its request.

pub mod connection;
pub mod phase;

use axum::Router;
use infra::config::IngressLimits;
use infra::shutdown::Shutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::Instrument;

/// Connections the internal (metrics) port keeps open at once: Prometheus and probes need a few.
pub const INTERNAL_MAX_CONNECTIONS: usize = 16;

/// What one listening port allows each connection, and how many it keeps open.
#[derive(Debug, Clone, Copy)]
pub struct PortLimits {
    /// The metrics label of the port (`public`, `internal`).
    pub port: &'static str,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

impl PortLimits {
    /// The webhook port: every limit as configured.
    pub fn public(limits: &IngressLimits) -> Self {
        PortLimits {
            port: "public",
            header_timeout: limits.header_timeout,
            idle_timeout: limits.idle_timeout,
            max_connections: limits.max_connections,
        }
    }

    /// The metrics port: the same timeouts, a handful of connections.
    pub fn internal(limits: &IngressLimits) -> Self {
        PortLimits {
            port: "internal",
            max_connections: INTERNAL_MAX_CONNECTIONS,
            ..Self::public(limits)
        }
    }
}

/// Accepts connections on `listener` until `shutdown`, then waits for the open ones to finish.
/// At the connection limit nothing more is accepted: new connections wait in the kernel's listen
/// backlog until a held one closes (every one is bounded by a timeout).
pub async fn serve(listener: TcpListener, router: Router, limits: PortLimits, shutdown: Shutdown) {
    // acquire_many takes a u32; no sane limit comes near it.
    let max = u32::try_from(limits.max_connections.clamp(1, 1 << 20)).unwrap_or(1 << 20);
    let slots = Arc::new(Semaphore::new(max as usize));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = shutdown.wait() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: pause, go on.
                    tracing::warn!(port = limits.port, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.wait() => break,
        };
        let _ = stream.set_nodelay(true);
        let span = tracing::debug_span!("connection", port = limits.port, %peer);
        tokio::spawn(
            connection::serve(stream, router.clone(), limits, shutdown.clone(), permit)
                .instrument(span),
        );
    }
    drop(listener);
    // Every connection task holds a slot until its socket is closed: all slots back means done.
    let _ = slots.acquire_many(max).await;
    tracing::debug!(port = limits.port, "every connection closed");
}
