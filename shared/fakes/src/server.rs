//! The loopback HTTP server every fake runs on: bound to `127.0.0.1:0` before the fake's state is
//! built (so the state knows its own base URL), served in a tokio task, stopped on request or when
//! its owner is dropped.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long `shutdown` waits for in-flight requests before cutting them off.
const GRACE: Duration = Duration::from_secs(5);

/// A bound but not yet serving socket.
pub(crate) struct Bound {
    listener: TcpListener,
    addr: SocketAddr,
}

impl Bound {
    /// Binds an ephemeral loopback port.
    pub(crate) async fn loopback() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts serving `router` in a background task.
    pub(crate) fn serve(self, router: Router) -> LoopbackServer {
        let stop = CancellationToken::new();
        let signal = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let served = axum::serve(self.listener, router)
                .with_graceful_shutdown(signal)
                .await;
            if let Err(e) = served {
                tracing::warn!(error = %e, "fake API server stopped with an error");
            }
        });
        LoopbackServer {
            addr: self.addr,
            stop,
            task: Some(task),
        }
    }
}

/// A running fake server; dropping it stops it.
pub(crate) struct LoopbackServer {
    addr: SocketAddr,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets in-flight requests finish for a short grace period, then aborts.
    pub(crate) async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(GRACE, &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
