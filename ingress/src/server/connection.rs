//! One accepted connection: HTTP/1.1 through hyper, closed by the header or idle timeout, drained
//! on shutdown.

use super::PortLimits;
use super::phase::PhaseClock;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use infra::metrics::metrics;
use infra::shutdown::Shutdown;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tower::ServiceExt;

/// Largest request head (431 above) and read buffer per connection, so a held connection cannot
/// grow its buffer to hyper's default of ~400 KiB.
const MAX_HEAD: usize = 32 * 1024;

/// Serves requests on `stream` until the client leaves, a timeout ends it, or shutdown drains it.
/// `permit` (the port's connection limit) is released only after the socket is closed.
pub async fn serve(
    stream: TcpStream,
    router: Router,
    limits: PortLimits,
    shutdown: Shutdown,
    permit: OwnedSemaphorePermit,
) {
    let clock = Arc::new(PhaseClock::new(limits.header_timeout, limits.idle_timeout));
    let io = TokioIo::new(Watched {
        stream,
        clock: clock.clone(),
    });
    let service_clock = clock.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let handling = Handling::start(service_clock.clone());
        let router = router.clone();
        async move {
            let _handling = handling;
            router.oneshot(req).await
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper's own head timer runs from "waiting for a head" (idle included) to a complete
        // head; the phase clock is stricter, this is only a backstop.
        .header_read_timeout(limits.header_timeout + limits.idle_timeout)
        .keep_alive(true)
        .max_header_size(MAX_HEAD)
        .max_buf_size(MAX_HEAD);
    let mut conn = Box::pin(builder.serve_connection(io, service));
    let open = metrics()
        .ingress_open_connections
        .with_label_values(&[limits.port]);
    open.inc();
    let mut draining = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            why = clock.expired() => {
                tracing::debug!(timeout = why.label(), "closing a connection that outstayed its phase");
                metrics()
                    .ingress_connections_timed_out
                    .with_label_values(&[limits.port, why.label()])
                    .inc();
                break;
            }
            () = shutdown.wait(), if !draining => {
                // Finish the request in progress (if any), then close.
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
    drop(conn);
    open.dec();
    drop(permit);
}

/// Marks a connection busy while one request is handled; idle again when dropped (answered or
/// abandoned).
struct Handling(Arc<PhaseClock>);

impl Handling {
    fn start(clock: Arc<PhaseClock>) -> Self {
        clock.request_started();
        Handling(clock)
    }
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The socket, telling the phase clock whenever bytes arrive.
struct Watched {
    stream: TcpStream,
    clock: Arc<PhaseClock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
